#ifndef WFM_EXEC_SLURM_H
#define WFM_EXEC_SLURM_H

#include "base/buf.h"
#include "base/strvec.h"
#include "exec/executor.h"
#include "exec/job_ledger.h"

/*
 * The Slurm executor's pure parts, apart for the unit tests: the sbatch
 * command line, the job script and the reading of Slurm's answers. The
 * executor itself is wfm_exec_slurm_ops (exec/slurm.c).
 *
 * A job is `sbatch --parsable` of a generated shell script in a directory
 * of its own under the executor's job_dir (job.sh; Slurm's own output of
 * it in slurm.out). On its node the script fetches the ref of the commit
 * from the shared remote into a bare cache (<node_cache>/wfmigrate-cache/),
 * checks the commit out in a fresh worktree of that cache, runs the
 * command there with /bin/sh -c under timeout(1) (stdin from $job/input
 * when there is one), its output in `output` (stderr in `stderr`, or in
 * `output` too), with work_ref commits what the command left (on top of
 * the HEAD it left) and pushes that to work_ref on the remote, removes
 * the worktree, and writes result.json:
 *   {"exitCode": N|null, "signal": N|null, "timedOut": bool,
 *    "durationMs": N, "dir": "<the worktree>", "node": "<its node>",
 *    "startedMs": <epoch ms it started>, "head": "<hex>", "work": "<hex>"}
 * (head and work "" without work_ref or when the command failed), or
 * {"error": "..."} when it could not fetch, check out or push back.
 * The environment is sbatch's, which the executor gives the same scrub as
 * a local oracle's (no API keys, no GIT_DIR and the like), exported to the
 * job with --export=ALL.
 */

/* The job script's time limit past the oracle's own: the fetch and the checkout. */
#define WFM_SLURM_SETUP_MINUTES 5

struct wfm_slurm_job {
	const char *dir;	   /* the job's directory; required */
	const char *remote;	   /* required */
	const char *ref;	   /* on the remote; required */
	const char *commit;	   /* hex; required */
	const char *command;	   /* required */
	unsigned long timeout_sec; /* 0: none */
	const char *node_cache;	   /* NULL: ${TMPDIR:-/tmp} on the node */
	const char *name;	   /* the job's name; NULL: "wfm-oracle" */
	/* the variable that names $job/file, written by the executor; NULL: none */
	const char *file_env;
	int split_stderr;     /* stderr to $job/stderr, else into $job/output */
	const char *work_ref; /* push what the command left there; NULL: nothing */
};

/* --time's minutes for an oracle timeout: 0 (no --time) for none. */
unsigned long wfm_slurm_time_minutes(unsigned long timeout_sec);

/*
 * Appends the arguments of sbatch to out: "sbatch", "--parsable", the
 * name, output, directory and export, then --partition, --time,
 * --cpus-per-task and --mem as opts asks, and the script's path last.
 */
void wfm_slurm_sbatch_argv(struct wfm_strvec *out, const struct wfm_slurm_job *job,
			   const struct wfm_executor_opts *opts);

/* Appends the job script (see above) to out. */
void wfm_slurm_script(struct wfm_buf *out, const struct wfm_slurm_job *job);

/*
 * The job id in sbatch --parsable's output ("42\n" or "42;cluster\n"),
 * copied to out (at most outsz - 1 digits). WFM_ERROR when there is none.
 */
int wfm_slurm_parse_jobid(char *out, size_t outsz, const char *text);

/*
 * What a Slurm job state ("PENDING", "RUNNING", "COMPLETED", "NODE_FAIL",
 * ...; squeue's %T, scontrol's JobState=) means here. CANCELLED is DONE:
 * whether it was ours to cancel is the caller's to know.
 */
enum wfm_exec_state wfm_slurm_state(const char *word);

/* The JobState= of scontrol show job's output, copied to out; 0, or WFM_ENOTFOUND. */
int wfm_slurm_scontrol_state(char *out, size_t outsz, const char *text);

/*
 * Whether a pending job's reason (squeue's %r, or scontrol's Reason=)
 * says Slurm held it after its launch failed: it never runs unless an
 * operator releases it. A controller killed in the seconds after a job
 * started, before it saved that, holds the job so (and drains the node
 * that still runs it) when it comes back.
 */
int wfm_slurm_held(const char *reason);

/*
 * The jobs of the ledger (exec/job_ledger.h) that squeue's answer lists as
 * not ended (pending, running, completing), each with the id and the
 * working directory the ledger gives: their ids appended to out. The
 * answer is `squeue -h -o '%A|%T|%Z'`'s, a line per job.
 */
void wfm_slurm_orphans(struct wfm_strvec *out, const char *squeue,
		       const struct wfm_job_ledger *ledger);

#endif
