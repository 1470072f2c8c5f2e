/*
 * The run's LLM provider: one client shared by every agent (so the
 * in-flight limit and the circuit breaker see the whole fan-out) and the
 * ledger that keeps --budget and --max-cost. The exec provider has
 * neither.
 */
#include "base/common.h"
#include "base/json.h"
#include "engine/engine_priv.h"
#include "llm/cache.h"
#include "llm/client.h"
#include "llm/ledger.h"

int wfm_engine_providers_open(struct engine *e)
{
	const struct wfm_engine_opts *o = e->opts;
	struct wfm_llm_client_opts copts = WFM_LLM_CLIENT_OPTS_INIT;
	const struct wfm_llm_api_ops *api;
	int rc;

	if (!strcmp(o->provider, "exec"))
		return 0;
	api = wfm_llm_api_find(o->provider);
	if (!api)
		return wfm_error_setc(WFM_ECONFIG, "unknown provider '%s'", o->provider);
	copts.api = strcmp(o->provider, "openai") ? WFM_LLM_ANTHROPIC : WFM_LLM_OPENAI;
	copts.base_url = o->base_url;
	copts.api_key = o->api_key;
	copts.max_in_flight = (unsigned)o->concurrency;
	if ((rc = wfm_llm_client_new(&e->client, &copts)) < 0)
		return rc;
	e->ledger = wfm_ledger_new(o->budget_tokens, o->max_cost_usd, 0, 0);
	if (!o->no_cache)
		e->prompt_cache = wfm_llm_cache_new();
	return 0;
}

void wfm_engine_providers_close(struct engine *e)
{
	wfm_llm_client_free(e->client);
	wfm_ledger_free(e->ledger);
	wfm_llm_cache_free(e->prompt_cache);
	e->prompt_cache = NULL;
	e->client = NULL;
	e->ledger = NULL;
}

int wfm_engine_budget_spent(struct engine *e)
{
	struct wfm_ledger_totals t;

	if (!e->ledger)
		return 0;
	wfm_ledger_totals(e->ledger, &t);
	return t.exhausted;
}

cJSON *wfm_engine_budget(struct engine *e)
{
	cJSON *b = wfm_json_object();

	/*
	 * total stays what the user set (a script's budget.total, as in the
	 * reference system); a spent ledger, tokens or USD, is "exhausted",
	 * which makes budget.remaining() 0.
	 */
	if (e->opts->budget_tokens)
		wfm_json_add_num(b, "total", (double)e->opts->budget_tokens);
	else
		wfm_json_add_null(b, "total");
	wfm_json_add_num(b, "spent", (double)e->tokens);
	wfm_json_add_bool(b, "exhausted", wfm_engine_budget_spent(e));
	return b;
}
