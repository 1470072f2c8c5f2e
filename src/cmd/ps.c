/*
 * git wfmigrate ps: the runs of this repository and what they are doing:
 * state, progress, tokens, cost and age, from each run's events
 * (engine/run_status.h) and, once it has ended, its report.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/json.h"
#include "cmd/cmd.h"
#include "engine/run_status.h"
#include "engine/rundir.h"
#include "git/repo.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/options.h"
#include "ui/status.h"

#include <time.h>

static const char *const ps_usage[] = {
	"git wfmigrate ps [--json]",
	NULL,
};

/* What ps shows of a run besides its listing. */
struct figures {
	char progress[64];
	uint64_t tokens;
	double usd;
	int has_usd; /* an API provider: a cost, if only $0.00 */
	long units, units_decided;
	unsigned long agents_started, agents_running, agents_done, agents_failed;
};

/* A run whose events cannot be read is listed without its figures: ps lists what it can. */
static void read_figures(struct figures *f, const char *commondir,
			 const struct wfm_rundir_info *info)
{
	struct wfm_rundir *r = NULL;
	struct wfm_run_status st;
	struct wfm_buf b = WFM_BUF_INIT;

	memset(f, 0, sizeof(*f));
	f->units = f->units_decided = -1;
	snprintf(f->progress, sizeof(f->progress), "-");
	if (wfm_rundir_open(&r, commondir, info->id, 0) < 0)
		return;
	if (wfm_run_status_read_run(&st, r, !wfm_run_state_live(info->state)) == 0) {
		wfm_run_status_progress(&b, &st);
		snprintf(f->progress, sizeof(f->progress), "%s", b.ptr);
		f->tokens = st.tokens + st.tokens_running;
		f->usd = st.usd + st.usd_running;
		f->has_usd = f->usd > 0 || (st.provider && strcmp(st.provider, "exec"));
		f->units = st.units;
		f->units_decided = st.units_decided;
		f->agents_started = st.agents_started;
		f->agents_running = st.agents_running;
		f->agents_done = st.agents_done;
		f->agents_failed = st.agents_failed;
	}
	wfm_run_status_release(&st);
	wfm_buf_release(&b);
	wfm_rundir_free(r);
}

static void add_num_or_null(cJSON *o, const char *key, long v)
{
	if (v >= 0)
		wfm_json_add_num(o, key, (double)v);
	else
		wfm_json_add_null(o, key);
}

static void print_json(const struct wfm_rundir_info *runs, const struct figures *figs, size_t nr)
{
	uint64_t now = wfm_clock_wall_ms();
	struct wfm_buf b = WFM_BUF_INIT;

	fputs("[", stdout);
	for (size_t i = 0; i < nr; i++) {
		cJSON *o = wfm_json_object(), *a;

		wfm_json_add_str(o, "id", runs[i].id);
		wfm_json_add_str(o, "state", wfm_run_state_name(runs[i].state));
		if (runs[i].pid)
			wfm_json_add_num(o, "pid", (double)runs[i].pid);
		else
			wfm_json_add_null(o, "pid");
		if (runs[i].created_ms)
			wfm_json_add_num(o, "started", (double)runs[i].created_ms);
		else
			wfm_json_add_null(o, "started");
		if (runs[i].workflow)
			wfm_json_add_str(o, "workflow", runs[i].workflow);
		else
			wfm_json_add_null(o, "workflow");
		if (runs[i].goal)
			wfm_json_add_str(o, "goal", runs[i].goal);
		else
			wfm_json_add_null(o, "goal");
		if (runs[i].created_ms)
			wfm_json_add_num(
				o, "ageMs",
				now > runs[i].created_ms ? (double)(now - runs[i].created_ms) : 0);
		else
			wfm_json_add_null(o, "ageMs");
		wfm_json_add_str(o, "progress", figs[i].progress);
		a = wfm_json_object();
		wfm_json_add_num(a, "started", (double)figs[i].agents_started);
		wfm_json_add_num(a, "running", (double)figs[i].agents_running);
		wfm_json_add_num(a, "done", (double)figs[i].agents_done);
		wfm_json_add_num(a, "failed", (double)figs[i].agents_failed);
		wfm_json_add(o, "agents", a);
		add_num_or_null(o, "units", figs[i].units);
		add_num_or_null(o, "unitsDecided", figs[i].units_decided);
		wfm_json_add_num(o, "tokens", (double)figs[i].tokens);
		wfm_json_add_num(o, "costUsd", figs[i].usd);
		wfm_buf_clear(&b);
		wfm_buf_adds(&b, i ? ",\n" : "\n");
		wfm_json_print(&b, o);
		fwrite(b.ptr, 1, b.len, stdout);
		cJSON_Delete(o);
	}
	fputs(nr ? "\n]\n" : "]\n", stdout);
	wfm_buf_release(&b);
}

