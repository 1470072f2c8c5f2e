#ifndef WFM_ORACLE_SUMMARY_H
#define WFM_ORACLE_SUMMARY_H

#include <stddef.h>

struct wfm_buf;

/*
 * The test summary in a test command's output, where there is one.
 * Recognised (see docs/oracle.md for exact shapes):
 *   plain   "12 passed, 0 failed" (", 3 skipped" optional; one "word:" before it allowed)
 *   ctest   "83% tests passed, 2 tests failed out of 12" (+ "(Skipped)" entries after it)
 *   pytest  "=== 3 failed, 10 passed, 1 skipped in 0.12s ===", "5 passed in 0.01s"
 *   cmocka  "[==========] 7 test(s) run." and the PASSED / FAILED / SKIPPED lines after it
 *   tap     prove's "Files=3, Tests=20, ..." with "All tests successful." or the
 *           "Failed: N" counts of its Test Summary Report
 *   go      go test's package lines "ok  pkg 0.1s", "FAIL pkg", "?  pkg [no test files]";
 *           it counts packages, not tests
 * When several appear, the last one in the output wins. ANSI colour
 * sequences and carriage-return progress are ignored.
 */
enum wfm_summary_format {
	WFM_SUMMARY_NONE = 0,
	WFM_SUMMARY_PLAIN,
	WFM_SUMMARY_CTEST,
	WFM_SUMMARY_PYTEST,
	WFM_SUMMARY_CMOCKA,
	WFM_SUMMARY_TAP,
	WFM_SUMMARY_GO,
};

struct wfm_summary {
	enum wfm_summary_format format;
	unsigned long passed;
	unsigned long failed;  /* pytest: failed + errors; cmocka: failed + errors */
	unsigned long skipped; /* pytest: skipped + xfailed; go: packages without tests */
	unsigned long total;   /* passed + failed + skipped, or what the tool printed */
};
/* clang-format off */
#define WFM_SUMMARY_INIT { WFM_SUMMARY_NONE, 0, 0, 0, 0 }
/* clang-format on */

/*
 * Looks for the last summary in text[0..len). Returns 1 with out filled
 * in, 0 when there is none (out is WFM_SUMMARY_INIT), negative on error.
 * No state: safe from any thread.
 */
int wfm_summary_parse(struct wfm_summary *out, const char *text, size_t len);

/* "plain", "ctest", "pytest", "cmocka", "tap", "go"; "none" for WFM_SUMMARY_NONE. */
const char *wfm_summary_format_name(enum wfm_summary_format format);

/* Appends "12 passed, 1 failed" (", 3 skipped" when there are). */
void wfm_summary_describe(struct wfm_buf *out, const struct wfm_summary *s);

#endif
