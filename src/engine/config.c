#include "base/common.h"
#include "base/buf.h"
#include "base/json.h"
#include "agent/model.h"
#include "agent/provider.h"
#include "agent/tools.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/rundir.h"
#include "exec/executor.h"
#include "git/repo.h"
#include "llm/price.h"
#include "oracle/oracle.h"

#include <ctype.h>
#include <limits.h>
#include <stddef.h>

static int models_from_config(struct wfm_strvec *out, struct wfm_repo *repo);
static int prices_from_config(struct wfm_strvec *out, struct wfm_repo *repo);

#define AT(member) offsetof(struct wfm_run_config, member)
#define STR(x) #x
#define XSTR(x) STR(x)

static int executor_check(const char *value)
{
	if (!wfm_executor_known(value))
		return wfm_error_setc(WFM_EINVALID, "expects one of %s, not '%s'",
				      wfm_executor_names(), value);
	return 0;
}

/* Slurm's --mem: a whole number, optionally K, M, G or T */
static int mem_check(const char *value)
{
	size_t n = strspn(value, "0123456789");

	if (!n || (value[n] && (strchr("KMGT", value[n]) == NULL || value[n + 1])))
		return wfm_error_setc(WFM_EINVALID, "expects a size like 500M or 4G, not '%s'",
				      value);
	return 0;
}

