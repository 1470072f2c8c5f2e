#include "support/test.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/utf8.h"

#include <math.h>

static void test_json__utf8_sequences(void **state)
{
	assert_int_equal(wfm_utf8_seq("a", 1), 1);
	assert_int_equal(wfm_utf8_seq("\xc3\xa9", 2), 2);	  /* é */
	assert_int_equal(wfm_utf8_seq("\xe2\x82\xac", 3), 3);	  /* € */
	assert_int_equal(wfm_utf8_seq("\xf0\x9f\x98\x80", 4), 4); /* 😀 */
	assert_int_equal(wfm_utf8_seq("\0", 1), 0);
	assert_int_equal(wfm_utf8_seq("\x80", 1), 0);		  /* stray continuation */
	assert_int_equal(wfm_utf8_seq("\xc0\xaf", 2), 0);	  /* overlong '/' */
	assert_int_equal(wfm_utf8_seq("\xe0\x80\xaf", 3), 0);	  /* overlong */
	assert_int_equal(wfm_utf8_seq("\xed\xa0\x80", 3), 0);	  /* surrogate */
	assert_int_equal(wfm_utf8_seq("\xf4\x90\x80\x80", 4), 0); /* past U+10FFFF */
	assert_int_equal(wfm_utf8_seq("\xe2\x82", 2), 0);	  /* cut short */
	assert_true(wfm_utf8_valid("plain \xc3\xa9t\xc3\xa9", 11));
	assert_false(wfm_utf8_valid("a\0b", 3));
}

static void test_json__lossy_replaces_each_bad_byte(void **state)
{
	struct wfm_buf b = WFM_BUF_INIT;

	wfm_utf8_lossy(&b,
		       "a\xff"
		       "b\0c\xc3\xa9",
		       7);
	assert_int_equal(b.len, 11);
	assert_memory_equal(b.ptr,
			    "a\xef\xbf\xbd"
			    "b\xef\xbf\xbd"
			    "c\xc3\xa9",
			    11);
	wfm_buf_release(&b);
}

static void assert_first_line(const char *text, size_t max, const char *want)
{
	size_t n;
	const char *p = wfm_utf8_first_line(&n, text, max);

	assert_int_equal(n, strlen(want));
	assert_memory_equal(p, want, n);
}

static void test_json__utf8_first_line(void **state)
{
	assert_first_line("  Fix the call\nmore", 72, "Fix the call");
	assert_first_line("\n\n  \t first real line  \r\nnext", 72, "first real line");
	assert_first_line("caf\xc3\xa9 au lait", 4, "caf"); /* never half a character */
	assert_first_line("ab  cd", 3, "ab");		    /* no blank at the end */
	assert_first_line(" \n\t", 72, "");
}

static void test_json__document_is_valid_for_any_bytes(void **state)
{
	struct wfm_buf out = WFM_BUF_INIT;
	cJSON *obj = wfm_json_object(), *arr = wfm_json_array(), *back;

	wfm_json_add_strn(obj, "raw", "x\"\\\n\x01\xfe\0y", 8);
	wfm_json_add_num(obj, "n", 42);
	wfm_json_add_bool(obj, "ok", 1);
	wfm_json_add_null(obj, "none");
	wfm_json_add_str(arr, NULL, "one");
	wfm_json_add_str(arr, NULL, "tw\xc3");
	wfm_json_add(obj, "list", arr);
	wfm_json_print(&out, obj);
	cJSON_Delete(obj);

	back = cJSON_ParseWithLength(out.ptr, out.len);
	assert_non_null(back);
	assert_string_equal(cJSON_GetObjectItem(back, "raw")->valuestring,
			    "x\"\\\n\x01\xef\xbf\xbd\xef\xbf\xbdy");
	assert_int_equal(cJSON_GetObjectItem(back, "n")->valueint, 42);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(back, "ok")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(back, "none")));
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(back, "list"), 1)->valuestring,
			    "tw\xef\xbf\xbd");
	assert_true(wfm_utf8_valid(out.ptr, out.len));
	cJSON_Delete(back);
	wfm_buf_release(&out);
}

/* ---- canonical form and parsing ---- */

