#ifndef WFM_UI_RUN_H
#define WFM_UI_RUN_H

#include "base/json.h"
#include "engine/rundir.h"

struct wfm_rundir;

struct wfm_run_config;

/* How many lines out of reach the approval card and the outcome of a run show. */
#define WFM_UI_REACH_SHOWN 5

/* a JSON file of the run's directory (args.json, meta.json); new tree in *out */
int wfm_run_json_load(cJSON **out, struct wfm_rundir *run, const char *name);

/* How wfm_ui_run shows a run (flags). */
#define WFM_UI_RUN_JSON 1	/* report.json on stdout instead of the outcome */
#define WFM_UI_RUN_QUIET 2	/* no progress on stderr (warnings and errors still) */
#define WFM_UI_RUN_BACKGROUND 4 /* detach first (below) */
#define WFM_UI_RUN_NO_OUTCOME 8 /* nothing on stdout: the caller reads report.json */

/*
 * What `run` and `resume` share: carrying a run out in front of the user
 * with its configuration (engine/config.h; saved as run.json, so resume
 * uses the same) — progress on stderr, Ctrl-C stops it, the outcome on
 * stdout (report.json with WFM_UI_RUN_JSON). Returns the exit code: 0 the
 * workflow returned, 1 it failed or was stopped, 130/143 interrupted by a
 * signal.
 *
 * With WFM_UI_RUN_BACKGROUND the run goes on in a process of its own
 * (forked, a new session, stdin from /dev/null, stdout and stderr
 * appended to output.log in the run directory) that takes over the run's
 * lock; this process says so (the run's id, pid, and the commands to
 * watch and stop it; with JSON, {id, pid, dir, output} on stdout) and
 * returns 0.
 */
int wfm_ui_run(struct wfm_rundir *run, const char *repo_path, const struct wfm_run_config *cfg,
	       const cJSON *args, unsigned flags);

/*
 * What pause and stop share: the run named by their one optional
 * argument (argv[0..argc), what is left after the options; none: the
 * newest run), opened, with its state and pid, when it is live. Returns
 * 0 with *out set (wfm_rundir_free()); else an exit code after telling
 * the user why (too many arguments, no such run, not running).
 */
struct wfm_option;
int wfm_ui_live_run(struct wfm_rundir **out, enum wfm_run_state *state, pid_t *pid, int argc,
		    const char **argv, const char *const *usage, const struct wfm_option *options,
		    const char *commondir);

#endif
