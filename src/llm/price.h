#ifndef WFM_LLM_PRICE_H
#define WFM_LLM_PRICE_H

/*
 * What tokens cost: USD per million input, output, cache-write and
 * cache-read tokens, per model. Defaults for current Claude and GPT
 * models (price.c, with the date they were read); git config
 * wfmigrate.price (multi-valued: git config --add) entries
 * "<model>=<in>,<out>[,<cache-write>,<cache-read>]" override or add one
 * (a model name may hold dots, which git config keys cannot). A model with no price costs nothing
 * and says so (known = 0), so --max-cost can refuse to run with it.
 */
#include "llm/llm.h"

struct wfm_price {
	double input, output, cache_write, cache_read; /* USD per million tokens */
	int known;
};

/*
 * The price of model: an exact name, else the longest default whose name
 * is a prefix of it ("claude-sonnet-4-5" matches "claude-sonnet-4-5-20250929").
 * config: "model=<in>,<out>[,<cw>,<cr>]" overrides, or NULL.
 * WFM_EINVALID when an override is malformed.
 */
int wfm_price_find(struct wfm_price *out, const char *model, const char *const *config);

/* USD for usage at price. */
double wfm_price_cost(const struct wfm_price *p, const struct wfm_llm_usage *usage);

/* The most a call can cost: input_tokens all written to the cache or
 * read fresh (the dearer), and max_tokens of output. */
double wfm_price_worst(const struct wfm_price *p, uint64_t input_tokens, uint64_t max_tokens);

#endif
