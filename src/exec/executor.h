#ifndef WFM_EXEC_EXECUTOR_H
#define WFM_EXEC_EXECUTOR_H

#include <signal.h>

#include "exec/where.h"
#include "oracle/oracle.h"

/*
 * Executors: where an oracle run happens (docs/executors.md). "local" is
 * the worktree pool of this machine (wfm_oracle_run()); "slurm" submits a
 * batch job that fetches the commit from a shared remote into a cache on
 * its node and runs the command there. A backend is one file
 * (exec/<name>.c) with a struct wfm_executor_ops and one row of the table
 * in executor.c; nothing else compares executor names.
 *
 * A job is one run of a command at one commit — the oracle's, or an
 * exec agent's (agent/exec.c) — : submit it, poll it until it is done
 * (or lost), collect its result — for the oracle the same struct
 * wfm_oracle_result a local run gives, so the journal, the merge queue
 * and resume cannot tell where it ran; for an agent a process result and
 * the commits of its work — and free it. cancel asks the backend to end
 * it; its result is then a cancelled one.
 *
 * An executor is shared by the engine's threads: every call may come
 * from any thread, but one job is used by one thread at a time.
 */
struct wfm_pool;
struct wfm_executor;
struct wfm_exec_job;

enum wfm_exec_state {
	WFM_EXEC_PENDING, /* queued, not started */
	WFM_EXEC_RUNNING,
	WFM_EXEC_DONE, /* ended (passed, failed, timed out or cancelled): collect it */
	/* ended without a result through no fault of the command: its node
	 * failed, it was preempted, or the scheduler forgot it. Submitting it
	 * again is right (wfm_executor_run() does) */
	WFM_EXEC_LOST,
};

struct wfm_exec_status {
	enum wfm_exec_state state;
	/* the scheduler's own word for it ("PENDING", "NODE_FAIL", "PREEMPTED",
	 * "vanished"); "" when it has none */
	char detail[32];
};

struct wfm_exec_spec {
	/* the commit to check out (hex); required */
	const char *commit;
	/* run with /bin/sh -c at the top of the checkout; required */
	const char *command;
	unsigned long timeout_sec;  /* 0: none */
	const char *const *env_set; /* NAME=value added to the job's environment; may be NULL */
	const char *input;	    /* its stdin, input_len bytes; NULL: /dev/null */
	size_t input_len;
	/* a file the command reads, written to the job's directory, its path in
	 * the environment variable file_env (WFM_AGENT_JSON_FILE); NULL: none */
	const char *file_env, *file_text;
	int split_stderr;	    /* stderr apart from stdout (wfm_process_opts) */
	size_t output_cap, err_cap; /* 0: the process defaults */
	/* keep what the command leaves in the checkout: the job commits it and
	 * pushes it back (struct wfm_exec_output's head and work) */
	int keep_work;
	/* an oracle run: what collect needs to make its result (tests,
	 * known_failures, output_cap); NULL for any other command. The local
	 * executor runs only these. */
	const struct wfm_oracle_opts *oracle;
	/* a few words for the job's name ("merge queue", "agent"); may be NULL */
	const char *label;
};

/* What a job gave, as a local process would have (wfm_exec_collect_output()). */
struct wfm_exec_output {
	/* exit code, signal, timed_out, cancelled, duration, output and err */
	struct wfm_process_result proc;
	/* the directory it ran in on its node, for taking it out of paths; NULL: unknown */
	char *dir;
	/* keep_work: the commit the checkout's HEAD was at when the command
	 * ended (the base, or what the command committed itself), and a commit
	 * on top of it holding everything else it left, both fetched into the
	 * repository; "" when there is nothing to keep */
	char head[WFM_OID_HEXSZ + 1], work[WFM_OID_HEXSZ + 1];
	/* the ref work was fetched to, for wfm_exec_output_release() to delete */
	char *work_ref;
	const char *repo_path; /* borrowed from the executor, with work_ref */
	struct wfm_exec_where where;
};

