/*
 * The sessions of a run: its first execution, then each resume. Each
 * keeps its own figures in report.json's "sessions", and the totals of
 * what is spent (time, agents run, tokens, cost) are the sums over them,
 * so that a resume never loses what the sessions before it did
 * (docs/engine.md, "Sessions").
 *
 * The earlier sessions come from the last report.json. A session that
 * wrote no report (killed) is read from events.jsonl, between its
 * "start" event and the next one: it is "crashed", and its figures are
 * what its events say (agents that ended, and the time to its last event).
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/json.h"
#include "engine/engine_priv.h"
#include "engine/rundir.h"

/* the figures of a session that are summed into the totals */
static const char *const summed[] = {
	"durationMs", "agentsRun", "tokens", "costUsd", "cacheReadTokens", "engineCpuMs",
};

/* a figure of a session: 0 when it has none (null: not known) */
static double num(const cJSON *obj, const char *name)
{
	return wfm_json_get_num(obj, name, 0);
}

static const char *str(const cJSON *obj, const char *name)
{
	return wfm_json_get_str(obj, name, "");
}

static void set_num(cJSON *obj, const char *name, double v)
{
	cJSON *old = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (cJSON_IsNumber(old))
		cJSON_SetNumberValue(old, v);
	else
		wfm_json_add_num(obj, name, v);
}

static cJSON *read_json(const struct engine *e, const char *name)
{
	struct wfm_buf text = WFM_BUF_INIT;
	char *path = wfm_rundir_file(e->opts->run, name);
	cJSON *doc = NULL;

	if (wfm_buf_read_file(&text, path) < 0 || wfm_json_parse(&doc, text.ptr, text.len) < 0)
		doc = NULL;
	wfm_buf_release(&text);
	free(path);
	return doc;
}

/* A report written before sessions existed: its totals were one session's. */
static cJSON *legacy_session(const cJSON *report)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(report, "totals");
	cJSON *s = wfm_json_object();

	wfm_json_add_num(s, "session", 0); /* numbered in wfm_engine_sessions_report */
	wfm_json_add_null(s, "started");
	wfm_json_add_str(s, "status", wfm_json_get_str(report, "status", "done"));
	for (size_t i = 0; i < WFM_ARRAY_SIZE(summed); i++)
		wfm_json_add_num(s, summed[i], num(t, summed[i]));
	wfm_json_add_num(s, "agentsReplayed", num(t, "agentsReplayed"));
	wfm_json_add_num(s, "requestsReplayed", num(t, "requestsReplayed"));
	return s;
}

/* A session as events.jsonl tells it: from its "start" event to the next one. */
struct segment {
	double started, last;
	double agents, tokens, cost, cache;
	char status[16]; /* its "end" event's; "" none */
};

struct segments {
	struct segment *v;
	size_t nr, alloc;
};

static cJSON *segment_session(const struct segment *g)
{
	cJSON *s = wfm_json_object();

	wfm_json_add_num(s, "session", 0); /* numbered in wfm_engine_sessions_report */
	wfm_json_add_num(s, "started", g->started);
	wfm_json_add_str(s, "status", g->status[0] ? g->status : "crashed");
	wfm_json_add_num(s, "durationMs", g->last > g->started ? g->last - g->started : 0);
	wfm_json_add_num(s, "agentsRun", g->agents > 0 ? g->agents : 0);
	wfm_json_add_num(s, "tokens", g->tokens);
	wfm_json_add_num(s, "costUsd", g->cost);
	wfm_json_add_num(s, "cacheReadTokens", g->cache);
	/* what only its report would have said */
	wfm_json_add_null(s, "engineCpuMs");
	wfm_json_add_null(s, "agentsReplayed");
	wfm_json_add_null(s, "requestsReplayed");
	return s;
}

static void segment_add(struct segment *g, const cJSON *ev)
{
	const char *type = str(ev, "type"), *state = str(ev, "state");
	const cJSON *ts = cJSON_GetObjectItemCaseSensitive(ev, "ts");

	if (cJSON_IsNumber(ts) && ts->valuedouble > g->last)
		g->last = ts->valuedouble;
	if (!strcmp(type, "agent") && !strcmp(state, "start")) {
		g->agents++;
	} else if (!strcmp(type, "agent") && !strcmp(state, "end")) {
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "refused")))
			g->agents--;
		g->tokens += num(ev, "tokens");
		g->cost += num(ev, "costUsd");
		g->cache += num(ev, "cacheReadTokens");
	} else if (!strcmp(type, "end") && !g->status[0]) {
		snprintf(g->status, sizeof(g->status), "%s", str(ev, "status"));
	}
}

/* Every session events.jsonl tells of, in order. */
static void read_segments(struct segments *out, const struct engine *e)
{
	struct wfm_buf text = WFM_BUF_INIT;
	char *path = wfm_rundir_file(e->opts->run, "events.jsonl");
	char *line, *next;

	if (wfm_buf_read_file(&text, path) < 0)
		goto done;
	for (line = text.ptr; line && *line; line = next) {
		cJSON *ev = NULL;
		size_t n;

		next = strchr(line, '\n');
		n = next ? (size_t)(next - line) : strlen(line);
		if (next)
			next++;
		if (wfm_json_parse(&ev, line, n) < 0 || !cJSON_IsObject(ev)) {
			cJSON_Delete(ev); /* a torn or damaged line: events are lossy */
			continue;
		}
		if (!strcmp(str(ev, "type"), "start")) {
			struct segment *g;

			WFM_ALLOC_GROW(out->v, out->nr + 1, out->alloc);
			g = &out->v[out->nr++];
			memset(g, 0, sizeof(*g));
			g->started = g->last = num(ev, "ts");
		} else if (out->nr) {
			segment_add(&out->v[out->nr - 1], ev);
		}
		cJSON_Delete(ev);
	}
done:
	wfm_buf_release(&text);
	free(path);
}

