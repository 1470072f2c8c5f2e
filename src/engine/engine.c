/*
 * The engine's loop: one thread reads the harness's messages, answers
 * journaled requests at once, starts the others within the limits, and
 * sends each result back as its job finishes.
 */
#include "base/common.h"
#include "base/clock.h"
#include "base/fs.h"
#include "base/json.h"
#include "agent/agent_type.h"
#include "engine/engine_priv.h"
#include "engine/harness.h"
#include "engine/journal.h"
#include "engine/merge_queue.h"
#include "engine/rundir.h"
#include "engine/shared.h"
#include "exec/executor.h"
#include "git/pool.h"
#include "llm/ledger.h"

#include <fcntl.h>
#include <poll.h>
#include <time.h>

#define CONTROL_POLL_MS 200
#define HARNESS_EXIT_WAIT_MS 5000
#define BUDGET_CODE "budget"
#define PILOT_CODE "pilot"

static void progress(struct engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(struct engine *e, const char *fmt, ...)
{
	struct wfm_buf line = WFM_BUF_INIT;
	va_list ap;

	if (!e->opts->progress)
		return;
	va_start(ap, fmt);
	wfm_buf_vaddf(&line, fmt, ap);
	va_end(ap);
	wfm_engine_say(e, line.ptr);
	wfm_buf_release(&line);
}

static void event(struct engine *e, const char *type, const char *key, const char *value)
{
	cJSON *ev = wfm_json_object();

	wfm_json_add_str(ev, "type", type);
	if (key && value)
		wfm_json_add_str(ev, key, value);
	wfm_rundir_event(e->opts->run, ev);
	cJSON_Delete(ev);
}

void wfm_engine_job_free(struct job *job)
{
	if (!job)
		return;
	free(job->method);
	cJSON_Delete(job->params);
	free(job->key);
	free(job->extra);
	free(job->branch);
	free(job->unit_id);
	free(job->label);
	free(job->phase);
	wfm_agent_type_free(job->type);
	free(job->reason);
	free(job->stderr_tail);
	free(job->transcript);
	free(job->journal_error);
	cJSON_Delete(job->reach);
	free(job->warning);
	cJSON_Delete(job->queue_cost);
	cJSON_Delete(job->value);
	free(job->error);
	free(job);
}

static cJSON *job_record(const struct job *job);

void wfm_engine_finished(struct job *job)
{
	struct engine *e = job->e;
	char byte = 1;

	/*
	 * Journal it here, on the thread that finished it: the fsync does not
	 * hold up the engine thread, and the result is still sent only once
	 * its record is on disk.
	 */
	if (job->ok && job->journal) {
		cJSON *rec = job_record(job);
		if (wfm_journal_append(e->journal, job->key, job->method, rec) < 0)
			job->journal_error = wfm_strdup(wfm_error_last());
		cJSON_Delete(rec);
	}

	pthread_mutex_lock(&e->lock);
	job->next = NULL;
	*e->done_tail = job;
	e->done_tail = &job->next;
	pthread_mutex_unlock(&e->lock);
	/* the pipe is non-blocking: a full pipe already holds a wake-up */
	if (write(e->wake[1], &byte, 1) < 0 && errno != EAGAIN)
		abort();
}

/* What people call an agent: its label, else its branch. */
static const char *job_name(const struct job *job)
{
	return job->label ? job->label : job->branch ? job->branch : "(unlabelled)";
}

static void *job_thread(void *arg)
{
	wfm_engine_execute(arg);
	wfm_engine_finished(arg);
	return NULL;
}

/* code: with !ok, what kind of refusal it is (BUDGET_CODE), or NULL */
static void send_result(struct engine *e, long id, int ok, const cJSON *value, const char *error,
			const char *code)
{
	cJSON *msg = wfm_json_object();

	wfm_json_add_str(msg, "type", "result");
	wfm_json_add_num(msg, "id", (double)id);
	wfm_json_add_bool(msg, "ok", ok);
	if (ok)
		wfm_json_add(msg, "value", value ? cJSON_Duplicate(value, 1) : cJSON_CreateNull());
	else
		wfm_json_add_str(msg, "error", error ? error : "failed");
	if (!ok && code)
		wfm_json_add_str(msg, "code", code);
	/* a runtime that is gone is noticed by the loop at EOF */
	wfm_harness_send(e->harness, msg);
	cJSON_Delete(msg);
}

static struct unit_stats *unit_stats(struct engine *e, const char *id)
{
	for (size_t i = 0; i < e->units_nr; i++)
		if (!strcmp(e->units[i].id, id))
			return &e->units[i];
	WFM_ALLOC_GROW(e->units, e->units_nr + 1, e->units_alloc);
	e->units[e->units_nr] = (struct unit_stats){ wfm_strdup(id), 0, 0, 0 };
	return &e->units[e->units_nr++];
}

static void count_agent(struct engine *e, const struct job *job)
{
	e->tokens += job->tokens;
	e->cost_usd += job->cost_usd;
	e->cache_read += job->cache_read;
	wfm_exec_tally_add(&e->agent_jobs, &job->where);
	if (job->agent_failed) {
		struct agent_failure *f;

		e->agents_failed++;
		WFM_ALLOC_GROW(e->failures, e->failures_nr + 1, e->failures_alloc);
		f = &e->failures[e->failures_nr++];
		f->label = wfm_strdup(job->label ? job->label : job->branch ? job->branch : "");
		f->unit = job->unit_id ? wfm_strdup(job->unit_id) : NULL;
		f->reason = wfm_strdup(job->reason ? job->reason : "failed");
		f->stderr_tail = job->stderr_tail ? wfm_strdup(job->stderr_tail) : NULL;
		f->transcript = job->transcript ? wfm_strdup(job->transcript) : NULL;
	}
	if (job->unit_id) {
		struct unit_stats *u = unit_stats(e, job->unit_id);
		u->agents++;
		u->tokens += job->tokens;
		u->usd += job->cost_usd;
	}
	if (job->item) {
		job->item->tokens += job->tokens;
		job->item->usd += job->cost_usd;
		job->item->cut |= job->budget_cut;
	}
}

/* What the pilot counts an agent's unit by (sched.h): its unit, else its item; NULL: neither. */
static const char *pilot_key(struct wfm_buf *b, const struct job *job)
{
	if (job->unit_id)
		return job->unit_id;
	if (!job->item)
		return NULL;
	wfm_buf_addf(b, "item %ld", job->item->id);
	return b->ptr;
}

/* The script's budget.spent(), and whether the budget is exhausted. */
static void send_budget(struct engine *e)
{
	cJSON *msg;

	if (!e->ledger)
		return;
	msg = wfm_engine_budget(e);
	wfm_json_add_str(msg, "type", "budget");
	wfm_harness_send(e->harness, msg);
	cJSON_Delete(msg);
}

/* A failed agent's stderr tail and transcript, from its journal record. */
static void replay_failure(struct job *job, const cJSON *rec)
{
	const char *tail = wfm_json_get_str(rec, "stderr", NULL);
	const char *path = wfm_json_get_str(rec, "transcript", NULL);

	if (tail)
		job->stderr_tail = wfm_strdup(tail);
	if (path)
		job->transcript = wfm_strdup(path);
}

void wfm_engine_replay_agent(struct engine *e, struct job *job, const cJSON *rec)
{
	struct wfm_buf key = WFM_BUF_INIT;
	const cJSON *tokens = cJSON_GetObjectItemCaseSensitive(rec, "tokens");
	const cJSON *cost = cJSON_GetObjectItemCaseSensitive(rec, "cost_usd");
	const cJSON *cached = cJSON_GetObjectItemCaseSensitive(rec, "cache_read");
	const cJSON *unit = cJSON_GetObjectItemCaseSensitive(rec, "unit");

	e->agents_replayed++;
	job->tokens = cJSON_IsNumber(tokens) ? (uint64_t)tokens->valuedouble : 0;
	job->cost_usd = cJSON_IsNumber(cost) ? cost->valuedouble : 0;
	job->cache_read = cJSON_IsNumber(cached) ? (uint64_t)cached->valuedouble : 0;
	if (e->ledger) { /* what earlier sessions spent counts against the budget */
		struct wfm_ledger_hold none = { 0, 0 };
		wfm_ledger_settle(e->ledger, &none, job->tokens, job->cost_usd);
	}
	job->agent_failed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "failed"));
	if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(rec, "reason")))
		job->reason =
			wfm_strdup(cJSON_GetObjectItemCaseSensitive(rec, "reason")->valuestring);
	replay_failure(job, rec);
	if (cJSON_IsString(unit) && !job->unit_id)
		job->unit_id = wfm_strdup(unit->valuestring);
	job->budget_cut = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "budget"));
	wfm_exec_where_from_json(&job->where, rec);
	if (job->item)
		job->item->agents++;
	wfm_sched_pilot_count(&e->pilot, pilot_key(&key, job));
	wfm_buf_release(&key);
	count_agent(e, job);
}

