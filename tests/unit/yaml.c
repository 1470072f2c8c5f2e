/*
 * The libyaml adapter (src/base/yaml.c): documents as JSON trees, scalars
 * as strings, the plain null forms as null, errors with their line.
 */
#include "support/test.h"
#include "base/buf.h"
#include "base/yaml.h"

/* text's canonical JSON (free()) */
static char *yaml_json(const char *text)
{
	struct wfm_buf out = WFM_BUF_INIT;
	cJSON *v = NULL;
	size_t line = 99;

	assert_wfm_ok(wfm_yaml_parse(&v, &line, text, strlen(text)));
	assert_int_equal(line, 0);
	wfm_json_canonical(&out, v);
	cJSON_Delete(v);
	return wfm_buf_detach(&out, NULL);
}

static void assert_yaml(const char *text, const char *json)
{
	char *got = yaml_json(text);

	assert_string_equal(got, json);
	free(got);
}

static void test_yaml__values(void **state)
{
	(void)state;
	assert_yaml("", "null");
	assert_yaml("a: 1\nb: true\nc: x, y\n", "{\"a\":\"1\",\"b\":\"true\",\"c\":\"x, y\"}");
	assert_yaml("n1:\nn2: ~\nn3: null\nq: 'null'\ne: \"\"\n",
		    "{\"e\":\"\",\"n1\":null,\"n2\":null,\"n3\":null,\"q\":\"null\"}");
	assert_yaml("l:\n  - a\n  - [b, c]\nm: {k: v}\n",
		    "{\"l\":[\"a\",[\"b\",\"c\"]],\"m\":{\"k\":\"v\"}}");
	assert_yaml("d: |\n  two\n  lines\n", "{\"d\":\"two\\nlines\\n\"}");
	assert_yaml("a: &x [1, 2]\nb: *x\n", "{\"a\":[\"1\",\"2\"],\"b\":[\"1\",\"2\"]}");
	assert_yaml("- x\n", "[\"x\"]");
}

static void test_yaml__errors(void **state)
{
	struct wfm_buf deep = WFM_BUF_INIT;
	cJSON *v = (cJSON *)1;
	size_t line = 0;
	const char *bad = "a: 1\nb: c: d\n";

	(void)state;
	assert_int_equal(wfm_yaml_parse(&v, &line, bad, strlen(bad)), WFM_EINVALID);
	assert_null(v);
	assert_int_equal(line, 2);
	assert_string_equal(wfm_error_last(), "mapping values are not allowed in this context");

	bad = "a: 1\n\nb: [x, y\n";
	assert_int_equal(wfm_yaml_parse(&v, &line, bad, strlen(bad)), WFM_EINVALID);
	assert_true(line >= 3);

	bad = "? [a, b]\n: c\n";
	assert_int_equal(wfm_yaml_parse(&v, &line, bad, strlen(bad)), WFM_EINVALID);
	assert_int_equal(line, 1);
	assert_string_equal(wfm_error_last(), "a mapping key that is not a scalar");

	for (int i = 0; i < 600; i++)
		wfm_buf_addch(&deep, '[');
	assert_int_equal(wfm_yaml_parse(&v, &line, deep.ptr, deep.len), WFM_EINVALID);
	assert_null(v);
	wfm_buf_release(&deep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml__values),
		cmocka_unit_test(test_yaml__errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
