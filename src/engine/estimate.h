#ifndef WFM_ENGINE_ESTIMATE_H
#define WFM_ENGINE_ESTIMATE_H

/*
 * What a run will roughly spend, before anything runs: the agents of each
 * phase, and a range (low to high) of tokens and USD, for the approval
 * card (docs/workflow-api.md, "Planned agents"; docs/card.md).
 *
 * The agents come from the phases of the script's meta: a phase may say
 * `agents: {role, perUnit | count, unless?}` (Claude Code ignores the key).
 * perUnit and count are a bound or [low, high]; a bound is a number, an
 * argument's name (its value, else its declared default) or
 * {arg, plus}. A phase with perUnit is counted when the units are (the
 * card's dry count of chunk()); `unless: '<arg>'` makes a phase plan no
 * agents when that argument is given.
 *
 * The tokens of one agent follow a small model whose figures are the
 * WFM_ESTIMATE_* constants below: its context starts with a fixed prompt
 * and its unit (bytes / WFM_ESTIMATE_BYTES_PER_TOKEN) twice (the unit's
 * text in the prompt and read again), and grows by the unit and a tool
 * result every turn, for TURNS_LOW to TURNS_HIGH turns, each of which
 * writes OUTPUT tokens. USD: the price (llm/price.h, with wfmigrate.price
 * overrides) of the model each role resolves to (agent/model.h), with
 * CACHED_PERCENT of the input read from the prompt cache (none with
 * --no-prompt-cache). Low is the fewest agents at the fewest turns, high
 * the most at the most.
 *
 * Library code: nothing printed.
 */
#include <stdint.h>

#include "base/buf.h"
#include "base/json.h"

struct wfm_run_config;

#define WFM_ESTIMATE_BYTES_PER_TOKEN 4
#define WFM_ESTIMATE_PROMPT_TOKENS 2500 /* system prompt, tools, rubric, goal */
#define WFM_ESTIMATE_TOOL_TOKENS 400	/* a tool result besides the unit, per turn */
#define WFM_ESTIMATE_OUTPUT_TOKENS 400	/* written per turn */
#define WFM_ESTIMATE_TURNS_LOW 4
#define WFM_ESTIMATE_TURNS_HIGH 8
#define WFM_ESTIMATE_CACHED_PERCENT 40

/* The warnings' thresholds (the reference system's "Large workflow"). */
#define WFM_ESTIMATE_LARGE_AGENTS 25
#define WFM_ESTIMATE_LARGE_TOKENS 1500000

struct wfm_estimate_phase {
	const char *title;  /* borrowed from the meta */
	const char *role;   /* NULL: the phase plans no agents it says */
	const char *model;  /* the role's model (LLM providers), borrowed */
	const char *unless; /* the argument given that makes it plan none, borrowed */
	int known;	    /* low and high are known */
	int per_unit;	    /* counted per unit (else a count for the phase) */
	unsigned long each_low, each_high; /* per unit (per_unit), else low and high */
	unsigned long low, high;	   /* agents of the phase */
	uint64_t tokens_low, tokens_high;
	double usd_low, usd_high;
};

struct wfm_estimate {
	struct wfm_estimate_phase *phases;
	size_t nr;
	int any;   /* some phase says its agents */
	int known; /* every phase that says its agents could be counted */
	unsigned long agents_low, agents_high;
	int metered;	      /* a provider with an API: tokens and USD are estimated */
	int priced;	      /* every model has a price (else its USD counts as 0) */
	const char *unpriced; /* a model without a price, borrowed; NULL: none */
	uint64_t tokens_low, tokens_high;
	double usd_low, usd_high;
	struct wfm_buf assumptions; /* one line: what the figures assume */
};

struct wfm_estimate_opts {
	const cJSON *meta;		  /* the script's meta */
	const cJSON *args;		  /* the run's arguments */
	const struct wfm_run_config *cfg; /* provider, models, prices, no_cache */
	long units;			  /* units chunk() will make; -1: not known */
	const uint64_t *unit_bytes;	  /* the size of each (units of them) */
};

/* Estimates the run o describes. Never fails; release out. */
void wfm_estimate_run(struct wfm_estimate *out, const struct wfm_estimate_opts *o);
void wfm_estimate_release(struct wfm_estimate *e);

/*
 * The tokens of one agent working on a unit of bytes for turns turns
 * (input and output), and of those the input.
 */
void wfm_estimate_agent(uint64_t *tokens, uint64_t *input, uint64_t bytes, unsigned turns);

/* A range measured on finished units, and what it makes of the units left. */
struct wfm_estimate_measured {
	unsigned long measured;				 /* units with agents that finished */
	unsigned long left;				 /* units not started */
	unsigned long unit_agents_low, unit_agents_high; /* per measured unit: min, max */
	uint64_t unit_tokens_low, unit_tokens_high;
	unsigned long spent_agents;
	double unit_usd_low, unit_usd_high;
	uint64_t spent_tokens; /* the run so far */
	double spent_usd;
	unsigned long agents_low, agents_high; /* the whole run: spent + left x [min, max] */
	uint64_t tokens_low, tokens_high;
	double usd_low, usd_high;
};

/*
 * From a report.json (engine/report.c): its units with agents are
 * measured (their tokens and costUsd), its units with the status
 * "pending" are left. WFM_ENOTFOUND when no unit was measured.
 */
int wfm_estimate_measure(struct wfm_estimate_measured *out, const cJSON *report);

#endif