/* The journal record of a job: enough to answer the request again and to count it. */
static cJSON *job_record(const struct job *job)
{
	cJSON *rec = wfm_json_object();

	wfm_json_add(rec, "value",
		     job->value ? cJSON_Duplicate(job->value, 1) : cJSON_CreateNull());
	if (job->unit_id)
		wfm_json_add_str(rec, "unit", job->unit_id);
	if (job->tokens)
		wfm_json_add_num(rec, "tokens", (double)job->tokens);
	if (job->cost_usd > 0)
		wfm_json_add_num(rec, "cost_usd", job->cost_usd);
	if (job->cache_read)
		wfm_json_add_num(rec, "cache_read", (double)job->cache_read);
	if (job->reach)
		wfm_json_add(rec, "outOfReach", cJSON_Duplicate(job->reach, 1));
	wfm_exec_where_to_json(rec, &job->where);
	if (job->agent_failed) {
		wfm_json_add_bool(rec, "failed", 1);
		if (job->reason)
			wfm_json_add_str(rec, "reason", job->reason);
		if (job->stderr_tail)
			wfm_json_add_str(rec, "stderr", job->stderr_tail);
		if (job->transcript)
			wfm_json_add_str(rec, "transcript", job->transcript);
		if (job->budget_cut)
			wfm_json_add_bool(rec, "budget", 1);
	}
	if (job->queue_cost)
		wfm_json_add(rec, "queue", cJSON_Duplicate(job->queue_cost, 1));
	return rec;
}

