#include "base/common.h"
#include "base/json.h"
#include "cmd/cmd.h"
#include "engine/config.h"
#include "engine/rundir.h"
#include "git/repo.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/options.h"
#include "ui/run.h"

static const char *const resume_usage[] = {
	"git wfmigrate resume [--json] [-q] [-b] [<run>]",
	NULL,
};

/* What resume without a run picks from: runs with work left, whose process is gone or paused. */
static int resumable(enum wfm_run_state s)
{
	return s == WFM_RUN_STATE_STOPPED || s == WFM_RUN_STATE_CRASHED ||
	       s == WFM_RUN_STATE_PAUSED;
}

/* "  <id>  <state>  <goal>" for a list of runs, on stderr */
static void list_run(const struct wfm_rundir_info *r)
{
	const char *goal = r->goal ? r->goal : "(no goal)";
	size_t n = strcspn(goal, "\r\n");

	fprintf(stderr, "  %s  %-8s  %.*s%s\n", r->id, wfm_run_state_name(r->state),
		(int)(n > 60 ? 60 : n), goal, n > 60 ? "..." : "");
}

/*
 * resume without a run: the one resumable run (*out, a new string), else
 * the exit code after saying why: 1 when there is none, 129 when there
 * are several (listed, to be named).
 */
static int pick_run(char **out, const char *commondir)
{
	struct wfm_rundir_info *runs = NULL;
	size_t nr = 0, hits = 0, failed = 0, last = 0;
	int ret = 0, rc;

	*out = NULL;
	if ((rc = wfm_rundir_list(&runs, &nr, commondir)) < 0)
		return wfm_ui_error_lib(rc);
	for (size_t i = 0; i < nr; i++) {
		if (resumable(runs[i].state)) {
			hits++;
			last = i;
		}
		failed += runs[i].state == WFM_RUN_STATE_FAILED;
	}
	if (hits == 1) {
		*out = wfm_strdup(runs[last].id);
		fprintf(stderr, "resuming run %s (%s)\n", runs[last].id,
			wfm_run_state_name(runs[last].state));
	} else if (hits) {
		wfm_ui_error("%zu runs can be resumed: name one ('git wfmigrate resume <run>')",
			     hits);
		for (size_t i = 0; i < nr; i++)
			if (resumable(runs[i].state))
				list_run(&runs[i]);
		ret = WFM_EXIT_USAGE;
	} else {
		wfm_ui_error("no run to resume: none is stopped, crashed or paused%s",
			     failed ? " (a failed run is resumed by its name)" : "");
		ret = WFM_EXIT_FAILURE;
	}
	wfm_rundir_info_free(runs, nr);
	return ret;
}

/*
 * A paused run whose process is alive goes on where it is; a run whose
 * process is gone (stopped, crashed, killed, failed, done) is run again
 * from the top of its script, every journaled request answered from the
 * journal: a new session of the run, whose figures report.json adds to
 * those of the earlier ones. Without a run: the one that can be resumed.
 */
int cmd_resume(int argc, const char **argv, struct wfm_cmd_ctx *ctx)
{
	int json = 0, quiet = 0, background = 0, n, rc, ret = WFM_EXIT_OK;
	const struct wfm_option options[] = {
		WFM_OPT_BOOL(0, "json", &json, "print report.json on stdout"),
		WFM_OPT_BOOL('q', "quiet", &quiet, "no progress on stderr"),
		WFM_OPT_BOOL('b', "background", &background,
			     "go on in the background (output in the run directory)"),
		WFM_OPT_END(),
	};
	const char *commondir, *name;
	struct wfm_rundir *run = NULL;
	struct wfm_run_config s = { 0 };
	cJSON *args = NULL;
	char *picked = NULL;

	n = wfm_parse_options(argc, argv, options, resume_usage, 0);
	if (n < 0)
		return WFM_EXIT_USAGE;
	if (n > 1)
		return wfm_ui_usage_error(resume_usage, options, "resume takes one run");
	commondir = wfm_repo_commondir(ctx->repo);
	if (!n && (ret = pick_run(&picked, commondir)))
		return ret;
	name = n ? argv[0] : picked;
	rc = wfm_rundir_open(&run, commondir, name, 1);
	if (rc == WFM_ELOCKED) {
		/* alive: resuming lifts a pause (said on stderr, as pause and stop say theirs) */
		if ((rc = wfm_control_set(commondir, name, WFM_CONTROL_RUN)) < 0) {
			ret = wfm_ui_error_lib(rc);
			goto done;
		}
		fprintf(stderr, "run %s is running; asked it to go on\n", name);
		ret = WFM_EXIT_OK;
		goto done;
	}
	if (rc < 0 || (rc = wfm_run_config_load(&s, run)) < 0 ||
	    (rc = wfm_run_json_load(&args, run, "args.json")) < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	}
	wfm_control_set(commondir, run->id, WFM_CONTROL_RUN);
	ret = wfm_ui_run(run, wfm_repo_path(ctx->repo), &s, args,
			 (json ? WFM_UI_RUN_JSON : 0) | (quiet ? WFM_UI_RUN_QUIET : 0) |
				 (background ? WFM_UI_RUN_BACKGROUND : 0));
done:
	free(picked);
	cJSON_Delete(args);
	wfm_run_config_release(&s);
	wfm_rundir_free(run);
	return ret;
}
