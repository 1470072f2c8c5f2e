/*
 * git wfmigrate plan: the planner's answer, checked, shown on the card and
 * written to a file instead of run (cmd/plan.h; the flow it shares with
 * run is wfm_cmd_run_or_plan() in run.c).
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/json.h"
#include "cmd/cmd.h"
#include "cmd/plan.h"
#include "engine/args.h"
#include "engine/config.h"
#include "engine/planner.h"
#include "git/repo.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/options.h"

#include <fcntl.h>

int cmd_plan(int argc, const char **argv, struct wfm_cmd_ctx *ctx)
{
	return wfm_cmd_run_or_plan(argc, argv, ctx, 1);
}

/* Removes the options named in names from the table (run's and plan's share one). */
void wfm_cmd_drop_options(struct wfm_option *opts, const char *const *names)
{
	size_t to = 0;

	for (size_t from = 0;; from++) {
		int drop = 0;

		for (size_t i = 0; opts[from].long_name && names[i]; i++)
			drop |= !strcmp(opts[from].long_name, names[i]);
		if (!drop)
			opts[to++] = opts[from];
		if (opts[from].type == WFM_OPTT_END)
			break;
	}
}

/*
 * The planner (engine/planner.h), when no workflow is named and the
 * provider has an API: script and meta are the plan's, cfg->workflow
 * its name. 0 with *plan filled and ok; WFM_EXIT_FAILURE when the planner
 * gave up (printed); else a negative library error.
 */
int wfm_cmd_plan_ask(struct wfm_plan *plan, struct wfm_run_config *cfg, struct wfm_repo *repo,
		     const char *goal, const struct wfm_workflow_where *where, char **script,
		     cJSON **meta)
{
	struct wfm_planner_opts opts = WFM_PLANNER_OPTS_INIT;
	const char *key = NULL;
	int rc;

	opts.goal = goal;
	opts.config = cfg;
	opts.repo = repo;
	opts.where = where;
	if ((rc = wfm_run_config_api_key(&key, cfg)) < 0)
		return rc;
	opts.api_key = key;
	fprintf(stderr, "planning: asking the planner for a workflow for this goal...\n");
	if ((rc = wfm_planner_run(plan, &opts)) < 0)
		return rc;
	fprintf(stderr, "planner: %s, %u tr%s, %llu tokens, $%.4f\n", plan->model, plan->tries,
		plan->tries == 1 ? "y" : "ies",
		(unsigned long long)(plan->tokens_in + plan->tokens_out), plan->cost_usd);
	if (!plan->ok) {
		wfm_ui_error("%s", plan->reason);
		return WFM_EXIT_FAILURE;
	}
	/* --budget and --max-cost hold for the planner and the run together */
	if (cfg->budget_tokens) {
		uint64_t spent = plan->tokens_in + plan->tokens_out;

		if (spent >= cfg->budget_tokens) {
			wfm_ui_error("the planner spent the whole budget (%llu of %llu tokens): "
				     "nothing is left for the run",
				     (unsigned long long)spent,
				     (unsigned long long)cfg->budget_tokens);
			return WFM_EXIT_FAILURE;
		}
		cfg->budget_tokens -= spent;
	}
	if (cfg->max_cost > 0) {
		if (plan->cost_usd >= cfg->max_cost) {
			wfm_ui_error("the planner spent the whole --max-cost ($%.4f of $%.2f): "
				     "nothing is left for the run",
				     plan->cost_usd, cfg->max_cost);
			return WFM_EXIT_FAILURE;
		}
		cfg->max_cost -= plan->cost_usd;
	}
	if (cfg->budget_tokens || cfg->max_cost > 0) {
		fprintf(stderr, "planner: what the run may spend is what is left:");
		if (cfg->budget_tokens)
			fprintf(stderr, " %llu tokens", (unsigned long long)cfg->budget_tokens);
		if (cfg->max_cost > 0)
			fprintf(stderr, "%s $%.4f", cfg->budget_tokens ? "," : "", cfg->max_cost);
		fprintf(stderr, "\n");
	}
	if (plan->workflow)
		fprintf(stderr, "planner: chose the workflow '%s': %s\n", plan->workflow,
			plan->why);
	else
		fprintf(stderr, "planner: wrote a harness, '%s': %s\n",
			wfm_json_get_str(plan->meta, "name", "?"), plan->why);
	free(*script);
	*script = wfm_strdup(plan->script);
	cJSON_Delete(*meta);
	*meta = cJSON_Duplicate(plan->meta, 1);
	free(cfg->workflow);
	cfg->workflow =
		wfm_strdup(plan->workflow ? plan->workflow : wfm_json_get_str(*meta, "name", "?"));
	return 0;
}