const struct wfm_config_field wfm_config_fields[WFM_CF_NR] = {
	[WFM_CF_WORKFLOW] = { "workflow", "workflow", "wfmigrate.workflow", "WFMIGRATE_WORKFLOW",
			      WFM_CONFIG_STRING, AT(workflow), "migrate", 0, 0,
			      WFM_CONFIG_REQUIRED },
	/* --base is a revision, resolved by the command */
	[WFM_CF_BASE] = { "base", NULL, NULL, NULL, WFM_CONFIG_COMMIT, AT(base), NULL, 0, 0,
			  WFM_CONFIG_REQUIRED },
	[WFM_CF_ORACLE] = { "oracle", "oracle", "wfmigrate.oracle", "WFMIGRATE_ORACLE",
			    WFM_CONFIG_STRING, AT(oracle) },
	[WFM_CF_ORACLE_TIMEOUT] = { "oracleTimeout", NULL, "wfmigrate.oracle.timeout",
				    "WFMIGRATE_ORACLE_TIMEOUT", WFM_CONFIG_ULONG,
				    AT(oracle_timeout), XSTR(WFM_ORACLE_TIMEOUT_DEFAULT), 0,
				    ULONG_MAX, WFM_CONFIG_REQUIRED | WFM_CONFIG_CARD },
	/* none named: see wfm_provider_default() */
	[WFM_CF_PROVIDER] = { "provider", "provider", "wfmigrate.provider", "WFMIGRATE_PROVIDER",
			      WFM_CONFIG_PROVIDER, AT(provider), NULL, 0, 0, WFM_CONFIG_REQUIRED },
	[WFM_CF_AGENT_CMD] = { "agentCmd", "agent-cmd", "wfmigrate.agent-cmd",
			       "WFMIGRATE_AGENT_CMD", WFM_CONFIG_STRING, AT(agent_cmd) },
	[WFM_CF_CONCURRENCY] = { "concurrency", "concurrency", "wfmigrate.concurrency",
				 "WFMIGRATE_CONCURRENCY", WFM_CONFIG_ULONG, AT(concurrency),
				 XSTR(WFM_ENGINE_CONCURRENCY_DEFAULT), 1, 256,
				 WFM_CONFIG_REQUIRED },
	/* none: the number of cores */
	[WFM_CF_ORACLE_JOBS] = { "oracleJobs", "oracle-jobs", "wfmigrate.oracle-jobs",
				 "WFMIGRATE_ORACLE_JOBS", WFM_CONFIG_ULONG, AT(oracle_jobs), NULL,
				 1, 256, WFM_CONFIG_REQUIRED | WFM_CONFIG_CARD },
	[WFM_CF_MAX_AGENTS] = { "maxAgents", "max-agents", "wfmigrate.max-agents",
				"WFMIGRATE_MAX_AGENTS", WFM_CONFIG_ULONG, AT(max_agents),
				XSTR(WFM_ENGINE_MAX_AGENTS_DEFAULT), 1, 100000,
				WFM_CONFIG_REQUIRED },
	[WFM_CF_AGENT_TIMEOUT] = { "agentTimeout", NULL, "wfmigrate.agent.timeout",
				   "WFMIGRATE_AGENT_TIMEOUT", WFM_CONFIG_ULONG, AT(agent_timeout),
				   XSTR(WFM_ENGINE_AGENT_TIMEOUT_DEFAULT), 0, ULONG_MAX,
				   WFM_CONFIG_REQUIRED | WFM_CONFIG_CARD },
	[WFM_CF_ALLOW_TEST_EDITS] = { "allowTestEdits", "allow-test-edits",
				      "wfmigrate.allow-test-edits", "WFMIGRATE_ALLOW_TEST_EDITS",
				      WFM_CONFIG_BOOL, AT(allow_test_edits), NULL, 0, 0,
				      WFM_CONFIG_CARD },
	/* the provider's URL variable, else its default URL */
	[WFM_CF_BASE_URL] = { "baseUrl", NULL, NULL, NULL, WFM_CONFIG_STRING, AT(base_url), NULL, 0,
			      0, WFM_CONFIG_API },
	[WFM_CF_MODELS] = { "models", "model", NULL, NULL, WFM_CONFIG_LIST, AT(models), NULL, 0, 0,
			    WFM_CONFIG_API, wfm_model_check },
	[WFM_CF_CONFIG_MODELS] = { "configModels", NULL, "wfmigrate.model", NULL, WFM_CONFIG_LIST,
				   AT(config_models), NULL, 0, 0, WFM_CONFIG_API, NULL,
				   models_from_config },
	[WFM_CF_PRICES] = { "prices", NULL, "wfmigrate.price", NULL, WFM_CONFIG_LIST, AT(prices),
			    NULL, 0, 0, WFM_CONFIG_API, NULL, prices_from_config },
	[WFM_CF_BUDGET] = { "budgetTokens", "budget", "wfmigrate.budget", "WFMIGRATE_BUDGET",
			    WFM_CONFIG_TOKENS, AT(budget_tokens) },
	[WFM_CF_MAX_COST] = { "maxCostUsd", "max-cost", "wfmigrate.max-cost", "WFMIGRATE_MAX_COST",
			      WFM_CONFIG_USD, AT(max_cost) },
	[WFM_CF_SANDBOX] = { "sandbox", "sandbox", "wfmigrate.sandbox", "WFMIGRATE_SANDBOX",
			     WFM_CONFIG_SANDBOX, AT(sandbox), "none", 0, 0, WFM_CONFIG_CARD },
	/* none: the agent loop's default (60) */
	[WFM_CF_MAX_TURNS] = { "maxTurns", "max-turns", "wfmigrate.max-turns",
			       "WFMIGRATE_MAX_TURNS", WFM_CONFIG_ULONG, AT(max_turns), NULL, 1,
			       10000, WFM_CONFIG_CARD },
	[WFM_CF_AGENT_TOKENS] = { "agentTokens", "agent-tokens", "wfmigrate.agent-tokens",
				  "WFMIGRATE_AGENT_TOKENS", WFM_CONFIG_ULONG, AT(agent_tokens),
				  NULL, 1, 1000000000, WFM_CONFIG_CARD },
	[WFM_CF_NO_CACHE] = { "noCache", "no-prompt-cache", "wfmigrate.no-prompt-cache",
			      "WFMIGRATE_NO_PROMPT_CACHE", WFM_CONFIG_BOOL, AT(no_cache), NULL, 0,
			      0, WFM_CONFIG_CARD },
	/* none: every unit; resume lifts it once the pilot has run (cmd/resume.c) */
	[WFM_CF_PILOT] = { "pilot", "pilot", "wfmigrate.pilot", "WFMIGRATE_PILOT", WFM_CONFIG_ULONG,
			   AT(pilot), NULL, 1, 100000, WFM_CONFIG_CARD },
	/* no option: flaky --fix sets it (cmd/flaky.c) */
	[WFM_CF_KNOWN_FAILURES] = { "knownFailures", NULL, NULL, NULL, WFM_CONFIG_LIST,
				    AT(known_failures), NULL, 0, 0, WFM_CONFIG_CARD },
	[WFM_CF_EXECUTOR] = { "executor", "executor", "wfmigrate.executor", "WFMIGRATE_EXECUTOR",
			      WFM_CONFIG_STRING, AT(executor), "local", 0, 0, WFM_CONFIG_CARD,
			      executor_check },
	[WFM_CF_REMOTE] = { "remote", "remote", "wfmigrate.remote", "WFMIGRATE_REMOTE",
			    WFM_CONFIG_STRING, AT(remote), NULL, 0, 0, WFM_CONFIG_CARD },
	[WFM_CF_SLURM_PARTITION] = { "slurmPartition", "slurm-partition",
				     "wfmigrate.slurm-partition", "WFMIGRATE_SLURM_PARTITION",
				     WFM_CONFIG_STRING, AT(slurm_partition), NULL, 0, 0,
				     WFM_CONFIG_CARD },
	[WFM_CF_JOB_CPUS] = { "jobCpus", "job-cpus", "wfmigrate.job-cpus", "WFMIGRATE_JOB_CPUS",
			      WFM_CONFIG_ULONG, AT(job_cpus), NULL, 1, 4096, WFM_CONFIG_CARD },
	[WFM_CF_JOB_MEM] = { "jobMem", "job-mem", "wfmigrate.job-mem", "WFMIGRATE_JOB_MEM",
			     WFM_CONFIG_STRING, AT(job_mem), NULL, 0, 0, WFM_CONFIG_CARD,
			     mem_check },
	[WFM_CF_JOB_DIR] = { "jobDir", "job-dir", "wfmigrate.job-dir", "WFMIGRATE_JOB_DIR",
			     WFM_CONFIG_STRING, AT(job_dir), NULL, 0, 0, WFM_CONFIG_CARD },
	[WFM_CF_NODE_CACHE] = { "nodeCache", "node-cache", "wfmigrate.node-cache",
				"WFMIGRATE_NODE_CACHE", WFM_CONFIG_STRING, AT(node_cache), NULL, 0,
				0, WFM_CONFIG_CARD },
};

