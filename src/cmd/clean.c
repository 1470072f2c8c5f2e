/*
 * git wfmigrate clean: removes the pool slots no live process holds,
 * half-made worktree entries, and the wfmigrate branches no run needs.
 */
#include "base/common.h"
#include "cmd/cmd.h"
#include "git/pool.h"
#include "git/repo.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/options.h"

static const char *const clean_usage[] = {
	"git wfmigrate clean [--dry-run] [--all]",
	NULL,
};

int cmd_clean(int argc, const char **argv, struct wfm_cmd_ctx *ctx)
{
	struct wfm_clean_opts opts = WFM_CLEAN_OPTS_INIT;
	struct wfm_clean_report report = { 0 };
	const struct wfm_option options[] = {
		WFM_OPT_BOOL('n', "dry-run", &opts.dry_run,
			     "say what would be removed, remove nothing"),
		WFM_OPT_BOOL(0, "all", &opts.all,
			     "also remove the branches of runs that exist but are not running"),
		WFM_OPT_END(),
	};
	int rc;

	argc = wfm_parse_options(argc, argv, options, clean_usage, WFM_PARSE_NO_ARGUMENTS);
	if (argc < 0)
		return WFM_EXIT_USAGE;

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
		else
			printf("kept %s: %s\n", name, it->why);
	}
	wfm_clean_report_release(&report);
	if (rc < 0)
		return wfm_ui_error_last(WFM_EXIT_FATAL);
	return WFM_EXIT_OK;
}
