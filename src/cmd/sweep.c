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
	"git wfmigrate sweep [--base <rev> | --all] [--head <rev>] [--rubric <file>] [--verifiers "
	"<n>]\n"
	"                           [--sarif <file>] [--json] [--fail-on "
	"<none|low|medium|high|critical>]\n"
	"                           [--provider <name>] [--agent-cmd <cmd>] [--model "
	"[<role>=]<model>]...\n"
	"                           [--budget <tokens>] [--max-cost <usd>] [--concurrency <n>] "
	"[-q]\n"
	"                           [<pathspec>...]",
	"git wfmigrate sweep --resume <run> [--sarif <file>] [--json] [--fail-on <severity>] [-q]",
	NULL,
};

/* What the command line asked for, beside the run's configuration. */
struct sweep_opts {
	const char *base, *head, *rubric, *resume, *sarif, *fail_on;
	unsigned long verifiers; /* ULONG_MAX: not given */
	int all, json, quiet;
	const struct wfm_option *options; /* for usage messages */
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
static int make_args(cJSON **out, const char *base, const char *head, const struct sweep_opts *o,
		     int argc, const char **argv)
{
	const char *rubric_file = o->rubric;
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
	if (o->all)
		wfm_json_add_bool(a, "all", 1);
	else
		wfm_json_add_str(a, "base", base);
	wfm_json_add_str(a, "head", head);
	if (o->verifiers != ULONG_MAX)
		wfm_json_add_num(a, "verifiers", (double)o->verifiers);
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

/* Whether the command line gave any option of the run's configuration. */
static int given_any(const struct wfm_run_config_given *g)
{
	for (size_t i = 0; i < WFM_CF_NR; i++)
		if (g->str[i] || g->num[i] || g->flag[i] != -1 || g->list[i].nr)
			return 1;
	return 0;
}

static const struct wfm_cmd_builtin sweep_job = {
	"sweep",
	"the sweep",
	"git wfmigrate sweep --resume",
};

/*
 * A new sweep: its configuration, its scope (said on stderr), its
 * arguments; then the run to its end. Returns an exit code.
 */
static int new_sweep(cJSON **result, struct wfm_rundir **run, struct wfm_run_config *cfg,
		     struct wfm_run_config_given *given, struct wfm_repo *repo,
		     const struct sweep_opts *o, int argc, const char **argv)
{
	char base[WFM_OID_HEXSZ + 1] = "";
	const char *base_name = NULL;
	cJSON *args = NULL;
	int rc, ret;

	if ((ret = wfm_cmd_builtin_setup(cfg, repo, given, &sweep_job, o->head, sweep_usage,
					 o->options)) != WFM_EXIT_OK)
		return ret;
	if (!o->all && (rc = wfm_sweep_base(base, &base_name, repo, o->base, cfg->base)) < 0)
		return wfm_ui_error_lib(rc);
	if (!o->quiet && !o->all)
		fprintf(stderr, "sweep: what %.12s changes since %s (%.12s)\n", cfg->base,
			base_name, base);
	if ((rc = make_args(&args, base, cfg->base, o, argc, argv)) < 0)
		return wfm_ui_error_lib(rc);
	ret = wfm_cmd_builtin_run(result, run, repo, cfg, args, &sweep_job, o->head, o->quiet);
	cJSON_Delete(args);
	return ret;
}

/* The findings of a finished sweep: SARIF, then markdown or JSON on stdout. */
static int print_sweep(const cJSON *result, struct wfm_rundir *run, const struct sweep_opts *o,
		       int rank)
{
	struct wfm_buf out = WFM_BUF_INIT;
	cJSON *sarif = NULL;
	int rc, ret;

	if ((rc = check_result(result, run)) < 0)
		return wfm_ui_error_lib(rc);
	if (o->sarif) {
		if ((rc = wfm_sweep_sarif(&sarif, result, run->id)) == 0) {
			wfm_json_print(&out, sarif);
			wfm_buf_addch(&out, '\n');
			rc = write_file(o->sarif, &out);
		}
		if (rc < 0) {
			ret = wfm_ui_error_lib(rc);
			goto done;
		}
		wfm_buf_clear(&out);
	}
	if (o->json) {
		wfm_json_print(&out, result);
		wfm_buf_addch(&out, '\n');
	} else {
		wfm_sweep_markdown(&out, result, run->id);
	}
	fwrite(out.ptr, 1, out.len, stdout);
	ret = wfm_sweep_count_at_least(result, rank) ? WFM_EXIT_FAILURE : WFM_EXIT_OK;
done:
	wfm_buf_release(&out);
	cJSON_Delete(sarif);
	return ret;
}

int cmd_sweep(int argc, const char **argv, struct wfm_cmd_ctx *ctx)
{
	struct sweep_opts o = { .fail_on = "high", .verifiers = ULONG_MAX };
	struct wfm_run_config_given given;
	struct wfm_option options[] = {
		WFM_OPT_STRING(0, "base", &o.base, "rev",
			       "sweep what changed since this commit (default: the upstream, else "
			       "the default branch)"),
		WFM_OPT_BOOL(0, "all", &o.all, "sweep every unit, not only what changed"),
		WFM_OPT_STRING(0, "head", &o.head, "rev",
			       "sweep this commit, not HEAD (the git hooks' pushed or merged one)"),
		WFM_OPT_STRING(0, "rubric", &o.rubric, "file",
			       "the reviewers' rubric (default: rubrics/security.md)"),
		WFM_OPT_UINT(0, "verifiers", &o.verifiers, "n",
			     "verifiers asked to refute each reviewer's finding (default 3; 0: "
			     "findings stay unverified)",
			     0, 9),
		WFM_OPT_STRING(0, "resume", &o.resume, "run",
			       "finish a stopped sweep, or print a finished one's findings again"),
		WFM_OPT_GROUP("agents"),
		WFM_RUN_OPTIONS_PROVIDER,
		WFM_RUN_OPTIONS_AGENT_LIMITS,
		OPT_CFG_UINT(WFM_CF_MAX_AGENTS, "n", "agents in the whole sweep (default 1000)"),
		WFM_OPT_GROUP("output"),
		WFM_OPT_STRING(0, "sarif", &o.sarif, "file", "write the findings as SARIF 2.1.0"),
		WFM_OPT_BOOL(0, "json", &o.json, "print the sweep's result as JSON, not markdown"),
		WFM_OPT_STRING(0, "fail-on", &o.fail_on, "severity",
			       "exit 1 when a finding this severe or more survives: none, low, "
			       "medium, high (default) or critical"),
		WFM_OPT_BOOL('q', "quiet", &o.quiet, "no progress on stderr"),
		WFM_OPT_END(),
	};
	struct wfm_run_config cfg = { 0 };
	struct wfm_rundir *run = NULL;
	cJSON *result = NULL;
	int n, rank, ret = WFM_EXIT_USAGE;

	o.options = options;
	wfm_run_config_given_init(&given);
	n = wfm_parse_options(argc, argv, options, sweep_usage, 0);
	if (n < 0)
		goto done;
	if ((rank = fail_rank(o.fail_on)) < 0) {
		ret = wfm_ui_usage_error(
			sweep_usage, options,
			"--fail-on: '%s' is not none, low, medium, high or critical", o.fail_on);
		goto done;
	}
	if (o.all && o.base) {
		ret = wfm_ui_usage_error(sweep_usage, options,
					 "--base and --all cannot be combined");
		goto done;
	}
	if (o.resume && (o.all || o.base || o.head || o.rubric || n || o.verifiers != ULONG_MAX ||
			 given_any(&given))) {
		ret = wfm_ui_usage_error(sweep_usage, options,
					 "--resume takes the run's own scope and configuration: "
					 "only --sarif, --json, --fail-on and -q go with it");
		goto done;
	}

	ret = o.resume ? wfm_cmd_builtin_resume(&result, &run, &cfg, ctx->repo, o.resume,
						&sweep_job, o.quiet)
		       : new_sweep(&result, &run, &cfg, &given, ctx->repo, &o, n, argv);
	if (ret == WFM_EXIT_OK)
		ret = print_sweep(result, run, &o, rank);
done:
	wfm_rundir_free(run);
	wfm_run_config_release(&cfg);
	wfm_run_config_given_release(&given);
	cJSON_Delete(result);
	return ret;
}
