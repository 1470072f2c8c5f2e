/*
 * report.json and report.md: what a run did, per unit, for programs and
 * for people.
 */
#include "base/common.h"
#include "base/clock.h"
#include "base/json.h"
#include "engine/engine_priv.h"
#include "engine/report.h"
#include "engine/rundir.h"
#include "engine/shared.h"
#include "llm/ledger.h"

#include <sys/resource.h>

static const char *status_name(enum wfm_run_status s)
{
	return s == WFM_RUN_DONE ? "done" : s == WFM_RUN_STOPPED ? "stopped" : "failed";
}

static const struct unit_stats *find_stats(const struct engine *e, const char *id)
{
	for (size_t i = 0; i < e->units_nr; i++)
		if (!strcmp(e->units[i].id, id))
			return &e->units[i];
	return NULL;
}

/* A copy of paths (an array of strings) as key of o; nothing when it is not one. */
static void add_paths(cJSON *o, const char *key, const cJSON *paths)
{
	const cJSON *p;
	cJSON *arr;

	if (!cJSON_IsArray(paths))
		return;
	arr = wfm_json_array();
	cJSON_ArrayForEach (p, paths)
		if (cJSON_IsString(p))
			wfm_json_add_str(arr, NULL, p->valuestring);
	wfm_json_add(o, key, arr);
}

/* A unit's reason that says the budget left it undone ("budget: ..."). */
static int budget_reason(const char *reason)
{
	return reason && !strncmp(reason, "budget:", 7);
}

static int is_mark(char c)
{
	return c == '*' || c == '_' || c == '`' || c == '"' || c == '\'';
}

/*
 * Where s says phrase[0..n) again, followed by a colon (emphasis around it
 * allowed: "**no change needed**:"): just past that colon and the blanks
 * after it; else NULL.
 */
static const char *said_again(const char *s, const char *phrase, size_t n)
{
	while (*s == ' ' || is_mark(*s))
		s++;
	if (strncasecmp(s, phrase, n))
		return NULL;
	s += n;
	while (is_mark(*s) || *s == ' ')
		s++;
	if (*s != ':')
		return NULL;
	s++;
	while (*s == ' ')
		s++;
	return s;
}

/*
 * reason as key of o, or null; a reason that repeats its leading phrase
 * ("no change needed: no change needed: none") says it once, whoever
 * built it (a workflow adding a prefix to an agent's answer that has it).
 */
static void add_reason(cJSON *o, const char *key, const char *reason)
{
	struct wfm_buf b = WFM_BUF_INIT;
	const char *colon, *rest, *again;
	size_t n;

	if (!reason) {
		wfm_json_add_null(o, key);
		return;
	}
	colon = strchr(reason, ':');
	n = colon ? (size_t)(colon - reason) : 0;
	if (!n || n > 80 || memchr(reason, '\n', n)) {
		wfm_json_add_str(o, key, reason);
		return;
	}
	rest = colon + 1;
	while (*rest == ' ')
		rest++;
	while ((again = said_again(rest, reason, n)))
		rest = again;
	wfm_buf_add(&b, reason, n);
	if (*rest)
		wfm_buf_addf(&b, ": %s", rest);
	wfm_json_add_str(o, key, b.ptr);
	wfm_buf_release(&b);
}

/*
 * The units: what the script reported for each (status, reason, branch,
 * commit, and outOfScope when it gives the paths a scope refusal named)
 * joined with what the engine counted (agents, tokens). Units the engine
 * saw agents for but the script did not report are listed
 * with the status "unreported". The tokens of every unit not merged are
 * totalled: what went to units that did not land.
 */
