/*
 * The card's estimate: agents per phase from the meta's `agents`, tokens
 * from unit sizes by the model in estimate.h, USD from the price table.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/json.h"
#include "agent/model.h"
#include "agent/provider.h"
#include "agent/role.h"
#include "engine/config.h"
#include "engine/estimate.h"
#include "llm/price.h"

/* A bound of perUnit or count: a number, an argument's name, or {arg, plus}. -1: not known. */
static long bound(const cJSON *b, const cJSON *meta, const cJSON *args)
{
	const cJSON *decl = cJSON_GetObjectItemCaseSensitive(meta, "args");
	const char *name = NULL;
	double plus = 0;
	const cJSON *v;

	if (cJSON_IsNumber(b))
		return b->valuedouble >= 0 ? (long)b->valuedouble : -1;
	if (cJSON_IsString(b)) {
		name = b->valuestring;
	} else if (cJSON_IsObject(b)) {
		name = wfm_json_get_str(b, "arg", NULL);
		plus = wfm_json_get_num(b, "plus", 0);
	}
	if (!name)
		return -1;
	v = cJSON_GetObjectItemCaseSensitive(args, name);
	if (!cJSON_IsNumber(v))
		v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(decl, name),
						     "default");
	if (!cJSON_IsNumber(v) || v->valuedouble + plus < 0)
		return -1;
	return (long)(v->valuedouble + plus);
}

/* perUnit or count: a bound, or [low, high]. 0 when not known. */
static int range(long *low, long *high, const cJSON *r, const cJSON *meta, const cJSON *args)
{
	if (cJSON_IsArray(r) && cJSON_GetArraySize(r) == 2) {
		*low = bound(cJSON_GetArrayItem(r, 0), meta, args);
		*high = bound(cJSON_GetArrayItem(r, 1), meta, args);
	} else {
		*low = *high = bound(r, meta, args);
	}
	if (*low < 0 || *high < 0)
		return 0;
	if (*high < *low)
		*high = *low;
	return 1;
}

void wfm_estimate_agent(uint64_t *tokens, uint64_t *input, uint64_t bytes, unsigned turns)
{
	uint64_t unit = bytes / WFM_ESTIMATE_BYTES_PER_TOKEN;
	uint64_t start = WFM_ESTIMATE_PROMPT_TOKENS + 2 * unit;
	uint64_t growth = unit + WFM_ESTIMATE_TOOL_TOKENS;
	uint64_t in = turns * start + growth * turns * (turns ? turns - 1 : 0) / 2;

	*input = in;
	*tokens = in + (uint64_t)turns * WFM_ESTIMATE_OUTPUT_TOKENS;
}

/* USD of one agent's tokens at p, cached of every 100 input tokens read from the cache. */
static double agent_usd(const struct wfm_price *p, uint64_t tokens, uint64_t input, unsigned cached)
{
	double in = (double)input, out = (double)(tokens - input);
	double from_cache = in * cached / 100.0;

	return ((in - from_cache) * p->input + from_cache * p->cache_read + out * p->output) / 1e6;
}

/* Adds n agents of unit bytes each to ph, at the low and high turns. */
static void add_agents(struct wfm_estimate_phase *ph, const struct wfm_price *p, unsigned cached,
		       uint64_t bytes, unsigned long low, unsigned long high)
{
	uint64_t t, in;

	wfm_estimate_agent(&t, &in, bytes, WFM_ESTIMATE_TURNS_LOW);
	ph->tokens_low += low * t;
	ph->usd_low += (double)low * agent_usd(p, t, in, cached);
	wfm_estimate_agent(&t, &in, bytes, WFM_ESTIMATE_TURNS_HIGH);
	ph->tokens_high += high * t;
	ph->usd_high += (double)high * agent_usd(p, t, in, cached);
}

/* "fix rounds 0-3": the phases whose count is a range, by title */
static void say_ranges(struct wfm_buf *b, const struct wfm_estimate *e)
{
	for (size_t i = 0; i < e->nr; i++) {
		const struct wfm_estimate_phase *ph = &e->phases[i];

		if (!ph->role || !ph->known || ph->each_low == ph->each_high)
			continue;
		wfm_buf_addf(b, ", %lu-%lu %s%s", ph->each_low, ph->each_high, ph->role,
			     ph->per_unit ? "s per unit" : "s");
	}
}

