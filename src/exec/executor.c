/*
 * The executor table and what every backend shares: the job calls and
 * one whole run (docs/executors.md).
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/process.h"
#include "exec/executor.h"

#include <time.h>

/* the order is the order of the names in messages */
static const struct wfm_executor_ops *const executors[] = {
	&wfm_exec_local_ops,
	&wfm_exec_slurm_ops,
};

const char *wfm_executor_names(void)
{
	return "local, slurm";
}

static const struct wfm_executor_ops *find(const char *name)
{
	for (size_t i = 0; i < WFM_ARRAY_SIZE(executors); i++)
		if (!strcmp(executors[i]->name, name))
			return executors[i];
	return NULL;
}

int wfm_executor_known(const char *name)
{
	return name && find(name) != NULL;
}

int wfm_executor_open(struct wfm_executor **out, const struct wfm_executor_opts *opts)
{
	const char *name = opts->name && *opts->name ? opts->name : "local";
	const struct wfm_executor_ops *ops = find(name);
	int rc;

	*out = NULL;
	if (!ops)
		return wfm_error_setc(WFM_EINVALID, "unknown executor '%s' (known: %s)", name,
				      wfm_executor_names());
	rc = ops->open(out, opts);
	if (rc < 0)
		return rc;
	(*out)->ops = ops;
	(*out)->poll_ms = opts->poll_ms ? opts->poll_ms : WFM_EXEC_POLL_MS_DEFAULT;
	(*out)->retries = opts->retries;
	(*out)->lost = opts->lost;
	(*out)->lost_data = opts->lost_data;
	return 0;
}

void wfm_executor_free(struct wfm_executor *ex)
{
	if (ex)
		ex->ops->free(ex);
}

const char *wfm_executor_name(const struct wfm_executor *ex)
{
	return ex->ops->name;
}

unsigned long wfm_executor_orphans(const struct wfm_executor *ex)
{
	return ex ? ex->orphans : 0;
}

int wfm_exec_submit(struct wfm_executor *ex, struct wfm_exec_job **out,
		    const struct wfm_exec_spec *spec)
{
	*out = NULL;
	if (!spec->commit || !*spec->commit || !spec->command || !*spec->command)
		return wfm_error_setc(WFM_EINVALID, "a job needs a commit and a command");
	if (!spec->oracle && !ex->ops->collect_output)
		return wfm_error_setc(WFM_EINVALID, "the %s executor runs only the oracle",
				      ex->ops->name);
	return ex->ops->submit(ex, out, spec);
}

int wfm_exec_poll(struct wfm_executor *ex, struct wfm_exec_job *job, struct wfm_exec_status *out)
{
	memset(out, 0, sizeof(*out));
	return ex->ops->poll(ex, job, out);
}

int wfm_exec_cancel(struct wfm_executor *ex, struct wfm_exec_job *job)
{
	return ex->ops->cancel(ex, job);
}

int wfm_exec_collect(struct wfm_executor *ex, struct wfm_exec_job *job,
		     struct wfm_oracle_result *out)
{
	return ex->ops->collect(ex, job, out);
}

void wfm_exec_output_init(struct wfm_exec_output *out)
{
	struct wfm_process_result empty = WFM_PROCESS_RESULT_INIT;

	memset(out, 0, sizeof(*out));
	out->proc = empty;
}

void wfm_exec_output_release(struct wfm_exec_output *out)
{
	if (out->work_ref && out->repo_path) {
		const char *argv[] = { "git",	      "-C", out->repo_path, "update-ref", "-d",
				       out->work_ref, NULL };
		struct wfm_process_opts po = WFM_PROCESS_OPTS_INIT;
		struct wfm_process_result r = WFM_PROCESS_RESULT_INIT;

		po.argv = argv;
		po.flags = WFM_PROCESS_SCRUB_GIT;
		/* best effort: a ref left behind is clean's to remove */
		wfm_process_run(&r, &po);
		wfm_process_result_release(&r);
	}
	wfm_process_result_release(&out->proc);
	free(out->dir);
	free(out->work_ref);
	wfm_exec_output_init(out);
}

int wfm_exec_collect_output(struct wfm_executor *ex, struct wfm_exec_job *job,
			    struct wfm_exec_output *out)
{
	wfm_exec_output_init(out);
	if (!ex->ops->collect_output)
		return wfm_error_setc(WFM_EINVALID, "the %s executor runs only the oracle",
				      ex->ops->name);
	return ex->ops->collect_output(ex, job, out);
}

int wfm_executor_runs_commands(const struct wfm_executor *ex)
{
	return ex && ex->ops->collect_output != NULL;
}

void wfm_exec_job_free(struct wfm_executor *ex, struct wfm_exec_job *job)
{
	if (job)
		ex->ops->job_free(ex, job);
}

