/*
 * The local executor: oracle runs in the worktree pool of this machine,
 * as git wfmigrate has always made them (wfm_oracle_run()). A whole run
 * is that call; a submitted job is that call on a thread of its own, so
 * that the job calls behave here as they do on a cluster.
 */
#include "base/common.h"
#include "base/strvec.h"
#include "exec/executor.h"
#include "git/pool.h"

#include <pthread.h>

struct local {
	struct wfm_executor base;
	struct wfm_pool *pool;
};

struct wfm_exec_job {
	struct local *ex;
	pthread_t thread;
	pthread_mutex_t mu;
	int done; /* under mu */
	int joined;
	volatile sig_atomic_t cancel;
	char commit[WFM_OID_HEXSZ + 1];
	char *command;
	struct wfm_strvec env, known;
	struct wfm_oracle_opts opts;
	struct wfm_oracle_result r;
	int rc;
	char *error;
};

static int local_open(struct wfm_executor **out, const struct wfm_executor_opts *opts)
{
	struct local *l;

	if (!opts->pool)
		return wfm_error_setc(WFM_EINVALID, "the local executor needs a worktree pool");
	l = wfm_calloc(1, sizeof(*l));
	l->pool = opts->pool;
	*out = &l->base;
	return 0;
}

static int local_run(struct wfm_executor *ex, struct wfm_oracle_result *out, const char *commit,
		     const struct wfm_oracle_opts *opts)
{
	return wfm_oracle_run(out, ((struct local *)ex)->pool, commit, opts);
}

static void *job_main(void *data)
{
	struct wfm_exec_job *job = data;
	int rc = wfm_oracle_run(&job->r, job->ex->pool, job->commit, &job->opts);

	pthread_mutex_lock(&job->mu);
	job->rc = rc;
	if (rc < 0)
		job->error = wfm_strdup(wfm_error_last());
	job->done = 1;
	pthread_mutex_unlock(&job->mu);
	return NULL;
}

static const char *const *copy_list(struct wfm_strvec *to, const char *const *from)
{
	if (!from)
		return NULL;
	for (; *from; from++)
		wfm_strvec_push(to, *from);
	return (const char *const *)to->v;
}

static int local_submit(struct wfm_executor *ex, struct wfm_exec_job **out,
			const struct wfm_exec_spec *spec)
{
	struct wfm_exec_job *job = wfm_calloc(1, sizeof(*job));
	int err;

	job->ex = (struct local *)ex;
	pthread_mutex_init(&job->mu, NULL);
	snprintf(job->commit, sizeof(job->commit), "%s", spec->commit);
	/* the spec is the caller's; the thread outlives the call */
	job->opts = *spec->oracle;
	job->command = wfm_strdup(spec->oracle->command);
	job->opts.command = job->command;
	job->opts.env_set = copy_list(&job->env, spec->oracle->env_set);
	job->opts.known_failures = copy_list(&job->known, spec->oracle->known_failures);
	job->opts.cancel = &job->cancel;
	wfm_oracle_result_init(&job->r, &job->opts);
	err = pthread_create(&job->thread, NULL, job_main, job);
	if (err) {
		job->joined = 1;
		wfm_exec_job_free(ex, job);
		return wfm_error_set("cannot start a thread: %s", strerror(err));
	}
	*out = job;
	return 0;
}

static int local_poll(struct wfm_executor *ex, struct wfm_exec_job *job,
		      struct wfm_exec_status *out)
{
	(void)ex;
	pthread_mutex_lock(&job->mu);
	out->state = job->done ? WFM_EXEC_DONE : WFM_EXEC_RUNNING;
	pthread_mutex_unlock(&job->mu);
	return 0;
}

static int local_cancel(struct wfm_executor *ex, struct wfm_exec_job *job)
{
	(void)ex;
	job->cancel = 1;
	return 0;
}

static void join(struct wfm_exec_job *job)
{
	if (!job->joined) {
		pthread_join(job->thread, NULL);
		job->joined = 1;
	}
}

static int local_collect(struct wfm_executor *ex, struct wfm_exec_job *job,
			 struct wfm_oracle_result *out)
{
	(void)ex;
	join(job);
	/* the result moves to the caller */
	*out = job->r;
	wfm_oracle_result_init(&job->r, &job->opts);
	if (job->rc < 0)
		return wfm_error_setc(job->rc, "%s", job->error);
	return 0;
}

static void local_job_free(struct wfm_executor *ex, struct wfm_exec_job *job)
{
	(void)ex;
	/* a thread cannot be abandoned with the job's memory: end it */
	if (!job->joined) {
		job->cancel = 1;
		join(job);
	}
	wfm_oracle_result_release(&job->r);
	pthread_mutex_destroy(&job->mu);
	wfm_strvec_clear(&job->env);
	wfm_strvec_clear(&job->known);
	free(job->command);
	free(job->error);
	free(job);
}

static void local_free(struct wfm_executor *ex)
{
	free(ex);
}

const struct wfm_executor_ops wfm_exec_local_ops = {
	.name = "local",
	.open = local_open,
	.run = local_run,
	.submit = local_submit,
	.poll = local_poll,
	.cancel = local_cancel,
	.collect = local_collect,
	.job_free = local_job_free,
	.free = local_free,
};
