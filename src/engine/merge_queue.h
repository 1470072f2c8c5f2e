#ifndef WFM_ENGINE_MERGE_QUEUE_H
#define WFM_ENGINE_MERGE_QUEUE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "base/strvec.h"
#include "git/repo.h"
#include "oracle/oracle.h"
#include "oracle/summary.h"

/*
 * The merge queue (docs/merge-queue.md): the one owner of a run's
 * integration branch refs/heads/wfmigrate/<run>/integration. Branches
 * are submitted; each is squashed onto the integration tip in memory,
 * checked against the integrity rules, tested in batches by the oracle
 * (a failing batch is bisected), and the branch moves only by
 * compare-and-swap, only to a commit the oracle passed. The branch is
 * never checked out anywhere: the oracle runs in pool worktrees with a
 * detached HEAD.
 *
 * A branch whose commits record a scope (git/scope.h) and that changes
 * paths outside it is refused with reason "scope", before any squash or
 * test, unless it was submitted with WFM_MERGE_ALLOW_OUT_OF_SCOPE.
 *
 * Every integration commit ends with the trailers
 *   Wfmigrate-Branch: <branch as submitted>
 *   Wfmigrate-Commit: <the branch tip that was squashed>
 * and a branch whose exact tip is already recorded there is decided
 * merged at once, without testing: a merge whose ref update happened
 * before a crash is not repeated.
 *
 * One thread (the queue's) does all the work and makes every callback;
 * submit, tip, stats and stop may be called from any thread.
 */
struct wfm_pool;
struct wfm_executor;
struct wfm_merge_queue;

#define WFM_MERGE_REASON_CONFLICT "conflict"
#define WFM_MERGE_REASON_ORACLE "oracle-failed"
#define WFM_MERGE_REASON_INTEGRITY "integrity"
/* the branch changes paths outside the scope its commits record (git/scope.h) */
#define WFM_MERGE_REASON_SCOPE "scope"
#define WFM_MERGE_REASON_STOPPED "stopped"
/* the queue could not decide (a worktree, the repository or the oracle
 * could not be used); detail is the error message and error its code */
#define WFM_MERGE_REASON_ERROR "error"

struct wfm_merge_decision {
	int merged;
	/* merged: the integration commit holding the branch's changes (its own
	 * squash commit; for a branch that changed nothing, the commit that
	 * already held its changes); "" otherwise */
	char commit[WFM_OID_HEXSZ + 1];
	/* NULL when merged, else one of the WFM_MERGE_REASON_ strings */
	const char *reason;
	/* a human explanation, or NULL: the conflicting paths, the oracle's
	 * verdict and the excerpt of its output (oracle/excerpt.h, one line
	 * each, indented), the offending test files, the passed counts, the
	 * scope and the paths outside it */
	char *detail;
	/* rejected after an oracle run that failed: the most telling lines of
	 * its output, most telling first (also in detail); else NULL */
	const struct wfm_strvec *excerpt;
	/* rejected after an oracle run that failed: its last 20 lines of
	 * output; else NULL */
	const char *output_tail;
	/* reason "scope": every path the branch changes outside its scope,
	 * sorted; else NULL */
	const struct wfm_strvec *out_of_scope;
	/* the branch as submitted and the tip it was resolved to */
	const char *branch;
	char branch_tip[WFM_OID_HEXSZ + 1];
	/* the summary of the oracle run that decided, WFM_SUMMARY_NONE if none */
	struct wfm_summary summary;
	/* reason "error": the WFM_E* code; else 0 */
	int error;
};

/* Called from the queue's thread; d and everything in it valid during the call only. */
typedef void (*wfm_merge_cb)(void *data, const struct wfm_merge_decision *d);

/*
 * What the queue is doing, as it happens, for people
 * (docs/merge-queue.md, "Progress").
 */
enum wfm_merge_step {
	WFM_MERGE_TEST,	   /* an oracle run starts: on a chain of branches, or on the base */
	WFM_MERGE_TESTED,  /* that run ended */
	WFM_MERGE_LANDED,  /* the integration branch moved */
	WFM_MERGE_DECIDED, /* a branch is decided (just before its callback) */
};

struct wfm_merge_progress {
	enum wfm_merge_step step;
	/* the batch, numbered from 1 in the queue's life; 0: the baseline run on the base */
	unsigned long batch;
	/* TEST, TESTED: the branches the tested commit adds; LANDED: the branches that landed */
	size_t branches;
	/* TEST, TESTED during a bisection: how many branches are under suspicion; else 0 */
	size_t of;
	/* TEST, TESTED: the branches (as submitted), `branches` of them */
	const char *const *names;
	/* TEST, TESTED: the commit tested; LANDED: the new tip */
	const char *commit;
	/* TEST: the integration tip the tested chain is built on */
	const char *onto;
	/* TESTED: whether it passed (enough tests too); the run, NULL when it could not run */
	int pass;
	const struct wfm_oracle_result *result;
	/* TESTED and !pass: why, on one line ("exited 2: 3 passed, 1 failed",
	 * "9 tests passed, fewer than 10 on the base", "stopped", an error) */
	const char *why;
	/* DECIDED */
	const struct wfm_merge_decision *decision;
};

/*
 * Called from the queue's thread (TEST and TESTED of the baseline from
 * wfm_merge_queue_start's); p and everything in it valid during the call
 * only. It must not call the queue.
 */
typedef void (*wfm_merge_progress_cb)(void *data, const struct wfm_merge_progress *p);