void wfm_engine_count_start(struct engine *e, struct job *job)
{
	e->agents_running++;
	e->agents_run++;
	if (job->item)
		job->item->agents++;
}

void wfm_engine_count_refusal(struct engine *e, struct job *job)
{
	/* it made no call: as if it had not started (the script sees a refusal) */
	e->agents_running--;
	e->agents_run--;
	if (job->item && job->item->agents) {
		job->item->agents--;
		job->item->cut = 1;
	}
}

static void start_job(struct engine *e, struct job *job)
{
	if (job->kind == JOB_AGENT) {
		wfm_engine_count_start(e, job);
		progress(e, "agent %s started", job_name(job));
		wfm_engine_agent_started(e, job);
	} else if (job->kind == JOB_ORACLE) {
		e->oracles_running++;
		wfm_engine_oracle_started(e, job);
	}
	e->in_flight++;
	if (job->kind == JOB_MERGE) {
		wfm_engine_merge_queued(e, job);
		wfm_engine_execute(job); /* submits to the queue; it calls back when decided */
		return;
	}
	if (pthread_create(&job->thread, NULL, job_thread, job)) {
		job->ok = 0;
		job->error = wfm_strdup("cannot start a thread");
		wfm_engine_finished(job);
		return;
	}
	job->threaded = 1;
}

/* Answers a job that never started (stopped before its turn). */
void wfm_engine_job_drop(struct job *job, const char *why)
{
	job->ok = job->kind == JOB_AGENT; /* a stopped agent is null, as in the reference */
	job->error = job->ok ? NULL : wfm_strdup(why);
	job->journal = 0;
}

static void drop_job(struct engine *e, struct job *job, const char *why)
{
	wfm_engine_job_drop(job, why);
	send_result(e, job->id, job->ok, NULL, job->error, NULL);
	wfm_engine_job_free(job);
}

/* Where a waiting agent stands in the queue (sched.h). */
static struct wfm_sched_key job_key(const struct job *job)
{
	struct wfm_sched_key k;

	k.fresh = job->item && !job->item->agents;
	k.stage = job->stage;
	k.age = job->item ? job->item->age : job->arrival;
	k.arrival = job->arrival;
	return k;
}

/* The link of the waiting list that holds the agent to start first. */
static struct job **next_agent(struct engine *e)
{
	struct job **best = &e->waiting_agents, **p;
	struct wfm_sched_key bk = job_key(*best);

	for (p = &(*best)->next; *p; p = &(*p)->next) {
		struct wfm_sched_key k = job_key(*p);

		if (wfm_sched_before(&k, &bk)) {
			best = p;
			bk = k;
		}
	}
	return best;
}

static struct job *unlink_agent(struct engine *e, struct job **link)
{
	struct job *job = *link;

	*link = job->next;
	if (e->waiting_agents_tail == &job->next)
		e->waiting_agents_tail = link;
	job->next = NULL;
	return job;
}

/* The budget for the admission of new items; 0 when the run has none. */
static int budget_view(struct wfm_sched_budget *out, struct engine *e, const struct job *job)
{
	struct wfm_ledger_totals t;

	if (!e->ledger)
		return 0;
	wfm_ledger_totals(e->ledger, &t);
	if (!t.max_tokens && !(t.max_usd > 0))
		return 0;
	/*
	 * What finished agents spent, not the ledger's count: that holds the
	 * calls of running agents too, which their items' figures do not yet.
	 */
	out->max_tokens = t.max_tokens;
	out->spent_tokens = e->tokens;
	out->max_usd = t.max_usd;
	out->spent_usd = e->cost_usd;
	/* before an item has ended: one agent's worth for each stage of its pipeline */
	out->first_tokens = job->first_tokens * job->stages;
	out->first_usd = job->first_usd * job->stages;
	return 1;
}

/* An agent that cannot start for lack of budget rejects (docs/protocol.md). */
static void refuse_agent(struct engine *e, struct job *job, const char *why)
{
	send_result(e, job->id, 0, NULL, why, BUDGET_CODE);
	wfm_engine_job_free(job);
}

