/*
 * git wfmigrate flaky: runs the test command many times at HEAD in pool
 * worktrees, tells flaky tests from stable and broken ones, and with --fix
 * hands the flaky ones to the built-in workflow `flaky` (docs/flaky.md).
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/json.h"
#include "cmd/builtin_run.h"
#include "cmd/cmd.h"
#include "cmd/run_options.h"
#include "engine/config.h"
#include "engine/rundir.h"
#include "exec/executor.h"
#include "exec/leftovers.h"
#include "git/pool.h"
#include "git/repo.h"
#include "oracle/flakiness.h"
#include "oracle/series.h"
#include "oracle/test_tally.h"
#include "ui/exit.h"
#include "ui/interrupt.h"
#include "ui/message.h"
#include "ui/options.h"
#include "ui/settings.h"

#include <time.h>

#define RUNS_DEFAULT 20
#define CONFIRM_DEFAULT 50
/* the widest test name the table gives room to */
#define NAME_WIDTH_MAX 60

static const char *const flaky_usage[] = {
	"git wfmigrate flaky [--oracle <cmd>] [--runs <n>] [--jobs <n>] [--shuffle] [--json] "
	"[-q]\n"
	"                           [--executor <local|slurm> [--remote <path|url>]]\n"
	"                           [--fix [--confirm <k>] [--provider <name>] [--agent-cmd "
	"<cmd>]\n"
	"                            [--model [<role>=]<model>]... [--budget <tokens>] "
	"[--max-cost <usd>]\n"
	"                            [--concurrency <n>]]",
	NULL,
};

/* "run 3/20 failed in 0.2s (exited 1)", on stderr as each run ends */
static void progress(void *data, const struct wfm_oracle_result *r, size_t i, size_t finished,
		     size_t n)
{
	struct wfm_buf b = WFM_BUF_INIT;

	(void)data;
	(void)finished;
	wfm_buf_addf(&b, "run %zu/%zu %s in %.1fs (", i + 1, n, r->pass ? "passed" : "failed",
		     (double)r->proc.duration_ms / 1000.0);
	wfm_oracle_describe_end(&b, r);
	wfm_buf_addch(&b, ')');
	if (r->tests.nr) {
		size_t failed = 0;

		for (size_t k = 0; k < r->tests.nr; k++)
			failed += r->tests.v[k].outcome == WFM_TEST_FAILED ? 1 : 0;
		wfm_buf_addf(&b, ": %zu tests, %zu failed", r->tests.nr, failed);
	}
	fprintf(stderr, "%s\n", b.ptr);
	wfm_buf_release(&b);
}

static enum wfm_flaky_class class_of(const struct wfm_test_tally_entry *e)
{
	return wfm_flaky_classify(e->failures, e->runs);
}

static size_t count(const struct wfm_test_tally *t, enum wfm_flaky_class c)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nr; i++)
		n += class_of(&t->v[i]) == c ? 1 : 0;
	return n;
}

static void print_table(const struct wfm_test_tally *t)
{
	int w = 4;

	for (size_t i = 0; i < t->nr; i++) {
		size_t n = strlen(t->v[i].name);

		if ((int)n > w)
			w = n > NAME_WIDTH_MAX ? NAME_WIDTH_MAX : (int)n;
	}
	printf("%-*s  %-6s  %9s  %s\n", w, "test", "class", "failures", "95% interval");
	for (size_t i = 0; i < t->nr; i++) {
		const struct wfm_test_tally_entry *e = &t->v[i];
		char frac[48];
		double low, high;

		wfm_flaky_interval(&low, &high, e->failures, e->runs);
		snprintf(frac, sizeof(frac), "%lu/%lu", e->failures, e->runs);
		printf("%-*s  %-6s  %9s  [%.2f, %.2f]\n", w, e->name,
		       wfm_flaky_class_name(class_of(e)), frac, low, high);
	}
}

static void print_failures(const struct wfm_test_tally *t)
{
	for (size_t i = 0; i < t->nr; i++) {
		const struct wfm_test_tally_entry *e = &t->v[i];

		if (class_of(e) != WFM_FLAKY_FLAKY)
			continue;
		printf("\nfirst failure of '%s':\n", e->name);
		if (!e->first_failure.nr)
			printf("    (its output says nothing about it)\n");
		for (size_t k = 0; k < e->first_failure.nr; k++)
			printf("    %s\n", e->first_failure.v[k]);
	}
}

