#include "base/common.h"
#include "base/buf.h"
#include "base/datadir.h"
#include "base/fs.h"
#include "base/strvec.h"

#ifndef WFM_DATADIR
#define WFM_DATADIR ""
#endif
#ifndef WFM_SOURCE_DIR
#define WFM_SOURCE_DIR ""
#endif
#ifndef WFM_BUILD_DIR
#define WFM_BUILD_DIR ""
#endif

/* The directory of the running binary, symlinks resolved; NULL when unknown. */
static char *self_dir(void)
{
	char *exe = realpath("/proc/self/exe", NULL);
	char *dir = exe ? wfm_fs_dirname(exe) : NULL;

	free(exe);
	return dir;
}

/* Whether path is dir or inside it. */
static int is_inside(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return n && !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

/* Appends to dirs the places to look in, in order (new strings). */
static void data_dirs(struct wfm_strvec *dirs)
{
	const char *env = getenv("WFMIGRATE_DATADIR");
	char *self = self_dir(), *build = NULL;

	if (env && *env)
		wfm_strvec_push(dirs, env);
	if (self) {
		char *up = strrchr(self, '/');
		struct wfm_buf share = WFM_BUF_INIT;

		/* <prefix>/bin/git-wfmigrate: <prefix>/share/git-wfmigrate */
		wfm_buf_add(&share, self, up ? (size_t)(up - self) : 0);
		wfm_buf_adds(&share, "/share/git-wfmigrate");
		wfm_strvec_push_nodup(dirs, wfm_buf_detach(&share, NULL));
		if (*WFM_BUILD_DIR)
			build = realpath(WFM_BUILD_DIR, NULL);
		if (build && *WFM_SOURCE_DIR && is_inside(self, build))
			wfm_strvec_push(dirs, WFM_SOURCE_DIR);
	}
	if (*WFM_DATADIR)
		wfm_strvec_push(dirs, WFM_DATADIR);
	free(build);
	free(self);
}

int wfm_datadir_find(char **out, const char *relpath)
{
	struct wfm_strvec dirs = WFM_STRVEC_INIT;
	struct wfm_buf tried = WFM_BUF_INIT;
	int ret;

	*out = NULL;
	if (!relpath || !*relpath || relpath[0] == '/')
		return wfm_error_setc(WFM_EINVALID, "'%s' is not a relative path",
				      relpath ? relpath : "(null)");
	data_dirs(&dirs);
	for (size_t i = 0; i < dirs.nr; i++) {
		char *path = wfm_fs_join(dirs.v[i], relpath);

		if (wfm_fs_exists(path)) {
			*out = path;
			goto done;
		}
		wfm_buf_addf(&tried, "%s'%s'", tried.len ? ", " : "", path);
		free(path);
	}
	ret = wfm_error_setc(WFM_ENOTFOUND, "cannot find '%s' (looked at %s)", relpath,
			     tried.len ? tried.ptr : "nothing: no data directory is configured");
	wfm_buf_release(&tried);
	wfm_strvec_clear(&dirs);
	return ret;
done:
	wfm_buf_release(&tried);
	wfm_strvec_clear(&dirs);
	return 0;
}
