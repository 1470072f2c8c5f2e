#ifndef WFM_TEST_SUPPORT_H
#define WFM_TEST_SUPPORT_H

/*
 * Shared by the cmocka unit tests. Include after the system headers
 * cmocka needs; this header includes them itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/common.h"

/* Fails the test with the library's last error message when expr < 0. */
#define assert_wfm_ok(expr)                                                                        \
	do {                                                                                       \
		int wfm_rc_ = (expr);                                                              \
		if (wfm_rc_ < 0)                                                                   \
			fail_msg("%s returned %d: %s", #expr, wfm_rc_, wfm_error_last());          \
	} while (0)

/*
 * Makes a fresh temporary directory and returns its path (free()).
 * Removed by wfm_test_rmtree().
 */
char *wfm_test_tmpdir(void);
void wfm_test_rmtree(const char *path);

/*
 * Runs a shell command (sh -c) in dir, failing the test unless it exits 0.
 * Returns its stdout (free()). The command is formatted like printf.
 */
char *wfm_test_sh(const char *dir, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Like wfm_test_sh but returns the exit status and leaves output on the test's stderr. */
int wfm_test_sh_status(const char *dir, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Makes a new repository in a temporary directory with an identity
 * configured, and returns its path (free()).
 */
char *wfm_test_repo_new(void);

/* Writes a file under dir (making parent directories). */
void wfm_test_write(const char *dir, const char *relpath, const char *content);

#endif
