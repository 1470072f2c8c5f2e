#include "base/common.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/strvec.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

char *wfm_fs_join(const char *dir, const char *name)
{
	struct wfm_buf p = WFM_BUF_INIT;
	size_t len = strlen(dir);

	if (!len)
		return wfm_strdup(name);
	while (*name == '/')
		name++;
	if (!*name)
		return wfm_strdup(dir);
	/* "/" itself keeps its slash */
	while (len > 1 && dir[len - 1] == '/')
		len--;
	wfm_buf_add(&p, dir, len);
	if (dir[len - 1] != '/')
		wfm_buf_addch(&p, '/');
	wfm_buf_adds(&p, name);
	return wfm_buf_detach(&p, NULL);
}

char *wfm_fs_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return wfm_strdup(".");
	if (slash == path)
		return wfm_strdup("/");
	return wfm_strndup(path, (size_t)(slash - path));
}

int wfm_fs_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void wfm_fs_list(struct wfm_strvec *out, const char *dir, const char *suffix)
{
	DIR *d = dir ? opendir(dir) : NULL;
	size_t first = out->nr, n, sn = strlen(suffix);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		n = strlen(e->d_name);
		if (n > sn && e->d_name[0] != '.' && !strcmp(e->d_name + n - sn, suffix))
			wfm_strvec_push(out, e->d_name);
	}
	closedir(d);
	if (out->nr > first)
		qsort(out->v + first, out->nr - first, sizeof(*out->v), by_name);
}

int wfm_fs_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int wfm_fs_mkdir_p(const char *path)
{
	struct wfm_buf p = WFM_BUF_INIT;
	const char *s;
	int rc = 0;

	for (s = *path ? path + 1 : path;; s++) {
		if (*s != '/' && *s)
			continue;
		wfm_buf_clear(&p);
		wfm_buf_add(&p, path, (size_t)(s - path));
		if (mkdir(p.ptr, 0777) < 0) {
			int err = errno;

			/*
			 * EEXIST also for a file. One in the middle makes the next
			 * mkdir() fail; the last must be checked.
			 */
			if (err != EEXIST || (!*s && !wfm_fs_is_dir(p.ptr))) {
				rc = wfm_error_set("cannot create '%s': %s", p.ptr, strerror(err));
				break;
			}
		}
		if (!*s)
			break;
	}
	wfm_buf_release(&p);
	return rc;
}

static int rm_at(int dirfd, const char *name, int depth);

static int rm_children(int fd, const char *name, int depth)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	int rc = 0;

	if (!d) {
		close(fd);
		return wfm_error_set("cannot read directory '%s': %s", name, strerror(errno));
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		rc = rm_at(dirfd(d), de->d_name, depth + 1);
		if (rc < 0)
			break;
	}
	closedir(d);
	return rc;
}

static int rm_at(int dirfd, const char *name, int depth)
{
	struct stat st;
	int fd;

	if (depth > 512)
		return wfm_error_set("cannot remove '%s': too deeply nested", name);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT
			       ? 0
			       : wfm_error_set("cannot stat '%s': %s", name, strerror(errno));
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
			return wfm_error_set("cannot remove '%s': %s", name, strerror(errno));
		return 0;
	}
	/* a directory someone made read-only (a build, a test) must still go */
	if ((st.st_mode & S_IRWXU) != S_IRWXU)
		fchmodat(dirfd, name, st.st_mode | S_IRWXU, 0);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return wfm_error_set("cannot open directory '%s': %s", name, strerror(errno));
	if (rm_children(fd, name, depth) < 0)
		return -1;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return wfm_error_set("cannot remove directory '%s': %s", name, strerror(errno));
	return 0;
}

int wfm_fs_rmtree(const char *path)
{
	char why[512];

	if (rm_at(AT_FDCWD, path, 0) < 0) {
		snprintf(why, sizeof(why), "%s", wfm_error_last());
		return wfm_error_set("cannot remove '%s': %s", path, why);
	}
	return 0;
}

int wfm_fs_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int wfm_fs_write_temp(char **path, const char *prefix, const char *suffix, const void *data,
		      size_t len)
{
	const char *tmp = getenv("TMPDIR");
	struct wfm_buf name = WFM_BUF_INIT;
	int fd, rc = 0;

	*path = NULL;
	if (!tmp || !*tmp)
		tmp = "/tmp";
	wfm_buf_addf(&name, "%s/%sXXXXXX%s", tmp, prefix, suffix);
	if ((fd = mkstemps(name.ptr, (int)strlen(suffix))) < 0) {
		rc = wfm_error_set("cannot create a file in %s: %s", tmp, strerror(errno));
		wfm_buf_release(&name);
		return rc;
	}
	if (wfm_fs_write_all(fd, data, len) < 0)
		rc = wfm_error_set("cannot write '%s': %s", name.ptr, strerror(errno));
	if (close(fd) < 0 && rc == 0)
		rc = wfm_error_set("cannot write '%s': %s", name.ptr, strerror(errno));
	if (rc < 0) {
		unlink(name.ptr);
		wfm_buf_release(&name);
		return rc;
	}
	*path = wfm_buf_detach(&name, NULL);
	return 0;
}
