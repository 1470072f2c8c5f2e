#include "support/test.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/utf8.h"

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

	wfm_utf8_lossy(&b, "a\xff" "b\0c\xc3\xa9", 7);
	assert_int_equal(b.len, 11);
	assert_memory_equal(b.ptr, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xc3\xa9", 11);
	wfm_buf_release(&b);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json__utf8_sequences),
		cmocka_unit_test(test_json__lossy_replaces_each_bad_byte),
		cmocka_unit_test(test_json__document_is_valid_for_any_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
