#ifndef WFM_LLM_LEDGER_H
#define WFM_LLM_LEDGER_H

/*
 * The run's budget: tokens and USD spent and reserved, against the limits
 * of --budget and --max-cost. Before each model call the agent reserves
 * the call's worst case (input estimate + max_tokens, and what that would
 * cost); the reservation is refused when it would pass a limit, and when
 * the call returns the actual usage replaces it. So the totals are never
 * exceeded, whatever the number of agents in flight. Thread-safe.
 */
#include <signal.h>
#include <stdint.h>

struct wfm_ledger;

/* limits: 0 means none. spent_*: what earlier sessions of the run spent (resume). */
struct wfm_ledger *wfm_ledger_new(uint64_t max_tokens, double max_usd, uint64_t spent_tokens,
				  double spent_usd);
void wfm_ledger_free(struct wfm_ledger *l);

struct wfm_ledger_hold {
	uint64_t tokens;
	double usd;
};

/*
 * Reserves tokens and usd. 0, or WFM_EBUDGET ("the token budget of N
 * would be passed: M spent, K reserved, this call may need J") and
 * nothing reserved. Once a reservation is refused, the ledger is
 * exhausted (see wfm_ledger_totals), so that no new work starts; later
 * reservations that fit are still granted, so that smaller calls of work
 * under way can finish it.
 */
int wfm_ledger_reserve(struct wfm_ledger *l, struct wfm_ledger_hold *hold, uint64_t tokens,
		       double usd);

/*
 * Like wfm_ledger_reserve, but a call that does not fit only because of
 * other calls' reservations waits for them to settle (worst cases are far
 * above what calls use): it is refused only when it would pass a limit
 * with nothing else reserved, or when *cancel becomes non-zero (WFM_ERROR,
 * "cancelled"; cancel may be NULL). This is what agents use, so that a
 * budget is spent, not merely reserved, before the run stops.
 */
int wfm_ledger_reserve_wait(struct wfm_ledger *l, struct wfm_ledger_hold *hold, uint64_t tokens,
			    double usd, const volatile sig_atomic_t *cancel);

/* Replaces the hold with what the call really used (0, 0: it used nothing). */
void wfm_ledger_settle(struct wfm_ledger *l, const struct wfm_ledger_hold *hold, uint64_t tokens,
		       double usd);

struct wfm_ledger_totals {
	uint64_t tokens, max_tokens, reserved_tokens;
	double usd, max_usd, reserved_usd;
	int exhausted;
};
void wfm_ledger_totals(struct wfm_ledger *l, struct wfm_ledger_totals *out);

#endif
