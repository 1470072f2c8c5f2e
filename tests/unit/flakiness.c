#include "support/test.h"
#include "oracle/flakiness.h"
#include "oracle/oracle.h"
#include "oracle/test_tally.h"

#include <math.h>

static void expect_interval(unsigned long f, unsigned long n, double low, double high)
{
	double l, h;

	wfm_flaky_interval(&l, &h, f, n);
	if (fabs(l - low) > 5e-5 || fabs(h - high) > 5e-5)
		fail_msg("%lu of %lu: [%.5f, %.5f], expected [%.5f, %.5f]", f, n, l, h, low, high);
}

static void test_flakiness__classify(void **state)
{
	(void)state;
	assert_int_equal(wfm_flaky_classify(0, 20), WFM_FLAKY_STABLE);
	assert_int_equal(wfm_flaky_classify(1, 20), WFM_FLAKY_FLAKY);
	assert_int_equal(wfm_flaky_classify(19, 20), WFM_FLAKY_FLAKY);
	assert_int_equal(wfm_flaky_classify(20, 20), WFM_FLAKY_BROKEN);
	assert_int_equal(wfm_flaky_classify(1, 1), WFM_FLAKY_BROKEN);
	assert_int_equal(wfm_flaky_classify(0, 0), WFM_FLAKY_STABLE);
	assert_string_equal(wfm_flaky_class_name(WFM_FLAKY_FLAKY), "flaky");
	assert_string_equal(wfm_flaky_class_name(WFM_FLAKY_BROKEN), "broken");
	assert_string_equal(wfm_flaky_class_name(WFM_FLAKY_STABLE), "stable");
}

/* Known values of the Wilson score interval at 95% (z = 1.959964). */
static void test_flakiness__wilson(void **state)
{
	(void)state;
	/* 0 of 20: [0, z^2 / (n + z^2)] = [0, 0.16113] */
	expect_interval(0, 20, 0, 0.16113);
	expect_interval(20, 20, 0.83887, 1);
	/* Newcombe (1998), table I: 81 of 263 gives [0.2553, 0.3662] */
	expect_interval(81, 263, 0.25529, 0.36621);
	/* 7 of 20 */
	expect_interval(7, 20, 0.18119, 0.56715);
	/* 1 of 10 */
	expect_interval(1, 10, 0.01788, 0.40415);
	/* 5 of 10: symmetric around 0.5 */
	expect_interval(5, 10, 0.23659, 0.76341);
	expect_interval(0, 0, 0, 1);
}

static void add_test(struct wfm_oracle_result *r, const char *name, enum wfm_test_outcome o,
		     const char *line)
{
	struct wfm_test_results *t = &r->tests;

	t->v = wfm_realloc(t->v, (t->nr + 1) * sizeof(*t->v));
	memset(&t->v[t->nr], 0, sizeof(t->v[0]));
	t->v[t->nr].name = wfm_strdup(name);
	t->v[t->nr].outcome = o;
	if (line)
		wfm_strvec_push(&t->v[t->nr].failure, line);
	t->nr++;
	t->alloc = t->nr;
	t->formats = WFM_TESTS_TAP;
}

static void test_flakiness__tally(void **state)
{
	struct wfm_oracle_result runs[4];
	struct wfm_test_tally t;

	(void)state;
	memset(runs, 0, sizeof(runs));
	/* run 1: a passes, b fails; run 2: both pass; run 3: only a reported (b crashed);
	 * run 4: nothing reported and failed (did not build) */
	add_test(&runs[0], "a", WFM_TEST_PASSED, NULL);
	add_test(&runs[0], "b", WFM_TEST_FAILED, "b: expected 1");
	runs[0].proc.exit_code = 1;
	add_test(&runs[1], "a", WFM_TEST_PASSED, NULL);
	add_test(&runs[1], "b", WFM_TEST_PASSED, NULL);
	runs[1].pass = 1;
	add_test(&runs[2], "a", WFM_TEST_SKIPPED, NULL);
	runs[2].proc.signal = 11;
	runs[3].proc.exit_code = 2;
	wfm_strvec_push(&runs[3].excerpt, "t.c:1: error: oops");

	wfm_test_tally_build(&t, runs, 4, "make test");
	assert_int_equal(t.runs, 4);
	assert_int_equal(t.whole, 0);
	assert_int_equal(t.nr, 2);
	assert_string_equal(t.v[0].name, "a");
	assert_int_equal(t.v[0].failures, 1); /* run 4 */
	assert_string_equal(t.v[0].first_failure.v[0], "run 4 exited 2 and reported no test");
	assert_string_equal(t.v[0].first_failure.v[1], "t.c:1: error: oops");
	assert_string_equal(t.v[1].name, "b");
	assert_int_equal(t.v[1].failures, 3);
	assert_string_equal(t.v[1].first_failure.v[0], "b: expected 1");
	wfm_test_tally_release(&t);

	/* a cancelled run counts for nothing */
	runs[3].proc.cancelled = 1;
	wfm_test_tally_build(&t, runs, 4, "make test");
	assert_int_equal(t.runs, 3);
	assert_int_equal(t.v[0].failures, 0);
	assert_int_equal(t.v[1].failures, 2);
	{
		cJSON *j = wfm_test_tally_json(&t), *a = cJSON_GetArrayItem(j, 0),
		      *b = cJSON_GetArrayItem(j, 1);

		assert_string_equal(wfm_json_get_str(a, "classification", ""), "stable");
		assert_true(cJSON_IsNull(cJSON_GetObjectItem(a, "firstFailure")));
		assert_string_equal(wfm_json_get_str(b, "classification", ""), "flaky");
		assert_string_equal(wfm_json_get_str(b, "firstFailure", ""), "b: expected 1");
		assert_int_equal((int)wfm_json_get_num(b, "failures", 0), 2);
		assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(b, "interval")), 2);
		cJSON_Delete(j);
	}
	wfm_test_tally_release(&t);
	for (int i = 0; i < 4; i++)
		wfm_oracle_result_release(&runs[i]);
}

static void test_flakiness__whole_command(void **state)
{
	struct wfm_oracle_result runs[3];
	struct wfm_test_tally t;

	(void)state;
	memset(runs, 0, sizeof(runs));
	runs[0].pass = 1;
	runs[1].proc.exit_code = 1;
	wfm_buf_adds(&runs[1].proc.output, "checking\nvalue was 3\n");
	runs[2].pass = 1;
	wfm_test_tally_build(&t, runs, 3, "./check.sh");
	assert_int_equal(t.whole, 1);
	assert_int_equal(t.nr, 1);
	assert_string_equal(t.v[0].name, "./check.sh");
	assert_int_equal(t.v[0].runs, 3);
	assert_int_equal(t.v[0].failures, 1);
	assert_string_equal(t.v[0].first_failure.v[0], "run 2 exited 1");
	assert_string_equal(t.v[0].first_failure.v[2], "value was 3");
	wfm_test_tally_release(&t);
	/* without a command: nothing */
	wfm_test_tally_build(&t, runs, 3, NULL);
	assert_int_equal(t.nr, 0);
	wfm_test_tally_release(&t);
	for (int i = 0; i < 3; i++)
		wfm_oracle_result_release(&runs[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flakiness__classify),
		cmocka_unit_test(test_flakiness__wilson),
		cmocka_unit_test(test_flakiness__tally),
		cmocka_unit_test(test_flakiness__whole_command),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
