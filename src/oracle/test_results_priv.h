#ifndef WFM_ORACLE_TEST_RESULTS_PRIV_H
#define WFM_ORACLE_TEST_RESULTS_PRIV_H

#include "oracle/test_results.h"

/*
 * Shared by the parsers of oracle/test_results.c (test output) and
 * oracle/junit.c (JUnit XML files).
 */

/*
 * The index of the result named name[0..n), added or updated: a failure
 * wins over a pass, a pass over a skip.
 */
size_t wfm_test_results_add(struct wfm_test_results *out, const char *name, size_t n,
			    enum wfm_test_outcome outcome);

/* Adds one line to a failure, trimmed, tabs as spaces, cut at WFM_TEST_FAILURE_WIDTH. */
void wfm_test_failure_add_line(struct wfm_strvec *f, const char *s, size_t n);

#endif