#define FIELD(cfg, f, type) ((type *)((char *)(cfg) + (f)->offset))
#define CFIELD(cfg, f, type) ((const type *)((const char *)(cfg) + (f)->offset))

const char *wfm_config_from_name(enum wfm_config_from from)
{
	switch (from) {
	case WFM_FROM_OPTION:
		return "option";
	case WFM_FROM_GIT_CONFIG:
		return "git config";
	case WFM_FROM_ENV:
		return "environment";
	case WFM_FROM_SAVED:
		return "run.json";
	default:
		return "default";
	}
}

void wfm_config_env_name(struct wfm_buf *out, const char *key)
{
	if (!strncmp(key, "wfmigrate.", strlen("wfmigrate.")))
		key += strlen("wfmigrate.");
	wfm_buf_adds(out, "WFMIGRATE_");
	for (const char *p = key; *p; p++)
		wfm_buf_addch(out, (*p == '.' || *p == '-') ? '_' : toupper((unsigned char)*p));
}

char *wfm_config_lookup(enum wfm_config_from *from, struct wfm_repo *repo, const char *option,
			const char *key, const char *env)
{
	char *val = NULL;
	const char *e;

	if (option) {
		*from = WFM_FROM_OPTION;
		return wfm_strdup(option);
	}
	if (key && repo && !wfm_repo_config_get(&val, repo, key)) {
		*from = WFM_FROM_GIT_CONFIG;
		return val;
	}
	if (env && (e = getenv(env))) {
		*from = WFM_FROM_ENV;
		return wfm_strdup(e);
	}
	return NULL;
}

/* A field's name for people: its option, else its git config key without "wfmigrate." */
static const char *short_name(const struct wfm_config_field *f)
{
	if (f->option)
		return f->option;
	if (f->config)
		return f->config + strlen("wfmigrate.");
	return f->json;
}

/* where a bad value came from, as the message starts: "--budget", "git config wfmigrate.budget" */
static void what(struct wfm_buf *out, const struct wfm_config_field *f, enum wfm_config_from from)
{
	if (from == WFM_FROM_OPTION)
		wfm_buf_addf(out, "--%s", f->option);
	else if (from == WFM_FROM_GIT_CONFIG)
		wfm_buf_addf(out, "git config %s", f->config);
	else if (from == WFM_FROM_ENV)
		wfm_buf_adds(out, f->env);
	else
		wfm_buf_addf(out, "run.json '%s'", f->json);
}

static int bad_code(enum wfm_config_from from)
{
	return from == WFM_FROM_OPTION ? WFM_EINVALID : WFM_ECONFIG;
}

/* "250000", "250k", "2M": a token count */
static int parse_tokens(uint64_t *out, const char *s)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (end == s || errno || *s == '-')
		return -1;
	if (*end == 'k' || *end == 'K') {
		n *= 1000;
		end++;
	} else if (*end == 'm' || *end == 'M') {
		n *= 1000000;
		end++;
	}
	if (*end || n == 0 || n > (1ULL << 53))
		return -1;
	*out = n;
	return 0;
}

static int parse_ulong(unsigned long *out, const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || *s == '-')
		return -1;
	*out = v;
	return 0;
}

