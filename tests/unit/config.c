/*
 * A run's configuration (src/engine/config.c): its table, run.json saved
 * and loaded back unchanged (and as the code before the table wrote it),
 * where each value comes from (option, git config, environment, default),
 * bad values by where they come from, and the card's line of settings.
 */
#include "support/test.h"
#include "agent/provider.h"
#include "agent/tools.h"
#include "base/buf.h"
#include "engine/config.h"
#include "engine/rundir.h"
#include "git/repo.h"

static char *repo;

/* every variable a resolve reads, so that the caller's environment does not leak in */
static void clear_env(void)
{
	for (size_t i = 0; i < WFM_CF_NR; i++)
		if (wfm_config_fields[i].env)
			unsetenv(wfm_config_fields[i].env);
	wfm_test_unset_provider_env();
}

static int setup(void **state)
{
	wfm_git_init();
	repo = wfm_test_repo_new();
	clear_env();
	return 0;
}

static int teardown(void **state)
{
	wfm_test_rmtree(repo);
	free(repo);
	wfm_git_shutdown();
	return 0;
}

static char *value(const struct wfm_run_config *cfg, enum wfm_config_field_id id)
{
	struct wfm_buf b = WFM_BUF_INIT;

	wfm_run_config_value(&b, cfg, id);
	return wfm_buf_detach(&b, NULL);
}

static void assert_value(const struct wfm_run_config *cfg, enum wfm_config_field_id id,
			 const char *want)
{
	char *v = value(cfg, id);

	if (strcmp(v, want))
		fail_msg("%s is '%s', not '%s'", wfm_config_fields[id].json, v, want);
	free(v);
}

static char *json_text(const struct wfm_run_config *cfg)
{
	struct wfm_buf b = WFM_BUF_INIT;
	cJSON *j = wfm_run_config_to_json(cfg);

	wfm_json_print(&b, j);
	cJSON_Delete(j);
	return wfm_buf_detach(&b, NULL);
}

static void test_config__table(void **state)
{
	for (size_t i = 0; i < WFM_CF_NR; i++) {
		const struct wfm_config_field *f = &wfm_config_fields[i];

		assert_non_null(f->json);
		for (size_t k = 0; k < i; k++) {
			const struct wfm_config_field *g = &wfm_config_fields[k];

			assert_string_not_equal(f->json, g->json);
			assert_int_not_equal(f->offset, g->offset);
			if (f->option && g->option)
				assert_string_not_equal(f->option, g->option);
			if (f->config && g->config)
				assert_string_not_equal(f->config, g->config);
		}
		/* the rule the docs give: wfmigrate.<key> and WFMIGRATE_<KEY> */
		if (f->config)
			assert_int_equal(strncmp(f->config, "wfmigrate.", 10), 0);
		if (f->env) {
			struct wfm_buf want = WFM_BUF_INIT;

			assert_non_null(f->config);
			wfm_config_env_name(&want, f->config);
			assert_string_equal(f->env, want.ptr);
			wfm_buf_release(&want);
		}
		/* an option's git config key is the option's name */
		if (f->option && f->config && f->type != WFM_CONFIG_LIST &&
		    strcmp(f->config + 10, f->option))
			fail_msg("%s: option --%s but git config %s", f->json, f->option,
				 f->config);
		if (f->type == WFM_CONFIG_LIST && f->config)
			assert_non_null(f->from_config);
	}
}

/* the man page lists every git config key */
static void test_config__documented(void **state)
{
	char path[PATH_MAX], *man;

	snprintf(path, sizeof(path), "%s/docs/git-wfmigrate.1", getenv("WFM_SOURCE_DIR"));
	man = wfm_test_read(path);
	for (size_t i = 0; i < WFM_CF_NR; i++) {
		const struct wfm_config_field *f = &wfm_config_fields[i];
		struct wfm_buf roff = WFM_BUF_INIT;

		if (!f->config)
			continue;
		/* roff writes '-' as '\-' */
		for (const char *p = f->config; *p; p++)
			wfm_buf_adds(&roff, *p == '-' ? "\\-" : (char[]){ *p, 0 });
		if (!strstr(man, roff.ptr))
			fail_msg("docs/git-wfmigrate.1 does not name %s", f->config);
		wfm_buf_release(&roff);
	}
	free(man);
}

