#include "base/common.h"
#include "base/buf.h"
#include "base/process.h"
#include "exec/remote.h"

char *wfm_remote_ref(const char *run, const char *commit)
{
	struct wfm_buf b = WFM_BUF_INIT;

	wfm_buf_addf(&b, "refs/wfmigrate/%s/commits/%s", run, commit);
	return wfm_buf_detach(&b, NULL);
}

char *wfm_remote_work_ref(const char *run, const char *job)
{
	struct wfm_buf b = WFM_BUF_INIT;

	wfm_buf_addf(&b, "refs/wfmigrate/%s/work/%s", run, job);
	return wfm_buf_detach(&b, NULL);
}

/* git with argv, its output kept for messages; 0 with *ok whether it exited 0. */
static int git(struct wfm_process_result *r, const char *const *argv)
{
	struct wfm_process_opts po = WFM_PROCESS_OPTS_INIT;

	po.argv = argv;
	/* GIT_DIR and the like would point git at another repository */
	po.flags = WFM_PROCESS_SCRUB_GIT;
	po.timeout_ms = 10 * 60 * 1000;
	po.output_cap = 4096;
	return wfm_process_run(r, &po);
}

int wfm_remote_fetch(const char *repo_path, const char *remote, const char *ref)
{
	struct wfm_process_result r;
	struct wfm_buf spec = WFM_BUF_INIT;
	const char *argv[] = {
		"git",	"-C", repo_path, "fetch", "-q", "--no-tags", "--no-write-fetch-head",
		remote, NULL, NULL
	};
	int rc;

	wfm_buf_addf(&spec, "+%s:%s", ref, ref);
	argv[8] = spec.ptr;
	rc = git(&r, argv);
	if (rc == 0 && r.exit_code != 0) {
		wfm_buf_rtrim(&r.output);
		rc = wfm_error_set("cannot fetch %s from the remote '%s'%s%s", ref, remote,
				   r.output.len ? ": " : "", r.output.ptr);
	}
	wfm_process_result_release(&r);
	wfm_buf_release(&spec);
	return rc;
}

int wfm_remote_push(const char *repo_path, const char *remote, const char *commit, const char *ref)
{
	struct wfm_process_result r;
	struct wfm_buf spec = WFM_BUF_INIT;
	const char *argv[] = { "git",	      "-C",   repo_path, "push", "-q",
			       "--no-verify", remote, NULL,	 NULL };
	int rc;

	wfm_buf_addf(&spec, "+%s:%s", commit, ref);
	argv[7] = spec.ptr;
	rc = git(&r, argv);
	if (rc < 0)
		goto done;
	if (r.exit_code != 0) {
		wfm_buf_rtrim(&r.output);
		rc = wfm_error_set("cannot push %.12s to the remote '%s'%s%s", commit, remote,
				   r.output.len ? ": " : "", r.output.ptr);
	}
done:
	wfm_process_result_release(&r);
	wfm_buf_release(&spec);
	return rc;
}
