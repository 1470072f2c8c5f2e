/*
 * A run's events and its agents' transcripts as lines for people
 * (engine/runlog.h).
 */
#define _GNU_SOURCE /* strchrnul */
#include "base/common.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/strvec.h"
#include "engine/rundir.h"
#include "engine/runlog.h"

#include <sys/stat.h>

/* lines and bytes of a text kept when not full */
#define CUT_LINES 12
#define CUT_BYTES 1500
#define INPUT_BYTES 200

static const char *str(const cJSON *o, const char *key)
{
	return wfm_json_get_str(o, key, "");
}

static double num(const cJSON *o, const char *key)
{
	return wfm_json_get_num(o, key, 0);
}

static int is_true(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* "wfmigrate/<run>/impl-a" as "impl-a" */
static const char *short_branch(const char *b)
{
	const char *slash;

	if (strncmp(b, "wfmigrate/", 10) || !(slash = strchr(b + 10, '/')))
		return b;
	return slash + 1;
}

static void add_seconds(struct wfm_buf *out, double ms)
{
	if (ms < 10000)
		wfm_buf_addf(out, "%.1f s", ms / 1000.0);
	else
		wfm_buf_addf(out, "%.0f s", ms / 1000.0);
}

static void merge_event(struct wfm_buf *out, const cJSON *ev)
{
	const char *step = str(ev, "step");
	double batch = num(ev, "batch"), branches = num(ev, "branches");

	wfm_buf_adds(out, "merge queue: ");
	if (!strcmp(step, "decided")) {
		wfm_buf_addf(out, "%s %s", short_branch(str(ev, "branch")),
			     is_true(ev, "merged") ? "merged" : "refused");
		if (*str(ev, "reason"))
			wfm_buf_addf(out, ": %s", str(ev, "reason"));
		return;
	}
	if (batch > 0)
		wfm_buf_addf(out, "batch %.0f: ", batch);
	if (!strcmp(step, "test")) {
		if (batch > 0)
			wfm_buf_addf(out, "oracle started on %.0f branch%s on %.7s", branches,
				     branches == 1 ? "" : "es", str(ev, "commit"));
		else
			wfm_buf_addf(out, "oracle started on the base %.7s", str(ev, "commit"));
	} else if (!strcmp(step, "tested")) {
		wfm_buf_addf(out, "%s in ", is_true(ev, "pass") ? "passed" : "failed");
		add_seconds(out, num(ev, "durationMs"));
		if (*str(ev, "why"))
			wfm_buf_addf(out, ": %s", str(ev, "why"));
	} else if (!strcmp(step, "landed")) {
		wfm_buf_addf(out, "%.0f branch%s merged; the integration branch is at %.7s",
			     branches, branches == 1 ? "" : "es", str(ev, "commit"));
	} else {
		wfm_json_print(out, ev);
	}
}

void wfm_runlog_event(struct wfm_buf *out, const cJSON *ev)
{
	const char *type = str(ev, "type"), *state = str(ev, "state");

	if (!strcmp(type, "log")) {
		wfm_buf_adds(out, str(ev, "message"));
	} else if (!strcmp(type, "phase")) {
		wfm_buf_addf(out, "== %s", str(ev, "title"));
	} else if (!strcmp(type, "start")) {
		wfm_buf_adds(out, "-- session started");
		if (*str(ev, "base"))
			wfm_buf_addf(out, " on the base %.7s", str(ev, "base"));
	} else if (!strcmp(type, "end")) {
		wfm_buf_addf(out, "-- session ended: %s", str(ev, "status"));
		if (*str(ev, "error"))
			wfm_buf_addf(out, ": %s", str(ev, "error"));
	} else if (!strcmp(type, "agent") && !strcmp(state, "start")) {
		wfm_buf_addf(out, "agent %s started", str(ev, "label"));
	} else if (!strcmp(type, "agent")) {
		wfm_buf_addf(out, "agent %s ", str(ev, "label"));
		if (is_true(ev, "refused"))
			wfm_buf_adds(out, "refused: the budget could not cover it");
		else
			wfm_buf_addf(out, "%s (%.0f tokens, USD %.4f)",
				     is_true(ev, "failed") ? "failed" : "finished",
				     num(ev, "tokens"), num(ev, "costUsd"));
	} else if (!strcmp(type, "oracle") && !strcmp(state, "start")) {
		wfm_buf_addf(out, "oracle started on %s", str(ev, "on"));
	} else if (!strcmp(type, "oracle")) {
		wfm_buf_addf(out, "oracle %s on %s in ", is_true(ev, "pass") ? "passed" : "failed",
			     str(ev, "on"));
		add_seconds(out, num(ev, "durationMs"));
	} else if (!strcmp(type, "merge")) {
		merge_event(out, ev);
	} else if (!strcmp(type, "stop")) {
		wfm_buf_adds(out, "stopping");
		if (*str(ev, "reason"))
			wfm_buf_addf(out, ": %s", str(ev, "reason"));
	} else if (!strcmp(type, "pause")) {
		wfm_buf_adds(out, "paused: no new agent starts");
	} else if (!strcmp(type, "resume")) {
		wfm_buf_adds(out, "resumed");
	} else {
		/* an event this version does not know: as it is, without its time */
		cJSON *copy = cJSON_Duplicate(ev, 1);

		cJSON_DeleteItemFromObjectCaseSensitive(copy, "ts");
		wfm_json_print(out, copy);
		cJSON_Delete(copy);
	}
}

/* ---- the agents ---- */

/* A transcript's first record and its result record, if any. */
static void read_agent(struct wfm_run_agent *a)
{
	struct wfm_buf text = WFM_BUF_INIT;
	const char *line, *end;
	struct stat st;
	int first = 1;

	if (stat(a->path, &st) == 0)
		a->started_ms = (uint64_t)st.st_mtime * 1000;
	if (wfm_buf_read_file(&text, a->path) < 0)
		goto done;
	for (line = text.ptr; *line; line = *end ? end + 1 : end) {
		cJSON *rec = NULL, *res;

		end = strchrnul(line, '\n');
		if (end == line || wfm_json_parse(&rec, line, (size_t)(end - line)) < 0)
			continue;
		if (first) {
			const cJSON *req = cJSON_GetObjectItemCaseSensitive(rec, "request");
			const char *label = wfm_json_get_str(rec, "label", NULL);

			first = 0;
			if (!label)
				label = wfm_json_get_str(req, "label", NULL);
			a->label = label ? wfm_strdup(label) : NULL;
			if (wfm_json_get_str(rec, "role", NULL) ||
			    wfm_json_get_str(req, "role", NULL))
				a->role = wfm_strdup(wfm_json_get_str(
					rec, "role", wfm_json_get_str(req, "role", "")));
			if (!strcmp(str(rec, "provider"), "exec"))
				a->model = wfm_strdup("exec");
			else if (wfm_json_get_str(rec, "model", NULL))
				a->model = wfm_strdup(str(rec, "model"));
			if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(rec, "ts")))
				a->started_ms = (uint64_t)num(rec, "ts");
		}
		res = cJSON_GetObjectItemCaseSensitive(rec, "result");
		if (!strcmp(str(rec, "type"), "result") && cJSON_IsObject(res)) {
			a->ended = 1;
			a->ok = is_true(res, "ok");
			a->tokens = num(res, "tokens_in") + num(res, "tokens_out");
			a->usd = num(res, "cost_usd");
		}
		cJSON_Delete(rec);
	}
