#include "support/test.h"
#include "engine/workflow.h"

static void test_workflow__is_path(void **state)
{
	(void)state;
	assert_true(wfm_workflow_is_path("./migrate"));
	assert_true(wfm_workflow_is_path("dir/migrate"));
	assert_true(wfm_workflow_is_path("/abs/wf"));
	assert_true(wfm_workflow_is_path("migrate.js"));
	assert_true(wfm_workflow_is_path("a.js"));
	assert_false(wfm_workflow_is_path("migrate"));
	assert_false(wfm_workflow_is_path(".js")); /* nothing before the suffix: a name */
	assert_false(wfm_workflow_is_path("a.jsx"));
	assert_false(wfm_workflow_is_path("my.js.name"));
	assert_false(wfm_workflow_is_path(""));
}

static void test_workflow__find_takes_a_path_as_it_is(void **state)
{
	struct wfm_workflow_where where = WFM_WORKFLOW_WHERE_INIT;
	char *dir = wfm_test_tmpdir(), *out = NULL;

	(void)state;
	free(wfm_test_sh(dir, "mkdir sub && echo 'export const meta = {}' > sub/wf.js"));
	where.cwd = dir;
	assert_wfm_ok(wfm_workflow_find(&out, "sub/wf.js", &where));
	assert_non_null(strstr(out, "/sub/wf.js"));
	assert_int_equal(out[0], '/');
	free(out);
	out = NULL;
	/* a path is never looked up by name: missing is missing */
	assert_int_equal(wfm_workflow_find(&out, "sub/none.js", &where), WFM_ENOTFOUND);
	assert_non_null(strstr(wfm_error_last(), "cannot read workflow 'sub/none.js'"));
	assert_null(out);
	wfm_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_workflow__is_path),
	    cmocka_unit_test(test_workflow__find_takes_a_path_as_it_is),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