/*
 * The arguments of workflows/flaky.js (docs/flaky.md, "--fix"); the flaky
 * and broken tests also go to known (the run's known failures: the merge
 * queue's oracle runs judge the other tests, docs/flaky-fix.md).
 */
static cJSON *fix_args(const struct wfm_test_tally *t, unsigned long confirm,
		       struct wfm_strvec *known)
{
	cJSON *args = wfm_json_object(), *all = wfm_test_tally_json(t), *tests = wfm_json_array();
	cJSON *broken = wfm_json_array(), *stable = wfm_json_array(), *item;

	cJSON_ArrayForEach (item, all) {
		const char *name = wfm_json_get_str(item, "name", "");
		const char *c = wfm_json_get_str(item, "classification", "");

		if (!strcmp(c, "flaky") || !strcmp(c, "broken"))
			wfm_strvec_push(known, name);
		if (!strcmp(c, "flaky")) {
			cJSON *o = cJSON_Duplicate(item, 1);

			cJSON_DeleteItemFromObjectCaseSensitive(o, "classification");
			wfm_json_add(tests, NULL, o);
		} else if (!strcmp(c, "broken")) {
			wfm_json_add_str(broken, NULL, name);
		} else {
			wfm_json_add_str(stable, NULL, name);
		}
	}
	cJSON_Delete(all);
	wfm_json_add(args, "tests", tests);
	wfm_json_add(args, "broken", broken);
	wfm_json_add(args, "stable", stable);
	wfm_json_add_num(args, "confirm", (double)confirm);
	return args;
}

/* The fixes of the workflow's result, for people. */
static void print_fixes(const cJSON *fixes, const char *run_id)
{
	const cJSON *f;

	printf("\nfixes (run %s):\n", run_id);
	if (!cJSON_GetArraySize(fixes))
		printf("    none\n");
	cJSON_ArrayForEach (f, fixes) {
		const cJSON *merged = cJSON_GetObjectItemCaseSensitive(f, "merged");
		const char *commit = wfm_json_get_str(f, "commit", "");

		printf("    %s: ", wfm_json_get_str(f, "test", "?"));
		if (cJSON_IsTrue(merged))
			printf("merged %.7s", commit);
		else
			printf("not merged (%s)", wfm_json_get_str(f, "reason", "unknown"));
		printf(", branch %s, %d confirmations\n", wfm_json_get_str(f, "branch", "-"),
		       (int)wfm_json_get_num(f, "confirmations", 0));
		if (wfm_json_get_nonempty(f, "hypothesis"))
			printf("        cause: %s\n", wfm_json_get_str(f, "hypothesis", ""));
	}
}

/* Whether the workflow merged a fix for test. */
static int fixed(const cJSON *fixes, const char *test)
{
	const cJSON *f;

	cJSON_ArrayForEach (f, fixes) {
		if (!strcmp(wfm_json_get_str(f, "test", ""), test) &&
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "merged")))
			return 1;
	}
	return 0;
}

static const struct wfm_cmd_builtin flaky_job = {
	"flaky",
	"the flaky-test hunt",
	"git wfmigrate resume",
};

