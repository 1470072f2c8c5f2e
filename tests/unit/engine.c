#include "support/test.h"
#include "base/json.h"
#include "engine/config.h"
#include "engine/engine_priv.h"
#include "llm/ledger.h"

/*
 * The engine's bookkeeping of the scheduling rules (docs/engine.md): what
 * an agent answered from the journal counts for, an agent refused by the
 * budget, a job dropped by a stop. No harness, no repository: an engine
 * struct with only its figures.
 */

static struct job *new_job(struct engine *e, enum job_kind kind, long item)
{
	struct job *job = wfm_calloc(1, sizeof(*job));

	job->e = e;
	job->kind = kind;
	job->stages = 1;
	if (item)
		job->item = wfm_sched_item(&e->sched, item);
	return job;
}

static void replay(struct engine *e, long item, const char *record)
{
	struct job *job = new_job(e, JOB_AGENT, item);
	cJSON *rec = cJSON_Parse(record);

	assert_non_null(rec);
	wfm_engine_replay_agent(e, job, rec);
	cJSON_Delete(rec);
	wfm_engine_job_free(job);
}

static void engine_release(struct engine *e)
{
	wfm_engine_stats_release(e);
	wfm_sched_release(&e->sched);
	wfm_ledger_free(e->ledger);
}

static void test_engine__replay_counts(void **state)
{
	struct engine e = { 0 };
	struct wfm_sched_item *item;

	replay(&e, 1,
	       "{\"value\": {\"ok\": true}, \"unit\": \"u1\", \"tokens\": 1200, "
	       "\"cost_usd\": 0.25, \"cache_read\": 300}");
	replay(&e, 1,
	       "{\"value\": null, \"unit\": \"u1\", \"tokens\": 5, \"failed\": true, "
	       "\"reason\": \"exit status 1\", \"stderr\": \"boom\", \"transcript\": "
	       "\"/t.jsonl\"}");
	replay(&e, 0, "{\"value\": 3, \"unit\": \"u2\"}");
	/* replayed, not run: an earlier session's, counted in the totals */
	assert_int_equal(e.agents_replayed, 3);
	assert_int_equal(e.agents_run, 0);
	assert_int_equal(e.agents_running, 0);
	assert_int_equal(e.tokens, 1205);
	assert_true(e.cost_usd > 0.2499 && e.cost_usd < 0.2501);
	assert_int_equal(e.cache_read, 300);
	/* per unit */
	assert_int_equal(e.units_nr, 2);
	assert_string_equal(e.units[0].id, "u1");
	assert_int_equal(e.units[0].agents, 2);
	assert_int_equal(e.units[0].tokens, 1205);
	assert_string_equal(e.units[1].id, "u2");
	assert_int_equal(e.units[1].agents, 1);
	assert_int_equal(e.units[1].tokens, 0);
	/* the failure, as the report lists it */
	assert_int_equal(e.agents_failed, 1);
	assert_int_equal(e.failures_nr, 1);
	assert_string_equal(e.failures[0].unit, "u1");
	assert_string_equal(e.failures[0].reason, "exit status 1");
	assert_string_equal(e.failures[0].stderr_tail, "boom");
	assert_string_equal(e.failures[0].transcript, "/t.jsonl");
	/* its item started, spent what they did, and counts towards the estimate when it ends */
	item = wfm_sched_item(&e.sched, 1);
	assert_int_equal(item->agents, 2);
	assert_int_equal(item->tokens, 1205);
	assert_false(item->cut);
	wfm_sched_end(&e.sched, item);
	assert_int_equal(e.sched.finished, 1);
	assert_int_equal(e.sched.finished_tokens, 1205);
	engine_release(&e);
}

static void test_engine__replay_cut_by_the_budget(void **state)
{
	struct engine e = { 0 };
	struct wfm_sched_item *item;
	struct job *job = new_job(&e, JOB_AGENT, 7);
	cJSON *rec = cJSON_Parse("{\"value\": null, \"unit\": \"theirs\", \"tokens\": 900, "
				 "\"failed\": true, \"budget\": true}");

	/* the unit the request names wins over the record's */
	job->unit_id = wfm_strdup("mine");
	wfm_engine_replay_agent(&e, job, rec);
	assert_true(job->budget_cut);
	assert_null(job->reason);
	cJSON_Delete(rec);
	wfm_engine_job_free(job);
	assert_string_equal(e.units[0].id, "mine");
	assert_string_equal(e.failures[0].reason, "failed");
	assert_null(e.failures[0].stderr_tail);
	assert_null(e.failures[0].transcript);
	/* an item cut short by the budget is no estimate of what an item costs */
	item = wfm_sched_item(&e.sched, 7);
	assert_true(item->cut);
	wfm_sched_end(&e.sched, item);
	assert_int_equal(e.sched.finished, 0);
	engine_release(&e);
}

