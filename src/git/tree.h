#ifndef WFM_GIT_TREE_H
#define WFM_GIT_TREE_H

#include <stddef.h>

#include "base/buf.h"
#include "git/repo.h"

/*
 * Tracked files at a revision, read from the object database (never
 * from the working tree, so uncommitted edits do not show).
 */

#define WFM_OID_RAWSZ 20

struct wfm_tree_file {
	char *path;			  /* repository-relative, '/'-separated; owned */
	unsigned char oid[WFM_OID_RAWSZ]; /* the blob */
};

struct wfm_tree_files {
	struct wfm_tree_file *v;
	size_t nr;
	size_t alloc;
	char commit[WFM_OID_HEXSZ + 1]; /* the commit rev resolved to */
};

/* clang-format off */
#define WFM_TREE_FILES_INIT { NULL, 0, 0, { 0 } }
/* clang-format on */

/*
 * Lists the regular and executable files of the tree of rev (NULL means
 * "HEAD"), sorted by path (byte order). Symbolic links and submodules
 * are left out. pathspecs (may be NULL when nr is 0) are git's, from
 * the top of the repository (git/pathspec.h: a literal path, a directory,
 * a wildcard pattern where '*' also matches '/', and git's magic such as
 * :(glob) and :(exclude)). Errors: WFM_ENOTFOUND with "unknown revision
 * '<rev>'", "'HEAD' has no commits yet", or "pathspec '<p>' did not match
 * any file at '<rev>'" when one of the pathspecs (not an exclusion)
 * matches nothing; WFM_EINVALID for a pathspec git would refuse.
 * On failure *out is left empty. Release with wfm_tree_files_release().
 */
int wfm_tree_files_list(struct wfm_tree_files *out, struct wfm_repo *repo, const char *rev,
			const char *const *pathspecs, size_t nr);
void wfm_tree_files_release(struct wfm_tree_files *files);

/*
 * Checks parsed pathspecs against the files of rev (NULL: "HEAD") as
 * wfm_tree_files_list() does, the error naming a pathspec as it was typed
 * (pathspec '../x.c' did not match any file at 'HEAD'); *count (may be
 * NULL) gets the number of files they take.
 */
struct wfm_pathspec;
int wfm_tree_pathspec_check(size_t *count, struct wfm_repo *repo, const char *rev,
			    const struct wfm_pathspec *ps);

/*
 * Reads the content of blob oid into out (emptied first). A repository
 * handle is used by one thread at a time, so threads that read
 * concurrently each open their own (wfm_repo_open(wfm_repo_path(repo))).
 */
int wfm_tree_read_blob(struct wfm_buf *out, struct wfm_repo *repo,
		       const unsigned char oid[WFM_OID_RAWSZ]);

#endif
