#ifndef WFM_GIT_SQUASH_H
#define WFM_GIT_SQUASH_H

#include <stddef.h>

#include "base/strvec.h"
#include "git/repo.h"

/*
 * The git side of the merge queue (docs/merge-queue.md): squashing a
 * branch onto a commit in memory, the paths a change touches, the
 * trailers that record what the integration branch holds, and
 * compare-and-swap ref updates. Nothing here checks anything out or
 * moves a ref, except wfm_ref_cas(). Revisions may be commit ids or
 * anything git rev-parse takes.
 */

/*
 * Applies the changes the branch made since from (the tree difference
 * from..branch_tip, as one change) onto onto, with a three-way merge of
 * the trees (ancestor from, ours onto, theirs branch_tip; renames
 * followed), in memory. Makes a new commit whose only parent is onto,
 * whose author is branch_tip's author, whose committer is the
 * repository's identity (or "git wfmigrate"), with message as given;
 * writes its id to out. No ref moves, no working tree is touched.
 * from NULL or "": the merge base of branch_tip and onto (no common
 * history: every file of branch_tip counts as added).
 * *empty is 1 when the result's tree is onto's: nothing is committed and
 * out is onto's id.
 * WFM_ECONFLICT when the trees do not merge cleanly, with the
 * conflicting paths in the message ("conflict in 'a.c', 'b/c.h'");
 * WFM_ENOTFOUND for a revision that names no commit.
 */
int wfm_squash(char out[WFM_OID_HEXSZ + 1], int *empty, struct wfm_repo *repo, const char *onto,
	       const char *branch_tip, const char *from, const char *message);

enum wfm_change_kind {
	WFM_CHANGE_ADDED = 'A',
	WFM_CHANGE_MODIFIED = 'M', /* content, mode or type changed */
	WFM_CHANGE_DELETED = 'D',
};

struct wfm_change {
	char *path; /* repository-relative, '/'-separated; owned */
	enum wfm_change_kind kind;
};

struct wfm_changes {
	struct wfm_change *v;
	size_t nr, alloc;
};
/* clang-format off */
#define WFM_CHANGES_INIT { NULL, 0, 0 }
/* clang-format on */

/*
 * The files that differ between the trees of the commits from and to,
 * sorted by path. Renames are not followed: a renamed file is its old
 * path deleted and its new path added. from NULL or "": the empty tree.
 * Appends to out (release with wfm_changes_release(), also on failure).
 */
int wfm_changes_list(struct wfm_changes *out, struct wfm_repo *repo, const char *from,
		     const char *to);
void wfm_changes_release(struct wfm_changes *changes);

/*
 * The paths changed between two commits (added, modified, deleted; both
 * paths of a rename), as wfm_changes_list() finds them; new strings
 * appended to out.
 */
int wfm_changed_paths(struct wfm_strvec *out, struct wfm_repo *repo, const char *from,
		      const char *to);

/*
 * Compare-and-swap: points refname (a full name, "refs/heads/...") at id
 * if it is at expected now; expected NULL or "" means it must not exist
 * yet. Retries for about a second while another writer holds the ref's
 * lock. Returns 0 when the ref was updated (or already at id with
 * expected == id), else:
 *   WFM_EEXISTS   expected NULL, but the ref exists;
 *   WFM_ENOTFOUND expected given, but the ref does not exist;
 *   WFM_ELOCKED   the ref is at another commit than expected, its lock
 *                 stayed held, or it is a branch checked out in a worktree
 *                 (never moved: that worktree would look dirty, apis.md
 *                 §1.2 pitfall 5); the message says which.
 * log_message goes into the reflog (NULL: a default).
 */
int wfm_ref_cas(struct wfm_repo *repo, const char *refname, const char *id, const char *expected,
		const char *log_message);

/*
 * What an integration branch holds, read from the trailers its commits
 * end with:
 *   Wfmigrate-Branch: <branch as submitted>
 *   Wfmigrate-Commit: <the branch tip that was squashed>
 */
#define WFM_TRAILER_BRANCH "Wfmigrate-Branch"
#define WFM_TRAILER_COMMIT "Wfmigrate-Commit"

/*
 * Every value of the trailer key in message, in order, appended to out
 * (new strings): "Key: value" lines of the message's last paragraph, the
 * key in any case, the value without the spaces around it. Read here
 * rather than with git_message_trailers(), which drops everything after a
 * "---" line of the message.
 */
void wfm_trailer_values(struct wfm_strvec *out, const char *message, const char *key);

struct wfm_squash_entry {
	char commit[WFM_OID_HEXSZ + 1]; /* the integration commit */
	char tip[WFM_OID_HEXSZ + 1];	/* its Wfmigrate-Commit */
	char *branch;			/* its Wfmigrate-Branch; owned */
};

struct wfm_squash_log {
	struct wfm_squash_entry *v;
	size_t nr, alloc;
};
/* clang-format off */
#define WFM_SQUASH_LOG_INIT { NULL, 0, 0 }
/* clang-format on */

/*
 * Walks the first parents from tip back to stop (excluded; NULL or "":
 * to the root, as also when stop is never met) and appends an entry for
 * every commit with both trailers, newest first. The trailers are read
 * from the message's last paragraph ("Key: value" lines; the key in any
 * case). Release with wfm_squash_log_release(), also on failure.
 */
int wfm_squash_log_read(struct wfm_squash_log *out, struct wfm_repo *repo, const char *tip,
			const char *stop);
/* An entry whose tip is branch_tip (full hex id), or NULL; borrowed from log. */
const struct wfm_squash_entry *wfm_squash_log_find(const struct wfm_squash_log *log,
						   const char *branch_tip);
void wfm_squash_log_release(struct wfm_squash_log *log);

/*
 * The commit a branch's changes are counted from when it is squashed onto
 * onto: the newest commit of the branch (an ancestor of branch_tip, not
 * of onto) that log records as already squashed (an agent that went on
 * after a merge, or started from a merged branch), else the merge base
 * of branch_tip and onto. out is "" when they share no history.
 */
int wfm_squash_from(char out[WFM_OID_HEXSZ + 1], struct wfm_repo *repo, const char *branch_tip,
		    const char *onto, const struct wfm_squash_log *log);

/* 1 when ancestor is commit or one of its ancestors, 0 when not, negative on error. */
int wfm_is_ancestor(struct wfm_repo *repo, const char *ancestor, const char *commit);

#endif
