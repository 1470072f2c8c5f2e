/*
 * What people see of a run as it happens (docs/engine.md, "Progress"):
 * the progress lines of agents, oracle runs and the merge queue, the
 * status of the moment for a status line, and the same as events in
 * events.jsonl for ps, watch and the figures of a crashed session.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/json.h"
#include "engine/engine_priv.h"
#include "engine/merge_queue.h"
#include "agent/agent.h"
#include "agent/provider.h"
#include "agent/role.h"
#include "engine/rundir.h"
#include "oracle/oracle.h"
#include "oracle/summary.h"

#include <time.h>

/* branches a merge queue line names; the others are counted */
#define NAMES_MAX 3
/* bytes of a refusal's detail on its line */
#define DETAIL_MAX 160

void wfm_engine_say(struct engine *e, const char *line)
{
	if (!e->opts->progress)
		return;
	pthread_mutex_lock(&e->progress_lock);
	e->opts->progress(e->opts->progress_data, line);
	pthread_mutex_unlock(&e->progress_lock);
}

static void say(struct engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct engine *e, const char *fmt, ...)
{
	struct wfm_buf line = WFM_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	wfm_buf_vaddf(&line, fmt, ap);
	va_end(ap);
	wfm_engine_say(e, line.ptr);
	wfm_buf_release(&line);
}

void wfm_engine_event(struct engine *e, cJSON *ev)
{
	/* events are derived and lossy: one that cannot be written is not the run's failure */
	wfm_rundir_event(e->opts->run, ev);
	cJSON_Delete(ev);
}

static cJSON *new_event(const char *type, const char *state)
{
	cJSON *ev = wfm_json_object();

	wfm_json_add_str(ev, "type", type);
	if (state)
		wfm_json_add_str(ev, "state", state);
	return ev;
}

/* "3.2 s", "41 s", "2 min 5 s" */
static void add_duration(struct wfm_buf *b, uint64_t ms)
{
	if (ms < 10000)
		wfm_buf_addf(b, "%.1f s", (double)ms / 1000.0);
	else if (ms < 60000)
		wfm_buf_addf(b, "%lu s", (unsigned long)((ms + 500) / 1000));
	else
		wfm_buf_addf(b, "%lu min %lu s", (unsigned long)(ms / 60000),
			     (unsigned long)(ms % 60000 + 500) / 1000);
}

/* A branch as people call it: without refs/heads/ and the run's wfmigrate/<run>/. */
static const char *short_branch(const struct engine *e, const char *b)
{
	const char *id = e->opts->run->id;
	size_t n = strlen(id);

	if (!strncmp(b, "refs/heads/", 11))
		b += 11;
	if (!strncmp(b, "wfmigrate/", 10) && !strncmp(b + 10, id, n) && b[10 + n] == '/')
		b += 10 + n + 1;
	return b;
}

/* The first line of s, at most max bytes of it (cut on a UTF-8 boundary, "..." added). */
static void add_first_line(struct wfm_buf *b, const char *s, size_t max)
{
	size_t n;

	s += strspn(s, " \t\r\n");
	n = strcspn(s, "\r\n");
	if (n > max) {
		n = max;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		wfm_buf_add(b, s, n);
		wfm_buf_adds(b, "...");
		return;
	}
	wfm_buf_add(b, s, n);
	if (s[n] && s[n + strspn(s + n, " \t\r\n")])
		wfm_buf_adds(b, " ...");
}

/* ---- the run and its agents: events only (engine.c says their lines) ---- */

static void add_num_or_null(cJSON *ev, const char *key, double v, int known)
{
	if (known)
		wfm_json_add_num(ev, key, v);
	else
		wfm_json_add_null(ev, key);
}