static char *canon_of(const char *text)
{
	struct wfm_buf out = WFM_BUF_INIT;
	cJSON *v = NULL;

	assert_wfm_ok(wfm_json_parse(&v, text, strlen(text)));
	wfm_json_canonical(&out, v);
	cJSON_Delete(v);
	return wfm_buf_detach(&out, NULL);
}

#define assert_canon(text, want)                                                                   \
	do {                                                                                       \
		char *got_ = canon_of(text);                                                       \
		assert_string_equal(got_, want);                                                   \
		free(got_);                                                                        \
	} while (0)

static void test_json__canonical_sorts_keys_at_every_depth(void **state)
{
	assert_canon("{ \"b\" : 1, \"a\" : { \"z\": [3, {\"y\":1,\"x\":2}], \"c\": null } }",
		     "{\"a\":{\"c\":null,\"z\":[3,{\"x\":2,\"y\":1}]},\"b\":1}");
	/* by bytes: upper case before lower case, a prefix before its extensions, UTF-8 last */
	assert_canon("{\"\xc3\xa9\":1,\"ab\":2,\"a\":3,\"B\":4,\"\":5}",
		     "{\"\":5,\"B\":4,\"a\":3,\"ab\":2,\"\xc3\xa9\":1}");
	/* a key twice: by value, so member order still does not matter */
	assert_canon("{\"k\":2,\"k\":1}", "{\"k\":1,\"k\":2}");
	assert_canon("{\"k\":1,\"k\":2}", "{\"k\":1,\"k\":2}");
	assert_canon("[]", "[]");
	assert_canon("{}", "{}");
	assert_canon(" [ true , false , null ] ", "[true,false,null]");
}

static void test_json__canonical_numbers(void **state)
{
	assert_canon("[0, -0, 1, -1, 1.0, 1e3, 12345678901234, 9007199254740991]",
		     "[0,0,1,-1,1,1000,12345678901234,9007199254740991]");
	assert_canon("[0.5, -2.25, 0.1]", "[0.5,-2.25,0.10000000000000001]");
	assert_canon("[9007199254740992, 1e300, 1.5e-7]",
		     "[9007199254740992,1.0000000000000001e+300,1.4999999999999999e-07]");

	struct wfm_buf out = WFM_BUF_INIT;
	cJSON *arr = wfm_json_array();

	wfm_json_add_num(arr, NULL, NAN);
	wfm_json_add_num(arr, NULL, INFINITY);
	wfm_json_add_num(arr, NULL, -INFINITY);
	wfm_json_canonical(&out, arr);
	assert_string_equal(out.ptr, "[null,null,null]");
	cJSON_Delete(arr);
	wfm_buf_release(&out);
}

static void test_json__canonical_strings(void **state)
{
	struct wfm_buf out = WFM_BUF_INIT;
	cJSON *obj = wfm_json_object();

	/* only what JSON requires is escaped; "/", DEL and non-ASCII are not */
	assert_canon("\"a\\\"b\\\\c\\/d\\u0001\\u001f\\b\\f\\n\\r\\t\\u007f\\u00e9\\ud83d\\ude00\"",
		     "\"a\\\"b\\\\c/d\\u0001\\u001f\\b\\f\\n\\r\\t\x7f\xc3\xa9\xf0\x9f\x98\x80\"");
	/* invalid UTF-8 (built behind the helpers' back) becomes U+FFFD, in keys too */
	cJSON_AddItemToObject(obj, "k\xff", cJSON_CreateString("v\xc3"));
	cJSON_AddItemToObject(obj, "a", cJSON_CreateString("\xed\xa0\x80"));
	wfm_json_canonical(&out, obj);
	assert_string_equal(out.ptr, "{\"a\":\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\","
				     "\"k\xef\xbf\xbd\":\"v\xef\xbf\xbd\"}");
	assert_true(wfm_utf8_valid(out.ptr, out.len));
	cJSON_Delete(obj);
	wfm_buf_release(&out);
}

static void test_json__canonical_ignores_member_order(void **state)
{
	char *a = canon_of("{\"prompt\":\"fix it\",\"opts\":{\"model\":\"m\",\"tools\":[\"Read\"]},"
			   "\"n\":2}");
	char *b = canon_of("{\"n\":2.0,\"opts\":{\"tools\":[\"Read\"],\"model\":\"m\"},"
			   "\"prompt\":\"fix it\"}");

	assert_string_equal(a, b);
	free(a);
	free(b);
	/* but array order matters */
	a = canon_of("[1,2]");
	b = canon_of("[2,1]");
	assert_string_not_equal(a, b);
	free(a);
	free(b);
}

