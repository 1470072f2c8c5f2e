#ifndef WFM_GIT_POOL_H
#define WFM_GIT_POOL_H

#include "git/repo.h"

/*
 * The worktree pool: every agent that may write, and every oracle run,
 * gets a git worktree of its own for as long as it holds it.
 *
 * A slot is a registered git worktree (git worktree list shows it) whose
 * directory is <git-common-dir>/wfmigrate/pool/<name>/. Its HEAD is
 * always detached, so no branch is ever checked out in a slot.
 * Acquiring a free slot moves it to the wanted commit with an
 * incremental checkout and removes untracked files, but keeps ignored
 * ones (warm build output). A slot in use is locked (git worktree lock,
 * with the holder's pid as the reason, plus a lock file that records the
 * pid and its start time); slots whose holder died are reclaimed.
 *
 * One struct wfm_pool per process and repository; acquire and release
 * may be called from several threads at once. Several processes may use
 * the same pool directory: each slot is claimed atomically.
 */
struct wfm_pool;
struct wfm_slot;

struct wfm_pool_opts {
	/* make a brand-new worktree for each acquire and remove it at release */
	int cold;
	/* run id for branch names, refs/heads/wfmigrate/<run>/<label>; commit_all needs one */
	const char *run;
};
/* clang-format off */
#define WFM_POOL_OPTS_INIT { 0, NULL }
/* clang-format on */

/* repo_path: any path wfm_repo_open() accepts. opts may be NULL. */
int wfm_pool_open(struct wfm_pool **out, const char *repo_path, const struct wfm_pool_opts *opts);
/* Releases nothing: every acquired slot must have been released first. */
void wfm_pool_free(struct wfm_pool *pool);

/*
 * Takes a free slot (reclaiming dead holders' slots, adding a new one
 * when none is free) and checks out base, a commit id or any revision,
 * with a detached HEAD and a clean tree (ignored files kept).
 * WFM_ENOTFOUND for an unknown base. The slot is owned by the caller
 * until wfm_pool_release().
 */
int wfm_pool_acquire(struct wfm_slot **out, struct wfm_pool *pool, const char *base);

/*
 * Gives the slot back: unlocks it for the next user (or, cold, removes
 * the worktree entirely). Frees slot. Changes left in it are discarded by
 * the next acquire.
 */
int wfm_pool_release(struct wfm_pool *pool, struct wfm_slot *slot);

/*
 * Like wfm_pool_release, but removes the worktree (working tree and
 * entry) instead of keeping it for the next acquire: for a slot left in
 * a state nobody should inherit. Frees slot.
 */
int wfm_pool_discard(struct wfm_pool *pool, struct wfm_slot *slot);

/*
 * The slot's accessors return strings borrowed from the slot: valid until
 * it is released or discarded.
 */
/* Absolute path of the slot's working tree, without a trailing slash. */
const char *wfm_slot_path(const struct wfm_slot *slot);
/* The slot's worktree name (as in .git/worktrees/<name>). */
const char *wfm_slot_name(const struct wfm_slot *slot);
/* The commit (hex) the slot was checked out at by acquire. */
const char *wfm_slot_base(const struct wfm_slot *slot);
/* The repository opened on the slot, for its holder's thread; borrowed. */
struct wfm_repo *wfm_slot_repo(struct wfm_slot *slot);

/*
 * Commits everything in the slot (like git add -A; ignored files stay
 * out) on top of the slot's current HEAD and points
 * refs/heads/wfmigrate/<run>/<label> at the new commit, creating or
 * moving it by compare-and-swap. label is made safe for a ref name.
 * *changed is 0 when there was nothing to commit: then no commit is made,
 * the branch points at HEAD and out is HEAD's id.
 * The slot's HEAD moves to the new commit (still detached).
 */
int wfm_slot_commit_all(char out[WFM_OID_HEXSZ + 1], int *changed, struct wfm_slot *slot,
			const char *message, const char *label);

/*
 * Like wfm_slot_commit_all, but to the branch named branch: a short name
 * ("wfmigrate/<run>/<label>") or a full one ("refs/heads/wfmigrate/..."),
 * taken as it is. It must be a valid ref name under refs/heads/wfmigrate/
 * (WFM_EINVALID otherwise): the pool never moves the user's branches.
 */
int wfm_slot_commit_branch(char out[WFM_OID_HEXSZ + 1], int *changed, struct wfm_slot *slot,
			   const char *message, const char *branch);

