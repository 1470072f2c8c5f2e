#include "base/common.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/process.h"
#include "base/strvec.h"
#include "exec/job_ledger.h"
#include "exec/leftovers.h"

#include <unistd.h>

char *wfm_exec_run_job_dir(const char *job_dir, const char *run)
{
	return wfm_fs_join(job_dir, run);
}

static int clean_job_dir(struct wfm_exec_leftovers *out, const char *job_dir, const char *run,
			 int dry_run)
{
	char *dir = wfm_exec_run_job_dir(job_dir, run), *ledger = wfm_job_ledger_path(job_dir, run);
	struct wfm_strvec jobs = WFM_STRVEC_INIT;
	int rc = 0;

	if (wfm_fs_is_dir(dir)) {
		wfm_fs_list(&jobs, dir, "");
		for (size_t i = 0; i < jobs.nr; i++)
			out->job_dirs += !strncmp(jobs.v[i], "job.", 4);
		if (!dry_run)
			rc = wfm_fs_rmtree(dir);
	}
	if (!dry_run && rc == 0 && unlink(ledger) < 0 && errno != ENOENT)
		rc = wfm_error_set("cannot remove '%s': %s", ledger, strerror(errno));
	wfm_strvec_clear(&jobs);
	free(ledger);
	free(dir);
	return rc;
}

/* git with argv from repo_path; its stdout in r, WFM_ERROR with its words when it fails. */
static int git(struct wfm_process_result *r, const char *const *argv, const char *what)
{
	struct wfm_process_opts po = WFM_PROCESS_OPTS_INIT;
	int rc;

	po.argv = argv;
	po.flags = WFM_PROCESS_SCRUB_GIT;
	po.split_stderr = 1;
	po.output_cap = 16 * 1024 * 1024;
	po.err_cap = 4096;
	po.timeout_ms = 10 * 60 * 1000;
	rc = wfm_process_run(r, &po);
	if (rc == 0 && r->exit_code != 0) {
		wfm_buf_rtrim(&r->err);
		rc = wfm_error_set("%s: %s", what, r->err.len ? r->err.ptr : "git failed");
	}
	return rc;
}

/* The refs of run on remote, as ":<ref>" refspecs that delete them. */
static int remote_refs(struct wfm_strvec *out, const char *repo_path, const char *run,
		       const char *remote)
{
	struct wfm_process_result r = WFM_PROCESS_RESULT_INIT;
	struct wfm_buf pattern = WFM_BUF_INIT, what = WFM_BUF_INIT, spec = WFM_BUF_INIT;
	const char *argv[] = { "git", "-C", repo_path, "ls-remote", "--refs", remote, NULL, NULL };
	int rc;

	wfm_buf_addf(&pattern, "refs/wfmigrate/%s/*", run);
	argv[6] = pattern.ptr;
	wfm_buf_addf(&what, "cannot list the refs of run %s on the remote '%s'", run, remote);
	rc = git(&r, argv, what.ptr);
	for (char *line = r.output.ptr; rc == 0 && line && *line;) {
		char *nl = strchr(line, '\n'), *tab = strchr(line, '\t');

		if (nl)
			*nl = '\0';
		if (tab && !strncmp(tab + 1, "refs/wfmigrate/", 15)) {
			wfm_buf_clear(&spec);
			wfm_buf_addf(&spec, ":%s", tab + 1);
			wfm_strvec_push(out, spec.ptr);
		}
		line = nl ? nl + 1 : NULL;
	}
	wfm_process_result_release(&r);
	wfm_buf_release(&pattern);
	wfm_buf_release(&what);
	wfm_buf_release(&spec);
	return rc;
}

static int clean_remote(struct wfm_exec_leftovers *out, const char *repo_path, const char *run,
			const char *remote, int dry_run)
{
	struct wfm_strvec specs = WFM_STRVEC_INIT, argv = WFM_STRVEC_INIT;
	struct wfm_process_result r = WFM_PROCESS_RESULT_INIT;
	struct wfm_buf what = WFM_BUF_INIT;
	int rc = remote_refs(&specs, repo_path, run, remote);

	out->remote_refs += specs.nr;
	if (rc < 0 || dry_run || !specs.nr)
		goto done;
	{
		const char *head[] = {
			"git", "-C", repo_path, "push", "-q", "--no-verify", remote
		};

		for (size_t i = 0; i < WFM_ARRAY_SIZE(head); i++)
			wfm_strvec_push(&argv, head[i]);
	}
	for (size_t i = 0; i < specs.nr; i++)
		wfm_strvec_push(&argv, specs.v[i]);
	wfm_buf_addf(&what, "cannot delete the refs of run %s on the remote '%s'", run, remote);
	rc = git(&r, (const char *const *)argv.v, what.ptr);
done:
	wfm_process_result_release(&r);
	wfm_strvec_clear(&specs);
	wfm_strvec_clear(&argv);
	wfm_buf_release(&what);
	return rc;
}

int wfm_exec_leftovers_clean(struct wfm_exec_leftovers *out, const char *repo_path, const char *run,
			     const char *job_dir, const char *remote, int dry_run)
{
	int rc = 0, rc2 = 0;

	memset(out, 0, sizeof(*out));
	if (job_dir && *job_dir)
		rc = clean_job_dir(out, job_dir, run, dry_run);
	if (remote && *remote)
		rc2 = clean_remote(out, repo_path, run, remote, dry_run);
	return rc < 0 ? rc : rc2;
}
