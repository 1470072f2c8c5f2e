#ifndef WFM_GIT_PIDLOCK_H
#define WFM_GIT_PIDLOCK_H

#include <sys/types.h>

#include "base/proc.h" /* wfm_proc_start_time() */

/*
 * Lock files that name the process holding them, for the worktree pool
 * (and for runs). The file holds one line, "<pid> <start>\n", where start
 * is the process start time in clock ticks since boot (field 22 of
 * /proc/<pid>/stat). A pid alone ("<pid>\n") is accepted too. The start
 * time tells a live holder from an unrelated process that was given the
 * same pid after the holder died.
 *
 * A lock file is created with O_CREAT|O_EXCL, so of two processes that
 * create it at once exactly one succeeds. Removing a stale one and
 * creating it again is not atomic: callers that reclaim stale locks
 * serialise that among themselves (the pool does it under a flock()).
 */
struct wfm_pidlock_owner {
	pid_t pid;
	unsigned long long start; /* 0 when the file did not record it */
};

/*
 * Creates path exclusively, naming the calling process. WFM_EEXISTS when
 * it exists already; other failures leave no file behind.
 */
int wfm_pidlock_create(const char *path);

/*
 * Reads the holder recorded in path. WFM_ENOTFOUND when there is no such
 * file, WFM_EINVALID when it does not hold a pid (a holder that died
 * between creating and writing it, or a file someone else wrote).
 */
int wfm_pidlock_read(struct wfm_pidlock_owner *out, const char *path);

/*
 * 1 when the recorded holder is running (same pid and, if recorded,
 * same start time; zombies count as dead), else 0.
 */
int wfm_pidlock_alive(const struct wfm_pidlock_owner *owner);

/* 1 when owner is the calling process. */
int wfm_pidlock_is_self(const struct wfm_pidlock_owner *owner);

/*
 * Removes path if, and only if, it still names the calling process.
 * 0 also when there is nothing to remove.
 */
int wfm_pidlock_remove_own(const char *path);

#endif