done:
	wfm_buf_release(&text);
}

static int by_start(const void *x, const void *y)
{
	const struct wfm_run_agent *a = x, *b = y;

	if (a->started_ms != b->started_ms)
		return a->started_ms < b->started_ms ? -1 : 1;
	return strcmp(a->path, b->path);
}

int wfm_run_agents(struct wfm_run_agent **out, size_t *nr, struct wfm_rundir *run)
{
	struct wfm_strvec files = WFM_STRVEC_INIT;
	char *dir = wfm_rundir_file(run, "agents");
	struct wfm_run_agent *list;

	*out = NULL;
	*nr = 0;
	wfm_fs_list(&files, dir, ".jsonl");
	if (!files.nr)
		goto done;
	list = wfm_calloc(files.nr, sizeof(*list));
	for (size_t i = 0; i < files.nr; i++) {
		list[i].path = wfm_fs_join(dir, files.v[i]);
		read_agent(&list[i]);
	}
	qsort(list, files.nr, sizeof(*list), by_start);
	*out = list;
	*nr = files.nr;
done:
	wfm_strvec_clear(&files);
	free(dir);
	return 0;
}

void wfm_run_agents_free(struct wfm_run_agent *agents, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		free(agents[i].path);
		free(agents[i].label);
		free(agents[i].role);
		free(agents[i].model);
	}
	free(agents);
}