static cJSON *units_json(const struct engine *e, const cJSON *value, cJSON *totals)
{
	const cJSON *reported = cJSON_GetObjectItemCaseSensitive(value, "units"), *u;
	cJSON *arr = wfm_json_array();
	unsigned long merged = 0, rejected = 0, failed = 0, skipped = 0, pending = 0, budget = 0;
	uint64_t not_landed = 0;

	cJSON_ArrayForEach (u, reported) {
		const char *id = wfm_json_get_str(u, "id", NULL),
			   *status = wfm_json_get_str(u, "status", NULL);
		const struct unit_stats *st = id ? find_stats(e, id) : NULL;
		cJSON *o;

		if (!id)
			continue;
		o = wfm_json_object();
		wfm_json_add_str(o, "id", id);
		wfm_json_add_str(o, "status", status ? status : "unknown");
		add_reason(o, "reason", wfm_json_get_str(u, "reason", NULL));
		if (wfm_json_get_str(u, "branch", NULL))
			wfm_json_add_str(o, "branch", wfm_json_get_str(u, "branch", NULL));
		else
			wfm_json_add_null(o, "branch");
		if (wfm_json_get_str(u, "commit", NULL))
			wfm_json_add_str(o, "commit", wfm_json_get_str(u, "commit", NULL));
		else
			wfm_json_add_null(o, "commit");
		add_paths(o, "outOfScope", cJSON_GetObjectItemCaseSensitive(u, "outOfScope"));
		if (wfm_json_get_str(u, "rejectedBy", NULL))
			wfm_json_add_str(o, "rejectedBy", wfm_json_get_str(u, "rejectedBy", NULL));
		wfm_json_add_num(o, "agents", st ? (double)st->agents : 0);
		wfm_json_add_num(o, "tokens", st ? (double)st->tokens : 0);
		wfm_json_add_num(o, "costUsd", st ? st->usd : 0);
		wfm_json_add(arr, NULL, o);
		if (st && (!status || strcmp(status, "merged")))
			not_landed += st->tokens;
		budget += budget_reason(wfm_json_get_str(u, "reason", NULL));
		if (!status)
			continue;
		merged += !strcmp(status, "merged");
		rejected += !strcmp(status, "rejected");
		failed += !strcmp(status, "failed");
		skipped += !strcmp(status, "skipped");
		pending += !strcmp(status, "pending");
	}
	for (size_t i = 0; i < e->units_nr; i++) {
		int seen = 0;
		cJSON_ArrayForEach (u, reported) {
			const char *id = wfm_json_get_str(u, "id", NULL);
			seen |= id && !strcmp(id, e->units[i].id);
		}
		if (!seen) {
			cJSON *o = wfm_json_object();
			wfm_json_add_str(o, "id", e->units[i].id);
			wfm_json_add_str(o, "status", "unreported");
			wfm_json_add_null(o, "reason");
			wfm_json_add_null(o, "branch");
			wfm_json_add_null(o, "commit");
			wfm_json_add_num(o, "agents", (double)e->units[i].agents);
			wfm_json_add_num(o, "tokens", (double)e->units[i].tokens);
			wfm_json_add_num(o, "costUsd", e->units[i].usd);
			wfm_json_add(arr, NULL, o);
			not_landed += e->units[i].tokens;
		}
	}
	wfm_json_add_num(totals, "merged", merged);
	wfm_json_add_num(totals, "rejected", rejected);
	wfm_json_add_num(totals, "failed", failed);
	wfm_json_add_num(totals, "skipped", skipped);
	wfm_json_add_num(totals, "pending", pending);
	wfm_json_add_num(totals, "budgetUnits", budget);
	wfm_json_add_num(totals, "tokensNotLanded", (double)not_landed);
	return arr;
}

/*
 * The agents that failed: {label, unit, reason, stderr, transcript}, stderr
 * the last lines its command wrote there (exec agents; null when none) and
 * transcript the path of its transcript (null when it has none).
 */
static cJSON *failures_json(const struct engine *e)
{
	cJSON *fails = wfm_json_array();

	for (size_t i = 0; i < e->failures_nr; i++) {
		const struct agent_failure *a = &e->failures[i];
		cJSON *f = wfm_json_object();

		wfm_json_add_str(f, "label", a->label);
		if (a->unit)
			wfm_json_add_str(f, "unit", a->unit);
		else
			wfm_json_add_null(f, "unit");
		wfm_json_add_str(f, "reason", a->reason);
		if (a->stderr_tail)
			wfm_json_add_str(f, "stderr", a->stderr_tail);
		else
			wfm_json_add_null(f, "stderr");
		if (a->transcript)
			wfm_json_add_str(f, "transcript", a->transcript);
		else
			wfm_json_add_null(f, "transcript");
		wfm_json_add(fails, NULL, f);
	}
	return fails;
}

/*
 * totals.rejectedByOracle, rejectedByVerifier, rejectedByQueue: the
 * rejected units by what rejected them, as the script said in each unit's
 * rejectedBy ("oracle", "verifier", "merge-queue"; migrate.js says it).
 */
