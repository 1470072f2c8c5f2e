#include "base/common.h"
#include "base/json.h"
#include "cmd/cmd.h"
#include "engine/rundir.h"
#include "git/repo.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/options.h"
#include "ui/run.h"

static const char *const resume_usage[] = {
	"git wfmigrate resume [--json] <run>",
	NULL,
};

/*
 * A paused run whose process is alive goes on where it is; a run whose
 * process is gone (stopped, crashed, killed) is run again from the top of
 * its script, every journaled request answered from the journal.
 */
int cmd_resume(int argc, const char **argv, struct wfm_cmd_ctx *ctx)
{
	int json = 0, n, rc, ret = WFM_EXIT_FATAL;
	const struct wfm_option options[] = {
		WFM_OPT_BOOL(0, "json", &json, "print report.json on stdout"),
		WFM_OPT_END(),
	};
	const char *commondir;
	struct wfm_rundir *run = NULL;
	struct wfm_run_settings s = { 0 };
	cJSON *args = NULL;

	n = wfm_parse_options(argc, argv, options, resume_usage, 0);
	if (n < 0)
		return WFM_EXIT_USAGE;
	if (n != 1) {
		wfm_ui_error(n ? "resume takes one run" : "which run? ('git wfmigrate ps' lists them)");
		wfm_usage_print(stderr, resume_usage, options);
		return WFM_EXIT_USAGE;
	}
	commondir = wfm_repo_commondir(ctx->repo);
	rc = wfm_rundir_open(&run, commondir, argv[0], 1);
	if (rc == WFM_ELOCKED) {
		/* alive: resuming means lifting a pause */
		if (wfm_control_set(commondir, argv[0], WFM_CONTROL_RUN) < 0) {
			wfm_ui_fatal("%s", wfm_error_last());
			return WFM_EXIT_FATAL;
		}
		printf("run %s is running; asked it to go on\n", argv[0]);
		return WFM_EXIT_OK;
	}
	if (rc < 0) {
		wfm_ui_fatal("%s", wfm_error_last());
		return WFM_EXIT_FATAL;
	}
	if (wfm_run_settings_load(&s, run) < 0 || wfm_run_json_load(&args, run, "args.json") < 0) {
		wfm_ui_fatal("%s", wfm_error_last());
		goto done;
	}
	wfm_control_set(commondir, run->id, WFM_CONTROL_RUN);
	ret = wfm_ui_run(run, wfm_repo_path(ctx->repo), &s, args, json);
done:
	cJSON_Delete(args);
	wfm_run_settings_release(&s);
	wfm_rundir_free(run);
	return ret;
}
