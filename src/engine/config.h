#ifndef WFM_ENGINE_CONFIG_H
#define WFM_ENGINE_CONFIG_H

/*
 * A run's configuration: what `run` is started with, saved as run.json in
 * the run's directory so that `resume` runs the same, and read by the
 * engine (wfm_engine_opts.config). One struct, and one table of its fields
 * (config.c) that says for each: its key in run.json, its command-line
 * option, its git config key, its environment variable, its type and its
 * default. The table drives the defaults, where a value is taken from,
 * run.json's save and load, and the approval card's list of settings.
 *
 * Where a value comes from, the first that has it (wfm_config_lookup):
 *   1. the command-line option,
 *   2. git config wfmigrate.<key>,
 *   3. the environment variable WFMIGRATE_<KEY> (key upper-cased, '.' and
 *      '-' turned into '_': oracle.timeout → WFMIGRATE_ORACLE_TIMEOUT),
 *   4. the default.
 * The script comes in later, where the engine lets it: agent({model})
 * between --model and git config's models (agent/model.h), args
 * allowTestEdits on top of allow_test_edits. A bad value from the command
 * line is WFM_EINVALID (a usage error); from git config, the environment or
 * run.json it is WFM_ECONFIG.
 *
 * To add a setting: a member here, its id in enum wfm_config_field_id, its
 * row in config.c's table, and its option line in cmd/run.c (OPT_CFG_*,
 * which takes the option's name from the row).
 */
#include <stdint.h>

#include "base/json.h"
#include "base/strvec.h"
#include "git/hash.h"

struct wfm_provider;
struct wfm_repo;
struct wfm_buf;

/* Where a field's value came from. */
enum wfm_config_from {
	WFM_FROM_DEFAULT,
	WFM_FROM_OPTION,
	WFM_FROM_GIT_CONFIG,
	WFM_FROM_ENV,
	WFM_FROM_SAVED, /* run.json */
};

/* The fields, in the table's order: an index into it and into the arrays below. */
enum wfm_config_field_id {
	WFM_CF_WORKFLOW,
	WFM_CF_BASE,
	WFM_CF_ORACLE,
	WFM_CF_ORACLE_TIMEOUT,
	WFM_CF_PROVIDER,
	WFM_CF_AGENT_CMD,
	WFM_CF_CONCURRENCY,
	WFM_CF_ORACLE_JOBS,
	WFM_CF_MAX_AGENTS,
	WFM_CF_AGENT_TIMEOUT,
	WFM_CF_ALLOW_TEST_EDITS,
	WFM_CF_BASE_URL,
	WFM_CF_MODELS,
	WFM_CF_CONFIG_MODELS,
	WFM_CF_PRICES,
	WFM_CF_BUDGET,
	WFM_CF_MAX_COST,
	WFM_CF_SANDBOX,
	WFM_CF_MAX_TURNS,
	WFM_CF_AGENT_TOKENS,
	WFM_CF_NO_CACHE,
	WFM_CF_PILOT,
	WFM_CF_KNOWN_FAILURES,
	WFM_CF_EXECUTOR,
	WFM_CF_REMOTE,
	WFM_CF_SLURM_PARTITION,
	WFM_CF_JOB_CPUS,
	WFM_CF_JOB_MEM,
	WFM_CF_JOB_DIR,
	WFM_CF_NODE_CACHE,
	WFM_CF_NR,
};