static void test_config__defaults(void **state)
{
	struct wfm_run_config cfg;

	wfm_run_config_init(&cfg);
	assert_string_equal(cfg.workflow, "migrate");
	assert_null(cfg.oracle);
	assert_int_equal(cfg.oracle_timeout, 1800);
	assert_int_equal(cfg.agent_timeout, 1800);
	assert_int_equal(cfg.concurrency, 16);
	assert_int_equal(cfg.max_agents, 1000);
	assert_int_equal(cfg.sandbox, WFM_SANDBOX_NONE);
	assert_int_equal(cfg.budget_tokens, 0);
	assert_null(cfg.provider);
	for (size_t i = 0; i < WFM_CF_NR; i++)
		assert_int_equal(cfg.from[i], WFM_FROM_DEFAULT);
	wfm_run_config_release(&cfg);
}

/* a value other than the default in every field */
static void fill(struct wfm_run_config *cfg)
{
	static const char *const values[WFM_CF_NR] = {
		[WFM_CF_WORKFLOW] = "./tools/my flow.js",
		[WFM_CF_BASE] = "0123456789abcdef0123456789abcdef01234567",
		[WFM_CF_ORACLE] = "make -j4 test 'a b'",
		[WFM_CF_ORACLE_TIMEOUT] = "60",
		[WFM_CF_AGENT_CMD] = "/usr/bin/python3 ./codemod.py --fix",
		[WFM_CF_PROVIDER] = "openai",
		[WFM_CF_CONCURRENCY] = "3",
		[WFM_CF_ORACLE_JOBS] = "5",
		[WFM_CF_MAX_AGENTS] = "77",
		[WFM_CF_AGENT_TIMEOUT] = "90",
		[WFM_CF_ALLOW_TEST_EDITS] = "true",
		[WFM_CF_BASE_URL] = "http://127.0.0.1:8080/v1",
		[WFM_CF_BUDGET] = "2M",
		[WFM_CF_MAX_COST] = "2.5",
		[WFM_CF_SANDBOX] = "bwrap",
		[WFM_CF_MAX_TURNS] = "12",
		[WFM_CF_AGENT_TOKENS] = "50000",
		[WFM_CF_NO_CACHE] = "yes",
		[WFM_CF_PILOT] = "3",
		[WFM_CF_EXECUTOR] = "slurm",
		[WFM_CF_REMOTE] = "/shared/git/project.git",
		[WFM_CF_SLURM_PARTITION] = "tests",
		[WFM_CF_JOB_CPUS] = "4",
		[WFM_CF_JOB_MEM] = "8G",
		[WFM_CF_JOB_DIR] = "/shared/wfmigrate/jobs",
		[WFM_CF_NODE_CACHE] = "/scratch",
	};

	for (size_t i = 0; i < WFM_CF_NR; i++) {
		if (wfm_config_fields[i].type == WFM_CONFIG_LIST)
			continue;
		assert_non_null(values[i]); /* a new field: give it a value above */
		assert_wfm_ok(wfm_run_config_set(cfg, (enum wfm_config_field_id)i, values[i],
						 WFM_FROM_OPTION));
	}
	assert_wfm_ok(wfm_run_config_set(cfg, WFM_CF_MODELS, "gpt-x", WFM_FROM_OPTION));
	assert_wfm_ok(wfm_run_config_set(cfg, WFM_CF_MODELS, "verifier=gpt-y", WFM_FROM_OPTION));
	wfm_strvec_push(&cfg->config_models, "classifier=small");
	wfm_strvec_push(&cfg->prices, "gpt-x=1,2");
	wfm_strvec_push(&cfg->prices, "gpt-y=3,4,5,6");
	wfm_strvec_push(&cfg->known_failures, "suite: a test that fails");
}

