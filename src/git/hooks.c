#include "base/common.h"
#include "git/hooks.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/fs.h"
#include "base/process.h"

void wfm_hook_release(struct wfm_hook *h)
{
	free(h->name);
	free(h->path);
	free(h->chained);
	memset(h, 0, sizeof(*h));
}

/*
 * What is at h->path and h->chained now. Our mark is in the first lines;
 * nothing here touches the thread's error, which may be a caller's.
 */
static void look(struct wfm_hook *h)
{
	char text[4096];
	struct stat st;
	size_t n;
	FILE *f;

	h->state = WFM_HOOK_NONE;
	if (lstat(h->path, &st) == 0) {
		/* a file we cannot read, or a link, is somebody else's */
		h->state = WFM_HOOK_FOREIGN;
		if (S_ISREG(st.st_mode) && (f = fopen(h->path, "rb"))) {
			n = fread(text, 1, sizeof(text) - 1, f);
			text[n] = '\0';
			fclose(f);
			if (strstr(text, WFM_HOOK_MARK))
				h->state = WFM_HOOK_OURS;
		}
	}
	h->has_chained = lstat(h->chained, &st) == 0;
}

int wfm_hook_find(struct wfm_hook *out, struct wfm_repo *repo, const char *name)
{
	const char *dir = wfm_repo_workdir(repo) ? wfm_repo_workdir(repo) : wfm_repo_gitdir(repo);
	struct wfm_process_opts po = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r = WFM_PROCESS_RESULT_INIT;
	struct wfm_buf arg = WFM_BUF_INIT;
	const char *argv[] = { "git", "rev-parse", "--git-path", NULL, NULL };
	int rc;

	memset(out, 0, sizeof(*out));
	out->name = wfm_strdup(name);
	wfm_buf_addf(&arg, "hooks/%s", name);
	argv[3] = arg.ptr;
	po.argv = argv;
	po.cwd = dir;
	/* the repository is the one around dir, whatever a hook's GIT_DIR says */
	po.flags = WFM_PROCESS_SCRUB_GIT;
	po.split_stderr = 1;
	if ((rc = wfm_process_run(&r, &po)) < 0)
		goto done;
	wfm_buf_rtrim(&r.output);
	if (r.exit_code != 0 || !r.output.len || strchr(r.output.ptr, '\n')) {
		wfm_buf_rtrim(&r.err);
		rc = wfm_error_set("cannot find where git looks for the %s hook: 'git rev-parse "
				   "--git-path %s' in '%s' exited %d%s%s",
				   name, arg.ptr, dir, r.exit_code, r.err.len ? ": " : "",
				   r.err.ptr);
		goto done;
	}
	out->path =
		r.output.ptr[0] == '/' ? wfm_strdup(r.output.ptr) : wfm_fs_join(dir, r.output.ptr);
	out->chained = wfm_malloc(strlen(out->path) + sizeof(WFM_HOOK_CHAINED_SUFFIX));
	memcpy(out->chained, out->path, strlen(out->path));
	memcpy(out->chained + strlen(out->path), WFM_HOOK_CHAINED_SUFFIX,
	       sizeof(WFM_HOOK_CHAINED_SUFFIX));
	look(out);
done:
	wfm_process_result_release(&r);
	wfm_buf_release(&arg);
	return rc;
}

/* script to path, whole or not at all: a temporary file renamed over it */
static int write_script(const char *path, const char *script, size_t len)
{
	struct wfm_buf tmp = WFM_BUF_INIT;
	int fd, rc = 0;

	wfm_buf_addf(&tmp, "%s.wfmigrate-new", path);
	unlink(tmp.ptr);
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	if (fd < 0) {
		rc = wfm_error_set("cannot write '%s': %s", tmp.ptr, strerror(errno));
		goto done;
	}
	/* executable whatever the umask: git skips a hook it cannot run */
	if (wfm_fs_write_all(fd, script, len) < 0 || fchmod(fd, 0755) < 0 || close(fd) < 0) {
		int e = errno;

		close(fd);
		unlink(tmp.ptr);
		rc = wfm_error_set("cannot write '%s': %s", tmp.ptr, strerror(e));
		goto done;
	}
	if (rename(tmp.ptr, path) < 0) {
		rc = wfm_error_set("cannot rename '%s' to '%s': %s", tmp.ptr, path,
				   strerror(errno));
		unlink(tmp.ptr);
	}
done:
	wfm_buf_release(&tmp);
	return rc;
}

int wfm_hook_install(struct wfm_hook *h, const char *script, size_t len)
{
	char *dir = wfm_fs_dirname(h->path);
	int moved = 0, rc;

	look(h);
	if (h->state == WFM_HOOK_FOREIGN && h->has_chained) {
		rc = wfm_error_setc(WFM_EEXISTS,
				    "cannot keep the %s hook '%s': '%s' is there already; move "
				    "one of them away",
				    h->name, h->path, h->chained);
		goto done;
	}
	if ((rc = wfm_fs_mkdir_p(dir)) < 0)
		goto done;
	if (h->state == WFM_HOOK_FOREIGN) {
		if (rename(h->path, h->chained) < 0) {
			rc = wfm_error_set("cannot rename '%s' to '%s': %s", h->path, h->chained,
					   strerror(errno));
			goto done;
		}
		moved = 1;
	}
	if ((rc = write_script(h->path, script, len)) < 0 && moved &&
	    rename(h->chained, h->path) < 0)
		rc = wfm_error_set("%s; and cannot rename '%s' back to '%s': %s", wfm_error_last(),
				   h->chained, h->path, strerror(errno));
done:
	look(h);
	free(dir);
	return rc;
}

int wfm_hook_uninstall(struct wfm_hook *h)
{
	int rc = 0;

	look(h);
	if (h->state == WFM_HOOK_NONE)
		return wfm_error_setc(WFM_ENOTFOUND, "no %s hook at '%s': nothing to uninstall",
				      h->name, h->path);
	if (h->state == WFM_HOOK_FOREIGN)
		return wfm_error_setc(WFM_ECONFLICT,
				      "the %s hook '%s' was not installed by git wfmigrate: left "
				      "as it is",
				      h->name, h->path);
	if (h->has_chained) {
		/* over ours in one step: there is always a hook there */
		if (rename(h->chained, h->path) < 0)
			rc = wfm_error_set("cannot rename '%s' to '%s': %s", h->chained, h->path,
					   strerror(errno));
	} else if (unlink(h->path) < 0) {
		rc = wfm_error_set("cannot remove '%s': %s", h->path, strerror(errno));
	}
	look(h);
	return rc;
}
