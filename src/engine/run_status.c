/*
 * A run's status folded from its events.jsonl (run_status.h), read
 * incrementally: ps reads it once, watch polls it.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/json.h"
#include "engine/run_status.h"
#include "engine/rundir.h"

#include <fcntl.h>

/* bytes read per read() */
#define CHUNK 65536
/* a line longer than this is not an event of ours: it is skipped */
#define LINE_MAX_BYTES (4 << 20)

static const char *const agent_state_names[] = { "running", "done", "failed", "stopped",
						 "refused" };

const char *wfm_run_agent_state_name(enum wfm_run_agent_state s)
{
	return (size_t)s < WFM_ARRAY_SIZE(agent_state_names) ? agent_state_names[s] : "?";
}

void wfm_run_status_init(struct wfm_run_status *s, const char *events_path)
{
	memset(s, 0, sizeof(*s));
	s->units = -1;
	s->units_decided = -1;
	wfm_buf_init(&s->partial, 0);
	s->path = wfm_strdup(events_path);
}

static void free_session(struct wfm_run_status *s)
{
	for (size_t i = 0; i < s->phases_nr; i++)
		free(s->phases[i].title);
	for (size_t i = 0; i < s->agents_nr; i++) {
		free(s->agents[i].label);
		free(s->agents[i].phase);
		free(s->agents[i].role);
		free(s->agents[i].model);
		free(s->agents[i].unit);
	}
	free(s->phases);
	free(s->agents);
	free(s->mq_testing);
	s->phases = NULL;
	s->agents = NULL;
	s->mq_testing = NULL;
	s->phases_nr = s->phases_alloc = s->agents_nr = s->agents_alloc = 0;
	s->agents_started = s->agents_running = s->agents_done = s->agents_failed = 0;
	s->tokens_running = 0;
	s->usd_running = 0;
	s->mq_queued = s->mq_batches = s->mq_merged = s->mq_refused = s->mq_last_batch = 0;
	s->mq_test_started = 0;
}

void wfm_run_status_release(struct wfm_run_status *s)
{
	free_session(s);
	free(s->state);
	free(s->provider);
	free(s->last_log);
	free(s->current_phase);
	free(s->path);
	wfm_buf_release(&s->partial);
	memset(s, 0, sizeof(*s));
	s->units = -1;
	s->units_decided = -1;
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = v ? wfm_strdup(v) : NULL;
}

static char *dup_or_null(const cJSON *ev, const char *key)
{
	const char *v = wfm_json_get_nonempty(ev, key);

	return v ? wfm_strdup(v) : NULL;
}

static uint64_t u64(const cJSON *ev, const char *key)
{
	double v = wfm_json_get_num(ev, key, 0);

	return v > 0 ? (uint64_t)v : 0;
}

struct wfm_run_phase *wfm_run_status_phase(struct wfm_run_status *s, const char *title)
{
	for (size_t i = 0; title && i < s->phases_nr; i++)
		if (!strcmp(s->phases[i].title, title))
			return &s->phases[i];
	return NULL;
}

static struct wfm_run_phase *add_phase(struct wfm_run_status *s, const char *title, uint64_t ts)
{
	struct wfm_run_phase *p = wfm_run_status_phase(s, title);

	if (p)
		return p;
	WFM_ALLOC_GROW(s->phases, s->phases_nr + 1, s->phases_alloc);
	p = &s->phases[s->phases_nr++];
	memset(p, 0, sizeof(*p));
	p->title = wfm_strdup(title);
	p->started_ms = ts;
	return p;
}

/* The script's phase() moved on: the current one ends, title is current. */
static void enter_phase(struct wfm_run_status *s, const char *title, uint64_t ts)
{
	struct wfm_run_phase *p;

	for (size_t i = 0; i < s->phases_nr; i++)
		if (!s->phases[i].ended_ms && s->phases[i].started_ms)
			s->phases[i].ended_ms = ts;
	p = add_phase(s, title, ts);
	p->ended_ms = 0;
	if (!p->started_ms)
		p->started_ms = ts;
	free(s->current_phase);
	s->current_phase = wfm_strdup(title);
}

static void start_session(struct wfm_run_status *s, const cJSON *ev, uint64_t ts)
{
	free_session(s);
	free(s->current_phase);
	s->current_phase = NULL;
	s->sessions++;
	s->started_ms = ts;
	s->ended = 0;
	s->ended_ms = 0;
	set_str(&s->state, "running");
	if (wfm_json_get_nonempty(ev, "provider"))
		set_str(&s->provider, wfm_json_get_nonempty(ev, "provider"));
	s->max_tokens = u64(ev, "maxTokens");
	s->max_usd = wfm_json_get_num(ev, "maxUsd", 0);
	s->budget_exhausted = 0;
}