static void rejections(cJSON *totals, const cJSON *value)
{
	static const struct {
		const char *by, *total;
	} kinds[] = {
		{ "oracle", "rejectedByOracle" },
		{ "verifier", "rejectedByVerifier" },
		{ "merge-queue", "rejectedByQueue" },
	};
	unsigned long n[WFM_ARRAY_SIZE(kinds)] = { 0 };
	const cJSON *u;

	cJSON_ArrayForEach (u, cJSON_GetObjectItemCaseSensitive(value, "units")) {
		const char *status = wfm_json_get_str(u, "status", NULL),
			   *by = wfm_json_get_str(u, "rejectedBy", NULL);

		if (!status || strcmp(status, "rejected") || !by)
			continue;
		for (size_t k = 0; k < WFM_ARRAY_SIZE(kinds); k++)
			n[k] += !strcmp(by, kinds[k].by);
	}
	for (size_t k = 0; k < WFM_ARRAY_SIZE(kinds); k++)
		wfm_json_add_num(totals, kinds[k].total, (double)n[k]);
}

/* {branch, commit, commits, agents, warnings}: branch and commit null when nothing was kept */
static cJSON *shared_json(struct engine *e)
{
	struct wfm_shared_summary s = WFM_SHARED_SUMMARY_INIT;
	cJSON *o = wfm_json_object(), *warnings = wfm_json_array();

	if (e->shared)
		wfm_shared_summary(&s, e->shared);
	if (s.branch) {
		wfm_json_add_str(o, "branch", s.branch);
		wfm_json_add_str(o, "commit", s.commit);
	} else {
		wfm_json_add_null(o, "branch");
		wfm_json_add_null(o, "commit");
	}
	wfm_json_add_num(o, "commits", (double)s.commits);
	wfm_json_add_num(o, "agents", (double)s.agents);
	for (size_t i = 0; i < s.warnings.nr; i++)
		wfm_json_add_str(warnings, NULL, s.warnings.v[i]);
	wfm_json_add(o, "warnings", warnings);
	wfm_shared_summary_release(&s);
	return o;
}

cJSON *wfm_engine_report(struct engine *e, enum wfm_run_status status, const char *error,
			 const cJSON *value)
{
	cJSON *r = wfm_json_object(), *integ = wfm_json_object(), *totals = wfm_json_object();
	char tip[WFM_OID_HEXSZ + 1];

	wfm_json_add_str(r, "run", e->opts->run->id);
	wfm_json_add_str(r, "status", status_name(status));
	if (status == WFM_RUN_STOPPED && e->stop_reason)
		wfm_json_add_str(r, "stopReason", e->stop_reason);
	if (e->pilot.limit) {
		cJSON *pilot = wfm_json_object();

		wfm_json_add_num(pilot, "limit", (double)e->pilot.limit);
		wfm_json_add_num(pilot, "started", (double)e->pilot.units.nr);
		wfm_json_add_num(pilot, "refused", (double)e->pilot.refused);
		wfm_json_add(r, "pilot", pilot);
	}
	if (error)
		wfm_json_add_str(r, "error", error);
	wfm_json_add_str(r, "base", e->opts->config->base);
	wfm_json_add_str(integ, "branch", e->integration + strlen("refs/heads/"));
	if (wfm_repo_resolve_commit(tip, e->repo, e->integration) == 0)
		wfm_json_add_str(integ, "commit", tip);
	else
		wfm_json_add_null(integ, "commit");
	wfm_json_add(r, "integration", integ);
	wfm_json_add(r, "shared", shared_json(e));
	wfm_json_add(r, "result", value ? cJSON_Duplicate(value, 1) : cJSON_CreateNull());
	wfm_json_add(r, "units", units_json(e, value, totals));
	wfm_json_add(r, "outOfReach", wfm_engine_reach_report(e));
	rejections(totals, value);
	wfm_json_add(r, "agentFailures", failures_json(e));
	wfm_json_add_num(totals, "agents", (double)(e->agents_run + e->agents_replayed));
	wfm_json_add_num(totals, "agentsRun", (double)e->agents_run);
	wfm_json_add_num(totals, "agentsReplayed", (double)e->agents_replayed);
	wfm_json_add_num(totals, "agentsFailed", (double)e->agents_failed);
	wfm_json_add_num(totals, "requestsReplayed", (double)e->requests_replayed);
	wfm_json_add_num(totals, "tokens", (double)e->tokens);
	wfm_json_add_num(totals, "cacheReadTokens", (double)e->cache_read);
	wfm_json_add_num(totals, "costUsd", e->cost_usd);
	wfm_json_add_num(totals, "durationMs", (double)(wfm_clock_mono_ms() - e->started_mono));
	{
		/* the engine's own CPU time (all its threads, not its children) */
		struct rusage ru;
		if (getrusage(RUSAGE_SELF, &ru) == 0)
			wfm_json_add_num(
				totals, "engineCpuMs",
				ru.ru_utime.tv_sec * 1000.0 + ru.ru_utime.tv_usec / 1000.0 +
					ru.ru_stime.tv_sec * 1000.0 + ru.ru_stime.tv_usec / 1000.0);
	}
	wfm_json_add(r, "totals", totals);
	wfm_engine_sessions_report(e, r, status_name(status));
	wfm_engine_cost_report(e, r);
	if (e->ledger) {
		struct wfm_ledger_totals t;
		cJSON *b = wfm_json_object();

		wfm_ledger_totals(e->ledger, &t);
		if (t.max_tokens)
			wfm_json_add_num(b, "maxTokens", (double)t.max_tokens);
		else
			wfm_json_add_null(b, "maxTokens");
		if (t.max_usd > 0)
			wfm_json_add_num(b, "maxCostUsd", t.max_usd);
		else
			wfm_json_add_null(b, "maxCostUsd");
		wfm_json_add_num(b, "spentTokens", (double)t.tokens);
		wfm_json_add_num(b, "spentUsd", t.usd);
		wfm_json_add_bool(b, "exhausted", t.exhausted);
		wfm_json_add(r, "budget", b);
	}
	return r;
}

