/*
 * The ledger of a run's jobs (exec/job_ledger.h): what a dead engine's
 * successor cancels.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/fs.h"
#include "exec/job_ledger.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

void wfm_job_ledger_release(struct wfm_job_ledger *l)
{
	wfm_strvec_clear(&l->ids);
	wfm_strvec_clear(&l->dirs);
}

char *wfm_job_ledger_path(const char *job_dir, const char *run)
{
	struct wfm_buf b = WFM_BUF_INIT;

	wfm_buf_addf(&b, "%s/%s.jobs", job_dir, run);
	return wfm_buf_detach(&b, NULL);
}

/*
 * Opens path with flags and takes its flock. The file may have been
 * removed (forget) between the open and the lock: then it is opened
 * again, so nothing is ever written to a file no longer there. *fd is -1
 * and the result WFM_ENOTFOUND when it does not exist (without O_CREAT).
 */
static int lock_open(int *fd, const char *path, int flags)
{
	for (;;) {
		struct stat a, b;

		*fd = open(path, flags | O_CLOEXEC, 0644);
		if (*fd < 0)
			return wfm_error_setc(errno == ENOENT ? WFM_ENOTFOUND : WFM_ERROR,
					      "cannot open '%s': %s", path, strerror(errno));
		while (flock(*fd, LOCK_EX) < 0) {
			if (errno == EINTR)
				continue;
			close(*fd);
			*fd = -1;
			return wfm_error_set("cannot lock '%s': %s", path, strerror(errno));
		}
		if (fstat(*fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino)
			return 0;
		close(*fd);
		*fd = -1;
	}
}

static int valid_field(const char *s, int spaces)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s == '\n' || *s == '\r' || (!spaces && (*s == ' ' || *s == '\t')))
			return 0;
	return 1;
}

int wfm_job_ledger_add(const char *path, const char *id, const char *dir)
{
	struct wfm_buf line = WFM_BUF_INIT;
	struct stat st;
	char last;
	int fd = -1, rc;

	if (!valid_field(id, 0) || !valid_field(dir, 1))
		return wfm_error_setc(WFM_EINVALID, "a job ledger cannot hold job '%s' in '%s'", id,
				      dir);
	rc = lock_open(&fd, path, O_RDWR | O_APPEND | O_CREAT);
	if (rc < 0)
		goto done;
	/* a crash mid-write left a torn last line: end it, or ours would join it */
	if (fstat(fd, &st) == 0 && st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) == 1 &&
	    last != '\n')
		wfm_buf_addch(&line, '\n');
	/* one write: a crash leaves at worst a torn last line, which read skips */
	wfm_buf_addf(&line, "%s %s\n", id, dir);
	rc = wfm_fs_write_all(fd, line.ptr, line.len);
	if (rc < 0)
		rc = wfm_error_set("cannot write '%s': %s", path, strerror(errno));
done:
	if (fd >= 0)
		close(fd); /* releases the flock */
	wfm_buf_release(&line);
	return rc;
}

/* The lines of text into out (a torn or bad line left out). */
static void parse(struct wfm_job_ledger *out, char *text)
{
	char *line = text, *nl;

	/* the last line counts only when it ended: a crash may have cut it */
	while ((nl = strchr(line, '\n'))) {
		char *sp;

		*nl = '\0';
		sp = strchr(line, ' ');
		if (sp && sp > line && sp[1]) {
			*sp = '\0';
			if (valid_field(line, 0)) {
				wfm_strvec_push(&out->ids, line);
				wfm_strvec_push(&out->dirs, sp + 1);
			}
		}
		line = nl + 1;
	}
}

/*
 * Opens the ledger at path locked and reads its jobs into out; *fd is the
 * locked file, -1 when there is no ledger (0, with none).
 */
static int load(int *fd, struct wfm_job_ledger *out, const char *path)
{
	struct wfm_buf text = WFM_BUF_INIT;
	int rc;

	/* read-write: over NFS an exclusive flock() is a write lock */
	rc = lock_open(fd, path, O_RDWR);
	if (rc == WFM_ENOTFOUND) {
		wfm_error_clear();
		return 0;
	}
	if (rc == 0 && (rc = wfm_buf_read_fd(&text, *fd, path)) == 0)
		parse(out, text.ptr);
	wfm_buf_release(&text);
	return rc;
}

int wfm_job_ledger_read(struct wfm_job_ledger *out, const char *path)
{
	int fd = -1, rc = load(&fd, out, path);

	if (fd >= 0)
		close(fd);
	return rc;
}

static int listed(const char *const *ids, const char *id)
{
	for (; ids && *ids; ids++)
		if (!strcmp(*ids, id))
			return 1;
	return 0;
}

int wfm_job_ledger_forget(const char *path, const char *const *ids)
{
	struct wfm_job_ledger l = WFM_JOB_LEDGER_INIT;
	struct wfm_buf keep = WFM_BUF_INIT;
	int fd = -1, rc;

	rc = load(&fd, &l, path);
	if (rc < 0 || fd < 0)
		goto done;
	for (size_t i = 0; i < l.ids.nr; i++)
		if (!listed(ids, l.ids.v[i]))
			wfm_buf_addf(&keep, "%s %s\n", l.ids.v[i], l.dirs.v[i]);
	if (!keep.len) {
		/* under the lock: an append waiting for it opens the path again */
		if (unlink(path) < 0 && errno != ENOENT)
			rc = wfm_error_set("cannot remove '%s': %s", path, strerror(errno));
		goto done;
	}
	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0 ||
	    wfm_fs_write_all(fd, keep.ptr, keep.len) < 0)
		rc = wfm_error_set("cannot rewrite '%s': %s", path, strerror(errno));
done:
	if (fd >= 0)
		close(fd);
	wfm_job_ledger_release(&l);
	wfm_buf_release(&keep);
	return rc;
}