/* The running agent an event is about: by its id, else (older events) by its label. */
static struct wfm_run_agent *find_agent(struct wfm_run_status *s, const cJSON *ev)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(ev, "id");
	const char *label = wfm_json_get_str(ev, "label", "");

	for (size_t i = s->agents_nr; i-- > 0;) {
		struct wfm_run_agent *a = &s->agents[i];

		if (cJSON_IsNumber(id) ? a->id == (long)id->valuedouble : !strcmp(a->label, label))
			return a->state == WFM_RUN_AGENT_RUNNING ? a : NULL;
	}
	return NULL;
}

static void agent_start(struct wfm_run_status *s, const cJSON *ev, uint64_t ts)
{
	struct wfm_run_agent *a;
	const char *phase = wfm_json_get_nonempty(ev, "phase");

	WFM_ALLOC_GROW(s->agents, s->agents_nr + 1, s->agents_alloc);
	a = &s->agents[s->agents_nr++];
	memset(a, 0, sizeof(*a));
	a->id = (long)wfm_json_get_num(ev, "id", -1);
	a->label = wfm_strdup(wfm_json_get_str(ev, "label", ""));
	a->phase = phase ? wfm_strdup(phase) : NULL;
	a->role = dup_or_null(ev, "role");
	a->model = dup_or_null(ev, "model");
	a->unit = dup_or_null(ev, "unit");
	a->state = WFM_RUN_AGENT_RUNNING;
	a->started_ms = ts;
	s->agents_started++;
	s->agents_running++;
	if (phase)
		add_phase(s, phase, ts)->running++;
}

/* An agent's figures so far: the run's and its phase's running totals follow. */
static void agent_figures(struct wfm_run_status *s, struct wfm_run_agent *a, const cJSON *ev)
{
	struct wfm_run_phase *p = wfm_run_status_phase(s, a->phase);
	uint64_t tokens = u64(ev, "tokens");
	double usd = wfm_json_get_num(ev, "costUsd", 0);

	if (p) {
		p->tokens = p->tokens - a->tokens + tokens;
		p->usd = p->usd - a->usd + usd;
	}
	s->tokens_running = s->tokens_running - a->tokens + tokens;
	s->usd_running = s->usd_running - a->usd + usd;
	a->tokens = tokens;
	a->usd = usd;
	a->turns = (unsigned)u64(ev, "turns");
	a->tool_calls = (unsigned)u64(ev, "toolCalls");
}

static void agent_end(struct wfm_run_status *s, const cJSON *ev, uint64_t ts)
{
	struct wfm_run_agent *a = find_agent(s, ev);
	struct wfm_run_phase *p = a ? wfm_run_status_phase(s, a->phase) : NULL;
	int refused = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "refused"));
	int failed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "failed"));

	if (!refused) {
		s->tokens += u64(ev, "tokens");
		s->usd += wfm_json_get_num(ev, "costUsd", 0);
	}
	if (!a)
		return;
	if (p && p->running)
		p->running--;
	if (s->agents_running)
		s->agents_running--;
	a->ended_ms = ts;
	if (refused) {
		a->state = WFM_RUN_AGENT_REFUSED;
		if (s->agents_started)
			s->agents_started--;
		return;
	}
	agent_figures(s, a, ev);
	s->tokens_running -= a->tokens;
	s->usd_running -= a->usd;
	if (!failed) {
		a->state = WFM_RUN_AGENT_DONE;
		s->agents_done++;
		if (p)
			p->done++;
		return;
	}
	a->state = !strcmp(wfm_json_get_str(ev, "reason", ""), "cancelled") ? WFM_RUN_AGENT_STOPPED
									    : WFM_RUN_AGENT_FAILED;
	s->agents_failed++;
	if (p)
		p->failed++;
}

