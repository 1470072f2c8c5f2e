/*
 * git wfmigrate clean: removes the pool slots no live process holds,
 * half-made worktree entries, and the wfmigrate branches no run needs.
 * A run's results (its integration and shared branches) go only when
 * the run is named: clean --results <run>. What the jobs of runs that
 * are not alive left (exec/leftovers.h) goes too.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/strvec.h"
#include "base/fs.h"
#include "cmd/cmd.h"
#include "engine/config.h"
#include "engine/rundir.h"
#include "exec/executor.h"
#include "exec/leftovers.h"
#include "git/pool.h"
#include "git/repo.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/options.h"

static const char *const clean_usage[] = {
	"git wfmigrate clean [--dry-run] [--all] [--results <run>]... [-v]",
	NULL,
};

/* How the one line about what was kept counts each kind; NULL: not counted there. */
static const struct {
	enum wfm_clean_kept kept;
	const char *one, *many;
} kinds[] = {
	{ WFM_CLEAN_KEPT_IN_USE, "slot in use", "slots in use" },
	{ WFM_CLEAN_KEPT_LOCKED, "slot locked with git", "slots locked with git" },
	{ WFM_CLEAN_KEPT_CURRENT, "the current worktree", "the current worktrees" },
	{ WFM_CLEAN_KEPT_CHECKED_OUT, "branch checked out", "branches checked out" },
	{ WFM_CLEAN_KEPT_RUNNING, "branch of a running run", "branches of running runs" },
	{ WFM_CLEAN_KEPT_RUN, "branch of a run that exists (--all removes it)",
	  "branches of runs that exist (--all removes them)" },
	{ WFM_CLEAN_KEPT_RESULT, "result of a run (--results <run> removes it)",
	  "results of runs (--results <run> removes them)" },
	{ WFM_CLEAN_KEPT_ERROR, "that could not be removed", "that could not be removed" },
};

/* "kept 2 slots in use, 3 results of runs (...); -v lists them", or nothing */
static void print_kept(const struct wfm_clean_report *report)
{
	struct wfm_buf line = WFM_BUF_INIT;

	for (size_t k = 0; k < WFM_ARRAY_SIZE(kinds); k++) {
		size_t n = 0;

		for (size_t i = 0; i < report->nr; i++)
			n += report->items[i].kept == kinds[k].kept;
		if (n)
			wfm_buf_addf(&line, "%s%zu %s", line.len ? ", " : "kept ", n,
				     n == 1 ? kinds[k].one : kinds[k].many);
	}
	if (line.len)
		printf("%s; -v lists them\n", line.ptr);
	wfm_buf_release(&line);
}

/*
 * The jobs a killed process of the run left queued or running: nothing
 * will read their results. Opening the run's executor cancels them
 * (exec/executor.h: only the run's owner may, and no process owns it).
 */
static int cancel_orphans(struct wfm_repo *repo, const struct wfm_run_config *cfg,
			  const char *job_dir, const char *run)
{
	struct wfm_executor_opts xo = WFM_EXECUTOR_OPTS_INIT;
	struct wfm_executor *ex = NULL;
	int rc;

	wfm_run_config_executor_opts(&xo, cfg, job_dir);
	xo.repo_path = wfm_repo_path(repo);
	xo.run = run;
	rc = wfm_executor_open(&ex, &xo);
	if (rc == 0 && wfm_executor_orphans(ex))
		printf("Cancelled %lu job%s of run %s left on the cluster\n",
		       wfm_executor_orphans(ex), wfm_executor_orphans(ex) == 1 ? "" : "s", run);
	wfm_executor_free(ex);
	return rc;
}

/*
 * The job directories and remote refs of the runs whose process is gone
 * (docs/executors.md): a resumed run needs none of them. Says what it
 * removes; a run whose remote cannot be reached is a warning, not the end.
 */
