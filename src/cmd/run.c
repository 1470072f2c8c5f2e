#include "base/common.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/strvec.h"
#include "agent/exec.h"
#include "agent/provider.h"
#include "agent/tools.h"
#include "cmd/cmd.h"
#include "cmd/plan.h"
#include "cmd/run_options.h"
#include "engine/args.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/harness.h"
#include "engine/planner.h"
#include "engine/rundir.h"
#include "engine/workflow.h"
#include "git/repo.h"
#include "git/tree.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/options.h"
#include "ui/card.h"
#include "ui/run.h"

static const char *const run_usage[] = {
	"git wfmigrate run [--workflow <name|file>] [--oracle <cmd>] [--base <rev>]\n"
	"                         [--arg <key>=<value>]... [--args-json <json> | --args-file "
	"<path>]\n"
	"                         [--provider exec --agent-cmd <cmd>]\n"
	"                         [--provider anthropic|openai] [--model [<role>=]<model>]...\n"
	"                         [--budget <tokens>] [--max-cost <usd>] [--sandbox bwrap]\n"
	"                         [--concurrency <n>] [--oracle-jobs <n>] [--max-agents <n>]\n"
	"                         [--pilot <n>] [--allow-test-edits] [--yes] [--json] [-q] [-b] "
	"[<goal>...]",
	"git wfmigrate [<options>] [<goal>...]   (run is the default command)",
	NULL,
};

static const char *const plan_usage[] = {
	"git wfmigrate plan [-o <file>] [--force] [--json] [<options of run>] <goal>...",
	NULL,
};

/* options of one of the two commands only, by long name; the rest are both's */
static const char *const only_run[] = { "yes", "quiet", "background", "pilot", NULL };
static const char *const only_plan[] = { "output", "force", NULL };

/*
 * The script's args: the value of --args-json or --args-file, else an
 * object; then the goal words (as "goal", always set without a JSON value)
 * and each --arg on top, which need an object.
 */
static int make_args(cJSON **out, const char *json, const char *file, const char *goal,
		     const struct wfm_strvec *kv, const cJSON *decl)
{
	struct wfm_buf text = WFM_BUF_INIT;
	const char *from = json ? "--args-json" : "--args-file";
	int rc = 0;

	*out = NULL;
	if (json && file)
		return wfm_error_setc(WFM_EINVALID,
				      "--args-json and --args-file cannot be combined");
	if (file && wfm_buf_read_file(&text, file) < 0) {
		rc = WFM_EINVALID; /* the file the command line names: its message stays */
		goto done;
	}
	if (json)
		wfm_buf_adds(&text, json);
	if (json || file) {
		if (wfm_json_parse(out, text.ptr, text.len) < 0) {
			char *why = wfm_strdup(wfm_error_last()); /* not formatted into itself */
			rc = wfm_error_setc(WFM_EINVALID, "%s%s%s: %s", from, file ? " " : "",
					    file ? file : "", why);
			free(why);
			goto done;
		}
	} else {
		*out = wfm_json_object();
		goal = goal ? goal : "";
	}
	if (!cJSON_IsObject(*out) && (goal || kv->nr)) {
		rc = wfm_error_setc(
			WFM_EINVALID,
			"%s is not an object: %s cannot add to it (put them in the JSON)", from,
			kv->nr ? "--arg" : "a goal");
		goto done;
	}
	if (goal) {
		cJSON_DeleteItemFromObjectCaseSensitive(*out, "goal");
		wfm_json_add_str(*out, "goal", goal);
	}
	for (size_t i = 0; i < kv->nr; i++)
		if ((rc = wfm_args_add(*out, decl, kv->v[i])) < 0)
			goto done;
done:
	if (rc < 0) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	wfm_buf_release(&text);
	return rc;
}

struct tracked_at {
	struct wfm_repo *repo;
	const char *rev;
};

/* wfm_exec_cmd_where.tracked: whether the base commit has path (a file, or files under it) */
static int tracked_at_base(void *data, const char *path)
{
	const struct tracked_at *at = data;
	struct wfm_tree_files files = WFM_TREE_FILES_INIT;
	const char *one[] = { path };
	int rc = wfm_tree_files_list(&files, at->repo, at->rev, one, 1);

	if (rc == WFM_ENOTFOUND)
		return 0;
	if (rc == 0)
		rc = files.nr > 0;
	wfm_tree_files_release(&files);
	return rc;
}

