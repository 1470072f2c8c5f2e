#ifndef WFM_BASE_DATADIR_H
#define WFM_BASE_DATADIR_H

/*
 * The files git wfmigrate ships besides its binary: the harness runtime
 * (runtime/), the built-in workflows (workflows/) and the verifier
 * rubrics (rubrics/). They are looked up, in order, under
 *
 *   1. $WFMIGRATE_DATADIR, when set and not empty (tests, unusual layouts);
 *   2. <prefix>/share/git-wfmigrate, where <prefix> is the directory above
 *      the one the running binary is in (symlinks resolved): an installed
 *      binary uses its own data, whatever --prefix it was installed with;
 *   3. WFM_SOURCE_DIR, the source tree the binary was built from, only
 *      when the running binary is inside WFM_BUILD_DIR, its build tree;
 *   4. WFM_DATADIR, where the configured prefix puts them
 *      (${CMAKE_INSTALL_FULL_DATADIR}/git-wfmigrate).
 *
 * So a binary run from its build tree uses the sources next to it, and an
 * installed one never reads the tree it was built in.
 */

/*
 * Sets *out to the path of relpath ("runtime/harness.mjs") in the first
 * of those directories where it exists (a new string; free with free()).
 * WFM_ENOTFOUND, naming every place looked at, when it is in none;
 * WFM_EINVALID for an empty or absolute relpath.
 */
int wfm_datadir_find(char **out, const char *relpath);

#endif
