#ifndef WFM_BASE_GLOB_H
#define WFM_BASE_GLOB_H

/* Path globs, as .gitignore and the integrity guard's test globs use them. */

/*
 * Whether path (repository-relative, '/'-separated) matches glob:
 *   *      any characters but '/'
 *   ?      one character but '/'
 *   [...]  one character of a class ("[a-z]", "[!0-9]" or "[^0-9]"), never '/'
 *   **     as a whole component: any number of directories, none included
 *          ("** /x" without the space matches x at any depth, "dir/ **" everything
 *          under dir)
 *   \c     the character c itself
 * A glob without '/' is matched against the file name alone, at any depth
 * (as in .gitignore); a leading '/' anchors a glob at the top ("/Makefile"
 * is the top-level one only). Returns 1 or 0.
 */
int wfm_glob_match(const char *glob, const char *path);

/* The first of globs (NULL-terminated; NULL: none) that path matches, or NULL; borrowed. */
const char *wfm_glob_first(const char *const *globs, const char *path);

#endif
