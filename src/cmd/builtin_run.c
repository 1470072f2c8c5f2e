#include "base/common.h"
#include "cmd/builtin_run.h"
#include "cmd/run_options.h"
#include "agent/provider.h"
#include "engine/harness.h"
#include "engine/rundir.h"
#include "engine/workflow.h"
#include "git/repo.h"
#include "ui/card.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/run.h"

int wfm_cmd_builtin_setup(struct wfm_run_config *cfg, struct wfm_repo *repo,
			  struct wfm_run_config_given *given, const struct wfm_cmd_builtin *job,
			  const char *head, const char *const *usage,
			  const struct wfm_option *options)
{
	struct wfm_workflow_where where = WFM_WORKFLOW_WHERE_INIT;
	const char *key;
	char *script = NULL;
	int rc;

	/* a run of this workflow, whatever wfmigrate.workflow says */
	given->str[WFM_CF_WORKFLOW] = job->workflow;
	wfm_run_config_init(cfg);
	if ((rc = wfm_run_config_resolve(cfg, repo, given)) < 0 ||
	    (rc = wfm_run_config_check(cfg)) < 0)
		return wfm_ui_usage_error_lib(rc, usage, options);
	if (cfg->provider->has_api && !cfg->budget_tokens && cfg->max_cost <= 0)
		wfm_ui_warning("no budget: give --budget <tokens> or --max-cost <usd> to cap "
			       "what %s may spend",
			       job->what);
	if ((rc = wfm_run_config_api_key(&key, cfg)) < 0 ||
	    (rc = wfm_repo_resolve_commit(cfg->base, repo, head ? head : "HEAD")) < 0 ||
	    (rc = wfm_cmd_resolve_agent_cmd(cfg, repo)) < 0 ||
	    (rc = wfm_cmd_resolve_executor_paths(cfg, repo)) < 0)
		return wfm_ui_error_lib(rc);
	/* a workflow that is not there fails now, not after the command's own work */
	where.top = wfm_repo_workdir(repo);
	where.home = getenv("HOME");
	if ((rc = wfm_workflow_find(&script, cfg->workflow, &where)) < 0)
		return wfm_ui_error_lib(rc);
	free(script);
	return WFM_EXIT_OK;
}

/* The run carried out in front of the user, then its report's result. */
static int carry_out(cJSON **result, struct wfm_rundir *run, struct wfm_repo *repo,
		     const struct wfm_run_config *cfg, const cJSON *args,
		     const struct wfm_cmd_builtin *job, int quiet)
{
	cJSON *report = NULL;
	int rc, ret;

	ret = wfm_ui_run(run, wfm_repo_path(repo), cfg, args,
			 WFM_UI_RUN_NO_OUTCOME | (quiet ? WFM_UI_RUN_QUIET : 0));
	if (ret == WFM_EXIT_FAILURE) {
		/* exit 1 is for what the run found: a run that did not finish is an error */
		return wfm_ui_error_lib(
			wfm_error_set("%s did not finish: see git wfmigrate log %s; "
				      "%s %s goes on where it stopped",
				      job->what, run->id, job->resume, run->id));
	}
	if (ret != WFM_EXIT_OK)
		return ret;
	if ((rc = wfm_run_json_load(&report, run, "report.json")) < 0)
		return wfm_ui_error_lib(rc);
	*result = cJSON_DetachItemFromObjectCaseSensitive(report, "result");
	cJSON_Delete(report);
	return WFM_EXIT_OK;
}

int wfm_cmd_builtin_run(cJSON **result, struct wfm_rundir **run, struct wfm_repo *repo,
			const struct wfm_run_config *cfg, const cJSON *args,
			const struct wfm_cmd_builtin *job, const char *head, int quiet)
{
	struct wfm_workflow_where where = WFM_WORKFLOW_WHERE_INIT;
	struct wfm_ui_card card = { 0 };
	cJSON *meta = NULL;
	char *script = NULL;
	int rc, ret;

	*result = NULL;
	*run = NULL;
	where.top = wfm_repo_workdir(repo);
	where.home = getenv("HOME");
	if ((rc = wfm_workflow_find(&script, cfg->workflow, &where)) < 0 ||
	    (rc = wfm_harness_check(&meta, script, NULL)) < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	}
	/* the card, on stderr; no question: these commands' runs are asked for by name */
	wfm_ui_card_init(&card, repo, cfg, NULL, head ? head : "HEAD");
	if ((rc = wfm_ui_card_load(&card, script, meta, args)) < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	}
	if (!quiet)
		wfm_ui_card_print(&card);
	if ((rc = wfm_rundir_create(run, wfm_repo_commondir(repo), card.script, card.args,
				    card.meta)) < 0 ||
	    (rc = wfm_run_config_save(cfg, *run)) < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	}
	ret = carry_out(result, *run, repo, cfg, card.args, job, quiet);
done:
	if (card.repo)
		wfm_ui_card_release(&card);
	cJSON_Delete(meta);
	free(script);
	return ret;
}

int wfm_cmd_builtin_resume(cJSON **result, struct wfm_rundir **run, struct wfm_run_config *cfg,
			   struct wfm_repo *repo, const char *id, const struct wfm_cmd_builtin *job,
			   int quiet)
{
	const char *commondir = wfm_repo_commondir(repo);
	cJSON *meta = NULL, *args = NULL;
	int rc, ret;

	*result = NULL;
	*run = NULL;
	rc = wfm_rundir_open(run, commondir, id, 1);
	if (rc == WFM_ELOCKED)
		return wfm_ui_error_lib(wfm_error_set("run %s is running in another process: see "
						      "git wfmigrate watch %s",
						      id, id));
	if (rc < 0 || (rc = wfm_run_json_load(&meta, *run, "meta.json")) < 0)
		return wfm_ui_error_lib(rc);
	if (strcmp(wfm_json_get_str(meta, "name", ""), job->workflow)) {
		rc = wfm_error_set("run %s is not a run of %s (its workflow is '%s')", (*run)->id,
				   job->workflow, wfm_json_get_str(meta, "name", ""));
		cJSON_Delete(meta);
		return wfm_ui_error_lib(rc);
	}
	cJSON_Delete(meta);
	if ((rc = wfm_run_config_load(cfg, *run)) < 0 ||
	    (rc = wfm_run_json_load(&args, *run, "args.json")) < 0)
		return wfm_ui_error_lib(rc);
	wfm_control_set(commondir, (*run)->id, WFM_CONTROL_RUN);
	ret = carry_out(result, *run, repo, cfg, args, job, quiet);
	cJSON_Delete(args);
	return ret;
}
