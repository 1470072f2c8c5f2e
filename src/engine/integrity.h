#ifndef WFM_ENGINE_INTEGRITY_H
#define WFM_ENGINE_INTEGRITY_H

/*
 * The integrity guard's rules for test files (docs/merge-queue.md,
 * "Integrity"): which paths count as tests. Pure string work, no state,
 * safe from any thread.
 */

/*
 * The default test globs, NULL-terminated: the usual places of tests in
 * C, Python, JavaScript/TypeScript, Go, Rust, Ruby, Java/Kotlin and C#
 * projects (test/, tests/, spec/, __tests__/, testdata/ at any depth,
 * test_*, *_test.*, *.test.*, *_spec.*, *.spec.*, *Test.java, ...,
 * conftest.py).
 */
extern const char *const wfm_integrity_default_globs[];

/*
 * The first of globs (NULL-terminated; NULL: the defaults) that path
 * matches, or NULL when it is not a test file. Borrowed from globs.
 */
const char *wfm_integrity_test_glob(const char *const *globs, const char *path);

#endif
