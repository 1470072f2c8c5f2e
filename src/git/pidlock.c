#include "base/common.h"
#include "base/proc.h"
#include "git/pidlock.h"

#include <fcntl.h>
#include <signal.h>

int wfm_pidlock_create(const char *path)
{
	unsigned long long start = 0;
	char line[64];
	int fd, len;

	if (wfm_proc_self_start_time(&start) < 0)
		start = 0;
	len = snprintf(line, sizeof(line), "%ld %llu\n", (long)getpid(), start);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		if (errno == EEXIST)
			return wfm_error_setc(WFM_EEXISTS, "'%s' exists", path);
		return wfm_error_set("cannot create '%s': %s", path, strerror(errno));
	}
	if (write(fd, line, (size_t)len) != len) {
		int err = errno;

		close(fd);
		unlink(path);
		return wfm_error_set("cannot write '%s': %s", path, strerror(err));
	}
	if (close(fd) < 0) {
		int err = errno;

		unlink(path);
		return wfm_error_set("cannot write '%s': %s", path, strerror(err));
	}
	return 0;
}

int wfm_pidlock_read(struct wfm_pidlock_owner *out, const char *path)
{
	char buf[128], *end, *p;
	long pid;
	ssize_t n;
	int fd;

	memset(out, 0, sizeof(*out));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return wfm_error_setc(WFM_ENOTFOUND, "no lock file '%s'", path);
		return wfm_error_set("cannot read '%s': %s", path, strerror(errno));
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return wfm_error_set("cannot read '%s': %s", path, strerror(errno));
	buf[n] = '\0';
	errno = 0;
	pid = strtol(buf, &end, 10);
	if (errno || end == buf || pid <= 0 || pid > INT_MAX || (*end && !strchr(" \t\n", *end)))
		return wfm_error_setc(WFM_EINVALID, "'%s' does not hold a pid", path);
	out->pid = (pid_t)pid;
	p = end;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p >= '0' && *p <= '9')
		out->start = strtoull(p, NULL, 10);
	return 0;
}

int wfm_pidlock_alive(const struct wfm_pidlock_owner *owner)
{
	unsigned long long start;
	int rc;

	if (owner->pid <= 0)
		return 0;
	rc = wfm_proc_start_time(&start, owner->pid);
	if (rc == WFM_ENOTFOUND)
		return 0;
	if (rc < 0) {
		/* no usable /proc: fall back to the pid alone */
		return kill(owner->pid, 0) == 0 || errno == EPERM;
	}
	return !owner->start || owner->start == start;
}

int wfm_pidlock_is_self(const struct wfm_pidlock_owner *owner)
{
	unsigned long long start;

	if (owner->pid != getpid())
		return 0;
	if (!owner->start || wfm_proc_self_start_time(&start) < 0)
		return 1;
	return owner->start == start;
}

int wfm_pidlock_remove_own(const char *path)
{
	struct wfm_pidlock_owner owner;
	int rc = wfm_pidlock_read(&owner, path);

	if (rc == WFM_ENOTFOUND)
		return 0;
	if (rc < 0 || !wfm_pidlock_is_self(&owner))
		return 0;
	if (unlink(path) < 0 && errno != ENOENT)
		return wfm_error_set("cannot remove '%s': %s", path, strerror(errno));
	return 0;
}
