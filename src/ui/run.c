#include "base/common.h"
#include "base/buf.h"
#include "base/json.h"
#include "agent/provider.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/rundir.h"
#include "engine/workflow.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/options.h"
#include "ui/pilot.h"
#include "ui/progress.h"
#include "ui/run.h"

#include <fcntl.h>
#include <signal.h>

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

int wfm_run_json_load(cJSON **out, struct wfm_rundir *run, const char *name)
{
	struct wfm_buf b = WFM_BUF_INIT;
	char *path = wfm_rundir_file(run, name);
	int rc;

	*out = NULL;
	if ((rc = wfm_buf_read_file(&b, path)) < 0)
		goto done;
	rc = wfm_json_parse(out, b.ptr, b.len);
	if (rc < 0)
		rc = wfm_error_setc(WFM_ECONFIG, "%s: %s", path, wfm_error_last());
done:
	wfm_buf_release(&b);
	free(path);
	return rc;
}

static unsigned long total(const cJSON *report, const char *name)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(report, "totals");

	return (unsigned long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(t, name));
}

/* The lines the run's chunk() calls left out of reach, the first few. */
static void print_reach(const cJSON *report)
{
	const cJSON *reach = cJSON_GetObjectItemCaseSensitive(report, "outOfReach");
	const cJSON *lines = cJSON_GetObjectItemCaseSensitive(reach, "lines"), *l;
	unsigned long total = (unsigned long)cJSON_GetNumberValue(
		cJSON_GetObjectItemCaseSensitive(reach, "total"));
	struct wfm_buf b = WFM_BUF_INIT;
	int shown = 0;

	if (!cJSON_IsObject(reach) || !total)
		return;
	cJSON_ArrayForEach (l, cJSON_GetObjectItemCaseSensitive(reach, "patterns"))
		wfm_buf_addf(&b, "%s/%s/", b.len ? " or " : "", cJSON_GetStringValue(l));
	printf("out of reach: %lu line%s matching %s in no unit, which no agent could change:\n",
	       total, total == 1 ? "" : "s", b.ptr);
	cJSON_ArrayForEach (l, lines) {
		if (shown++ == WFM_UI_REACH_SHOWN)
			break;
		wfm_buf_clear(&b);
		wfm_engine_reach_line(&b, l);
		printf("  %s\n", b.ptr);
	}
	if (total > WFM_UI_REACH_SHOWN)
		printf("  ... and %lu more (see the report)\n", total - WFM_UI_REACH_SHOWN);
	wfm_buf_release(&b);
}

/* failed agents listed in the summary; report.md has them all */
#define FAILURES_SHOWN 5

/*
 * The agents that failed, each with its reason, the last lines of its
 * stderr and its transcript: why, without opening the journal.
 */
static void print_failures(const cJSON *report)
{
	const cJSON *failures = cJSON_GetObjectItemCaseSensitive(report, "agentFailures"), *f;
	int n = cJSON_GetArraySize(failures), shown = 0;

	if (!n)
		return;
	printf("agents that failed: %d\n", n);
	cJSON_ArrayForEach (f, failures) {
		const char *label = wfm_json_get_str(f, "label", NULL);
		const char *why = wfm_json_get_str(f, "reason", NULL);
		const char *tail = wfm_json_get_str(f, "stderr", NULL);
		const char *path = wfm_json_get_str(f, "transcript", NULL);

		if (shown++ == FAILURES_SHOWN) {
			printf("  ... and %d more in report.md\n", n - FAILURES_SHOWN);
			break;
		}
		printf("  %s: %s\n", label ? label : "?", why ? why : "failed");
		for (const char *line = tail; line && *line;) {
			size_t len = strcspn(line, "\n");

			printf("    | %.*s\n", (int)len, line);
			line += len + (line[len] == '\n');
		}
		if (path)
			printf("    transcript: %s\n", path);
	}
}

/*
 * The units, and the agents of this session: of a resumed run, also what
 * all its sessions did (report.json's totals are their sums).
 */
static void print_units(const cJSON *report)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(report, "sessions");
	const cJSON *me = cJSON_GetArrayItem(list, cJSON_GetArraySize(list) - 1);
	int sessions = cJSON_GetArraySize(list);
	double run = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(me, "agentsRun"));
	double replayed =
		cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(me, "agentsReplayed"));

	if (!cJSON_IsObject(me)) {
		run = (double)total(report, "agentsRun");
		replayed = (double)total(report, "agentsReplayed");
	}
	printf("units: %lu merged, %lu rejected, %lu failed, %lu skipped", total(report, "merged"),
	       total(report, "rejected"), total(report, "failed"), total(report, "skipped"));
	if (total(report, "pending"))
		printf(", %lu pending", total(report, "pending"));
	printf("; agents: %.0f run, %.0f from the journal\n", run, replayed);
	if (sessions > 1)
		printf("all %d sessions of the run: %lu agents run, %.1f s, %lu tokens\n", sessions,
		       total(report, "agentsRun"), (double)total(report, "durationMs") / 1000.0,
		       total(report, "tokens"));
}

