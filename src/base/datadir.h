#ifndef WFM_BASE_DATADIR_H
#define WFM_BASE_DATADIR_H

/*
 * The files git wfmigrate ships besides its binary: the harness runtime
 * (runtime/), the built-in workflows (workflows/) and the verifier
 * rubrics (rubrics/). They are looked up, in order, under
 *
 *   1. $WFMIGRATE_DATADIR, when set and not empty (tests, relocated installs);
 *   2. WFM_DATADIR, where `cmake --install` puts them
 *      (${CMAKE_INSTALL_FULL_DATADIR}/git-wfmigrate);
 *   3. WFM_SOURCE_DIR, the source tree the binary was built from, so that
 *      an uninstalled build works.
 */

/*
 * Sets *out to the path of relpath ("runtime/harness.mjs") in the first
 * of those directories where it exists (a new string; free with free()).
 * WFM_ENOTFOUND, naming every place looked at, when it is in none;
 * WFM_EINVALID for an empty or absolute relpath.
 */
int wfm_datadir_find(char **out, const char *relpath);

#endif
