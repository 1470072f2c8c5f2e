#include "base/common.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/strvec.h"
#include "agent/exec.h"
#include "agent/model.h"
#include "agent/role.h"
#include "agent/tools.h"
#include "chunk/chunk.h"
#include "cmd/cmd.h"
#include "cmd/plan.h"
#include "engine/args.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/harness.h"
#include "engine/planner.h"
#include "engine/rundir.h"
#include "engine/workflow.h"
#include "git/pathspec.h"
#include "git/repo.h"
#include "git/status.h"
#include "git/tree.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/options.h"
#include "ui/run.h"

static const char *const run_usage[] = {
	"git wfmigrate run [--workflow <name|file>] [--oracle <cmd>] [--base <rev>]\n"
	"                         [--arg <key>=<value>]... [--args-json <json> | --args-file "
	"<path>]\n"
	"                         [--provider exec --agent-cmd <cmd>]\n"
	"                         [--provider anthropic|openai] [--model [<role>=]<model>]...\n"
	"                         [--budget <tokens>] [--max-cost <usd>] [--sandbox bwrap]\n"
	"                         [--concurrency <n>] [--oracle-jobs <n>] [--max-agents <n>]\n"
	"                         [--allow-test-edits] [--yes] [--json] [<goal>...]",
	"git wfmigrate [<options>] [<goal>...]   (run is the default command)",
	NULL,
};

static const char *const plan_usage[] = {
	"git wfmigrate plan [-o <file>] [--force] [--json] [<options of run>] <goal>...",
	NULL,
};

/* options of one of the two commands only, by long name; the rest are both's */
static const char *const only_run[] = { "yes", NULL };
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

/*
 * The exec provider's command with its relative paths resolved
 * (wfm_agent_exec_resolve_cmd), as run.json keeps it, so that a resume
 * from anywhere runs the same: taken from the current directory when it
 * came from --agent-cmd or WFMIGRATE_AGENT_CMD, from the top of the
 * working tree when from git config, which has no current directory.
 */
static int resolve_agent_cmd(struct wfm_run_config *cfg, struct wfm_repo *repo)
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

/*
 * What the card says a run will work on, found before anything runs: the
 * pathspecs of its arguments, its units when the workflow says which
 * arguments go to chunk(), and the files among them with uncommitted
 * changes.
 */
struct plan {
	struct wfm_pathspec paths; /* as typed, from the pathspec arguments */
	long units;		   /* -1: not known */
	struct wfm_strvec chunked; /* the arguments given to chunk() */
	struct wfm_strvec files;   /* the units' files, sorted */
	struct wfm_strvec dirty;   /* files of the run with changes not in HEAD */
};

#define PLAN_INIT                                                                                  \
	{                                                                                          \
		WFM_PATHSPEC_INIT, -1, WFM_STRVEC_INIT, WFM_STRVEC_INIT, WFM_STRVEC_INIT           \
	}

static void plan_release(struct plan *p)
{
	wfm_pathspec_release(&p->paths);
	wfm_strvec_clear(&p->chunked);
	wfm_strvec_clear(&p->files);
	wfm_strvec_clear(&p->dirty);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The units chunk() will make of the arguments the workflow marks with
 * chunk: true, at base; none marked, the count stays unknown.
 */
static int count_units(struct plan *p, struct wfm_repo *repo, const char *base, const cJSON *args,
		       const cJSON *decl)
{
	struct wfm_chunk_opts opts = WFM_CHUNK_OPTS_INIT;
	struct wfm_unit_list units = WFM_UNIT_LIST_INIT;
	struct wfm_strvec only = WFM_STRVEC_INIT, paths = WFM_STRVEC_INIT;
	const cJSON *d;
	int rc = 0;

	cJSON_ArrayForEach (d, decl) {
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "chunk")))
			continue;
		wfm_strvec_push(&only, d->string);
		if (cJSON_GetObjectItemCaseSensitive(args, d->string))
			wfm_strvec_push(&p->chunked, d->string);
	}
	if (!only.nr)
		goto done;
	opts.rev = base;
	if ((rc = wfm_args_chunk_opts(&opts, &paths, args, (const char *const *)only.v)) < 0 ||
	    (rc = wfm_chunk_run(&units, repo, &opts)) < 0)
		goto done;
	p->units = (long)units.nr;
	for (size_t i = 0; i < units.nr; i++)
		if (!p->files.nr || strcmp(p->files.v[p->files.nr - 1], units.v[i].path))
			wfm_strvec_push(&p->files, units.v[i].path);
	if (p->files.nr)
		qsort(p->files.v, p->files.nr, sizeof(*p->files.v), cmp_str);