/* git's booleans */
static int parse_bool(int *out, const char *s)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0", "" };

	for (size_t i = 0; i < WFM_ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = 1;
			return 0;
		}
	}
	for (size_t i = 0; i < WFM_ARRAY_SIZE(no); i++) {
		if (!strcasecmp(s, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

int wfm_run_config_set(struct wfm_run_config *cfg, enum wfm_config_field_id id, const char *value,
		       enum wfm_config_from from)
{
	const struct wfm_config_field *f = &wfm_config_fields[id];
	struct wfm_buf w = WFM_BUF_INIT;
	int rc = 0;

	what(&w, f, from);
	switch (f->type) {
	case WFM_CONFIG_STRING:
		if (f->check && (rc = f->check(value)) < 0) {
			char *why = wfm_strdup(wfm_error_last());

			rc = wfm_error_setc(bad_code(from), "%s %s", w.ptr, why);
			free(why);
			break;
		}
		free(*FIELD(cfg, f, char *));
		*FIELD(cfg, f, char *) = wfm_strdup(value);
		break;
	case WFM_CONFIG_COMMIT:
		if (strlen(value) != WFM_OID_HEXSZ) {
			rc = wfm_error_setc(bad_code(from), "%s: '%s' is not a commit id", w.ptr,
					    value);
			break;
		}
		memcpy(FIELD(cfg, f, char), value, WFM_OID_HEXSZ + 1);
		break;
	case WFM_CONFIG_ULONG: {
		unsigned long v;

		if (parse_ulong(&v, value) < 0)
			rc = wfm_error_setc(bad_code(from),
					    "bad value '%s' for '%s' (from %s): expected a number",
					    value, short_name(f), wfm_config_from_name(from));
		else if (v < f->min || v > f->max)
			rc = wfm_error_setc(bad_code(from),
					    "bad value '%s' for '%s' (from %s): expected a number "
					    "from %lu to %lu",
					    value, short_name(f), wfm_config_from_name(from),
					    f->min, f->max);
		else
			*FIELD(cfg, f, unsigned long) = v;
		break;
	}
	case WFM_CONFIG_TOKENS:
		if (parse_tokens(FIELD(cfg, f, uint64_t), value) < 0)
			rc = wfm_error_setc(bad_code(from),
					    "%s expects a number of tokens (like 250000 or 250k), "
					    "not '%s'",
					    w.ptr, value);
		break;
	case WFM_CONFIG_USD: {
		const char *s = *value == '$' ? value + 1 : value;
		char *end;
		double v;

		errno = 0;
		v = strtod(s, &end);
		if (end == s || *end || errno || !(v > 0) || v > 1e9)
			rc = wfm_error_setc(
				bad_code(from),
				"%s expects an amount in USD (like 5 or 2.50), not '%s'", w.ptr, s);
		else
			*FIELD(cfg, f, double) = v;
		break;
	}
	case WFM_CONFIG_BOOL:
		if (parse_bool(FIELD(cfg, f, int), value) < 0)
			rc = wfm_error_setc(
				bad_code(from),
				"bad value '%s' for '%s' (from %s): expected true or false", value,
				short_name(f), wfm_config_from_name(from));
		break;
	case WFM_CONFIG_PROVIDER: {
		const struct wfm_provider *p = wfm_provider_find(value);
		struct wfm_buf names = WFM_BUF_INIT;

		if (p) {
			*FIELD(cfg, f, const struct wfm_provider *) = p;
			break;
		}
		wfm_provider_names(&names);
		if (from == WFM_FROM_OPTION)
			rc = wfm_error_setc(WFM_EINVALID, "unknown provider '%s' (%s)", value,
					    names.ptr);
		else
			rc = wfm_error_setc(WFM_ECONFIG, "%s: unknown provider '%s' (%s)", w.ptr,
					    value, names.ptr);
		wfm_buf_release(&names);
		break;
	}
	case WFM_CONFIG_SANDBOX:
		if (!strcmp(value, "none"))
			*FIELD(cfg, f, int) = WFM_SANDBOX_NONE;
		else if (!strcmp(value, "bwrap"))
			*FIELD(cfg, f, int) = WFM_SANDBOX_BWRAP;
		else
			rc = wfm_error_setc(bad_code(from), "%s expects none or bwrap, not '%s'",
					    w.ptr, value);
		break;
	case WFM_CONFIG_LIST:
		if (f->check && (rc = f->check(value)) < 0) {
			char *why = wfm_strdup(wfm_error_last());

			rc = wfm_error_setc(bad_code(from), "%s %s", w.ptr, why);
			free(why);
			break;
		}
		wfm_strvec_push(FIELD(cfg, f, struct wfm_strvec), value);
		break;
	}
	if (rc == 0)
		cfg->from[id] = from;
	wfm_buf_release(&w);
	return rc;
}

void wfm_run_config_init(struct wfm_run_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < WFM_CF_NR; i++) {
		const struct wfm_config_field *f = &wfm_config_fields[i];

		if (f->type == WFM_CONFIG_LIST)
			*FIELD(cfg, f, struct wfm_strvec) = (struct wfm_strvec)WFM_STRVEC_INIT;
		/* the defaults are written right: they cannot fail */
		if (f->def)
			wfm_run_config_set(cfg, (enum wfm_config_field_id)i, f->def,
					   WFM_FROM_DEFAULT);
		cfg->from[i] = WFM_FROM_DEFAULT;
	}
}

void wfm_run_config_release(struct wfm_run_config *cfg)
{
	for (size_t i = 0; i < WFM_CF_NR; i++) {
		const struct wfm_config_field *f = &wfm_config_fields[i];

		if (f->type == WFM_CONFIG_STRING)
			free(*FIELD(cfg, f, char *));
		else if (f->type == WFM_CONFIG_LIST)
			wfm_strvec_clear(FIELD(cfg, f, struct wfm_strvec));
	}
	memset(cfg, 0, sizeof(*cfg));
}

void wfm_run_config_given_init(struct wfm_run_config_given *g)
{
	memset(g, 0, sizeof(*g));
	for (size_t i = 0; i < WFM_CF_NR; i++) {
		g->flag[i] = -1;
		g->list[i] = (struct wfm_strvec)WFM_STRVEC_INIT;
	}
}

void wfm_run_config_given_release(struct wfm_run_config_given *g)
{
	for (size_t i = 0; i < WFM_CF_NR; i++)
		wfm_strvec_clear(&g->list[i]);
}

/* git config wfmigrate.model.<role> and wfmigrate.model, as "<role>=<model>" / "<model>" */
static int models_from_config(struct wfm_strvec *out, struct wfm_repo *repo)
{
	struct wfm_strvec raw = WFM_STRVEC_INIT;
	int rc = wfm_repo_config_list(&raw, repo, "wfmigrate.model");

	for (size_t i = 0; rc == 0 && i < raw.nr; i++) {
		/* ".<role>=<model>" or "=<model>" */
		const char *entry = raw.v[i] + strlen("wfmigrate.model") + 1;

		if ((rc = wfm_model_check(entry)) < 0) {
			char *why = wfm_strdup(wfm_error_last());

			rc = wfm_error_setc(WFM_ECONFIG, "git config %s: %s", raw.v[i], why);
			free(why);
			break;
		}
		wfm_strvec_push(out, entry);
	}
	wfm_strvec_clear(&raw);
	return rc;
}

/* git config wfmigrate.price, multi-valued: "<model>=<input>,<output>[,<cw>,<cr>]" */
static int prices_from_config(struct wfm_strvec *out, struct wfm_repo *repo)
{
	static const char key[] = "wfmigrate.price=";
	struct wfm_strvec raw = WFM_STRVEC_INIT;
	int rc = wfm_repo_config_list(&raw, repo, "wfmigrate.price");

	for (size_t i = 0; rc == 0 && i < raw.nr; i++) {
		const char *entry = raw.v[i] + strlen(key);
		const char *one[] = { entry, NULL };
		struct wfm_price p;
		char *model, *why;

		if (strncmp(raw.v[i], key, strlen(key))) {
			rc = wfm_error_setc(WFM_ECONFIG,
					    "git config %s: prices are entries of wfmigrate.price "
					    "itself: git config --add wfmigrate.price "
					    "'<model>=<input>,<output>'",
					    raw.v[i]);
			break;
		}
		model = wfm_strndup(entry, strcspn(entry, "="));
		rc = wfm_price_find(&p, model, one);
		free(model);
		if (rc < 0) {
			why = wfm_strdup(wfm_error_last());
			rc = wfm_error_setc(
				WFM_ECONFIG,
				"git config wfmigrate.price '%s': %s (expected "
				"<model>=<input>,<output>[,<cache-write>,<cache-read>])",
				entry, why);
			free(why);
			break;
		}
		wfm_strvec_push(out, entry);
	}
	wfm_strvec_clear(&raw);
	return rc;
}

static int resolve_list(struct wfm_run_config *cfg, enum wfm_config_field_id id,
			struct wfm_repo *repo, const struct wfm_strvec *given)
{
	const struct wfm_config_field *f = &wfm_config_fields[id];
	int rc;

	for (size_t i = 0; given && i < given->nr; i++)
		if ((rc = wfm_run_config_set(cfg, id, given->v[i], WFM_FROM_OPTION)) < 0)
			return rc;
	if ((given && given->nr) || !f->from_config || !repo)
		return 0;
	if ((rc = f->from_config(FIELD(cfg, f, struct wfm_strvec), repo)) < 0)
		return rc;
	if (FIELD(cfg, f, struct wfm_strvec)->nr)
		cfg->from[id] = WFM_FROM_GIT_CONFIG;
	return 0;
}

static int resolve_field(struct wfm_run_config *cfg, enum wfm_config_field_id id,
			 struct wfm_repo *repo, const struct wfm_run_config_given *given)
{
	const struct wfm_config_field *f = &wfm_config_fields[id];
	enum wfm_config_from from;
	char *val;
	int rc;

	if (f->type == WFM_CONFIG_LIST)
		return resolve_list(cfg, id, repo, given ? &given->list[id] : NULL);
	/* the option parser has checked these already */
	if (given && f->type == WFM_CONFIG_ULONG && given->num[id]) {
		*FIELD(cfg, f, unsigned long) = given->num[id];
		cfg->from[id] = WFM_FROM_OPTION;
		return 0;
	}
	if (given && f->type == WFM_CONFIG_BOOL && given->flag[id] >= 0) {
		*FIELD(cfg, f, int) = given->flag[id];
		cfg->from[id] = WFM_FROM_OPTION;
		return 0;
	}
	val = wfm_config_lookup(&from, repo, given ? given->str[id] : NULL, f->config, f->env);
	if (!val)
		return 0;
	rc = wfm_run_config_set(cfg, id, val, from);
	free(val);
	return rc;
}

int wfm_run_config_resolve(struct wfm_run_config *cfg, struct wfm_repo *repo,
			   const struct wfm_run_config_given *given)
{
	int rc;

	/* first what every provider has, then, knowing the provider, what an API needs */
	for (size_t i = 0; i < WFM_CF_NR; i++)
		if (!(wfm_config_fields[i].flags & WFM_CONFIG_API) &&
		    (rc = resolve_field(cfg, (enum wfm_config_field_id)i, repo, given)) < 0)
			return rc;
	if (!cfg->provider)
		cfg->provider = wfm_provider_default(cfg->agent_cmd && *cfg->agent_cmd);
	if (!cfg->provider)
		return wfm_provider_none_error();
	for (size_t i = 0; cfg->provider->has_api && i < WFM_CF_NR; i++)
		if ((wfm_config_fields[i].flags & WFM_CONFIG_API) &&
		    (rc = resolve_field(cfg, (enum wfm_config_field_id)i, repo, given)) < 0)
			return rc;
	if (cfg->provider->has_api && !cfg->base_url)
		cfg->base_url = wfm_strdup(wfm_provider_base_url(cfg->provider));
	if (!cfg->oracle_jobs)
		cfg->oracle_jobs = (unsigned long)sysconf(_SC_NPROCESSORS_ONLN);
	return 0;
}

void wfm_run_config_executor_opts(struct wfm_executor_opts *out, const struct wfm_run_config *cfg,
				  const char *default_job_dir)
{
	out->name = cfg->executor;
	out->remote = cfg->remote;
	out->job_dir = cfg->job_dir && *cfg->job_dir ? cfg->job_dir : default_job_dir;
	out->node_cache = cfg->node_cache;
	out->partition = cfg->slurm_partition;
	out->cpus = cfg->job_cpus;
	out->mem = cfg->job_mem;
}

int wfm_run_config_check_executor(const struct wfm_run_config *cfg)
{
	if (cfg->executor && strcmp(cfg->executor, "local") && (!cfg->remote || !*cfg->remote))
		return wfm_error_setc(
			cfg->from[WFM_CF_EXECUTOR] == WFM_FROM_GIT_CONFIG ? WFM_ECONFIG
									  : WFM_EINVALID,
			"--executor %s needs a shared remote: --remote <path|url> (or "
			"'git config wfmigrate.remote')",
			cfg->executor);
	return 0;
}

int wfm_run_config_check(const struct wfm_run_config *cfg)
{
	int rc;

	if (cfg->sandbox == WFM_SANDBOX_BWRAP && !wfm_sandbox_available())
		return wfm_error_setc(WFM_EINVALID,
				      "--sandbox bwrap: bubblewrap is not installed or "
				      "cannot make its namespaces here");
	if ((rc = wfm_run_config_check_executor(cfg)) < 0)
		return rc;
	if (!cfg->provider->has_api && (!cfg->agent_cmd || !*cfg->agent_cmd))
		return wfm_error_setc(WFM_EINVALID, "the exec provider needs --agent-cmd <cmd> (or "
						    "'git config wfmigrate.agent-cmd')");
	return 0;
}

int wfm_run_config_api_key(const char **out, const struct wfm_run_config *cfg)
{
	return wfm_provider_api_key(out, cfg->provider, cfg->base_url);
}

void wfm_run_config_value(struct wfm_buf *out, const struct wfm_run_config *cfg,
			  enum wfm_config_field_id id)
{
	const struct wfm_config_field *f = &wfm_config_fields[id];

	switch (f->type) {
	case WFM_CONFIG_STRING:
		if (*CFIELD(cfg, f, char *))
			wfm_buf_adds(out, *CFIELD(cfg, f, char *));
		break;
	case WFM_CONFIG_COMMIT:
		wfm_buf_adds(out, CFIELD(cfg, f, char));
		break;
	case WFM_CONFIG_ULONG:
		wfm_buf_addf(out, "%lu", *CFIELD(cfg, f, unsigned long));
		break;
	case WFM_CONFIG_TOKENS:
		wfm_buf_addf(out, "%llu", (unsigned long long)*CFIELD(cfg, f, uint64_t));
		break;
	case WFM_CONFIG_USD:
		wfm_buf_addf(out, "%g", *CFIELD(cfg, f, double));
		break;
	case WFM_CONFIG_BOOL:
		wfm_buf_adds(out, *CFIELD(cfg, f, int) ? "true" : "false");
		break;
	case WFM_CONFIG_PROVIDER:
		if (*CFIELD(cfg, f, const struct wfm_provider *))
			wfm_buf_adds(out, (*CFIELD(cfg, f, const struct wfm_provider *))->name);
		break;
	case WFM_CONFIG_SANDBOX:
		wfm_buf_adds(out, *CFIELD(cfg, f, int) == WFM_SANDBOX_BWRAP ? "bwrap" : "none");
		break;
	case WFM_CONFIG_LIST: {
		const struct wfm_strvec *v = CFIELD(cfg, f, struct wfm_strvec);

		for (size_t i = 0; i < v->nr; i++)
			wfm_buf_addf(out, "%s%s", i ? ", " : "", v->v[i]);
		break;
	}
	}
}

/* the default as wfm_run_config_value() writes it */
static void default_value(struct wfm_buf *out, enum wfm_config_field_id id)
{
	struct wfm_run_config d;

	wfm_run_config_init(&d);
	wfm_run_config_value(out, &d, id);
	wfm_run_config_release(&d);
}

void wfm_run_config_card(struct wfm_buf *out, const struct wfm_run_config *cfg)
{
	struct wfm_buf v = WFM_BUF_INIT, d = WFM_BUF_INIT;

	for (size_t i = 0; i < WFM_CF_NR; i++) {
		const struct wfm_config_field *f = &wfm_config_fields[i];

		if (!(f->flags & WFM_CONFIG_CARD) || cfg->from[i] == WFM_FROM_DEFAULT)
			continue;
		wfm_buf_clear(&v);
		wfm_buf_clear(&d);
		wfm_run_config_value(&v, cfg, (enum wfm_config_field_id)i);
		default_value(&d, (enum wfm_config_field_id)i);
		if (!strcmp(v.ptr, d.ptr))
			continue;
		wfm_buf_adds(out, out->len ? ", " : "");
		if (f->type == WFM_CONFIG_BOOL)
			wfm_buf_addf(out, "%s%s", *CFIELD(cfg, f, int) ? "" : "no-", short_name(f));
		else
			wfm_buf_addf(out, "%s %s", short_name(f), v.ptr);
	}
	wfm_buf_release(&v);
	wfm_buf_release(&d);
}

cJSON *wfm_run_config_to_json(const struct wfm_run_config *cfg)
{
	cJSON *o = wfm_json_object();

	for (size_t i = 0; i < WFM_CF_NR; i++) {
		const struct wfm_config_field *f = &wfm_config_fields[i];

		switch (f->type) {
		case WFM_CONFIG_STRING: {
			const char *s = *CFIELD(cfg, f, char *);

			if (s || (f->flags & WFM_CONFIG_REQUIRED))
				wfm_json_add_str(o, f->json, s ? s : "");
			else
				wfm_json_add_null(o, f->json);
			break;
		}
		case WFM_CONFIG_COMMIT:
			wfm_json_add_str(o, f->json, CFIELD(cfg, f, char));
			break;
		case WFM_CONFIG_ULONG:
			wfm_json_add_num(o, f->json, (double)*CFIELD(cfg, f, unsigned long));
			break;
		case WFM_CONFIG_TOKENS:
			wfm_json_add_num(o, f->json, (double)*CFIELD(cfg, f, uint64_t));
			break;
		case WFM_CONFIG_USD:
			wfm_json_add_num(o, f->json, *CFIELD(cfg, f, double));
			break;
		case WFM_CONFIG_BOOL:
			wfm_json_add_bool(o, f->json, *CFIELD(cfg, f, int));
			break;
		case WFM_CONFIG_PROVIDER: {
			const struct wfm_provider *p = *CFIELD(cfg, f, const struct wfm_provider *);

			wfm_json_add_str(o, f->json, p ? p->name : "exec");
			break;
		}
		case WFM_CONFIG_SANDBOX:
			wfm_json_add_str(o, f->json,
					 *CFIELD(cfg, f, int) == WFM_SANDBOX_BWRAP ? "bwrap"
										   : "none");
			break;
		case WFM_CONFIG_LIST: {
			const struct wfm_strvec *v = CFIELD(cfg, f, struct wfm_strvec);
			cJSON *a = wfm_json_array();

			for (size_t k = 0; k < v->nr; k++)
				wfm_json_add(a, NULL, wfm_json_strn(v->v[k], strlen(v->v[k])));
			wfm_json_add(o, f->json, a);
			break;
		}
		}
	}
	return o;
}

/* one field of run.json: absent, the default (unless required); null, none */
static int field_from_json(struct wfm_run_config *cfg, enum wfm_config_field_id id, const cJSON *j)
{
	const struct wfm_config_field *f = &wfm_config_fields[id];
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, f->json), *e;
	int required = f->flags & WFM_CONFIG_REQUIRED;

	if (!v && !required)
		return 0;
	switch (f->type) {
	case WFM_CONFIG_STRING:
		if (!required && cJSON_IsNull(v)) {
			free(*FIELD(cfg, f, char *));
			*FIELD(cfg, f, char *) = NULL;
			break;
		}
		/* fall through */
	case WFM_CONFIG_COMMIT:
	case WFM_CONFIG_PROVIDER:
		if (!cJSON_IsString(v))
			return wfm_error_setc(WFM_ECONFIG,
					      "run.json: '%s' is missing or not a string", f->json);
		if (f->type == WFM_CONFIG_COMMIT && strlen(v->valuestring) != WFM_OID_HEXSZ)
			return wfm_error_setc(WFM_ECONFIG, "run.json: '%s' is not a commit id",
					      f->json);
		if (f->type == WFM_CONFIG_PROVIDER && !wfm_provider_find(v->valuestring))
			return wfm_error_setc(WFM_ECONFIG, "run.json: unknown provider '%s'",
					      v->valuestring);
		wfm_run_config_set(cfg, id, v->valuestring, WFM_FROM_SAVED);
		break;
	case WFM_CONFIG_ULONG:
	case WFM_CONFIG_TOKENS:
	case WFM_CONFIG_USD:
		if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0))
			return wfm_error_setc(WFM_ECONFIG,
					      required ? "run.json: '%s' is missing or not a number"
						       : "run.json: '%s' is not a number",
					      f->json);
		if (f->type == WFM_CONFIG_ULONG)
			*FIELD(cfg, f, unsigned long) = (unsigned long)v->valuedouble;
		else if (f->type == WFM_CONFIG_TOKENS)
			*FIELD(cfg, f, uint64_t) = (uint64_t)v->valuedouble;
		else
			*FIELD(cfg, f, double) = v->valuedouble;
		break;
	case WFM_CONFIG_BOOL:
		*FIELD(cfg, f, int) = cJSON_IsTrue(v);
		break;
	case WFM_CONFIG_SANDBOX:
		*FIELD(cfg, f, int) = cJSON_IsString(v) && !strcmp(v->valuestring, "bwrap")
					      ? WFM_SANDBOX_BWRAP
					      : WFM_SANDBOX_NONE;
		break;
	case WFM_CONFIG_LIST:
		if (!cJSON_IsArray(v))
			return wfm_error_setc(WFM_ECONFIG, "run.json: '%s' is not a list", f->json);
		cJSON_ArrayForEach (e, v) {
			if (!cJSON_IsString(e))
				return wfm_error_setc(WFM_ECONFIG,
						      "run.json: '%s' holds a non-string", f->json);
			wfm_strvec_push(FIELD(cfg, f, struct wfm_strvec), e->valuestring);
		}
		break;
	}
	cfg->from[id] = WFM_FROM_SAVED;
	return 0;
}