static void merge_event(struct wfm_run_status *s, const cJSON *ev, uint64_t ts)
{
	const char *step = wfm_json_get_str(ev, "step", "");
	unsigned long batch = (unsigned long)u64(ev, "batch");
	struct wfm_buf what = WFM_BUF_INIT;

	if (!strcmp(step, "queued")) {
		s->mq_queued++;
	} else if (!strcmp(step, "test")) {
		unsigned long n = (unsigned long)u64(ev, "branches"),
			      of = (unsigned long)u64(ev, "of");

		if (batch > s->mq_last_batch) {
			s->mq_batches++;
			s->mq_last_batch = batch;
		}
		if (!batch)
			wfm_buf_adds(&what, "the base");
		else if (of)
			wfm_buf_addf(&what, "batch %lu (bisecting: %lu of %lu)", batch, n, of);
		else
			wfm_buf_addf(&what, "batch %lu (%lu branch%s)", batch, n,
				     n == 1 ? "" : "es");
		set_str(&s->mq_testing, what.ptr);
		s->mq_test_started = ts;
	} else if (!strcmp(step, "tested")) {
		set_str(&s->mq_testing, NULL);
	} else if (!strcmp(step, "decided")) {
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "merged")))
			s->mq_merged++;
		else if (strcmp(wfm_json_get_str(ev, "reason", ""), "stopped"))
			s->mq_refused++;
	}
	wfm_buf_release(&what);
}

void wfm_run_status_add(struct wfm_run_status *s, const cJSON *ev)
{
	const char *type = wfm_json_get_str(ev, "type", "");
	const char *state = wfm_json_get_str(ev, "state", "");
	uint64_t ts = u64(ev, "ts");

	if (!cJSON_IsObject(ev))
		return;
	if (ts) {
		if (!s->created_ms)
			s->created_ms = ts;
		if (ts > s->last_ms)
			s->last_ms = ts;
	}
	if (!strcmp(type, "start")) {
		start_session(s, ev, ts);
	} else if (!strcmp(type, "end")) {
		s->ended = 1;
		s->ended_ms = ts;
		set_str(&s->state, wfm_json_get_str(ev, "status", "done"));
		for (size_t i = 0; i < s->phases_nr; i++)
			if (!s->phases[i].ended_ms)
				s->phases[i].ended_ms = ts;
		set_str(&s->mq_testing, NULL);
	} else if (!strcmp(type, "pause")) {
		set_str(&s->state, "paused");
	} else if (!strcmp(type, "resume")) {
		set_str(&s->state, "running");
	} else if (!strcmp(type, "stop")) {
		set_str(&s->state, "stopping");
	} else if (!strcmp(type, "phase")) {
		if (wfm_json_get_nonempty(ev, "title"))
			enter_phase(s, wfm_json_get_nonempty(ev, "title"), ts);
	} else if (!strcmp(type, "log")) {
		set_str(&s->last_log, wfm_json_get_nonempty(ev, "message"));
	} else if (!strcmp(type, "units")) {
		s->units = (long)wfm_json_get_num(ev, "count", -1);
	} else if (!strcmp(type, "budget")) {
		s->tokens = u64(ev, "tokens");
		s->usd = wfm_json_get_num(ev, "costUsd", 0);
		s->max_tokens = u64(ev, "maxTokens");
		s->max_usd = wfm_json_get_num(ev, "maxUsd", 0);
		s->budget_exhausted =
			cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "exhausted"));
	} else if (!strcmp(type, "agent")) {
		struct wfm_run_agent *a;

		if (!strcmp(state, "start"))
			agent_start(s, ev, ts);
		else if (!strcmp(state, "end"))
			agent_end(s, ev, ts);
		else if (!strcmp(state, "progress") && (a = find_agent(s, ev)))
			agent_figures(s, a, ev);
	} else if (!strcmp(type, "merge")) {
		merge_event(s, ev, ts);
	}
	{
		struct wfm_exec_where w;

		wfm_exec_where_from_json(&w, ev);
		if (w.executor[0]) {
			memcpy(s->executor, w.executor, sizeof(s->executor));
			wfm_exec_tally_add(&s->jobs, &w);
		}
	}
}

/* Folds the complete lines of s->partial, keeping a last one without its newline. */
static void fold_lines(struct wfm_run_status *s, cJSON *out)
{
	size_t start = 0;
	char *nl;

	while ((nl = memchr(s->partial.ptr + start, '\n', s->partial.len - start))) {
		size_t len = (size_t)(nl - (s->partial.ptr + start));
		cJSON *ev = NULL;

		if (len && wfm_json_parse(&ev, s->partial.ptr + start, len) == 0 &&
		    cJSON_IsObject(ev)) {
			wfm_run_status_add(s, ev);
			if (out) {
				cJSON_AddItemToArray(out, ev);
				ev = NULL;
			}
		}
		cJSON_Delete(ev); /* a torn or damaged line: events are lossy */
		start += len + 1;
	}
	if (start) {
		memmove(s->partial.ptr, s->partial.ptr + start, s->partial.len - start);
		wfm_buf_setlen(&s->partial, s->partial.len - start);
	}
	if (s->partial.len > LINE_MAX_BYTES)
		wfm_buf_clear(&s->partial);
}