static void md_escape(struct wfm_buf *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|' || *s == '\\' || *s == '`')
			wfm_buf_addch(out, '\\');
		wfm_buf_addch(out, *s == '\n' ? ' ' : *s);
	}
}

/* s as a code span outside a table: fenced by more backticks than it holds, nothing escaped */
static void md_code(struct wfm_buf *out, const char *s)
{
	size_t longest = 0, run = 0;
	int pad;

	s = s ? s : "";
	for (const char *p = s; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	pad = *s == '`' || (*s && s[strlen(s) - 1] == '`');
	for (size_t i = 0; i <= longest; i++)
		wfm_buf_addch(out, '`');
	if (pad)
		wfm_buf_addch(out, ' ');
	for (; *s; s++)
		wfm_buf_addch(out, *s == '\n' ? ' ' : *s);
	if (pad)
		wfm_buf_addch(out, ' ');
	for (size_t i = 0; i <= longest; i++)
		wfm_buf_addch(out, '`');
}

/* The lines out of reach: what no agent of the run could change. */
static void reach_md(struct wfm_buf *md, const cJSON *r)
{
	const cJSON *reach = cJSON_GetObjectItemCaseSensitive(r, "outOfReach");
	const cJSON *patterns = cJSON_GetObjectItemCaseSensitive(reach, "patterns"), *p;
	const cJSON *lines = cJSON_GetObjectItemCaseSensitive(reach, "lines"), *l;
	unsigned long total = (unsigned long)cJSON_GetNumberValue(
		cJSON_GetObjectItemCaseSensitive(reach, "total"));
	struct wfm_buf b = WFM_BUF_INIT;
	int n = 0;

	if (!cJSON_IsObject(reach))
		return;
	wfm_buf_adds(md, "Out of reach: ");
	if (total)
		wfm_buf_addf(md, "%lu %s", total,
			     total == 1 ? "line of code matches" : "lines of code match");
	else
		wfm_buf_adds(md, "none: every line of code that matches");
	cJSON_ArrayForEach (p, patterns) {
		wfm_buf_adds(md, n++ ? " or " : " ");
		md_code(md, cJSON_GetStringValue(p));
	}
	if (!total) {
		wfm_buf_adds(md, " is in a unit.\n\n");
		return;
	}
	wfm_buf_addf(md, " but %s in no unit: no agent of this run could change %s.\n\n",
		     total == 1 ? "lies" : "lie", total == 1 ? "it" : "them");
	cJSON_ArrayForEach (l, lines) {
		wfm_buf_clear(&b);
		wfm_engine_reach_line(&b, l);
		wfm_buf_adds(md, "- ");
		md_code(md, b.ptr);
		wfm_buf_addch(md, '\n');
	}
	if ((unsigned long)cJSON_GetArraySize(lines) < total)
		wfm_buf_addf(md, "- ... and %lu more\n",
			     total - (unsigned long)cJSON_GetArraySize(lines));
	wfm_buf_adds(md, "\nTo list them all:");
	n = 0;
	cJSON_ArrayForEach (p, patterns) {
		cJSON *params = wfm_json_object();

		wfm_json_add_str(params, "match", cJSON_GetStringValue(p));
		wfm_buf_clear(&b);
		wfm_engine_reach_hint(&b, wfm_json_get_str(r, "base", NULL), params);
		wfm_buf_adds(md, n++ ? " and " : " ");
		md_code(md, b.ptr);
		cJSON_Delete(params);
	}
	wfm_buf_adds(md, ", with the paths and --lang the workflow gave chunk(), if any.\n\n");
	wfm_buf_release(&b);
}

