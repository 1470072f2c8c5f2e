#include "support/test.h"
#include "llm/ledger.h"

#include <pthread.h>

static void test_ledger__reserve_and_settle(void **state)
{
	struct wfm_ledger *l = wfm_ledger_new(1000, 0, 100, 0.5);
	struct wfm_ledger_hold a, b, c;
	struct wfm_ledger_totals t;

	assert_wfm_ok(wfm_ledger_reserve(l, &a, 400, 0.1));
	assert_wfm_ok(wfm_ledger_reserve(l, &b, 500, 0.1));
	wfm_ledger_totals(l, &t);
	assert_int_equal(t.tokens, 100);
	assert_int_equal(t.reserved_tokens, 900);
	assert_int_equal(t.max_tokens, 1000);
	/* 100 + 900 + 1 > 1000 */
	assert_int_equal(wfm_ledger_reserve(l, &c, 1, 0), WFM_EBUDGET);
	assert_string_equal(wfm_error_last(),
			    "the token budget of 1000 would be passed: 100 spent, "
			    "900 reserved, this call may need 1");
	assert_int_equal(c.tokens, 0);
	wfm_ledger_settle(l, &a, 50, 0.01);
	wfm_ledger_settle(l, &b, 0, 0);
	wfm_ledger_totals(l, &t);
	assert_int_equal(t.tokens, 150);
	assert_int_equal(t.reserved_tokens, 0);
	assert_true(t.reserved_usd == 0);
	assert_true(t.usd > 0.509 && t.usd < 0.511);
	/* exhausted, and it stays so; but a call that fits, of work under way, still goes */
	assert_true(t.exhausted);
	assert_wfm_ok(wfm_ledger_reserve(l, &c, 850, 0));
	assert_int_equal(wfm_ledger_reserve(l, &a, 1, 0), WFM_EBUDGET);
	wfm_ledger_settle(l, &c, 850, 0);
	wfm_ledger_totals(l, &t);
	assert_true(t.exhausted);
	assert_int_equal(t.tokens, 1000);
	assert_int_equal(wfm_ledger_reserve(l, &c, 1, 0), WFM_EBUDGET);
	wfm_ledger_free(l);
}

static void test_ledger__usd(void **state)
{
	struct wfm_ledger *l = wfm_ledger_new(0, 1.0, 0, 0);
	struct wfm_ledger_hold a, b;
	struct wfm_ledger_totals t;

	assert_wfm_ok(wfm_ledger_reserve(l, &a, 1000000, 0.6));
	assert_int_equal(wfm_ledger_reserve(l, &b, 10, 0.5), WFM_EBUDGET);
	assert_non_null(strstr(wfm_error_last(), "the cost limit of $1.00 would be passed"));
	wfm_ledger_settle(l, &a, 10, 0.2);
	wfm_ledger_totals(l, &t);
	assert_true(t.exhausted);
	assert_int_equal(t.max_tokens, 0);
	wfm_ledger_free(l);

	/* no limits: anything goes */
	l = wfm_ledger_new(0, 0, 0, 0);
	assert_wfm_ok(wfm_ledger_reserve(l, &a, UINT64_MAX / 2, 1e9));
	wfm_ledger_settle(l, &a, 5, 0);
	wfm_ledger_totals(l, &t);
	assert_int_equal(t.tokens, 5);
	assert_false(t.exhausted);
	wfm_ledger_free(l);

	/* a single reservation larger than the limit */
	l = wfm_ledger_new(10, 0, 0, 0);
	assert_int_equal(wfm_ledger_reserve(l, &a, UINT64_MAX, 0), WFM_EBUDGET);
	wfm_ledger_free(l);
}

#define THREADS 8
#define LIMIT 100000

struct worker {
	struct wfm_ledger *l;
	unsigned seed;
	int refused;
	uint64_t max_seen; /* spent + reserved seen right after a reservation */
};

static void *work(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < 2000; i++) {
		struct wfm_ledger_hold h;
		struct wfm_ledger_totals t;
		uint64_t need = 1 + rand_r(&w->seed) % 500;

		if (wfm_ledger_reserve(w->l, &h, need, (double)need / 1e6) < 0) {
			w->refused++;
			continue;
		}
		wfm_ledger_totals(w->l, &t);
		if (t.tokens + t.reserved_tokens > w->max_seen)
			w->max_seen = t.tokens + t.reserved_tokens;
		/* use part of it */
		wfm_ledger_settle(w->l, &h, need / 2, (double)need / 2e6);
	}
	return NULL;
}

static void test_ledger__threads(void **state)
{
	struct wfm_ledger *l = wfm_ledger_new(LIMIT, 0.04, 0, 0);
	pthread_t th[THREADS];
	struct worker w[THREADS];
	struct wfm_ledger_totals t;
	int refused = 0;

	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .l = l, .seed = (unsigned)i + 1 };
		assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		refused += w[i].refused;
		assert_true(w[i].max_seen <= LIMIT);
	}
	wfm_ledger_totals(l, &t);
	assert_true(refused > 0);
	assert_true(t.exhausted);
	assert_int_equal(t.reserved_tokens, 0);
	assert_true(t.tokens <= LIMIT);
	assert_true(t.usd <= 0.04);
	wfm_ledger_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ledger__reserve_and_settle),
		cmocka_unit_test(test_ledger__usd),
		cmocka_unit_test(test_ledger__threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
