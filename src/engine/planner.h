#ifndef WFM_ENGINE_PLANNER_H
#define WFM_ENGINE_PLANNER_H

/*
 * The planner: for a goal in one sentence, the workflow a run runs. It
 * asks one agent of role `planner`, through the run's provider (one with
 * an API), for either the name of a built-in or saved workflow that fits
 * (with its arguments) or a new harness script. Its prompt is
 * docs/workflow-api.md (read from the data directory at run time: the
 * reference people read and the planner's prompt are one text), the
 * built-in workflows as examples, the saved ones by name, a profile of
 * the repository at the base commit and the goal (docs/planner.md).
 *
 * Every answer is checked before anyone sees it: a named workflow must
 * exist (by name, never a path), pass the harness check and take the
 * arguments given; a script must pass the harness check (it compiles,
 * its meta is a pure literal with name and description, it uses no
 * forbidden global: engine/harness.h), have meta.phases, and accept the
 * run's goal. A refused answer goes back to the planner with the error,
 * at most WFM_PLANNER_RETRIES more times.
 *
 * The call is made outside any run: no pool, no worktree, no journal;
 * its own LLM client and a ledger with the run's --budget and
 * --max-cost, so the planner alone never passes them. What it spent is
 * in struct wfm_plan for the caller to show.
 */
#include <signal.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/json.h"

struct wfm_repo;
struct wfm_run_config;
struct wfm_workflow_where;

/* answers refused before the planner gives up: one try and this many more */
#define WFM_PLANNER_RETRIES 2
/* lines of the README the profile quotes */
#define WFM_PLANNER_README_LINES 40

struct wfm_planner_opts {
	const char *goal;		     /* required, not empty */
	const struct wfm_run_config *config; /* a provider with an API; base resolved */
	struct wfm_repo *repo;
	const char *api_key; /* the provider's key (may be NULL for local servers) */
	/* where saved workflows are found, and a chosen one */
	const struct wfm_workflow_where *where;
	const char *transcript_path;	     /* the planner's transcript (JSONL); NULL: none */
	const volatile sig_atomic_t *cancel; /* may be NULL */
};
/* clang-format off */
#define WFM_PLANNER_OPTS_INIT { .goal = NULL }
/* clang-format on */

struct wfm_plan {
	/*
	 * 1: a checked answer is below. 0: the planner gave up or failed,
	 * reason says why ("the planner's harness was refused 3 times; the
	 * last time: workflow.js:3:9: SyntaxError: ...", "budget: ...").
	 */
	int ok;
	char *reason;
	/* a chosen workflow's name; NULL when the planner wrote a script */
	char *workflow;
	/*
	 * The script to run: the chosen workflow's file, or the written
	 * script in a temporary file that wfm_plan_release() removes (copy it
	 * before: the run directory and `plan -o` do).
	 */
	char *script;
	char *source; /* the written script's text; NULL for a chosen workflow */
	int temporary;
	cJSON *meta;	/* the script's, as the check gave it */
	cJSON *args;	/* the arguments the planner gave a chosen workflow: an object */
	char *why;	/* the planner's one line */
	char *model;	/* the model asked */
	unsigned tries; /* answers asked for */
	uint64_t tokens_in, tokens_out;
	double cost_usd;
};
/* clang-format off */
#define WFM_PLAN_INIT { .ok = 0 }
/* clang-format on */

/*
 * Plans: 0 with out filled (out->ok says whether a plan came of it);
 * negative when the planner cannot be asked at all (WFM_EINVALID: no
 * provider with an API, no goal, a model without a price under
 * --max-cost; WFM_ENOTFOUND: docs/workflow-api.md or the runtime is not
 * installed; errors of git or the chunker).
 */
int wfm_planner_run(struct wfm_plan *out, const struct wfm_planner_opts *opts);
void wfm_plan_release(struct wfm_plan *p);

/*
 * The repository profile the planner is given: tracked files at base,
 * languages with their files and units (chunk/chunk.h), the oracle
 * command (NULL: none) and the first WFM_PLANNER_README_LINES lines of
 * the README at the top. Appended to out.
 */
int wfm_planner_profile(struct wfm_buf *out, struct wfm_repo *repo, const char *base,
			const char *oracle);

/* What the prompt is made of besides the data directory's files; all borrowed. */
struct wfm_planner_prompt {
	const char *api;      /* docs/workflow-api.md */
	const char *examples; /* the built-in workflows, each as a fenced block */
	const char *saved;    /* "- name: description" lines; "" or NULL: none */
	const char *profile;  /* wfm_planner_profile() */
	const char *goal;
	unsigned attempt, attempts; /* 1-based, of */
	const char *refused;	    /* the previous answer's error; NULL on the first try */
	const char *previous;	    /* the previous answer (a script or JSON); NULL: none */
};

/*
 * The prompt: the parts every try shares first (the API, the examples,
 * the saved workflows, the answer's rules), then the repository, the goal
 * and, on a retry, why the previous answer was refused. Appended to out.
 */
void wfm_planner_prompt_build(struct wfm_buf *out, const struct wfm_planner_prompt *p);

/* The schema of the planner's answer (a new tree; cJSON_Delete()). */
cJSON *wfm_planner_schema(void);

#endif
