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
#include "base/json.h"

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

/* Cuts the blanks and newlines s ends with; returns s. */
char *wfm_test_trim(char *s);

/* Like wfm_test_sh, without the blanks and newlines its output ends with (free()). */
char *wfm_test_sh_trim(const char *dir, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Fail the test unless what a shell command prints in dir (as
 * wfm_test_sh_trim gives it) is want, holds want, or does not hold
 * unwanted. The command is formatted like printf.
 */
#define assert_sh_equal(dir, want, ...)                                                            \
	wfm_test_assert_sh(WFM_TEST_SH_EQUAL, dir, want, __VA_ARGS__)
#define assert_sh_contains(dir, want, ...)                                                         \
	wfm_test_assert_sh(WFM_TEST_SH_CONTAINS, dir, want, __VA_ARGS__)
#define assert_sh_lacks(dir, unwanted, ...)                                                        \
	wfm_test_assert_sh(WFM_TEST_SH_LACKS, dir, unwanted, __VA_ARGS__)
enum wfm_test_sh_check { WFM_TEST_SH_EQUAL, WFM_TEST_SH_CONTAINS, WFM_TEST_SH_LACKS };
void wfm_test_assert_sh(enum wfm_test_sh_check how, const char *dir, const char *s, const char *fmt,
			...) __attribute__((format(printf, 4, 5)));

/* The whole file at path (free()); fails the test when it cannot be read. */
char *wfm_test_read(const char *path);

/* JSON text parsed (cJSON_Delete()); fails the test when it is not JSON. */
cJSON *wfm_test_json(const char *text);

/* Unsets every provider's key and base-URL variable (agent/provider.h). */
void wfm_test_unset_provider_env(void);

#endif
