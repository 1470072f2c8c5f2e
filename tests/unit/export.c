#include "support/test.h"
#include "base/strvec.h"
#include "engine/export.h"

static void test_export__rubric_names(void **state)
{
	struct wfm_strvec names = WFM_STRVEC_INIT;

	(void)state;
	wfm_export_rubric_names(&names,
				"const a = await rubric('migration')\n"
				"const b = rubric( \"security\" ) + rubric(`style`)\n"
				"again: rubric('migration')\n"		 /* once */
				"args.rubric ?? x.rubric('nope')\n"	 /* a property, a method */
				"myrubric('nope'); rubricText('nope')\n" /* other names */
				"rubric(name); rubric(`t-${x}`); rubric('')\n" /* not literal */
				"rubric('a\nb')\n");
	assert_int_equal(names.nr, 3);
	assert_string_equal(names.v[0], "migration");
	assert_string_equal(names.v[1], "security");
	assert_string_equal(names.v[2], "style");
	wfm_strvec_clear(&names);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_export__rubric_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
