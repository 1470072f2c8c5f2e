#ifndef WFM_GIT_DIFF_H
#define WFM_GIT_DIFF_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "git/repo.h"

/*
 * Appends to out the unified diff (git diff's patch format, 3 lines of
 * context, renames not detected) from commit `from` to commit `to`
 * (anything wfm_repo_resolve_commit() takes), limited to paths (git
 * pathspecs from the top, magic included: git/pathspec.h; NULL or nr 0
 * for everything). WFM_ENOTFOUND for an unknown revision, WFM_EINVALID
 * for a pathspec git would refuse.
 */
int wfm_git_diff(struct wfm_buf *out, struct wfm_repo *repo, const char *from, const char *to,
		 const char *const *paths, size_t nr);

/*
 * The lines of each file of `to` that the diff from `from` touches:
 * added or changed lines, and for lines only deleted, the two lines
 * around where they were. Files deleted in `to` have none.
 */
struct wfm_git_changed_file {
	char *path;
	uint32_t *start, *end; /* ranges of lines, 1-based, inclusive, in the order of the file */
	size_t nr, alloc;
};

struct wfm_git_changes {
	struct wfm_git_changed_file *v; /* in the order of the diff (by path) */
	size_t nr, alloc;
};

/* clang-format off */
#define WFM_GIT_CHANGES_INIT { NULL, 0, 0 }
/* clang-format on */

/* Errors as wfm_git_diff()'s. out must be initialised; files are appended. */
int wfm_git_changed_lines(struct wfm_git_changes *out, struct wfm_repo *repo, const char *from,
			  const char *to);

/* Whether the changes touch a line of path in [start, end]. */
int wfm_git_changes_touch(const struct wfm_git_changes *c, const char *path, uint32_t start,
			  uint32_t end);

void wfm_git_changes_release(struct wfm_git_changes *c);

#endif
