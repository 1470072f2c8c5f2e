#include "base/common.h"

#include <fcntl.h>

#include "base/buf.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/strvec.h"
#include "cmd/builtin_run.h"
#include "cmd/cmd.h"
#include "cmd/run_options.h"
#include "engine/config.h"
#include "engine/rundir.h"
#include "git/repo.h"
#include "sweep/base.h"
#include "sweep/rules.h"
#include "sweep/sarif.h"
#include "sweep/summary.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/options.h"

static const char *const sweep_usage[] = {
	"git wfmigrate sweep [--base <rev> | --all] [--rubric <file>] [--sarif <file>] [--json]\n"
	"                           [--fail-on <none|low|medium|high|critical>]\n"
	"                           [--provider <name>] [--agent-cmd <cmd>] [--model "
	"[<role>=]<model>]...\n"
	"                           [--budget <tokens>] [--max-cost <usd>] [--concurrency <n>] "
	"[-q]\n"
	"                           [<pathspec>...]",
	NULL,
};

/* --fail-on: the lowest severity that fails the sweep; 0 for none; -1 when unknown */
static int fail_rank(const char *name)
{
	if (!strcmp(name, "none"))
		return 0;
	return wfm_sweep_severity_rank(name) ? wfm_sweep_severity_rank(name) : -1;
}

static int write_file(const char *path, const struct wfm_buf *b)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return wfm_error_set("cannot write '%s': %s", path, strerror(errno));
	if (wfm_fs_write_all(fd, b->ptr, b->len) < 0 || close(fd) < 0) {
		int e = errno;

		close(fd);
		return wfm_error_set("cannot write '%s': %s", path, strerror(e));
	}
	return 0;
}

/* The sweep's arguments (workflows/sweep.js, meta.args) of the command line. */
static int make_args(cJSON **out, const char *base, const char *head, int all,
		     const char *rubric_file, int argc, const char **argv)
{
	struct wfm_buf rubric = WFM_BUF_INIT;
	cJSON *a = wfm_json_object();

	*out = NULL;
	if (rubric_file) {
		if (wfm_buf_read_file(&rubric, rubric_file) < 0) {
			wfm_buf_release(&rubric);
			cJSON_Delete(a);
			return WFM_EINVALID; /* the file the command line names: its message stays
					      */
		}
		if (!rubric.len || strspn(rubric.ptr, " \t\r\n") == rubric.len) {
			wfm_buf_release(&rubric);
			cJSON_Delete(a);
			return wfm_error_setc(WFM_EINVALID, "--rubric %s: the file is empty",
					      rubric_file);
		}
		wfm_json_add_str(a, "rubric", rubric.ptr);
	}
	if (all)
		wfm_json_add_bool(a, "all", 1);
	else
		wfm_json_add_str(a, "base", base);
	wfm_json_add_str(a, "head", head);
	if (argc) {
		cJSON *paths = wfm_json_array();

		for (int i = 0; i < argc; i++)
			wfm_json_add(paths, NULL, cJSON_CreateString(argv[i]));
		wfm_json_add(a, "paths", paths);
	}
	wfm_buf_release(&rubric);
	*out = a;
	return 0;
}

/* The result workflows/sweep.js returned must hold its findings. */
static int check_result(const cJSON *result, struct wfm_rundir *run)
{
	if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(result, "findings")))
		return wfm_error_set("run %s: the sweep returned no findings (%s/report.json)",
				     run->id, run->path);
	return 0;
}