int cmd_flaky(int argc, const char **argv, struct wfm_cmd_ctx *ctx)
{
	const char *oracle_opt = NULL, *jobs_opt = NULL, *executor_opt = NULL, *remote_opt = NULL;
	unsigned long runs_opt = 0, confirm_opt = 0, jobs = ULONG_MAX;
	unsigned long timeout = WFM_ORACLE_TIMEOUT_DEFAULT;
	int json = 0, shuffle = 0, fix = 0, quiet = 0;
	struct wfm_run_config_given given;
	struct wfm_option options[] = {
		WFM_OPT_STRING(0, "oracle", &oracle_opt, "cmd",
			       "the test command, run with sh -c "
			       "(or wfmigrate.oracle, $WFMIGRATE_ORACLE)"),
		WFM_OPT_UINT(0, "runs", &runs_opt, "n", "runs at HEAD (1-1000, default 20)", 1,
			     1000),
		WFM_OPT_STRING(0, "jobs", &jobs_opt, "n",
			       "runs at once (1-256; default wfmigrate.oracle-jobs, else the "
			       "number of cores)"),
		WFM_OPT_BOOL(0, "shuffle", &shuffle,
			     "give each run its own seed in $WFM_SHUFFLE_SEED, for the test "
			     "command to shuffle its tests with"),
		WFM_OPT_BOOL(0, "json", &json, "print the result as JSON on stdout"),
		WFM_OPT_BOOL('q', "quiet", &quiet, "no progress on stderr"),
		WFM_OPT_GROUP("where the runs happen (docs/executors.md)"),
		WFM_OPT_STRING(0, "executor", &executor_opt, "local|slurm",
			       "run them here (local, default) or as Slurm jobs"),
		WFM_OPT_STRING(0, "remote", &remote_opt, "path|url",
			       "the shared remote jobs fetch the commit from"),
		WFM_OPT_GROUP("fixing"),
		WFM_OPT_BOOL(0, "fix", &fix,
			     "then hunt fixes for the flaky tests (workflows/flaky.js) and merge "
			     "the confirmed ones"),
		WFM_OPT_UINT(0, "confirm", &confirm_opt, "k",
			     "reruns in a row a fix must pass (1-1000, default 50)", 1, 1000),
		WFM_RUN_OPTIONS_PROVIDER,
		WFM_RUN_OPTIONS_AGENT_LIMITS,
		WFM_OPT_END(),
	};
	struct wfm_oracle_opts opts = WFM_ORACLE_OPTS_INIT;
	struct wfm_oracle_series_opts so = WFM_ORACLE_SERIES_OPTS_INIT;
	struct wfm_oracle_series series = WFM_ORACLE_SERIES_INIT;
	struct wfm_test_tally tally = WFM_TEST_TALLY_INIT;
	struct wfm_run_config cfg = { 0 }, xcfg;
	struct wfm_executor_opts xo = WFM_EXECUTOR_OPTS_INIT;
	struct wfm_executor *ex = NULL;
	struct wfm_exec_tally jobs_tally = { 0 };
	char job_run[64] = "", *default_job_dir = NULL;
	struct wfm_pool_opts pool_opts = WFM_POOL_OPTS_INIT;
	struct wfm_pool *pool = NULL;
	struct wfm_rundir *run = NULL;
	struct sigaction old[WFM_UI_INTERRUPT_SIGNALS];
	char commit[WFM_OID_HEXSZ + 1];
	char *command = NULL;
	cJSON *result = NULL, *args = NULL;
	const cJSON *fixes = NULL;
	size_t flaky, broken, remaining;
	int ret = WFM_EXIT_USAGE, rc, setup = 0;

	wfm_run_config_given_init(&given);
	wfm_run_config_init(&xcfg);
	rc = wfm_parse_options(argc, argv, options, flaky_usage, WFM_PARSE_NO_ARGUMENTS);
	if (rc < 0)
		goto done;
	if (confirm_opt && !fix) {
		ret = wfm_ui_usage_error(flaky_usage, options, "--confirm needs --fix");
		goto done;
	}
	command = wfm_setting_get(ctx->repo, oracle_opt, "oracle");
	if (!command || !*command) {
		ret = wfm_ui_usage_error(
			flaky_usage, options,
			"no oracle command: give one with --oracle <cmd>, 'git config "
			"wfmigrate.oracle <cmd>' or WFMIGRATE_ORACLE=<cmd>");
		goto done;
	}
	if ((rc = wfm_setting_get_ulong(&jobs, ctx->repo, jobs_opt, "oracle-jobs")) < 0 ||
	    (rc = wfm_setting_get_ulong(&timeout, ctx->repo, NULL, "oracle.timeout")) < 0) {
		ret = wfm_ui_usage_error_lib(rc, flaky_usage, options);
		goto done;
	}
	if (jobs == ULONG_MAX) {
		jobs = (unsigned long)sysconf(_SC_NPROCESSORS_ONLN);
	} else if (jobs < 1 || jobs > 256) {
		/* from the command line a usage error; from git config or the environment, fatal */
		if (jobs_opt)
			ret = wfm_ui_usage_error(flaky_usage, options,
						 "--jobs: %lu is not within 1-256", jobs);
		else
			ret = wfm_ui_error_lib(wfm_error_setc(
				WFM_ECONFIG,
				"wfmigrate.oracle-jobs (or $WFMIGRATE_ORACLE_JOBS): %lu is not "
				"within 1-256",
				jobs));
		goto done;
	}
	if ((rc = wfm_cmd_executor_settings(&xcfg, ctx->repo, executor_opt, remote_opt)) < 0) {
		ret = rc == WFM_EINVALID ? wfm_ui_usage_error_lib(rc, flaky_usage, options)
					 : wfm_ui_error_lib(rc);
		goto done;
	}
	/* --fix: every setting checked before the runs, not after them */
	if (fix) {
		given.str[WFM_CF_ORACLE] = command;
		given.str[WFM_CF_EXECUTOR] = executor_opt;
		given.str[WFM_CF_REMOTE] = remote_opt;
		ret = wfm_cmd_builtin_setup(&cfg, ctx->repo, &given, &flaky_job, NULL, flaky_usage,
					    options);
		setup = 1;
		if (ret != WFM_EXIT_OK)
			goto done;
	}
	if ((rc = wfm_repo_resolve_commit(commit, ctx->repo, "HEAD")) < 0 ||
	    (rc = wfm_pool_open(&pool, wfm_repo_path(ctx->repo), &pool_opts)) < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	}
	/* the runs as jobs: under a name of their own, for their refs and job directories */
	snprintf(job_run, sizeof(job_run), "flaky-%.7s-%ld", commit, (long)getpid());
	default_job_dir = wfm_fs_join(wfm_repo_commondir(ctx->repo), "wfmigrate/jobs");
	wfm_run_config_executor_opts(&xo, &xcfg, default_job_dir);
	xo.pool = pool;
	xo.repo_path = wfm_repo_path(ctx->repo);
	xo.run = job_run;
	if ((rc = wfm_executor_open(&ex, &xo)) < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	}

	opts.command = command;
	opts.timeout_sec = timeout;
	opts.cancel = &wfm_ui_interrupted;
	opts.tests = 1;
	so.runs = runs_opt ? runs_opt : RUNS_DEFAULT;
	so.jobs = jobs;
	so.shuffle = shuffle;
	so.seed = ((unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16)) % 1000000000UL;
	so.done = quiet ? NULL : progress;
	so.executor = ex;
	if (!quiet)
		fprintf(stderr, "flaky: %zu runs of '%s' at %.7s, %zu at once%s%s%s\n", so.runs,
			command, commit, jobs < so.runs ? (size_t)jobs : so.runs,
			wfm_executor_runs_commands(ex) ? ", as " : "",
			wfm_executor_runs_commands(ex) ? wfm_executor_name(ex) : "",
			wfm_executor_runs_commands(ex) ? " jobs" : "");

	wfm_ui_interrupt_catch(old);
	rc = wfm_oracle_series_run(&series, pool, commit, &opts, &so);
	wfm_ui_interrupt_restore(old);
	for (size_t i = 0; i < series.nr; i++)
		wfm_exec_tally_add(&jobs_tally, &series.runs[i].where);
	if (wfm_executor_runs_commands(ex)) {
		/* nothing resumes these runs: what their jobs left goes now */
		struct wfm_exec_leftovers left;
		char *first = rc < 0 ? wfm_strdup(wfm_error_last()) : NULL;

		if (wfm_exec_leftovers_clean(&left, xo.repo_path, job_run, xo.job_dir, xo.remote,
					     0) < 0)
			wfm_ui_warning("%s", wfm_error_last());
		if (first)
			wfm_error_setc(rc, "%s", first);
		free(first);
	}
	if (rc < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	}
	if (wfm_ui_interrupted) {
		wfm_ui_error("interrupted after %zu of %zu runs", series.finished, series.nr);
		ret = 128 + wfm_ui_interrupted;
		goto done;
	}

	wfm_test_tally_build(&tally, series.runs, series.nr, command);
	flaky = count(&tally, WFM_FLAKY_FLAKY);
	broken = count(&tally, WFM_FLAKY_BROKEN);

	if (!json) {
		if (tally.whole)
			printf("no per-test results in the output (no TAP, pytest, CTest, cmocka "
			       "or "
			       "JUnit XML): the command is one test\n");
		print_table(&tally);
		print_failures(&tally);
		printf("\n%zu tests, %zu runs at %.7s ('%s'): %zu stable, %zu flaky, %zu broken\n",
		       tally.nr, series.nr, commit, command, count(&tally, WFM_FLAKY_STABLE), flaky,
		       broken);
		if (shuffle)
			printf("shuffled: %s=%lu to %lu\n", WFM_SHUFFLE_SEED_ENV, so.seed,
			       so.seed + series.nr - 1);
		if (jobs_tally.jobs)
			printf("ran as %lu %s jobs, queued %.1f s on average\n", jobs_tally.jobs,
			       wfm_executor_name(ex),
			       (double)jobs_tally.wait_ms / (double)jobs_tally.jobs / 1000.0);
		fflush(stdout);
	}

	if (fix && flaky) {
		args = fix_args(&tally, confirm_opt ? confirm_opt : CONFIRM_DEFAULT,
				&cfg.known_failures);
		ret = wfm_cmd_builtin_run(&result, &run, ctx->repo, &cfg, args, &flaky_job, NULL,
					  quiet);
		if (ret != WFM_EXIT_OK)
			goto done;
		fixes = cJSON_GetObjectItemCaseSensitive(result, "fixes");
		if (!cJSON_IsArray(fixes)) {
			ret = wfm_ui_error_lib(
				wfm_error_set("run %s: the flaky workflow returned no fixes "
					      "(%s/report.json)",
					      run->id, run->path));
			goto done;
		}
		if (!json)
			print_fixes(fixes, run->id);
	} else if (fix && !quiet) {
		fprintf(stderr, "flaky: no flaky test: nothing to fix\n");
	}

	remaining = broken;
	for (size_t i = 0; i < tally.nr; i++)
		if (class_of(&tally.v[i]) == WFM_FLAKY_FLAKY &&
		    !(fixes && fixed(fixes, tally.v[i].name)))
			remaining++;

	if (json) {
		cJSON *o = wfm_json_object(), *formats = wfm_json_array();
		struct wfm_buf b = WFM_BUF_INIT;

		wfm_json_add_num(o, "runs", (double)series.nr);
		wfm_json_add_num(o, "failedRuns", (double)series.failures);
		wfm_json_add_str(o, "commit", commit);
		wfm_json_add_str(o, "command", command);
		for (unsigned bit = 1; bit & WFM_TESTS_ALL; bit <<= 1)
			if (tally.formats & bit)
				wfm_json_add_str(formats, NULL, wfm_test_format_name(bit));
		wfm_json_add(o, "formats", formats);
		wfm_json_add_bool(o, "perTest", !tally.whole);
		if (shuffle)
			wfm_json_add_num(o, "shuffleSeed", (double)so.seed);
		if (jobs_tally.jobs) {
			cJSON *j = wfm_json_object();

			wfm_json_add_str(j, "executor", wfm_executor_name(ex));
			wfm_json_add_num(j, "jobs", (double)jobs_tally.jobs);
			wfm_json_add_num(j, "lost", (double)jobs_tally.lost);
			wfm_json_add_num(j, "waitMs", (double)jobs_tally.wait_ms);
			wfm_json_add_num(j, "longestWaitMs", (double)jobs_tally.longest_wait_ms);
			wfm_json_add(o, "jobs", j);
		}
		wfm_json_add(o, "tests", wfm_test_tally_json(&tally));
		wfm_json_add(o, "fixes", fixes ? cJSON_Duplicate(fixes, 1) : wfm_json_array());
		if (result) {
			const cJSON *v;

			wfm_json_add_str(o, "fixRun", run->id);
			if ((v = cJSON_GetObjectItemCaseSensitive(result, "rounds")))
				wfm_json_add(o, "rounds", cJSON_Duplicate(v, 1));
			if ((v = cJSON_GetObjectItemCaseSensitive(result, "unresolved")))
				wfm_json_add(o, "unresolved", cJSON_Duplicate(v, 1));
		}
		wfm_json_add_num(o, "remaining", (double)remaining);
		wfm_json_print(&b, o);
		printf("%s\n", b.ptr);
		wfm_buf_release(&b);
		cJSON_Delete(o);
	}
	ret = remaining ? WFM_EXIT_FAILURE : WFM_EXIT_OK;

done:
	wfm_test_tally_release(&tally);
	wfm_oracle_series_release(&series);
	wfm_executor_free(ex);
	if (pool)
		wfm_pool_free(pool);
	wfm_run_config_release(&xcfg);
	free(default_job_dir);
	wfm_rundir_free(run);
	if (setup)
		wfm_run_config_release(&cfg);
	wfm_run_config_given_release(&given);
	cJSON_Delete(result);
	cJSON_Delete(args);
	free(command);
	return ret;
}
