#include "base/common.h"
#include "base/buf.h"
#include "base/fs.h"
#include "git/repo_priv.h"
#include "git/worktree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

int wfm_read_line(char **out, const char *path)
{
	struct wfm_buf b = WFM_BUF_INIT;
	int rc;

	*out = NULL;
	b.cap = 1 << 16;
	rc = wfm_buf_read_file(&b, path);
	if (rc == WFM_ENOTFOUND)
		rc = wfm_error_setc(WFM_ENOTFOUND, "'%s' does not exist", path);
	if (rc < 0 && rc != WFM_EBUDGET) {
		wfm_buf_release(&b);
		return rc;
	}
	/* a longer file is no line of ours: its start is as good as any */
	wfm_buf_rtrim(&b);
	*out = wfm_buf_detach(&b, NULL);
	return 0;
}

/* Creates path (which must not exist) holding content followed by a newline. */
static int write_new(const char *path, const char *content)
{
	size_t len = strlen(content);
	int fd, ok;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return wfm_error_setc(errno == EEXIST ? WFM_EEXISTS : WFM_ERROR,
				      "cannot create '%s': %s", path, strerror(errno));
	ok = write(fd, content, len) == (ssize_t)len && write(fd, "\n", 1) == 1;
	if (close(fd) < 0)
		ok = 0;
	if (!ok)
		return wfm_error_set("cannot write '%s': %s", path, strerror(errno));
	return 0;
}

int wfm_worktree_add_detached(const char *commondir, const char *name, const char *path,
			      const char *commit, const char *lock_reason)
{
	struct wfm_buf admin = WFM_BUF_INIT, file = WFM_BUF_INIT, text = WFM_BUF_INIT;
	int made_admin = 0, made_path = 0;
	int rc = 0;

	/*
	 * Made first and never removed, so that concurrent adds never race to
	 * create it (libgit2 pitfall 2).
	 */
	wfm_buf_addf(&admin, "%s/worktrees", commondir);
	if (mkdir(admin.ptr, 0777) < 0 && errno != EEXIST) {
		rc = wfm_error_set("cannot create '%s': %s", admin.ptr, strerror(errno));
		goto done;
	}
	wfm_buf_addf(&admin, "/%s", name);
	if (mkdir(admin.ptr, 0777) < 0) {
		rc = wfm_error_setc(errno == EEXIST ? WFM_EEXISTS : WFM_ERROR,
				    "cannot create worktree entry '%s': %s", admin.ptr,
				    strerror(errno));
		goto done;
	}
	made_admin = 1;

	/*
	 * The order follows git's: `locked` first, so that a `git worktree
	 * prune` running meanwhile leaves the entry alone; gitdir next, so the
	 * entry says whose it is from the start; HEAD last of the entry's files.
	 */
	if (lock_reason) {
		wfm_buf_clear(&file);
		wfm_buf_addf(&file, "%s/locked", admin.ptr);
		if ((rc = write_new(file.ptr, lock_reason)) < 0)
			goto done;
	}
	wfm_buf_clear(&file);
	wfm_buf_addf(&file, "%s/gitdir", admin.ptr);
	wfm_buf_addf(&text, "%s/.git", path);
	if ((rc = write_new(file.ptr, text.ptr)) < 0)
		goto done;
	wfm_buf_clear(&file);
	wfm_buf_addf(&file, "%s/commondir", admin.ptr);
	if ((rc = write_new(file.ptr, "../..")) < 0)
		goto done;
	wfm_buf_clear(&file);
	wfm_buf_addf(&file, "%s/HEAD", admin.ptr);
	if ((rc = write_new(file.ptr, commit)) < 0)
		goto done;

	if (mkdir(path, 0777) < 0) {
		rc = wfm_error_setc(errno == EEXIST ? WFM_EEXISTS : WFM_ERROR,
				    "cannot create worktree directory '%s': %s", path,
				    strerror(errno));
		goto done;
	}
	made_path = 1;
	wfm_buf_clear(&file);
	wfm_buf_addf(&file, "%s/.git", path);
	wfm_buf_clear(&text);
	wfm_buf_addf(&text, "gitdir: %s", admin.ptr);
	rc = write_new(file.ptr, text.ptr);

done:
	if (rc < 0) {
		/* never leave a half-made entry behind (libgit2 pitfall 1) */
		if (made_path)
			wfm_fs_rmtree(path);
		if (made_admin)
			wfm_fs_rmtree(admin.ptr);
	}
	wfm_buf_release(&admin);
	wfm_buf_release(&file);
	wfm_buf_release(&text);
	return rc;
}

int wfm_worktree_remove(const char *commondir, const char *name, const char *path)
{
	struct wfm_buf admin = WFM_BUF_INIT;
	int rc = 0;

	/* working tree first, as git does: an interruption leaves a prunable entry */
	if (path && (rc = wfm_fs_rmtree(path)) < 0)
		goto done;
	wfm_buf_addf(&admin, "%s/worktrees/%s", commondir, name);
	rc = wfm_fs_rmtree(admin.ptr);
done:
	wfm_buf_release(&admin);
	return rc;
}

/*
 * `git worktree lock` and `unlock` come down to one file, <entry>/locked,
 * which is what libgit2's git_worktree_lock() and _unlock() write and
 * remove too; doing it here saves opening the entry with
 * git_worktree_lookup() for every slot an agent takes. A missing entry is
 * WFM_ENOTFOUND, as git_worktree_lookup() would say (pitfall 3: it says
 * so without a message of its own in 1.5.1).
 */