static void test_config__json_round_trip(void **state)
{
	struct wfm_run_config cfg, back, defaults;
	char *text, *again;
	cJSON *j;

	wfm_run_config_init(&cfg);
	wfm_run_config_init(&defaults);
	fill(&cfg);
	text = json_text(&cfg);
	j = wfm_test_json(text);
	assert_wfm_ok(wfm_run_config_from_json(&back, j));
	for (size_t i = 0; i < WFM_CF_NR; i++) {
		char *want = value(&cfg, (enum wfm_config_field_id)i);
		char *dflt = value(&defaults, (enum wfm_config_field_id)i);

		/* every field was set to something that is not its default, and comes back */
		if (!strcmp(want, dflt))
			fail_msg("%s: fill() leaves it the default", wfm_config_fields[i].json);
		assert_value(&back, (enum wfm_config_field_id)i, want);
		assert_int_equal(back.from[i], WFM_FROM_SAVED);
		free(want);
		free(dflt);
	}
	assert_ptr_equal(back.provider, wfm_provider_find("openai"));
	assert_int_equal(back.budget_tokens, 2000000);
	again = json_text(&back);
	assert_string_equal(again, text);
	free(again);
	free(text);
	cJSON_Delete(j);
	wfm_run_config_release(&back);
	wfm_run_config_release(&cfg);
	wfm_run_config_release(&defaults);
}

/* through run.json in a run's directory */
static void test_config__save_and_load(void **state)
{
	struct wfm_run_config cfg, back;
	struct wfm_rundir run = { 0 };
	char *a, *b, *file;

	run.path = wfm_test_tmpdir();
	wfm_run_config_init(&cfg);
	fill(&cfg);
	assert_wfm_ok(wfm_run_config_save(&cfg, &run));
	assert_wfm_ok(wfm_run_config_load(&back, &run));
	a = json_text(&cfg);
	b = json_text(&back);
	assert_string_equal(a, b);
	free(a);
	free(b);
	wfm_run_config_release(&back);

	file = wfm_rundir_file(&run, "run.json");
	wfm_test_write(run.path, "run.json", "{\"workflow\": \"migrate\"}");
	assert_int_equal(wfm_run_config_load(&back, &run), WFM_ECONFIG);
	assert_string_equal(wfm_error_last(), "run.json: 'base' is missing or not a string");
	wfm_run_config_release(&back);
	wfm_test_write(run.path, "run.json", "{");
	assert_int_equal(wfm_run_config_load(&back, &run), WFM_ECONFIG);
	wfm_run_config_release(&back);
	free(file);
	wfm_run_config_release(&cfg);
	wfm_test_rmtree(run.path);
	free(run.path);
}