void wfm_engine_run_started(struct engine *e)
{
	const struct wfm_run_config *cfg = e->opts->config;
	cJSON *ev = new_event("start", NULL);

	wfm_json_add_str(ev, "base", cfg->base);
	wfm_json_add_num(ev, "pid", (double)getpid());
	wfm_json_add_str(ev, "provider", cfg->provider->name);
	wfm_json_add_num(ev, "concurrency", (double)cfg->concurrency);
	add_num_or_null(ev, "maxTokens", (double)cfg->budget_tokens, cfg->budget_tokens > 0);
	add_num_or_null(ev, "maxUsd", cfg->max_cost, cfg->max_cost > 0);
	wfm_engine_event(e, ev);
}

void wfm_engine_budget_event(struct engine *e)
{
	const struct wfm_run_config *cfg = e->opts->config;
	cJSON *ev = new_event("budget", NULL);

	wfm_json_add_num(ev, "tokens", (double)e->tokens);
	wfm_json_add_num(ev, "costUsd", e->cost_usd);
	add_num_or_null(ev, "maxTokens", (double)cfg->budget_tokens, cfg->budget_tokens > 0);
	add_num_or_null(ev, "maxUsd", cfg->max_cost, cfg->max_cost > 0);
	wfm_json_add_bool(ev, "exhausted", wfm_engine_budget_spent(e));
	wfm_engine_event(e, ev);
}

void wfm_engine_units_event(struct engine *e, const cJSON *units)
{
	cJSON *ev;

	if (!cJSON_IsArray(units))
		return;
	ev = new_event("units", NULL);
	wfm_json_add_num(ev, "count", (double)cJSON_GetArraySize(units));
	wfm_engine_event(e, ev);
}

static cJSON *agent_event(const struct job *job, const char *state)
{
	cJSON *ev = new_event("agent", state);

	wfm_json_add_num(ev, "id", (double)job->id);
	wfm_json_add_str(ev, "label", job->label ? job->label : job->branch ? job->branch : "");
	return ev;
}

void wfm_engine_agent_started(struct engine *e, const struct job *job)
{
	cJSON *ev = agent_event(job, "start");

	if (job->phase)
		wfm_json_add_str(ev, "phase", job->phase);
	if (job->role)
		wfm_json_add_str(ev, "role", job->role->name);
	wfm_json_add_str(ev, "model", job->model ? job->model : e->opts->config->provider->name);
	if (job->unit_id)
		wfm_json_add_str(ev, "unit", job->unit_id);
	wfm_engine_event(e, ev);
}

void wfm_engine_agent_turn(void *data, const struct wfm_agent_result *so_far)
{
	struct job *job = data;
	cJSON *ev = agent_event(job, "progress");

	wfm_json_add_num(ev, "tokens", (double)(so_far->tokens_in + so_far->tokens_out));
	wfm_json_add_num(ev, "costUsd", so_far->cost_usd);
	wfm_json_add_num(ev, "turns", (double)so_far->turns);
	wfm_json_add_num(ev, "toolCalls", (double)so_far->tool_calls);
	wfm_engine_event(job->e, ev);
}

void wfm_engine_agent_ended(struct engine *e, const struct job *job)
{
	cJSON *ev = agent_event(job, "end");

	if (job->budget_refused) {
		/* it made no call: as if it had not started */
		wfm_json_add_bool(ev, "refused", 1);
	} else {
		wfm_json_add_num(ev, "tokens", (double)job->tokens);
		wfm_json_add_num(ev, "costUsd", job->cost_usd);
		wfm_json_add_num(ev, "cacheReadTokens", (double)job->cache_read);
		wfm_json_add_bool(ev, "failed", job->agent_failed || !job->ok);
		wfm_json_add_num(ev, "turns", (double)job->turns);
		wfm_json_add_num(ev, "toolCalls", (double)job->tool_calls);
		wfm_json_add_num(ev, "durationMs", (double)job->duration_ms);
		wfm_exec_where_to_json(ev, &job->where);
		if (job->agent_failed && job->reason)
			wfm_json_add_str(ev, "reason", job->reason);
		else if (!job->ok && job->error)
			wfm_json_add_str(ev, "reason", job->error);
	}
	wfm_engine_event(e, ev);
}

/* ---- the script's oracle() runs ---- */

