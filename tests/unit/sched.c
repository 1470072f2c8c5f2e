#include "support/test.h"
#include "base/buf.h"
#include "engine/sched.h"

/* The key of a request of item (NULL: none) at stage, arriving now. */
static struct wfm_sched_key key(struct wfm_sched *s, struct wfm_sched_item *item, unsigned stage)
{
	struct wfm_sched_key k;

	k.arrival = wfm_sched_tick(s);
	k.fresh = item && !item->agents;
	k.stage = stage;
	k.age = item ? item->age : k.arrival;
	return k;
}

static void test_sched__items_by_id(void **state)
{
	struct wfm_sched s = WFM_SCHED_INIT;
	struct wfm_sched_item *a = wfm_sched_item(&s, 2);
	struct wfm_sched_item *b = wfm_sched_item(&s, 1);
	struct wfm_sched_item *c = wfm_sched_item(&s, 3);

	/* the same item for the same id, older for the one seen first */
	assert_ptr_equal(wfm_sched_item(&s, 2), a);
	assert_ptr_equal(wfm_sched_item(&s, 1), b);
	assert_ptr_equal(wfm_sched_item(&s, 3), c);
	assert_true(a->age < b->age && b->age < c->age);
	assert_int_equal(s.nr, 3);
	for (size_t i = 0; i < s.nr; i++)
		assert_int_equal(s.items[i]->id, (long)i + 1);
	for (long id = 1000; id > 3; id--)
		wfm_sched_item(&s, id);
	for (size_t i = 1; i < s.nr; i++)
		assert_true(s.items[i - 1]->id < s.items[i]->id);
	assert_ptr_equal(wfm_sched_item(&s, 2), a);
	wfm_sched_release(&s);
}

static void test_sched__order(void **state)
{
	struct wfm_sched s = WFM_SCHED_INIT;
	struct wfm_sched_item *old = wfm_sched_item(&s, 1);
	struct wfm_sched_item *young = wfm_sched_item(&s, 2);
	struct wfm_sched_item *unstarted = wfm_sched_item(&s, 3);
	struct wfm_sched_key fresh, verify_old, verify_young, impl_young, fix_young, bare;

	old->agents = 1;
	young->agents = 1;
	fresh = key(&s, unstarted, 0);
	bare = key(&s, NULL, 0);
	fix_young = key(&s, young, 2);
	verify_young = key(&s, young, 1);
	verify_old = key(&s, old, 1);
	impl_young = key(&s, young, 0);

	/* the first request of a new item goes after everything else, a bare one too */
	assert_true(fresh.fresh);
	assert_false(bare.fresh);
	assert_true(wfm_sched_before(&bare, &fresh));
	assert_false(wfm_sched_before(&fresh, &bare));
	assert_true(wfm_sched_before(&impl_young, &fresh));
	/* deeper stages first, whatever the age */
	assert_true(wfm_sched_before(&fix_young, &verify_old));
	assert_true(wfm_sched_before(&verify_young, &impl_young));
	/* same stage: the older item, though its request came later */
	assert_true(wfm_sched_before(&verify_old, &verify_young));
	assert_false(wfm_sched_before(&verify_young, &verify_old));
	/* a bare request is as old as its arrival: after items seen before it */
	assert_true(wfm_sched_before(&impl_young, &bare));
	/* same item and stage: first come, first served; never before itself */
	{
		struct wfm_sched_key again = key(&s, young, 1);

		assert_true(wfm_sched_before(&verify_young, &again));
		assert_false(wfm_sched_before(&again, &verify_young));
		assert_false(wfm_sched_before(&again, &again));
	}
	/* requests outside items: FIFO */
	{
		struct wfm_sched_key later = key(&s, NULL, 0);

		assert_true(wfm_sched_before(&bare, &later));
		assert_false(wfm_sched_before(&later, &bare));
	}
	wfm_sched_release(&s);
}