void wfm_engine_sessions_load(struct engine *e)
{
	cJSON *report = read_json(e, "report.json");
	const cJSON *old = cJSON_GetObjectItemCaseSensitive(report, "sessions"), *s;
	cJSON *list = wfm_json_array();
	struct segments seg = { NULL, 0, 0 };
	size_t known = 0;

	read_segments(&seg, e);
	if (cJSON_IsArray(old)) {
		cJSON_ArrayForEach (s, old) {
			if (!cJSON_IsObject(s))
				continue;
			wfm_json_add(list, NULL, cJSON_Duplicate(s, 1));
			known++;
		}
	} else if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(report, "totals"))) {
		/*
		 * A report from before sessions holds the figures of the last
		 * session that ended, the earlier ones lost: they are that one
		 * entry; the sessions after it are read from the events.
		 */
		wfm_json_add(list, NULL, legacy_session(report));
		for (size_t i = 0; i < seg.nr; i++)
			if (seg.v[i].status[0])
				known = i + 1;
	}
	/* the sessions the last report did not know: killed before they wrote one */
	for (size_t i = known; i < seg.nr; i++)
		wfm_json_add(list, NULL, segment_session(&seg.v[i]));
	free(seg.v);
	cJSON_Delete(report);
	/* what could not be read is not this run's error */
	wfm_error_clear();
	e->sessions = list;
}

void wfm_engine_session_count(struct engine *e, const struct job *job)
{
	e->own_tokens += job->tokens;
	e->own_cost_usd += job->cost_usd;
	e->own_cache_read += job->cache_read;
}

static cJSON *this_session(struct engine *e, const cJSON *totals, const char *status)
{
	cJSON *s = wfm_json_object();

	wfm_json_add_num(s, "session", 0); /* numbered in wfm_engine_sessions_report */
	wfm_json_add_num(s, "started", (double)e->started_ms);
	wfm_json_add_str(s, "status", status);
	wfm_json_add_num(s, "durationMs", (double)(wfm_clock_mono_ms() - e->started_mono));
	wfm_json_add_num(s, "agentsRun", (double)e->agents_run);
	wfm_json_add_num(s, "tokens", (double)e->own_tokens);
	wfm_json_add_num(s, "costUsd", e->own_cost_usd);
	wfm_json_add_num(s, "cacheReadTokens", (double)e->own_cache_read);
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(totals, "engineCpuMs")))
		wfm_json_add_num(s, "engineCpuMs", num(totals, "engineCpuMs"));
	else
		wfm_json_add_null(s, "engineCpuMs");
	wfm_json_add_num(s, "agentsReplayed", (double)e->agents_replayed);
	wfm_json_add_num(s, "requestsReplayed", (double)e->requests_replayed);
	return s;
}

void wfm_engine_sessions_report(struct engine *e, cJSON *r, const char *status)
{
	cJSON *totals = cJSON_GetObjectItemCaseSensitive(r, "totals");
	cJSON *list = e->sessions ? cJSON_Duplicate(e->sessions, 1) : wfm_json_array(), *s;
	double sums[WFM_ARRAY_SIZE(summed)] = { 0 };
	int n = 1;

	wfm_json_add(list, NULL, this_session(e, totals, status));
	cJSON_ArrayForEach (s, list) {
		/* numbered here, in order: the events of a lost session leave no gap */
		set_num(s, "session", n++);
		for (size_t i = 0; i < WFM_ARRAY_SIZE(summed); i++)
			sums[i] += num(s, summed[i]);
	}
	for (size_t i = 0; i < WFM_ARRAY_SIZE(summed); i++)
		set_num(totals, summed[i], sums[i]);
	set_num(totals, "sessions", (double)cJSON_GetArraySize(list));
	wfm_json_add(r, "sessions", list);
}

void wfm_engine_sessions_md(struct wfm_buf *md, const cJSON *r)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(r, "sessions"), *s;

	if (cJSON_GetArraySize(list) < 2)
		return;
	wfm_buf_addf(md,
		     "- sessions: %d (the run was resumed; time, agents run and tokens above are "
		     "their sums)\n",
		     cJSON_GetArraySize(list));
	cJSON_ArrayForEach (s, list) {
		const cJSON *replayed = cJSON_GetObjectItemCaseSensitive(s, "agentsReplayed");

		wfm_buf_addf(md, "  - %.0f: %s after %.1f s, %.0f agents run", num(s, "session"),
			     str(s, "status"), num(s, "durationMs") / 1000.0, num(s, "agentsRun"));
		if (cJSON_IsNumber(replayed))
			wfm_buf_addf(md, ", %.0f answered from the journal", replayed->valuedouble);
		wfm_buf_addf(md, ", %.0f tokens\n", num(s, "tokens"));
	}
}