static void schedule(struct engine *e)
{
	while (e->waiting_oracles && e->oracles_running < e->opts->config->oracle_jobs) {
		struct job *job = e->waiting_oracles;
		e->waiting_oracles = job->next;
		if (!e->waiting_oracles)
			e->waiting_oracles_tail = &e->waiting_oracles;
		start_job(e, job);
	}
	while (!e->paused && e->waiting_agents &&
	       e->agents_running < e->opts->config->concurrency) {
		struct job **link = next_agent(e);
		struct job *job = *link;
		struct wfm_sched_budget b;
		struct wfm_buf why = WFM_BUF_INIT, msg = WFM_BUF_INIT;
		int fresh = job->item && !job->item->agents;
		struct wfm_sched_turn t = {
			.item = job->item,
			.spent = wfm_engine_budget_spent(e),
			.budget = fresh && budget_view(&b, e, job) ? &b : NULL,
			.busy = e->in_flight || e->waiting_oracles,
			.idle_turns = e->idle_turns,
		};

		{
			struct wfm_buf key = WFM_BUF_INIT;
			int admit = wfm_sched_pilot_admit(&e->pilot, pilot_key(&key, job));

			wfm_buf_release(&key);
			if (!admit) {
				wfm_buf_addf(&msg,
					     "pilot: not started: the pilot runs %lu unit%s "
					     "('git wfmigrate resume %s' runs the rest)",
					     e->pilot.limit, e->pilot.limit == 1 ? "" : "s",
					     e->opts->run->id);
				if (e->pilot.refused == 1)
					progress(e, "pilot: %lu unit%s started; no other starts",
						 e->pilot.limit, e->pilot.limit == 1 ? "" : "s");
				unlink_agent(e, link);
				send_result(e, job->id, 0, NULL, msg.ptr, PILOT_CODE);
				wfm_engine_job_free(job);
				wfm_buf_release(&msg);
				wfm_buf_release(&why);
				continue;
			}
		}
		switch (wfm_sched_decide(&why, &e->sched, &t)) {
		case WFM_SCHED_HOLD:
			/* fresh items sort last: every agent still waiting is one */
			wfm_buf_release(&why);
			return;
		case WFM_SCHED_SPENT:
			refuse_agent(
				e, unlink_agent(e, link),
				"budget: the run's budget is spent (--budget, --max-cost): no new "
				"work starts");
			break;
		case WFM_SCHED_NO_ROOM:
			wfm_buf_addf(&msg, "budget: no new unit is started: %s", why.ptr);
			if (!e->budget_refusals++)
				progress(e, "%s", msg.ptr);
			refuse_agent(e, unlink_agent(e, link), msg.ptr);
			break;
		case WFM_SCHED_RUN_STALLED:
			progress(e,
				 "budget: agent %s starts though %s: nothing else is running, and "
				 "the script waits for it",
				 job_name(job), why.ptr);
			e->idle_turns = 0;
			start_job(e, unlink_agent(e, link));
			break;
		case WFM_SCHED_RUN:
			start_job(e, unlink_agent(e, link));
			break;
		}
		wfm_buf_release(&msg);
		wfm_buf_release(&why);
	}
}

static void queue_job(struct engine *e, struct job *job)
{
	job->next = NULL;
	if (job->kind == JOB_AGENT) {
		*e->waiting_agents_tail = job;
		e->waiting_agents_tail = &job->next;
	} else if (job->kind == JOB_ORACLE) {
		*e->waiting_oracles_tail = job;
		e->waiting_oracles_tail = &job->next;
	} else {
		start_job(e, job);
		return;
	}
	schedule(e);
}

#define MAX_STAGES 64 /* of a pipeline, for the estimate of a new item */

/* The work item of a request, from the runtime's hint {id, stage, stages} (docs/protocol.md). */
static void request_item(struct engine *e, struct job *job, const cJSON *hint)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(hint, "id");
	const cJSON *stage = cJSON_GetObjectItemCaseSensitive(hint, "stage");
	const cJSON *stages = cJSON_GetObjectItemCaseSensitive(hint, "stages");

	job->stages = 1;
	if (!cJSON_IsNumber(id) || id->valuedouble < 1 || id->valuedouble > (double)LONG_MAX)
		return;
	job->item = wfm_sched_item(&e->sched, (long)id->valuedouble);
	if (cJSON_IsNumber(stage) && stage->valuedouble >= 0 && stage->valuedouble <= UINT_MAX)
		job->stage = (unsigned)stage->valuedouble;
	if (cJSON_IsNumber(stages) && stages->valuedouble >= 1)
		job->stages = stages->valuedouble < MAX_STAGES ? (unsigned)stages->valuedouble
							       : MAX_STAGES;
}

