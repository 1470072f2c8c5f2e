#include "base/common.h"
#include "base/buf.h"
#include "base/json.h"
#include "exec/executor.h"
#include "oracle/series.h"
#include "oracle/test_tally.h"

#include <pthread.h>

struct state {
	struct wfm_oracle_series *s;
	struct wfm_pool *pool;
	const char *commit;
	const struct wfm_oracle_opts *opts;
	const struct wfm_oracle_series_opts *so;
	pthread_mutex_t lock;
	size_t next; /* the next run to start */
	int rc;	     /* the first error */
	char *error; /* its message */
};

static void drop_output(struct wfm_oracle_result *r)
{
	wfm_buf_release(&r->proc.output);
}

/* Under the lock: counts run i, keeps the outputs that matter. */
static void ended(struct state *st, size_t i)
{
	struct wfm_oracle_series *s = st->s;
	struct wfm_oracle_result *r = &s->runs[i];
	long before = s->last;

	s->finished++;
	if (!r->pass) {
		s->failures++;
		if (s->first_failed < 0)
			s->first_failed = (long)i;
	}
	s->last = (long)i;
	if (!st->so->keep_output) {
		if (before >= 0 && before != s->first_failed)
			drop_output(&s->runs[before]);
	}
	if (st->so->done)
		st->so->done(st->so->data, r, i, s->finished, s->nr);
}

static void *worker(void *data)
{
	struct state *st = data;
	struct wfm_strvec env = WFM_STRVEC_INIT;
	struct wfm_buf seed = WFM_BUF_INIT;

	for (;;) {
		struct wfm_oracle_opts opts = *st->opts;
		struct wfm_oracle_result *r;
		size_t i;
		int rc;

		pthread_mutex_lock(&st->lock);
		i = st->next;
		if (i >= st->s->nr || st->rc < 0 || (opts.cancel && *opts.cancel)) {
			pthread_mutex_unlock(&st->lock);
			break;
		}
		st->next++;
		pthread_mutex_unlock(&st->lock);

		r = &st->s->runs[i];
		if (st->so->shuffle) {
			wfm_strvec_clear(&env);
			for (const char *const *e = st->opts->env_set; e && *e; e++)
				wfm_strvec_push(&env, *e);
			wfm_buf_clear(&seed);
			wfm_buf_addf(&seed, "%s=%lu", WFM_SHUFFLE_SEED_ENV, st->so->seed + i);
			wfm_strvec_push(&env, seed.ptr);
			opts.env_set = (const char *const *)env.v;
		}
		wfm_oracle_result_release(r);
		rc = st->so->executor ? wfm_executor_run(st->so->executor, r, st->commit, &opts)
				      : wfm_oracle_run(r, st->pool, st->commit, &opts);
		pthread_mutex_lock(&st->lock);
		if (rc < 0) {
			if (st->rc == 0) {
				st->rc = rc;
				st->error = wfm_strdup(wfm_error_last());
			}
			wfm_oracle_result_release(r);
			memset(r, 0, sizeof(*r));
			wfm_buf_init(&r->proc.output, 0);
			r->proc.exit_code = -1;
			r->proc.cancelled = 1;
			snprintf(r->commit, sizeof(r->commit), "%s", st->commit);
		} else if (!r->proc.cancelled) {
			ended(st, i);
		}
		pthread_mutex_unlock(&st->lock);
	}
	wfm_strvec_clear(&env);
	wfm_buf_release(&seed);
	return NULL;
}

int wfm_oracle_series_run(struct wfm_oracle_series *out, struct wfm_pool *pool, const char *commit,
			  const struct wfm_oracle_opts *opts,
			  const struct wfm_oracle_series_opts *so)
{
	struct state st;
	size_t jobs = so->jobs ? so->jobs : 1, started = 0;
	pthread_t *threads;

	memset(out, 0, sizeof(*out));
	out->first_failed = out->last = -1;
	out->nr = so->runs ? so->runs : 1;
	out->runs = wfm_calloc(out->nr, sizeof(*out->runs));
	for (size_t i = 0; i < out->nr; i++) {
		/* what a run that never starts looks like */
		wfm_buf_init(&out->runs[i].proc.output, 0);
		out->runs[i].proc.cancelled = 1;
		out->runs[i].proc.exit_code = -1;
		snprintf(out->runs[i].commit, sizeof(out->runs[i].commit), "%s", commit);
	}
	if (jobs > out->nr)
		jobs = out->nr;

	memset(&st, 0, sizeof(st));
	st.s = out;
	st.pool = pool;
	st.commit = commit;
	st.opts = opts;
	st.so = so;
	pthread_mutex_init(&st.lock, NULL);
	threads = wfm_calloc(jobs, sizeof(*threads));
	if (jobs == 1) {
		worker(&st);
	} else {
		for (; started < jobs; started++)
			if (pthread_create(&threads[started], NULL, worker, &st))
				break;
		if (!started)
			worker(&st); /* no thread to be had: this one does them all */
		for (size_t i = 0; i < started; i++)
			pthread_join(threads[i], NULL);
	}
	free(threads);
	pthread_mutex_destroy(&st.lock);
	if (st.rc < 0) {
		wfm_error_setc(st.rc, "%s", st.error);
		free(st.error);
		return st.rc;
	}
	return 0;
}

void wfm_oracle_series_release(struct wfm_oracle_series *s)
{
	for (size_t i = 0; s->runs && i < s->nr; i++)
		wfm_oracle_result_release(&s->runs[i]);
	free(s->runs);
	memset(s, 0, sizeof(*s));
	s->first_failed = s->last = -1;
}

cJSON *wfm_oracle_series_json(const struct wfm_oracle_series *s, const char *ref,
			      const char *command)
{
	long shown = s->first_failed >= 0 ? s->first_failed : s->last;
	struct wfm_test_tally tally = WFM_TEST_TALLY_INIT;
	cJSON *obj;

	if (shown < 0)
		shown = 0; /* nothing ran: the first (cancelled) run */
	obj = wfm_oracle_result_to_json(&s->runs[shown], ref, command);
	cJSON_ReplaceItemInObjectCaseSensitive(
		obj, "pass", cJSON_CreateBool(s->finished == s->nr && !s->failures));
	wfm_json_add_num(obj, "runs", (double)s->finished);
	wfm_json_add_num(obj, "failures", (double)s->failures);
	wfm_test_tally_build(&tally, s->runs, s->nr, NULL);
	if (tally.nr)
		wfm_json_add(obj, "tests", wfm_test_tally_json(&tally));
	wfm_test_tally_release(&tally);
	return obj;
}