struct wfm_run_config {
	char *workflow;			     /* the name or path it was started with, for people */
	char base[WFM_OID_HEXSZ + 1];	     /* the base commit, resolved */
	char *oracle;			     /* NULL: oracle() and merge() fail */
	unsigned long oracle_timeout;	     /* seconds */
	const struct wfm_provider *provider; /* a row of agent/provider.h */
	char *agent_cmd;		     /* exec: sh -c <agent_cmd>, relative paths resolved */
	unsigned long concurrency;	     /* agents in flight, 1-256 */
	unsigned long oracle_jobs;	     /* oracle processes in flight */
	unsigned long max_agents;	     /* agents per run */
	unsigned long agent_timeout;	     /* seconds */
	int allow_test_edits;
	/*
	 * Providers with an API. The API key is never saved: it is read from
	 * the provider's variable each time (wfm_run_config_api_key).
	 */
	char *base_url;
	struct wfm_strvec models;	 /* --model "[<role>=]<model>" */
	struct wfm_strvec config_models; /* git config wfmigrate.model[.<role>] at the start */
	struct wfm_strvec prices;	 /* git config wfmigrate.price at the start */
	uint64_t budget_tokens;		 /* 0: none */
	double max_cost;		 /* USD; 0: none */
	int sandbox;			 /* enum wfm_sandbox */
	unsigned long max_turns;	 /* model calls per agent; 0: the loop's default */
	unsigned long agent_tokens;	 /* per agent; 0: none */
	int no_cache;			 /* do not mark prompts cacheable */
	unsigned long pilot;		 /* units the run starts before it stops; 0: all */
	/* tests whose failures do not fail the merge queue's oracle runs
	 * (oracle/oracle.h); set by flaky --fix to the broken and flaky ones */
	struct wfm_strvec known_failures;
	/* where oracle runs and exec agents happen (exec/executor.h, docs/executors.md) */
	char *executor;		/* "local" or "slurm" */
	char *remote;		/* the shared remote of the remote executors; NULL: none */
	char *slurm_partition;	/* NULL: the cluster's default */
	unsigned long job_cpus; /* per job; 0: the scheduler's default */
	char *job_mem;		/* per job ("4G"); NULL: the scheduler's default */
	char *job_dir;		/* NULL: <git-common-dir>/wfmigrate/jobs */
	char *node_cache;	/* NULL: $TMPDIR on the node, else /tmp */

	enum wfm_config_from from[WFM_CF_NR];
};

enum wfm_config_type {
	WFM_CONFIG_STRING,   /* char *; NULL: none (null in run.json) */
	WFM_CONFIG_COMMIT,   /* char[41] */
	WFM_CONFIG_ULONG,    /* unsigned long within [min, max] */
	WFM_CONFIG_TOKENS,   /* uint64_t: "250000", "250k", "2M" */
	WFM_CONFIG_USD,	     /* double: "5", "$2.50" */
	WFM_CONFIG_BOOL,     /* int: true/false, yes/no, on/off, 1/0 */
	WFM_CONFIG_PROVIDER, /* const struct wfm_provider *, by name */
	WFM_CONFIG_SANDBOX,  /* int: none, bwrap */
	WFM_CONFIG_LIST,     /* struct wfm_strvec */
};

enum {
	WFM_CONFIG_REQUIRED = 1 << 0, /* run.json always has it: a run without it is refused */
	WFM_CONFIG_API = 1 << 1,      /* only for a provider with an API; left empty for exec */
	WFM_CONFIG_CARD = 1 << 2,     /* the card lists it when it is not the default */
};

struct wfm_config_field {
	const char *json;   /* run.json: "agentTokens" */
	const char *option; /* "agent-tokens" (--agent-tokens); NULL: none */
	const char *config; /* git config "wfmigrate.agent-tokens"; NULL: none */
	const char *env;    /* "WFMIGRATE_AGENT_TOKENS"; NULL: none */
	enum wfm_config_type type;
	size_t offset; /* in struct wfm_run_config */
	/* the default, written as a value is (NULL: none, 0, empty) */
	const char *def;
	unsigned long min, max; /* WFM_CONFIG_ULONG */
	unsigned flags;
	/* WFM_CONFIG_LIST: checks an entry; WFM_CONFIG_STRING: the value
	 * (WFM_EINVALID naming it) */
	int (*check)(const char *entry);
	/* WFM_CONFIG_LIST with a config key: its entries in git config */
	int (*from_config)(struct wfm_strvec *out, struct wfm_repo *repo);
};

/* The table, indexed by enum wfm_config_field_id. */
extern const struct wfm_config_field wfm_config_fields[WFM_CF_NR];

/* The defaults, every field from WFM_FROM_DEFAULT. */
void wfm_run_config_init(struct wfm_run_config *cfg);
void wfm_run_config_release(struct wfm_run_config *cfg);