/* run.json as the code before the table wrote it (and older, without the later fields) */
static void test_config__old_run_json(void **state)
{
	static const char old[] =
		"{\"workflow\":\"migrate\",\"base\":\"0123456789abcdef0123456789abcdef01234567\","
		"\"oracle\":\"make test\",\"oracleTimeout\":1800,\"provider\":\"anthropic\","
		"\"agentCmd\":null,\"concurrency\":16,\"oracleJobs\":2,\"maxAgents\":1000,"
		"\"agentTimeout\":1800,\"allowTestEdits\":false,\"baseUrl\":\"http://127.0.0.1:9/"
		"\","
		"\"models\":[\"fake-rules\"],\"configModels\":[],\"prices\":[\"fake-rules=3,15\"],"
		"\"budgetTokens\":30000,\"maxCostUsd\":0,\"sandbox\":\"none\",\"maxTurns\":0,"
		"\"agentTokens\":0,\"noCache\":false}";
	static const char older[] =
		"{\"workflow\":\"./w.js\",\"base\":\"0123456789abcdef0123456789abcdef01234567\","
		"\"oracle\":null,\"oracleTimeout\":5,\"provider\":\"exec\",\"agentCmd\":\"true\","
		"\"concurrency\":4,\"oracleJobs\":1,\"maxAgents\":10,\"agentTimeout\":7,"
		"\"allowTestEdits\":true}";
	struct wfm_run_config cfg;
	cJSON *j = wfm_test_json(old);
	char *text;

	assert_wfm_ok(wfm_run_config_from_json(&cfg, j));
	assert_ptr_equal(cfg.provider, wfm_provider_find("anthropic"));
	assert_string_equal(cfg.oracle, "make test");
	assert_null(cfg.agent_cmd);
	assert_string_equal(cfg.base_url, "http://127.0.0.1:9/");
	assert_int_equal(cfg.models.nr, 1);
	assert_int_equal(cfg.budget_tokens, 30000);
	assert_int_equal(cfg.oracle_jobs, 2);
	/* written back the same, key for key, and the later fields with their defaults */
	text = json_text(&cfg);
	assert_int_equal(strncmp(text, old, sizeof(old) - 2), 0);
	assert_string_equal(
		text + sizeof(old) - 2,
		",\"pilot\":0,\"knownFailures\":[],\"executor\":\"local\",\"remote\":null,"
		"\"slurmPartition\":null,\"jobCpus\":0,\"jobMem\":null,\"jobDir\":null,"
		"\"nodeCache\":null}");
	free(text);
	cJSON_Delete(j);
	wfm_run_config_release(&cfg);

	j = wfm_test_json(older);
	assert_wfm_ok(wfm_run_config_from_json(&cfg, j));
	assert_ptr_equal(cfg.provider, wfm_provider_find("exec"));
	assert_null(cfg.oracle);
	assert_null(cfg.base_url);
	assert_int_equal(cfg.models.nr, 0);
	assert_int_equal(cfg.max_turns, 0);
	assert_int_equal(cfg.agent_tokens, 0);
	assert_int_equal(cfg.allow_test_edits, 1);
	assert_int_equal(cfg.sandbox, WFM_SANDBOX_NONE);
	assert_int_equal(cfg.agent_timeout, 7);
	cJSON_Delete(j);
	wfm_run_config_release(&cfg);

	j = wfm_test_json(
		"{\"workflow\":\"m\",\"base\":\"0123456789abcdef0123456789abcdef01234567\","
		"\"oracleTimeout\":1,\"provider\":\"gemini\"}");
	assert_int_equal(wfm_run_config_from_json(&cfg, j), WFM_ECONFIG);
	assert_string_equal(wfm_error_last(), "run.json: unknown provider 'gemini'");
	cJSON_Delete(j);
}

static int resolve(struct wfm_run_config *cfg, struct wfm_repo *r,
		   const struct wfm_run_config_given *g)
{
	wfm_run_config_init(cfg);
	return wfm_run_config_resolve(cfg, r, g);
}

