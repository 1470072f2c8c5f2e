#include "base/common.h"
#include "base/buf.h"
#include "base/datadir.h"
#include "base/fs.h"

#ifndef WFM_DATADIR
#define WFM_DATADIR ""
#endif
#ifndef WFM_SOURCE_DIR
#define WFM_SOURCE_DIR ""
#endif

int wfm_datadir_find(char **out, const char *relpath)
{
	const char *dirs[] = { getenv("WFMIGRATE_DATADIR"), WFM_DATADIR, WFM_SOURCE_DIR };
	struct wfm_buf tried = WFM_BUF_INIT;
	int ret;

	*out = NULL;
	if (!relpath || !*relpath || relpath[0] == '/')
		return wfm_error_setc(WFM_EINVALID, "'%s' is not a relative path",
				      relpath ? relpath : "(null)");
	for (size_t i = 0; i < WFM_ARRAY_SIZE(dirs); i++) {
		char *path;

		if (!dirs[i] || !*dirs[i])
			continue;
		path = wfm_fs_join(dirs[i], relpath);
		if (wfm_fs_exists(path)) {
			*out = path;
			wfm_buf_release(&tried);
			return 0;
		}
		wfm_buf_addf(&tried, "%s'%s'", tried.len ? ", " : "", path);
		free(path);
	}
	ret = wfm_error_setc(WFM_ENOTFOUND, "cannot find '%s' (looked at %s)", relpath,
			     tried.len ? tried.ptr : "nothing: no data directory is configured");
	wfm_buf_release(&tried);
	return ret;
}
