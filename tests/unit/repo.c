#include "support/test.h"
#include "base/fs.h"
#include "git/repo.h"
#include "ui/settings.h"

static char *repo;

static int setup(void **state)
{
	wfm_git_init();
	repo = wfm_test_repo_new();
	wfm_test_write(repo, "a.txt", "one\n");
	wfm_test_write(repo, "sub/dir/b.txt", "two\n");
	free(wfm_test_sh(repo, "git add -A && git commit -qm first && git tag v1 && "
			       "echo more >> a.txt && git commit -qam second"));
	return 0;
}

static int teardown(void **state)
{
	wfm_test_rmtree(repo);
	free(repo);
	wfm_git_shutdown();
	return 0;
}

static void test_repo__open_from_subdirectory(void **state)
{
	struct wfm_repo *r = NULL;
	char path[PATH_MAX], *top = wfm_test_sh_trim(repo, "pwd -P");

	snprintf(path, sizeof(path), "%s/sub/dir", repo);
	assert_wfm_ok(wfm_repo_open(&r, path));
	assert_string_equal(wfm_repo_workdir(r), top);
	assert_non_null(strstr(wfm_repo_commondir(r), "/.git"));
	assert_int_not_equal(wfm_repo_commondir(r)[strlen(wfm_repo_commondir(r)) - 1], '/');
	wfm_repo_free(r);
	free(top);
}

static void test_repo__open_from_linked_worktree(void **state)
{
	struct wfm_repo *r = NULL, *main_repo = NULL;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s-wt", repo);
	free(wfm_test_sh(repo, "git worktree add -q --detach '%s' HEAD~1", path));
	assert_wfm_ok(wfm_repo_open(&r, path));
	assert_wfm_ok(wfm_repo_open(&main_repo, repo));
	assert_string_equal(wfm_repo_commondir(r), wfm_repo_commondir(main_repo));
	assert_string_not_equal(wfm_repo_gitdir(r), wfm_repo_gitdir(main_repo));
	wfm_repo_free(r);
	wfm_repo_free(main_repo);
	free(wfm_test_sh(repo, "git worktree remove --force '%s'", path));
}

static void test_repo__not_a_repository(void **state)
{
	struct wfm_repo *r = NULL;
	char *dir = wfm_test_tmpdir();

	setenv("GIT_CEILING_DIRECTORIES", "/tmp", 1);
	assert_int_equal(wfm_repo_open(&r, dir), WFM_ENOTFOUND);
	unsetenv("GIT_CEILING_DIRECTORIES");
	assert_null(r);
	assert_non_null(strstr(wfm_error_last(), "not a git repository"));
	wfm_test_rmtree(dir);
	free(dir);
}

static void test_repo__resolve_commit(void **state)
{
	struct wfm_repo *r = NULL;
	char oid[WFM_OID_HEXSZ + 1];
	char *want = wfm_test_sh_trim(repo, "git rev-parse --verify -q v1^{commit}");

	assert_wfm_ok(wfm_repo_open(&r, repo));
	assert_wfm_ok(wfm_repo_resolve_commit(oid, r, "v1"));
	assert_string_equal(oid, want);
	assert_wfm_ok(wfm_repo_resolve_commit(oid, r, "HEAD~1"));
	assert_string_equal(oid, want);
	assert_int_equal(wfm_repo_resolve_commit(oid, r, "no-such-branch"), WFM_ENOTFOUND);
	assert_string_equal(wfm_error_last(), "unknown revision 'no-such-branch'");
	assert_int_equal(wfm_repo_resolve_commit(oid, r, "HEAD:a.txt"), WFM_ENOTFOUND);
	assert_non_null(strstr(wfm_error_last(), "does not name a commit"));
	wfm_repo_free(r);
	free(want);
}

/* @{upstream} as git finds it, compared with git's own answer */
static void test_repo__upstream(void **state)
{
	char *clone = wfm_test_tmpdir(), *path, *want, *got = NULL;
	struct wfm_repo *r = NULL;

	free(wfm_test_sh(clone,
			 "git clone -q '%s' c && cd c && git checkout -qb topic && "
			 "git config remote.origin.fetch '+refs/heads/*:refs/remotes/up/*' && "
			 "git fetch -q origin && git branch -q --set-upstream-to=up/main",
			 repo));
	want = wfm_test_sh_trim(clone, "cd c && git rev-parse --symbolic-full-name @{upstream}");
	path = wfm_fs_join(clone, "c");
	assert_wfm_ok(wfm_repo_open(&r, path));
	assert_wfm_ok(wfm_repo_upstream(&got, r));
	assert_string_equal(got, want);
	assert_string_equal(got, "refs/remotes/up/main");
	free(got);
	free(want);

	/* a local upstream (remote "."), then none, then a detached HEAD */
	free(wfm_test_sh(clone, "cd c && git branch -q --set-upstream-to=main"));
	assert_wfm_ok(wfm_repo_upstream(&got, r));
	assert_string_equal(got, "refs/heads/main");
	free(got);
	free(wfm_test_sh(clone, "cd c && git branch -q --unset-upstream"));
	assert_int_equal(wfm_repo_upstream(&got, r), WFM_ENOTFOUND);
	assert_null(got);
	assert_string_equal(wfm_error_last(), "the current branch has no upstream");
	free(wfm_test_sh(clone, "cd c && git checkout -q --detach"));
	assert_int_equal(wfm_repo_upstream(&got, r), WFM_ENOTFOUND);
	wfm_repo_free(r);
	wfm_test_rmtree(clone);
	free(clone);
	free(path);
}