static void test_engine__replay_spends_the_budget(void **state)
{
	struct engine e = { 0 };
	struct wfm_ledger_hold hold;
	struct wfm_ledger_totals t;

	e.ledger = wfm_ledger_new(1000, 0, 0, 0);
	replay(&e, 1, "{\"value\": 1, \"tokens\": 900}");
	wfm_ledger_totals(e.ledger, &t);
	assert_int_equal(t.tokens, 900);
	assert_int_equal(t.reserved_tokens, 0);
	assert_false(wfm_engine_budget_spent(&e));
	/* what an earlier session spent leaves 100: a call of 200 is refused */
	assert_int_equal(wfm_ledger_reserve(e.ledger, &hold, 200, 0), WFM_EBUDGET);
	assert_true(wfm_engine_budget_spent(&e));
	engine_release(&e);
}

static void test_engine__refusal_undoes_the_start(void **state)
{
	struct engine e = { 0 };
	struct job *first = new_job(&e, JOB_AGENT, 1);
	struct job *other = new_job(&e, JOB_AGENT, 2);

	wfm_engine_count_start(&e, other);
	wfm_engine_count_start(&e, first);
	assert_int_equal(e.agents_running, 2);
	assert_int_equal(e.agents_run, 2);
	assert_int_equal(first->item->agents, 1);
	/* refused before its first call: as if it had not started, its item cut short */
	wfm_engine_count_refusal(&e, first);
	assert_int_equal(e.agents_running, 1);
	assert_int_equal(e.agents_run, 1);
	assert_int_equal(first->item->agents, 0);
	assert_true(first->item->cut);
	assert_false(other->item->cut);
	/* so it never counts towards the estimate */
	wfm_sched_end(&e.sched, first->item);
	wfm_sched_end(&e.sched, other->item);
	assert_int_equal(e.sched.finished, 1);
	wfm_engine_job_free(first);
	wfm_engine_job_free(other);
	engine_release(&e);
}

static void test_engine__drop(void **state)
{
	struct engine e = { 0 };
	struct job *agent = new_job(&e, JOB_AGENT, 0);
	struct job *oracle = new_job(&e, JOB_ORACLE, 0);
	struct job *merge = new_job(&e, JOB_MERGE, 0);

	agent->journal = oracle->journal = merge->journal = 1;
	/* a stopped agent is null for the script; anything else fails */
	wfm_engine_job_drop(agent, "the run was stopped");
	assert_true(agent->ok);
	assert_null(agent->error);
	assert_null(agent->value);
	wfm_engine_job_drop(oracle, "the run was stopped");
	assert_false(oracle->ok);
	assert_string_equal(oracle->error, "the run was stopped");
	wfm_engine_job_drop(merge, "the run is stopping");
	assert_false(merge->ok);
	assert_string_equal(merge->error, "the run is stopping");
	/* none of them is journaled: a resumed run asks again */
	assert_false(agent->journal);
	assert_false(oracle->journal);
	assert_false(merge->journal);
	wfm_engine_job_free(agent);
	wfm_engine_job_free(oracle);
	wfm_engine_job_free(merge);
	engine_release(&e);
}

static void test_engine__start_message(void **state)
{
	struct wfm_engine_opts opts = { 0 };
	struct wfm_run_config cfg;
	struct engine e = { 0 };
	cJSON *args = cJSON_Parse("{\"goal\":\"g\"}"), *msg;
	const cJSON *limits;

	(void)state;
	wfm_run_config_init(&cfg); /* the defaults */
	opts.config = &cfg;
	e.opts = &opts;
	msg = wfm_engine_start_message(&e);
	assert_string_equal(wfm_json_get_str(msg, "type", NULL), "start");
	/* no args: absent, so that the script's args is undefined */
	assert_null(cJSON_GetObjectItemCaseSensitive(msg, "args"));
	assert_non_null(cJSON_GetObjectItemCaseSensitive(msg, "budget"));
	/* the limits the runtime enforces and scripts read are the engine's constants */
	limits = cJSON_GetObjectItemCaseSensitive(msg, "limits");
	assert_int_equal(
		cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(limits, "itemsPerCall")),
		WFM_ENGINE_ITEMS_PER_CALL);
	assert_int_equal(
		cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(limits, "agentsPerRun")),
		WFM_ENGINE_MAX_AGENTS_DEFAULT);
	assert_int_equal(cJSON_GetArraySize(limits), 2);
	cJSON_Delete(msg);
	/* agentsPerRun is the run's own cap (--max-agents) */
	cfg.max_agents = 7;
	opts.args = args;
	msg = wfm_engine_start_message(&e);
	limits = cJSON_GetObjectItemCaseSensitive(msg, "limits");
	assert_int_equal(
		cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(limits, "agentsPerRun")), 7);
	assert_string_equal(
		wfm_json_get_str(cJSON_GetObjectItemCaseSensitive(msg, "args"), "goal", NULL), "g");
	cJSON_Delete(msg);
	cJSON_Delete(args);
	wfm_run_config_release(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_engine__replay_counts),
		cmocka_unit_test(test_engine__replay_cut_by_the_budget),
		cmocka_unit_test(test_engine__replay_spends_the_budget),
		cmocka_unit_test(test_engine__refusal_undoes_the_start),
		cmocka_unit_test(test_engine__drop),
		cmocka_unit_test(test_engine__start_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
