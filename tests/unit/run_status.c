#include "support/test.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/json.h"
#include "engine/run_status.h"

#include <fcntl.h>

struct fixture {
	char *dir;
	char *path;
	struct wfm_run_status s;
};

static int setup(void **state)
{
	struct fixture *f = wfm_calloc(1, sizeof(*f));

	f->dir = wfm_test_tmpdir();
	f->path = wfm_fs_join(f->dir, "events.jsonl");
	wfm_run_status_init(&f->s, f->path);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	wfm_run_status_release(&f->s);
	wfm_test_rmtree(f->dir);
	free(f->dir);
	free(f->path);
	free(f);
	return 0;
}

static void append(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* A run as the engine writes it: two phases, three agents, the merge queue. */
static const char run_events[] =
	"{\"ts\":1000,\"type\":\"start\",\"base\":\"abc\",\"pid\":1,\"provider\":\"anthropic\","
	"\"concurrency\":2,\"maxTokens\":100000,\"maxUsd\":null}\n"
	"{\"ts\":1100,\"type\":\"phase\",\"title\":\"Select\"}\n"
	"{\"ts\":1150,\"type\":\"units\",\"count\":2}\n"
	"{\"ts\":1200,\"type\":\"phase\",\"title\":\"Implement\"}\n"
	"{\"ts\":1300,\"type\":\"agent\",\"state\":\"start\",\"id\":4,\"label\":\"impl-a\","
	"\"phase\":\"Implement\",\"role\":\"implementer\",\"model\":\"m1\",\"unit\":\"a.c::f\"}\n"
	"{\"ts\":1310,\"type\":\"agent\",\"state\":\"start\",\"id\":5,\"label\":\"impl-b\","
	"\"phase\":\"Implement\",\"role\":\"implementer\",\"model\":\"m1\"}\n"
	"{\"ts\":1400,\"type\":\"agent\",\"state\":\"progress\",\"id\":4,\"label\":\"impl-a\","
	"\"tokens\":300,\"costUsd\":0.01,\"turns\":1,\"toolCalls\":2}\n"
	"{\"ts\":1500,\"type\":\"agent\",\"state\":\"end\",\"id\":5,\"label\":\"impl-b\","
	"\"tokens\":700,\"costUsd\":0.02,\"failed\":true,\"reason\":\"turn limit\",\"turns\":3,"
	"\"toolCalls\":4,\"durationMs\":190}\n";

static void test_run_status__folds_a_live_run(void **state)
{
	struct fixture *f = *state;
	struct wfm_run_status *s = &f->s;
	struct wfm_run_phase *p;
	struct wfm_buf b = WFM_BUF_INIT;

	append(f->path, run_events);
	assert_int_equal(wfm_run_status_update(s, NULL), 1);
	assert_string_equal(s->state, "running");
	assert_int_equal(s->sessions, 1);
	assert_int_equal(s->started_ms, 1000);
	assert_int_equal(s->last_ms, 1500);
	assert_string_equal(s->provider, "anthropic");
	assert_int_equal(s->max_tokens, 100000);
	assert_int_equal(s->units, 2);
	assert_string_equal(s->current_phase, "Implement");

	assert_int_equal(s->phases_nr, 2);
	assert_string_equal(s->phases[0].title, "Select");
	assert_int_equal(s->phases[0].started_ms, 1100);
	assert_int_equal(s->phases[0].ended_ms, 1200);
	p = wfm_run_status_phase(s, "Implement");
	assert_non_null(p);
	assert_int_equal(p->ended_ms, 0);
	assert_int_equal(p->running, 1);
	assert_int_equal(p->failed, 1);
	assert_int_equal(p->done, 0);
	assert_int_equal(p->tokens, 1000); /* the ended agent's and the running one's so far */

	assert_int_equal(s->agents_nr, 2);
	assert_string_equal(s->agents[0].label, "impl-a");
	assert_int_equal(s->agents[0].state, WFM_RUN_AGENT_RUNNING);
	assert_int_equal(s->agents[0].tokens, 300);
	assert_int_equal(s->agents[0].tool_calls, 2);
	assert_string_equal(s->agents[0].unit, "a.c::f");
	assert_string_equal(s->agents[1].model, "m1");
	assert_int_equal(s->agents[1].state, WFM_RUN_AGENT_FAILED);
	assert_int_equal(s->agents[1].turns, 3);
	assert_int_equal(s->agents[1].ended_ms, 1500);

	assert_int_equal(s->tokens, 700);
	assert_int_equal(s->tokens_running, 300);
	assert_int_equal(s->agents_started, 2);
	assert_int_equal(s->agents_running, 1);
	assert_int_equal(s->agents_failed, 1);
	wfm_run_status_progress(&b, s);
	assert_string_equal(b.ptr, "1/2 agents, 2 units");
	wfm_buf_release(&b);
}

static void test_run_status__reads_only_what_was_appended(void **state)
{
	struct fixture *f = *state;
	struct wfm_run_status *s = &f->s;
	cJSON *evs = NULL;

	/* no file yet: nothing, not an error */
	assert_int_equal(wfm_run_status_update(s, &evs), 0);
	assert_null(evs);
	append(f->path, run_events);
	assert_int_equal(wfm_run_status_update(s, &evs), 1);
	assert_int_equal(cJSON_GetArraySize(evs), 8);
	cJSON_Delete(evs);
	assert_int_equal(wfm_run_status_update(s, &evs), 0);
	assert_null(evs);

	/* a line still being written waits for its newline */
	append(f->path, "{\"ts\":1600,\"type\":\"agent\",\"state\":\"end\",\"id\":4,");
	assert_int_equal(wfm_run_status_update(s, &evs), 1);
	assert_int_equal(cJSON_GetArraySize(evs), 0);
	cJSON_Delete(evs);
	assert_int_equal(s->agents[0].state, WFM_RUN_AGENT_RUNNING);
	append(f->path, "\"label\":\"impl-a\",\"tokens\":500,\"costUsd\":0.03,\"failed\":false}\n"
			"this is not JSON\n"
			"{\"ts\":1700,\"type\":\"merge\",\"step\":\"queued\",\"branch\":\"b\"}\n");
	assert_int_equal(wfm_run_status_update(s, &evs), 1);
	assert_int_equal(cJSON_GetArraySize(evs), 2); /* the damaged line is skipped */
	cJSON_Delete(evs);
	assert_int_equal(s->agents[0].state, WFM_RUN_AGENT_DONE);
	assert_int_equal(s->tokens, 1200);
	assert_int_equal(s->tokens_running, 0);
	assert_int_equal(wfm_run_status_phase(s, "Implement")->tokens, 1200);
	assert_int_equal(wfm_run_status_phase(s, "Implement")->done, 1);
	assert_int_equal(s->mq_queued, 1);
}

static void test_run_status__merge_queue_budget_and_control(void **state)
{
	struct fixture *f = *state;
	struct wfm_run_status *s = &f->s;

	append(f->path, run_events);
	append(f->path,
	       "{\"ts\":2000,\"type\":\"pause\"}\n"
	       "{\"ts\":2001,\"type\":\"merge\",\"step\":\"queued\",\"branch\":\"x\"}\n"
	       "{\"ts\":2002,\"type\":\"merge\",\"step\":\"queued\",\"branch\":\"y\"}\n"
	       "{\"ts\":2010,\"type\":\"merge\",\"batch\":0,\"step\":\"test\",\"branches\":0}\n");
	wfm_run_status_update(s, NULL);
	assert_string_equal(s->state, "paused");
	assert_string_equal(s->mq_testing, "the base");
	assert_int_equal(s->mq_test_started, 2010);
	append(f->path,
	       "{\"ts\":2020,\"type\":\"merge\",\"batch\":0,\"step\":\"tested\",\"pass\":true}\n"
	       "{\"ts\":2030,\"type\":\"merge\",\"batch\":1,\"step\":\"test\",\"branches\":2}\n");
	wfm_run_status_update(s, NULL);
	assert_string_equal(s->mq_testing, "batch 1 (2 branches)");
	append(f->path,
	       "{\"ts\":2040,\"type\":\"resume\"}\n"
	       "{\"ts\":2050,\"type\":\"merge\",\"batch\":1,\"step\":\"test\",\"branches\":1,"
	       "\"of\":2}\n"
	       "{\"ts\":2060,\"type\":\"merge\",\"batch\":1,\"step\":\"tested\",\"pass\":true}\n"
	       "{\"ts\":2070,\"type\":\"merge\",\"batch\":1,\"step\":\"decided\",\"branch\":\"x\","
	       "\"merged\":true}\n"
	       "{\"ts\":2071,\"type\":\"merge\",\"batch\":1,\"step\":\"decided\",\"branch\":\"y\","
	       "\"merged\":false,\"reason\":\"oracle-failed\"}\n"
	       "{\"ts\":2080,\"type\":\"budget\",\"tokens\":5000,\"costUsd\":0.5,"
	       "\"maxTokens\":100000,\"maxUsd\":null,\"exhausted\":false}\n"
	       "{\"ts\":2090,\"type\":\"stop\",\"reason\":\"git wfmigrate stop\"}\n");
	wfm_run_status_update(s, NULL);
	assert_string_equal(s->state, "stopping");
	assert_null(s->mq_testing);
	assert_int_equal(s->mq_queued, 2);
	assert_int_equal(s->mq_batches, 1); /* a bisection step is not a batch */
	assert_int_equal(s->mq_merged, 1);
	assert_int_equal(s->mq_refused, 1);
	assert_int_equal(s->tokens, 5000);
	assert_int_equal(s->max_tokens, 100000);
	append(f->path, "{\"ts\":3000,\"type\":\"end\",\"status\":\"stopped\"}\n");
	wfm_run_status_update(s, NULL);
	assert_true(s->ended);
	assert_string_equal(s->state, "stopped");
	assert_int_equal(s->ended_ms, 3000);
	assert_int_equal(wfm_run_status_phase(s, "Implement")->ended_ms, 3000);
}

static void test_run_status__a_resume_is_a_new_session(void **state)
{
	struct fixture *f = *state;
	struct wfm_run_status *s = &f->s;
	struct wfm_buf b = WFM_BUF_INIT;
	cJSON *report = NULL;
	const char *text = "{\"status\":\"done\",\"units\":[{},{},{}],\"totals\":{"
			   "\"merged\":2,\"rejected\":1,\"failed\":0,\"skipped\":0,"
			   "\"tokens\":900,\"costUsd\":0.25}}";

	append(f->path, run_events);
	append(f->path, "{\"ts\":3000,\"type\":\"end\",\"status\":\"stopped\"}\n"
			"{\"ts\":4000,\"type\":\"start\",\"base\":\"abc\"}\n"
			"{\"ts\":4100,\"type\":\"agent\",\"state\":\"start\",\"id\":4,"
			"\"label\":\"impl-a\",\"phase\":\"Implement\"}\n"
			"{\"ts\":4200,\"type\":\"agent\",\"state\":\"end\",\"id\":4,"
			"\"label\":\"impl-a\",\"tokens\":50,\"failed\":false}\n");
	wfm_run_status_update(s, NULL);
	assert_int_equal(s->sessions, 2);
	assert_false(s->ended);
	assert_string_equal(s->state, "running");
	assert_int_equal(s->started_ms, 4000);
	assert_int_equal(s->created_ms, 1000);
	assert_int_equal(s->agents_nr, 1); /* this session's */
	assert_int_equal(s->phases_nr, 1);
	assert_int_equal(s->tokens, 750); /* every session's */
	assert_int_equal(s->max_tokens, 0);

	/* the report of a finished run has the last word on its figures */
	assert_int_equal(wfm_json_parse(&report, text, strlen(text)), 0);
	wfm_run_status_add_report(s, report);
	assert_int_equal(s->tokens, 900);
	assert_string_equal(s->state, "done");
	wfm_run_status_progress(&b, s);
	assert_string_equal(b.ptr, "3/3 units");
	wfm_buf_release(&b);
	cJSON_Delete(report);
}

static void test_run_status__refused_agents_did_not_start(void **state)
{
	struct fixture *f = *state;
	struct wfm_run_status *s = &f->s;
	struct wfm_buf b = WFM_BUF_INIT;

	append(f->path,
	       "{\"ts\":1,\"type\":\"start\"}\n"
	       "{\"ts\":2,\"type\":\"agent\",\"state\":\"start\",\"id\":1,\"label\":\"a\"}\n"
	       "{\"ts\":3,\"type\":\"agent\",\"state\":\"end\",\"id\":1,\"label\":\"a\","
	       "\"refused\":true}\n"
	       /* events of an older version: no id, matched by label */
	       "{\"ts\":4,\"type\":\"agent\",\"state\":\"start\",\"label\":\"b\"}\n"
	       "{\"ts\":5,\"type\":\"agent\",\"state\":\"end\",\"label\":\"b\",\"tokens\":9,"
	       "\"failed\":true,\"reason\":\"cancelled\"}\n");
	wfm_run_status_update(s, NULL);
	assert_int_equal(s->agents[0].state, WFM_RUN_AGENT_REFUSED);
	assert_int_equal(s->agents[1].state, WFM_RUN_AGENT_STOPPED);
	assert_int_equal(s->agents_started, 1);
	assert_int_equal(s->agents_running, 0);
	assert_int_equal(s->tokens, 9);
	assert_string_equal(wfm_run_agent_state_name(s->agents[1].state), "stopped");
	wfm_run_status_progress(&b, s);
	assert_string_equal(b.ptr, "1/1 agents");
	wfm_buf_release(&b);
}

static void test_run_status__unreadable_file_is_an_error(void **state)
{
	struct fixture *f = *state;
	struct wfm_run_status s;

	/* a directory where the file should be */
	wfm_run_status_init(&s, f->dir);
	assert_true(wfm_run_status_update(&s, NULL) < 0);
	assert_non_null(strstr(wfm_error_last(), f->dir));
	wfm_run_status_release(&s);
}

#define TEST(name) cmocka_unit_test_setup_teardown(test_run_status__##name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(folds_a_live_run),
		TEST(reads_only_what_was_appended),
		TEST(merge_queue_budget_and_control),
		TEST(a_resume_is_a_new_session),
		TEST(refused_agents_did_not_start),
		TEST(unreadable_file_is_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