/* cmd/run_options.h */
int wfm_cmd_resolve_agent_cmd(struct wfm_run_config *cfg, struct wfm_repo *repo)
{
	struct wfm_exec_cmd_where where = WFM_EXEC_CMD_WHERE_INIT;
	struct tracked_at at = { repo, cfg->base };
	char cwd[PATH_MAX], top[PATH_MAX], *resolved = NULL;
	int rc;

	if (cfg->provider->has_api || !cfg->agent_cmd)
		return 0;
	if (!getcwd(cwd, sizeof(cwd)))
		return wfm_error_set("cannot get the current directory: %s", strerror(errno));
	if (wfm_repo_workdir(repo) && realpath(wfm_repo_workdir(repo), top))
		where.top = top;
	where.cwd = cwd;
	if (cfg->from[WFM_CF_AGENT_CMD] == WFM_FROM_GIT_CONFIG && where.top)
		where.cwd = where.top;
	where.tracked = tracked_at_base;
	where.data = &at;
	if ((rc = wfm_agent_exec_resolve_cmd(&resolved, cfg->agent_cmd, &where)) < 0)
		return rc;
	free(cfg->agent_cmd);
	cfg->agent_cmd = resolved;
	return 0;
}

/* path made absolute from the current directory, or the top when it came from git config */
static int absolute(char **path, enum wfm_config_from from, struct wfm_repo *repo, int must_exist)
{
	char cwd[PATH_MAX];
	const char *dir = cwd;
	char *joined, *real;

	if (!*path || !**path || **path == '/' || strstr(*path, "://") ||
	    (must_exist && !wfm_fs_is_dir(*path) && from != WFM_FROM_GIT_CONFIG))
		return 0;
	if (from == WFM_FROM_GIT_CONFIG && wfm_repo_workdir(repo))
		dir = wfm_repo_workdir(repo);
	else if (!getcwd(cwd, sizeof(cwd)))
		return wfm_error_set("cannot get the current directory: %s", strerror(errno));
	joined = wfm_fs_join(dir, *path);
	if (must_exist && !wfm_fs_is_dir(joined)) {
		free(joined);
		return 0; /* "host:path", or a name git resolves itself */
	}
	real = realpath(joined, NULL);
	if (!real && !must_exist) {
		/* a directory to be made: its parent's real path, then its name */
		char *parent = wfm_fs_dirname(joined), *rp = realpath(parent, NULL);

		if (rp)
			real = wfm_fs_join(rp, strrchr(joined, '/') + 1);
		free(rp);
		free(parent);
	}
	free(*path);
	*path = real ? real : joined;
	if (real)
		free(joined);
	return 0;
}

/* cmd/run_options.h */
int wfm_cmd_resolve_executor_paths(struct wfm_run_config *cfg, struct wfm_repo *repo)
{
	int rc = absolute(&cfg->remote, cfg->from[WFM_CF_REMOTE], repo, 1);

	if (rc == 0)
		rc = absolute(&cfg->job_dir, cfg->from[WFM_CF_JOB_DIR], repo, 0);
	return rc;
}

/* cmd/run_options.h */
int wfm_cmd_executor_settings(struct wfm_run_config *cfg, struct wfm_repo *repo,
			      const char *executor_opt, const char *remote_opt)
{
	static const enum wfm_config_field_id ids[] = {
		WFM_CF_EXECUTOR, WFM_CF_REMOTE,	 WFM_CF_SLURM_PARTITION, WFM_CF_JOB_CPUS,
		WFM_CF_JOB_MEM,	 WFM_CF_JOB_DIR, WFM_CF_NODE_CACHE,
	};
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < WFM_ARRAY_SIZE(ids); i++) {
		const struct wfm_config_field *f = &wfm_config_fields[ids[i]];
		const char *opt = ids[i] == WFM_CF_EXECUTOR ? executor_opt
				  : ids[i] == WFM_CF_REMOTE ? remote_opt
							    : NULL;
		enum wfm_config_from from;
		char *value = wfm_config_lookup(&from, repo, opt, f->config, f->env);

		if (value)
			rc = wfm_run_config_set(cfg, ids[i], value, from);
		free(value);
	}
	if (rc == 0)
		rc = wfm_cmd_resolve_executor_paths(cfg, repo);
	if (rc == 0)
		rc = wfm_run_config_check_executor(cfg);
	return rc;
}

