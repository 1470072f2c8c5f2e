/*
 * What the oracle cost a run, for the report: the runs of oracle() and
 * the merge queue's runs, batches and bisection steps, with their wall
 * time. A resumed run counts what its earlier sessions did from the
 * journal: an oracle() result holds its own duration, and the record of
 * every journaled merge() keeps the queue's work since the decision
 * journaled before it (the queue's own figures start again at zero in
 * each session). The same for the runs an executor made jobs, and the
 * agents it ran as jobs: how many, and how long they queued.
 */
#include "base/common.h"
#include "base/json.h"
#include "engine/engine_priv.h"
#include "engine/merge_queue.h"

static uint64_t num(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsNumber(v) && v->valuedouble > 0 ? (uint64_t)v->valuedouble : 0;
}

static void longest(uint64_t *max, uint64_t ms)
{
	if (ms > *max)
		*max = ms;
}

void wfm_engine_count_oracle(struct engine *e, const cJSON *value, int replayed)
{
	const cJSON *commit = cJSON_GetObjectItemCaseSensitive(value, "commit");
	uint64_t ms = num(value, "durationMs");
	struct oracle_cost *c = &e->oracle;

	if (!cJSON_IsObject(value))
		return;
	c->runs++;
	c->request_runs++;
	c->replayed_runs += replayed ? 1 : 0;
	c->total_ms += ms;
	longest(&c->longest_ms, ms);
	{
		struct wfm_exec_where w;

		wfm_exec_where_from_json(&w, value);
		wfm_exec_tally_add(&c->jobs, &w);
	}
	if (cJSON_IsString(commit) && !strcmp(commit->valuestring, e->opts->config->base)) {
		c->baseline_runs++;
		c->baseline_ms += ms;
	}
}

cJSON *wfm_engine_queue_cost(struct engine *e)
{
	struct wfm_merge_stats now, *was = &e->queue_journaled;
	cJSON *o;

	if (!e->merge)
		return NULL;
	wfm_merge_queue_stats(e->merge, &now);
	if (now.oracle_runs == was->oracle_runs && now.baseline_runs == was->baseline_runs &&
	    now.batches == was->batches && now.bisections == was->bisections &&
	    now.jobs.jobs == was->jobs.jobs) {
		*was = now;
		return NULL;
	}
	o = wfm_json_object();
	wfm_json_add_num(o, "runs", (double)(now.oracle_runs - was->oracle_runs));
	wfm_json_add_num(o, "ms", (double)(now.oracle_ms - was->oracle_ms));
	wfm_json_add_num(o, "baselineRuns", (double)(now.baseline_runs - was->baseline_runs));
	wfm_json_add_num(o, "baselineMs", (double)(now.baseline_ms - was->baseline_ms));
	/* the longest so far: the largest of these over the records is the longest of all */
	wfm_json_add_num(o, "longestMs", (double)now.longest_ms);
	wfm_json_add_num(o, "batches", (double)(now.batches - was->batches));
	wfm_json_add_num(o, "batched", (double)(now.batched - was->batched));
	wfm_json_add_num(o, "largestBatch", (double)now.largest_batch);
	wfm_json_add_num(o, "bisections", (double)(now.bisections - was->bisections));
	if (now.jobs.jobs > was->jobs.jobs) {
		wfm_json_add_num(o, "jobs", (double)(now.jobs.jobs - was->jobs.jobs));
		wfm_json_add_num(o, "waitMs", (double)(now.jobs.wait_ms - was->jobs.wait_ms));
		wfm_json_add_num(o, "longestWaitMs", (double)now.jobs.longest_wait_ms);
		wfm_json_add_num(o, "lostJobs", (double)(now.jobs.lost - was->jobs.lost));
	}
	*was = now;
	return o;
}