static void handle_request(struct engine *e, const cJSON *msg)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(msg, "id");
	const cJSON *method = cJSON_GetObjectItemCaseSensitive(msg, "method");
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(msg, "params");
	struct wfm_buf key = WFM_BUF_INIT;
	char base_key[WFM_OID_HEXSZ + 1];
	cJSON *rec = NULL;
	struct job *job;

	if (!cJSON_IsNumber(id) || !cJSON_IsString(method)) {
		progress(e, "warning: ignoring a malformed request from the runtime");
		return;
	}
	job = wfm_calloc(1, sizeof(*job));
	job->e = e;
	job->id = (long)id->valuedouble;
	job->method = wfm_strdup(method->valuestring);
	job->params = params ? cJSON_Duplicate(params, 1) : wfm_json_object();
	job->arrival = wfm_sched_tick(&e->sched);
	request_item(e, job, cJSON_GetObjectItemCaseSensitive(msg, "item"));
	if (wfm_json_get_nonempty(job->params, "phase"))
		job->phase = wfm_strdup(wfm_json_get_nonempty(job->params, "phase"));
	else if (wfm_json_get_nonempty(msg, "phase"))
		job->phase = wfm_strdup(wfm_json_get_nonempty(msg, "phase"));
	if (e->stopping) {
		drop_job(e, job, "the run is stopping");
		return;
	}
	if (wfm_engine_prepare(e, job) < 0) {
		send_result(e, job->id, 0, NULL, wfm_error_last(), NULL);
		wfm_engine_job_free(job);
		return;
	}
	if (job->kind == JOB_AGENT &&
	    !wfm_sched_count_agent(&e->agents_requested, e->opts->config->max_agents)) {
		char msgbuf[128];
		snprintf(msgbuf, sizeof(msgbuf),
			 "agent limit of %lu per run reached (--max-agents)",
			 e->opts->config->max_agents);
		send_result(e, job->id, 0, NULL, msgbuf, NULL);
		wfm_engine_job_free(job);
		return;
	}
	wfm_journal_key(base_key, job->method, job->params, job->extra);
	wfm_journal_occurrence(&key, e->journal, base_key);
	job->key = wfm_buf_detach(&key, NULL);
	if (wfm_journal_lookup(&rec, e->journal, job->key) == 1) {
		const cJSON *value = cJSON_GetObjectItemCaseSensitive(rec, "value");

		e->requests_replayed++;
		if (job->kind == JOB_ORACLE)
			wfm_engine_count_oracle(e, value, 1);
		else if (job->kind == JOB_MERGE)
			wfm_engine_count_queue(e, rec);
		if (job->kind == JOB_AGENT) {
			wfm_engine_replay_agent(e, job, rec);
			send_budget(e);
		}
		if (!strcmp(job->method, "chunk") && wfm_engine_reach_pattern(job->params)) {
			const cJSON *reach = cJSON_GetObjectItemCaseSensitive(rec, "outOfReach");

			if (!cJSON_IsArray(reach)) {
				/* journaled by a version that did not list them: find them now */
				job->value = value ? cJSON_Duplicate(value, 1) : cJSON_CreateNull();
				job->replayed = 1;
				cJSON_Delete(rec);
				queue_job(e, job);
				return;
			}
			wfm_engine_reach_add(e, wfm_engine_reach_pattern(job->params), reach);
		}
		if (!strcmp(job->method, "chunk"))
			wfm_engine_units_event(e, value);
		send_result(e, job->id, 1, value, NULL, NULL);
		cJSON_Delete(rec);
		wfm_engine_job_free(job);
		return;
	}
	queue_job(e, job);
}

/*
 * "agent <name> failed: <reason>: <stderr's last line>", then the
 * transcript's path on a line of its own: what a user needs to see why,
 * as it happens.
 */
static void progress_failure(struct engine *e, const struct job *job)
{
	const char *last = job->stderr_tail ? strrchr(job->stderr_tail, '\n') : NULL;

	last = last ? last + 1 : job->stderr_tail;
	progress(e, "agent %s failed: %s%s%s", job_name(job),
		 job->reason ? job->reason : "no reason given", last ? ": " : "", last ? last : "");
	if (job->transcript)
		progress(e, "  transcript: %s", job->transcript);
}

static void finish_job(struct engine *e, struct job *job)
{
	if (job->threaded)
		pthread_join(job->thread, NULL);
	e->in_flight--;
	if (job->kind == JOB_AGENT && job->budget_refused) {
		wfm_engine_count_refusal(e, job);
		progress(e, "agent %s not started: %s", job_name(job), job->error);
		wfm_engine_agent_ended(e, job);
		send_budget(e);
	} else if (job->kind == JOB_AGENT) {
		e->agents_running--;
		count_agent(e, job);
		wfm_engine_session_count(e, job);
		wfm_engine_agent_ended(e, job);
		wfm_engine_budget_event(e);
		send_budget(e);
		if (job->agent_failed)
			progress_failure(e, job);
		else
			progress(e, "agent %s finished", job_name(job));
	} else if (job->kind == JOB_ORACLE) {
		e->oracles_running--;
		wfm_engine_oracle_ended(e, job);
		if (job->ok)
			wfm_engine_count_oracle(e, job->value, 0);
	}
	if (job->journal_error)
		progress(e, "warning: %s", job->journal_error);
	if (job->warning)
		progress(e, "warning: %s", job->warning);
	if (job->ok && job->reach)
		wfm_engine_reach_add(e, wfm_engine_reach_pattern(job->params), job->reach);
	if (job->ok && !strcmp(job->method, "chunk"))
		wfm_engine_units_event(e, job->value);
	send_result(e, job->id, job->ok, job->value, job->error,
		    job->budget_refused ? BUDGET_CODE : NULL);
	wfm_engine_job_free(job);
}