static void test_sched__admit_before_an_item_ends(void **state)
{
	struct wfm_sched s = WFM_SCHED_INIT;
	struct wfm_sched_budget b = { .max_tokens = 30000, .first_tokens = 10000 };
	struct wfm_buf why = WFM_BUF_INIT;
	struct wfm_sched_item *it;

	/* nothing under way: one more item fits while 10000 are left */
	assert_int_equal(wfm_sched_admit(NULL, &s, &b), WFM_SCHED_START);
	/* and the first always starts: the first figures are a worst case, not a cost */
	b.max_tokens = 5000;
	assert_int_equal(wfm_sched_admit(NULL, &s, &b), WFM_SCHED_START);
	b.max_tokens = 30000;
	it = wfm_sched_item(&s, 1);
	it->agents = 1;
	it = wfm_sched_item(&s, 2);
	it->agents = 1;
	/* two under way, 20000 kept for them, 10000 left for a third */
	assert_int_equal(wfm_sched_admit(NULL, &s, &b), WFM_SCHED_START);
	it = wfm_sched_item(&s, 3);
	it->agents = 1;
	assert_int_equal(wfm_sched_admit(&why, &s, &b), WFM_SCHED_WAIT);
	assert_string_equal(why.ptr, "30000 tokens of the budget are left, 30000 are kept for the "
				     "3 unit(s) under way, and a unit needs about 10000");
	/* what an item has spent is no longer kept for it */
	s.items[0]->tokens = 4000;
	b.spent_tokens = 4000;
	assert_int_equal(wfm_sched_admit(NULL, &s, &b), WFM_SCHED_WAIT);
	s.items[0]->tokens = 12000; /* more than the estimate: nothing kept for it */
	b.spent_tokens = 12000;
	assert_int_equal(wfm_sched_admit(NULL, &s, &b), WFM_SCHED_WAIT);
	b.spent_tokens = 11000; /* 19000 left, 20000 kept: still not */
	assert_int_equal(wfm_sched_admit(NULL, &s, &b), WFM_SCHED_WAIT);
	b.max_tokens = 41000;
	assert_int_equal(wfm_sched_admit(NULL, &s, &b), WFM_SCHED_START);
	/* items that never started an agent keep nothing */
	wfm_sched_item(&s, 4);
	assert_int_equal(wfm_sched_admit(NULL, &s, &b), WFM_SCHED_START);
	wfm_buf_release(&why);
	wfm_sched_release(&s);
}

static void test_sched__admit_learns_from_ended_items(void **state)
{
	struct wfm_sched s = WFM_SCHED_INIT;
	struct wfm_sched_budget b = { .max_tokens = 30000, .first_tokens = 20000 };
	struct wfm_sched_item *a = wfm_sched_item(&s, 1), *c = wfm_sched_item(&s, 3);
	struct wfm_sched_item *cut = wfm_sched_item(&s, 2), *none = wfm_sched_item(&s, 4);
	uint64_t each;
	double usd;

	a->agents = 2;
	a->tokens = 7000;
	cut->agents = 1;
	cut->tokens = 100;
	cut->cut = 1;
	b.spent_tokens = 7100;
	/* the two items under way keep 13000 and 19900 of the 22900 left */
	assert_int_equal(wfm_sched_admit(NULL, &s, &b), WFM_SCHED_WAIT);
	/*
	 * ended: its 7000 and a quarter is the estimate now; items cut short
	 * or never started are not
	 */
	a->usd = 0.4;
	wfm_sched_end(&s, cut);
	wfm_sched_end(&s, none);
	wfm_sched_end(&s, a);
	wfm_sched_end(&s, a); /* once only */
	wfm_sched_estimate(&each, &usd, &s, &b);
	assert_int_equal(each, 8750);
	assert_true(usd > 0.4999 && usd < 0.5001);
	assert_int_equal(s.finished, 1);
	assert_int_equal(wfm_sched_admit(NULL, &s, &b), WFM_SCHED_START);
	/* the mean of all that ended, rounded up: (7000 + 8001) / 2 * 5 / 4 = 9375.6 */
	c->agents = 1;
	c->tokens = 8001;
	wfm_sched_end(&s, c);
	wfm_sched_estimate(&each, &usd, &s, &b);
	assert_int_equal(each, 9376);
	/* nothing under way and not enough left: no item will ever fit */
	b.spent_tokens = 20625;
	assert_int_equal(wfm_sched_admit(NULL, &s, &b), WFM_SCHED_REFUSE);
	b.spent_tokens = 20624;
	assert_int_equal(wfm_sched_admit(NULL, &s, &b), WFM_SCHED_START);
	b.spent_tokens = 40000; /* spent past the limit (an earlier session's) */
	assert_int_equal(wfm_sched_admit(NULL, &s, &b), WFM_SCHED_REFUSE);
	wfm_sched_release(&s);
}