/* The planner's arguments for a chosen workflow, under those of the command line. */
void wfm_cmd_plan_add_args(cJSON *args, const struct wfm_plan *plan)
{
	const cJSON *a;

	if (!plan->ok || !cJSON_IsObject(args))
		return;
	cJSON_ArrayForEach (a, plan->args) {
		if (!cJSON_GetObjectItemCaseSensitive(args, a->string))
			wfm_json_add(args, a->string, cJSON_Duplicate(a, 1));
	}
}

/*
 * plan: writes the harness to output (default .wfmigrate/workflows/<meta
 * name>.js at the top; none for a named workflow without -o), then says
 * how to run it; with --json, what was planned on stdout.
 */
int wfm_cmd_plan_write(const char *output, int force, int json, const char *script,
		       const char *workflow, const cJSON *meta, const cJSON *args,
		       const struct wfm_plan *plan, struct wfm_repo *repo, const char *goal)
{
	struct wfm_buf src = WFM_BUF_INIT, path = WFM_BUF_INIT, cmd = WFM_BUF_INIT;
	const char *top = wfm_repo_workdir(repo);
	char *dir = NULL;
	int fd = -1, rc = 0;

	if (output) {
		wfm_buf_adds(&path, output);
	} else if (!plan->ok || plan->workflow) {
		/* a workflow that exists already: nothing to write */
	} else if (top) {
		wfm_buf_addf(&path, "%s%s.wfmigrate/workflows/%s.js", top,
			     top[strlen(top) - 1] == '/' ? "" : "/",
			     wfm_json_get_str(meta, "name", "workflow"));
	} else {
		rc = wfm_error_setc(WFM_EINVALID, "a bare repository has no place for the "
						  "harness: give -o <file>");
		goto done;
	}
	if (path.len) {
		if ((rc = wfm_buf_read_file(&src, script)) < 0)
			goto done;
		dir = wfm_fs_dirname(path.ptr);
		if ((rc = wfm_fs_mkdir_p(dir)) < 0)
			goto done;
		fd = open(path.ptr, O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL),
			  0666);
		if (fd < 0 && errno == EEXIST) {
			rc = wfm_error_setc(WFM_EEXISTS,
					    "'%s' exists already: give --force to overwrite it, or "
					    "another file with -o",
					    path.ptr);
			goto done;
		}
		if (fd < 0 || wfm_fs_write_all(fd, src.ptr, src.len) < 0 || close(fd) < 0) {
			rc = wfm_error_set("cannot write '%s': %s", path.ptr, strerror(errno));
			fd = -1;
			goto done;
		}
		fd = -1;
	}
	wfm_buf_adds(&cmd, "git wfmigrate run --workflow ");
	wfm_buf_add_sq(&cmd, path.len ? path.ptr : workflow);
	wfm_args_command_line(&cmd, args, NULL);
	if (path.len)
		fprintf(stderr, "wrote %s\n", path.ptr);
	fprintf(stderr, "not run; to run it (edited or not), with the same options:\n  %s\n",
		cmd.ptr);
	if (json) {
		cJSON *j = wfm_json_object(), *p = wfm_json_object();
		struct wfm_buf out = WFM_BUF_INIT;

		wfm_json_add_str(j, "workflow", wfm_json_get_str(meta, "name", "?"));
		if (path.len)
			wfm_json_add_str(j, "file", path.ptr);
		else
			wfm_json_add_null(j, "file");
		wfm_json_add(j, "meta", cJSON_Duplicate(meta, 1));
		wfm_json_add(j, "args", cJSON_Duplicate(args, 1));
		wfm_json_add_str(j, "command", cmd.ptr);
		if (plan->ok) {
			wfm_json_add_str(p, "chose", plan->workflow ? "workflow" : "script");
			wfm_json_add_str(p, "why", plan->why);
			wfm_json_add_str(p, "model", plan->model);
			wfm_json_add_num(p, "tries", plan->tries);
			wfm_json_add_num(p, "tokens", (double)(plan->tokens_in + plan->tokens_out));
			wfm_json_add_num(p, "costUsd", plan->cost_usd);
			wfm_json_add(j, "planner", p);
		} else {
			cJSON_Delete(p);
			wfm_json_add_null(j, "planner");
		}
		wfm_json_print(&out, j);
		printf("%s\n", out.ptr);
		wfm_buf_release(&out);
		cJSON_Delete(j);
	}
done:
	if (fd >= 0) {
		close(fd);
		unlink(path.ptr);
	}
	free(dir);
	wfm_buf_release(&src);
	wfm_buf_release(&path);
	wfm_buf_release(&cmd);
	return rc;
}