int cmd_sweep(int argc, const char **argv, struct wfm_cmd_ctx *ctx)
{
	const char *base_opt = NULL, *rubric_file = NULL, *sarif_file = NULL, *fail_on = "high";
	const char *base_name = NULL;
	int all = 0, json = 0, quiet = 0;
	struct wfm_run_config_given given;
	struct wfm_option options[] = {
		WFM_OPT_STRING(0, "base", &base_opt, "rev",
			       "sweep what changed since this commit (default: the upstream, else "
			       "the default branch)"),
		WFM_OPT_BOOL(0, "all", &all, "sweep every unit, not only what changed"),
		WFM_OPT_STRING(0, "rubric", &rubric_file, "file",
			       "the reviewers' rubric (default: rubrics/security.md)"),
		WFM_OPT_GROUP("agents"),
		WFM_RUN_OPTIONS_PROVIDER,
		WFM_RUN_OPTIONS_AGENT_LIMITS,
		OPT_CFG_UINT(WFM_CF_MAX_AGENTS, "n", "agents in the whole sweep (default 1000)"),
		WFM_OPT_GROUP("output"),
		WFM_OPT_STRING(0, "sarif", &sarif_file, "file",
			       "write the findings as SARIF 2.1.0"),
		WFM_OPT_BOOL(0, "json", &json, "print the sweep's result as JSON, not markdown"),
		WFM_OPT_STRING(0, "fail-on", &fail_on, "severity",
			       "exit 1 when a finding this severe or more survives: none, low, "
			       "medium, high (default) or critical"),
		WFM_OPT_BOOL('q', "quiet", &quiet, "no progress on stderr"),
		WFM_OPT_END(),
	};
	struct wfm_run_config cfg = { 0 };
	struct wfm_rundir *run = NULL;
	struct wfm_buf out = WFM_BUF_INIT;
	cJSON *args = NULL, *result = NULL, *sarif = NULL;
	char base[WFM_OID_HEXSZ + 1] = "";
	int n, rc, rank, ret = WFM_EXIT_USAGE;

	wfm_run_config_given_init(&given);
	n = wfm_parse_options(argc, argv, options, sweep_usage, 0);
	if (n < 0)
		goto done;
	if ((rank = fail_rank(fail_on)) < 0) {
		ret = wfm_ui_usage_error(
			sweep_usage, options,
			"--fail-on: '%s' is not none, low, medium, high or critical", fail_on);
		goto done;
	}
	if (all && base_opt) {
		ret = wfm_ui_usage_error(sweep_usage, options,
					 "--base and --all cannot be combined");
		goto done;
	}

	if ((ret = wfm_cmd_builtin_setup(&cfg, ctx->repo, &given, "sweep", "the sweep", sweep_usage,
					 options)) != WFM_EXIT_OK)
		goto done;
	if (!all && (rc = wfm_sweep_base(base, &base_name, ctx->repo, base_opt, cfg.base)) < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	}
	if (!quiet && !all)
		fprintf(stderr, "sweep: what %.12s changes since %s (%.12s)\n", cfg.base, base_name,
			base);
	if ((rc = make_args(&args, base, cfg.base, all, rubric_file, n, argv)) < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	}
	ret = wfm_cmd_builtin_run(&result, &run, ctx->repo, &cfg, args, "the sweep", quiet);
	if (ret != WFM_EXIT_OK)
		goto done;
	if ((rc = check_result(result, run)) < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	}
	if (sarif_file) {
		if ((rc = wfm_sweep_sarif(&sarif, result, run->id)) == 0) {
			wfm_json_print(&out, sarif);
			wfm_buf_addch(&out, '\n');
			rc = write_file(sarif_file, &out);
		}
		if (rc < 0) {
			ret = wfm_ui_error_lib(rc);
			goto done;
		}
		wfm_buf_clear(&out);
	}
	if (json) {
		wfm_json_print(&out, result);
		wfm_buf_addch(&out, '\n');
	} else {
		wfm_sweep_markdown(&out, result, run->id);
	}
	fwrite(out.ptr, 1, out.len, stdout);
	ret = wfm_sweep_count_at_least(result, rank) ? WFM_EXIT_FAILURE : WFM_EXIT_OK;
done:
	wfm_rundir_free(run);
	wfm_run_config_release(&cfg);
	wfm_run_config_given_release(&given);
	wfm_buf_release(&out);
	cJSON_Delete(args);
	cJSON_Delete(result);
	cJSON_Delete(sarif);
	return ret;
}