done:
	wfm_unit_list_release(&units);
	wfm_strvec_clear(&only);
	wfm_strvec_clear(&paths);
	return rc;
}

/* The files of the run (its units' files, else its paths, else all) that git status lists. */
static int find_dirty(struct plan *p, struct wfm_repo *repo)
{
	struct wfm_strvec changed = WFM_STRVEC_INIT;
	int rc = wfm_status_changed(&changed, repo);

	for (size_t i = 0; rc == 0 && i < changed.nr; i++) {
		const char *f = changed.v[i];

		int in;

		if (p->units >= 0)
			in = !!bsearch(&f, p->files.v, p->files.nr, sizeof(*p->files.v), cmp_str);
		else
			in = wfm_pathspec_match(&p->paths, f, NULL);
		if (in)
			wfm_strvec_push(&p->dirty, f);
	}
	wfm_strvec_clear(&changed);
	return rc;
}

/* an argument's value on one line: a string as it is, anything else as JSON; at most 60 bytes */
static void arg_value(struct wfm_buf *out, const cJSON *v)
{
	struct wfm_buf b = WFM_BUF_INIT;
	size_t n;

	if (cJSON_IsString(v) && !strpbrk(v->valuestring, "\n\r"))
		wfm_buf_adds(&b, v->valuestring);
	else
		wfm_json_print(&b, v);
	n = b.len > 60 ? 57 : b.len;
	wfm_buf_add(out, b.ptr, n);
	if (n < b.len)
		wfm_buf_adds(out, "...");
	wfm_buf_release(&b);
}

/* "arguments:": those given, and the declared ones that have a default */
static void print_args(const cJSON *args, const cJSON *decl)
{
	struct wfm_buf line = WFM_BUF_INIT;
	const cJSON *v, *d;
	int width = 0, header = 0;

	if (!cJSON_IsObject(args))
		return;
	cJSON_ArrayForEach (v, args) {
		if (strcmp(v->string, "goal") && (int)strlen(v->string) > width)
			width = (int)strlen(v->string);
	}
	cJSON_ArrayForEach (d, decl) {
		if ((int)strlen(d->string) > width)
			width = (int)strlen(d->string);
	}
	/* in the order the workflow declares them, then the others */
	cJSON_ArrayForEach (d, decl) {
		const cJSON *def = cJSON_GetObjectItemCaseSensitive(d, "default");

		if (!strcmp(d->string, "goal"))
			continue;
		v = cJSON_GetObjectItemCaseSensitive(args, d->string);
		if (!v && !def)
			continue;
		wfm_buf_clear(&line);
		arg_value(&line, v ? v : def);
		fprintf(stderr, "%s  %-*s  %s%s\n", header++ ? "" : "arguments:\n", width,
			d->string, line.ptr, v ? "" : " (default)");
	}
	cJSON_ArrayForEach (v, args) {
		if (!strcmp(v->string, "goal") || cJSON_GetObjectItemCaseSensitive(decl, v->string))
			continue;
		wfm_buf_clear(&line);
		arg_value(&line, v);
		fprintf(stderr, "%s  %-*s  %s\n", header++ ? "" : "arguments:\n", width, v->string,
			line.ptr);
	}
	wfm_buf_release(&line);
}

#define DIRTY_SHOWN 10

