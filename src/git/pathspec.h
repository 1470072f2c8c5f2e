#ifndef WFM_GIT_PATHSPEC_H
#define WFM_GIT_PATHSPEC_H

#include <stddef.h>

#include "git/repo.h"

/*
 * Pathspecs as git reads them (gitglossary(7), "pathspec"), for the
 * chunker, diff() and a run's paths. libgit2 1.5.1 knows none of git's
 * pathspec magic, so the parsing and the matching are ours:
 *
 *   src/a.c  src/  src      a file, or everything under a directory
 *   *.c  src*.c             a wildcard pattern: '*' and '?' also match
 *                           '/', as in git ("*.c" is every .c file)
 *   :(top)x  :/x            x from the top, not from the current directory
 *   :(glob)*.c              '*' stops at '/': the .c files at the top;
 *                           "**" as a whole component spans directories
 *   :(literal)a*b           no wildcards: the name a*b
 *   :(icase)readme          case-insensitive (ASCII)
 *   :(exclude)x  :!x  :^x   leave out what x matches
 *   :(glob,icase)...        long magic combines; :/!x is top and exclude
 *   :(prefix:N)x            the first N bytes of x are literal (what
 *                           wfm_pathspec_canonical() writes to keep a
 *                           directory name with wildcards literal)
 *
 * A pattern is relative to the current directory unless it has :(top),
 * and is normalised as git does: "." and ".." components are resolved
 * (one that leaves the top is an error), an absolute path inside the work
 * tree is made relative to its top. A path matches a set of pathspecs when
 * it matches one that is not an exclusion (or there is none) and no
 * exclusion. :(attr) is refused.
 */

enum {
	WFM_PATHSPEC_TOP = 1 << 0,
	WFM_PATHSPEC_LITERAL = 1 << 1,
	WFM_PATHSPEC_GLOB = 1 << 2,
	WFM_PATHSPEC_ICASE = 1 << 3,
	WFM_PATHSPEC_EXCLUDE = 1 << 4,
};

struct wfm_pathspec_item {
	char *typed;	/* as given; owned */
	char *match;	/* the pattern from the top, normalised; owned ("" is everything) */
	unsigned magic; /* WFM_PATHSPEC_* */
	size_t prefix;	/* bytes of match that are the current directory: exact, never icase */
	size_t literal; /* bytes of match compared as they are before any wildcard */
};

struct wfm_pathspec {
	struct wfm_pathspec_item *v;
	size_t nr, alloc;
	size_t includes; /* items without WFM_PATHSPEC_EXCLUDE */
};

#define WFM_PATHSPEC_INIT                                                                          \
	{                                                                                          \
		NULL, 0, 0, 0                                                                      \
	}

/*
 * Where pathspecs typed by the user are relative to: prefix is the current
 * directory from the top of the work tree with a trailing '/' ("" at the
 * top, outside the work tree, in a bare repository), top the work tree's
 * real path (NULL in a bare repository: absolute paths are then refused).
 */
struct wfm_pathspec_base {
	char *prefix;
	char *top;
};

#define WFM_PATHSPEC_BASE_INIT                                                                     \
	{                                                                                          \
		NULL, NULL                                                                         \
	}

/* The base of the process's current directory in repo. Release with wfm_pathspec_base_release(). */
void wfm_pathspec_base_here(struct wfm_pathspec_base *out, struct wfm_repo *repo);
void wfm_pathspec_base_release(struct wfm_pathspec_base *base);

/*
 * Parses spec and appends it to ps. base: NULL for pathspecs from the top
 * (a harness's, a run's saved ones). WFM_EINVALID with git's wording for
 * an empty string, unknown or unsupported magic and :(glob) with
 * :(literal); WFM_ENOTFOUND for a path outside the repository ("'../x' is
 * outside the repository").
 */
int wfm_pathspec_add(struct wfm_pathspec *ps, const char *spec,
		     const struct wfm_pathspec_base *base);

/* Whether path (from the top, '/'-separated) matches item alone, exclusion or not. */
int wfm_pathspec_item_match(const struct wfm_pathspec_item *item, const char *path);

/*
 * Whether path is in the set ps (as above; every path when ps is empty).
 * matched, when not NULL, has ps->nr bytes: matched[i] is set to 1 for each
 * item that is not an exclusion and matches path, whether an exclusion
 * then takes the path out or not (as git counts them for "did not match").
 */
int wfm_pathspec_match(const struct wfm_pathspec *ps, const char *path, char *matched);

/*
 * Whether a path under dir (from the top, with a trailing '/') may be in
 * ps: 0 only when none can, so that a walk need not look inside dir.
 */
int wfm_pathspec_may_match_under(const struct wfm_pathspec *ps, const char *dir);

/*
 * item as a pathspec from the top that means the same thing, a new string
 * (free()): its pattern, with its magic in long form when it has any
 * (":(glob,exclude)src/x"), so that it can be saved and parsed
 * again with base NULL from anywhere.
 */
char *wfm_pathspec_canonical(const struct wfm_pathspec_item *item);

void wfm_pathspec_release(struct wfm_pathspec *ps);

#endif
