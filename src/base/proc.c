/*
 * Processes by pid, from /proc (see proc.h). The orphans of a dead
 * process are found by the mark in their environment, signalled through
 * a pidfd opened before the environment is read, so a pid that is reused
 * between the look and the kill is never hit.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/proc.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>

/* an environment is at most a few MiB (ARG_MAX); past this it is not read */
#define ENVIRON_MAX (4 * 1024 * 1024)
#define KILL_POLL_MS 10

int wfm_proc_start_time(unsigned long long *out, pid_t pid)
{
	char path[64], buf[1024], *p, *end;
	unsigned long long start;
	ssize_t n;
	int fd, field;

	*out = 0;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ESRCH)
			return wfm_error_setc(WFM_ENOTFOUND, "no process %ld", (long)pid);
		return wfm_error_set("cannot read '%s': %s", path, strerror(errno));
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return wfm_error_setc(WFM_ENOTFOUND, "no process %ld", (long)pid);
	buf[n] = '\0';
	/* field 2 is the command name in parentheses and may hold spaces and ')' */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return wfm_error_set("cannot parse '%s'", path);
	p += 2;
	if (*p == 'Z' || *p == 'X')
		return wfm_error_setc(WFM_ENOTFOUND, "process %ld has exited", (long)pid);
	/* p is at field 3 (state); the start time is field 22 */
	for (field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return wfm_error_set("cannot parse '%s'", path);
		p++;
	}
	errno = 0;
	start = strtoull(p, &end, 10);
	if (errno || end == p)
		return wfm_error_set("cannot parse '%s'", path);
	*out = start;
	return 0;
}

/*
 * Read from /proc once per process: a lock is created and removed for
 * every slot an agent uses. A forked child sees another pid and reads
 * its own.
 */
int wfm_proc_self_start_time(unsigned long long *out)
{
	static _Atomic pid_t cached_pid;
	static _Atomic unsigned long long cached_start;
	pid_t me = getpid();
	int rc;

	if (atomic_load(&cached_pid) == me) {
		*out = atomic_load(&cached_start);
		return 0;
	}
	if ((rc = wfm_proc_start_time(out, me)) < 0)
		return rc;
	atomic_store(&cached_start, *out);
	atomic_store(&cached_pid, me);
	return 0;
}

static void owner_entry(char *buf, size_t n, pid_t pid, unsigned long long start)
{
	snprintf(buf, n, WFM_PROC_OWNER_VAR "=%ld.%llu", (long)pid, start);
}

const char *wfm_proc_owner_entry(void)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	static char entry[64];
	static pid_t made_for;
	unsigned long long start;
	pid_t me = getpid();

	pthread_mutex_lock(&mu);
	if (made_for != me) {
		if (wfm_proc_self_start_time(&start) == 0)
			owner_entry(entry, sizeof(entry), me, start);
		else
			entry[0] = '\0';
		made_for = me;
	}
	pthread_mutex_unlock(&mu);
	return entry;
}

int wfm_proc_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

static int signal_pidfd(int fd, pid_t pid, int sig)
{
#ifdef SYS_pidfd_send_signal
	if (fd >= 0)
		return (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
#endif
	(void)fd;
	return kill(pid, sig);
}

/* Whether the NUL-separated environment env holds entry exactly. */
static int environ_has(const struct wfm_buf *env, const char *entry)
{
	size_t n = strlen(entry);
	const char *p = env->ptr, *end = env->ptr + env->len;

	while (p < end) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));
		size_t len = nul ? (size_t)(nul - p) : (size_t)(end - p);

		if (len == n && !memcmp(p, entry, n))
			return 1;
		p += len + 1;
	}
	return 0;
}

static int read_environ(struct wfm_buf *out, pid_t pid)
{
	char path[64], chunk[8192];
	ssize_t n;
	int fd;

	wfm_buf_clear(out);
	snprintf(path, sizeof(path), "/proc/%ld/environ", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1; /* gone, or not ours to read */
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 && out->len < ENVIRON_MAX)
		wfm_buf_add(out, chunk, (size_t)n);
	close(fd);
	return n < 0 ? -1 : 0;
}

/* One pass over /proc: signals the marked processes; *found counts them. */
static int kill_marked(unsigned *found, const char *entry)
{
	struct wfm_buf env = WFM_BUF_INIT;
	struct dirent *de;
	pid_t self = getpid();
	DIR *d;

	*found = 0;
	if (!(d = opendir("/proc")))
		return wfm_error_set("cannot read /proc: %s", strerror(errno));
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		int fd;

		if (*end || pid <= 0 || pid == self)
			continue;
		/* the pidfd first: the process read is the process signalled */
		fd = wfm_proc_pidfd((pid_t)pid);
		if (fd < 0 && errno != ENOSYS)
			continue;
		if (read_environ(&env, (pid_t)pid) == 0 && environ_has(&env, entry)) {
			(*found)++;
			signal_pidfd(fd, (pid_t)pid, SIGKILL);
		}
		if (fd >= 0)
			close(fd);
	}
	closedir(d);
	wfm_buf_release(&env);
	return 0;
}

int wfm_proc_kill_orphans(unsigned *killed, pid_t pid, unsigned long long start,
			  unsigned long wait_ms)
{
	char entry[64];
	unsigned long long now;
	unsigned found;
	unsigned long waited = 0;
	int rc;

	*killed = 0;
	if (pid <= 0 || !start)
		return 0;
	if (wfm_proc_start_time(&now, pid) == 0 && now == start)
		return 0; /* alive: not orphans */
	owner_entry(entry, sizeof(entry), pid, start);
	for (;;) {
		if ((rc = kill_marked(&found, entry)) < 0)
			return rc;
		if (!*killed)
			*killed = found;
		if (!found)
			return 0;
		/* killed ones turn into zombies, whose environment reads empty */
		if (waited >= wait_ms)
			return wfm_error_setc(WFM_ETIMEOUT,
					      "%u processes left by pid %ld do not die", found,
					      (long)pid);
		nanosleep(&(struct timespec){ 0, KILL_POLL_MS * 1000000L }, NULL);
		waited += KILL_POLL_MS;
	}
}