int wfm_cmd_run_or_plan(int argc, const char **argv, struct wfm_cmd_ctx *ctx, int plan_only)
{
	const char *const *usage = plan_only ? plan_usage : run_usage;
	const char *base_opt = "HEAD", *output = NULL;
	const char *args_json_opt = NULL, *args_file_opt = NULL;
	struct wfm_strvec arg_list = WFM_STRVEC_INIT;
	struct wfm_run_config_given given;
	struct wfm_workflow_where where = WFM_WORKFLOW_WHERE_INIT;
	int yes = 0, json = 0, quiet = 0, background = 0, force = 0;
	struct wfm_option options[] = {
		OPT_CFG_STRING(WFM_CF_WORKFLOW, "name|file",
			       "a saved or built-in workflow's name, or a .js file (default: the "
			       "planner chooses or writes one; migrate with --provider exec)"),
		OPT_CFG_STRING(WFM_CF_ORACLE, "cmd", "the test command that gates merges"),
		WFM_OPT_STRING(0, "base", &base_opt, "rev",
			       "start from this commit (default HEAD)"),
		WFM_OPT_LIST(0, "arg", &arg_list, "key=value",
			     "an argument for the harness (repeatable)"),
		WFM_OPT_STRING(
			0, "args-json", &args_json_opt, "json",
			"the harness's args: any JSON value (--arg keys go on top of an object)"),
		WFM_OPT_STRING(0, "args-file", &args_file_opt, "path",
			       "as --args-json, the JSON read from a file"),
		WFM_OPT_GROUP("agents"),
		WFM_RUN_OPTIONS_PROVIDER,
		OPT_CFG_STRING(WFM_CF_SANDBOX, "none|bwrap",
			       "run agents' Bash under bubblewrap: worktree writable, no network"),
		WFM_RUN_OPTIONS_AGENT_LIMITS,
		OPT_CFG_UINT(WFM_CF_ORACLE_JOBS, "n",
			     "oracle processes at once (default: the number of cores)"),
		OPT_CFG_UINT(WFM_CF_MAX_AGENTS, "n", "agents in the whole run (default 1000)"),
		OPT_CFG_UINT(WFM_CF_PILOT, "n",
			     "start at most n units, then stop; resume runs the rest"),
		OPT_CFG_BOOL(WFM_CF_ALLOW_TEST_EDITS,
			     "let branches that change test files be merged"),
		WFM_OPT_GROUP("where oracle runs and exec agents run (docs/executors.md)"),
		OPT_CFG_STRING(WFM_CF_EXECUTOR, "local|slurm",
			       "run them here (local, default) or as Slurm jobs"),
		OPT_CFG_STRING(WFM_CF_REMOTE, "path|url",
			       "the shared remote jobs fetch the commits to test from"),
		OPT_CFG_STRING(WFM_CF_SLURM_PARTITION, "name",
			       "the Slurm partition (default: the cluster's)"),
		OPT_CFG_UINT(WFM_CF_JOB_CPUS, "n", "CPUs per job (default: the scheduler's)"),
		OPT_CFG_STRING(WFM_CF_JOB_MEM, "size",
			       "memory per job, as 4G or 500M (default: the scheduler's)"),
		OPT_CFG_STRING(WFM_CF_JOB_DIR, "dir",
			       "where jobs' scripts, output and results go, seen by the nodes too "
			       "(default .git/wfmigrate/jobs)"),
		OPT_CFG_STRING(
			WFM_CF_NODE_CACHE, "dir",
			"on a node, where the remote is cached (default $TMPDIR, else /tmp)"),
		WFM_OPT_GROUP("output"),
		WFM_OPT_BOOL('y', "yes", &yes, "run without asking for approval"),
		WFM_OPT_BOOL('q', "quiet", &quiet, "no progress on stderr"),
		WFM_OPT_BOOL(
			'b', "background", &background,
			"after approval, go on in the background (output in the run directory)"),
		WFM_OPT_STRING('o', "output", &output, "file",
			       "where to write the harness (default "
			       ".wfmigrate/workflows/<name>.js)"),
		WFM_OPT_BOOL(0, "force", &force, "overwrite the -o file if it exists"),
		WFM_OPT_BOOL(0, "json", &json,
			     plan_only ? "print what was planned on stdout"
				       : "print report.json on stdout"),
		WFM_OPT_END(),
	};
	struct wfm_run_config cfg = { 0 };
	struct wfm_rundir *run = NULL;
	struct wfm_buf goal = WFM_BUF_INIT;
	cJSON *args = NULL, *meta = NULL;
	struct wfm_ui_card card = { 0 };
	struct wfm_plan planned = WFM_PLAN_INIT;
	const char *key;
	char *script = NULL;
	int n, rc, ret = WFM_EXIT_USAGE;

	wfm_run_config_given_init(&given);
	wfm_cmd_drop_options(options, plan_only ? only_run : only_plan);
	n = wfm_parse_options(argc, argv, options, usage, 0);
	if (n < 0)
		goto done;
	for (int i = 0; i < n; i++)
		wfm_buf_addf(&goal, "%s%s", i ? " " : "", argv[i]);

	wfm_run_config_init(&cfg);
	if ((rc = wfm_run_config_resolve(&cfg, ctx->repo, &given)) < 0 ||
	    (rc = wfm_run_config_check(&cfg)) < 0) {
		ret = wfm_ui_usage_error_lib(rc, usage, options);
		goto done;
	}
	/* the planner chooses when no workflow is named, except for exec agents: migrate */
	if (cfg.from[WFM_CF_WORKFLOW] == WFM_FROM_DEFAULT && cfg.provider->has_api && !n) {
		ret = wfm_ui_usage_error(usage, options,
					 "give a goal (what the run is to do) for the planner, or "
					 "name a workflow with --workflow");
		goto done;
	}
	if (cfg.provider->has_api && !cfg.budget_tokens && cfg.max_cost <= 0)
		wfm_ui_warning("no budget: give --budget <tokens> or --max-cost <usd> to cap "
			       "what the run may spend");
	if ((rc = wfm_run_config_api_key(&key, &cfg)) < 0 ||
	    (rc = wfm_repo_resolve_commit(cfg.base, ctx->repo, base_opt)) < 0 ||
	    (rc = wfm_cmd_resolve_agent_cmd(&cfg, ctx->repo)) < 0 ||
	    (rc = wfm_cmd_resolve_executor_paths(&cfg, ctx->repo)) < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	}
	where.top = wfm_repo_workdir(ctx->repo);
	where.home = getenv("HOME");
	if (cfg.from[WFM_CF_WORKFLOW] == WFM_FROM_DEFAULT && cfg.provider->has_api) {
		rc = wfm_cmd_plan_ask(&planned, &cfg, ctx->repo, goal.ptr, &where, &script, &meta);
		if (rc != 0) {
			ret = rc > 0 ? rc : wfm_ui_error_lib(rc);
			goto done;
		}
	} else if ((rc = wfm_workflow_find(&script, cfg.workflow, &where)) < 0) {
		/* a workflow asked for that is nowhere is a bad command line */
		ret = wfm_ui_error_lib(rc == WFM_ENOTFOUND ? WFM_EINVALID : rc);
		goto done;
	} else if ((rc = wfm_harness_check(&meta, script, NULL)) < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	}

	/* the arguments, checked against meta.args with the rest of the card */
	rc = make_args(&args, args_json_opt, args_file_opt, n ? goal.ptr : NULL, &arg_list,
		       wfm_args_declared(meta));
	if (rc == 0)
		wfm_cmd_plan_add_args(args, &planned);
	wfm_ui_card_init(&card, ctx->repo, &cfg, goal.ptr, base_opt);
	if (rc < 0 || (rc = wfm_ui_card_load(&card, script, meta, args)) < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	}
	wfm_ui_card_print(&card);
	if (plan_only) {
		rc = wfm_cmd_plan_write(output, force, json, card.script, cfg.workflow, card.meta,
					card.args, &planned, ctx->repo, goal.ptr);
		ret = rc < 0 ? wfm_ui_error_lib(rc) : WFM_EXIT_OK;
		goto done;
	}
	rc = wfm_ui_card_approve(&card, yes);
	if (rc <= 0) {
		ret = rc < 0 ? -rc : WFM_EXIT_FAILURE;
		goto done;
	}
	if ((rc = wfm_rundir_create(&run, wfm_repo_commondir(ctx->repo), card.script, card.args,
				    card.meta)) < 0 ||
	    (rc = wfm_run_config_save(&cfg, run)) < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	}
	/* the run has its copy of the planner's script: the temporary one goes now */
	wfm_plan_release(&planned);
	ret = wfm_ui_run(run, wfm_repo_path(ctx->repo), &cfg, card.args,
			 (json ? WFM_UI_RUN_JSON : 0) | (quiet ? WFM_UI_RUN_QUIET : 0) |
				 (background ? WFM_UI_RUN_BACKGROUND : 0));
done:
	if (card.repo)
		wfm_ui_card_release(&card);
	wfm_plan_release(&planned);
	wfm_rundir_free(run);
	wfm_run_config_release(&cfg);
	wfm_run_config_given_release(&given);
	wfm_strvec_clear(&arg_list);
	wfm_buf_release(&goal);
	cJSON_Delete(args);
	cJSON_Delete(meta);
	free(script);
	return ret;
}

int cmd_run(int argc, const char **argv, struct wfm_cmd_ctx *ctx)
{
	return wfm_cmd_run_or_plan(argc, argv, ctx, 0);
}