static void test_sched__admit_usd(void **state)
{
	struct wfm_sched s = WFM_SCHED_INIT;
	struct wfm_sched_budget b = { .max_usd = 1.0, .first_usd = 0.3 };
	struct wfm_buf why = WFM_BUF_INIT;
	struct wfm_sched_item *it;

	for (long id = 1; id <= 3; id++) {
		assert_int_equal(wfm_sched_admit(NULL, &s, &b), WFM_SCHED_START);
		it = wfm_sched_item(&s, id);
		it->agents = 1;
	}
	assert_int_equal(wfm_sched_admit(&why, &s, &b), WFM_SCHED_WAIT);
	assert_string_equal(why.ptr, "$1.0000 of the cost limit is left, $0.9000 is kept for the 3 "
				     "unit(s) under way, and a unit costs about $0.3000");
	/* tokens and dollars both: either may hold it back */
	b.max_usd = 10;
	b.max_tokens = 100;
	b.first_tokens = 101;
	assert_int_equal(wfm_sched_admit(NULL, &s, &b), WFM_SCHED_WAIT);
	/* no limit at all: always */
	memset(&b, 0, sizeof(b));
	assert_int_equal(wfm_sched_admit(NULL, &s, &b), WFM_SCHED_START);
	wfm_buf_release(&why);
	wfm_sched_release(&s);
}

/* Items 1 to n, each with an agent started: under way. */
static void open_items(struct wfm_sched *s, long n)
{
	for (long id = 1; id <= n; id++)
		wfm_sched_item(s, id)->agents = 1;
}

static void test_sched__decide_spent(void **state)
{
	struct wfm_sched s = WFM_SCHED_INIT;
	struct wfm_sched_item *started = wfm_sched_item(&s, 1);
	struct wfm_sched_item *fresh = wfm_sched_item(&s, 2);
	struct wfm_sched_turn t = { 0 };

	started->agents = 1;
	/* no limit: everything runs, with or without an item */
	assert_int_equal(wfm_sched_decide(NULL, &s, &t), WFM_SCHED_RUN);
	t.item = fresh;
	assert_int_equal(wfm_sched_decide(NULL, &s, &t), WFM_SCHED_RUN);
	/* a spent ledger refuses new work: a new item, or an agent outside items */
	t.spent = 1;
	assert_int_equal(wfm_sched_decide(NULL, &s, &t), WFM_SCHED_SPENT);
	t.item = NULL;
	assert_int_equal(wfm_sched_decide(NULL, &s, &t), WFM_SCHED_SPENT);
	/* an item under way still runs its agents: the ledger judges their calls */
	t.item = started;
	assert_int_equal(wfm_sched_decide(NULL, &s, &t), WFM_SCHED_RUN);
	/* however busy or idle the run is */
	t.busy = 1;
	t.idle_turns = 1000;
	assert_int_equal(wfm_sched_decide(NULL, &s, &t), WFM_SCHED_RUN);
	wfm_sched_release(&s);
}

static void test_sched__decide_waits_then_stalls(void **state)
{
	struct wfm_sched s = WFM_SCHED_INIT;
	struct wfm_sched_budget b = { .max_tokens = 30000, .first_tokens = 10000 };
	struct wfm_buf why = WFM_BUF_INIT;
	struct wfm_sched_turn t = { .budget = &b };

	/* three items under way keep the whole budget: a fourth waits */
	open_items(&s, 3);
	t.item = wfm_sched_item(&s, 4);
	t.busy = 1;
	assert_int_equal(wfm_sched_decide(&why, &s, &t), WFM_SCHED_HOLD);
	/* nothing in flight, but the runtime spoke lately: it still waits */
	t.busy = 0;
	t.idle_turns = WFM_SCHED_STALL_TURNS - 1;
	assert_int_equal(wfm_sched_decide(NULL, &s, &t), WFM_SCHED_HOLD);
	/* idle long enough: the script waits for it, so it starts, and says why */
	t.idle_turns = WFM_SCHED_STALL_TURNS;
	wfm_buf_clear(&why);
	assert_int_equal(wfm_sched_decide(&why, &s, &t), WFM_SCHED_RUN_STALLED);
	assert_string_equal(why.ptr, "30000 tokens of the budget are left, 30000 are kept for the "
				     "3 unit(s) under way, and a unit needs about 10000");
	/* busy again: held, however long the runtime was silent */
	t.busy = 1;
	assert_int_equal(wfm_sched_decide(NULL, &s, &t), WFM_SCHED_HOLD);
	/* the budget admits new items only: agents outside items and of started items run */
	t.item = NULL;
	assert_int_equal(wfm_sched_decide(NULL, &s, &t), WFM_SCHED_RUN);
	t.item = s.items[0];
	assert_int_equal(wfm_sched_decide(NULL, &s, &t), WFM_SCHED_RUN);
	/* without a budget to admit it by, a new item runs */
	t.item = wfm_sched_item(&s, 4);
	t.budget = NULL;
	assert_int_equal(wfm_sched_decide(NULL, &s, &t), WFM_SCHED_RUN);
	/* and with room for it too */
	t.budget = &b;
	b.max_tokens = 40000;
	assert_int_equal(wfm_sched_decide(NULL, &s, &t), WFM_SCHED_RUN);
	wfm_buf_release(&why);
	wfm_sched_release(&s);
}