void wfm_engine_count_queue(struct engine *e, const cJSON *record)
{
	const cJSON *q = cJSON_GetObjectItemCaseSensitive(record, "queue");
	struct oracle_cost *c = &e->oracle;
	uint64_t runs, base;

	if (!cJSON_IsObject(q))
		return;
	runs = num(q, "runs");
	base = num(q, "baselineRuns");
	c->runs += runs + base;
	c->replayed_runs += runs + base;
	c->queue_runs += runs + base;
	c->baseline_runs += base;
	c->total_ms += num(q, "ms") + num(q, "baselineMs");
	c->baseline_ms += num(q, "baselineMs");
	longest(&c->longest_ms, num(q, "longestMs"));
	c->batches += num(q, "batches");
	c->batched += num(q, "batched");
	if (num(q, "largestBatch") > c->largest_batch)
		c->largest_batch = num(q, "largestBatch");
	c->bisections += num(q, "bisections");
	c->jobs.jobs += num(q, "jobs");
	c->jobs.wait_ms += num(q, "waitMs");
	longest(&c->jobs.longest_wait_ms, num(q, "longestWaitMs"));
	c->jobs.lost += num(q, "lostJobs");
}

/* The jobs of the run (agents and oracle runs an executor made jobs), for the report. */
static cJSON *jobs_report(const struct engine *e, const struct oracle_cost *c)
{
	const struct wfm_exec_tally *a = &e->agent_jobs;
	cJSON *o = wfm_json_object();

	wfm_json_add_str(o, "executor",
			 e->opts->config->executor ? e->opts->config->executor : "local");
	wfm_json_add_num(o, "agents", (double)a->jobs);
	wfm_json_add_num(o, "oracleRuns", (double)c->jobs.jobs);
	wfm_json_add_num(o, "lost", (double)(a->lost + c->jobs.lost));
	wfm_json_add_num(o, "waitMs", (double)(a->wait_ms + c->jobs.wait_ms));
	wfm_json_add_num(o, "longestWaitMs",
			 (double)(a->longest_wait_ms > c->jobs.longest_wait_ms
					  ? a->longest_wait_ms
					  : c->jobs.longest_wait_ms));
	return o;
}

void wfm_engine_cost_report(struct engine *e, cJSON *r)
{
	struct oracle_cost c = e->oracle;
	struct wfm_merge_stats s;
	cJSON *o = wfm_json_object(), *m = wfm_json_object();

	memset(&s, 0, sizeof(s));
	if (e->merge)
		wfm_merge_queue_stats(e->merge, &s);
	c.runs += s.oracle_runs + s.baseline_runs;
	c.queue_runs += s.oracle_runs + s.baseline_runs;
	c.baseline_runs += s.baseline_runs;
	c.total_ms += s.oracle_ms + s.baseline_ms;
	c.baseline_ms += s.baseline_ms;
	longest(&c.longest_ms, s.longest_ms);
	c.batches += s.batches;
	c.batched += s.batched;
	if (s.largest_batch > c.largest_batch)
		c.largest_batch = s.largest_batch;
	c.bisections += s.bisections;
	c.jobs.jobs += s.jobs.jobs;
	c.jobs.wait_ms += s.jobs.wait_ms;
	longest(&c.jobs.longest_wait_ms, s.jobs.longest_wait_ms);
	c.jobs.lost += s.jobs.lost;

	wfm_json_add_num(o, "runs", (double)c.runs);
	wfm_json_add_num(o, "baselineRuns", (double)c.baseline_runs);
	wfm_json_add_num(o, "requestRuns", (double)c.request_runs);
	wfm_json_add_num(o, "queueRuns", (double)c.queue_runs);
	wfm_json_add_num(o, "replayedRuns", (double)c.replayed_runs);
	wfm_json_add_num(o, "totalMs", (double)c.total_ms);
	wfm_json_add_num(o, "baselineMs", (double)c.baseline_ms);
	wfm_json_add_num(o, "longestMs", (double)c.longest_ms);
	wfm_json_add(r, "oracle", o);

	wfm_json_add_num(m, "oracleRuns", (double)c.queue_runs);
	wfm_json_add_num(m, "batches", (double)c.batches);
	wfm_json_add_num(m, "batchedBranches", (double)c.batched);
	wfm_json_add_num(m, "largestBatch", (double)c.largest_batch);
	wfm_json_add_num(m, "bisectionSteps", (double)c.bisections);
	wfm_json_add(r, "mergeQueue", m);
	wfm_json_add(r, "jobs", jobs_report(e, &c));
}
