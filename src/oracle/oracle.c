#include "base/common.h"
#include "base/buf.h"
#include "base/json.h"
#include "git/pool.h"
#include "oracle/excerpt.h"
#include "oracle/oracle.h"

#include <inttypes.h>
#include <time.h>

void wfm_oracle_result_init(struct wfm_oracle_result *out, const struct wfm_oracle_opts *opts)
{
	memset(out, 0, sizeof(*out));
	wfm_buf_init(&out->proc.output, 0);
	out->proc.exit_code = -1;
	out->timeout_sec = opts->timeout_sec;
}

/* Whether results has a failed test and every failed test is in known (NULL-terminated). */
static int only_known_failures(const struct wfm_test_results *results, const char *const *known)
{
	size_t failed = 0;

	if (!known)
		return 0;
	for (size_t i = 0; i < results->nr; i++) {
		const struct wfm_test_result *t = &results->v[i];
		size_t k = 0;

		if (t->outcome != WFM_TEST_FAILED)
			continue;
		while (known[k] && strcmp(known[k], t->name))
			k++;
		if (!known[k])
			return 0;
		failed++;
	}
	return failed > 0;
}

static void finish(struct wfm_oracle_result *out, const char *dir,
		   const struct wfm_oracle_opts *opts, const struct timespec *started)
{
	const struct wfm_process_result *p = &out->proc;

	out->pass = !p->timed_out && !p->cancelled && !p->signal && p->exit_code == 0;
	/* a summary is a bonus: a pattern that hits its match limit just means none */
	if (wfm_summary_parse(&out->summary, p->output.ptr, p->output.len) < 0)
		memset(&out->summary, 0, sizeof(out->summary));
	if ((opts->tests || (opts->known_failures && !out->pass)) && !p->cancelled) {
		wfm_test_results_parse(&out->tests, p->output.ptr, p->output.len);
		if (started)
			wfm_test_results_find_junit(&out->tests, dir, started);
	}
	if (!out->pass && !p->timed_out && !p->cancelled && !p->signal &&
	    only_known_failures(&out->tests, opts->known_failures))
		out->pass = out->excused = 1;
	if (!out->pass && !p->cancelled) {
		struct wfm_excerpt_opts eo = WFM_EXCERPT_OPTS_INIT;

		/* paths in the output name the worktree, which is gone by the time anyone reads
		 * them */
		eo.strip_dir = dir;
		if (wfm_excerpt_pick(&out->excerpt, p->output.ptr, p->output.len, &eo) < 0)
			wfm_strvec_clear(&out->excerpt);
	}
}

void wfm_oracle_result_finish(struct wfm_oracle_result *out, const char *ran_in,
			      const struct wfm_oracle_opts *opts)
{
	finish(out, ran_in, opts, NULL);
}

static int run(struct wfm_oracle_result *out, const char *dir, const struct wfm_oracle_opts *opts)
{
	struct wfm_process_opts po = WFM_PROCESS_OPTS_INIT;
	struct timespec started;
	int rc;

	wfm_test_results_clock(&started);
	po.shell = opts->command;
	po.cwd = dir;
	po.flags = WFM_PROCESS_SCRUB_SECRETS | WFM_PROCESS_SCRUB_GIT;
	po.env_set = opts->env_set;
	po.timeout_ms = opts->timeout_sec > ULONG_MAX / 1000 ? ULONG_MAX : opts->timeout_sec * 1000;
	po.kill_grace_ms = opts->kill_grace_ms;
	po.output_cap = opts->output_cap;
	po.cancel = opts->cancel;
	rc = wfm_process_run(&out->proc, &po);
	if (rc < 0)
		return rc;
	finish(out, dir, opts, &started);
	return 0;
}

static int check_opts(const struct wfm_oracle_opts *opts)
{
	if (!opts->command || !*opts->command)
		return wfm_error_setc(WFM_EINVALID, "no oracle command given");
	return 0;
}

int wfm_oracle_run_in(struct wfm_oracle_result *out, const char *dir,
		      const struct wfm_oracle_opts *opts)
{
	int rc;

	wfm_oracle_result_init(out, opts);
	rc = check_opts(opts);
	if (rc < 0)
		return rc;
	return run(out, dir, opts);
}

int wfm_oracle_run(struct wfm_oracle_result *out, struct wfm_pool *pool, const char *ref,
		   const struct wfm_oracle_opts *opts)
{
	struct wfm_slot *slot = NULL;
	char *first_error = NULL;
	int rc, rel;

	wfm_oracle_result_init(out, opts);
	rc = check_opts(opts);
	if (rc < 0)
		return rc;
	if (opts->cancel && *opts->cancel) {
		out->proc.cancelled = 1;
		return 0;
	}
	rc = wfm_pool_acquire(&slot, pool, ref);
	if (rc < 0)
		return rc;
	snprintf(out->commit, sizeof(out->commit), "%s", wfm_slot_base(slot));
	rc = run(out, wfm_slot_path(slot), opts);
	if (rc < 0)
		first_error = wfm_strdup(wfm_error_last());
	rel = wfm_pool_release(pool, slot);
	if (first_error)
		wfm_error_setc(rc, "%s", first_error);
	else if (rel < 0)
		rc = rel;
	free(first_error);
	return rc;
}

