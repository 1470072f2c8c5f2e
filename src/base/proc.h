#ifndef WFM_BASE_PROC_H
#define WFM_BASE_PROC_H

#include <sys/types.h>

/*
 * Processes by pid, from /proc: who a pid is (its start time tells it
 * from an unrelated process that got the same pid later), the mark every
 * child of ours carries, and the end of what a dead process left running.
 *
 * wfm_process_run() puts WFM_OWNER=<pid>.<start> of the calling process
 * in every child's environment, and the children's children inherit it.
 * Children run in process groups of their own, so a SIGKILL of their
 * parent (or of its group) leaves them running, still writing into the
 * worktree they were given; once the parent is known dead, the pool ends
 * them by that mark before anyone else gets the worktree.
 */

#define WFM_PROC_OWNER_VAR "WFM_OWNER"

/*
 * The start time of process pid in clock ticks since boot, field 22 of
 * /proc/<pid>/stat. WFM_ENOTFOUND when there is no such process, or it
 * is a zombie.
 */
int wfm_proc_start_time(unsigned long long *out, pid_t pid);

/* The calling process's start time (read once per process). */
int wfm_proc_self_start_time(unsigned long long *out);

/*
 * "WFM_OWNER=<pid>.<start>" for the calling process, the entry
 * wfm_process_run() adds to every child's environment. Borrowed: valid
 * until the process forks; "" when /proc cannot tell the start time.
 */
const char *wfm_proc_owner_entry(void);

/*
 * A pidfd for pid (pidfd_open(2): readable once the process has exited,
 * close-on-exec; close() it), or -1 with errno set, ENOSYS where the
 * kernel or the C library has none: poll instead.
 */
int wfm_proc_pidfd(pid_t pid);

/*
 * Kills (SIGKILL) every process whose environment holds the mark of
 * owner pid with start time start, and waits up to wait_ms for them to
 * be gone. Only for an owner that is dead: nothing is done when pid is
 * running with that start time (its children are its business), nor for
 * start 0. Sees the processes this user may read (as root: all).
 * *killed is the number of processes signalled. WFM_ETIMEOUT when some
 * are still there after wait_ms.
 */
int wfm_proc_kill_orphans(unsigned *killed, pid_t pid, unsigned long long start,
			  unsigned long wait_ms);

#endif
