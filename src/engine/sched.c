/*
 * The scheduler's two rules: the order of waiting agents, and the
 * admission of new items under a budget.
 */
#include "base/common.h"
#include "base/buf.h"
#include "engine/sched.h"

#include <inttypes.h>

/* an item is expected to cost the mean of the finished ones times 5/4 */
#define MARGIN_NUM 5
#define MARGIN_DEN 4

void wfm_sched_release(struct wfm_sched *s)
{
	for (size_t i = 0; i < s->nr; i++)
		free(s->items[i]);
	free(s->items);
	memset(s, 0, sizeof(*s));
}

uint64_t wfm_sched_tick(struct wfm_sched *s)
{
	return ++s->clock;
}

/* The index of id in s->items, or where it would go. */
static size_t find(const struct wfm_sched *s, long id)
{
	size_t lo = 0, hi = s->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->items[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct wfm_sched_item *wfm_sched_item(struct wfm_sched *s, long id)
{
	size_t at = find(s, id);
	struct wfm_sched_item *item;

	if (at < s->nr && s->items[at]->id == id)
		return s->items[at];
	item = wfm_calloc(1, sizeof(*item));
	item->id = id;
	item->age = wfm_sched_tick(s);
	WFM_ALLOC_GROW(s->items, s->nr + 1, s->alloc);
	/* the runtime numbers items in order: almost always an append */
	memmove(s->items + at + 1, s->items + at, (s->nr - at) * sizeof(*s->items));
	s->items[at] = item;
	s->nr++;
	return item;
}

void wfm_sched_end(struct wfm_sched *s, struct wfm_sched_item *item)
{
	if (item->ended)
		return;
	item->ended = 1;
	if (!item->agents || item->cut)
		return;
	s->finished++;
	s->finished_tokens += item->tokens;
	s->finished_usd += item->usd;
}

int wfm_sched_before(const struct wfm_sched_key *a, const struct wfm_sched_key *b)
{
	if (a->fresh != b->fresh)
		return !a->fresh;
	if (a->stage != b->stage)
		return a->stage > b->stage;
	if (a->age != b->age)
		return a->age < b->age;
	return a->arrival < b->arrival;
}

void wfm_sched_estimate(uint64_t *tokens, double *usd, const struct wfm_sched *s,
			const struct wfm_sched_budget *b)
{
	if (!s->finished) {
		*tokens = b->first_tokens;
		*usd = b->first_usd;
		return;
	}
	/*
	 * The mean and a quarter, rounded up. An item needs more room than it
	 * uses: the ledger reserves each call's worst case (the input counted
	 * at a token per 3 bytes, above what tokenizers count, and at least
	 * 1,024 tokens of output) before it settles to what the call used, so
	 * an item whose last call finds only its mean left is cut short. And
	 * an estimate that errs should err towards finishing.
	 */
	*tokens = (s->finished_tokens * MARGIN_NUM + s->finished * MARGIN_DEN - 1) /
		  (s->finished * MARGIN_DEN);
	*usd = s->finished_usd * MARGIN_NUM / MARGIN_DEN / (double)s->finished;
}

enum wfm_sched_admit wfm_sched_admit(struct wfm_buf *why, const struct wfm_sched *s,
				     const struct wfm_sched_budget *b)
{
	uint64_t each_tokens, need_tokens = 0;
	double each_usd, need_usd = 0;
	unsigned long open = 0;
	int tokens_fit = 1, usd_fit = 1;

	wfm_sched_estimate(&each_tokens, &each_usd, s, b);
	for (size_t i = 0; i < s->nr; i++) {
		const struct wfm_sched_item *it = s->items[i];

		if (!it->agents || it->ended)
			continue;
		open++;
		if (it->tokens < each_tokens)
			need_tokens += each_tokens - it->tokens;
		if (it->usd < each_usd)
			need_usd += each_usd - it->usd;
	}
	if (b->max_tokens) {
		uint64_t left =
			b->max_tokens > b->spent_tokens ? b->max_tokens - b->spent_tokens : 0;

		tokens_fit = left >= need_tokens && left - need_tokens >= each_tokens;
		if (!tokens_fit && why)
			wfm_buf_addf(why,
				     "%" PRIu64 " tokens of the budget are left, %" PRIu64
				     " are kept for the %lu unit(s) under way, and a unit needs "
				     "about %" PRIu64,
				     left, need_tokens, open, each_tokens);
	}
	if (b->max_usd > 0 && tokens_fit) {
		double left = b->max_usd > b->spent_usd ? b->max_usd - b->spent_usd : 0;

		usd_fit = left - need_usd >= each_usd;
		if (!usd_fit && why)
			wfm_buf_addf(why,
				     "$%.4f of the cost limit is left, $%.4f is kept for the %lu "
				     "unit(s) under way, and a unit costs about $%.4f",
				     left, need_usd, open, each_usd);
	}
	if (tokens_fit && usd_fit)
		return WFM_SCHED_START;
	if (open)
		return WFM_SCHED_WAIT;
	/*
	 * Nothing under way and nothing learned: the first figures are a worst
	 * case, not a cost, so the first item starts and the ledger judges it.
	 */
	return s->finished ? WFM_SCHED_REFUSE : WFM_SCHED_START;
}

enum wfm_sched_verdict wfm_sched_decide(struct wfm_buf *why, const struct wfm_sched *s,
					const struct wfm_sched_turn *t)
{
	int started = t->item && t->item->agents;
	enum wfm_sched_admit admit = WFM_SCHED_START;

	/* a spent ledger starts no new work; an item under way may still try */
	if (!started && t->spent)
		return WFM_SCHED_SPENT;
	/* the first agent of a new item: does the budget cover one more? */
	if (t->item && !started && t->budget)
		admit = wfm_sched_admit(why, s, t->budget);
	if (admit == WFM_SCHED_WAIT)
		return t->busy || t->idle_turns < WFM_SCHED_STALL_TURNS ? WFM_SCHED_HOLD
									: WFM_SCHED_RUN_STALLED;
	return admit == WFM_SCHED_START ? WFM_SCHED_RUN : WFM_SCHED_NO_ROOM;
}

int wfm_sched_count_agent(unsigned long *requested, unsigned long max)
{
	return ++*requested <= max;
}

static int pilot_has(const struct wfm_sched_pilot *p, const char *key)
{
	for (size_t i = 0; i < p->units.nr; i++)
		if (!strcmp(p->units.v[i], key))
			return 1;
	return 0;
}

void wfm_sched_pilot_count(struct wfm_sched_pilot *p, const char *key)
{
	if (p->limit && key && !pilot_has(p, key))
		wfm_strvec_push(&p->units, key);
}

int wfm_sched_pilot_admit(struct wfm_sched_pilot *p, const char *key)
{
	if (!p->limit || !key || pilot_has(p, key))
		return 1;
	if (p->units.nr >= p->limit) {
		p->refused++;
		return 0;
	}
	wfm_strvec_push(&p->units, key);
	return 1;
}
