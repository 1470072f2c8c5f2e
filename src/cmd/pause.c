/*
 * git wfmigrate pause: asks a running run to start nothing new. Agents,
 * oracles and merges already running finish and are journaled;
 * `git wfmigrate resume` lets the run go on.
 */
#include "base/common.h"
#include "cmd/cmd.h"
#include "engine/rundir.h"
#include "git/repo.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/options.h"
#include "ui/run.h"

static const char *const pause_usage[] = {
	"git wfmigrate pause [<run>]",
	NULL,
};

int cmd_pause(int argc, const char **argv, struct wfm_cmd_ctx *ctx)
{
	const struct wfm_option options[] = {
		WFM_OPT_END(),
	};
	const char *commondir;
	struct wfm_rundir *r = NULL;
	enum wfm_run_state state;
	int ret = WFM_EXIT_OK, rc;
	pid_t pid;

	argc = wfm_parse_options(argc, argv, options, pause_usage, 0);
	if (argc < 0)
		return WFM_EXIT_USAGE;
	commondir = wfm_repo_commondir(ctx->repo);
	if ((ret = wfm_ui_live_run(&r, &state, &pid, argc, argv, pause_usage, options, commondir)))
		return ret;
	if (state == WFM_RUN_STATE_STOPPING) {
		wfm_ui_error("run %s is stopping", r->id);
		ret = WFM_EXIT_FAILURE;
	} else if (state == WFM_RUN_STATE_PAUSED) {
		fprintf(stderr, "run %s is paused already\n", r->id);
	} else if ((rc = wfm_control_set(commondir, r->id, WFM_CONTROL_PAUSE)) < 0) {
		ret = wfm_ui_error_lib(rc);
	} else {
		fprintf(stderr,
			"pausing run %s (pid %ld): running agents finish, no new ones start\n"
			"'git wfmigrate resume %s' continues it\n",
			r->id, (long)pid, r->id);
	}
	wfm_rundir_free(r);
	return ret;
}