void wfm_estimate_run(struct wfm_estimate *out, const struct wfm_estimate_opts *o)
{
	const cJSON *phases = cJSON_GetObjectItemCaseSensitive(o->meta, "phases"), *p;
	const struct wfm_run_config *cfg = o->cfg;
	unsigned cached = cfg->no_cache ? 0 : WFM_ESTIMATE_CACHED_PERCENT;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	wfm_buf_init(&out->assumptions, 0);
	out->known = 1;
	out->metered = cfg->provider && cfg->provider->has_api;
	out->priced = 1;
	out->phases = wfm_calloc((size_t)cJSON_GetArraySize(phases) + 1, sizeof(*out->phases));
	cJSON_ArrayForEach (p, phases) {
		struct wfm_estimate_phase *ph = &out->phases[n++];
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(p, "agents");
		const cJSON *per = cJSON_GetObjectItemCaseSensitive(a, "perUnit");
		const cJSON *count = cJSON_GetObjectItemCaseSensitive(a, "count");
		const char *unless = wfm_json_get_str(a, "unless", NULL);
		const struct wfm_role *role;
		struct wfm_price price = { 0 };
		long low, high;

		ph->title = wfm_json_get_str(p, "title", "?");
		ph->role = wfm_json_get_str(a, "role", NULL);
		if (!ph->role)
			continue;
		out->any = 1;
		role = wfm_role_find(ph->role);
		if (!role)
			role = wfm_role_default();
		if (out->metered) {
			ph->model = wfm_model_resolve((const char *const *)cfg->models.v,
						      wfm_json_get_str(p, "model", NULL), NULL,
						      (const char *const *)cfg->config_models.v,
						      role, cfg->provider);
			if (wfm_price_find(&price, ph->model, (const char *const *)cfg->prices.v) <
				    0 ||
			    !price.known) {
				out->priced = 0;
				out->unpriced = ph->model;
				memset(&price, 0, sizeof(price));
			}
		}
		ph->per_unit = per != NULL;
		if (unless && cJSON_GetObjectItemCaseSensitive(o->args, unless)) {
			ph->known = 1; /* the argument is given: no agents */
			ph->unless = unless;
			continue;
		}
		if (!range(&low, &high, per ? per : count, o->meta, o->args) ||
		    (per && o->units < 0)) {
			out->known = 0;
			continue;
		}
		ph->known = 1;
		ph->each_low = (unsigned long)low;
		ph->each_high = (unsigned long)high;
		if (per) {
			ph->low = (unsigned long)low * (unsigned long)o->units;
			ph->high = (unsigned long)high * (unsigned long)o->units;
			for (long u = 0; u < o->units; u++)
				add_agents(ph, &price, cached, o->unit_bytes ? o->unit_bytes[u] : 0,
					   (unsigned long)low, (unsigned long)high);
		} else {
			ph->low = (unsigned long)low;
			ph->high = (unsigned long)high;
			add_agents(ph, &price, cached, 0, ph->low, ph->high);
		}
		out->agents_low += ph->low;
		out->agents_high += ph->high;
		out->tokens_low += ph->tokens_low;
		out->tokens_high += ph->tokens_high;
		out->usd_low += ph->usd_low;
		out->usd_high += ph->usd_high;
	}
	out->nr = n;
	if (!out->any)
		out->known = 0;
	wfm_buf_addf(&out->assumptions, "assumes %d-%d turns per agent, a unit's bytes / %d tokens",
		     WFM_ESTIMATE_TURNS_LOW, WFM_ESTIMATE_TURNS_HIGH, WFM_ESTIMATE_BYTES_PER_TOKEN);
	if (out->metered)
		wfm_buf_addf(&out->assumptions, ", %u%% of input read from the prompt cache",
			     cached);
	say_ranges(&out->assumptions, out);
}

void wfm_estimate_release(struct wfm_estimate *e)
{
	free(e->phases);
	wfm_buf_release(&e->assumptions);
	memset(e, 0, sizeof(*e));
}

int wfm_estimate_measure(struct wfm_estimate_measured *out, const cJSON *report)
{
	const cJSON *units = cJSON_GetObjectItemCaseSensitive(report, "units"), *u;
	const cJSON *totals = cJSON_GetObjectItemCaseSensitive(report, "totals");

	memset(out, 0, sizeof(*out));
	cJSON_ArrayForEach (u, units) {
		const char *status = wfm_json_get_str(u, "status", "");
		uint64_t tokens = (uint64_t)wfm_json_get_num(u, "tokens", 0);
		double usd = wfm_json_get_num(u, "costUsd", 0);
		unsigned long agents = (unsigned long)wfm_json_get_num(u, "agents", 0);

		if (!strcmp(status, "pending")) {
			out->left++;
			continue;
		}
		if (!agents)
			continue;
		if (!out->measured || agents < out->unit_agents_low)
			out->unit_agents_low = agents;
		if (!out->measured || agents > out->unit_agents_high)
			out->unit_agents_high = agents;
		if (!out->measured || tokens < out->unit_tokens_low)
			out->unit_tokens_low = tokens;
		if (!out->measured || tokens > out->unit_tokens_high)
			out->unit_tokens_high = tokens;
		if (!out->measured || usd < out->unit_usd_low)
			out->unit_usd_low = usd;
		if (!out->measured || usd > out->unit_usd_high)
			out->unit_usd_high = usd;
		out->measured++;
	}
	out->spent_agents = (unsigned long)wfm_json_get_num(totals, "agents", 0);
	out->spent_tokens = (uint64_t)wfm_json_get_num(totals, "tokens", 0);
	out->agents_low = out->spent_agents + out->left * out->unit_agents_low;
	out->agents_high = out->spent_agents + out->left * out->unit_agents_high;
	out->spent_usd = wfm_json_get_num(totals, "costUsd", 0);
	out->tokens_low = out->spent_tokens + out->left * out->unit_tokens_low;
	out->tokens_high = out->spent_tokens + out->left * out->unit_tokens_high;
	out->usd_low = out->spent_usd + (double)out->left * out->unit_usd_low;
	out->usd_high = out->spent_usd + (double)out->left * out->unit_usd_high;
	if (!out->measured)
		return wfm_error_setc(WFM_ENOTFOUND, "no unit of the run has finished agents");
	return 0;
}