/* option > git config wfmigrate.<key> > WFMIGRATE_<KEY> > default, for each kind of field */
static void test_config__precedence(void **state)
{
	struct wfm_run_config_given g;
	struct wfm_run_config cfg;
	struct wfm_repo *r = NULL;

	assert_wfm_ok(wfm_repo_open(&r, repo));
	wfm_run_config_given_init(&g);
	g.str[WFM_CF_AGENT_CMD] = "true";

	/* the defaults; exec, with an agent command */
	assert_wfm_ok(resolve(&cfg, r, &g));
	assert_ptr_equal(cfg.provider, wfm_provider_find("exec"));
	assert_int_equal(cfg.max_turns, 0);
	assert_int_equal(cfg.from[WFM_CF_MAX_TURNS], WFM_FROM_DEFAULT);
	assert_int_equal(cfg.oracle_timeout, 1800);
	assert_int_equal(cfg.budget_tokens, 0);
	assert_string_equal(cfg.workflow, "migrate");
	assert_int_equal(cfg.allow_test_edits, 0);
	assert_true(cfg.oracle_jobs > 0);
	assert_int_equal(cfg.from[WFM_CF_AGENT_CMD], WFM_FROM_OPTION);
	wfm_run_config_release(&cfg);

	/* the environment */
	setenv("WFMIGRATE_MAX_TURNS", "30", 1);
	setenv("WFMIGRATE_ORACLE_TIMEOUT", "31", 1);
	setenv("WFMIGRATE_BUDGET", "32k", 1);
	setenv("WFMIGRATE_WORKFLOW", "env-flow", 1);
	setenv("WFMIGRATE_ALLOW_TEST_EDITS", "true", 1);
	assert_wfm_ok(resolve(&cfg, r, &g));
	assert_int_equal(cfg.max_turns, 30);
	assert_int_equal(cfg.from[WFM_CF_MAX_TURNS], WFM_FROM_ENV);
	assert_int_equal(cfg.oracle_timeout, 31);
	assert_int_equal(cfg.budget_tokens, 32000);
	assert_string_equal(cfg.workflow, "env-flow");
	assert_int_equal(cfg.allow_test_edits, 1);
	wfm_run_config_release(&cfg);

	/* git config over the environment */
	free(wfm_test_sh(
		repo,
		"git config wfmigrate.max-turns 20 && "
		"git config wfmigrate.oracle.timeout 21 && "
		"git config wfmigrate.budget 22k && git config wfmigrate.workflow git-flow && "
		"git config wfmigrate.allow-test-edits false"));
	assert_wfm_ok(resolve(&cfg, r, &g));
	assert_int_equal(cfg.max_turns, 20);
	assert_int_equal(cfg.from[WFM_CF_MAX_TURNS], WFM_FROM_GIT_CONFIG);
	assert_int_equal(cfg.oracle_timeout, 21);
	assert_int_equal(cfg.budget_tokens, 22000);
	assert_string_equal(cfg.workflow, "git-flow");
	assert_int_equal(cfg.allow_test_edits, 0);
	assert_int_equal(cfg.from[WFM_CF_ALLOW_TEST_EDITS], WFM_FROM_GIT_CONFIG);
	wfm_run_config_release(&cfg);

	/* the option over both */
	g.num[WFM_CF_MAX_TURNS] = 10;
	g.str[WFM_CF_BUDGET] = "12k";
	g.str[WFM_CF_WORKFLOW] = "opt-flow";
	g.flag[WFM_CF_ALLOW_TEST_EDITS] = 1;
	assert_wfm_ok(resolve(&cfg, r, &g));
	assert_int_equal(cfg.max_turns, 10);
	assert_int_equal(cfg.from[WFM_CF_MAX_TURNS], WFM_FROM_OPTION);
	assert_int_equal(cfg.oracle_timeout, 21); /* run has no --oracle-timeout */
	assert_int_equal(cfg.budget_tokens, 12000);
	assert_string_equal(cfg.workflow, "opt-flow");
	assert_int_equal(cfg.allow_test_edits, 1);
	wfm_run_config_release(&cfg);

	free(wfm_test_sh(repo, "git config --remove-section wfmigrate"));
	unsetenv("WFMIGRATE_MAX_TURNS");
	unsetenv("WFMIGRATE_ORACLE_TIMEOUT");
	unsetenv("WFMIGRATE_BUDGET");
	unsetenv("WFMIGRATE_WORKFLOW");
	unsetenv("WFMIGRATE_ALLOW_TEST_EDITS");
	wfm_run_config_given_release(&g);
	wfm_repo_free(r);
}

