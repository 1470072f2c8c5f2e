#include "base/common.h"
#include "base/json.h"
#include "cmd/cmd.h"
#include "agent/provider.h"
#include "engine/config.h"
#include "engine/estimate.h"
#include "engine/rundir.h"
#include "git/repo.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/options.h"
#include "ui/card.h"
#include "ui/pilot.h"
#include "ui/run.h"

static const char *const resume_usage[] = {
	"git wfmigrate resume [--yes] [--json] [-q] [-b] [<run>]",
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
 * A run the pilot stopped (--pilot, docs/card.md) goes on without it,
 * after the card of its continuation: the pilot's units and the whole run
 * extrapolated from them, and the question (--yes: none; no terminal:
 * refused, as run refuses). Lifted, the pilot is gone from run.json: a
 * later resume runs everything left. A run stopped otherwise during its
 * pilot goes on with it, finishing the pilot's units. Returns 0 to go on,
 * else the exit code.
 */
static int continue_pilot(struct wfm_run_config *s, struct wfm_rundir *run, struct wfm_repo *repo,
			  const cJSON *args, int yes)
{
	cJSON *report = NULL, *meta = NULL;
	struct wfm_estimate_measured m;
	char *script = NULL;
	const char *goal;
	int rc, ret = 0;

	if (!s->pilot || wfm_run_json_load(&report, run, "report.json") < 0 ||
	    !wfm_ui_pilot_stopped(report)) {
		wfm_error_clear();
		goto done;
	}
	if (wfm_run_json_load(&meta, run, "meta.json") < 0)
		wfm_error_clear();
	goal = wfm_json_get_str(args, "goal", NULL);
	fprintf(stderr, "run %s: the pilot ran %lu unit%s; the rest of the run:\n", run->id,
		s->pilot, s->pilot == 1 ? "" : "s");
	fprintf(stderr, "workflow: %s\n", wfm_json_get_str(meta, "name", s->workflow));
	if (goal)
		fprintf(stderr, "goal: %s\n", goal);
	fprintf(stderr, "base: %.12s  oracle: %s\n", s->base, s->oracle ? s->oracle : "(none)");
	if (s->provider->has_api)
		fprintf(stderr, "agents: %s at %s\n", s->provider->name, s->base_url);
	else
		fprintf(stderr, "agents: exec %s\n", s->agent_cmd);
	wfm_ui_pilot_print(stderr, report, s->provider->has_api);
	if (s->provider->has_api && wfm_estimate_measure(&m, report) == 0) {
		/* the budget is the whole run's: what the pilot spent counts against it */
		if (s->budget_tokens && s->budget_tokens < m.tokens_high)
			wfm_ui_warning("the budget of %llu tokens is below the estimate's %s end: "
				       "%s",
				       (unsigned long long)s->budget_tokens,
				       s->budget_tokens < m.tokens_low ? "low" : "high",
				       s->budget_tokens < m.tokens_low
					       ? "units will be left undone"
					       : "some units may be left undone");
		if (s->max_cost > 0 && s->max_cost < m.usd_high)
			wfm_ui_warning("the cost limit of $%.2f is below the estimate's %s end: %s",
				       s->max_cost, s->max_cost < m.usd_low ? "low" : "high",
				       s->max_cost < m.usd_low ? "units will be left undone"
							       : "some units may be left undone");
	}
	script = wfm_rundir_file(run, "workflow.js");
	rc = wfm_ui_card_confirm(repo, script, "Run the rest?", yes);
	if (rc <= 0) {
		ret = rc < 0 ? -rc : WFM_EXIT_FAILURE;
		goto done;
	}
	s->pilot = 0;
	if ((rc = wfm_run_config_save(s, run)) < 0)
		ret = wfm_ui_error_lib(rc);
done:
	free(script);
	cJSON_Delete(meta);
	cJSON_Delete(report);
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
	int json = 0, yes = 0, quiet = 0, background = 0, n, rc, ret = WFM_EXIT_OK;
	const struct wfm_option options[] = {
		WFM_OPT_BOOL('y', "yes", &yes,
			     "continue a pilot run without asking (its card is still shown)"),
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
	if ((ret = continue_pilot(&s, run, ctx->repo, args, yes)) != 0)
		goto done;
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