int wfm_run_status_update(struct wfm_run_status *s, cJSON **out)
{
	char buf[CHUNK];
	off_t before = s->offset;
	ssize_t n;
	int fd, rc = 0;

	if (out)
		*out = NULL;
	fd = open(s->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return wfm_error_set("cannot open '%s': %s", s->path, strerror(errno));
	}
	if (lseek(fd, s->offset, SEEK_SET) < 0) {
		rc = wfm_error_set("cannot seek in '%s': %s", s->path, strerror(errno));
		goto done;
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = wfm_error_set("cannot read '%s': %s", s->path, strerror(errno));
			goto done;
		}
		wfm_buf_add(&s->partial, buf, (size_t)n);
		s->offset += n;
	}
	if (s->offset != before) {
		if (out)
			*out = wfm_json_array();
		fold_lines(s, out ? *out : NULL);
		rc = 1;
	}
done:
	close(fd);
	return rc;
}

void wfm_run_status_add_report(struct wfm_run_status *s, const cJSON *report)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(report, "totals");
	const cJSON *units = cJSON_GetObjectItemCaseSensitive(report, "units");

	if (!cJSON_IsObject(t))
		return;
	s->tokens = u64(t, "tokens");
	s->usd = wfm_json_get_num(t, "costUsd", 0);
	if (cJSON_IsArray(units)) {
		s->units = cJSON_GetArraySize(units);
		s->units_decided = (long)(u64(t, "merged") + u64(t, "rejected") + u64(t, "failed") +
					  u64(t, "skipped"));
	}
	if (wfm_json_get_nonempty(report, "status"))
		set_str(&s->state, wfm_json_get_nonempty(report, "status"));
}

/* ", 12 slurm jobs (0.9 s queued)": where the work ran, when it ran elsewhere. */
static void add_jobs(struct wfm_buf *out, const struct wfm_run_status *s)
{
	if (!s->jobs.jobs)
		return;
	wfm_buf_addf(out, ", %lu %s job%s (%.1f s queued)", s->jobs.jobs, s->executor,
		     s->jobs.jobs == 1 ? "" : "s",
		     (double)s->jobs.wait_ms / (double)s->jobs.jobs / 1000.0);
}

void wfm_run_status_progress(struct wfm_buf *out, const struct wfm_run_status *s)
{
	unsigned long ended = s->agents_done + s->agents_failed;

	if (s->units_decided >= 0 && s->units > 0) {
		wfm_buf_addf(out, "%ld/%ld units", s->units_decided, s->units);
		add_jobs(out, s);
		return;
	}
	if (!s->agents_started && s->units < 0) {
		wfm_buf_adds(out, "-");
		return;
	}
	wfm_buf_addf(out, "%lu/%lu agents", ended, s->agents_started);
	if (s->units >= 0)
		wfm_buf_addf(out, ", %ld units", s->units);
	add_jobs(out, s);
}

int wfm_run_status_read_report(struct wfm_run_status *s, const struct wfm_rundir *r)
{
	char *path = wfm_rundir_file(r, "report.json");
	struct wfm_buf text = WFM_BUF_INIT;
	cJSON *report = NULL;
	int rc = 0;

	if (wfm_fs_exists(path) && (rc = wfm_buf_read_file(&text, path)) == 0) {
		if (wfm_json_parse(&report, text.ptr, text.len) < 0) {
			char *why = wfm_strdup(wfm_error_last()); /* not formatted into itself */

			rc = wfm_error_setc(WFM_ECONFIG, "%s: %s", path, why);
			free(why);
		} else {
			wfm_run_status_add_report(s, report);
		}
	}
	cJSON_Delete(report);
	wfm_buf_release(&text);
	free(path);
	return rc;
}

int wfm_run_status_read_run(struct wfm_run_status *s, const struct wfm_rundir *r, int finished)
{
	char *path = wfm_rundir_file(r, "events.jsonl");
	int rc;

	wfm_run_status_init(s, path);
	free(path);
	if ((rc = wfm_run_status_update(s, NULL)) < 0 || !finished)
		return rc < 0 ? rc : 0;
	return wfm_run_status_read_report(s, r);
}