static void test_json__parse_reports_the_byte(void **state)
{
	cJSON *v = NULL;

	assert_int_equal(wfm_json_parse(&v, "{\"a\":}", 6), WFM_EINVALID);
	assert_null(v);
	assert_string_equal(wfm_error_last(), "invalid JSON at byte 5");
	assert_int_equal(wfm_json_parse(&v, "", 0), WFM_EINVALID);
	assert_string_equal(wfm_error_last(), "invalid JSON at byte 0");
	/* one value only: trailing whitespace is fine, anything else is not */
	assert_int_equal(wfm_json_parse(&v, "[1] x", 5), WFM_EINVALID);
	assert_string_equal(wfm_error_last(), "invalid JSON at byte 4");
	assert_int_equal(wfm_json_parse(&v, "[1]\0", 4), WFM_EINVALID);
	assert_string_equal(wfm_error_last(), "invalid JSON at byte 3");
	assert_int_equal(wfm_json_parse(&v, "\"a\0b\"", 5), WFM_EINVALID);
	assert_string_equal(wfm_error_last(), "invalid JSON at byte 2");
	/* len bounds the input: what follows is not read */
	assert_wfm_ok(wfm_json_parse(&v, "[1]garbage", 3));
	assert_true(cJSON_IsArray(v));
	cJSON_Delete(v);
	assert_wfm_ok(wfm_json_parse(&v, " {\"a\":[1,2]}\r\n", 14));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(v, "a")), 2);
	cJSON_Delete(v);
}

static void test_json__getters(void **state)
{
	cJSON *v = NULL;

	assert_wfm_ok(wfm_json_parse(&v, "{\"s\":\"x\",\"n\":3.5,\"z\":null}", 26));
	assert_string_equal(wfm_json_get_str(v, "s", "d"), "x");
	assert_string_equal(wfm_json_get_str(v, "n", "d"), "d"); /* not a string */
	assert_string_equal(wfm_json_get_str(v, "missing", "d"), "d");
	assert_null(wfm_json_get_str(v, "z", NULL));
	assert_true(wfm_json_get_num(v, "n", 0) == 3.5);
	assert_true(wfm_json_get_num(v, "s", -1) == -1);
	assert_true(wfm_json_get_num(v, "z", 7) == 7);
	/* not an object, or none */
	assert_true(wfm_json_get_num(cJSON_GetObjectItem(v, "s"), "n", 2) == 2);
	assert_string_equal(wfm_json_get_str(NULL, "s", "d"), "d");
	cJSON_Delete(v);
}

static void test_json__get_nonempty(void **state)
{
	const char *doc = "{\"s\":\"x\",\"e\":\"\",\"n\":1,\"a\":[\"y\"]}";
	cJSON *v = NULL;

	assert_wfm_ok(wfm_json_parse(&v, doc, strlen(doc)));
	assert_string_equal(wfm_json_get_nonempty(v, "s"), "x");
	assert_null(wfm_json_get_nonempty(v, "e")); /* empty */
	assert_null(wfm_json_get_nonempty(v, "n")); /* not a string */
	assert_null(wfm_json_get_nonempty(v, "a"));
	assert_null(wfm_json_get_nonempty(v, "missing"));
	assert_null(wfm_json_get_nonempty(cJSON_GetObjectItem(v, "a"), "s")); /* not an object */
	assert_null(wfm_json_get_nonempty(NULL, "s"));
	cJSON_Delete(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json__utf8_sequences),
		cmocka_unit_test(test_json__utf8_first_line),
		cmocka_unit_test(test_json__lossy_replaces_each_bad_byte),
		cmocka_unit_test(test_json__document_is_valid_for_any_bytes),
		cmocka_unit_test(test_json__canonical_sorts_keys_at_every_depth),
		cmocka_unit_test(test_json__canonical_numbers),
		cmocka_unit_test(test_json__canonical_strings),
		cmocka_unit_test(test_json__canonical_ignores_member_order),
		cmocka_unit_test(test_json__parse_reports_the_byte),
		cmocka_unit_test(test_json__getters),
		cmocka_unit_test(test_json__get_nonempty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