static void drain_finished(struct engine *e)
{
	struct job *list;
	char buf[256];

	while (read(e->wake[0], buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&e->lock);
	list = e->done_head;
	e->done_head = NULL;
	e->done_tail = &e->done_head;
	pthread_mutex_unlock(&e->lock);
	while (list) {
		struct job *next = list->next;
		finish_job(e, list);
		list = next;
	}
}

static void stop_run(struct engine *e, const char *why)
{
	cJSON *msg;

	if (e->stopping)
		return;
	e->stopping = 1;
	e->cancel = 1;
	e->stop_reason = why;
	progress(e, "stopping: %s", why);
	event(e, "stop", "reason", why);
	while (e->waiting_agents) {
		struct job *job = e->waiting_agents;
		e->waiting_agents = job->next;
		drop_job(e, job, "the run was stopped");
	}
	e->waiting_agents_tail = &e->waiting_agents;
	while (e->waiting_oracles) {
		struct job *job = e->waiting_oracles;
		e->waiting_oracles = job->next;
		drop_job(e, job, "the run was stopped");
	}
	e->waiting_oracles_tail = &e->waiting_oracles;
	if (e->merge)
		wfm_merge_queue_stop(e->merge);
	msg = wfm_json_object();
	wfm_json_add_str(msg, "type", "stop");
	wfm_harness_send(e->harness, msg);
	cJSON_Delete(msg);
}

static void check_control(struct engine *e)
{
	enum wfm_control c;

	if (e->opts->interrupt && *e->opts->interrupt) {
		stop_run(e, "interrupted");
		return;
	}
	c = wfm_control_get(e->opts->run);
	if (c == WFM_CONTROL_STOP) {
		stop_run(e, "git wfmigrate stop");
	} else if (c == WFM_CONTROL_PAUSE && !e->paused) {
		e->paused = 1;
		progress(e, "paused: running agents finish, no new ones start");
		event(e, "pause", NULL, NULL);
	} else if (c == WFM_CONTROL_RUN && e->paused) {
		e->paused = 0;
		progress(e, "resumed");
		event(e, "resume", NULL, NULL);
		schedule(e);
	}
}

static char *script_error(const struct engine *e, const cJSON *msg)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(msg, "message");
	const cJSON *line = cJSON_GetObjectItemCaseSensitive(msg, "line");
	struct wfm_buf b = WFM_BUF_INIT;

	wfm_buf_adds(&b, e->opts->script_name ? e->opts->script_name : "workflow.js");
	if (cJSON_IsNumber(line) && line->valuedouble > 0)
		wfm_buf_addf(&b, ":%ld", (long)line->valuedouble);
	wfm_buf_addf(&b, ": %s", cJSON_IsString(m) ? m->valuestring : "the script failed");
	return wfm_buf_detach(&b, NULL);
}

/*
 * Reads the runtime until the script ends. Fills status, error and value;
 * *no_result is set with the error when the runtime ended without saying
 * how the script did, so that its stderr can say why instead.
 */
static int loop(struct engine *e, enum wfm_run_status *status, char **error, int *no_result,
		cJSON **value)
{
	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = wfm_harness_fd(e->harness), .events = POLLIN },
			{ .fd = e->wake[0], .events = POLLIN },
		};
		cJSON *msg = NULL;
		int rc;

		/*
		 * Sending may have read and buffered the runtime's next messages
		 * (wfm_harness_send reads while it waits to write): read those
		 * before sleeping in poll().
		 */
		rc = 1;
		if (!wfm_harness_pending(e->harness) && (rc = poll(fds, 2, CONTROL_POLL_MS)) < 0 &&
		    errno != EINTR)
			return wfm_error_set("poll: %s", strerror(errno));
		e->idle_turns = rc == 0 ? e->idle_turns + 1 : 0;
		drain_finished(e);
		check_control(e);
		schedule(e);
		wfm_engine_status(e);
		while ((rc = wfm_harness_read(&msg, e->harness)) == 1) {
			const cJSON *type = cJSON_GetObjectItemCaseSensitive(msg, "type");
			const char *t = cJSON_IsString(type) ? type->valuestring : "";

			if (!strcmp(t, "request")) {
				handle_request(e, msg);
			} else if (!strcmp(t, "log")) {
				const cJSON *m = cJSON_GetObjectItemCaseSensitive(msg, "message");
				if (cJSON_IsString(m)) {
					progress(e, "%s", m->valuestring);
					event(e, "log", "message", m->valuestring);
				}
			} else if (!strcmp(t, "item_end")) {
				const cJSON *id = cJSON_GetObjectItemCaseSensitive(msg, "item");
				if (cJSON_IsNumber(id) && id->valuedouble >= 1 &&
				    id->valuedouble <= (double)LONG_MAX)
					wfm_sched_end(
						&e->sched,
						wfm_sched_item(&e->sched, (long)id->valuedouble));
			} else if (!strcmp(t, "phase")) {
				const cJSON *m = cJSON_GetObjectItemCaseSensitive(msg, "title");
				if (cJSON_IsString(m)) {
					free(e->phase);
					e->phase = wfm_strdup(m->valuestring);
					progress(e, "== %s", m->valuestring);
					event(e, "phase", "title", m->valuestring);
				}
			} else if (!strcmp(t, "done")) {
				const cJSON *v = cJSON_GetObjectItemCaseSensitive(msg, "value");
				*value = v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull();
				*status = e->stopping ? WFM_RUN_STOPPED : WFM_RUN_DONE;
				cJSON_Delete(msg);
				return 0;
			} else if (!strcmp(t, "error")) {
				*status = e->stopping ? WFM_RUN_STOPPED : WFM_RUN_FAILED;
				*error = script_error(e, msg);
				cJSON_Delete(msg);
				return 0;
			}
			cJSON_Delete(msg);
		}
		if (rc == WFM_ENOTFOUND) {
			*status = e->stopping ? WFM_RUN_STOPPED : WFM_RUN_FAILED;
			*error = wfm_strdup("the workflow runtime ended without a result");
			*no_result = 1;
			return 0;
		}
		if (rc < 0) {
			*status = WFM_RUN_FAILED;
			*error = wfm_strdup(wfm_error_last());
			return 0;
		}
	}
}