struct wfm_executor_opts {
	/* a row of the table: "local" or "slurm"; NULL: "local" */
	const char *name;
	/* local: the pool runs take their worktrees from; required there */
	struct wfm_pool *pool;
	/* remote backends: the repository the commits to test are pushed from */
	const char *repo_path;
	/* remote backends: the run, for refs/wfmigrate/<run>/... on the remote */
	const char *run;
	/* remote backends: the shared remote (a path or URL every node can
	 * fetch from, and we can push to); required there */
	const char *remote;
	/* remote backends: where each job's script, output and result go, a
	 * directory both this machine and the nodes see; required there */
	const char *job_dir;
	/* on a node, the directory that holds the remote's cache; NULL:
	 * $TMPDIR there, else /tmp */
	const char *node_cache;
	/* slurm: the partition; NULL: the cluster's default */
	const char *partition;
	/* CPUs per job; 0: the scheduler's default */
	unsigned long cpus;
	/* memory per job as the scheduler writes it ("2G", "500M"); NULL: its default */
	const char *mem;
	/* between two polls in wfm_executor_run(); 0: WFM_EXEC_POLL_MS_DEFAULT */
	unsigned long poll_ms;
	/* how many times wfm_executor_run() submits a lost job again */
	unsigned long retries;
	/* told by wfm_executor_run(), from its thread, of each lost job: what
	 * it ran ("oracle", "agent"), the commit, the scheduler's word and the attempt that was
	 * lost (from 1), and whether it is submitted again; may be NULL */
	void (*lost)(void *data, const char *what, const char *commit, const char *detail,
		     unsigned long attempt, int again);
	void *lost_data;
};
/* clang-format off */
#define WFM_EXECUTOR_OPTS_INIT { NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, 0, WFM_EXEC_RETRIES_DEFAULT, NULL, NULL }
/* clang-format on */
#define WFM_EXEC_POLL_MS_DEFAULT 200
#define WFM_EXEC_RETRIES_DEFAULT 2

/* What a backend provides; every struct wfm_executor it makes starts with one. */
struct wfm_executor_ops {
	const char *name;
	/* checks opts (WFM_EINVALID naming what is missing) and makes the executor */
	int (*open)(struct wfm_executor **out, const struct wfm_executor_opts *opts);
	/* optional: one run, start to end, honouring opts->cancel (local) */
	int (*run)(struct wfm_executor *ex, struct wfm_oracle_result *out, const char *commit,
		   const struct wfm_oracle_opts *opts);
	int (*submit)(struct wfm_executor *ex, struct wfm_exec_job **out,
		      const struct wfm_exec_spec *spec);
	int (*poll)(struct wfm_executor *ex, struct wfm_exec_job *job, struct wfm_exec_status *out);
	int (*cancel)(struct wfm_executor *ex, struct wfm_exec_job *job);
	/* an oracle run's job (spec->oracle set) */
	int (*collect)(struct wfm_executor *ex, struct wfm_exec_job *job,
		       struct wfm_oracle_result *out);
	/* optional: any command's job; the backends that have it run agents */
	int (*collect_output)(struct wfm_executor *ex, struct wfm_exec_job *job,
			      struct wfm_exec_output *out);
	void (*job_free)(struct wfm_executor *ex, struct wfm_exec_job *job);
	void (*free)(struct wfm_executor *ex);
};

struct wfm_executor {
	const struct wfm_executor_ops *ops;
	/* set by wfm_executor_open() from the options */
	unsigned long poll_ms, retries;
	void (*lost)(void *data, const char *what, const char *commit, const char *detail,
		     unsigned long attempt, int again);
	void *lost_data;
	/* set by the backend's open: the jobs of this run an earlier process
	 * left queued or running (it was killed), which open cancelled */
	unsigned long orphans;
};