/* a bad value: WFM_EINVALID on the command line, WFM_ECONFIG from git config or the environment */
static void test_config__bad_values(void **state)
{
	struct wfm_run_config_given g;
	struct wfm_run_config cfg;
	struct wfm_repo *r = NULL;

	assert_wfm_ok(wfm_repo_open(&r, repo));
	wfm_run_config_given_init(&g);
	g.str[WFM_CF_AGENT_CMD] = "true";

	g.str[WFM_CF_BUDGET] = "lots";
	assert_int_equal(resolve(&cfg, r, &g), WFM_EINVALID);
	assert_string_equal(
		wfm_error_last(),
		"--budget expects a number of tokens (like 250000 or 250k), not 'lots'");
	wfm_run_config_release(&cfg);
	g.str[WFM_CF_BUDGET] = NULL;

	free(wfm_test_sh(repo, "git config wfmigrate.oracle.timeout soon"));
	assert_int_equal(resolve(&cfg, r, &g), WFM_ECONFIG);
	assert_string_equal(
		wfm_error_last(),
		"bad value 'soon' for 'oracle.timeout' (from git config): expected a number");
	wfm_run_config_release(&cfg);
	free(wfm_test_sh(repo, "git config --unset wfmigrate.oracle.timeout"));

	setenv("WFMIGRATE_MAX_COST", "free", 1);
	assert_int_equal(resolve(&cfg, r, &g), WFM_ECONFIG);
	assert_string_equal(
		wfm_error_last(),
		"WFMIGRATE_MAX_COST expects an amount in USD (like 5 or 2.50), not 'free'");
	wfm_run_config_release(&cfg);
	unsetenv("WFMIGRATE_MAX_COST");

	setenv("WFMIGRATE_CONCURRENCY", "1000", 1);
	assert_int_equal(resolve(&cfg, r, &g), WFM_ECONFIG);
	assert_string_equal(wfm_error_last(),
			    "bad value '1000' for 'concurrency' (from environment): "
			    "expected a number from 1 to 256");
	wfm_run_config_release(&cfg);
	unsetenv("WFMIGRATE_CONCURRENCY");

	g.str[WFM_CF_EXECUTOR] = "k8s";
	assert_int_equal(resolve(&cfg, r, &g), WFM_EINVALID);
	assert_string_equal(wfm_error_last(), "--executor expects one of local, slurm, not 'k8s'");
	wfm_run_config_release(&cfg);
	g.str[WFM_CF_EXECUTOR] = NULL;

	free(wfm_test_sh(repo, "git config wfmigrate.job-mem 4GB"));
	assert_int_equal(resolve(&cfg, r, &g), WFM_ECONFIG);
	assert_string_equal(
		wfm_error_last(),
		"git config wfmigrate.job-mem expects a size like 500M or 4G, not '4GB'");
	wfm_run_config_release(&cfg);
	free(wfm_test_sh(repo, "git config --unset wfmigrate.job-mem"));

	free(wfm_test_sh(repo, "git config wfmigrate.provider gemini"));
	assert_int_equal(resolve(&cfg, r, &g), WFM_ECONFIG);
	assert_string_equal(wfm_error_last(), "git config wfmigrate.provider: unknown provider "
					      "'gemini' (exec, anthropic or openai)");
	wfm_run_config_release(&cfg);
	g.str[WFM_CF_PROVIDER] = "gemini";
	assert_int_equal(resolve(&cfg, r, &g), WFM_EINVALID);
	assert_string_equal(wfm_error_last(),
			    "unknown provider 'gemini' (exec, anthropic or openai)");
	wfm_run_config_release(&cfg);
	free(wfm_test_sh(repo, "git config --unset wfmigrate.provider"));

	/* an API's settings: bad prices and models in git config */
	g.str[WFM_CF_PROVIDER] = "openai";
	setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1", 1);
	free(wfm_test_sh(repo, "git config --add wfmigrate.price 'm=x'"));
	assert_int_equal(resolve(&cfg, r, &g), WFM_ECONFIG);
	assert_non_null(strstr(wfm_error_last(), "git config wfmigrate.price 'm=x': "));
	wfm_run_config_release(&cfg);
	free(wfm_test_sh(repo, "git config --unset-all wfmigrate.price && "
			       "git config wfmigrate.model.wizard x"));
	assert_int_equal(resolve(&cfg, r, &g), WFM_ECONFIG);
	assert_non_null(strstr(wfm_error_last(), "git config wfmigrate.model.wizard=x: "));
	wfm_run_config_release(&cfg);
	/* ... which exec does not read */
	g.str[WFM_CF_PROVIDER] = "exec";
	assert_wfm_ok(resolve(&cfg, r, &g));
	assert_int_equal(cfg.config_models.nr, 0);
	assert_null(cfg.base_url);
	wfm_run_config_release(&cfg);
	free(wfm_test_sh(repo, "git config --remove-section wfmigrate.model"));
	unsetenv("OPENAI_BASE_URL");

	g.str[WFM_CF_MODELS] = NULL;
	g.str[WFM_CF_PROVIDER] = "anthropic";
	wfm_strvec_push(&g.list[WFM_CF_MODELS], "wizard=x");
	assert_int_equal(resolve(&cfg, r, &g), WFM_EINVALID);
	assert_non_null(strstr(wfm_error_last(), "--model 'wizard=x': unknown role"));
	wfm_run_config_release(&cfg);

	wfm_run_config_given_release(&g);
	wfm_repo_free(r);
}

