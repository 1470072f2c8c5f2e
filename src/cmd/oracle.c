/*
 * git wfmigrate oracle: runs the test command in a pool worktree at a
 * revision, once or --runs times, and reports how it went.
 */
#include "base/common.h"
#include "base/buf.h"
#include "cmd/cmd.h"
#include "git/pool.h"
#include "git/repo.h"
#include "oracle/oracle.h"
#include "ui/exit.h"
#include "ui/interrupt.h"
#include "ui/message.h"
#include "ui/options.h"
#include "ui/settings.h"

#define TAIL_LINES 20

static const char *const oracle_usage[] = {
	"git wfmigrate oracle [--oracle <cmd>] [--ref <rev>] [--runs <n>] [--timeout <seconds>] "
	"[--cold] [--json]",
	NULL,
};

static void print_tail(const struct wfm_oracle_result *r)
{
	const struct wfm_buf *out = &r->proc.output;
	size_t start = out->len, lines = 0;

	/* the last TAIL_LINES lines, ignoring a final newline */
	if (start && out->ptr[start - 1] == '\n')
		start--;
	while (start > 0) {
		if (out->ptr[start - 1] == '\n' && ++lines == TAIL_LINES)
			break;
		start--;
	}
	if (start == out->len)
		return;
	if (start > 0 || r->proc.output_bytes > out->len)
		printf("    ...\n");
	for (const char *p = out->ptr + start, *end = out->ptr + out->len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		fputs("    ", stdout);
		fwrite(p, 1, n, stdout); /* not printf: the output may hold NUL bytes */
		fputc('\n', stdout);
		p += n + 1;
	}
}

/* The excerpt of a failed run (oracle/excerpt.h), under the tail. */
static void print_excerpt(const struct wfm_oracle_result *r)
{
	if (!r->excerpt.nr)
		return;
	printf("what failed:\n");
	for (size_t i = 0; i < r->excerpt.nr; i++)
		printf("    %s\n", r->excerpt.v[i]);
}

/*
 * "in 1.2s on 1a2b3c4 ('make test' exited 0): 12 passed, 0 failed", or
 * without command (NULL) "in 1.2s (exited 0): 12 passed, 0 failed".
 */
static void describe(struct wfm_buf *b, const struct wfm_oracle_result *r, const char *command)
{
	wfm_buf_addf(b, "in %.1fs ", (double)r->proc.duration_ms / 1000.0);
	if (command)
		wfm_buf_addf(b, "on %.7s ('%s' ", r->commit, command);
	else
		wfm_buf_addch(b, '(');
	wfm_oracle_describe_end(b, r);
	wfm_buf_addch(b, ')');
	if (r->summary.format != WFM_SUMMARY_NONE) {
		wfm_buf_adds(b, ": ");
		wfm_summary_describe(b, &r->summary);
	}
}

static const char *verdict(const struct wfm_oracle_result *r)
{
	if (r->proc.cancelled)
		return "interrupted";
	return r->pass ? "passed" : "failed";
}

static void report_one(const struct wfm_oracle_result *r, const char *command)
{
	struct wfm_buf b = WFM_BUF_INIT;

	if (!r->pass) {
		print_tail(r);
		print_excerpt(r);
	}
	describe(&b, r, command);
	printf("oracle %s %s\n", verdict(r), b.ptr);
	wfm_buf_release(&b);
}

/* One line per run of a series; the verdict line names the commit and command. */
static void report_run(FILE *out, const struct wfm_oracle_result *r, size_t i, size_t n)
{
	struct wfm_buf b = WFM_BUF_INIT;

	describe(&b, r, NULL);
	fprintf(out, "run %zu/%zu %s %s\n", i + 1, n, verdict(r), b.ptr);
	fflush(out);
	wfm_buf_release(&b);
}

static void report_runs(const struct wfm_oracle_result *runs, size_t nr, size_t wanted,
			const char *commit, const char *command)
{
	const struct wfm_oracle_result *first_failed = NULL;
	size_t passed = 0, cancelled = 0, first_index = 0;
	uint64_t ms = 0;

	for (size_t i = 0; i < nr; i++) {
		ms += runs[i].proc.duration_ms;
		if (runs[i].pass) {
			passed++;
		} else if (runs[i].proc.cancelled) {
			cancelled++;
		} else if (!first_failed) {
			first_failed = &runs[i];
			first_index = i;
		}
	}
	if (first_failed) {
		printf("output of run %zu:\n", first_index + 1);
		print_tail(first_failed);
		print_excerpt(first_failed);
	}
	if (cancelled || nr < wanted)
		printf("oracle interrupted after %zu of %zu runs on %.7s ('%s'): %zu passed, %zu "
		       "failed\n",
		       nr - cancelled, wanted, commit, command, passed, nr - cancelled - passed);
	else if (passed == nr)
		printf("oracle passed %zu of %zu runs in %.1fs on %.7s ('%s')\n", passed, nr,
		       (double)ms / 1000.0, commit, command);
	else
		printf("oracle failed %zu of %zu runs in %.1fs on %.7s ('%s')\n", nr - passed, nr,
		       (double)ms / 1000.0, commit, command);
}

