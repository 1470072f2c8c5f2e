/*
 * git wfmigrate log: what a run did, as it happened: its events with
 * their times, or one agent's transcript (its prompt, model calls, tool
 * calls and their results, its output and tokens), or the list of its
 * agents. --json gives the records as they are on disk.
 */
#define _GNU_SOURCE /* strchrnul */
#include "base/common.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/json.h"
#include "cmd/cmd.h"
#include "engine/rundir.h"
#include "engine/runlog.h"
#include "git/repo.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/named_run.h"
#include "ui/options.h"
#include "ui/pager.h"

#include <time.h>

static const char *const log_usage[] = {
	"git wfmigrate log [--json] [--full] [<run> [<agent>]]",
	"git wfmigrate log --agents [--json] [<run>]",
	NULL,
};

struct log_opts {
	int json, full, agents;
	struct wfm_repo *repo; /* for core.pager */
};

/* "HH:MM:SS", or with day "YYYY-MM-DD", in local time */
static void local_time(char *out, size_t size, int day, double ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!localtime_r(&t, &tm) ||
	    !(day ? strftime(out, size, "%Y-%m-%d", &tm) : strftime(out, size, "%H:%M:%S", &tm)))
		snprintf(out, size, "?");
}

/* Calls fn on each JSON line of path; 0, or the error reading the file. */
static int each_line(const char *path, void (*fn)(const char *line, size_t len, void *data),
		     void *data)
{
	struct wfm_buf text = WFM_BUF_INIT;
	const char *line, *end;
	int rc;

	if ((rc = wfm_buf_read_file(&text, path)) < 0)
		return rc;
	for (line = text.ptr; *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		if (end > line)
			fn(line, (size_t)(end - line), data);
	}
	wfm_buf_release(&text);
	return 0;
}

static void raw_line(const char *line, size_t len, void *data)
{
	(void)data;
	fwrite(line, 1, len, stdout);
	putchar('\n');
}

static void event_line(const char *line, size_t len, void *data)
{
	char *day = data, today[16], hms[16];
	struct wfm_buf out = WFM_BUF_INIT;
	cJSON *ev = NULL;
	double ts;

	if (wfm_json_parse(&ev, line, len) < 0)
		return; /* a torn last line: events are lossy */
	ts = wfm_json_get_num(ev, "ts", 0);
	local_time(today, sizeof(today), 1, ts);
	local_time(hms, sizeof(hms), 0, ts);
	if (strcmp(day, today)) {
		printf("--- %s\n", today);
		snprintf(day, 16, "%s", today);
	}
	wfm_runlog_event(&out, ev);
	printf("%s  %s\n", hms, out.ptr);
	wfm_buf_release(&out);
	cJSON_Delete(ev);
}

struct transcript_state {
	uint64_t t0;
	int full;
};

static void record_lines(const char *line, size_t len, void *data)
{
	struct transcript_state *st = data;
	struct wfm_buf out = WFM_BUF_INIT;
	cJSON *rec = NULL;

	if (wfm_json_parse(&rec, line, len) < 0)
		return;
	wfm_runlog_record(&out, rec, st->t0, st->full);
	fwrite(out.ptr, 1, out.len, stdout);
	wfm_buf_release(&out);
	cJSON_Delete(rec);
}

static int show_events(struct wfm_rundir *run, const struct log_opts *o)
{
	char *path = wfm_rundir_file(run, "events.jsonl");
	char day[16] = "";
	int rc = 0;

	if (!wfm_fs_exists(path)) {
		fprintf(stderr, "run %s has no events yet\n", run->id);
	} else {
		wfm_ui_pager_start(o->repo);
		rc = each_line(path, o->json ? raw_line : event_line, day);
	}
	free(path);
	return rc;
}

