/*
 * The run's budget. One mutex: reservations are a few per model call, far
 * from contended.
 */
#include "base/common.h"
#include "base/clock.h"
#include "llm/ledger.h"

#include <inttypes.h>
#include <pthread.h>
#include <time.h>

struct wfm_ledger {
	pthread_mutex_t mu;
	pthread_cond_t settled; /* a reservation was settled */
	uint64_t max_tokens, tokens, reserved_tokens;
	double max_usd, usd, reserved_usd;
	int exhausted; /* a reservation was refused */
};

struct wfm_ledger *wfm_ledger_new(uint64_t max_tokens, double max_usd, uint64_t spent_tokens,
				  double spent_usd)
{
	struct wfm_ledger *l = wfm_calloc(1, sizeof(*l));

	pthread_mutex_init(&l->mu, NULL);
	wfm_clock_cond_init(&l->settled);
	l->max_tokens = max_tokens;
	l->max_usd = max_usd > 0 ? max_usd : 0;
	l->tokens = spent_tokens;
	l->usd = spent_usd > 0 ? spent_usd : 0;
	return l;
}

void wfm_ledger_free(struct wfm_ledger *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->settled);
	free(l);
}

/* Whether tokens and usd fit with `reserved` of the others' reservations counted. Locked. */
static int fits(const struct wfm_ledger *l, uint64_t tokens, double usd, int count_reserved)
{
	uint64_t rt = count_reserved ? l->reserved_tokens : 0;
	double ru = count_reserved ? l->reserved_usd : 0;

	if (l->max_tokens && (tokens > l->max_tokens || l->tokens + rt > l->max_tokens - tokens))
		return 0;
	if (l->max_usd > 0 && l->usd + ru + usd > l->max_usd)
		return 0;
	return 1;
}

/* Refuses: the ledger is exhausted from now on. Locked. */
static int refuse(struct wfm_ledger *l, uint64_t tokens, double usd)
{
	l->exhausted = 1;
	if (l->max_tokens &&
	    (tokens > l->max_tokens || l->tokens + l->reserved_tokens > l->max_tokens - tokens))
		return wfm_error_setc(WFM_EBUDGET,
				      "the token budget of %" PRIu64 " would be passed: %" PRIu64
				      " spent, %" PRIu64 " reserved, this call may need %" PRIu64,
				      l->max_tokens, l->tokens, l->reserved_tokens, tokens);
	return wfm_error_setc(WFM_EBUDGET,
			      "the cost limit of $%.2f would be passed: $%.4f spent, $%.4f "
			      "reserved, this call may need $%.4f",
			      l->max_usd, l->usd, l->reserved_usd, usd);
}

static int reserve(struct wfm_ledger *l, struct wfm_ledger_hold *hold, uint64_t tokens, double usd,
		   int wait, const volatile sig_atomic_t *cancel)
{
	int rc = 0;

	hold->tokens = 0;
	hold->usd = 0;
	if (!(usd > 0))
		usd = 0;
	pthread_mutex_lock(&l->mu);
	for (;;) {
		struct timespec until;

		if (fits(l, tokens, usd, 1))
			break;
		if (!wait || !fits(l, tokens, usd, 0)) {
			rc = refuse(l, tokens, usd);
			goto done;
		}
		if (cancel && *cancel) {
			rc = wfm_error_setc(WFM_ERROR, "cancelled");
			goto done;
		}
		/* woken by a settle; every 100 ms to look at cancel */
		wfm_clock_deadline(&until, 100);
		pthread_cond_timedwait(&l->settled, &l->mu, &until);
	}
	l->reserved_tokens += tokens;
	l->reserved_usd += usd;
	hold->tokens = tokens;
	hold->usd = usd;
done:
	pthread_mutex_unlock(&l->mu);
	return rc;
}

int wfm_ledger_reserve(struct wfm_ledger *l, struct wfm_ledger_hold *hold, uint64_t tokens,
		       double usd)
{
	return reserve(l, hold, tokens, usd, 0, NULL);
}

int wfm_ledger_reserve_wait(struct wfm_ledger *l, struct wfm_ledger_hold *hold, uint64_t tokens,
			    double usd, const volatile sig_atomic_t *cancel)
{
	return reserve(l, hold, tokens, usd, 1, cancel);
}

void wfm_ledger_settle(struct wfm_ledger *l, const struct wfm_ledger_hold *hold, uint64_t tokens,
		       double usd)
{
	pthread_mutex_lock(&l->mu);
	l->reserved_tokens -= hold->tokens < l->reserved_tokens ? hold->tokens : l->reserved_tokens;
	l->reserved_usd -= hold->usd;
	if (l->reserved_usd < 1e-12) /* rounding must never leave a phantom reservation */
		l->reserved_usd = 0;
	if (!l->reserved_tokens && l->reserved_usd < 1e-9)
		l->reserved_usd = 0;
	l->tokens += tokens;
	if (usd > 0)
		l->usd += usd;
	pthread_cond_broadcast(&l->settled);
	pthread_mutex_unlock(&l->mu);
}

void wfm_ledger_totals(struct wfm_ledger *l, struct wfm_ledger_totals *out)
{
	pthread_mutex_lock(&l->mu);
	out->tokens = l->tokens;
	out->max_tokens = l->max_tokens;
	out->reserved_tokens = l->reserved_tokens;
	out->usd = l->usd;
	out->max_usd = l->max_usd;
	out->reserved_usd = l->reserved_usd;
	out->exhausted = l->exhausted;
	pthread_mutex_unlock(&l->mu);
}