/* What an oracle() call tests: "impl-a (1a2b3c4)", "the base (1a2b3c4)". */
static void oracle_what(struct wfm_buf *b, const struct engine *e, const struct job *job)
{
	const char *ref = wfm_json_get_str(job->params, "branch", "");

	if (!*ref)
		ref = wfm_json_get_str(job->params, "ref", "");
	wfm_buf_adds(b, *ref ? short_branch(e, ref) : "the base");
	wfm_buf_addf(b, " (%.7s)", job->base);
}

void wfm_engine_oracle_started(struct engine *e, const struct job *job)
{
	struct wfm_buf what = WFM_BUF_INIT;
	cJSON *ev = new_event("oracle", "start");

	oracle_what(&what, e, job);
	say(e, "oracle started on %s", what.ptr);
	wfm_json_add_str(ev, "on", what.ptr);
	wfm_json_add_str(ev, "commit", job->base);
	wfm_engine_event(e, ev);
	wfm_buf_release(&what);
}

/* " (3 passed, 1 failed)" from an oracle result's JSON, or nothing */
static void add_summary(struct wfm_buf *b, const cJSON *v)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(v, "summary");
	double passed = wfm_json_get_num(s, "passed", -1),
	       failed = wfm_json_get_num(s, "failed", -1);

	if (passed >= 0 && failed >= 0)
		wfm_buf_addf(b, " (%.0f passed, %.0f failed)", passed, failed);
}

/* " [slurm job 42 on node1, 0.9 s queued]" for a run made a job, and ranOn in its event. */
static void add_where(struct wfm_buf *line, cJSON *ev, const struct wfm_exec_where *w)
{
	struct wfm_buf where = WFM_BUF_INIT;

	wfm_exec_where_describe(&where, w);
	if (where.len)
		wfm_buf_addf(line, " [%s]", where.ptr);
	wfm_exec_where_to_json(ev, w);
	wfm_buf_release(&where);
}

void wfm_engine_oracle_ended(struct engine *e, const struct job *job)
{
	struct wfm_buf what = WFM_BUF_INIT, line = WFM_BUF_INIT;
	const cJSON *v = job->value;
	double ms = wfm_json_get_num(v, "durationMs", 0);
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(v, "exitCode");
	const cJSON *sig = cJSON_GetObjectItemCaseSensitive(v, "signal");
	int pass = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "pass"));
	cJSON *ev = new_event("oracle", "end");

	oracle_what(&what, e, job);
	wfm_json_add_str(ev, "on", what.ptr);
	wfm_json_add_str(ev, "commit", job->base);
	if (ms < 0)
		ms = 0;
	if (!job->ok) {
		wfm_buf_addf(&line, "oracle could not run on %s: ", what.ptr);
		add_first_line(&line, job->error ? job->error : "unknown error", DETAIL_MAX);
		wfm_json_add_str(ev, "error", job->error ? job->error : "");
	} else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "cancelled"))) {
		wfm_buf_addf(&line, "oracle stopped on %s after ", what.ptr);
		add_duration(&line, (uint64_t)ms);
	} else {
		wfm_buf_addf(&line, "oracle %s on %s in ", pass ? "passed" : "failed", what.ptr);
		add_duration(&line, (uint64_t)ms);
		if (!pass) {
			wfm_buf_adds(&line, ": ");
			if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "timedOut")))
				wfm_buf_adds(&line, "timed out");
			else if (cJSON_IsString(sig))
				wfm_buf_addf(&line, "killed by %s", sig->valuestring);
			else if (cJSON_IsNumber(code))
				wfm_buf_addf(&line, "exited %d", code->valueint);
			else
				wfm_buf_adds(&line, "failed");
		}
		add_summary(&line, v);
	}
	{
		struct wfm_exec_where w;

		wfm_exec_where_from_json(&w, v);
		add_where(&line, ev, &w);
	}
	wfm_engine_say(e, line.ptr);
	wfm_json_add_bool(ev, "pass", job->ok && pass);
	wfm_json_add_num(ev, "durationMs", ms);
	wfm_engine_event(e, ev);
	wfm_buf_release(&what);
	wfm_buf_release(&line);
}