static void list_agents(const struct wfm_run_agent *a, size_t nr, const struct log_opts *opts)
{
	if (opts->json) {
		cJSON *arr = wfm_json_array();
		struct wfm_buf b = WFM_BUF_INIT;

		for (size_t i = 0; i < nr; i++) {
			cJSON *o = wfm_json_object();

			wfm_json_add_num(o, "number", (double)(i + 1));
			if (a[i].label)
				wfm_json_add_str(o, "label", a[i].label);
			else
				wfm_json_add_null(o, "label");
			if (a[i].role)
				wfm_json_add_str(o, "role", a[i].role);
			else
				wfm_json_add_null(o, "role");
			if (a[i].model)
				wfm_json_add_str(o, "model", a[i].model);
			else
				wfm_json_add_null(o, "model");
			wfm_json_add_str(o, "state",
					 !a[i].ended ? "unfinished"
					 : a[i].ok   ? "ok"
						     : "failed");
			wfm_json_add_num(o, "started", (double)a[i].started_ms);
			wfm_json_add_num(o, "tokens", a[i].tokens);
			wfm_json_add_num(o, "costUsd", a[i].usd);
			wfm_json_add_str(o, "transcript", a[i].path);
			wfm_json_add(arr, NULL, o);
		}
		wfm_json_print(&b, arr);
		printf("%s\n", b.ptr);
		wfm_buf_release(&b);
		cJSON_Delete(arr);
		return;
	}
	wfm_ui_pager_start(opts->repo);
	printf("%4s  %-10s  %-8s  %9s  %9s  %s\n", "#", "STATE", "STARTED", "TOKENS", "USD",
	       "LABEL");
	for (size_t i = 0; i < nr; i++) {
		char hms[16];

		local_time(hms, sizeof(hms), 0, (double)a[i].started_ms);
		printf("%4zu  %-10s  %-8s  %9.0f  %9.4f  %s\n", i + 1,
		       !a[i].ended ? "unfinished"
		       : a[i].ok   ? "ok"
				   : "failed",
		       hms, a[i].tokens, a[i].usd, a[i].label ? a[i].label : "-");
	}
}

int cmd_log(int argc, const char **argv, struct wfm_cmd_ctx *ctx)
{
	struct log_opts o = { 0, 0, 0, NULL };
	const struct wfm_option options[] = {
		WFM_OPT_BOOL(0, "json", &o.json, "print the records as they are (JSON lines)"),
		WFM_OPT_BOOL(0, "full", &o.full, "do not cut long prompts, outputs and inputs"),
		WFM_OPT_BOOL(0, "agents", &o.agents, "list the run's agents with their numbers"),
		WFM_OPT_END(),
	};
	struct wfm_rundir *run = NULL;
	struct wfm_run_agent *agents = NULL;
	size_t nr = 0, at;
	int rc, ret;

	argc = wfm_parse_options(argc, argv, options, log_usage, 0);
	if (argc < 0)
		return WFM_EXIT_USAGE;
	if (argc > (o.agents ? 1 : 2))
		return wfm_ui_usage_error(log_usage, options, "too many arguments");
	o.repo = ctx->repo;
	if ((ret = wfm_ui_named_run(&run, argc ? argv[0] : NULL, wfm_repo_commondir(ctx->repo))))
		return ret;
	if (!o.agents && argc < 2) {
		if ((rc = show_events(run, &o)) < 0)
			ret = wfm_ui_error_lib(rc);
		goto done;
	}
	if ((rc = wfm_run_agents(&agents, &nr, run)) < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	}
	if (o.agents) {
		if (!nr)
			fprintf(stderr, "run %s has no agent transcripts\n", run->id);
		else
			list_agents(agents, nr, &o);
		goto done;
	}
	if ((rc = wfm_run_agent_find(&at, agents, nr, argv[1])) < 0) {
		/* a name that is not among the run's agents: the command line's mistake */
		ret = wfm_ui_error_lib(
			wfm_error_setc(WFM_EINVALID, "run %s: %s", run->id, wfm_error_last()));
		goto done;
	}
	wfm_ui_pager_start(o.repo);
	if (o.json) {
		rc = each_line(agents[at].path, raw_line, NULL);
	} else {
		struct transcript_state st = { agents[at].started_ms, o.full };

		printf("agent %zu of run %s: %s\ntranscript: %s\n\n", at + 1, run->id,
		       agents[at].label ? agents[at].label : "-", agents[at].path);
		rc = each_line(agents[at].path, record_lines, &st);
	}
	if (rc < 0)
		ret = wfm_ui_error_lib(rc);
done:
	wfm_ui_pager_finish();
	wfm_run_agents_free(agents, nr);
	wfm_rundir_free(run);
	return ret;
}
