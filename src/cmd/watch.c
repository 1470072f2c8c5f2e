/*
 * git wfmigrate watch: a live view of a run (ui/watch.h), from its event
 * log, so it works from any terminal and on a run started with
 * --background. Without a run: the newest live run, else the newest.
 */
#include "base/common.h"
#include "cmd/cmd.h"
#include "engine/rundir.h"
#include "git/repo.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/options.h"
#include "ui/watch.h"

static const char *const watch_usage[] = {
	"git wfmigrate watch [<run>]",
	NULL,
};

/* The run watch shows without a name (*out, a new string), or an exit code after saying why. */
static int pick_run(char **out, const char *commondir)
{
	struct wfm_rundir_info *runs = NULL;
	size_t nr = 0, pick;
	int rc;

	*out = NULL;
	if ((rc = wfm_rundir_list(&runs, &nr, commondir)) < 0)
		return wfm_ui_error_lib(rc);
	if (!nr) {
		wfm_ui_error("no runs in this repository ('git wfmigrate run' starts one)");
		return WFM_EXIT_FAILURE;
	}
	pick = nr - 1;
	for (size_t i = nr; i-- > 0;)
		if (wfm_run_state_live(runs[i].state)) {
			pick = i;
			break;
		}
	*out = wfm_strdup(runs[pick].id);
	wfm_rundir_info_free(runs, nr);
	return 0;
}

int cmd_watch(int argc, const char **argv, struct wfm_cmd_ctx *ctx)
{
	const struct wfm_option options[] = {
		WFM_OPT_END(),
	};
	const char *commondir;
	struct wfm_rundir *run = NULL;
	char *picked = NULL;
	int rc, ret;

	argc = wfm_parse_options(argc, argv, options, watch_usage, 0);
	if (argc < 0)
		return WFM_EXIT_USAGE;
	if (argc > 1)
		return wfm_ui_usage_error(watch_usage, options, "watch takes one run");
	commondir = wfm_repo_commondir(ctx->repo);
	if (!argc && (ret = pick_run(&picked, commondir)))
		return ret;
	if ((rc = wfm_rundir_open(&run, commondir, argc ? argv[0] : picked, 0)) < 0) {
		free(picked);
		return wfm_ui_error_lib(rc);
	}
	ret = wfm_ui_watch(run);
	wfm_rundir_free(run);
	free(picked);
	return ret;
}
