#include "support/test.h"
#include "base/datadir.h"

static void test_datadir__environment_first(void **state)
{
	char *dir = wfm_test_tmpdir();
	char *path = NULL;
	char want[PATH_MAX];

	wfm_test_write(dir, "runtime/harness.mjs", "// elsewhere\n");
	setenv("WFMIGRATE_DATADIR", dir, 1);
	assert_wfm_ok(wfm_datadir_find(&path, "runtime/harness.mjs"));
	snprintf(want, sizeof(want), "%s/runtime/harness.mjs", dir);
	assert_string_equal(path, want);
	free(path);
	wfm_test_rmtree(dir);
	free(dir);
}

static void test_datadir__falls_back_to_the_source_tree(void **state)
{
	char *dir = wfm_test_tmpdir();
	char *path = NULL;

	/* set, but without the file: the next place is used (the build's source tree here) */
	setenv("WFMIGRATE_DATADIR", dir, 1);
	assert_wfm_ok(wfm_datadir_find(&path, "runtime/harness.mjs"));
	/* an installed copy comes before the source tree */
	if (access(WFM_DATADIR "/runtime/harness.mjs", F_OK) == 0)
		assert_string_equal(path, WFM_DATADIR "/runtime/harness.mjs");
	else
		assert_string_equal(path, WFM_SOURCE_DIR "/runtime/harness.mjs");
	free(path);
	setenv("WFMIGRATE_DATADIR", "", 1);
	assert_wfm_ok(wfm_datadir_find(&path, "runtime/harness.mjs"));
	assert_non_null(strstr(path, "/runtime/harness.mjs"));
	free(path);
	wfm_test_rmtree(dir);
	free(dir);
}

static void test_datadir__not_found_says_where(void **state)
{
	char *path = (char *)1;
	char want[PATH_MAX * 3];

	setenv("WFMIGRATE_DATADIR", "/nonexistent/data", 1);
	assert_int_equal(wfm_datadir_find(&path, "workflows/nope.js"), WFM_ENOTFOUND);
	assert_null(path);
	snprintf(want, sizeof(want),
		 "cannot find 'workflows/nope.js' (looked at "
		 "'/nonexistent/data/workflows/nope.js', '%s/workflows/nope.js', "
		 "'%s/workflows/nope.js')",
		 WFM_DATADIR, WFM_SOURCE_DIR);
	assert_string_equal(wfm_error_last(), want);
	assert_int_equal(wfm_datadir_find(&path, "/etc/passwd"), WFM_EINVALID);
	assert_int_equal(wfm_datadir_find(&path, ""), WFM_EINVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_datadir__environment_first),
		cmocka_unit_test(test_datadir__falls_back_to_the_source_tree),
		cmocka_unit_test(test_datadir__not_found_says_where),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