static void test_repo__empty_repository_head(void **state)
{
	struct wfm_repo *r = NULL;
	char oid[WFM_OID_HEXSZ + 1];
	char *empty = wfm_test_repo_new();

	assert_wfm_ok(wfm_repo_open(&r, empty));
	assert_int_equal(wfm_repo_resolve_commit(oid, r, "HEAD"), WFM_ENOTFOUND);
	assert_string_equal(wfm_error_last(), "'HEAD' has no commits yet");
	wfm_repo_free(r);
	wfm_test_rmtree(empty);
	free(empty);
}

static void test_repo__settings_precedence(void **state)
{
	struct wfm_repo *r = NULL;
	unsigned long n = 5;
	char *v;

	assert_wfm_ok(wfm_repo_open(&r, repo));
	unsetenv("WFMIGRATE_ORACLE_TIMEOUT");
	assert_null(wfm_setting_get(r, NULL, "oracle.timeout"));
	setenv("WFMIGRATE_ORACLE_TIMEOUT", "30", 1);
	v = wfm_setting_get(r, NULL, "oracle.timeout");
	assert_string_equal(v, "30");
	free(v);
	free(wfm_test_sh(repo, "git config wfmigrate.oracle.timeout 20"));
	v = wfm_setting_get(r, NULL, "oracle.timeout");
	assert_string_equal(v, "20");
	free(v);
	v = wfm_setting_get(r, "10", "oracle.timeout");
	assert_string_equal(v, "10");
	free(v);
	assert_wfm_ok(wfm_setting_get_ulong(&n, r, NULL, "oracle.timeout"));
	assert_int_equal(n, 20);
	free(wfm_test_sh(repo, "git config wfmigrate.oracle.timeout soon"));
	/* a bad setting is WFM_ECONFIG (fatal); only a bad option is WFM_EINVALID (usage) */
	assert_int_equal(wfm_setting_get_ulong(&n, r, NULL, "oracle.timeout"), WFM_ECONFIG);
	assert_non_null(strstr(wfm_error_last(), "from git config"));
	assert_int_equal(n, 20);
	assert_int_equal(wfm_setting_get_ulong(&n, r, "1x", "oracle.timeout"), WFM_EINVALID);
	assert_non_null(strstr(wfm_error_last(), "'1x' for 'oracle.timeout' (from option)"));
	assert_int_equal(n, 20);
	free(wfm_test_sh(repo, "git config --unset wfmigrate.oracle.timeout"));
	setenv("WFMIGRATE_ORACLE_TIMEOUT", "-3", 1);
	assert_int_equal(wfm_setting_get_ulong(&n, r, NULL, "oracle.timeout"), WFM_ECONFIG);
	assert_non_null(strstr(wfm_error_last(), "from environment"));
	assert_int_equal(n, 20);
	unsetenv("WFMIGRATE_ORACLE_TIMEOUT");
	wfm_repo_free(r);
}

static void test_repo__clear_ref_locks(void **state)
{
	struct wfm_repo *r = NULL;
	char *left;
	unsigned removed = 99;

	/* what a process killed while it moved wfmigrate/run1/impl-a leaves */
	free(wfm_test_sh(repo, "git branch wfmigrate/run1/impl-a && git branch wfmigrate/run2/x && "
			       "mkdir -p .git/refs/heads/wfmigrate/run1/sub && "
			       ": > .git/refs/heads/wfmigrate/run1/impl-a.lock && "
			       ": > .git/refs/heads/wfmigrate/run1/sub/new.lock && "
			       ": > .git/logs/refs/heads/wfmigrate/run1/impl-a.lock && "
			       ": > .git/refs/heads/wfmigrate/run2/x.lock"));
	assert_wfm_ok(wfm_repo_open(&r, repo));
	assert_wfm_ok(wfm_repo_clear_ref_locks(&removed, r, "refs/heads/wfmigrate/run1"));
	assert_int_equal(removed, 3);
	/* the refs themselves stay, another run's locks too */
	left = wfm_test_sh(repo, "git rev-parse -q --verify wfmigrate/run1/impl-a >/dev/null && "
				 "find .git/refs .git/logs -name '*.lock' | sort | tr '\\n' ' '");
	assert_string_equal(left, ".git/refs/heads/wfmigrate/run2/x.lock ");
	free(left);
	assert_wfm_ok(wfm_repo_clear_ref_locks(&removed, r, "refs/heads/wfmigrate/none"));
	assert_int_equal(removed, 0);
	wfm_repo_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_repo__open_from_subdirectory),
		cmocka_unit_test(test_repo__open_from_linked_worktree),
		cmocka_unit_test(test_repo__not_a_repository),
		cmocka_unit_test(test_repo__resolve_commit),
		cmocka_unit_test(test_repo__empty_repository_head),
		cmocka_unit_test(test_repo__settings_precedence),
		cmocka_unit_test(test_repo__clear_ref_locks),
		cmocka_unit_test(test_repo__upstream),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
