#ifndef WFM_ORACLE_TEST_TALLY_H
#define WFM_ORACLE_TEST_TALLY_H

#include <stddef.h>

#include "base/strvec.h"
#include "oracle/flakiness.h"

/*
 * Each test's failures over several runs of the test command at one
 * commit (oracle/test_results.h gives each run's tests). A test counts a
 * failure in a run when:
 *   - the run reports it failed;
 *   - the run reports other tests but not this one (it crashed before);
 *   - the run reports no test at all and failed (it did not build).
 * A skipped test counts as a run that did not fail. When no run reports
 * any test, the whole command may be one test named after it (failed when
 * the run failed).
 */
struct wfm_oracle_result;
struct cJSON;

struct wfm_test_tally_entry {
	char *name; /* owned */
	unsigned long runs, failures;
	/* the first lines of its first failure (oracle/test_results.h); empty if it never failed */
	struct wfm_strvec first_failure;
};

struct wfm_test_tally {
	struct wfm_test_tally_entry *v; /* in the order the runs first name them */
	size_t nr, alloc;
	unsigned long runs;
	unsigned formats; /* enum wfm_test_format bits found in any run */
	int whole;	  /* 1: no run named a test; v holds the command as one test */
};
/* clang-format off */
#define WFM_TEST_TALLY_INIT { NULL, 0, 0, 0, 0, 0 }
/* clang-format on */

/*
 * Tallies runs[0..nr) (none of them cancelled). With command non-NULL,
 * when no run names a test the command is one test named command;
 * with NULL, the tally is then empty.
 */
void wfm_test_tally_build(struct wfm_test_tally *out, const struct wfm_oracle_result *runs,
			  size_t nr, const char *command);

void wfm_test_tally_release(struct wfm_test_tally *t);

/*
 * The tests as a JSON array (a new cJSON tree): [{name, classification,
 * runs, failures, interval: [low, high] (4 decimals), firstFailure: its first
 * lines joined by "\n" | null}].
 */
struct cJSON *wfm_test_tally_json(const struct wfm_test_tally *t);

#endif