/*
 * What the command line gave, by field, filled by the option table of
 * cmd/run.c: str for string options, num for WFM_OPT_UINT (whose minimum
 * is 1: 0 is not given), flag for WFM_OPT_BOOL (-1: not given), list for
 * WFM_OPT_LIST. Borrowed: the strings are argv's.
 */
struct wfm_run_config_given {
	const char *str[WFM_CF_NR];
	unsigned long num[WFM_CF_NR];
	int flag[WFM_CF_NR];
	struct wfm_strvec list[WFM_CF_NR];
};

void wfm_run_config_given_init(struct wfm_run_config_given *g);
void wfm_run_config_given_release(struct wfm_run_config_given *g);

/*
 * Fills every field but base from given, git config (repo may be NULL)
 * and the environment, in that order, else its default; then what
 * follows from them: the provider when none is named (agent/provider.h:
 * exec with an agent command, else the one whose key is set), the base
 * URL, the cores as oracle_jobs. Fields of a provider with an API are left
 * empty for exec. Returns WFM_EINVALID for a bad option or no provider,
 * WFM_ECONFIG for a bad value in git config or the environment, with a
 * message naming it.
 */
int wfm_run_config_resolve(struct wfm_run_config *cfg, struct wfm_repo *repo,
			   const struct wfm_run_config_given *given);

/*
 * What no single field says: the exec provider needs an agent command; a
 * sandbox needs bubblewrap. WFM_EINVALID.
 */
int wfm_run_config_check(const struct wfm_run_config *cfg);

/* The provider's API key (agent/provider.h); NULL for exec. */
int wfm_run_config_api_key(const char **out, const struct wfm_run_config *cfg);

/*
 * Sets a field from text (an option's, git config's, an environment
 * variable's), from says which. WFM_EINVALID (option) or WFM_ECONFIG
 * (else) naming where the bad value came from.
 */
int wfm_run_config_set(struct wfm_run_config *cfg, enum wfm_config_field_id id, const char *value,
		       enum wfm_config_from from);

/* Appends a field's value as text, as it would be given ("" for none; lists joined by ", "). */
void wfm_run_config_value(struct wfm_buf *out, const struct wfm_run_config *cfg,
			  enum wfm_config_field_id id);

/*
 * The approval card's line of settings: "max-turns 20, sandbox bwrap,
 * no-prompt-cache", for the WFM_CONFIG_CARD fields whose value is set
 * and not the default; "" when none is.
 */
void wfm_run_config_card(struct wfm_buf *out, const struct wfm_run_config *cfg);

/*
 * The executor settings of cfg into out (exec/executor.h: name, remote,
 * job_dir, node_cache, partition, cpus, mem); job_dir is default_job_dir
 * when cfg has none. Borrowed from cfg; the caller sets the rest.
 */
struct wfm_executor_opts;

/* WFM_EINVALID (WFM_ECONFIG from git config) for an executor but local without a remote. */
int wfm_run_config_check_executor(const struct wfm_run_config *cfg);
void wfm_run_config_executor_opts(struct wfm_executor_opts *out, const struct wfm_run_config *cfg,
				  const char *default_job_dir);

/* run.json's object (a new tree) and back; from_json: WFM_ECONFIG naming the bad field */
cJSON *wfm_run_config_to_json(const struct wfm_run_config *cfg);
int wfm_run_config_from_json(struct wfm_run_config *out, const cJSON *j);

/* run.json in the run's directory */
struct wfm_rundir;
int wfm_run_config_save(const struct wfm_run_config *cfg, struct wfm_rundir *run);
int wfm_run_config_load(struct wfm_run_config *out, struct wfm_rundir *run);

/*
 * A setting's text from the first place that has it: option (the
 * command-line value, NULL when not given), git config key (NULL: none;
 * repo may be NULL), environment variable env (NULL: none). Returns a new
 * string (free()) with *from set, or NULL when none has it.
 */
char *wfm_config_lookup(enum wfm_config_from *from, struct wfm_repo *repo, const char *option,
			const char *key, const char *env);

/* Appends WFMIGRATE_<KEY> for a git config key "wfmigrate.<key>" or "<key>". */
void wfm_config_env_name(struct wfm_buf *out, const char *key);

/* "option", "git config", "environment", "run.json", "default" */
const char *wfm_config_from_name(enum wfm_config_from from);

#endif