/* no provider named: the one the environment points at, else none */
static void test_config__default_provider(void **state)
{
	struct wfm_run_config_given g;
	struct wfm_run_config cfg;

	wfm_run_config_given_init(&g);
	assert_int_equal(resolve(&cfg, NULL, &g), WFM_EINVALID);
	assert_string_equal(wfm_error_last(),
			    "no one to run the agents: set ANTHROPIC_API_KEY or OPENAI_API_KEY (or "
			    "OPENAI_BASE_URL for a local server), or give --provider exec "
			    "--agent-cmd <cmd>");
	wfm_run_config_release(&cfg);

	setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1", 1);
	assert_wfm_ok(resolve(&cfg, NULL, &g));
	assert_ptr_equal(cfg.provider, wfm_provider_find("openai"));
	assert_string_equal(cfg.base_url, "http://127.0.0.1:9/v1");
	wfm_run_config_release(&cfg);
	unsetenv("OPENAI_BASE_URL");

	setenv("ANTHROPIC_API_KEY", "k", 1);
	assert_wfm_ok(resolve(&cfg, NULL, &g));
	assert_ptr_equal(cfg.provider, wfm_provider_find("anthropic"));
	assert_string_equal(cfg.base_url, "https://api.anthropic.com");
	wfm_run_config_release(&cfg);
	unsetenv("ANTHROPIC_API_KEY");

	g.str[WFM_CF_AGENT_CMD] = "true";
	assert_wfm_ok(resolve(&cfg, NULL, &g));
	assert_ptr_equal(cfg.provider, wfm_provider_find("exec"));
	assert_wfm_ok(wfm_run_config_check(&cfg));
	free(cfg.agent_cmd);
	cfg.agent_cmd = NULL;
	assert_int_equal(wfm_run_config_check(&cfg), WFM_EINVALID);
	wfm_run_config_release(&cfg);
	wfm_run_config_given_release(&g);
}

static void test_config__card(void **state)
{
	struct wfm_run_config_given g;
	struct wfm_run_config cfg;
	struct wfm_buf b = WFM_BUF_INIT;

	wfm_run_config_given_init(&g);
	g.str[WFM_CF_AGENT_CMD] = "true";
	assert_wfm_ok(resolve(&cfg, NULL, &g));
	wfm_run_config_card(&b, &cfg);
	assert_string_equal(b.ptr, "");
	wfm_run_config_release(&cfg);

	g.num[WFM_CF_MAX_TURNS] = 20;
	g.flag[WFM_CF_NO_CACHE] = 1;
	g.flag[WFM_CF_ALLOW_TEST_EDITS] = 0; /* the default: not listed */
	setenv("WFMIGRATE_AGENT_TIMEOUT", "60", 1);
	assert_wfm_ok(resolve(&cfg, NULL, &g));
	wfm_buf_clear(&b);
	wfm_run_config_card(&b, &cfg);
	assert_string_equal(b.ptr, "agent.timeout 60, max-turns 20, no-prompt-cache");
	unsetenv("WFMIGRATE_AGENT_TIMEOUT");
	wfm_run_config_release(&cfg);
	wfm_buf_release(&b);
	wfm_run_config_given_release(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config__table),
		cmocka_unit_test(test_config__documented),
		cmocka_unit_test(test_config__defaults),
		cmocka_unit_test(test_config__json_round_trip),
		cmocka_unit_test(test_config__save_and_load),
		cmocka_unit_test(test_config__old_run_json),
		cmocka_unit_test(test_config__precedence),
		cmocka_unit_test(test_config__bad_values),
		cmocka_unit_test(test_config__default_provider),
		cmocka_unit_test(test_config__card),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