struct wfm_merge_opts {
	/* any path wfm_repo_open() accepts; required */
	const char *repo_path;
	/* the run id: the branch is refs/heads/wfmigrate/<run>/integration; required */
	const char *run;
	/* the run's base commit (any revision); required */
	const char *base;
	/* the oracle command; required */
	const char *oracle_cmd;
	/* seconds; 0: no limit */
	unsigned long oracle_timeout_sec;
	/* test files may be changed (the passed count may still not drop) */
	int allow_test_edits;
	/* NULL-terminated globs of test files (integrity.h); NULL: the defaults */
	const char *const *test_globs;
	/* most branches tested together; 0: 8 */
	size_t batch_max;
	/* how long a batch gathers after its first branch arrives (ms) */
	unsigned long batch_wait_ms;
	/* the oracle's result on base if the engine ran it already; NULL: the
	 * queue runs the oracle on base at start */
	const struct wfm_summary *baseline;
	/* when it becomes non-zero, the queue stops as with wfm_merge_queue_stop();
	 * may be NULL */
	const volatile sig_atomic_t *cancel;
	/* "NAME=value" entries for the oracle's environment; may be NULL */
	const char *const *oracle_env;
	/* NULL-terminated tests whose failures do not fail the oracle (oracle/oracle.h);
	 * with them, the passed count is not compared with the base's (flaky tests make
	 * it vary); may be NULL */
	const char *const *known_failures;
	/* what it is doing, as it happens; may be NULL */
	wfm_merge_progress_cb progress;
	void *progress_data;
	/* where the oracle runs (exec/executor.h), shared with the caller, who
	 * frees it after the queue; NULL: in the pool, here */
	struct wfm_executor *executor;
};
#define WFM_MERGE_BATCH_MAX_DEFAULT 8
#define WFM_MERGE_BATCH_WAIT_DEFAULT_MS 200
#define WFM_MERGE_OPTS_INIT                                                                        \
	{                                                                                          \
		NULL, NULL, NULL, NULL, WFM_ORACLE_TIMEOUT_DEFAULT, 0, NULL,                       \
			WFM_MERGE_BATCH_MAX_DEFAULT, WFM_MERGE_BATCH_WAIT_DEFAULT_MS, NULL, NULL,  \
			NULL, NULL, NULL, NULL, NULL                                               \
	}

/*
 * Creates refs/heads/wfmigrate/<run>/integration at base, or keeps it
 * where it is when it exists already (resume; it must descend from base
 * and be checked out nowhere: WFM_EINVALID, WFM_ELOCKED), learns the
 * baseline (opts->baseline, or one oracle run on base: an oracle that
 * fails there is an error, "oracle failed on base commit ..."), and
 * starts the queue's thread. pool is borrowed and must outlive the
 * queue; opts is copied.
 */
int wfm_merge_queue_start(struct wfm_merge_queue **out, struct wfm_pool *pool,
			  const struct wfm_merge_opts *opts);

/* flags of wfm_merge_queue_submit(): merge it even if it changes paths outside its scope */
#define WFM_MERGE_ALLOW_OUT_OF_SCOPE (1u << 0)

/*
 * Enqueues branch (a branch name or any revision; resolved to its tip
 * now) with the commit message message (NULL: "wfmigrate: merge
 * <branch>"). flags: 0 or WFM_MERGE_ALLOW_OUT_OF_SCOPE. cb is called
 * exactly once, from the queue's thread, when the branch is decided,
 * also when the queue is stopped first (reason "stopped"). Returns
 * WFM_ENOTFOUND, and never calls cb, when branch names no commit.
 */
int wfm_merge_queue_submit(struct wfm_merge_queue *q, const char *branch, const char *message,
			   unsigned flags, wfm_merge_cb cb, void *data);

/* The integration branch's current commit as the queue knows it; returns out. */
const char *wfm_merge_queue_tip(struct wfm_merge_queue *q, char out[WFM_OID_HEXSZ + 1]);

struct wfm_merge_stats {
	unsigned long oracle_runs; /* not counting the baseline */
	unsigned long batches;	   /* batches tested (bisection steps not included) */
	unsigned long bisections;  /* batches that failed and were split */
	unsigned long merged, rejected, stopped;
	unsigned long ref_moves; /* compare-and-swap updates that succeeded */
	unsigned long ref_races; /* updates that found the branch moved by someone else */
	/* what the oracle cost (wall time, ms): */
	uint64_t oracle_ms;	     /* of the oracle_runs */
	unsigned long baseline_runs; /* 1 when the queue ran the oracle on base at start, else 0 */
	uint64_t baseline_ms;
	uint64_t longest_ms; /* the longest run, the baseline's included */
	/* the sizes of the batches: their sum (branches tested, a branch tested
	 * again in a later batch counted again) and the largest */
	unsigned long batched, largest_batch;
	/* of the oracle runs (the baseline's included): those an executor made jobs */
	struct wfm_exec_tally jobs;
};
void wfm_merge_queue_stats(struct wfm_merge_queue *q, struct wfm_merge_stats *out);

/*
 * Decides every branch not decided yet "stopped", cancelling a running
 * oracle (nothing moves the integration branch after this), and returns
 * once those callbacks have been made (at once when called from a
 * callback). Branches submitted afterwards are decided "stopped" too.
 */
void wfm_merge_queue_stop(struct wfm_merge_queue *q);

/* Stops, joins the queue's thread and frees q. NULL is fine. */
void wfm_merge_queue_free(struct wfm_merge_queue *q);

#endif
