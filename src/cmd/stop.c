/*
 * git wfmigrate stop: asks a running run to stop. The engine stops its
 * agents, answers the script's pending requests, writes the report and
 * exits; what finished is in the journal, so `git wfmigrate resume`
 * starts the run again without redoing it.
 */
#include "base/common.h"
#include "cmd/cmd.h"
#include "engine/rundir.h"
#include "git/repo.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/options.h"
#include "ui/run.h"

#include <time.h>

static const char *const stop_usage[] = {
	"git wfmigrate stop [--wait] [<run>]",
	NULL,
};

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int cmd_stop(int argc, const char **argv, struct wfm_cmd_ctx *ctx)
{
	int wait = 0;
	const struct wfm_option options[] = {
		WFM_OPT_BOOL(0, "wait", &wait, "wait until the run's process has exited"),
		WFM_OPT_END(),
	};
	const char *commondir;
	struct wfm_rundir *r = NULL;
	enum wfm_run_state state;
	int ret = WFM_EXIT_OK, rc;
	pid_t pid;

	argc = wfm_parse_options(argc, argv, options, stop_usage, 0);
	if (argc < 0)
		return WFM_EXIT_USAGE;
	commondir = wfm_repo_commondir(ctx->repo);
	if ((ret = wfm_ui_live_run(&r, &state, &pid, argc, argv, stop_usage, options, commondir)))
		return ret;
	if (state == WFM_RUN_STATE_STOPPING) {
		fprintf(stderr, "run %s is stopping already (pid %ld)\n", r->id, (long)pid);
	} else if ((rc = wfm_control_set(commondir, r->id, WFM_CONTROL_STOP)) < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	} else {
		fprintf(stderr, "stopping run %s (pid %ld)\n", r->id, (long)pid);
	}
	if (wait) {
		while (wfm_run_state_live(state = wfm_rundir_state(r, &pid)))
			sleep_ms(100);
		if (state == WFM_RUN_STATE_STOPPED || state == WFM_RUN_STATE_CRASHED)
			fprintf(stderr, "run %s %s; 'git wfmigrate resume %s' starts it again\n",
				r->id, wfm_run_state_name(state), r->id);
		else
			fprintf(stderr, "run %s %s\n", r->id, wfm_run_state_name(state));
	}
done:
	wfm_rundir_free(r);
	return ret;
}