int wfm_run_agent_find(size_t *index, const struct wfm_run_agent *agents, size_t nr,
		       const char *name)
{
	struct wfm_buf list = WFM_BUF_INIT;
	size_t hits = 0, at = 0;
	char *end;
	unsigned long n;
	int rc;

	for (size_t i = 0; i < nr; i++)
		if (agents[i].label && !strcmp(agents[i].label, name)) {
			hits++;
			at = i;
			wfm_buf_addf(&list, "\n  %zu  %s", i + 1, agents[i].label);
		}
	if (!hits) {
		errno = 0;
		n = strtoul(name, &end, 10);
		if (*name >= '0' && *name <= '9' && !*end && !errno) {
			if (n >= 1 && n <= nr) {
				*index = n - 1;
				return 0;
			}
			return wfm_error_setc(WFM_ENOTFOUND, "no agent %lu: the run has %zu", n,
					      nr);
		}
		for (size_t i = 0; i < nr; i++)
			if (agents[i].label && strstr(agents[i].label, name)) {
				hits++;
				at = i;
				wfm_buf_addf(&list, "\n  %zu  %s", i + 1, agents[i].label);
			}
	}
	if (hits == 1) {
		*index = at;
		rc = 0;
	} else if (!hits) {
		rc = wfm_error_setc(WFM_ENOTFOUND,
				    "no agent of the run is called '%s' ('git wfmigrate log "
				    "--agents' lists them)",
				    name);
	} else {
		rc = wfm_error_setc(WFM_EAMBIGUOUS, "'%s' names %zu agents: give its number%s",
				    name, hits, list.ptr);
	}
	wfm_buf_release(&list);
	return rc;
}

/* ---- a transcript ---- */

/* text indented by four spaces, cut to its first lines unless full */
static void block(struct wfm_buf *out, const char *text, int full)
{
	size_t len = strlen(text), lines = 0, i;

	while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
		len--;
	wfm_buf_adds(out, "    ");
	for (i = 0; i < len; i++) {
		if (!full && (lines >= CUT_LINES || i >= CUT_BYTES))
			break;
		wfm_buf_addch(out, text[i]);
		if (text[i] == '\n') {
			lines++;
			wfm_buf_adds(out, "    ");
		}
	}
	if (i < len) {
		size_t rest = 1; /* the line the cut is in */

		for (size_t k = i; k < len; k++)
			rest += text[k] == '\n';
		wfm_buf_addf(out, "%s[... %zu more bytes, %zu more lines: --full shows all]",
			     out->len && out->ptr[out->len - 1] == ' ' ? "" : "\n    ", len - i,
			     rest);
	}
	wfm_buf_addch(out, '\n');
}

/* a JSON value on one line, cut unless full */
static void inline_json(struct wfm_buf *out, const cJSON *v, int full)
{
	struct wfm_buf j = WFM_BUF_INIT;

	wfm_json_print(&j, v);
	if (!full && j.len > INPUT_BYTES) {
		wfm_buf_add(out, j.ptr, INPUT_BYTES);
		wfm_buf_addf(out, "... (%zu bytes)", j.len);
	} else {
		wfm_buf_add(out, j.ptr, j.len);
	}
	wfm_buf_release(&j);
}

/* The text of an assistant message, Anthropic's (content blocks) or OpenAI's (a string). */
static void reply_text(struct wfm_buf *out, const cJSON *msg, int full)
{
	const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content"), *b;
	const cJSON *blocks = cJSON_IsArray(content) ? content : NULL;
	struct wfm_buf text = WFM_BUF_INIT;

	if (cJSON_IsString(content))
		wfm_buf_adds(&text, content->valuestring);

	cJSON_ArrayForEach (b, blocks)
		if (!strcmp(str(b, "type"), "text") && *str(b, "text"))
			wfm_buf_addf(&text, "%s%s", text.len ? "\n" : "", str(b, "text"));
	if (text.len) {
		wfm_buf_adds(out, "  says:\n");
		block(out, text.ptr, full);
	}
	wfm_buf_release(&text);
}

static void result_record(struct wfm_buf *out, const cJSON *res, int full)
{
	const cJSON *output = cJSON_GetObjectItemCaseSensitive(res, "output");

	if (is_true(res, "ok"))
		wfm_buf_adds(out, "result: ok");
	else
		wfm_buf_addf(out, "result: failed: %s", wfm_json_get_str(res, "reason", "?"));
	wfm_buf_addf(out, "; %.0f tokens in, %.0f out", num(res, "tokens_in"),
		     num(res, "tokens_out"));
	if (cJSON_HasObjectItem(res, "cost_usd"))
		wfm_buf_addf(out, ", USD %.4f", num(res, "cost_usd"));
	if (cJSON_HasObjectItem(res, "turns"))
		wfm_buf_addf(out, "; %.0f turns, %.0f tool calls", num(res, "turns"),
			     num(res, "tool_calls"));
	wfm_buf_addf(out, "; %.1f s", num(res, "duration_ms") / 1000.0);
	if (*str(res, "commit"))
		wfm_buf_addf(out, "; %s %.7s",
			     is_true(res, "changed") ? "committed" : "no change at",
			     str(res, "commit"));
	wfm_buf_addch(out, '\n');
	if (output && !cJSON_IsNull(output)) {
		struct wfm_buf j = WFM_BUF_INIT;
		char *pretty = cJSON_Print(output);

		wfm_buf_adds(&j, pretty ? pretty : "null");
		cJSON_free(pretty);
		wfm_buf_adds(out, "  output:\n");
		block(out, j.ptr, full);
		wfm_buf_release(&j);
	}
	if (*str(res, "stderr_tail")) {
		wfm_buf_adds(out, "  stderr:\n");
		block(out, str(res, "stderr_tail"), full);
	}
}

