#ifndef WFM_CMD_BUILTIN_RUN_H
#define WFM_CMD_BUILTIN_RUN_H

#include "base/json.h"
#include "engine/config.h"
#include "ui/options.h"

/*
 * What the commands that run a built-in workflow to its end and read its
 * result share (sweep runs workflows/sweep.js, flaky --fix
 * workflows/flaky.js): the run's configuration from the agent options
 * (cmd/run_options.h), then the workflow found and checked, its card on
 * stderr (no question asked), the run made and carried out in front of
 * the user, and the `result` of its report.json; or an earlier run of the
 * same workflow resumed. Each returns an exit code, having printed the
 * error (ui/message.h).
 */
struct wfm_repo;
struct wfm_rundir;

/* The job: its workflow, its name in messages, how to resume it. */
struct wfm_cmd_builtin {
	const char *workflow; /* "sweep" */
	const char *what;     /* "the sweep" */
	const char *resume;   /* "git wfmigrate sweep --resume" (the run's id follows) */
};

/*
 * Resolves cfg (initialised here; release it with
 * wfm_run_config_release()) from given, for a run of job->workflow at
 * head (NULL: HEAD): checked, the API key found, the exec provider's
 * command resolved, the workflow found (so that a missing one fails
 * before any work). A bad setting from the command line is a usage error
 * (usage and options printed).
 */
int wfm_cmd_builtin_setup(struct wfm_run_config *cfg, struct wfm_repo *repo,
			  struct wfm_run_config_given *given, const struct wfm_cmd_builtin *job,
			  const char *head, const char *const *usage,
			  const struct wfm_option *options);

/*
 * Runs cfg->workflow with args (borrowed) to its end: its card (its base
 * named head, NULL: HEAD) on stderr unless quiet, progress on stderr
 * unless quiet. *run gets the run (wfm_rundir_free(); may be set on
 * failure too), *result the report's `result` (a new tree; NULL on
 * failure). A run that did not finish is an error that says how to
 * resume it.
 */
int wfm_cmd_builtin_run(cJSON **result, struct wfm_rundir **run, struct wfm_repo *repo,
			const struct wfm_run_config *cfg, const cJSON *args,
			const struct wfm_cmd_builtin *job, const char *head, int quiet);

/*
 * The run id of job->workflow (refused if it is another workflow's, or
 * running elsewhere) carried on to its end with the configuration and
 * arguments it was started with (cfg is loaded into: release it), every
 * finished request replayed from its journal; a finished run only
 * replays. *run and *result as for wfm_cmd_builtin_run().
 */
int wfm_cmd_builtin_resume(cJSON **result, struct wfm_rundir **run, struct wfm_run_config *cfg,
			   struct wfm_repo *repo, const char *id, const struct wfm_cmd_builtin *job,
			   int quiet);

#endif
