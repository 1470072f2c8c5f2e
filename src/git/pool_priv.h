#ifndef WFM_GIT_POOL_PRIV_H
#define WFM_GIT_POOL_PRIV_H

/*
 * Shared by the files of the worktree pool only: pool.c (slots: scan,
 * claim, acquire, release), slot_commit.c (commits and branches) and
 * pool_clean.c (clean). The lock protocol is described in pool.c.
 */
#include "git/pidlock.h"
#include "git/pool.h"

struct wfm_slot {
	struct wfm_repo *repo; /* opened on the slot itself */
	char *name;
	char *path;
	char *lock_path;
	char *run; /* the pool's, for branch names; NULL when it has none */
	char base[WFM_OID_HEXSZ + 1];
};

/* Keeps the first error's message across the clean-up that follows it. */
struct wfm_pool_error {
	int code;
	char msg[1024];
};
void wfm_pool_error_save(struct wfm_pool_error *e, int code);
/* Makes the saved error the thread's last error again and returns its code. */
int wfm_pool_error_restore(const struct wfm_pool_error *e);

/*
 * The pool's paths for the repository whose common directory is raw:
 * the canonical common directory, <commondir>/wfmigrate/pool and
 * <commondir>/wfmigrate/pool.mutex. New strings, free() them.
 */
int wfm_pool_paths(char **commondir, char **pooldir, char **mutex_path, const char *raw);

/* <pooldir>/<name>.lock, the claim on a slot. Returns a new string (free()). */
char *wfm_pool_lock_path(const char *pooldir, const char *name);

/*
 * Takes the cross-process pool mutex, a flock() on path (created if
 * need be), waiting for it; *out is the descriptor to give to
 * wfm_pool_flock_drop(), -1 on failure.
 */
int wfm_pool_flock_take(int *out, const char *path);
/* Releases it; nothing for fd -1. */
void wfm_pool_flock_drop(int fd);

/* ---- what is on disk ---- */

enum wfm_entry_state {
	WFM_ENTRY_NONE, /* no <commondir>/worktrees/<name> of ours */
	WFM_ENTRY_OK,	/* registered, working tree present */
	WFM_ENTRY_GONE, /* registered, but the working tree was deleted (prunable) */
	WFM_ENTRY_HALF, /* files missing: a failed or interrupted add */
};

enum wfm_lock_state {
	WFM_LOCK_NONE,
	WFM_LOCK_LIVE,
	WFM_LOCK_STALE, /* the holder died, or the file holds no pid */
};

/* One slot name and what of it is on disk. */
struct wfm_slot_state {
	char *name;
	enum wfm_entry_state entry;
	int has_dir; /* <pooldir>/<name> exists */
	enum wfm_lock_state lock;
	struct wfm_pidlock_owner owner;
	char *reason; /* git worktree lock reason; NULL when not locked */
};

struct wfm_pool_scan {
	struct wfm_slot_state *v; /* sorted by name, wfm-2 before wfm-10 */
	size_t nr, alloc;
};

/*
 * Everything of the pool's on disk: worktree entries, slot directories
 * and lock files. out is initialised here; release it with
 * wfm_pool_scan_release().
 */
int wfm_pool_scan_read(struct wfm_pool_scan *out, const char *commondir, const char *pooldir);
void wfm_pool_scan_release(struct wfm_pool_scan *s);

/* Locked with `git worktree lock` by someone other than the pool. */
int wfm_pool_user_locked(const struct wfm_slot_state *s);

/* How long a claim waits for a dead holder's leftover processes to die. */
#define WFM_POOL_ORPHAN_WAIT_MS 5000
/*
 * Claims slot s->name for this process: ends what a dead holder left
 * running (the processes that carry its mark, base/proc.h), replaces its
 * stale lock file, then creates ours exclusively (WFM_EEXISTS when
 * someone was quicker). Under the pool mutex.
 */
int wfm_pool_claim(const char *pooldir, const struct wfm_slot_state *s);

/*
 * Removes a slot's directory and, if it is the pool's, its worktree
 * entry (an entry of the same name that is not the pool's is the user's).
 * The lock file stays.
 */
int wfm_pool_remove_state(const char *commondir, const char *pooldir,
			  const struct wfm_slot_state *st);

#endif