/* Waits for every job still running (after a stop or a script that did not await). */
static void wait_jobs(struct engine *e)
{
	if (e->in_flight || e->waiting_agents || e->waiting_oracles)
		stop_run(e, "the script ended with requests still running");
	while (e->in_flight) {
		struct pollfd fd = { .fd = e->wake[0], .events = POLLIN };
		poll(&fd, 1, CONTROL_POLL_MS);
		drain_finished(e);
	}
}

void wfm_engine_stats_release(struct engine *e)
{
	for (size_t i = 0; i < e->units_nr; i++)
		free(e->units[i].id);
	free(e->units);
	for (size_t i = 0; i < e->failures_nr; i++) {
		free(e->failures[i].label);
		free(e->failures[i].unit);
		free(e->failures[i].reason);
		free(e->failures[i].stderr_tail);
		free(e->failures[i].transcript);
	}
	free(e->failures);
	e->units = NULL;
	e->failures = NULL;
	e->units_nr = e->units_alloc = e->failures_nr = e->failures_alloc = 0;
}

void wfm_engine_result_release(struct wfm_engine_result *r)
{
	free(r->error);
	cJSON_Delete(r->report);
	memset(r, 0, sizeof(*r));
}

cJSON *wfm_engine_start_message(struct engine *e)
{
	cJSON *msg = wfm_json_object(), *limits = wfm_json_object();

	wfm_json_add_str(msg, "type", "start");
	if (e->opts->args) /* absent, not null: the script's args is then undefined */
		wfm_json_add(msg, "args", cJSON_Duplicate(e->opts->args, 1));
	wfm_json_add(msg, "budget", wfm_engine_budget(e));
	wfm_json_add_num(limits, "itemsPerCall", WFM_ENGINE_ITEMS_PER_CALL);
	wfm_json_add_num(limits, "agentsPerRun", (double)e->opts->config->max_agents);
	wfm_json_add(msg, "limits", limits);
	return msg;
}

static int send_start(struct engine *e)
{
	cJSON *msg = wfm_engine_start_message(e);
	int rc;

	rc = wfm_harness_send(e->harness, msg);
	cJSON_Delete(msg);
	return rc;
}

/*
 * A run killed while it moved one of its branches left that ref's lock
 * file, and git removes none: every later update of the branch would fail.
 * The run's lock is ours, so no live process updates its refs.
 */
static int clear_ref_locks(struct engine *e)
{
	char dir[256];
	unsigned removed;
	int rc;

	snprintf(dir, sizeof(dir), "refs/heads/wfmigrate/%s", e->opts->run->id);
	if ((rc = wfm_repo_clear_ref_locks(&removed, e->repo, dir)) == 0 && removed)
		progress(e, "removed %u lock file%s a killed run left on its branches", removed,
			 removed == 1 ? "" : "s");
	return rc;
}

/* From the thread of the oracle run: a job lost by the cluster (exec/executor.h). */
static void job_lost(void *data, const char *what, const char *commit, const char *detail,
		     unsigned long attempt, int again)
{
	struct wfm_buf line = WFM_BUF_INIT;

	wfm_buf_addf(&line, "%s job on %.7s lost (%s, attempt %lu)%s", what, commit, detail,
		     attempt, again ? ": submitted again" : "");
	wfm_engine_say(data, line.ptr);
	wfm_buf_release(&line);
}

/* The executor of the run's oracle runs and exec agents (exec/executor.h). */
static int open_executor(struct engine *e)
{
	struct wfm_executor_opts xo = WFM_EXECUTOR_OPTS_INIT;
	char *job_dir = wfm_fs_join(wfm_repo_commondir(e->repo), "wfmigrate/jobs");
	int rc;

	/* paths are absolute already (cmd/run_options.h) */
	wfm_run_config_executor_opts(&xo, e->opts->config, job_dir);
	xo.pool = e->pool;
	xo.repo_path = e->opts->repo_path;
	xo.run = e->opts->run->id;
	xo.lost = job_lost;
	xo.lost_data = e;
	rc = wfm_executor_open(&e->executor, &xo);
	free(job_dir);
	if (rc == 0 && wfm_executor_orphans(e->executor)) {
		struct wfm_buf line = WFM_BUF_INIT;
		unsigned long n = wfm_executor_orphans(e->executor);

		wfm_buf_addf(
			&line,
			"cancelled %lu job%s an earlier process of this run left on the cluster", n,
			n == 1 ? "" : "s");
		wfm_engine_say(e, line.ptr);
		wfm_buf_release(&line);
	}
	return rc;
}