static int clean_jobs(struct wfm_repo *repo, int dry_run)
{
	const char *commondir = wfm_repo_commondir(repo);
	char *default_dir = wfm_fs_join(commondir, "wfmigrate/jobs");
	struct wfm_rundir_info *runs = NULL;
	size_t nr = 0;
	int rc = wfm_rundir_list(&runs, &nr, commondir);

	for (size_t i = 0; rc == 0 && i < nr; i++) {
		struct wfm_run_config cfg;
		struct wfm_rundir *r = NULL;
		struct wfm_exec_leftovers left;
		const char *remote, *job_dir;
		char *dir;

		if (wfm_run_state_live(runs[i].state))
			continue;
		/* released whatever happens: nothing allocated until load */
		memset(&cfg, 0, sizeof(cfg));
		if (wfm_rundir_open(&r, commondir, runs[i].id, 0) < 0 ||
		    wfm_run_config_load(&cfg, r) < 0) {
			/* an old or damaged run: nothing of it to go by */
			wfm_run_config_release(&cfg);
			wfm_rundir_free(r);
			continue;
		}
		remote = cfg.executor && strcmp(cfg.executor, "local") ? cfg.remote : NULL;
		job_dir = cfg.job_dir && *cfg.job_dir ? cfg.job_dir : default_dir;
		if (remote && !dry_run && cancel_orphans(repo, &cfg, job_dir, runs[i].id) < 0) {
			/* its ledger stays, for the next clean or resume */
			wfm_ui_warning("%s", wfm_error_last());
			wfm_run_config_release(&cfg);
			wfm_rundir_free(r);
			continue;
		}
		dir = wfm_exec_run_job_dir(job_dir, runs[i].id);
		if (wfm_exec_leftovers_clean(&left, wfm_repo_path(repo), runs[i].id, job_dir,
					     remote, dry_run) < 0)
			wfm_ui_warning("%s", wfm_error_last());
		if (left.job_dirs)
			printf("%s %zu job director%s of run %s (%s)\n",
			       dry_run ? "Would remove" : "Removing", left.job_dirs,
			       left.job_dirs == 1 ? "y" : "ies", runs[i].id, dir);
		if (left.remote_refs)
			printf("%s %zu ref%s of run %s on the remote '%s'\n",
			       dry_run ? "Would remove" : "Removing", left.remote_refs,
			       left.remote_refs == 1 ? "" : "s", runs[i].id, remote);
		free(dir);
		wfm_run_config_release(&cfg);
		wfm_rundir_free(r);
	}
	wfm_rundir_info_free(runs, nr);
	free(default_dir);
	return rc;
}

int cmd_clean(int argc, const char **argv, struct wfm_cmd_ctx *ctx)
{
	struct wfm_clean_opts opts = WFM_CLEAN_OPTS_INIT;
	struct wfm_clean_report report = { 0 };
	struct wfm_strvec results = WFM_STRVEC_INIT;
	int verbose = 0;
	const struct wfm_option options[] = {
		WFM_OPT_BOOL('n', "dry-run", &opts.dry_run,
			     "say what would be removed, remove nothing"),
		WFM_OPT_BOOL(0, "all", &opts.all,
			     "also remove the branches of runs that exist but are not running "
			     "(not their results)"),
		WFM_OPT_LIST(0, "results", &results, "run",
			     "remove every branch of this run, its results too (repeatable)"),
		WFM_OPT_BOOL('v', "verbose", &verbose, "also list what is kept, and why"),
		WFM_OPT_END(),
	};
	int rc;

	argc = wfm_parse_options(argc, argv, options, clean_usage, WFM_PARSE_NO_ARGUMENTS);
	if (argc < 0) {
		wfm_strvec_clear(&results);
		return WFM_EXIT_USAGE;
	}
	opts.results = results.nr ? (const char *const *)results.v : NULL;

	rc = wfm_pool_clean(&report, wfm_repo_path(ctx->repo), &opts);
	/* what was done is printed even when something else failed */
	for (size_t i = 0; i < report.nr; i++) {
		const struct wfm_clean_item *it = &report.items[i];
		const char *name = it->name;

		if (!strncmp(name, "refs/heads/", 11))
			name += 11;
		if (it->removed)
			printf("%s %s %s (%s)\n", opts.dry_run ? "Would remove" : "Removing",
			       it->what, name, it->why);
		else if (verbose)
			printf("kept %s: %s\n", name, it->why);
	}
	if (!verbose)
		print_kept(&report);
	if (rc == 0)
		rc = clean_jobs(ctx->repo, opts.dry_run);
	wfm_clean_report_release(&report);
	wfm_strvec_clear(&results);
	if (rc < 0)
		return wfm_ui_error_lib(rc);
	return WFM_EXIT_OK;
}
