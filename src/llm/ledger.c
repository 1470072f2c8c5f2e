/*
 * The run's budget. One mutex: reservations are a few per model call, far
 * from contended.
 */
#include "base/common.h"
#include "llm/ledger.h"

#include <inttypes.h>
#include <pthread.h>

struct wfm_ledger {
	pthread_mutex_t mu;
	uint64_t max_tokens, tokens, reserved_tokens;
	double max_usd, usd, reserved_usd;
	int exhausted;
	char why[512]; /* the first refusal, repeated to later ones */
};

struct wfm_ledger *wfm_ledger_new(uint64_t max_tokens, double max_usd, uint64_t spent_tokens,
				  double spent_usd)
{
	struct wfm_ledger *l = wfm_calloc(1, sizeof(*l));

	pthread_mutex_init(&l->mu, NULL);
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
	free(l);
}

int wfm_ledger_reserve(struct wfm_ledger *l, struct wfm_ledger_hold *hold, uint64_t tokens,
		       double usd)
{
	int rc = 0;

	hold->tokens = 0;
	hold->usd = 0;
	if (!(usd > 0))
		usd = 0;
	pthread_mutex_lock(&l->mu);
	if (l->exhausted) {
		rc = wfm_error_setc(WFM_EBUDGET, "%s", l->why);
		goto done;
	}
	if (l->max_tokens &&
	    (tokens > l->max_tokens || l->tokens + l->reserved_tokens > l->max_tokens - tokens)) {
		snprintf(l->why, sizeof(l->why),
			 "the token budget of %" PRIu64 " would be passed: %" PRIu64
			 " spent, %" PRIu64 " reserved, this call may need %" PRIu64,
			 l->max_tokens, l->tokens, l->reserved_tokens, tokens);
		goto refuse;
	}
	if (l->max_usd > 0 && l->usd + l->reserved_usd + usd > l->max_usd) {
		snprintf(l->why, sizeof(l->why),
			 "the cost limit of $%.2f would be passed: $%.4f spent, $%.4f reserved, "
			 "this call may need $%.4f",
			 l->max_usd, l->usd, l->reserved_usd, usd);
		goto refuse;
	}
	l->reserved_tokens += tokens;
	l->reserved_usd += usd;
	hold->tokens = tokens;
	hold->usd = usd;
	goto done;
refuse:
	l->exhausted = 1;
	rc = wfm_error_setc(WFM_EBUDGET, "%s", l->why);
done:
	pthread_mutex_unlock(&l->mu);
	return rc;
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