int wfm_run_config_from_json(struct wfm_run_config *out, const cJSON *j)
{
	int rc = 0;

	wfm_run_config_init(out);
	for (size_t i = 0; rc == 0 && i < WFM_CF_NR; i++)
		rc = field_from_json(out, (enum wfm_config_field_id)i, j);
	if (rc < 0)
		wfm_run_config_release(out);
	return rc;
}

int wfm_run_config_save(const struct wfm_run_config *cfg, struct wfm_rundir *run)
{
	struct wfm_buf b = WFM_BUF_INIT;
	cJSON *j = wfm_run_config_to_json(cfg);
	char *path = wfm_rundir_file(run, "run.json");
	char *tmp = wfm_rundir_file(run, "run.json.tmp");
	FILE *f = fopen(tmp, "wb");
	int rc = 0;

	/* through a temporary file: resume rewrites it (a pilot lifted), a crash keeps one */
	wfm_json_print(&b, j);
	if (!f || fprintf(f, "%s\n", b.ptr) < 0 || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		rc = wfm_error_set("cannot write '%s': %s", tmp, strerror(errno));
		if (f)
			fclose(f);
		unlink(tmp);
	} else if (fclose(f) != 0 || rename(tmp, path) < 0) {
		rc = wfm_error_set("cannot write '%s': %s", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	wfm_buf_release(&b);
	cJSON_Delete(j);
	free(path);
	return rc;
}

int wfm_run_config_load(struct wfm_run_config *out, struct wfm_rundir *run)
{
	struct wfm_buf b = WFM_BUF_INIT;
	char *path = wfm_rundir_file(run, "run.json");
	cJSON *j = NULL;
	int rc;

	wfm_run_config_init(out);
	if ((rc = wfm_buf_read_file(&b, path)) < 0)
		goto done;
	if ((rc = wfm_json_parse(&j, b.ptr, b.len)) < 0) {
		char *why = wfm_strdup(wfm_error_last());

		rc = wfm_error_setc(WFM_ECONFIG, "%s: %s", path, why);
		free(why);
		goto done;
	}
	wfm_run_config_release(out);
	rc = wfm_run_config_from_json(out, j);
done:
	cJSON_Delete(j);
	wfm_buf_release(&b);
	free(path);
	return rc;
}