/* "oracle: 14 runs in 5.2 s (2 on the base commit); merge queue: 2 batches, 1 bisection step" */
static void print_oracle_cost(const cJSON *report)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(report, "oracle");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(report, "mergeQueue");
	double runs = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "runs"));
	double batches = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(m, "batches"));
	double steps = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(m, "bisectionSteps"));

	if (!o || !(runs > 0))
		return;
	printf("oracle: %.0f run%s in %.1f s (%.0f on the base commit)", runs, runs == 1 ? "" : "s",
	       cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "totalMs")) / 1000.0,
	       cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "baselineRuns")));
	if (batches > 0)
		printf("; merge queue: %.0f batch%s, %.0f bisection step%s", batches,
		       batches == 1 ? "" : "es", steps, steps == 1 ? "" : "s");
	printf("\n");
}

static void print_outcome(const struct wfm_rundir *run, const struct wfm_engine_result *r,
			  int metered)
{
	const cJSON *integ = cJSON_GetObjectItemCaseSensitive(r->report, "integration");
	const cJSON *tip = cJSON_GetObjectItemCaseSensitive(integ, "commit");
	const cJSON *branch = cJSON_GetObjectItemCaseSensitive(integ, "branch");
	const cJSON *shared;

	if (r->status == WFM_RUN_FAILED)
		printf("run %s failed: %s\n", run->id, r->error ? r->error : "unknown error");
	else if (r->status == WFM_RUN_STOPPED)
		printf("run %s stopped; continue it with 'git wfmigrate resume %s'\n", run->id,
		       run->id);
	else
		printf("run %s done\n", run->id);
	print_units(r->report);
	print_failures(r->report);
	if (total(r->report, "tokens"))
		printf("tokens: %lu, %lu of them on units that did not land%s\n",
		       total(r->report, "tokens"), total(r->report, "tokensNotLanded"),
		       total(r->report, "budgetUnits") ? "; the budget left some units undone"
						       : "");
	print_oracle_cost(r->report);
	if (cJSON_IsString(tip) && cJSON_IsString(branch))
		printf("integration branch: %s at %.12s\n", branch->valuestring, tip->valuestring);
	shared = cJSON_GetObjectItemCaseSensitive(r->report, "shared");
	branch = cJSON_GetObjectItemCaseSensitive(shared, "branch");
	tip = cJSON_GetObjectItemCaseSensitive(shared, "commit");
	if (cJSON_IsString(tip) && cJSON_IsString(branch))
		printf("shared checkout: %s at %.12s; take its edits with 'git merge %s'\n",
		       branch->valuestring, tip->valuestring, branch->valuestring);
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(shared, "warnings")))
		printf("warning: agents wrote in the shared checkout at the same time; see the "
		       "report\n");
	print_reach(r->report);
	wfm_ui_pilot_print(stdout, r->report, metered);
	printf("report: %s/report.md\n", run->path);
}

/* -q: of the progress lines, only the engine's warnings */
static void quiet_line(void *data, const char *line)
{
	if (!strncmp(line, "warning: ", 9))
		wfm_ui_progress_line(data, line);
}

/* What the parent says once the run's own process holds it. */
static void say_detached(const struct wfm_rundir *run, pid_t pid, const char *log, int json)
{
	if (json) {
		struct wfm_buf b = WFM_BUF_INIT;
		cJSON *o = wfm_json_object();

		wfm_json_add_str(o, "id", run->id);
		wfm_json_add_num(o, "pid", (double)pid);
		wfm_json_add_str(o, "dir", run->path);
		wfm_json_add_str(o, "output", log);
		wfm_json_print(&b, o);
		printf("%s\n", b.ptr);
		cJSON_Delete(o);
		wfm_buf_release(&b);
	}
	fprintf(stderr,
		"run %s goes on in the background (pid %ld); its output: %s\n"
		"  watch it:  git wfmigrate watch %s\n"
		"  pause it:  git wfmigrate pause %s\n"
		"  stop it:   git wfmigrate stop %s\n",
		run->id, (long)pid, log, run->id, run->id, run->id);
}

/*
 * Forks the process that carries the run on. Returns 1 in that process
 * (detached: its own session, stdin /dev/null, stdout and stderr to the
 * run's output.log, the run's lock its own); in this one, the exit code
 * once the other has the lock (0), or after saying why it could not.
 */
