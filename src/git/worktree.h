#ifndef WFM_GIT_WORKTREE_H
#define WFM_GIT_WORKTREE_H

#include "git/repo.h"

/*
 * Linked worktrees, laid out on disk exactly as git lays them out, for
 * the worktree pool. libgit2 1.5.1's own worktree functions are avoided
 * where they are wrong (docs/pool.md, "libgit2 pitfalls"):
 * git_worktree_add cannot make a detached worktree (it always creates or
 * checks out a branch), leaves half-made entries when it fails, and
 * races on the first creation of <commondir>/worktrees; and
 * git_branch_is_checked_out answers 1 for every branch once two entries
 * are broken.
 */

/*
 * Registers a new linked worktree of the repository whose common git
 * directory is commondir (absolute, canonical), named name whose working tree is path,
 * with HEAD detached at commit (hex) and nothing checked out yet: what
 * `git worktree add --detach --no-checkout` writes.
 *   <commondir>/worktrees/<name>/{locked, gitdir, commondir, HEAD}
 *   <path>/.git
 * lock_reason goes into `locked` (NULL: not locked). path's parent must
 * exist; path and the entry must not (WFM_EEXISTS). On failure, whatever
 * this call made is removed again, and nothing else is touched.
 */
int wfm_worktree_add_detached(const char *commondir, const char *name, const char *path,
			      const char *commit, const char *lock_reason);

/*
 * Removes a linked worktree completely, as `git worktree remove --force
 * --force` does: the working tree at path, then the entry
 * <commondir>/worktrees/<name>. Either may already be gone. path NULL:
 * the entry only.
 */
int wfm_worktree_remove(const char *commondir, const char *name, const char *path);

/*
 * `git worktree lock --reason <reason>` and `git worktree unlock` on the
 * entry called name; lock replaces an existing reason. WFM_ENOTFOUND when
 * there is no such entry.
 */
int wfm_worktree_lock(struct wfm_repo *repo, const char *name, const char *reason);
int wfm_worktree_unlock(struct wfm_repo *repo, const char *name);

/*
 * Whether entry name is locked: 1 with *reason set (a new string, free();
 * may be empty), 0 when it is not.
 */
int wfm_worktree_lock_reason(char **reason, const char *commondir, const char *name);

/*
 * Where the branch refname ("refs/heads/...") is checked out: returns 1
 * with *where set to the worktree's path (a new string, free()), or 0.
 * Reads the HEAD of the main worktree and of every linked one, and the
 * branch a rebase in progress will return to, as git branch -d does.
 */
int wfm_worktree_find_checkout(char **where, const char *commondir, const char *refname);

/*
 * Reads a small file into a new string (free()) without its trailing
 * newline. WFM_ENOTFOUND when it does not exist.
 */
int wfm_read_line(char **out, const char *path);

#endif