void wfm_runlog_record(struct wfm_buf *out, const cJSON *rec, uint64_t t0, int full)
{
	const char *type = str(rec, "type");
	const cJSON *ts = cJSON_GetObjectItemCaseSensitive(rec, "ts");

	if (t0 && cJSON_IsNumber(ts) && ts->valuedouble >= (double)t0)
		wfm_buf_addf(out, "[+%.1fs] ", (ts->valuedouble - (double)t0) / 1000.0);
	if (!strcmp(type, "request")) {
		const cJSON *req = cJSON_GetObjectItemCaseSensitive(rec, "request");
		const char *label =
			wfm_json_get_str(rec, "label", wfm_json_get_str(req, "label", "-"));
		const cJSON *unit = cJSON_GetObjectItemCaseSensitive(req, "unit");

		wfm_buf_addf(out, "agent %s: role %s, ", label,
			     wfm_json_get_str(rec, "role", wfm_json_get_str(req, "role", "?")));
		if (!strcmp(str(rec, "provider"), "exec"))
			wfm_buf_addf(out, "command %s", str(rec, "command"));
		else
			wfm_buf_addf(out, "%s model %s", str(rec, "provider"), str(rec, "model"));
		wfm_buf_addf(out, "\n  worktree: %s\n", str(rec, "worktree"));
		if (*str(unit, "id"))
			wfm_buf_addf(out, "  unit: %s\n", str(unit, "id"));
		if (*str(rec, "system") && full) {
			wfm_buf_adds(out, "  system prompt:\n");
			block(out, str(rec, "system"), full);
		}
		wfm_buf_adds(out, "  prompt:\n");
		block(out, str(rec, "prompt"), full);
	} else if (!strcmp(type, "call")) {
		const cJSON *u = cJSON_GetObjectItemCaseSensitive(rec, "usage");

		wfm_buf_addf(out,
			     "model call %.0f: %.0f tokens in, %.0f read from the cache, %.0f out, "
			     "USD %.4f",
			     num(rec, "turn"), num(u, "input"), num(u, "cache_read"),
			     num(u, "output"), num(rec, "cost_usd"));
		if (num(rec, "attempts") > 1)
			wfm_buf_addf(out, ", %.0f attempts", num(rec, "attempts"));
		if (*str(rec, "stop"))
			wfm_buf_addf(out, ", stop: %s", str(rec, "stop"));
		wfm_buf_addch(out, '\n');
		reply_text(out, cJSON_GetObjectItemCaseSensitive(rec, "reply"), full);
	} else if (!strcmp(type, "tool")) {
		wfm_buf_addf(out, "tool %s ", str(rec, "name"));
		if (cJSON_HasObjectItem(rec, "input"))
			inline_json(out, cJSON_GetObjectItemCaseSensitive(rec, "input"), full);
		else
			wfm_buf_addf(out, "(bad input: %s)", str(rec, "input_error"));
		wfm_buf_addf(out, "%s\n", is_true(rec, "is_error") ? " -> error:" : " ->");
		block(out, str(rec, "output"), full);
	} else if (!strcmp(type, "note")) {
		wfm_buf_addf(out, "note: %s\n", str(rec, "note"));
	} else if (!strcmp(type, "output")) {
		wfm_buf_addf(out, "command exited %.0f", num(rec, "exit_code"));
		if (*str(rec, "signal") ||
		    cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(rec, "signal")))
			wfm_buf_adds(out, " (killed by a signal)");
		if (is_true(rec, "timed_out"))
			wfm_buf_adds(out, " (timed out)");
		wfm_buf_addch(out, '\n');
		if (*str(rec, "stdout")) {
			wfm_buf_addf(out, "  stdout (%.0f bytes):\n", num(rec, "stdout_bytes"));
			block(out, str(rec, "stdout"), full);
		}
		if (*str(rec, "stderr")) {
			wfm_buf_addf(out, "  stderr (%.0f bytes):\n", num(rec, "stderr_bytes"));
			block(out, str(rec, "stderr"), full);
		}
	} else if (!strcmp(type, "result")) {
		result_record(out, cJSON_GetObjectItemCaseSensitive(rec, "result"), full);
	} else {
		inline_json(out, rec, full);
		wfm_buf_addch(out, '\n');
	}
}
