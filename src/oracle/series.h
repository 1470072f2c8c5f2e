#ifndef WFM_ORACLE_SERIES_H
#define WFM_ORACLE_SERIES_H

#include <stddef.h>

#include "oracle/oracle.h"

struct wfm_executor;

/*
 * A series: the test command run several times at one commit, each run a
 * fresh process in a slot of the pool acquired afresh (a clean checkout),
 * `jobs` of them at once in threads of their own. For flaky tests
 * (git wfmigrate flaky, oracle() with runs, docs/flaky.md).
 */
#define WFM_SHUFFLE_SEED_ENV "WFM_SHUFFLE_SEED"

struct wfm_oracle_series_opts {
	/* runs to make, at least 1 */
	size_t runs;
	/* runs at once; 0 or 1: one after the other */
	size_t jobs;
	/* give run i "WFM_SHUFFLE_SEED=<seed + i>" in its environment */
	int shuffle;
	unsigned long seed;
	/* keep every run's output; 0: only the first failed run's and the last run's */
	int keep_output;
	/* after each run, from its thread, one call at a time (under a lock); may be NULL */
	void (*done)(void *data, const struct wfm_oracle_result *r, size_t i, size_t finished,
		     size_t n);
	void *data;
	/* where the runs happen (exec/executor.h); NULL: in the pool, here */
	struct wfm_executor *executor;
};
/* clang-format off */
#define WFM_ORACLE_SERIES_OPTS_INIT { 1, 1, 0, 0, 0, NULL, NULL, NULL }
/* clang-format on */

struct wfm_oracle_series {
	struct wfm_oracle_result *runs; /* runs[0..nr), each initialised; owned */
	size_t nr;
	size_t finished;   /* runs that ran to their end (not cancelled, not unstarted) */
	size_t failures;   /* of those, the runs that failed */
	long first_failed; /* the first run to fail, in the order they ended; -1 */
	long last;	   /* the last run to end; -1 */
};
/* clang-format off */
#define WFM_ORACLE_SERIES_INIT { NULL, 0, 0, 0, -1, -1 }
/* clang-format on */

/*
 * Runs the series. A run that did not start (interrupted through
 * opts->cancel, or after an error) is left cancelled. Returns 0, or the
 * first error of a run that could not run (no further run starts; the
 * runs that ended are in out all the same). Release out with
 * wfm_oracle_series_release() either way.
 */
int wfm_oracle_series_run(struct wfm_oracle_series *out, struct wfm_pool *pool, const char *commit,
			  const struct wfm_oracle_opts *opts,
			  const struct wfm_oracle_series_opts *so);

void wfm_oracle_series_release(struct wfm_oracle_series *s);

/*
 * The result of oracle() with runs (docs/workflow-api.md): the object of
 * wfm_oracle_result_to_json() for the first failed run (else the last),
 * with runs, failures, pass (every run passed) and, when the runs named
 * tests, tests (oracle/test_tally.h). A new cJSON tree.
 */
struct cJSON *wfm_oracle_series_json(const struct wfm_oracle_series *s, const char *ref,
				     const char *command);

#endif