/* A fenced block of text, indented under a list item, with a fence longer than its backticks. */
static void md_fenced(struct wfm_buf *md, const char *text)
{
	size_t run = 0, longest = 2;
	const char *p;

	for (p = text; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	wfm_buf_adds(md, "\n\n  ");
	for (size_t i = 0; i <= longest; i++)
		wfm_buf_addch(md, '`');
	wfm_buf_adds(md, "\n  ");
	for (p = text; *p; p++) {
		wfm_buf_addch(md, *p);
		if (*p == '\n')
			wfm_buf_adds(md, "  ");
	}
	wfm_buf_adds(md, "\n  ");
	for (size_t i = 0; i <= longest; i++)
		wfm_buf_addch(md, '`');
	wfm_buf_addch(md, '\n');
}

/* "Agents that failed": each with its reason, its stderr's last lines and its transcript. */
static void md_failures(struct wfm_buf *md, const cJSON *failures)
{
	const cJSON *f;

	if (!cJSON_GetArraySize(failures))
		return;
	wfm_buf_adds(md, "Agents that failed:\n\n");
	cJSON_ArrayForEach (f, failures) {
		wfm_buf_adds(md, "- `");
		md_escape(md, wfm_json_get_str(f, "label", NULL));
		wfm_buf_adds(md, "`: ");
		md_escape(md, wfm_json_get_str(f, "reason", NULL));
		if (wfm_json_get_str(f, "transcript", NULL)) {
			wfm_buf_adds(md, " (transcript: `");
			md_escape(md, wfm_json_get_str(f, "transcript", NULL));
			wfm_buf_adds(md, "`)");
		}
		if (wfm_json_get_str(f, "stderr", NULL))
			md_fenced(md, wfm_json_get_str(f, "stderr", NULL));
		wfm_buf_addch(md, '\n');
	}
	wfm_buf_addch(md, '\n');
}

static double number(const cJSON *obj, const char *name)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(obj, name));
}

/* A unit's tokens, or "-" when the report does not have them (a report older than the figure). */
static void md_count(struct wfm_buf *md, const cJSON *n)
{
	if (cJSON_IsNumber(n))
		wfm_buf_addf(md, "%.0f", n->valuedouble);
	else
		wfm_buf_addch(md, '-');
}

/* USD to the hundredth of a cent: a unit of a cheap model costs a fraction of one */
static void md_usd(struct wfm_buf *md, const cJSON *n)
{
	if (cJSON_IsNumber(n))
		wfm_buf_addf(md, "%.4f", n->valuedouble);
	else
		wfm_buf_addch(md, '-');
}

