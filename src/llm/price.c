/*
 * What tokens cost. The defaults are list prices in USD per million
 * tokens, as read on 2026-11-22 from the providers' pricing pages
 * (Anthropic: 5-minute cache writes 1.25x input, cache reads 0.1x input;
 * OpenAI: cached input at its own price, no write premium). Prices change:
 * override with git config wfmigrate.price.<model> = "<in>,<out>[,<cw>,<cr>]".
 */
#include "base/common.h"
#include "llm/price.h"

struct entry {
	const char *model; /* a name, or the prefix of a family's names */
	double input, output, cache_write, cache_read;
};

#define CLAUDE(name, in, out)                                                                      \
	{                                                                                          \
		name, in, out, (in)*1.25, (in)*0.1                                                 \
	}
#define GPT(name, in, out, cached)                                                                 \
	{                                                                                          \
		name, in, out, in, cached                                                          \
	}

static const struct entry defaults[] = {
	CLAUDE("claude-opus-4", 15, 75), /* opus 4 and 4.1 */
	CLAUDE("claude-opus-4-5", 5, 25),    CLAUDE("claude-opus-4-6", 5, 25),
	CLAUDE("claude-opus-4-7", 5, 25),    CLAUDE("claude-sonnet-4", 3, 15), /* 4, 4.5, 4.6 */
	CLAUDE("claude-haiku-4", 1, 5),					       /* 4.5 */
	CLAUDE("claude-3-7-sonnet", 3, 15),  CLAUDE("claude-3-5-sonnet", 3, 15),
	CLAUDE("claude-3-5-haiku", 0.8, 4),  CLAUDE("claude-3-haiku", 0.25, 1.25),
	CLAUDE("claude-3-opus", 15, 75),     GPT("gpt-4.1", 2, 8, 0.5),
	GPT("gpt-4.1-mini", 0.4, 1.6, 0.1),  GPT("gpt-4.1-nano", 0.1, 0.4, 0.025),
	GPT("gpt-4o", 2.5, 10, 1.25),	     GPT("gpt-4o-mini", 0.15, 0.6, 0.075),
	GPT("gpt-5", 1.25, 10, 0.125),	     GPT("gpt-5-mini", 0.25, 2, 0.025),
	GPT("gpt-5-nano", 0.05, 0.4, 0.005), GPT("o3", 2, 8, 0.5),
	GPT("o4-mini", 1.1, 4.4, 0.275),
};

/* "<in>,<out>[,<cw>,<cr>]" → e (model not set) */
static int parse_prices(struct entry *e, const char *model, const char *s, const char *whole)
{
	double v[4];
	int n = 0;
	const char *p = s;

	for (;;) {
		char *end;

		while (*p == ' ')
			p++;
		if (n == 4 || !*p)
			goto bad;
		errno = 0;
		v[n] = strtod(p, &end);
		if (end == p || errno || !(v[n] >= 0) || v[n] > 1e9)
			goto bad;
		n++;
		p = end;
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (*p++ != ',')
			goto bad;
	}
	if (n != 2 && n != 4)
		goto bad;
	e->input = v[0];
	e->output = v[1];
	if (n == 4) {
		e->cache_write = v[2];
		e->cache_read = v[3];
	} else if (!strncmp(model, "claude", 6)) {
		e->cache_write = v[0] * 1.25;
		e->cache_read = v[0] * 0.1;
	} else { /* no cache discount assumed: the dearer guess */
		e->cache_write = v[0];
		e->cache_read = v[0];
	}
	return 0;
bad:
	return wfm_error_setc(WFM_EINVALID,
			      "invalid price '%s': expected <model>=<in>,<out>[,<cache-write>,"
			      "<cache-read>] in USD per million tokens",
			      whole);
}

/* how well name (a full name or a prefix) matches model: 0 not at all */
static size_t match(const char *name, const char *model)
{
	size_t n = strlen(name);

	if (!strcmp(name, model))
		return SIZE_MAX;
	return !strncmp(name, model, n) ? n : 0;
}

int wfm_price_find(struct wfm_price *out, const char *model, const char *const *config)
{
	struct entry best = { 0 };
	size_t best_score = 0;

	memset(out, 0, sizeof(*out));
	if (!model)
		model = "";
	for (size_t i = 0; i < WFM_ARRAY_SIZE(defaults); i++) {
		size_t score = match(defaults[i].model, model);

		if (score > best_score) {
			best = defaults[i];
			best_score = score;
		}
	}
	/* overrides win over a default of the same score; all are checked */
	for (size_t i = 0; config && config[i]; i++) {
		const char *eq = strchr(config[i], '=');
		struct entry e = { 0 };
		char *name;
		size_t score;
		int rc;

		if (!eq || eq == config[i])
			return wfm_error_setc(WFM_EINVALID,
					      "invalid price '%s': expected <model>=<in>,<out>"
					      "[,<cache-write>,<cache-read>]",
					      config[i]);
		name = wfm_strndup(config[i], (size_t)(eq - config[i]));
		rc = parse_prices(&e, name, eq + 1, config[i]);
		score = match(name, model);
		free(name);
		if (rc < 0)
			return rc;
		if (score && score >= best_score) {
			best = e;
			best_score = score;
		}
	}
	if (!best_score)
		return 0;
	out->input = best.input;
	out->output = best.output;
	out->cache_write = best.cache_write;
	out->cache_read = best.cache_read;
	out->known = 1;
	return 0;
}

double wfm_price_cost(const struct wfm_price *p, const struct wfm_llm_usage *u)
{
	return ((double)u->input * p->input + (double)u->output * p->output +
		(double)u->cache_write * p->cache_write + (double)u->cache_read * p->cache_read) /
	       1e6;
}

double wfm_price_worst(const struct wfm_price *p, uint64_t input_tokens, uint64_t max_tokens)
{
	double in = p->input > p->cache_write ? p->input : p->cache_write;

	if (p->cache_read > in)
		in = p->cache_read;
	return ((double)input_tokens * in + (double)max_tokens * p->output) / 1e6;
}
