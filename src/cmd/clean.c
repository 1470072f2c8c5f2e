/*
 * git wfmigrate clean: removes the pool slots no live process holds,
 * half-made worktree entries, and the wfmigrate branches no run needs.
 * A run's results (its integration and shared branches) go only when
 * the run is named: clean --results <run>.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/strvec.h"
#include "cmd/cmd.h"
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
	wfm_clean_report_release(&report);
	wfm_strvec_clear(&results);
	if (rc < 0)
		return wfm_ui_error_lib(rc);
	return WFM_EXIT_OK;
}