/* What the oracle cost, and what rejected the units. */
static void report_md_oracle(struct wfm_buf *md, const cJSON *r)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(r, "oracle");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(r, "mergeQueue");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(r, "totals");
	double batches = number(m, "batches");

	if (!o || !(number(o, "runs") > 0))
		return;
	wfm_buf_addf(md,
		     "The oracle:\n\n"
		     "- %.0f runs (%.0f by the workflow's oracle(), %.0f by the merge queue), "
		     "%.1f s in all, the longest %.1f s\n"
		     "- of them, %.0f on the base commit (baselines, %.1f s)\n",
		     number(o, "runs"), number(o, "requestRuns"), number(o, "queueRuns"),
		     number(o, "totalMs") / 1000.0, number(o, "longestMs") / 1000.0,
		     number(o, "baselineRuns"), number(o, "baselineMs") / 1000.0);
	if (number(o, "replayedRuns") > 0)
		wfm_buf_addf(md,
			     "- of them, %.0f made before the run was resumed (from the journal)\n",
			     number(o, "replayedRuns"));
	wfm_buf_addf(md, "- merge queue: %.0f batch%s", batches, batches == 1 ? "" : "es");
	if (batches > 0)
		wfm_buf_addf(md, " of %.1f branches on average, %.0f at most",
			     number(m, "batchedBranches") / batches, number(m, "largestBatch"));
	wfm_buf_addf(md, "; %.0f bisection step%s\n", number(m, "bisectionSteps"),
		     number(m, "bisectionSteps") == 1 ? "" : "s");
	wfm_buf_addf(md,
		     "- units rejected: %.0f by the oracle, %.0f by a verifier, %.0f by the merge "
		     "queue's other checks\n\n",
		     number(t, "rejectedByOracle"), number(t, "rejectedByVerifier"),
		     number(t, "rejectedByQueue"));
}

/* Where the work ran, when an executor made jobs of it (docs/executors.md). */
static void report_md_jobs(struct wfm_buf *md, const cJSON *r)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(r, "jobs");
	double n = number(j, "agents") + number(j, "oracleRuns");

	if (!(n > 0))
		return;
	wfm_buf_addf(md,
		     "Jobs (executor %s):\n\n"
		     "- %.0f agent%s and %.0f oracle run%s ran as jobs\n"
		     "- queued %.1f s on average, %.1f s at most, before they started\n\n",
		     wfm_json_get_str(j, "executor", "?"), number(j, "agents"),
		     number(j, "agents") == 1 ? "" : "s", number(j, "oracleRuns"),
		     number(j, "oracleRuns") == 1 ? "" : "s", number(j, "waitMs") / n / 1000.0,
		     number(j, "longestWaitMs") / 1000.0);
	if (number(j, "lost") > 0) {
		/* the blank line that ends the list comes after this item */
		wfm_buf_setlen(md, md->len - 1);
		wfm_buf_addf(md,
			     "- %.0f job%s lost (a node failure, preemption, cancelled by someone "
			     "else) and submitted again\n\n",
			     number(j, "lost"), number(j, "lost") == 1 ? " was" : "s were");
	}
}

