#ifndef WFM_EXEC_LEFTOVERS_H
#define WFM_EXEC_LEFTOVERS_H

#include <stddef.h>

/*
 * What a run's jobs leave behind once it has ended (docs/executors.md):
 * its job directories, <job_dir>/<run>/job.* (scripts, outputs, results:
 * everything the run needed of them is in its journal), its ledger
 * (<job_dir>/<run>.jobs, exec/job_ledger.h), and its refs on
 * the shared remote, refs/wfmigrate/<run>/... (the commits it tested, the
 * work its agents pushed back). `git wfmigrate clean` removes them for the
 * runs that are not alive; a resumed run pushes again what it needs.
 */
struct wfm_exec_leftovers {
	size_t job_dirs;    /* job directories of the run */
	size_t remote_refs; /* its refs on the remote */
};

/* The run's job directory: "<job_dir>/<run>" in a new string (free()). */
char *wfm_exec_run_job_dir(const char *job_dir, const char *run);

/*
 * Counts in *out, and unless dry_run removes, what run left in job_dir
 * (NULL: nothing there) and on remote (NULL: none; asked through the git
 * program from repo_path, with the user's credentials). The job
 * directories are counted and removed even when the remote cannot be
 * reached; that is then WFM_ERROR with git's words.
 */
int wfm_exec_leftovers_clean(struct wfm_exec_leftovers *out, const char *repo_path, const char *run,
			     const char *job_dir, const char *remote, int dry_run);

#endif
