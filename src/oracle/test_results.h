#ifndef WFM_ORACLE_TEST_RESULTS_H
#define WFM_ORACLE_TEST_RESULTS_H

#include <stddef.h>
#include <time.h>

#include "base/strvec.h"

/*
 * The results of single tests in one run of a test command, where its
 * output (or the JUnit XML files it wrote) names them. Recognised (the
 * exact shapes are in docs/flaky.md, "Formats"):
 *   tap     "ok 3 - name", "not ok 4 - name" (the "# ..." diagnostics and
 *           YAML block after it are its failure), "# SKIP" / "# TODO" directives
 *   pytest  -v / -rA lines "path::test PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS",
 *           the short summary "FAILED path::test - msg", the "___ test ___"
 *           sections of FAILURES / ERRORS for the failure's lines
 *   ctest   "n/m Test #k: name ....   Passed", "***Failed", "***Exception: ...",
 *           "***Timeout", "***Not Run", "***Skipped"; the output that
 *           --output-on-failure prints after it is its failure
 *   cmocka  "[       OK ] name", "[  FAILED  ] name", "[  ERROR   ] name",
 *           "[  SKIPPED ] name"; the lines since its "[ RUN      ] name" are its
 *           failure; GoogleTest's lines too ("[  FAILED  ] Suite.Test (3 ms)")
 *   junit   <testcase> elements of JUnit XML (<failure>, <error>, <skipped>),
 *           parsed by hand (oracle/junit.c): the subset test runners write, no
 *           DTD, no namespaces
 * A plain "12 passed, 1 failed" names no test: no results. Colour codes
 * and carriage-return progress are ignored (oracle/lines.h).
 *
 * A test named twice in one run (pytest -v and -rA print each test twice)
 * is one result: failed if any of its lines says so.
 */
enum wfm_test_format {
	WFM_TESTS_TAP = 1 << 0,
	WFM_TESTS_PYTEST = 1 << 1,
	WFM_TESTS_CTEST = 1 << 2,
	WFM_TESTS_CMOCKA = 1 << 3,
	WFM_TESTS_JUNIT = 1 << 4,
};

enum wfm_test_outcome {
	WFM_TEST_PASSED = 0,
	WFM_TEST_FAILED,
	WFM_TEST_SKIPPED, /* skipped, TODO, xfail, not run: neither passed nor failed */
};

/* lines of a failure kept at most */
#define WFM_TEST_FAILURE_LINES 10
/* bytes of one failure line kept at most */
#define WFM_TEST_FAILURE_WIDTH 200

struct wfm_test_result {
	char *name; /* owned */
	enum wfm_test_outcome outcome;
	/* a failed test: the first lines of what its output says about it (at most
	 * WFM_TEST_FAILURE_LINES, trimmed); may be empty */
	struct wfm_strvec failure;
};

struct wfm_test_results {
	unsigned formats; /* enum wfm_test_format bits of what was found */
	struct wfm_test_result *v;
	size_t nr, alloc;
};
/* clang-format off */
#define WFM_TEST_RESULTS_INIT { 0, NULL, 0, 0 }
/* clang-format on */

/*
 * Adds the tests text[0..len) names to out (TAP, pytest, CTest, cmocka).
 * Returns the number of results added or updated. No state: safe from
 * any thread.
 */
int wfm_test_results_parse(struct wfm_test_results *out, const char *text, size_t len);

/* Adds the <testcase>s of one JUnit XML document. Returns how many. */
int wfm_test_results_parse_junit(struct wfm_test_results *out, const char *xml, size_t len);

/*
 * Adds the <testcase>s of the JUnit XML files under dir that were
 * modified at since or later: take since from
 * wfm_test_results_clock() before the command starts (files of an earlier
 * run, kept with ignored build output, are older). Files named *.xml
 * holding "<testsuite", outside .git and other dot folders and
 * node_modules, at most 8 levels down and 100000 directory entries in all.
 * Unreadable files are skipped. Returns how many.
 */
int wfm_test_results_find_junit(struct wfm_test_results *out, const char *dir,
				const struct timespec *since);

/*
 * The wall clock as file times are stamped with (the coarse clock the
 * kernel stamps them from: a file written after this call is never older).
 */
void wfm_test_results_clock(struct timespec *now);

/* The result named name, or NULL. */
struct wfm_test_result *wfm_test_results_get(const struct wfm_test_results *r, const char *name);

void wfm_test_results_release(struct wfm_test_results *r);

/* "tap, pytest" for the bits of formats; "none" when 0. Appended to out. */
struct wfm_buf;
void wfm_test_formats_describe(struct wfm_buf *out, unsigned formats);

/* "tap", "pytest", "ctest", "cmocka", "junit" for one bit; NULL for others. */
const char *wfm_test_format_name(unsigned format);

/* every format, for loops over the bits */
#define WFM_TESTS_ALL                                                                              \
	(WFM_TESTS_TAP | WFM_TESTS_PYTEST | WFM_TESTS_CTEST | WFM_TESTS_CMOCKA | WFM_TESTS_JUNIT)

#endif
