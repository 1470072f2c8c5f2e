#include "support/test.h"
#include "llm/price.h"

#include <math.h>

#define assert_near(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static void test_price__defaults(void **state)
{
	struct wfm_price p;

	assert_wfm_ok(wfm_price_find(&p, "claude-sonnet-4-5-20250929", NULL));
	assert_true(p.known);
	assert_near(p.input, 3);
	assert_near(p.output, 15);
	assert_near(p.cache_write, 3.75);
	assert_near(p.cache_read, 0.3);

	assert_wfm_ok(wfm_price_find(&p, "claude-opus-4-1-20250805", NULL));
	assert_near(p.input, 15);
	assert_near(p.output, 75);
	/* the longest prefix wins: opus 4.5 is not opus 4 */
	assert_wfm_ok(wfm_price_find(&p, "claude-opus-4-5", NULL));
	assert_near(p.input, 5);
	assert_wfm_ok(wfm_price_find(&p, "claude-haiku-4-5", NULL));
	assert_near(p.input, 1);
	assert_near(p.output, 5);

	assert_wfm_ok(wfm_price_find(&p, "gpt-4.1-mini-2025-04-14", NULL));
	assert_near(p.input, 0.4);
	assert_near(p.output, 1.6);
	assert_wfm_ok(wfm_price_find(&p, "gpt-4.1", NULL));
	assert_near(p.input, 2);
	assert_near(p.cache_read, 0.5);
	assert_wfm_ok(wfm_price_find(&p, "gpt-5", NULL));
	assert_near(p.input, 1.25);
	assert_near(p.cache_read, 0.125);
	assert_wfm_ok(wfm_price_find(&p, "gpt-4o", NULL));
	assert_near(p.output, 10);

	assert_wfm_ok(wfm_price_find(&p, "fake-rules", NULL));
	assert_false(p.known);
	assert_near(p.input, 0);
	assert_wfm_ok(wfm_price_find(&p, "", NULL));
	assert_false(p.known);
}

static void test_price__config(void **state)
{
	struct wfm_price p;
	const char *const cfg[] = { "fake-rules=1,2", "claude-sonnet-4-5=2.5, 10 ,3,0.25",
				    "llama=0,0", NULL };
	const char *const bad1[] = { "x=1", NULL };
	const char *const bad2[] = { "x=1,2,3", NULL };
	const char *const bad3[] = { "=1,2", NULL };
	const char *const bad4[] = { "x=-1,2", NULL };
	const char *const bad5[] = { "x=1,2x", NULL };
	const char *const bad6[] = { "x", NULL };

	assert_wfm_ok(wfm_price_find(&p, "fake-rules", cfg));
	assert_true(p.known);
	assert_near(p.input, 1);
	assert_near(p.output, 2);
	assert_near(p.cache_write, 1); /* no cache prices given, not claude: input's */
	assert_near(p.cache_read, 1);
	assert_wfm_ok(wfm_price_find(&p, "claude-sonnet-4-5-20250929", cfg));
	assert_near(p.input, 2.5);
	assert_near(p.output, 10);
	assert_near(p.cache_write, 3);
	assert_near(p.cache_read, 0.25);
	/* a longer default beats a shorter override */
	assert_wfm_ok(wfm_price_find(&p, "llama3.1:8b", cfg));
	assert_true(p.known);
	assert_near(p.output, 0);
	assert_wfm_ok(wfm_price_find(&p, "claude-sonnet-4", cfg));
	assert_near(p.input, 3);

	assert_int_equal(wfm_price_find(&p, "x", bad1), WFM_EINVALID);
	assert_non_null(strstr(wfm_error_last(), "invalid price 'x=1'"));
	assert_int_equal(wfm_price_find(&p, "x", bad2), WFM_EINVALID);
	assert_int_equal(wfm_price_find(&p, "x", bad3), WFM_EINVALID);
	assert_int_equal(wfm_price_find(&p, "x", bad4), WFM_EINVALID);
	assert_int_equal(wfm_price_find(&p, "x", bad5), WFM_EINVALID);
	assert_int_equal(wfm_price_find(&p, "y", bad6), WFM_EINVALID);
}

static void test_price__cost(void **state)
{
	struct wfm_price p;
	struct wfm_llm_usage u = {
		.input = 1000000, .output = 2000000, .cache_write = 1000000, .cache_read = 10000000
	};

	assert_wfm_ok(wfm_price_find(&p, "claude-sonnet-4-5", NULL));
	/* 3 + 30 + 3.75 + 3 */
	assert_near(wfm_price_cost(&p, &u), 39.75);
	/* worst: input at the cache-write price, all of max_tokens */
	assert_near(wfm_price_worst(&p, 1000000, 1000000), 3.75 + 15);
	assert_wfm_ok(wfm_price_find(&p, "gpt-4.1", NULL));
	assert_near(wfm_price_worst(&p, 1000000, 0), 2);
	assert_wfm_ok(wfm_price_find(&p, "nothing", NULL));
	assert_near(wfm_price_cost(&p, &u), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_price__defaults),
		cmocka_unit_test(test_price__config),
		cmocka_unit_test(test_price__cost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
