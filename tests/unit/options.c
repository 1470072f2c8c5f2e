#include "support/test.h"
#include "base/fs.h"
#include "base/strvec.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/options.h"

#include <fcntl.h>

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
	const char *argv[] = { "cmd", "a",	"--flag", "--str=x",   "-n", "7",
			       "b",   "--item", "i1",	  "--item=i2", NULL };
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

/* What fd 2 received while fn ran; a new string. */
static char *stderr_of(void (*fn)(void *), void *data)
{
	char *dir = wfm_test_tmpdir(), *path = wfm_fs_join(dir, "stderr"), *text;
	int fd, saved;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	close(fd);
	fn(data);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	text = wfm_test_read(path);
	wfm_test_rmtree(dir);
	free(dir);
	free(path);
	return text;
}

struct call {
	const char **argv;
	int argc, ret;
};

static void call_parse(void *data)
{
	struct call *c = data;
	struct vals v = { 0 };

	c->ret = parse(&v, c->argc, c->argv, WFM_PARSE_NO_ARGUMENTS);
	wfm_strvec_clear(&v.list);
}

/* Every usage error of the parser says what is wrong, then the usage text, on stderr. */
static void test_options__errors_print_usage(void **state)
{
	const char *unknown[] = { "cmd", "--bogus", NULL };
	const char *missing[] = { "cmd", "--str", NULL };
	const char *notnum[] = { "cmd", "--num=12x", NULL };
	const char *range[] = { "cmd", "--num", "101", NULL };
	const char *boolval[] = { "cmd", "--flag=1", NULL };
	const char *shortunknown[] = { "cmd", "-fz", NULL };
	const char *extra[] = { "cmd", "stray", NULL };
	struct {
		const char **argv;
		int argc;
		const char *error;
	} cases[] = {
		{ unknown, 2, "error: unknown option 'bogus'\n" },
		{ missing, 2, "error: option 'str' requires a value\n" },
		{ notnum, 2, "error: option '--num' expects a non-negative integer, not '12x'\n" },
		{ range, 3, "error: option '--num' must be between 1 and 100, not 101\n" },
		{ boolval, 2, "error: option 'flag' takes no value\n" },
		{ shortunknown, 2, "error: unknown switch 'z'\n" },
		{ extra, 2, "error: unexpected argument 'stray'\n" },
	};

	for (size_t i = 0; i < WFM_ARRAY_SIZE(cases); i++) {
		struct call c = { cases[i].argv, cases[i].argc, 0 };
		char *err = stderr_of(call_parse, &c);

		assert_int_equal(c.ret, WFM_PARSE_ERROR);
		if (strncmp(err, cases[i].error, strlen(cases[i].error)) ||
		    !strstr(err, "\nusage: test [options] [<arg>...]\n"))
			fail_msg("case %zu printed:\n%s", i, err);
		free(err);
	}
}

static void usage_error(void *data)
{
	*(int *)data = wfm_ui_usage_error(usage, NULL, "takes %d run", 1);
}

static void error_lib(void *data)
{
	int *err = data;

	wfm_error_set("the message");
	*err = wfm_ui_error_lib(*err);
}

static void usage_error_lib(void *data)
{
	int *err = data;

	wfm_error_set("the message");
	*err = wfm_ui_usage_error_lib(*err, usage, NULL);
}

/* The error and the exit code in one call: the code from the error's class. */
static void test_options__error_helpers(void **state)
{
	int v = 0;
	char *err = stderr_of(usage_error, &v);

	assert_int_equal(v, WFM_EXIT_USAGE);
	assert_string_equal(err, "error: takes 1 run\nusage: test [options] [<arg>...]\n");
	free(err);

	v = WFM_EINVALID;
	err = stderr_of(error_lib, &v);
	assert_int_equal(v, WFM_EXIT_USAGE);
	assert_string_equal(err, "error: the message\n");
	free(err);
	v = WFM_ECONFIG;
	err = stderr_of(error_lib, &v);
	assert_int_equal(v, WFM_EXIT_FATAL);
	assert_string_equal(err, "fatal: the message\n");
	free(err);
	v = WFM_ENOTFOUND;
	err = stderr_of(error_lib, &v);
	assert_int_equal(v, WFM_EXIT_FATAL);
	free(err);
	v = WFM_EAMBIGUOUS;
	err = stderr_of(error_lib, &v);
	assert_int_equal(v, WFM_EXIT_FATAL);
	free(err);

	v = WFM_EINVALID;
	err = stderr_of(usage_error_lib, &v);
	assert_int_equal(v, WFM_EXIT_USAGE);
	assert_string_equal(err, "error: the message\nusage: test [options] [<arg>...]\n");
	free(err);
	v = WFM_ECONFIG;
	err = stderr_of(usage_error_lib, &v);
	assert_int_equal(v, WFM_EXIT_FATAL);
	assert_string_equal(err, "fatal: the message\n");
	free(err);
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
		cmocka_unit_test(test_options__errors_print_usage),
		cmocka_unit_test(test_options__error_helpers),
		cmocka_unit_test(test_options__no_arguments),
		cmocka_unit_test(test_options__help),
		cmocka_unit_test(test_options__usage_lists_every_option),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
