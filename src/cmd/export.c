/*
 * git wfmigrate export: a run's script, or a saved or built-in workflow,
 * as a folder to share: workflow.js, SKILL.md and the rubrics it uses
 * (engine/export.h). What the argument names, in this order: a path (it
 * holds a '/' or ends in ".js") is a workflow file; a run's full id is
 * that run; a workflow's name is that workflow; a unique prefix of a run
 * id is that run. So a workflow name never loses to a run prefix, and a
 * full run id is never taken for a workflow.
 */
#include "base/common.h"
#include "base/json.h"
#include "base/strvec.h"
#include "cmd/cmd.h"
#include "engine/export.h"
#include "engine/harness.h"
#include "engine/rundir.h"
#include "engine/workflow.h"
#include "git/repo.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/options.h"
#include "ui/run.h"

static const char *const export_usage[] = {
	"git wfmigrate export [--force] -o <dir> <run|workflow>",
	NULL,
};

/* 1 when name is a run's full id */
static int is_run_id(const char *commondir, const char *name)
{
	struct wfm_rundir_info *runs = NULL;
	size_t nr = 0;
	int found = 0;

	if (wfm_rundir_list(&runs, &nr, commondir) < 0)
		return 0;
	for (size_t i = 0; i < nr; i++)
		found |= !strcmp(runs[i].id, name);
	wfm_rundir_info_free(runs, nr);
	return found;
}

int cmd_export(int argc, const char **argv, struct wfm_cmd_ctx *ctx)
{
	const char *dir = NULL;
	int force = 0, rc, ret = WFM_EXIT_FATAL;
	const struct wfm_option options[] = {
		WFM_OPT_STRING('o', "output", &dir, "dir", "the folder to write (required)"),
		WFM_OPT_BOOL('f', "force", &force, "write into a folder that is not empty"),
		WFM_OPT_END(),
	};
	struct wfm_workflow_where where = WFM_WORKFLOW_WHERE_INIT;
	struct wfm_export_source src = { 0 };
	struct wfm_strvec written = WFM_STRVEC_INIT;
	struct wfm_rundir *run = NULL;
	cJSON *meta = NULL, *args = NULL, *run_json = NULL;
	char *script = NULL, *journal = NULL, *wf_error = NULL;
	const char *commondir, *name;

	argc = wfm_parse_options(argc, argv, options, export_usage, 0);
	if (argc < 0)
		return WFM_EXIT_USAGE;
	if (argc != 1)
		return wfm_ui_usage_error(export_usage, options,
					  argc ? "too many arguments"
					       : "name the run or the workflow to export");
	if (!dir || !*dir)
		return wfm_ui_usage_error(export_usage, options, "-o <dir> is required");
	name = argv[0];
	commondir = wfm_repo_commondir(ctx->repo);
	where.top = wfm_repo_workdir(ctx->repo);
	where.home = getenv("HOME");

	if (!wfm_workflow_is_path(name) && !is_run_id(commondir, name)) {
		rc = wfm_workflow_find(&script, name, &where);
		if (rc < 0 && rc != WFM_ENOTFOUND) {
			ret = wfm_ui_error_lib(rc);
			goto done;
		}
		if (rc < 0)
			wf_error = wfm_strdup(wfm_error_last());
	}
	if (!script && !wfm_workflow_is_path(name)) {
		/* a run: its id, or a unique prefix no workflow name took */
		rc = wfm_rundir_open(&run, commondir, name, 0);
		if (rc == WFM_ENOTFOUND && wf_error) {
			ret = wfm_ui_error_lib(wfm_error_setc(
				WFM_EINVALID, "'%s' names no run and no workflow: %s", name,
				wf_error));
			goto done;
		}
		if (rc < 0) {
			ret = wfm_ui_error_lib(rc);
			goto done;
		}
		script = wfm_rundir_file(run, "workflow.js");
		journal = wfm_rundir_file(run, "journal.jsonl");
		if ((rc = wfm_run_json_load(&meta, run, "meta.json")) < 0) {
			ret = wfm_ui_error_lib(rc);
			goto done;
		}
		(void)wfm_run_json_load(&args, run, "args.json");
		(void)wfm_run_json_load(&run_json, run, "run.json");
		src.run = run->id;
	} else if (!script) {
		if ((rc = wfm_workflow_find(&script, name, &where)) < 0) {
			ret = wfm_ui_error_lib(rc == WFM_ENOTFOUND ? WFM_EINVALID : rc);
			goto done;
		}
	}
	if (!meta && (rc = wfm_harness_check(&meta, script, NULL)) < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	}
	src.script = script;
	src.meta = meta;
	src.args = args;
	src.run_json = run_json;
	src.journal = journal;
	src.where = &where;
	if ((rc = wfm_export_write(&written, dir, &src, force)) < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	}
	for (size_t i = 0; i < written.nr; i++)
		printf("%s/%s\n", dir, written.v[i]);
	fprintf(stderr, "exported %s %s to %s\n", run ? "run" : "workflow",
		run ? run->id : wfm_json_get_str(meta, "name", name), dir);
	ret = WFM_EXIT_OK;
done:
	wfm_strvec_clear(&written);
	cJSON_Delete(meta);
	cJSON_Delete(args);
	cJSON_Delete(run_json);
	free(script);
	free(journal);
	free(wf_error);
	wfm_rundir_free(run);
	return ret;
}