int cmd_oracle(int argc, const char **argv, struct wfm_cmd_ctx *ctx)
{
	const char *oracle_opt = NULL, *ref = "HEAD", *timeout_opt = NULL;
	unsigned long runs_opt = 0, timeout = WFM_ORACLE_TIMEOUT_DEFAULT;
	struct wfm_pool_opts pool_opts = WFM_POOL_OPTS_INIT;
	int json = 0;
	const struct wfm_option options[] = {
		WFM_OPT_STRING(0, "oracle", &oracle_opt, "cmd",
			       "the test command, run with sh -c "
			       "(or wfmigrate.oracle, $WFMIGRATE_ORACLE)"),
		WFM_OPT_STRING(0, "ref", &ref, "rev", "the revision to test (default HEAD)"),
		WFM_OPT_UINT(0, "runs", &runs_opt, "n",
			     "run n times (1-1000) and report how many runs failed", 1, 1000),
		WFM_OPT_STRING(0, "timeout", &timeout_opt, "seconds",
			       "kill it after this long; 0: never (default 1800)"),
		WFM_OPT_BOOL(
			0, "cold", &pool_opts.cold,
			"run in a brand-new worktree, removed afterwards (no warm build output)"),
		WFM_OPT_BOOL(0, "json", &json, "print the result as JSON on stdout"),
		WFM_OPT_END(),
	};
	struct wfm_oracle_opts opts = WFM_ORACLE_OPTS_INIT;
	struct wfm_oracle_result *runs = NULL;
	struct wfm_pool *pool = NULL;
	struct sigaction old[WFM_UI_INTERRUPT_SIGNALS];
	char commit[WFM_OID_HEXSZ + 1];
	char *command = NULL;
	size_t wanted, nr = 0, passed = 0;
	int ret = WFM_EXIT_OK, rc, progress;

	rc = wfm_parse_options(argc, argv, options, oracle_usage, WFM_PARSE_NO_ARGUMENTS);
	if (rc < 0)
		return WFM_EXIT_USAGE;

	command = wfm_setting_get(ctx->repo, oracle_opt, "oracle");
	if (!command || !*command) {
		ret = wfm_ui_usage_error(
			oracle_usage, options,
			"no oracle command: give one with --oracle <cmd>, 'git config "
			"wfmigrate.oracle <cmd>' or WFMIGRATE_ORACLE=<cmd>");
		goto done;
	}
	/* a bad --timeout is a usage error; a bad wfmigrate.oracle.timeout, fatal */
	if ((rc = wfm_setting_get_ulong(&timeout, ctx->repo, timeout_opt, "oracle.timeout")) < 0 ||
	    (rc = wfm_repo_resolve_commit(commit, ctx->repo, ref)) < 0 ||
	    (rc = wfm_pool_open(&pool, wfm_repo_path(ctx->repo), &pool_opts)) < 0) {
		ret = wfm_ui_usage_error_lib(rc, oracle_usage, options);
		goto done;
	}

	opts.command = command;
	opts.timeout_sec = timeout;
	opts.cancel = &wfm_ui_interrupted;
	wanted = runs_opt ? runs_opt : 1;
	runs = wfm_calloc(wanted, sizeof(*runs));
	/* with --json, stdout is for the data: progress goes to a terminal on stderr */
	progress = runs_opt > 1 && (!json || isatty(2));

	wfm_ui_interrupt_catch(old);
	/*
	 * One run after the other, each in a freshly acquired slot: every run
	 * starts from a clean checkout, and runs do not compete for the
	 * machine (which would make flakiness of its own).
	 */
	for (nr = 0; nr < wanted && !wfm_ui_interrupted;) {
		rc = wfm_oracle_run(&runs[nr], pool, commit, &opts);
		if (rc < 0) {
			wfm_oracle_result_release(&runs[nr]);
			break;
		}
		/* cancelled before it took a slot: still say which commit it was for */
		if (!runs[nr].commit[0])
			snprintf(runs[nr].commit, sizeof(runs[nr].commit), "%s", commit);
		passed += runs[nr].pass ? 1 : 0;
		if (progress)
			report_run(json ? stderr : stdout, &runs[nr], nr, wanted);
		/* the text report shows the first failure's output only: 1000 tails add up */
		if (!json && runs_opt > 1 && (runs[nr].pass || nr + 1 - passed > 1))
			wfm_buf_release(&runs[nr].proc.output);
		if (runs[nr++].proc.cancelled)
			break;
	}
	wfm_ui_interrupt_restore(old);

	if (rc < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	}
	if (json) {
		struct wfm_buf b = WFM_BUF_INIT;
		if (runs_opt)
			wfm_oracle_runs_json(&b, runs, nr, ref, command);
		else if (nr)
			wfm_oracle_result_json(&b, &runs[0], ref, command);
		if (b.len)
			printf("%s\n", b.ptr);
		wfm_buf_release(&b);
	} else if (runs_opt > 1) {
		report_runs(runs, nr, wanted, commit, command);
	} else if (nr) {
		report_one(&runs[0], command);
	}
	if (wfm_ui_interrupted)
		ret = 128 + wfm_ui_interrupted;
	else
		ret = passed == nr && nr == wanted ? WFM_EXIT_OK : WFM_EXIT_FAILURE;

done:
	for (size_t i = 0; runs && i < nr; i++)
		wfm_oracle_result_release(&runs[i]);
	free(runs);
	if (pool)
		wfm_pool_free(pool);
	free(command);
	return ret;
}
