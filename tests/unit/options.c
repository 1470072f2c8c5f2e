#include "support/test.h"
#include "base/strvec.h"
#include "ui/options.h"

static const char *const usage[] = { "test [options] [<arg>...]", NULL };

struct vals {
	int flag, other;
	const char *str;
	unsigned long num;
	struct wfm_strvec list;
};

static int parse(struct vals *v, int argc, const char **argv, unsigned flags)
{
	const struct wfm_option opts[] = {
		WFM_OPT_GROUP("group"),
		WFM_OPT_BOOL('f', "flag", &v->flag, "a flag"),
		WFM_OPT_BOOL('o', "other", &v->other, "another flag"),
		WFM_OPT_STRING('s', "str", &v->str, "s", "a string"),
		WFM_OPT_UINT('n', "num", &v->num, "n", "a number", 1, 100),
		WFM_OPT_LIST(0, "item", &v->list, "item", "repeatable"),
		WFM_OPT_END(),
	};
	return wfm_parse_options(argc, argv, opts, usage, flags);
}

static void test_options__long_short_and_arguments(void **state)
{
	struct vals v = { 0 };
	const char *argv[] = { "cmd", "a", "--flag", "--str=x", "-n", "7", "b", "--item", "i1",
			       "--item=i2", NULL };
	int n = parse(&v, 10, argv, 0);

	assert_int_equal(n, 2);
	assert_string_equal(argv[0], "a");
	assert_string_equal(argv[1], "b");
	assert_null(argv[2]);
	assert_int_equal(v.flag, 1);
	assert_string_equal(v.str, "x");
	assert_int_equal(v.num, 7);
	assert_int_equal(v.list.nr, 2);
	assert_string_equal(v.list.v[1], "i2");
	wfm_strvec_clear(&v.list);
}

static void test_options__bundled_short_and_attached_value(void **state)
{
	struct vals v = { 0 };
	const char *argv[] = { "cmd", "-fosval", "-n42", NULL };

	assert_int_equal(parse(&v, 3, argv, 0), 0);
	assert_int_equal(v.flag, 1);
	assert_int_equal(v.other, 1);
	assert_string_equal(v.str, "val");
	assert_int_equal(v.num, 42);
}

static void test_options__negation_and_double_dash(void **state)
{
	struct vals v = { .flag = 1 };
	const char *argv[] = { "cmd", "--no-flag", "--", "--str", "-f", NULL };

	assert_int_equal(parse(&v, 5, argv, 0), 2);
	assert_int_equal(v.flag, 0);
	assert_null(v.str);
	assert_string_equal(argv[0], "--str");
	assert_string_equal(argv[1], "-f");
}

static void test_options__stop_at_non_option(void **state)
{
	struct vals v = { 0 };
	const char *argv[] = { "cmd", "-f", "sub", "--other", NULL };

	assert_int_equal(parse(&v, 4, argv, WFM_PARSE_STOP_AT_NON_OPTION), 2);
	assert_int_equal(v.flag, 1);
	assert_int_equal(v.other, 0);
	assert_string_equal(argv[0], "sub");
	assert_string_equal(argv[1], "--other");
}

static void test_options__errors(void **state)
{
	struct vals v = { 0 };
	const char *unknown[] = { "cmd", "--bogus", NULL };
	const char *missing[] = { "cmd", "--str", NULL };
	const char *notnum[] = { "cmd", "--num=12x", NULL };
	const char *negative[] = { "cmd", "--num=-3", NULL };
	const char *range[] = { "cmd", "--num", "101", NULL };
	const char *boolval[] = { "cmd", "--flag=1", NULL };
	const char *shortunknown[] = { "cmd", "-fz", NULL };

	assert_int_equal(parse(&v, 2, unknown, 0), WFM_PARSE_ERROR);
	assert_int_equal(parse(&v, 2, missing, 0), WFM_PARSE_ERROR);
	assert_int_equal(parse(&v, 2, notnum, 0), WFM_PARSE_ERROR);
	assert_int_equal(parse(&v, 2, negative, 0), WFM_PARSE_ERROR);
	assert_int_equal(parse(&v, 3, range, 0), WFM_PARSE_ERROR);
	assert_int_equal(parse(&v, 2, boolval, 0), WFM_PARSE_ERROR);
	assert_int_equal(parse(&v, 2, shortunknown, 0), WFM_PARSE_ERROR);
	assert_int_equal(v.num, 0);
}

static void test_options__no_arguments(void **state)
{
	struct vals v = { 0 };
	const char *ok[] = { "cmd", "-f", NULL };
	const char *extra[] = { "cmd", "-f", "stray", NULL };

	assert_int_equal(parse(&v, 2, ok, WFM_PARSE_NO_ARGUMENTS), 0);
	assert_int_equal(parse(&v, 3, extra, WFM_PARSE_NO_ARGUMENTS), WFM_PARSE_ERROR);
}

static void test_options__help(void **state)
{
	struct vals v = { 0 };
	const char *argv[] = { "cmd", "-f", "-h", NULL };

	assert_int_equal(parse(&v, 3, argv, 0), WFM_PARSE_HELP);
}

static void test_options__usage_lists_every_option(void **state)
{
	struct vals v = { 0 };
	const struct wfm_option opts[] = {
		WFM_OPT_BOOL('f', "flag", &v.flag, "a flag"),
		WFM_OPT_STRING(0, "a-rather-long-option-name", &v.str, "value", "wraps"),
		WFM_OPT_END(),
	};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	wfm_usage_print(f, usage, opts);
	fclose(f);
	assert_non_null(strstr(text, "usage: test [options]"));
	assert_non_null(strstr(text, "-f, --flag"));
	assert_non_null(strstr(text, "--a-rather-long-option-name <value>\n"));
	assert_non_null(strstr(text, "wraps"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options__long_short_and_arguments),
		cmocka_unit_test(test_options__bundled_short_and_attached_value),
		cmocka_unit_test(test_options__negation_and_double_dash),
		cmocka_unit_test(test_options__stop_at_non_option),
		cmocka_unit_test(test_options__errors),
		cmocka_unit_test(test_options__no_arguments),
		cmocka_unit_test(test_options__help),
		cmocka_unit_test(test_options__usage_lists_every_option),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