static void print_plan(const struct plan *p, const char *base_opt, const char *base)
{
	if (p->units >= 0) {
		fprintf(stderr, "units: %ld", p->units);
		for (size_t i = 0; i < p->chunked.nr; i++)
			fprintf(stderr, "%s%s", i ? ", " : " (chunk() with ", p->chunked.v[i]);
		fprintf(stderr, "%s\n", p->chunked.nr ? ")" : " (chunk() of the whole tree)");
	}
	if (!p->dirty.nr)
		return;
	wfm_ui_warning("%zu file%s the run works on %s uncommitted changes; the run starts from "
		       "%s (%.12s) and does not see them:",
		       p->dirty.nr, p->dirty.nr == 1 ? "" : "s", p->dirty.nr == 1 ? "has" : "have",
		       base_opt, base);
	for (size_t i = 0; i < p->dirty.nr && i < DIRTY_SHOWN; i++)
		fprintf(stderr, "  %s\n", p->dirty.v[i]);
	if (p->dirty.nr > DIRTY_SHOWN)
		fprintf(stderr, "  ... and %zu more (git status lists them)\n",
			p->dirty.nr - DIRTY_SHOWN);
}

static void print_card(const cJSON *meta, const struct wfm_run_config *cfg, const char *goal,
		       const cJSON *args, const struct plan *plan, const char *base_opt)
{
	const cJSON *phases = cJSON_GetObjectItemCaseSensitive(meta, "phases"), *p;
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(meta, "name");
	const cJSON *desc = cJSON_GetObjectItemCaseSensitive(meta, "description");
	const char *const *models = (const char *const *)cfg->models.v;
	const char *const *config_models = (const char *const *)cfg->config_models.v;
	struct wfm_buf settings = WFM_BUF_INIT;

	fprintf(stderr, "workflow: %s\n", cJSON_IsString(name) ? name->valuestring : "?");
	fprintf(stderr, "  %s\n", cJSON_IsString(desc) ? desc->valuestring : "");
	if (cJSON_GetArraySize(phases)) {
		fprintf(stderr, "phases:\n");
		cJSON_ArrayForEach (p, phases) {
			const cJSON *t = cJSON_GetObjectItemCaseSensitive(p, "title");
			const cJSON *d = cJSON_GetObjectItemCaseSensitive(p, "detail");
			fprintf(stderr, "  - %s%s%s\n", cJSON_IsString(t) ? t->valuestring : "?",
				cJSON_IsString(d) ? ": " : "",
				cJSON_IsString(d) ? d->valuestring : "");
		}
	}
	if (goal && *goal)
		fprintf(stderr, "goal: %s\n", goal);
	print_args(args, wfm_args_declared(meta));
	fprintf(stderr, "base: %.12s  oracle: %s\n", cfg->base,
		cfg->oracle ? cfg->oracle : "(none)");
	print_plan(plan, base_opt, cfg->base);
	if (!cfg->provider->has_api) {
		fprintf(stderr, "agents: exec %s, up to %lu at once, %lu in all\n", cfg->agent_cmd,
			cfg->concurrency, cfg->max_agents);
	} else {
		fprintf(stderr, "agents: %s at %s, up to %lu at once, %lu in all\n",
			cfg->provider->name, cfg->base_url, cfg->concurrency, cfg->max_agents);
		fprintf(stderr,
			"models: %s (implementer), %s (classifier), unless the workflow names "
			"others\n",
			wfm_model_resolve(models, NULL, NULL, config_models,
					  wfm_role_find("implementer"), cfg->provider),
			wfm_model_resolve(models, NULL, NULL, config_models,
					  wfm_role_find("classifier"), cfg->provider));
		if (cfg->budget_tokens || cfg->max_cost > 0) {
			fprintf(stderr, "budget:");
			if (cfg->budget_tokens)
				fprintf(stderr, " %llu tokens",
					(unsigned long long)cfg->budget_tokens);
			if (cfg->max_cost > 0)
				fprintf(stderr, "%s $%.2f", cfg->budget_tokens ? "," : "",
					cfg->max_cost);
			fprintf(stderr, "\n");
		} else {
			fprintf(stderr, "budget: none (--budget <tokens>, --max-cost <usd>)\n");
		}
	}
	/* the other settings that are not their default (engine/config.c's table) */
	wfm_run_config_card(&settings, cfg);
	if (settings.len)
		fprintf(stderr, "settings: %s\n", settings.ptr);
	wfm_buf_release(&settings);
}

/*
 * With a match in args (migrate's --arg match=<re>): the lines of code it
 * finds in no unit at the base, for the paths and lang of args, which no
 * agent will see (chunk() is given the same args by migrate).
 */
