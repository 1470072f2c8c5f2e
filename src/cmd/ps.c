/*
 * git wfmigrate ps: the runs of this repository and what they are doing.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/json.h"
#include "cmd/cmd.h"
#include "engine/rundir.h"
#include "git/repo.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/options.h"

#include <time.h>

static const char *const ps_usage[] = {
	"git wfmigrate ps [--json]",
	NULL,
};

static void print_json(const struct wfm_rundir_info *runs, size_t nr)
{
	struct wfm_buf b = WFM_BUF_INIT;

	fputs("[", stdout);
	for (size_t i = 0; i < nr; i++) {
		cJSON *o = wfm_json_object();

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
		wfm_buf_clear(&b);
		wfm_buf_adds(&b, i ? ",\n" : "\n");
		wfm_json_print(&b, o);
		fwrite(b.ptr, 1, b.len, stdout);
		cJSON_Delete(o);
	}
	fputs(nr ? "\n]\n" : "]\n", stdout);
	wfm_buf_release(&b);
}

static void print_table(const struct wfm_rundir_info *runs, size_t nr)
{
	int idw = 3;

	if (!nr) {
		/* a message, not data: stdout stays empty for scripts */
		fprintf(stderr, "no runs in this repository ('git wfmigrate run' starts one)\n");
		return;
	}
	for (size_t i = 0; i < nr; i++)
		if ((int)strlen(runs[i].id) > idw)
			idw = (int)strlen(runs[i].id);
	printf("%-*s  %-8s  %7s  %-16s  %s\n", idw, "RUN", "STATE", "PID", "STARTED", "WORKFLOW");
	for (size_t i = 0; i < nr; i++) {
		char pid[24] = "-", started[32] = "-";

		if (runs[i].pid)
			snprintf(pid, sizeof(pid), "%ld", (long)runs[i].pid);
		if (runs[i].created_ms) {
			time_t t = (time_t)(runs[i].created_ms / 1000);
			struct tm tm;

			if (localtime_r(&t, &tm))
				strftime(started, sizeof(started), "%Y-%m-%d %H:%M", &tm);
		}
		printf("%-*s  %-8s  %7s  %-16s  %s\n", idw, runs[i].id,
		       wfm_run_state_name(runs[i].state), pid, started,
		       runs[i].workflow ? runs[i].workflow : "-");
	}
}

int cmd_ps(int argc, const char **argv, struct wfm_cmd_ctx *ctx)
{
	struct wfm_rundir_info *runs = NULL;
	size_t nr = 0;
	int json = 0, rc;
	const struct wfm_option options[] = {
		WFM_OPT_BOOL(0, "json", &json, "print a JSON array of runs"),
		WFM_OPT_END(),
	};

	argc = wfm_parse_options(argc, argv, options, ps_usage, WFM_PARSE_NO_ARGUMENTS);
	if (argc < 0)
		return WFM_EXIT_USAGE;
	if ((rc = wfm_rundir_list(&runs, &nr, wfm_repo_commondir(ctx->repo))) < 0)
		return wfm_ui_error_lib(rc);
	if (json)
		print_json(runs, nr);
	else
		print_table(runs, nr);
	wfm_rundir_info_free(runs, nr);
	return WFM_EXIT_OK;
}