void wfm_report_md(struct wfm_buf *md, const cJSON *r)
{
	const cJSON *totals = cJSON_GetObjectItemCaseSensitive(r, "totals");
	const cJSON *integ = cJSON_GetObjectItemCaseSensitive(r, "integration");
	const cJSON *shared = cJSON_GetObjectItemCaseSensitive(r, "shared");
	const cJSON *units = cJSON_GetObjectItemCaseSensitive(r, "units"), *u;
	const char *err = wfm_json_get_str(r, "error", NULL);

#define TOTAL(name)                                                                                \
	((unsigned long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(totals, name)))
	wfm_buf_addf(md, "# Run %s: %s\n\n", wfm_json_get_str(r, "run", NULL),
		     wfm_json_get_str(r, "status", NULL));
	if (err) {
		wfm_buf_adds(md, "The workflow failed: `");
		md_escape(md, err);
		wfm_buf_adds(md, "`\n\n");
	}
	wfm_buf_addf(md, "- base: `%s`\n", wfm_json_get_str(r, "base", NULL));
	wfm_buf_addf(md, "- integration branch: `%s` at `%s`\n",
		     wfm_json_get_str(integ, "branch", NULL),
		     wfm_json_get_str(integ, "commit", "(not created)"));
	if (wfm_json_get_str(shared, "branch", NULL)) {
		wfm_buf_addf(md,
			     "- shared checkout (agents without isolation): `%s` at `%s`; bring "
			     "its edits to your branch with `git merge %s`\n",
			     wfm_json_get_str(shared, "branch", NULL),
			     wfm_json_get_str(shared, "commit", NULL),
			     wfm_json_get_str(shared, "branch", NULL));
		cJSON_ArrayForEach (u, cJSON_GetObjectItemCaseSensitive(shared, "warnings")) {
			wfm_buf_adds(md, "  - warning: ");
			md_escape(md, cJSON_GetStringValue(u));
			wfm_buf_adds(md, "\n");
		}
	}
	wfm_buf_addf(
		md,
		"- units: %lu merged, %lu rejected, %lu failed, %lu skipped\n"
		"- agents: %lu (%lu run, %lu answered from the journal, %lu failed), %lu tokens, "
		"%lu of them on units that did not land, USD %.4f\n"
		"- time: %.1f s\n",
		TOTAL("merged"), TOTAL("rejected"), TOTAL("failed"), TOTAL("skipped"),
		TOTAL("agents"), TOTAL("agentsRun"), TOTAL("agentsReplayed"), TOTAL("agentsFailed"),
		TOTAL("tokens"), TOTAL("tokensNotLanded"), number(totals, "costUsd"),
		TOTAL("durationMs") / 1000.0);
	wfm_engine_sessions_md(md, r);
	wfm_buf_addch(md, '\n');
	{
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(r, "budget");
		double cost =
			cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(totals, "costUsd"));

		if (b) {
			wfm_buf_addf(md, "Cost: $%.4f, %.0f tokens read from the prompt cache.",
				     cost,
				     cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
					     totals, "cacheReadTokens")));
			if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "exhausted")) ||
			    TOTAL("budgetUnits"))
				wfm_buf_addf(
					md,
					" **The budget ran out**: %lu unit(s) were left undone for "
					"it (their reason starts with `budget:`: never started, or "
					"not verified or fixed), and %lu tokens went to units that "
					"did not land.",
					TOTAL("budgetUnits"), TOTAL("tokensNotLanded"));
			wfm_buf_adds(md, "\n\n");
		}
	}
#undef TOTAL
	reach_md(md, r);
	report_md_oracle(md, r);
	report_md_jobs(md, r);
	md_failures(md, cJSON_GetObjectItemCaseSensitive(r, "agentFailures"));
	if (!cJSON_GetArraySize(units))
		return;
	wfm_buf_adds(md, "| unit | status | reason | branch | agents | tokens | USD |\n"
			 "|---|---|---|---|---|---|---|\n");
	cJSON_ArrayForEach (u, units) {
		wfm_buf_adds(md, "| `");
		md_escape(md, wfm_json_get_str(u, "id", NULL));
		wfm_buf_adds(md, "` | ");
		md_escape(md, wfm_json_get_str(u, "status", NULL));
		wfm_buf_adds(md, " | ");
		md_escape(md, wfm_json_get_str(u, "reason", NULL));
		wfm_buf_adds(md, " | ");
		md_escape(md, wfm_json_get_str(u, "branch", NULL));
		wfm_buf_addf(md, " | %lu | ", (unsigned long)number(u, "agents"));
		md_count(md, cJSON_GetObjectItemCaseSensitive(u, "tokens"));
		wfm_buf_adds(md, " | ");
		md_usd(md, cJSON_GetObjectItemCaseSensitive(u, "costUsd"));
		wfm_buf_adds(md, " |\n");
	}
}

static int write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		return wfm_error_set("cannot write '%s': %s", path, strerror(errno));
	if (fwrite(data, 1, len, f) != len || fclose(f) != 0)
		return wfm_error_set("cannot write '%s': %s", path, strerror(errno));
	return 0;
}

int wfm_engine_report_write(struct engine *e, const cJSON *report)
{
	struct wfm_buf json = WFM_BUF_INIT, md = WFM_BUF_INIT;
	char *pj = wfm_rundir_file(e->opts->run, "report.json");
	char *pm = wfm_rundir_file(e->opts->run, "report.md");
	char *pretty = cJSON_Print(report);
	int rc;

	wfm_buf_adds(&json, pretty ? pretty : "null");
	wfm_buf_addch(&json, '\n');
	cJSON_free(pretty);
	wfm_report_md(&md, report);
	rc = write_file(pj, json.ptr, json.len);
	if (!rc)
		rc = write_file(pm, md.ptr, md.len);
	wfm_buf_release(&json);
	wfm_buf_release(&md);
	free(pj);
	free(pm);
	return rc;
}