static void print_reach(struct wfm_repo *repo, const char *base, const cJSON *args)
{
	const cJSON *match = cJSON_GetObjectItemCaseSensitive(args, "match"), *l;
	struct wfm_buf b = WFM_BUF_INIT;
	cJSON *lines = NULL;
	int total, shown = 0;

	if (wfm_engine_out_of_reach(&lines, repo, base, args) < 0) {
		fprintf(stderr, "out of reach: cannot list the lines matching /%s/: %s\n",
			match->valuestring, wfm_error_last());
		return;
	}
	if (!lines)
		return;
	total = cJSON_GetArraySize(lines);
	if (!total) {
		fprintf(stderr,
			"out of reach: none (every line of code matching /%s/ is in a unit)\n",
			match->valuestring);
		cJSON_Delete(lines);
		return;
	}
	fprintf(stderr,
		"out of reach: %d line%s matching /%s/ in no unit, which no agent will see:\n",
		total, total == 1 ? "" : "s", match->valuestring);
	cJSON_ArrayForEach (l, lines) {
		if (shown++ == WFM_UI_REACH_SHOWN)
			break;
		wfm_buf_clear(&b);
		wfm_engine_reach_line(&b, l);
		fprintf(stderr, "  %s\n", b.ptr);
	}
	wfm_buf_clear(&b);
	wfm_engine_reach_hint(&b, base, args);
	if (total > WFM_UI_REACH_SHOWN)
		fprintf(stderr, "  ... and %d more: %s\n", total - WFM_UI_REACH_SHOWN, b.ptr);
	else
		fprintf(stderr, "  (%s lists them)\n", b.ptr);
	wfm_buf_release(&b);
	cJSON_Delete(lines);
}

static int approve(int yes)
{
	char answer[16];

	if (yes)
		return 1;
	if (!isatty(0) || !isatty(2)) {
		wfm_ui_error(
			"no terminal to ask for approval on: pass --yes to run without asking");
		return -1;
	}
	fprintf(stderr, "Run this workflow? [y/N] ");
	if (!fgets(answer, sizeof(answer), stdin))
		return 0;
	return answer[0] == 'y' || answer[0] == 'Y';
}

/* an option of a setting (engine/config.h): named as its row of the table names it */
#define OPT_CFG_STRING(id, argh, help)                                                             \
	WFM_OPT_STRING(0, wfm_config_fields[id].option, &given.str[id], argh, help)
#define OPT_CFG_UINT(id, argh, help)                                                               \
	WFM_OPT_UINT(0, wfm_config_fields[id].option, &given.num[id], argh, help,                  \
		     wfm_config_fields[id].min, wfm_config_fields[id].max)
#define OPT_CFG_BOOL(id, help) WFM_OPT_BOOL(0, wfm_config_fields[id].option, &given.flag[id], help)
#define OPT_CFG_LIST(id, argh, help)                                                               \
	WFM_OPT_LIST(0, wfm_config_fields[id].option, &given.list[id], argh, help)