static void sleep_ms(unsigned long ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Waits for job to end, or cancels it when *cancel is set; status is how it ended. */
static int wait_job(struct wfm_executor *ex, struct wfm_exec_job *job,
		    const volatile sig_atomic_t *cancel, struct wfm_exec_status *status,
		    int *cancelled)
{
	int rc;

	*cancelled = 0;
	for (;;) {
		if (cancel && *cancel) {
			*cancelled = 1;
			return wfm_exec_cancel(ex, job);
		}
		rc = wfm_exec_poll(ex, job, status);
		if (rc < 0)
			return rc;
		if (status->state == WFM_EXEC_DONE || status->state == WFM_EXEC_LOST)
			return 0;
		sleep_ms(ex->poll_ms);
	}
}

/*
 * Submits spec and waits for its job to end, submitting it again while it
 * is lost (up to ex->retries times). *out is the job to collect (also a
 * cancelled one), NULL on error (the job cancelled: none is left running
 * unseen).
 */
static int run_job(struct wfm_executor *ex, struct wfm_exec_job **out,
		   struct wfm_exec_where *lost_w, const struct wfm_exec_spec *spec,
		   const volatile sig_atomic_t *cancel)
{
	struct wfm_exec_status status;
	struct wfm_buf lost = WFM_BUF_INIT;
	const char *what = spec->oracle ? "oracle" : spec->label ? spec->label : "command";
	unsigned long tries = 0;
	int rc = 0, cancelled = 0;

	*out = NULL;
	for (;;) {
		struct wfm_exec_job *job = NULL;

		rc = wfm_exec_submit(ex, &job, spec);
		if (rc < 0)
			break;
		rc = wait_job(ex, job, cancel, &status, &cancelled);
		if (rc == 0 && !cancelled && status.state == WFM_EXEC_LOST) {
			wfm_buf_addf(&lost, "%s%s", lost.len ? ", " : "", status.detail);
			wfm_exec_job_free(ex, job);
			tries++;
			if (ex->lost)
				ex->lost(ex->lost_data, what, spec->commit, status.detail, tries,
					 tries <= ex->retries);
			if (tries <= ex->retries)
				continue;
			rc = wfm_error_set("%s job lost %lu time%s (%s)", what, tries,
					   tries == 1 ? "" : "s", lost.ptr);
			break;
		}
		if (rc == 0) {
			*out = job;
			lost_w->lost = tries;
			snprintf(lost_w->lost_states, sizeof(lost_w->lost_states), "%s",
				 lost.len ? lost.ptr : "");
		} else {
			/* we lose track of it: it must not run on unseen */
			char *first = wfm_strdup(wfm_error_last());

			if (!cancelled)
				wfm_exec_cancel(ex, job);
			wfm_error_setc(rc, "%s", first);
			free(first);
			wfm_exec_job_free(ex, job);
		}
		break;
	}
	wfm_buf_release(&lost);
	return rc;
}

/* The lost jobs before this one, into where it ran (a run here has none). */
static void add_lost(struct wfm_exec_where *w, const struct wfm_exec_where *lost)
{
	if (!w->executor[0])
		return;
	w->lost = lost->lost;
	memcpy(w->lost_states, lost->lost_states, sizeof(w->lost_states));
}

int wfm_executor_run(struct wfm_executor *ex, struct wfm_oracle_result *out, const char *commit,
		     const struct wfm_oracle_opts *opts)
{
	struct wfm_exec_spec spec = { 0 };
	struct wfm_exec_job *job = NULL;
	struct wfm_exec_where lost = { 0 };
	int rc;

	if (ex->ops->run)
		return ex->ops->run(ex, out, commit, opts);
	wfm_oracle_result_init(out, opts);
	if (!opts->command || !*opts->command)
		return wfm_error_setc(WFM_EINVALID, "no oracle command given");
	if (opts->cancel && *opts->cancel) {
		out->proc.cancelled = 1;
		return 0;
	}
	spec.commit = commit;
	spec.command = opts->command;
	spec.timeout_sec = opts->timeout_sec;
	spec.env_set = opts->env_set;
	spec.output_cap = opts->output_cap;
	spec.oracle = opts;
	spec.label = "oracle";
	rc = run_job(ex, &job, &lost, &spec, opts->cancel);
	if (rc < 0)
		return rc;
	wfm_oracle_result_release(out);
	rc = wfm_exec_collect(ex, job, out);
	add_lost(&out->where, &lost);
	wfm_exec_job_free(ex, job);
	return rc;
}

int wfm_executor_run_command(struct wfm_executor *ex, struct wfm_exec_output *out,
			     const struct wfm_exec_spec *spec, const volatile sig_atomic_t *cancel)
{
	struct wfm_exec_job *job = NULL;
	struct wfm_exec_where lost = { 0 };
	int rc;

	wfm_exec_output_init(out);
	if (cancel && *cancel) {
		out->proc.cancelled = 1;
		return 0;
	}
	rc = run_job(ex, &job, &lost, spec, cancel);
	if (rc < 0)
		return rc;
	rc = wfm_exec_collect_output(ex, job, out);
	add_lost(&out->where, &lost);
	wfm_exec_job_free(ex, job);
	return rc;
}
