/*
 * git wfmigrate report: a run's report, the markdown (made again from
 * report.json, so that a run of an older version gets the same columns)
 * or report.json itself.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/json.h"
#include "cmd/cmd.h"
#include "engine/report.h"
#include "engine/rundir.h"
#include "git/repo.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/named_run.h"
#include "ui/options.h"

static const char *const report_usage[] = {
	"git wfmigrate report [--md | --json] [<run>]",
	NULL,
};

int cmd_report(int argc, const char **argv, struct wfm_cmd_ctx *ctx)
{
	int md = 0, json = 0, rc, ret;
	const struct wfm_option options[] = {
		WFM_OPT_BOOL(0, "md", &md, "print the report as markdown (the default)"),
		WFM_OPT_BOOL(0, "json", &json, "print report.json"),
		WFM_OPT_END(),
	};
	struct wfm_rundir *run = NULL;
	struct wfm_buf out = WFM_BUF_INIT;
	cJSON *report = NULL;
	enum wfm_run_state state;
	pid_t pid;

	argc = wfm_parse_options(argc, argv, options, report_usage, 0);
	if (argc < 0)
		return WFM_EXIT_USAGE;
	if (md && json)
		return wfm_ui_usage_error(report_usage, options,
					  "--md and --json cannot be combined");
	if (argc > 1)
		return wfm_ui_usage_error(report_usage, options, "too many arguments");
	if ((ret = wfm_ui_named_run(&run, argc ? argv[0] : NULL, wfm_repo_commondir(ctx->repo))))
		return ret;
	state = wfm_rundir_state(run, &pid);
	if ((rc = wfm_report_load(&report, run)) < 0) {
		if (rc != WFM_ENOTFOUND) {
			ret = wfm_ui_error_lib(rc);
			goto done;
		}
		/* a run with no report yet is an answer, not a broken repository */
		wfm_ui_error("%s", wfm_error_last());
		if (wfm_run_state_live(state))
			wfm_ui_hint("it is %s (pid %ld): the report is written when it ends",
				    wfm_run_state_name(state), (long)pid);
		else
			wfm_ui_hint("it is %s: 'git wfmigrate resume %s' goes on with it and "
				    "writes one",
				    wfm_run_state_name(state), run->id);
		ret = WFM_EXIT_FAILURE;
		goto done;
	}
	if (wfm_run_state_live(state) || state == WFM_RUN_STATE_CRASHED)
		fprintf(stderr,
			"run %s is %s: this is the report of its last session that wrote one\n",
			run->id, wfm_run_state_name(state));
	if (json) {
		char *text = cJSON_Print(report);

		wfm_buf_adds(&out, text);
		wfm_buf_addch(&out, '\n');
		cJSON_free(text);
	} else {
		wfm_report_md(&out, report);
	}
	fwrite(out.ptr, 1, out.len, stdout);
	ret = WFM_EXIT_OK;
done:
	cJSON_Delete(report);
	wfm_buf_release(&out);
	wfm_rundir_free(run);
	return ret;
}
