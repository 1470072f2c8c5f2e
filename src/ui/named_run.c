#include "base/common.h"
#include "engine/rundir.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/named_run.h"

int wfm_ui_named_run(struct wfm_rundir **out, const char *name, const char *commondir)
{
	struct wfm_rundir_info *runs = NULL;
	size_t nr = 0;
	int rc;

	*out = NULL;
	if (!name) {
		if ((rc = wfm_rundir_list(&runs, &nr, commondir)) < 0)
			return wfm_ui_error_lib(rc);
		if (!nr) {
			wfm_ui_error("no runs in this repository ('git wfmigrate run' starts one)");
			return WFM_EXIT_FAILURE;
		}
		/* oldest first: the newest is the last */
		rc = wfm_rundir_open(out, commondir, runs[nr - 1].id, 0);
		wfm_rundir_info_free(runs, nr);
	} else {
		rc = wfm_rundir_open(out, commondir, name, 0);
	}
	if (rc < 0)
		return wfm_ui_error_lib(rc);
	return 0;
}