/* ---- the merge queue ---- */

static void add_names(struct wfm_buf *b, const struct engine *e, const char *const *names, size_t n)
{
	for (size_t i = 0; names && i < n && i < NAMES_MAX; i++)
		wfm_buf_addf(b, "%s%s", i ? ", " : ": ", short_branch(e, names[i]));
	if (names && n > NAMES_MAX)
		wfm_buf_addf(b, " and %zu more", n - NAMES_MAX);
}

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* "batch 3: " or "" for the baseline */
static void add_batch(struct wfm_buf *b, const struct wfm_merge_progress *p)
{
	wfm_buf_adds(b, "merge queue: ");
	if (p->batch)
		wfm_buf_addf(b, "batch %lu: ", p->batch);
}

static void merge_test(struct engine *e, const struct wfm_merge_progress *p, struct wfm_buf *line,
		       cJSON *ev)
{
	char testing[sizeof(e->mq_testing)];

	add_batch(line, p);
	if (!p->batch) {
		wfm_buf_addf(line, "oracle started on the base %.7s, to count its passing tests",
			     p->commit);
		snprintf(testing, sizeof(testing), "testing the base");
	} else if (!p->of) {
		wfm_buf_addf(line, "oracle started on %zu %s on %.7s", p->branches,
			     plural(p->branches, "branch", "branches"), p->onto);
		add_names(line, e, p->names, p->branches);
		snprintf(testing, sizeof(testing), "batch %lu (%zu %s)", p->batch, p->branches,
			 plural(p->branches, "branch", "branches"));
	} else {
		wfm_buf_addf(line, "bisecting: oracle started on the first %zu of %zu branches",
			     p->branches, p->of);
		add_names(line, e, p->names, p->branches);
		snprintf(testing, sizeof(testing), "batch %lu (bisecting: %zu of %zu)", p->batch,
			 p->branches, p->of);
	}
	wfm_json_add_str(ev, "step", "test");
	wfm_json_add_num(ev, "branches", (double)p->branches);
	if (p->of)
		wfm_json_add_num(ev, "of", (double)p->of);
	wfm_json_add_str(ev, "commit", p->commit ? p->commit : "");
	pthread_mutex_lock(&e->progress_lock);
	memcpy(e->mq_testing, testing, sizeof(testing));
	e->mq_test_started = wfm_clock_mono_ms();
	pthread_mutex_unlock(&e->progress_lock);
}

static void merge_tested(struct engine *e, const struct wfm_merge_progress *p, struct wfm_buf *line,
			 cJSON *ev)
{
	uint64_t ms = p->result ? p->result->proc.duration_ms : 0;
	const struct wfm_summary *s = p->result ? &p->result->summary : NULL;
	int stopped = p->result && p->result->proc.cancelled;

	pthread_mutex_lock(&e->progress_lock);
	e->mq_testing[0] = '\0';
	pthread_mutex_unlock(&e->progress_lock);
	add_batch(line, p);
	if (stopped) {
		wfm_buf_adds(line, p->batch ? "oracle stopped" : "oracle stopped on the base");
	} else if (!p->result) {
		wfm_buf_adds(line, "the oracle could not run: ");
		add_first_line(line, p->why ? p->why : "", DETAIL_MAX);
	} else {
		wfm_buf_addf(line, "%s%s in ", p->batch ? "" : "the base ",
			     p->pass ? "passed" : "failed");
		add_duration(line, ms);
		if (!p->pass && p->why && *p->why) {
			wfm_buf_adds(line, ": ");
			add_first_line(line, p->why, DETAIL_MAX);
		} else if (s && s->format != WFM_SUMMARY_NONE) {
			wfm_buf_adds(line, " (");
			wfm_summary_describe(line, s);
			wfm_buf_adds(line, ")");
		}
		/* what the queue does next (merge_queue.c, bisect()) */
		if (!p->pass && p->batch && p->branches > 1)
			wfm_buf_adds(line, "; bisecting");
		add_where(line, ev, &p->result->where);
	}
	wfm_json_add_str(ev, "step", "tested");
	wfm_json_add_num(ev, "branches", (double)p->branches);
	if (p->of)
		wfm_json_add_num(ev, "of", (double)p->of);
	wfm_json_add_bool(ev, "pass", p->pass);
	wfm_json_add_num(ev, "durationMs", (double)ms);
	if (!p->pass && p->why)
		wfm_json_add_str(ev, "why", p->why);
}

