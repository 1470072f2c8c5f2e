#include "support/test.h"

#include <pthread.h>

#include "base/regex.h"

static int matches(const char *pattern, unsigned flags, const char *subject)
{
	struct wfm_regex *re = NULL;
	int rc;

	assert_wfm_ok(wfm_regex_compile(&re, pattern, flags));
	rc = wfm_regex_match(re, subject, strlen(subject), 0, NULL);
	wfm_regex_free(re);
	return rc;
}

static void test_regex__groups_and_offsets(void **state)
{
	struct wfm_regex *re = NULL;
	struct wfm_regex_match m;
	const char *s = "int add(int a) { return a; }";

	assert_wfm_ok(wfm_regex_compile(&re, "(\\w+)\\((int) (\\w)\\)", 0));
	assert_int_equal(wfm_regex_match(re, s, strlen(s), 0, &m), 1);
	assert_int_equal(m.start[0], 4);
	assert_int_equal(m.end[0], 14);
	assert_int_equal(m.start[1], 4);
	assert_int_equal(m.end[1], 7);
	assert_int_equal(m.start[3], 12);
	assert_int_equal(m.start[4], -1); /* no such group */
	/* from an offset */
	assert_int_equal(wfm_regex_match(re, s, strlen(s), 14, NULL), 0);
	/* a subject with a length, not a C string: the NUL is a byte like others */
	assert_int_equal(wfm_regex_match(re, "f(int x)\0g(int y)", 17, 9, &m), 1);
	assert_int_equal(m.start[0], 9);
	wfm_regex_free(re);
}

static void test_regex__flags(void **state)
{
	assert_int_equal(matches("RETURN", 0, "return 1"), 0);
	assert_int_equal(matches("RETURN", WFM_REGEX_CASELESS, "return 1"), 1);
	assert_int_equal(matches("^b$", 0, "a\nb\nc"), 0);
	assert_int_equal(matches("^b$", WFM_REGEX_MULTILINE, "a\nb\nc"), 1);
}

static void test_regex__utf8(void **state)
{
	struct wfm_regex *re = NULL;
	struct wfm_regex_match m;
	const char *s = "caf\xc3\xa9 na\xc3\xafve";

	/* characters, not bytes: one '.' for 'é' */
	assert_int_equal(matches("^caf.$", WFM_REGEX_MULTILINE, "caf\xc3\xa9\n"), 1);
	/* \w knows letters beyond ASCII (UCP) */
	assert_wfm_ok(wfm_regex_compile(&re, "\\w+", 0));
	assert_int_equal(wfm_regex_match(re, s, strlen(s), 5, &m), 1);
	assert_int_equal(m.start[0], 6);
	assert_int_equal(m.end[0], 12); /* "naïve" is 6 bytes */
	wfm_regex_free(re);
	assert_int_equal(matches("\xc3\xa9", WFM_REGEX_CASELESS, "CAF\xc3\x89"), 1);
}

static void test_regex__invalid_utf8_subject_does_not_match(void **state)
{
	/* invalid sequences are never matched, and are not an error */
	assert_int_equal(matches("a.b", 0,
				 "a\xff"
				 "b"),
			 0);
	assert_int_equal(matches("a.b", 0,
				 "a\xc3\x28"
				 "b"),
			 0);
	/* the valid text around them still matches */
	assert_int_equal(matches("ok", 0, "\xff\xfe ok \xc0"), 1);
	assert_int_equal(matches("\\w+", 0, "\xed\xa0\x80"), 0); /* a surrogate */
}

static void test_regex__match_limit(void **state)
{
	struct wfm_regex *re = NULL;
	char s[64];

	memset(s, 'a', sizeof(s) - 2);
	s[sizeof(s) - 2] = 'b';
	s[sizeof(s) - 1] = '\0';
	assert_wfm_ok(wfm_regex_compile(&re, "^(a+)+$", 0));
	assert_int_equal(wfm_regex_match(re, s, strlen(s), 0, NULL), WFM_EBUDGET);
	assert_non_null(strstr(wfm_error_last(), "match limit"));
	/* the pattern is still usable on reasonable input */
	assert_int_equal(wfm_regex_match(re, "aaaa", 4, 0, NULL), 1);
	wfm_regex_free(re);
}

static void test_regex__bad_pattern(void **state)
{
	struct wfm_regex *re = (struct wfm_regex *)1;

	assert_int_equal(wfm_regex_compile(&re, "(unclosed", 0), WFM_EINVALID);
	assert_null(re);
	assert_string_equal(wfm_error_last(),
			    "invalid pattern '(unclosed' at offset 9: missing closing parenthesis");
	assert_int_equal(wfm_regex_compile(&re, "a{2,1}", 0), WFM_EINVALID);
	assert_non_null(strstr(wfm_error_last(), "at offset 5: numbers out of order"));
	/* a pattern that is not valid UTF-8 itself */
	assert_int_equal(wfm_regex_compile(&re, "a\xff", 0), WFM_EINVALID);
	assert_non_null(strstr(wfm_error_last(), "at offset 1: UTF-8 error"));
	wfm_regex_free(NULL);
}

static void *match_many(void *arg)
{
	const struct wfm_regex *re = arg;
	long bad = 0;

	for (int i = 0; i < 2000; i++) {
		bad += wfm_regex_match(re, "x\xc3\xa9z", 4, 0, NULL) != 1;
		bad += wfm_regex_match(re, "xz", 2, 0, NULL) != 1;
		bad += wfm_regex_match(re, "x\xc3\xa9\xc3\xa9z", 6, 0, NULL) != 0;
	}
	return (void *)bad;
}

static void test_regex__shared_by_threads(void **state)
{
	struct wfm_regex *re = NULL;
	pthread_t t[4];

	assert_wfm_ok(wfm_regex_compile(&re, "x(\\w)?z", 0));
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, match_many, re), 0);
	for (int i = 0; i < 4; i++) {
		void *bad;
		pthread_join(t[i], &bad);
		assert_int_equal((long)bad, 0);
	}
	wfm_regex_free(re);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regex__groups_and_offsets),
		cmocka_unit_test(test_regex__flags),
		cmocka_unit_test(test_regex__utf8),
		cmocka_unit_test(test_regex__invalid_utf8_subject_does_not_match),
		cmocka_unit_test(test_regex__match_limit),
		cmocka_unit_test(test_regex__bad_pattern),
		cmocka_unit_test(test_regex__shared_by_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
