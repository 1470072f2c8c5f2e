#ifndef WFM_GIT_SCOPE_H
#define WFM_GIT_SCOPE_H

#include "base/strvec.h"
#include "git/repo.h"
#include "git/squash.h"

/*
 * The scope of a worktree agent (docs/merge-queue.md, "Scope"): globs
 * (base/glob.h) of the paths its work may change. The agent's commit
 * records them, one trailer per glob,
 *   Wfmigrate-Scope: <glob>
 * so that the merge queue can check a branch from git alone, on resume
 * too, without the run's journal.
 */
#define WFM_TRAILER_SCOPE "Wfmigrate-Scope"

/*
 * Whether glob can be one of a scope's: non-empty, no control character
 * (it must fit on a trailer line), no space at either end (trailers are
 * trimmed), no empty, "." or ".." component, not ending in '/' (no path
 * does; "dir/" followed by "**" is everything under a directory).
 * WFM_EINVALID with why.
 */
int wfm_scope_check_glob(const char *glob);

/*
 * The scope a branch was last given: the globs of the newest commit that
 * records any, on the first-parent line from tip back to from (excluded;
 * NULL or "": to the root). The newest wins, so a commit an agent made
 * itself below its own scoped commit cannot widen that scope. Appended to
 * out as new strings; nothing is appended when no commit records one.
 */
int wfm_scope_read(struct wfm_strvec *out, struct wfm_repo *repo, const char *from,
		   const char *tip);

/*
 * The files that differ between the commits from and to (as
 * wfm_changes_list() finds them: a rename is both of its paths) that
 * match none of globs (NULL-terminated), appended to out, sorted by path.
 */
int wfm_scope_outside(struct wfm_changes *out, struct wfm_repo *repo, const char *from,
		      const char *to, const char *const *globs);

#endif