/*
 * The full ref name wfm_slot_commit_branch() writes for branch
 * ("wfmigrate/r/x" → "refs/heads/wfmigrate/r/x"), or WFM_EINVALID when
 * it would refuse it. Returns a new string in *out (free()).
 */
int wfm_pool_branch_ref(char **out, const char *branch);

/*
 * Like wfm_slot_commit_branch, but when there is nothing to commit while
 * HEAD has moved past the slot's base (the agent committed its work
 * itself), an empty commit with message still goes on top: the work then
 * always ends with a commit of ours, whose trailers (a scope) speak for
 * all of it. *changed is 1 when a commit was made.
 */
int wfm_slot_commit_branch_sealed(char out[WFM_OID_HEXSZ + 1], int *changed, struct wfm_slot *slot,
				  const char *message, const char *branch);

/*
 * The branch wfm_slot_commit_all() writes for run and label:
 * "refs/heads/wfmigrate/<run>/<label>" with label made one valid ref
 * name component: bytes other than ASCII letters, digits, '-', '_' and
 * '.' become '-', runs of '-' and of '.' are squeezed, leading and
 * trailing '.' and '-' dropped, a trailing ".lock" becomes "-lock", at
 * most 100 bytes are kept, and an empty result is "unnamed"
 * ("fix strcpy: src/a.c" → "fix-strcpy-src-a.c"). WFM_EINVALID for an
 * empty run id or one with '/'. Returns a new string in *out (free()).
 */
int wfm_pool_branch_name(char **out, const char *run, const char *label);

struct wfm_clean_opts {
	int dry_run; /* report what would be removed, remove nothing */
	int all;     /* also remove branches of runs that still exist, but not their results */
	/*
	 * runs (ids or unique prefixes of ids) whose branches all go, their
	 * results too; NULL-terminated, or NULL
	 */
	const char *const *results;
};
/* clang-format off */
#define WFM_CLEAN_OPTS_INIT { 0, 0, NULL }
/* clang-format on */

/*
 * The branches that are a run's result, wfmigrate/<run>/<label>: what the
 * run leaves for the user to take. clean keeps them unless the run is named
 * in wfm_clean_opts.results.
 */
/* clang-format off */
#define WFM_RESULT_LABELS { "integration", "shared" }
/* clang-format on */

/* Why clean kept something. */
enum wfm_clean_kept {
	WFM_CLEAN_REMOVED,	    /* not kept */
	WFM_CLEAN_KEPT_IN_USE,	    /* a slot whose holder is alive */
	WFM_CLEAN_KEPT_LOCKED,	    /* a slot locked with git for another reason */
	WFM_CLEAN_KEPT_CURRENT,	    /* the worktree clean runs in */
	WFM_CLEAN_KEPT_CHECKED_OUT, /* a branch checked out in a worktree */
	WFM_CLEAN_KEPT_RUNNING,	    /* a branch of a running run */
	WFM_CLEAN_KEPT_RUN,	    /* a branch of a run that exists (without --all) */
	WFM_CLEAN_KEPT_RESULT,	    /* a run's result (not named in results) */
	WFM_CLEAN_KEPT_ERROR,	    /* its removal failed */
};

struct wfm_clean_item {
	char *what;		  /* "slot", "worktree", "branch" */
	char *name;		  /* slot name, worktree entry name or full ref name */
	char *why;		  /* why it is removed or kept */
	int removed;		  /* 1 removed (or would be, in a dry run), 0 kept */
	enum wfm_clean_kept kept; /* removed: WFM_CLEAN_REMOVED */
};

struct wfm_clean_report {
	struct wfm_clean_item *items;
	size_t nr, alloc;
};
void wfm_clean_report_release(struct wfm_clean_report *report);

/*
 * Removes pool slots that no live process holds, half-made worktree
 * entries left by failed adds, and wfmigrate branches no run needs
 * (see docs/pool.md). Never touches a slot whose holder is alive, nor
 * the user's own worktrees and branches. Afterwards git worktree list
 * and git fsck are clean.
 * out is initialised here and lists every slot, entry and branch looked
 * at, removed or kept, even when an error is returned (release it with
 * wfm_clean_report_release()). A removal that fails is reported as kept,
 * the others go on, and the first error is returned. A name in
 * opts->results that names no run with branches is WFM_ENOTFOUND (an
 * ambiguous one WFM_EAMBIGUOUS), before anything is removed.
 */
int wfm_pool_clean(struct wfm_clean_report *out, const char *repo_path,
		   const struct wfm_clean_opts *opts);

#endif