/* The backends, one per file. */
extern const struct wfm_executor_ops wfm_exec_local_ops;
extern const struct wfm_executor_ops wfm_exec_slurm_ops;

/* "local, slurm": the names for messages; a static string. */
const char *wfm_executor_names(void);
/* Whether name is an executor's name (for checking a setting). */
int wfm_executor_known(const char *name);

/*
 * Makes the executor opts->name names (WFM_EINVALID for an unknown name,
 * or for options it needs and lacks). Free it with wfm_executor_free()
 * once no job of it is left.
 */
int wfm_executor_open(struct wfm_executor **out, const struct wfm_executor_opts *opts);
void wfm_executor_free(struct wfm_executor *ex);
const char *wfm_executor_name(const struct wfm_executor *ex);

/*
 * How many jobs of the run open found still queued or running on the
 * cluster, left by an earlier process of the run that died (SIGKILL, a
 * reboot) without cancelling them, and cancelled: their results would
 * never be read. 0 for the local executor, whose runs die with it. A
 * remote backend keeps a ledger of the jobs it submits for this
 * (exec/job_ledger.h), so open it only from the process that owns the run.
 */
unsigned long wfm_executor_orphans(const struct wfm_executor *ex);

/*
 * The job calls. submit copies what it needs of spec. poll fills out.
 * cancel ends a job that is pending or running (0 also when it has
 * ended). collect, once poll said DONE (or after cancel), initialises out
 * as wfm_oracle_run() does and fills it in: negative when there is no
 * result to give (the job could not fetch its commit, or ended without a
 * result), with out still initialised. job_free forgets the job (it does
 * not cancel it).
 */
int wfm_exec_submit(struct wfm_executor *ex, struct wfm_exec_job **out,
		    const struct wfm_exec_spec *spec);
int wfm_exec_poll(struct wfm_executor *ex, struct wfm_exec_job *job, struct wfm_exec_status *out);
int wfm_exec_cancel(struct wfm_executor *ex, struct wfm_exec_job *job);
int wfm_exec_collect(struct wfm_executor *ex, struct wfm_exec_job *job,
		     struct wfm_oracle_result *out);
void wfm_exec_job_free(struct wfm_executor *ex, struct wfm_exec_job *job);

/*
 * collect for a job of any command (the executor must run commands:
 * wfm_executor_runs_commands()). out is initialised either way; release
 * it with wfm_exec_output_release(), which also deletes the ref its work
 * was fetched to (take what you need of work first).
 */
int wfm_exec_collect_output(struct wfm_executor *ex, struct wfm_exec_job *job,
			    struct wfm_exec_output *out);
void wfm_exec_output_init(struct wfm_exec_output *out);
void wfm_exec_output_release(struct wfm_exec_output *out);

/* Whether ex runs any command as a job (agents), not only oracle runs. */
int wfm_executor_runs_commands(const struct wfm_executor *ex);

/*
 * One oracle run at commit, start to end, as wfm_oracle_run() is: submit,
 * poll every poll_ms, cancel the job once *opts->cancel is set (out is
 * then cancelled), submit again a job that was lost (up to the
 * executor's retries: then WFM_ERROR "oracle job lost ..."), collect.
 * Returns and fills out as wfm_oracle_run() does.
 */
int wfm_executor_run(struct wfm_executor *ex, struct wfm_oracle_result *out, const char *commit,
		     const struct wfm_oracle_opts *opts);

/*
 * The same for any command (an agent's): submit spec, wait, cancel once
 * *cancel is set (out->proc.cancelled), submit again a lost job, collect
 * with wfm_exec_collect_output(). 0 once the command ran, whatever its
 * exit; negative when it could not (out is initialised either way).
 */
int wfm_executor_run_command(struct wfm_executor *ex, struct wfm_exec_output *out,
			     const struct wfm_exec_spec *spec, const volatile sig_atomic_t *cancel);

#endif
