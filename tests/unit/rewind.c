#include "support/test.h"
#include "git/repo.h"
#include "git/rewind.h"

/*
 * A branch wfmigrate/r/shared on top of a base commit: commits a, b and c
 * carry Wfmigrate-Request trailers with keys; keep() accepts the keys in
 * its list, as the journal accepts the requests it recorded.
 */
static char *repo;
static struct wfm_repo *r;

static int setup(void **state)
{
	assert_wfm_ok(wfm_git_init());
	repo = wfm_test_repo_new();
	free(wfm_test_sh(repo,
			 "echo base > f && git add f && git commit -qm base && git tag base && "
			 "git checkout -q -b wfmigrate/r/shared && "
			 "for k in a b c; do echo $k >> f && git commit -qam \"$k: edit"
			 "\n\nWfmigrate-Run: r\nWfmigrate-Request: key-$k#1\" && git tag $k; "
			 "done && git checkout -q --detach base"));
	assert_wfm_ok(wfm_repo_open(&r, repo));
	return 0;
}

static int teardown(void **state)
{
	wfm_repo_free(r);
	wfm_test_rmtree(repo);
	free(repo);
	wfm_git_shutdown();
	return 0;
}

static int keep_listed(const char *value, void *data)
{
	for (const char *const *k = data; *k; k++)
		if (!strcmp(*k, value))
			return 1;
	return 0;
}

static void assert_rewound_to(const char *const *keep, const char *tag)
{
	char out[WFM_OID_HEXSZ + 1];
	char *want = wfm_test_sh_trim(repo, "git rev-parse %s^{commit}", tag);
	char *tip;

	assert_wfm_ok(wfm_branch_rewind(out, r, "refs/heads/wfmigrate/r/shared",
					"Wfmigrate-Request", keep_listed, (void *)keep));
	assert_string_equal(out, want);
	tip = wfm_test_sh_trim(repo, "git rev-parse wfmigrate/r/shared");
	assert_string_equal(tip, want);
	free(tip);
	free(want);
}

static void test_rewind__all_journaled_stays(void **state)
{
	const char *const keep[] = { "key-a#1", "key-b#1", "key-c#1", NULL };

	assert_rewound_to(keep, "c");
}

static void test_rewind__drops_what_the_journal_lacks(void **state)
{
	const char *const keep[] = { "key-a#1", "key-b#1", NULL };
	const char *const none[] = { NULL };

	assert_rewound_to(keep, "b");
	/* and on, down to the base, which has no trailer */
	assert_rewound_to(none, "base");
}

static void test_rewind__missing_branch(void **state)
{
	const char *const none[] = { NULL };
	char out[WFM_OID_HEXSZ + 1] = "x";

	assert_int_equal(wfm_branch_rewind(out, r, "refs/heads/wfmigrate/r/nope",
					   "Wfmigrate-Request", keep_listed, (void *)none),
			 WFM_ENOTFOUND);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rewind__all_journaled_stays, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rewind__drops_what_the_journal_lacks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rewind__missing_branch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