static int detach(struct wfm_rundir *run, int json)
{
	char *log = wfm_rundir_file(run, "output.log");
	char why[512] = "";
	int ready[2], fd, ret;
	ssize_t n;
	pid_t pid;

	if (pipe(ready) < 0) {
		ret = wfm_ui_error_lib(wfm_error_set("pipe: %s", strerror(errno)));
		free(log);
		return ret;
	}
	/* the run's agents and oracles are not to hold it */
	fcntl(ready[0], F_SETFD, FD_CLOEXEC);
	fcntl(ready[1], F_SETFD, FD_CLOEXEC);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		ret = wfm_ui_error_lib(wfm_error_set("fork: %s", strerror(errno)));
		close(ready[0]);
		close(ready[1]);
		free(log);
		return ret;
	}
	if (pid == 0) {
		close(ready[0]);
		setsid();
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			snprintf(why, sizeof(why), "%s: %s", log, strerror(errno));
		else if (wfm_rundir_lock_handover(run) < 0)
			snprintf(why, sizeof(why), "%s", wfm_error_last());
		if (fd >= 0)
			close(fd);
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			dup2(fd, 0);
			close(fd);
		}
		/* a NUL byte: the lock is ours; else why not */
		if (write(ready[1], why, why[0] ? strlen(why) : 1) < 0 || why[0])
			_exit(WFM_EXIT_FATAL);
		close(ready[1]);
		free(log);
		return 1;
	}
	close(ready[1]);
	while ((n = read(ready[0], why, sizeof(why) - 1)) < 0 && errno == EINTR)
		;
	close(ready[0]);
	if (n == 1 && !why[0]) {
		/* the lock names the other process now: freeing run must leave it */
		run->locked = 0;
		say_detached(run, pid, log, json);
		ret = WFM_EXIT_OK;
	} else {
		why[n > 0 ? n : 0] = '\0';
		ret = wfm_ui_error_lib(wfm_error_set(
			"cannot carry run %s on in the background: %s", run->id,
			n > 0 ? why : "its process ended before it took the run over"));
	}
	free(log);
	return ret;
}

int wfm_ui_run(struct wfm_rundir *run, const char *repo_path, const struct wfm_run_config *cfg,
	       const cJSON *args, unsigned flags)
{
	int json = flags & WFM_UI_RUN_JSON;
	struct wfm_engine_opts opts = { 0 };
	struct wfm_engine_result r = { 0 };
	struct sigaction sa = { 0 }, old_int, old_term;
	struct wfm_buf script_name = WFM_BUF_INIT;
	struct wfm_ui_progress live;
	int rc, ret;

	opts.run = run;
	opts.repo_path = repo_path;
	opts.config = cfg;
	opts.args = args;
	opts.interrupt = &interrupted;
	if ((rc = wfm_run_config_api_key(&opts.api_key, cfg)) < 0) {
		wfm_buf_release(&script_name);
		return wfm_ui_error_lib(rc);
	}
	if ((flags & WFM_UI_RUN_BACKGROUND) && (ret = detach(run, json)) != 1) {
		wfm_buf_release(&script_name);
		return ret;
	}
	/* a built-in is named by its file, a user's script as the user named it */
	if (!wfm_workflow_is_path(cfg->workflow))
		wfm_buf_addf(&script_name, "workflows/%s.js", cfg->workflow);
	else
		wfm_buf_adds(&script_name, cfg->workflow);
	opts.script_name = script_name.ptr;
	wfm_ui_progress_init(&live, stderr);
	opts.progress = flags & WFM_UI_RUN_QUIET ? quiet_line : wfm_ui_progress_line;
	opts.status = flags & WFM_UI_RUN_QUIET ? NULL : wfm_ui_progress_status;
	opts.progress_data = &live;

	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	signal(SIGPIPE, SIG_IGN);
	if (!(flags & WFM_UI_RUN_QUIET))
		fprintf(stderr, "run %s: %s\n", run->id, run->path);
	rc = wfm_engine_run(&r, &opts);
	wfm_ui_progress_end(&live);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	wfm_buf_release(&script_name);
	if (rc < 0)
		return wfm_ui_error_lib(rc);
	if (json) {
		struct wfm_buf b = WFM_BUF_INIT;
		wfm_json_print(&b, r.report);
		printf("%s\n", b.ptr);
		wfm_buf_release(&b);
	} else if (!(flags & WFM_UI_RUN_NO_OUTCOME)) {
		print_outcome(run, &r, cfg->provider->has_api);
	}
	if (r.status == WFM_RUN_DONE)
		ret = WFM_EXIT_OK;
	else if (interrupted)
		ret = 128 + interrupted;
	else
		ret = WFM_EXIT_FAILURE;
	wfm_engine_result_release(&r);
	return ret;
}

int wfm_ui_live_run(struct wfm_rundir **out, enum wfm_run_state *state, pid_t *pid, int argc,
		    const char **argv, const char *const *usage, const struct wfm_option *options,
		    const char *commondir)
{
	int rc;

	*out = NULL;
	if (argc > 1)
		return wfm_ui_usage_error(usage, options, "too many arguments");
	if ((rc = wfm_rundir_open(out, commondir, argc ? argv[0] : NULL, 0)) < 0)
		return wfm_ui_error_lib(rc);
	*state = wfm_rundir_state(*out, pid);
	if (!wfm_run_state_live(*state)) {
		wfm_ui_error("run %s is not running (%s)", (*out)->id, wfm_run_state_name(*state));
		wfm_rundir_free(*out);
		*out = NULL;
		return WFM_EXIT_FAILURE;
	}
	return 0;
}
