#ifndef WFM_EXEC_JOB_LEDGER_H
#define WFM_EXEC_JOB_LEDGER_H

#include "base/strvec.h"

/*
 * The ledger of the jobs a remote executor submitted for a run:
 * <job_dir>/<run>.jobs, one line per job, "<id> <its job directory>",
 * appended right after the scheduler took the job. The engine's process
 * may die (SIGKILL, a reboot) with jobs of its run queued or running on
 * the cluster, where nothing would ever look at them again: the next
 * process that opens the executor for the run (start or resume) reads the
 * ledger, cancels those the scheduler still lists (exec/slurm.c) and
 * forgets them. A line may stay after its job ended: cancelling a job
 * that has ended is harmless, and the directory tells a job of ours from
 * another with the same id (a cluster that counts from 1 again).
 *
 * Every change is made under flock() of the file, so a process may append
 * while another rewrites it; one process at a time owns a run, so in
 * practice one writer at a time.
 */
struct wfm_job_ledger {
	/* ids.v[i] ran in dirs.v[i] */
	struct wfm_strvec ids, dirs;
};
/* clang-format off */
#define WFM_JOB_LEDGER_INIT { WFM_STRVEC_INIT, WFM_STRVEC_INIT }
/* clang-format on */

void wfm_job_ledger_release(struct wfm_job_ledger *l);

/* "<job_dir>/<run>.jobs"; returns a new string, free with free(). */
char *wfm_job_ledger_path(const char *job_dir, const char *run);

/*
 * Appends the line of job id (digits and the like, no space) that runs in
 * dir (no newline) to the ledger at path, creating it; WFM_EINVALID for
 * an id or a dir a line cannot hold.
 */
int wfm_job_ledger_add(const char *path, const char *id, const char *dir);

/*
 * The ledger's jobs, in the order they were added, appended to out; a
 * line that is not "<id> <dir>", or a last line without its newline (torn
 * by a crash mid-write; the next add ends it first), is left out.
 * A missing ledger has none: 0.
 */
int wfm_job_ledger_read(struct wfm_job_ledger *out, const char *path);

/*
 * Removes the lines of the jobs whose id is one of ids (NULL-terminated)
 * from the ledger, and the file once no line is left. A missing ledger
 * is not an error.
 */
int wfm_job_ledger_forget(const char *path, const char *const *ids);

#endif