static void test_sched__decide_no_room(void **state)
{
	struct wfm_sched s = WFM_SCHED_INIT;
	struct wfm_sched_budget b = { .max_tokens = 10000, .spent_tokens = 4000 };
	struct wfm_buf why = WFM_BUF_INIT;
	struct wfm_sched_turn t = { .budget = &b, .busy = 1 };
	struct wfm_sched_item *done = wfm_sched_item(&s, 1);

	/* an item that ended cost 4000: another needs 5000, and 6000 are left */
	done->agents = 1;
	done->tokens = 4000;
	wfm_sched_end(&s, done);
	t.item = wfm_sched_item(&s, 2);
	assert_int_equal(wfm_sched_decide(NULL, &s, &t), WFM_SCHED_RUN);
	/* 4000 left and nothing under way to change that: refused, busy or not */
	b.spent_tokens = 6000;
	assert_int_equal(wfm_sched_decide(&why, &s, &t), WFM_SCHED_NO_ROOM);
	assert_string_equal(why.ptr, "4000 tokens of the budget are left, 0 are kept for the 0 "
				     "unit(s) under way, and a unit needs about 5000");
	t.busy = 0;
	t.idle_turns = 1000;
	assert_int_equal(wfm_sched_decide(NULL, &s, &t), WFM_SCHED_NO_ROOM);
	/* a spent ledger says so first */
	t.spent = 1;
	assert_int_equal(wfm_sched_decide(NULL, &s, &t), WFM_SCHED_SPENT);
	wfm_buf_release(&why);
	wfm_sched_release(&s);
}

static void test_sched__count_agent(void **state)
{
	unsigned long requested = 0;

	/* --max-agents 2: the first two, then never again */
	assert_true(wfm_sched_count_agent(&requested, 2));
	assert_true(wfm_sched_count_agent(&requested, 2));
	assert_false(wfm_sched_count_agent(&requested, 2));
	assert_false(wfm_sched_count_agent(&requested, 2));
	/* the refused ones count too */
	assert_int_equal(requested, 4);
	requested = 0;
	assert_false(wfm_sched_count_agent(&requested, 0));
}

static void test_sched__pilot(void **state)
{
	struct wfm_sched_pilot p = { 2, WFM_STRVEC_INIT, 0 };
	struct wfm_sched_pilot none = { 0, WFM_STRVEC_INIT, 0 };

	(void)state;
	/* no pilot: everything starts, nothing is counted */
	assert_true(wfm_sched_pilot_admit(&none, "a"));
	assert_int_equal(none.units.nr, 0);
	/* two units start, their later agents too; a third does not */
	assert_true(wfm_sched_pilot_admit(&p, "a"));
	assert_true(wfm_sched_pilot_admit(&p, "b"));
	assert_true(wfm_sched_pilot_admit(&p, "a"));
	assert_false(wfm_sched_pilot_admit(&p, "c"));
	assert_false(wfm_sched_pilot_admit(&p, "c"));
	assert_true(wfm_sched_pilot_admit(&p, "b"));
	assert_int_equal(p.refused, 2);
	/* agents of no unit are not limited */
	assert_true(wfm_sched_pilot_admit(&p, NULL));
	assert_int_equal(p.units.nr, 2);
	wfm_strvec_clear(&p.units);
	/* replayed agents count their units whatever the limit, first */
	p.refused = 0;
	wfm_sched_pilot_count(&p, "x");
	wfm_sched_pilot_count(&p, "y");
	wfm_sched_pilot_count(&p, "z");
	assert_int_equal(p.units.nr, 3);
	assert_true(wfm_sched_pilot_admit(&p, "z"));
	assert_false(wfm_sched_pilot_admit(&p, "w"));
	wfm_strvec_clear(&p.units);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sched__items_by_id),
		cmocka_unit_test(test_sched__order),
		cmocka_unit_test(test_sched__admit_before_an_item_ends),
		cmocka_unit_test(test_sched__admit_learns_from_ended_items),
		cmocka_unit_test(test_sched__admit_usd),
		cmocka_unit_test(test_sched__decide_spent),
		cmocka_unit_test(test_sched__decide_waits_then_stalls),
		cmocka_unit_test(test_sched__decide_no_room),
		cmocka_unit_test(test_sched__count_agent),
		cmocka_unit_test(test_sched__pilot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