static int locked_path(struct wfm_buf *out, struct wfm_repo *repo, const char *name)
{
	wfm_buf_addf(out, "%s/worktrees/%s", repo->commondir, name);
	if (!wfm_fs_is_dir(out->ptr))
		return wfm_error_setc(WFM_ENOTFOUND, "no worktree named '%s'", name);
	wfm_buf_adds(out, "/locked");
	return 0;
}

int wfm_worktree_lock(struct wfm_repo *repo, const char *name, const char *reason)
{
	struct wfm_buf path = WFM_BUF_INIT;
	size_t len = strlen(reason);
	int rc, fd;

	if ((rc = locked_path(&path, repo, name)) < 0)
		goto done;
	if (unlink(path.ptr) < 0 && errno != ENOENT) {
		rc = wfm_error_set("cannot lock worktree '%s': %s", name, strerror(errno));
		goto done;
	}
	/* exclusive, as libgit2 creates it: of two lockers one fails */
	fd = open(path.ptr, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = wfm_error_set("cannot lock worktree '%s': %s", name, strerror(errno));
		goto done;
	}
	if (write(fd, reason, len) != (ssize_t)len) {
		rc = wfm_error_set("cannot lock worktree '%s': %s", name, strerror(errno));
		close(fd);
		unlink(path.ptr);
		goto done;
	}
	if (close(fd) < 0) {
		rc = wfm_error_set("cannot lock worktree '%s': %s", name, strerror(errno));
		unlink(path.ptr);
	}
done:
	wfm_buf_release(&path);
	return rc;
}

int wfm_worktree_unlock(struct wfm_repo *repo, const char *name)
{
	struct wfm_buf path = WFM_BUF_INIT;
	int rc = 0;

	wfm_buf_addf(&path, "%s/worktrees/%s/locked", repo->commondir, name);
	if (unlink(path.ptr) < 0) {
		if (errno != ENOENT)
			rc = wfm_error_set("cannot unlock worktree '%s': %s", name,
					   strerror(errno));
		else if (wfm_buf_setlen(&path, path.len - strlen("/locked")),
			 !wfm_fs_is_dir(path.ptr))
			rc = wfm_error_setc(WFM_ENOTFOUND, "no worktree named '%s'", name);
	}
	wfm_buf_release(&path);
	return rc;
}

int wfm_worktree_lock_reason(char **reason, const char *commondir, const char *name)
{
	struct wfm_buf path = WFM_BUF_INIT;
	int rc;

	wfm_buf_addf(&path, "%s/worktrees/%s/locked", commondir, name);
	rc = wfm_read_line(reason, path.ptr);
	wfm_buf_release(&path);
	if (rc == WFM_ENOTFOUND)
		return 0;
	return rc < 0 ? rc : 1;
}

/* 1 when the file at path is "ref: <refname>" or, bare, "<refname>". */
static int names_ref(const char *path, const char *refname, int bare)
{
	char *line = NULL;
	int hit = 0;

	if (wfm_read_line(&line, path) < 0)
		return 0;
	if (!strncmp(line, "ref:", 4)) {
		const char *p = line + 4;

		while (*p == ' ')
			p++;
		hit = !strcmp(p, refname);
	} else if (bare) {
		hit = !strcmp(line, refname);
	}
	free(line);
	return hit;
}

/* Whether the HEAD in gitdir, or a rebase there, holds refname. */
static int gitdir_holds(const char *gitdir, const char *refname)
{
	struct wfm_buf p = WFM_BUF_INIT;
	int hit;

	wfm_buf_addf(&p, "%s/HEAD", gitdir);
	hit = names_ref(p.ptr, refname, 0);
	wfm_buf_clear(&p);
	wfm_buf_addf(&p, "%s/rebase-merge/head-name", gitdir);
	hit = hit || names_ref(p.ptr, refname, 1);
	wfm_buf_clear(&p);
	wfm_buf_addf(&p, "%s/rebase-apply/head-name", gitdir);
	hit = hit || names_ref(p.ptr, refname, 1);
	wfm_buf_release(&p);
	return hit;
}

int wfm_worktree_find_checkout(char **where, const char *commondir, const char *refname)
{
	struct wfm_buf p = WFM_BUF_INIT;
	struct dirent *de;
	DIR *d;
	int hit = 0;

	*where = NULL;
	if (gitdir_holds(commondir, refname)) {
		size_t len = strlen(commondir);

		if (len > 5 && !strcmp(commondir + len - 5, "/.git"))
			len -= 5;
		*where = wfm_strndup(commondir, len);
		return 1;
	}
	wfm_buf_addf(&p, "%s/worktrees", commondir);
	d = opendir(p.ptr);
	while (d && !hit && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		wfm_buf_clear(&p);
		wfm_buf_addf(&p, "%s/worktrees/%s", commondir, de->d_name);
		if (!gitdir_holds(p.ptr, refname))
			continue;
		hit = 1;
		wfm_buf_adds(&p, "/gitdir");
		if (wfm_read_line(where, p.ptr) < 0) {
			*where = wfm_strdup(de->d_name);
		} else {
			size_t len = strlen(*where);

			if (len > 5 && !strcmp(*where + len - 5, "/.git"))
				(*where)[len - 5] = '\0';
		}
	}
	if (d)
		closedir(d);
	wfm_buf_release(&p);
	return hit;
}