/* The line of a decision: refusals only (what lands is said by its batch). */
static int merge_decided(struct engine *e, const struct wfm_merge_progress *p, struct wfm_buf *line,
			 cJSON *ev)
{
	const struct wfm_merge_decision *d = p->decision;

	wfm_json_add_str(ev, "step", "decided");
	wfm_json_add_str(ev, "branch", d->branch);
	wfm_json_add_bool(ev, "merged", d->merged);
	if (d->reason)
		wfm_json_add_str(ev, "reason", d->reason);
	if (d->merged || !strcmp(d->reason, WFM_MERGE_REASON_STOPPED))
		return 0;
	wfm_buf_addf(line, "merge queue: refused %s: %s", short_branch(e, d->branch), d->reason);
	if (d->detail && *d->detail) {
		wfm_buf_adds(line, " (");
		add_first_line(line, d->detail, DETAIL_MAX);
		wfm_buf_adds(line, ")");
	}
	return 1;
}

void wfm_engine_merge_queued(struct engine *e, const struct job *job)
{
	cJSON *ev = new_event("merge", NULL);

	wfm_json_add_str(ev, "step", "queued");
	wfm_json_add_str(ev, "branch", job->branch ? job->branch : "");
	wfm_engine_event(e, ev);
}

void wfm_engine_merge_progress(void *data, const struct wfm_merge_progress *p)
{
	struct engine *e = data;
	struct wfm_buf line = WFM_BUF_INIT;
	cJSON *ev = new_event("merge", NULL);
	int show = 1;

	wfm_json_add_num(ev, "batch", (double)p->batch);
	switch (p->step) {
	case WFM_MERGE_TEST:
		merge_test(e, p, &line, ev);
		break;
	case WFM_MERGE_TESTED:
		merge_tested(e, p, &line, ev);
		break;
	case WFM_MERGE_LANDED:
		add_batch(&line, p);
		wfm_buf_addf(&line, "%zu %s merged; the integration branch is at %.7s", p->branches,
			     plural(p->branches, "branch", "branches"), p->commit);
		wfm_json_add_str(ev, "step", "landed");
		wfm_json_add_num(ev, "branches", (double)p->branches);
		wfm_json_add_str(ev, "commit", p->commit);
		break;
	case WFM_MERGE_DECIDED:
		show = merge_decided(e, p, &line, ev);
		break;
	}
	if (show)
		wfm_engine_say(e, line.ptr);
	wfm_engine_event(e, ev);
	wfm_buf_release(&line);
}

/* ---- the status of the moment ---- */

static unsigned long count(const struct job *list)
{
	unsigned long n = 0;

	for (; list; list = list->next)
		n++;
	return n;
}

void wfm_engine_status(struct engine *e)
{
	struct wfm_engine_status st;
	char testing[sizeof(e->mq_testing)];
	uint64_t now = wfm_clock_mono_ms();

	if (!e->opts->status)
		return;
	memset(&st, 0, sizeof(st));
	st.phase = e->phase;
	st.elapsed_ms = now - e->started_mono;
	st.agents_running = e->agents_running;
	st.agents_waiting = count(e->waiting_agents);
	st.oracles_running = e->oracles_running;
	st.oracles_waiting = count(e->waiting_oracles);
	st.paused = e->paused;
	st.stopping = e->stopping;
	pthread_mutex_lock(&e->progress_lock);
	memcpy(testing, e->mq_testing, sizeof(testing));
	if (testing[0]) {
		st.merge_testing = testing;
		st.merge_test_ms = now - e->mq_test_started;
	}
	e->opts->status(e->opts->progress_data, &st);
	pthread_mutex_unlock(&e->progress_lock);
}
