#ifndef WFM_ENGINE_SCHED_H
#define WFM_ENGINE_SCHED_H

/*
 * Which waiting agent starts next, and whether a budget lets a new unit
 * of work start at all (docs/engine.md, "Scheduling").
 *
 * The runtime names the work item each request is made for: an element
 * of a pipeline() or parallel() called outside any item, and the stage
 * it is in (docs/protocol.md). Work that finishes items goes first:
 * requests of items already started before the first request of a new
 * one, deeper stages first, older items first, then in arrival order.
 * Under a budget a new item starts only while what is left, less what
 * the started items are expected to still need, covers one more item;
 * requests of started items are held back by the ledger alone.
 *
 * Plain bookkeeping, no locks: the engine thread owns it.
 */
#include <stdint.h>

#include "base/strvec.h"

struct wfm_buf;

struct wfm_sched_item {
	long id;	 /* the runtime's item id */
	uint64_t age;	 /* order of first sight: smaller is older */
	uint64_t tokens; /* spent by its finished agents (replayed ones too) */
	double usd;
	unsigned long agents; /* started or replayed */
	unsigned cut : 1;     /* an agent of it was refused or ended by the budget */
	unsigned ended : 1;   /* the runtime said it is done */
};

struct wfm_sched {
	struct wfm_sched_item **items; /* by id */
	size_t nr, alloc;
	uint64_t clock; /* hands out ages and arrival numbers */
	/* items that ended after starting, not cut short: the estimate */
	unsigned long finished;
	uint64_t finished_tokens;
	double finished_usd;
};
#define WFM_SCHED_INIT                                                                             \
	{                                                                                          \
		0                                                                                  \
	}

void wfm_sched_release(struct wfm_sched *s);

/* The next number in arrival order (for requests outside any item, also their age). */
uint64_t wfm_sched_tick(struct wfm_sched *s);

/* The item with this id, made on first sight (borrowed until wfm_sched_release). */
struct wfm_sched_item *wfm_sched_item(struct wfm_sched *s, long id);

/* The item ended: it counts towards the estimate if it started and was not cut short. */
void wfm_sched_end(struct wfm_sched *s, struct wfm_sched_item *item);

/* Where a waiting request stands. */
struct wfm_sched_key {
	int fresh;	/* the first agent of an item not started yet */
	unsigned stage; /* its pipeline stage */
	uint64_t age;	/* its item's age; outside items, its arrival */
	uint64_t arrival;
};

/* Whether a goes before b. */
int wfm_sched_before(const struct wfm_sched_key *a, const struct wfm_sched_key *b);

/* What is left of the budget, and what a new item costs before any has ended. */
struct wfm_sched_budget {
	uint64_t max_tokens, spent_tokens; /* max 0: no token limit */
	double max_usd, spent_usd;	   /* max 0: no cost limit */
	uint64_t first_tokens;		   /* the estimate before an item ended */
	double first_usd;
};

enum wfm_sched_admit {
	WFM_SCHED_START,  /* it fits */
	WFM_SCHED_WAIT,	  /* not now: started items may end cheaper, or leave room */
	WFM_SCHED_REFUSE, /* never: nothing under way is left to change the picture */
};

/*
 * Whether a new item may start now that what b says is left: every item
 * started and not ended is expected to still need the estimate less what
 * it has spent. With nothing under way and no item ended yet it starts
 * whatever the first figures say (they are a worst case). why (may be
 * NULL) says, when it may not, how the numbers stand.
 */
enum wfm_sched_admit wfm_sched_admit(struct wfm_buf *why, const struct wfm_sched *s,
				     const struct wfm_sched_budget *b);

/*
 * What one item is expected to cost: the mean of the finished ones and a
 * quarter (room for the ledger's worst-case reservations), else b's first
 * figures.
 */
void wfm_sched_estimate(uint64_t *tokens, double *usd, const struct wfm_sched *s,
			const struct wfm_sched_budget *b);

/*
 * Turns of the engine's loop in a row (about 200 ms each) with nothing in
 * flight and nothing from the runtime, after which a new item held back
 * for the budget starts after all: the script waits on it (a started item
 * that needs another one), so holding it would hang the run. The ledger
 * still keeps the budget.
 */
#define WFM_SCHED_STALL_TURNS 10

/* How the run stands when the agent first in line could start (the concurrency allows it). */
struct wfm_sched_turn {
	const struct wfm_sched_item *item;     /* the agent's item; NULL: none */
	int spent;			       /* the ledger is exhausted */
	const struct wfm_sched_budget *budget; /* what admits a new item; NULL: no limit */
	int busy;			       /* a job is in flight, or an oracle waits */
	unsigned idle_turns;		       /* turns of the loop in a row with nothing read */
};

enum wfm_sched_verdict {
	WFM_SCHED_RUN,	       /* start it */
	WFM_SCHED_RUN_STALLED, /* start it though the budget would hold it: nothing else can move */
	WFM_SCHED_HOLD,	       /* leave it, and every agent behind it, waiting */
	WFM_SCHED_SPENT,       /* refuse it: the ledger is exhausted and it is new work */
	WFM_SCHED_NO_ROOM,     /* refuse it: no new item fits what is left, and none will */
};

/*
 * What the engine does with the agent first in line. Once the ledger is
 * exhausted no new item and no agent outside items starts; agents of
 * started items still do (the ledger judges their calls). The first agent
 * of a new item is admitted by wfm_sched_admit() when t->budget is given;
 * held back while other work may change that, it starts after
 * WFM_SCHED_STALL_TURNS idle turns. why (may be NULL) says, for
 * WFM_SCHED_RUN_STALLED and WFM_SCHED_NO_ROOM, how the numbers stand.
 */
enum wfm_sched_verdict wfm_sched_decide(struct wfm_buf *why, const struct wfm_sched *s,
					const struct wfm_sched_turn *t);

/*
 * Counts an agent the script asks for against the run's limit
 * (--max-agents), before the journal is looked at: agents answered from
 * the journal count, and so do the ones refused, so a resumed run refuses
 * the same ones. Returns 0 when this one is over the limit.
 */
int wfm_sched_count_agent(unsigned long *requested, unsigned long max);

/*
 * The pilot (--pilot <n>, docs/card.md): the run starts agents for at
 * most n units of its fan-out, then stops, and `resume` runs the rest. A
 * unit is what an agent is for: its unit (agent({unit})), else its work
 * item; an agent for neither is not limited. Agents of the units already
 * started go on (verifiers, fixers); the first agent of another unit is
 * refused (the script sees err.code "pilot"), and its unit stays pending.
 * Agents answered from the journal count their units whatever the limit,
 * so a resumed pilot finishes the same units.
 */
struct wfm_sched_pilot {
	unsigned long limit;	 /* 0: no pilot */
	struct wfm_strvec units; /* started, in order */
	unsigned long refused;	 /* agents refused */
};

/* Whether an agent of unit key (NULL: none) may start; it then counts its unit. */
int wfm_sched_pilot_admit(struct wfm_sched_pilot *p, const char *key);

/* An agent of unit key answered from the journal: its unit counts, whatever the limit. */
void wfm_sched_pilot_count(struct wfm_sched_pilot *p, const char *key);

#endif
