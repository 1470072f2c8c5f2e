#include "support/test.h"
#include "git/hooks.h"

#include <sys/stat.h>

static char *repo;

static const char ours[] = "#!/bin/sh\n# " WFM_HOOK_MARK " pre-push\nexit 0\n";

static int setup(void **state)
{
	wfm_git_init();
	repo = wfm_test_repo_new();
	free(wfm_test_sh(repo, "git commit -q --allow-empty -m first && rm -rf .git/hooks"));
	return 0;
}

static int teardown(void **state)
{
	wfm_test_rmtree(repo);
	free(repo);
	wfm_git_shutdown();
	return 0;
}

/* each test starts without hooks and without core.hooksPath */
static int clean(void **state)
{
	free(wfm_test_sh(repo, "rm -rf .git/hooks myhooks && "
			       "{ git config --unset core.hooksPath || :; }"));
	return 0;
}

static struct wfm_repo *open_repo(void)
{
	struct wfm_repo *r = NULL;

	assert_wfm_ok(wfm_repo_open(&r, repo));
	return r;
}

static void test_hooks__find_where_git_looks(void **state)
{
	struct wfm_repo *r = open_repo();
	struct wfm_hook h;
	char *want = wfm_test_sh_trim(repo, "cd .git && pwd -P"),
	     *top = wfm_test_sh_trim(repo, "pwd -P");
	char path[PATH_MAX];

	assert_wfm_ok(wfm_hook_find(&h, r, "pre-push"));
	snprintf(path, sizeof(path), "%s/hooks/pre-push", want);
	assert_string_equal(h.path, path);
	snprintf(path, sizeof(path), "%s/hooks/pre-push.wfmigrate-chained", want);
	assert_string_equal(h.chained, path);
	assert_int_equal(h.state, WFM_HOOK_NONE);
	assert_false(h.has_chained);
	wfm_hook_release(&h);

	/* core.hooksPath, relative to the top of the working tree */
	free(wfm_test_sh(repo, "git config core.hooksPath myhooks"));
	assert_wfm_ok(wfm_hook_find(&h, r, "pre-merge-commit"));
	snprintf(path, sizeof(path), "%s/myhooks/pre-merge-commit", top);
	assert_string_equal(h.path, path);
	wfm_hook_release(&h);
	free(wfm_test_sh(repo, "git config core.hooksPath /somewhere/else"));
	assert_wfm_ok(wfm_hook_find(&h, r, "pre-push"));
	assert_string_equal(h.path, "/somewhere/else/pre-push");
	wfm_hook_release(&h);
	free(want);
	free(top);
	wfm_repo_free(r);
}

