#ifndef WFM_UI_RUN_H
#define WFM_UI_RUN_H

#include <stdint.h>

#include "base/json.h"
#include "base/strvec.h"
#include "engine/rundir.h"

struct wfm_rundir;
struct wfm_engine_opts;

/*
 * What `run` and `resume` share: the options a run was started with
 * (saved as run.json in its directory, so resume uses the same), and
 * carrying a run out in front of the user — progress on stderr, Ctrl-C
 * stops it, the outcome on stdout (report.json with --json). Returns the
 * exit code: 0 the workflow returned, 1 it failed or was stopped, 130/143
 * interrupted by a signal.
 */
struct wfm_run_settings {
	char *workflow; /* the name or path it was started with, for people */
	char base[41];
	char *oracle;
	unsigned long oracle_timeout;
	char *provider;
	char *agent_cmd;
	unsigned long concurrency, oracle_jobs, max_agents, agent_timeout;
	int allow_test_edits;
	/* LLM providers; the API key is never saved: it is read from the
	 * environment (ANTHROPIC_API_KEY, OPENAI_API_KEY) each time */
	char *base_url;
	struct wfm_strvec models;	 /* --model "[<role>=]<model>" */
	struct wfm_strvec config_models; /* git config wfmigrate.model[.<role>] at the start */
	struct wfm_strvec prices;	 /* git config wfmigrate.price at the start */
	uint64_t budget_tokens;		 /* 0: none */
	double max_cost;		 /* USD; 0: none */
	int sandbox;			 /* enum wfm_sandbox */
	unsigned long max_turns, agent_tokens;
	int no_cache;
};

/* How many lines out of reach the approval card and the outcome of a run show. */
#define WFM_UI_REACH_SHOWN 5

/* The provider's API key from the environment (NULL: none), or WFM_EINVALID when it needs one. */
int wfm_run_api_key(const char **key, const struct wfm_run_settings *s);

void wfm_run_settings_release(struct wfm_run_settings *s);
/* run.json in the run's directory */
int wfm_run_settings_save(struct wfm_rundir *run, const struct wfm_run_settings *s);
/* WFM_ECONFIG naming the bad field */
int wfm_run_settings_load(struct wfm_run_settings *out, struct wfm_rundir *run);
/* a JSON file of the run's directory (args.json, meta.json); new tree in *out */
int wfm_run_json_load(cJSON **out, struct wfm_rundir *run, const char *name);

int wfm_ui_run(struct wfm_rundir *run, const char *repo_path, const struct wfm_run_settings *s,
	       const cJSON *args, int json);

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
