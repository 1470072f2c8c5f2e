#ifndef WFM_GIT_FASTFORWARD_H
#define WFM_GIT_FASTFORWARD_H

#include "git/repo.h"

/*
 * Bringing a result to the user's branch (`git wfmigrate apply`): the
 * branch HEAD is on, a merge commit of two results made in memory, and a
 * fast-forward of that branch with its working tree and index, as
 * `git merge --ff-only` leaves them.
 */

/*
 * The branch HEAD is on: *refname a new string ("refs/heads/main";
 * free()), commit its tip. *refname NULL (and 0 returned) when HEAD is
 * detached. WFM_ENOTFOUND when the branch has no commit yet.
 */
int wfm_head_branch(char **refname, char commit[WFM_OID_HEXSZ + 1], struct wfm_repo *repo);

/*
 * A merge commit of ours and theirs (parents in that order), made in
 * memory with a three-way merge of their trees over their merge base:
 * its id in out. No ref moves, no working tree is touched. The author and
 * committer are the repository's identity (git config user.*).
 * WFM_ECONFLICT, the conflicting paths in the message, when the trees do
 * not merge cleanly.
 */
int wfm_merge_commit(char out[WFM_OID_HEXSZ + 1], struct wfm_repo *repo, const char *ours,
		     const char *theirs, const char *message);

/*
 * Fast-forwards refname, the branch checked out in repo's working tree,
 * from from to to (a descendant of from): first the working tree and
 * index are checked out from from's tree to to's, safely (a file the
 * user changed, or an untracked file in the way, stops it before
 * anything is written: WFM_ECONFLICT naming the paths), then the branch
 * moves, by compare-and-swap against from (WFM_ELOCKED when it moved
 * meanwhile), with log_message in its reflog and HEAD's.
 */
int wfm_fast_forward(struct wfm_repo *repo, const char *refname, const char *from, const char *to,
		     const char *log_message);

#endif