static void test_hooks__install_new_then_again(void **state)
{
	struct wfm_repo *r = open_repo();
	struct wfm_hook h;
	struct stat st;
	mode_t mask;
	char *text;

	free(wfm_test_sh(repo, "git config core.hooksPath myhooks"));
	assert_wfm_ok(wfm_hook_find(&h, r, "pre-push"));
	/* the directory is made; the hook is executable whatever the umask */
	mask = umask(077);
	assert_wfm_ok(wfm_hook_install(&h, ours, strlen(ours)));
	umask(mask);
	assert_int_equal(h.state, WFM_HOOK_OURS);
	assert_false(h.has_chained);
	assert_int_equal(stat(h.path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	text = wfm_test_read(h.path);
	assert_string_equal(text, ours);
	free(text);
	/* again: the same, nothing chained to itself */
	assert_wfm_ok(wfm_hook_install(&h, ours, strlen(ours)));
	assert_int_equal(h.state, WFM_HOOK_OURS);
	assert_false(h.has_chained);
	text = wfm_test_sh(repo, "ls -a myhooks | tr '\\n' ' '");
	assert_string_equal(text, ". .. pre-push ");
	free(text);
	/* uninstall removes it */
	assert_wfm_ok(wfm_hook_uninstall(&h));
	assert_int_equal(h.state, WFM_HOOK_NONE);
	assert_int_equal(wfm_hook_uninstall(&h), WFM_ENOTFOUND);
	assert_non_null(strstr(wfm_error_last(), "nothing to uninstall"));
	wfm_hook_release(&h);
	wfm_repo_free(r);
}

static void test_hooks__chain_and_restore(void **state)
{
	struct wfm_repo *r = open_repo();
	struct wfm_hook h;
	char *got;

	free(wfm_test_sh(repo, "mkdir -p .git/hooks && printf '#!/bin/sh\\necho theirs\\n' "
			       ">.git/hooks/pre-push && chmod 740 .git/hooks/pre-push && "
			       "cp -p .git/hooks/pre-push theirs.orig"));
	assert_wfm_ok(wfm_hook_find(&h, r, "pre-push"));
	assert_int_equal(h.state, WFM_HOOK_FOREIGN);
	assert_int_equal(wfm_hook_uninstall(&h), WFM_ECONFLICT);
	assert_non_null(strstr(wfm_error_last(), "was not installed by git wfmigrate"));
	assert_int_equal(h.state, WFM_HOOK_FOREIGN);

	assert_wfm_ok(wfm_hook_install(&h, ours, strlen(ours)));
	assert_int_equal(h.state, WFM_HOOK_OURS);
	assert_true(h.has_chained);
	assert_int_equal(wfm_test_sh_status(repo, "cmp theirs.orig "
						  ".git/hooks/pre-push.wfmigrate-chained && "
						  "test \"$(stat -c %%a "
						  ".git/hooks/pre-push.wfmigrate-chained)\" = 740"),
			 0);
	assert_wfm_ok(wfm_hook_install(&h, ours, strlen(ours)));
	assert_int_equal(wfm_test_sh_status(repo, "cmp theirs.orig "
						  ".git/hooks/pre-push.wfmigrate-chained"),
			 0);

	assert_wfm_ok(wfm_hook_uninstall(&h));
	assert_int_equal(h.state, WFM_HOOK_FOREIGN);
	assert_false(h.has_chained);
	got = wfm_test_sh(repo, "cmp theirs.orig .git/hooks/pre-push && "
				"stat -c %%a .git/hooks/pre-push && ls .git/hooks");
	assert_string_equal(got, "740\npre-push\n");
	free(got);
	wfm_hook_release(&h);
	wfm_repo_free(r);
}

static void test_hooks__chained_in_the_way(void **state)
{
	struct wfm_repo *r = open_repo();
	struct wfm_hook h;
	char *got;

	/* somebody else's hook, and something where ours would keep it */
	free(wfm_test_sh(repo, "mkdir -p .git/hooks && echo theirs >.git/hooks/pre-push && "
			       "echo older >.git/hooks/pre-push.wfmigrate-chained"));
	assert_wfm_ok(wfm_hook_find(&h, r, "pre-push"));
	assert_int_equal(wfm_hook_install(&h, ours, strlen(ours)), WFM_EEXISTS);
	assert_non_null(strstr(wfm_error_last(), "is there already"));
	got = wfm_test_sh(repo, "cat .git/hooks/pre-push .git/hooks/pre-push.wfmigrate-chained");
	assert_string_equal(got, "theirs\nolder\n");
	free(got);
	wfm_hook_release(&h);
	wfm_repo_free(r);
}

static void test_hooks__a_link_is_kept_as_a_link(void **state)
{
	struct wfm_repo *r = open_repo();
	struct wfm_hook h;
	char *got;

	/* a hook manager's link, dangling even: moved and restored, never followed */
	free(wfm_test_sh(repo, "mkdir -p .git/hooks && ln -s ../../no/such/hook "
			       ".git/hooks/pre-merge-commit"));
	assert_wfm_ok(wfm_hook_find(&h, r, "pre-merge-commit"));
	assert_int_equal(h.state, WFM_HOOK_FOREIGN);
	assert_wfm_ok(wfm_hook_install(&h, ours, strlen(ours)));
	got = wfm_test_sh(repo, "readlink .git/hooks/pre-merge-commit.wfmigrate-chained");
	assert_string_equal(got, "../../no/such/hook\n");
	free(got);
	assert_wfm_ok(wfm_hook_uninstall(&h));
	got = wfm_test_sh(repo, "readlink .git/hooks/pre-merge-commit; ls .git/hooks");
	assert_string_equal(got, "../../no/such/hook\npre-merge-commit\n");
	free(got);
	wfm_hook_release(&h);
	wfm_repo_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_hooks__find_where_git_looks, clean),
		cmocka_unit_test_setup(test_hooks__install_new_then_again, clean),
		cmocka_unit_test_setup(test_hooks__chain_and_restore, clean),
		cmocka_unit_test_setup(test_hooks__chained_in_the_way, clean),
		cmocka_unit_test_setup(test_hooks__a_link_is_kept_as_a_link, clean),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
