#ifndef WFM_CMD_PLAN_H
#define WFM_CMD_PLAN_H

/*
 * `git wfmigrate plan` and the planner's part of `run`. The two commands
 * share one option table and one flow, wfm_cmd_run_or_plan() in run.c
 * (plan_only: stop at the card and write the harness instead of running);
 * what only the planner or plan needs is here, in plan.c.
 */
#include "base/json.h"

struct wfm_cmd_ctx;
struct wfm_option;
struct wfm_plan;
struct wfm_repo;
struct wfm_run_config;
struct wfm_workflow_where;

/* run.c: the flow of both commands; returns the exit code */
int wfm_cmd_run_or_plan(int argc, const char **argv, struct wfm_cmd_ctx *ctx, int plan_only);

/* Removes the options whose long names are in names (NULL-terminated) from the table. */
void wfm_cmd_drop_options(struct wfm_option *opts, const char *const *names);

/*
 * Asks the planner (engine/planner.h) for the goal, and prints its model,
 * tries, tokens and cost, then what it chose or wrote. 0 with *script and
 * *meta replaced by the plan's, cfg->workflow set to its name, and what
 * the planner spent taken off cfg's budget and max_cost (they hold for
 * the planner and the run together); WFM_EXIT_FAILURE when the planner
 * gave up or left nothing of them (printed); else a negative library
 * error (not printed).
 */
int wfm_cmd_plan_ask(struct wfm_plan *plan, struct wfm_run_config *cfg, struct wfm_repo *repo,
		     const char *goal, const struct wfm_workflow_where *where, char **script,
		     cJSON **meta);

/* Adds the planner's arguments for a chosen workflow to args, under those already there. */
void wfm_cmd_plan_add_args(cJSON *args, const struct wfm_plan *plan);

/*
 * plan's result: writes the harness at script to output (default
 * .wfmigrate/workflows/<meta.name>.js at the top of the working tree for
 * a script the planner wrote; nothing for a workflow that exists, unless
 * output), refusing an existing file without force (WFM_EEXISTS); then
 * prints the run command for it (workflow: the name to run when no file
 * is written) and, with json, what was planned on stdout.
 */
int wfm_cmd_plan_write(const char *output, int force, int json, const char *script,
		       const char *workflow, const cJSON *meta, const cJSON *args,
		       const struct wfm_plan *plan, struct wfm_repo *repo, const char *goal);

#endif