int wfm_engine_run(struct wfm_engine_result *out, const struct wfm_engine_opts *opts)
{
	struct wfm_harness_opts hopts = WFM_HARNESS_OPTS_INIT;
	struct wfm_pool_opts popts = WFM_POOL_OPTS_INIT;
	struct engine e = { 0 };
	enum wfm_run_status status = WFM_RUN_FAILED;
	char *error = NULL, *journal_path = NULL, *script = NULL, *stderr_tail = NULL;
	cJSON *value = NULL;
	int rc, exit_code = 0, no_result = 0;

	memset(out, 0, sizeof(*out));
	e.opts = opts;
	e.started_ms = wfm_clock_wall_ms();
	e.started_mono = wfm_clock_mono_ms();
	pthread_mutex_init(&e.progress_lock, NULL);
	e.done_tail = &e.done_head;
	e.waiting_agents_tail = &e.waiting_agents;
	e.waiting_oracles_tail = &e.waiting_oracles;
	pthread_mutex_init(&e.lock, NULL);
	e.wake[0] = e.wake[1] = -1;
	snprintf(e.integration, sizeof(e.integration), "refs/heads/wfmigrate/%s/integration",
		 opts->run->id);

	if (pipe(e.wake) < 0) {
		rc = wfm_error_set("pipe: %s", strerror(errno));
		goto done;
	}
	fcntl(e.wake[0], F_SETFL, O_NONBLOCK);
	fcntl(e.wake[1], F_SETFL, O_NONBLOCK);
	fcntl(e.wake[0], F_SETFD, FD_CLOEXEC);
	fcntl(e.wake[1], F_SETFD, FD_CLOEXEC);
	/* Node.js takes a few hundred milliseconds to start: let it while the rest opens */
	script = wfm_rundir_file(opts->run, "workflow.js");
	hopts.script = script;
	hopts.node = opts->node;
	if ((rc = wfm_harness_start(&e.harness, &hopts)) < 0)
		goto done;
	if ((rc = wfm_repo_open(&e.repo, opts->repo_path)) < 0 || (rc = clear_ref_locks(&e)) < 0)
		goto done;
	popts.run = opts->run->id;
	if ((rc = wfm_pool_open(&e.pool, opts->repo_path, &popts)) < 0 ||
	    (rc = open_executor(&e)) < 0)
		goto done;
	if ((rc = wfm_engine_providers_open(&e)) < 0)
		goto done;
	journal_path = wfm_rundir_file(opts->run, "journal.jsonl");
	if ((rc = wfm_journal_open(&e.journal, journal_path)) < 0 ||
	    (rc = wfm_shared_open(&e.shared, e.pool, e.journal, opts->repo_path, opts->run->id,
				  opts->config->base)) < 0)
		goto done;
	wfm_engine_sessions_load(&e);
	e.pilot.limit = opts->config->pilot;
	wfm_engine_run_started(&e);
	if ((rc = send_start(&e)) < 0)
		goto done;
	rc = loop(&e, &status, &error, &no_result, &value);
	wait_jobs(&e);
	if (rc < 0)
		goto done;
	wfm_harness_finish(e.harness, &exit_code, &stderr_tail, HARNESS_EXIT_WAIT_MS);
	/* the pilot left units pending: stopped, for resume to run them */
	if (status == WFM_RUN_DONE && e.pilot.refused) {
		status = WFM_RUN_STOPPED;
		e.stop_reason = "pilot";
		progress(&e,
			 "stopped: the pilot ran %zu unit%s; 'git wfmigrate resume %s' runs the "
			 "rest",
			 e.pilot.units.nr, e.pilot.units.nr == 1 ? "" : "s", opts->run->id);
		event(&e, "stop", "reason", "pilot");
	}
	if (status == WFM_RUN_FAILED && no_result && stderr_tail && *stderr_tail) {
		free(error);
		error = wfm_strdup(stderr_tail);
	}
	out->status = status;
	out->error = error;
	error = NULL;
	out->report = wfm_engine_report(&e, status, out->error, value);
	rc = wfm_engine_report_write(&e, out->report);
	wfm_engine_budget_event(&e);
	event(&e, "end", "status",
	      status == WFM_RUN_DONE	  ? "done"
	      : status == WFM_RUN_STOPPED ? "stopped"
					  : "failed");
done:
	if (e.merge)
		wfm_merge_queue_free(e.merge);
	wfm_harness_free(e.harness);
	wfm_shared_free(e.shared);
	wfm_engine_providers_close(&e);
	wfm_journal_free(e.journal);
	wfm_executor_free(e.executor);
	wfm_pool_free(e.pool);
	wfm_repo_free(e.repo);
	wfm_engine_stats_release(&e);
	wfm_engine_reach_release(&e);
	wfm_sched_release(&e.sched);
	wfm_strvec_clear(&e.pilot.units);
	free(e.phase);
	cJSON_Delete(e.sessions);
	pthread_mutex_destroy(&e.progress_lock);
	if (e.wake[0] >= 0)
		close(e.wake[0]);
	if (e.wake[1] >= 0)
		close(e.wake[1]);
	pthread_mutex_destroy(&e.lock);
	cJSON_Delete(value);
	free(error);
	free(journal_path);
	free(script);
	free(stderr_tail);
	return rc;
}
