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

	/* set, but without the file: the next place is used; this binary is in the build tree */
	setenv("WFMIGRATE_DATADIR", dir, 1);
	assert_wfm_ok(wfm_datadir_find(&path, "runtime/harness.mjs"));
	assert_string_equal(path, WFM_SOURCE_DIR "/runtime/harness.mjs");
	free(path);
	setenv("WFMIGRATE_DATADIR", "", 1);
	assert_wfm_ok(wfm_datadir_find(&path, "runtime/harness.mjs"));
	assert_string_equal(path, WFM_SOURCE_DIR "/runtime/harness.mjs");
	free(path);
	wfm_test_rmtree(dir);
	free(dir);
}

static void test_datadir__not_found_says_where(void **state)
{
	char *path = (char *)1;
	char want[PATH_MAX * 4], *self = realpath("/proc/self/exe", NULL);

	assert_non_null(self);
	*strrchr(self, '/') = '\0';
	*strrchr(self, '/') = '\0'; /* the prefix of the binary's bin/ */
	setenv("WFMIGRATE_DATADIR", "/nonexistent/data", 1);
	assert_int_equal(wfm_datadir_find(&path, "workflows/nope.js"), WFM_ENOTFOUND);
	assert_null(path);
	snprintf(want, sizeof(want),
		 "cannot find 'workflows/nope.js' (looked at "
		 "'/nonexistent/data/workflows/nope.js', "
		 "'%s/share/git-wfmigrate/workflows/nope.js', '%s/workflows/nope.js', "
		 "'%s/workflows/nope.js')",
		 self, WFM_SOURCE_DIR, WFM_DATADIR);
	assert_string_equal(wfm_error_last(), want);
	assert_int_equal(wfm_datadir_find(&path, "/etc/passwd"), WFM_EINVALID);
	assert_int_equal(wfm_datadir_find(&path, ""), WFM_EINVALID);
	free(self);
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