static void print_table(const struct wfm_rundir_info *runs, const struct figures *figs, size_t nr)
{
	struct wfm_buf age = WFM_BUF_INIT, tokens = WFM_BUF_INIT, usd = WFM_BUF_INIT;
	uint64_t now = wfm_clock_wall_ms();
	int idw = 3, pw = 8;

	if (!nr) {
		/* a message, not data: stdout stays empty for scripts */
		fprintf(stderr, "no runs in this repository ('git wfmigrate run' starts one)\n");
		return;
	}
	for (size_t i = 0; i < nr; i++) {
		if ((int)strlen(runs[i].id) > idw)
			idw = (int)strlen(runs[i].id);
		if ((int)strlen(figs[i].progress) > pw)
			pw = (int)strlen(figs[i].progress);
	}
	printf("%-*s  %-8s  %7s  %-16s  %4s  %-*s  %7s  %8s  %s\n", idw, "RUN", "STATE", "PID",
	       "STARTED", "AGE", pw, "PROGRESS", "TOKENS", "COST", "WORKFLOW");
	for (size_t i = 0; i < nr; i++) {
		char pid[24] = "-", started[32] = "-";

		if (runs[i].pid)
			snprintf(pid, sizeof(pid), "%ld", (long)runs[i].pid);
		wfm_buf_clear(&age);
		wfm_buf_clear(&tokens);
		wfm_buf_clear(&usd);
		if (runs[i].created_ms) {
			time_t t = (time_t)(runs[i].created_ms / 1000);
			struct tm tm;

			if (localtime_r(&t, &tm))
				strftime(started, sizeof(started), "%Y-%m-%d %H:%M", &tm);
			wfm_ui_add_age(&age,
				       now > runs[i].created_ms ? now - runs[i].created_ms : 0);
		} else {
			wfm_buf_adds(&age, "-");
		}
		wfm_ui_add_tokens(&tokens, figs[i].tokens);
		if (figs[i].has_usd)
			wfm_ui_add_usd(&usd, figs[i].usd);
		else
			wfm_buf_adds(&usd, "-");
		printf("%-*s  %-8s  %7s  %-16s  %4s  %-*s  %7s  %8s  %s\n", idw, runs[i].id,
		       wfm_run_state_name(runs[i].state), pid, started, age.ptr, pw,
		       figs[i].progress, tokens.ptr, usd.ptr,
		       runs[i].workflow ? runs[i].workflow : "-");
	}
	wfm_buf_release(&age);
	wfm_buf_release(&tokens);
	wfm_buf_release(&usd);
}

int cmd_ps(int argc, const char **argv, struct wfm_cmd_ctx *ctx)
{
	struct wfm_rundir_info *runs = NULL;
	struct figures *figs = NULL;
	const char *commondir;
	size_t nr = 0;
	int json = 0, rc;
	const struct wfm_option options[] = {
		WFM_OPT_BOOL(0, "json", &json, "print a JSON array of runs"),
		WFM_OPT_END(),
	};

	argc = wfm_parse_options(argc, argv, options, ps_usage, WFM_PARSE_NO_ARGUMENTS);
	if (argc < 0)
		return WFM_EXIT_USAGE;
	commondir = wfm_repo_commondir(ctx->repo);
	if ((rc = wfm_rundir_list(&runs, &nr, commondir)) < 0)
		return wfm_ui_error_lib(rc);
	figs = wfm_calloc(nr ? nr : 1, sizeof(*figs));
	for (size_t i = 0; i < nr; i++)
		read_figures(&figs[i], commondir, &runs[i]);
	if (json)
		print_json(runs, figs, nr);
	else
		print_table(runs, figs, nr);
	free(figs);
	wfm_rundir_info_free(runs, nr);
	return WFM_EXIT_OK;
}