void wfm_oracle_result_release(struct wfm_oracle_result *r)
{
	wfm_process_result_release(&r->proc);
	memset(&r->summary, 0, sizeof(r->summary));
	wfm_strvec_clear(&r->excerpt);
	wfm_test_results_release(&r->tests);
}

void wfm_oracle_describe_end(struct wfm_buf *out, const struct wfm_oracle_result *r)
{
	const struct wfm_process_result *p = &r->proc;
	const char *name;

	if (p->cancelled) {
		wfm_buf_adds(out, "was interrupted");
	} else if (p->timed_out) {
		wfm_buf_addf(out, "timed out after %lus", r->timeout_sec);
	} else if (p->signal) {
		name = wfm_signal_name(p->signal);
		if (name)
			wfm_buf_addf(out, "was killed by %s", name);
		else
			wfm_buf_addf(out, "was killed by signal %d", p->signal);
	} else {
		wfm_buf_addf(out, "exited %d", p->exit_code);
	}
}

cJSON *wfm_oracle_result_to_json(const struct wfm_oracle_result *r, const char *ref,
				 const char *command)
{
	const struct wfm_process_result *p = &r->proc;
	const struct wfm_summary *s = &r->summary;
	cJSON *obj = wfm_json_object();

	wfm_json_add_bool(obj, "pass", r->pass);
	if (p->signal || p->exit_code < 0)
		wfm_json_add_null(obj, "exitCode");
	else
		wfm_json_add_num(obj, "exitCode", p->exit_code);
	if (p->signal) {
		const char *name = wfm_signal_name(p->signal);
		char num[32];

		snprintf(num, sizeof(num), "SIG%d", p->signal);
		wfm_json_add_str(obj, "signal", name ? name : num);
	}
	wfm_json_add_bool(obj, "timedOut", p->timed_out);
	wfm_json_add_bool(obj, "cancelled", p->cancelled);
	wfm_json_add_num(obj, "durationMs", (double)p->duration_ms);
	wfm_exec_where_to_json(obj, &r->where);
	if (s->format != WFM_SUMMARY_NONE) {
		cJSON *sum = wfm_json_object();

		wfm_json_add_num(sum, "passed", s->passed);
		wfm_json_add_num(sum, "failed", s->failed);
		wfm_json_add_num(sum, "skipped", s->skipped);
		wfm_json_add_num(sum, "total", s->total);
		wfm_json_add_str(sum, "format", wfm_summary_format_name(s->format));
		wfm_json_add(obj, "summary", sum);
	}
	{
		cJSON *lines = wfm_json_array();

		for (size_t i = 0; i < r->excerpt.nr; i++)
			wfm_json_add_str(lines, NULL, r->excerpt.v[i]);
		wfm_json_add(obj, "excerpt", lines);
	}
	wfm_json_add_strn(obj, "outputTail", p->output.ptr, p->output.len);
	wfm_json_add_num(obj, "outputBytes", (double)p->output_bytes);
	wfm_json_add_str(obj, "ref", ref ? ref : "");
	wfm_json_add_str(obj, "commit", r->commit);
	wfm_json_add_str(obj, "command", command ? command : "");
	return obj;
}

void wfm_oracle_result_json(struct wfm_buf *out, const struct wfm_oracle_result *r, const char *ref,
			    const char *command)
{
	cJSON *obj = wfm_oracle_result_to_json(r, ref, command);

	wfm_json_print(out, obj);
	cJSON_Delete(obj);
}

void wfm_oracle_runs_json(struct wfm_buf *out, const struct wfm_oracle_result *runs, size_t nr,
			  const char *ref, const char *command)
{
	cJSON *obj = wfm_json_object(), *arr = wfm_json_array();
	size_t passed = 0;

	for (size_t i = 0; i < nr; i++) {
		wfm_json_add(arr, NULL, wfm_oracle_result_to_json(&runs[i], ref, command));
		passed += runs[i].pass ? 1 : 0;
	}
	wfm_json_add(obj, "runs", arr);
	wfm_json_add_num(obj, "passedRuns", (double)passed);
	wfm_json_add_num(obj, "failedRuns", (double)(nr - passed));
	wfm_json_add_bool(obj, "pass", nr && passed == nr);
	wfm_json_add_str(obj, "ref", ref ? ref : "");
	wfm_json_add_str(obj, "commit", nr ? runs[0].commit : "");
	wfm_json_add_str(obj, "command", command ? command : "");
	wfm_json_print(out, obj);
	cJSON_Delete(obj);
}