int wfm_cmd_run_or_plan(int argc, const char **argv, struct wfm_cmd_ctx *ctx, int plan_only)
{
	const char *const *usage = plan_only ? plan_usage : run_usage;
	const char *base_opt = "HEAD", *output = NULL;
	const char *args_json_opt = NULL, *args_file_opt = NULL;
	struct wfm_strvec arg_list = WFM_STRVEC_INIT;
	struct wfm_run_config_given given;
	struct wfm_workflow_where where = WFM_WORKFLOW_WHERE_INIT;
	int yes = 0, json = 0, force = 0;
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
		OPT_CFG_STRING(WFM_CF_PROVIDER, "name",
			       "who runs the agents: anthropic, openai or exec (default: exec with "
			       "--agent-cmd, else the API whose key is set)"),
		OPT_CFG_STRING(WFM_CF_AGENT_CMD, "cmd",
			       "exec provider: the command each agent runs (sh -c)"),
		OPT_CFG_LIST(WFM_CF_MODELS, "[role=]model",
			     "the model, for every role or one (repeatable)"),
		OPT_CFG_STRING(WFM_CF_BUDGET, "tokens",
			       "tokens the run may spend, never passed (250000, 250k, 2M)"),
		OPT_CFG_STRING(WFM_CF_MAX_COST, "usd", "USD the run may spend, never passed"),
		OPT_CFG_STRING(WFM_CF_SANDBOX, "none|bwrap",
			       "run agents' Bash under bubblewrap: worktree writable, no network"),
		OPT_CFG_UINT(WFM_CF_MAX_TURNS, "n", "model calls per agent (default 60)"),
		OPT_CFG_UINT(WFM_CF_AGENT_TOKENS, "n",
			     "tokens per agent (default: no limit but the budget)"),
		OPT_CFG_BOOL(WFM_CF_NO_CACHE, "do not mark prompts cacheable (for comparisons)"),
		OPT_CFG_UINT(WFM_CF_CONCURRENCY, "n", "agents at once (1-256, default 16)"),
		OPT_CFG_UINT(WFM_CF_ORACLE_JOBS, "n",
			     "oracle processes at once (default: the number of cores)"),
		OPT_CFG_UINT(WFM_CF_MAX_AGENTS, "n", "agents in the whole run (default 1000)"),
		OPT_CFG_BOOL(WFM_CF_ALLOW_TEST_EDITS,
			     "let branches that change test files be merged"),
		WFM_OPT_GROUP("output"),
		WFM_OPT_BOOL('y', "yes", &yes, "run without asking for approval"),
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
	const cJSON *decl, *wname;
	struct wfm_pathspec_base here = WFM_PATHSPEC_BASE_INIT;
	struct plan plan = PLAN_INIT;
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
	    (rc = resolve_agent_cmd(&cfg, ctx->repo)) < 0) {
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

	/* the arguments, checked against meta.args before anything runs */
	decl = wfm_args_declared(meta);
	wname = cJSON_GetObjectItemCaseSensitive(meta, "name");
	rc = make_args(&args, args_json_opt, args_file_opt, n ? goal.ptr : NULL, &arg_list, decl);
	if (rc == 0)
		wfm_cmd_plan_add_args(args, &planned);
	if (rc == 0)
		rc = wfm_args_check(args, decl,
				    cJSON_IsString(wname) ? wname->valuestring : cfg.workflow);
	if (rc < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	}
	/* paths as git means them: from here, checked against the base */
	wfm_pathspec_base_here(&here, ctx->repo);
	if ((rc = wfm_args_resolve_pathspecs(args, decl, &here, &plan.paths)) < 0 ||
	    (plan.paths.nr &&
	     (rc = wfm_tree_pathspec_check(NULL, ctx->repo, base_opt, &plan.paths)) < 0) ||
	    (rc = count_units(&plan, ctx->repo, cfg.base, args, decl)) < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	}
	if (find_dirty(&plan, ctx->repo) < 0)
		wfm_ui_warning("%s", wfm_error_last()); /* the card goes on without it */
	print_card(meta, &cfg, goal.ptr, args, &plan, base_opt);
	print_reach(ctx->repo, cfg.base, args);
	if (plan_only) {
		rc = wfm_cmd_plan_write(output, force, json, script, cfg.workflow, meta, args,
					&planned, ctx->repo, goal.ptr);
		ret = rc < 0 ? wfm_ui_error_lib(rc) : WFM_EXIT_OK;
		goto done;
	}
	rc = approve(yes);
	if (rc <= 0) {
		if (rc == 0)
			fprintf(stderr, "not run\n");
		ret = rc < 0 ? WFM_EXIT_USAGE : WFM_EXIT_FAILURE;
		goto done;
	}
	if ((rc = wfm_rundir_create(&run, wfm_repo_commondir(ctx->repo), script, args, meta)) < 0 ||
	    (rc = wfm_run_config_save(&cfg, run)) < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	}
	/* the run has its copy of the planner's script: the temporary one goes now */
	wfm_plan_release(&planned);
	ret = wfm_ui_run(run, wfm_repo_path(ctx->repo), &cfg, args, json);
done:
	plan_release(&plan);
	wfm_plan_release(&planned);
	wfm_pathspec_base_release(&here);
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
