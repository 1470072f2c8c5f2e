#ifndef WFM_ORACLE_ORACLE_H
#define WFM_ORACLE_ORACLE_H

#include <signal.h>
#include <stddef.h>

#include "base/process.h"
#include "base/strvec.h"
#include "exec/where.h"
#include "git/repo.h"
#include "oracle/summary.h"
#include "oracle/test_results.h"

/*
 * The oracle: the project's test command, run with /bin/sh -c in a
 * worktree at a given commit (see docs/oracle.md). It passes when the
 * command exits 0 within its time limit; the summary read from its
 * output is information, not the verdict.
 *
 * The command runs through base/process.h: its own process group, stdin
 * from /dev/null, stdout and stderr captured together (tail kept), the
 * group killed on timeout or cancel, and an environment without provider
 * API keys nor the GIT_DIR-like variables that would point git inside the
 * worktree at another repository.
 *
 * No globals and no output: the engine calls this from many threads at
 * once, each with its own result (the pool is shared).
 */
struct wfm_pool;
struct wfm_buf;

#define WFM_ORACLE_TIMEOUT_DEFAULT 1800 /* seconds */

struct wfm_oracle_opts {
	/* the test command; required */
	const char *command;
	/* seconds before the group is killed; 0: no limit */
	unsigned long timeout_sec;
	/* between SIGTERM and SIGKILL; 0: WFM_PROCESS_KILL_GRACE_DEFAULT_MS */
	unsigned long kill_grace_ms;
	/* bytes of output kept (the tail); 0: WFM_PROCESS_OUTPUT_CAP_DEFAULT */
	size_t output_cap;
	/* see struct wfm_process_opts; may be NULL */
	const volatile sig_atomic_t *cancel;
	/* "NAME=value" entries added to the command's environment; may be NULL */
	const char *const *env_set;
	/* read the results of single tests (oracle/test_results.h): from the output,
	 * and from the JUnit XML files the command wrote in its directory */
	int tests;
	/* NULL-terminated names of tests known to fail (broken or flaky): a run that
	 * exits non-zero on its own (not killed, not timed out) passes when the tests
	 * it reports include failures and every one of them is known (out->excused);
	 * NULL: none */
	const char *const *known_failures;
};
/* clang-format off */
#define WFM_ORACLE_OPTS_INIT { NULL, WFM_ORACLE_TIMEOUT_DEFAULT, 0, 0, NULL, NULL, 0, NULL }
/* clang-format on */

struct wfm_oracle_result {
	/* exited 0, not killed, within the time limit */
	int pass;
	/* the commit tested (hex); "" from wfm_oracle_run_in() */
	char commit[WFM_OID_HEXSZ + 1];
	/* the time limit that applied, for messages ("timed out after 30s") */
	unsigned long timeout_sec;
	/* exit code, signal, timed_out, cancelled, duration, output tail; owned */
	struct wfm_process_result proc;
	/* format WFM_SUMMARY_NONE when the output has none */
	struct wfm_summary summary;
	/* a run that failed (not one that was cancelled): the most telling lines of
	 * its output, most telling first (oracle/excerpt.h); empty otherwise */
	struct wfm_strvec excerpt;
	/* with opts->tests, the tests it reported (none: no format recognised) */
	struct wfm_test_results tests;
	/* passed only because every test that failed is a known failure */
	int excused;
	/* where it ran when an executor made it a job; all "" here */
	struct wfm_exec_where where;
};

/*
 * Takes a slot of pool at ref (a commit id or any revision), runs the
 * command there and gives the slot back. Returns 0 when the command ran,
 * passed or not (out->pass), or was cancelled (out->proc.cancelled, also
 * when *cancel was set before it could start). Negative when it could not
 * run: WFM_ENOTFOUND for an unknown ref, WFM_EINVALID without a command,
 * others for worktree or spawn failures. out is initialised either way;
 * release it with wfm_oracle_result_release(). If giving the slot back
 * fails after the command ran, out is complete and that error is returned.
 */
int wfm_oracle_run(struct wfm_oracle_result *out, struct wfm_pool *pool, const char *ref,
		   const struct wfm_oracle_opts *opts);

/* The same in a directory the caller holds (e.g. the merge queue's worktree). */
int wfm_oracle_run_in(struct wfm_oracle_result *out, const char *dir,
		      const struct wfm_oracle_opts *opts);

void wfm_oracle_result_release(struct wfm_oracle_result *r);

/*
 * For a command run elsewhere (an executor's job, exec/executor.h): out
 * as wfm_oracle_run() starts it, then, once the caller has filled in
 * out->proc (and out->commit), the rest read from it as for a local run:
 * pass, summary, tests (from the output only: JUnit files stay on the
 * node), excused and excerpt. ran_in, the directory the command ran in
 * (or NULL), is taken out of the excerpt's paths.
 */
void wfm_oracle_result_init(struct wfm_oracle_result *out, const struct wfm_oracle_opts *opts);
void wfm_oracle_result_finish(struct wfm_oracle_result *out, const char *ran_in,
			      const struct wfm_oracle_opts *opts);

/*
 * How the command ended, for messages: "exited 2", "timed out after 30s",
 * "was killed by SIGSEGV", "was interrupted". Appended to out.
 */
void wfm_oracle_describe_end(struct wfm_buf *out, const struct wfm_oracle_result *r);

/*
 * Appends r as one JSON object (docs/oracle.md): pass, exitCode (null
 * when killed), signal (only when killed by one), timedOut, cancelled,
 * durationMs, summary (only when found), excerpt (the lines of
 * oracle/excerpt.h; [] for a run that passed), outputTail, outputBytes,
 * ref, commit, command. ref and command are reported as given. Strings that
 * are not valid UTF-8 (output often is not) get U+FFFD for the bad bytes.
 */
void wfm_oracle_result_json(struct wfm_buf *out, const struct wfm_oracle_result *r, const char *ref,
			    const char *command);

/*
 * Appends the report of several runs of one command at one commit as a
 * JSON object: runs (the objects above, in order), passedRuns,
 * failedRuns, pass (every run passed), ref, commit, command.
 */
/* The same object as a new cJSON tree (cJSON_Delete()). */
struct cJSON *wfm_oracle_result_to_json(const struct wfm_oracle_result *r, const char *ref,
					const char *command);

void wfm_oracle_runs_json(struct wfm_buf *out, const struct wfm_oracle_result *runs, size_t nr,
			  const char *ref, const char *command);

#endif
