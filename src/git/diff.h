#ifndef WFM_GIT_DIFF_H
#define WFM_GIT_DIFF_H

#include <stddef.h>

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

#endif
