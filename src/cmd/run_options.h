#ifndef WFM_CMD_RUN_OPTIONS_H
#define WFM_CMD_RUN_OPTIONS_H

#include "engine/config.h"
#include "ui/options.h"

/*
 * The options of a run's settings (engine/config.h) that several commands
 * take — run and plan (cmd/run.c), sweep (cmd/sweep.c) — each named as
 * its row of wfm_config_fields[] names it. They fill `given`, a struct
 * wfm_run_config_given the command has in scope, which
 * wfm_run_config_resolve() reads.
 */
#define OPT_CFG_STRING(id, argh, help)                                                             \
	WFM_OPT_STRING(0, wfm_config_fields[id].option, &given.str[id], argh, help)
#define OPT_CFG_UINT(id, argh, help)                                                               \
	WFM_OPT_UINT(0, wfm_config_fields[id].option, &given.num[id], argh, help,                  \
		     wfm_config_fields[id].min, wfm_config_fields[id].max)
#define OPT_CFG_BOOL(id, help) WFM_OPT_BOOL(0, wfm_config_fields[id].option, &given.flag[id], help)
#define OPT_CFG_LIST(id, argh, help)                                                               \
	WFM_OPT_LIST(0, wfm_config_fields[id].option, &given.list[id], argh, help)

/* who runs the agents, and what they may spend */
#define WFM_RUN_OPTIONS_PROVIDER                                                                   \
	OPT_CFG_STRING(WFM_CF_PROVIDER, "name",                                                    \
		       "who runs the agents: anthropic, openai or exec (default: exec with "       \
		       "--agent-cmd, else the API whose key is set)"),                             \
		OPT_CFG_STRING(WFM_CF_AGENT_CMD, "cmd",                                            \
			       "exec provider: the command each agent runs (sh -c)"),              \
		OPT_CFG_LIST(WFM_CF_MODELS, "[role=]model",                                        \
			     "the model, for every role or one (repeatable)"),                     \
		OPT_CFG_STRING(WFM_CF_BUDGET, "tokens",                                            \
			       "tokens the run may spend, never passed (250000, 250k, 2M)"),       \
		OPT_CFG_STRING(WFM_CF_MAX_COST, "usd", "USD the run may spend, never passed")

/* the limits of each agent, and how many run at once */
#define WFM_RUN_OPTIONS_AGENT_LIMITS                                                               \
	OPT_CFG_UINT(WFM_CF_MAX_TURNS, "n", "model calls per agent (default 60)"),                 \
		OPT_CFG_UINT(WFM_CF_AGENT_TOKENS, "n",                                             \
			     "tokens per agent (default: no limit but the budget)"),               \
		OPT_CFG_BOOL(WFM_CF_NO_CACHE, "do not mark prompts cacheable (for comparisons)"),  \
		OPT_CFG_UINT(WFM_CF_CONCURRENCY, "n", "agents at once (1-256, default 16)")

/*
 * The exec provider's command with its relative paths resolved
 * (wfm_agent_exec_resolve_cmd), as run.json keeps it, so that a resume
 * from anywhere runs the same: taken from the current directory when it
 * came from --agent-cmd or WFMIGRATE_AGENT_CMD, from the top of the
 * working tree when from git config, which has no current directory.
 * cfg->base must be resolved.
 */
struct wfm_repo;
int wfm_cmd_resolve_agent_cmd(struct wfm_run_config *cfg, struct wfm_repo *repo);

/*
 * The executor's paths made absolute the same way, as run.json keeps them:
 * --remote when it names a local directory, and --job-dir (the jobs fetch
 * from, and write to, their own directories, on other machines).
 */
int wfm_cmd_resolve_executor_paths(struct wfm_run_config *cfg, struct wfm_repo *repo);

/*
 * For the commands that run the oracle without a run (flaky): the
 * executor settings of cfg (an initialised config) as `run` reads them —
 * --executor and --remote from executor_opt and remote_opt (NULL: not
 * given), every one from git config and the environment — with the paths
 * made absolute and a remote required by any executor but local.
 * WFM_EINVALID for a bad option, WFM_ECONFIG for bad git config.
 */
int wfm_cmd_executor_settings(struct wfm_run_config *cfg, struct wfm_repo *repo,
			      const char *executor_opt, const char *remote_opt);

#endif
