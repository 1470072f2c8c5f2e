#include "support/test.h"
#include "base/buf.h"
#include "base/json.h"
#include "engine/runlog.h"

static char *event_line(const char *json)
{
	struct wfm_buf out = WFM_BUF_INIT;
	cJSON *ev = NULL;

	assert_wfm_ok(wfm_json_parse(&ev, json, strlen(json)));
	wfm_runlog_event(&out, ev);
	cJSON_Delete(ev);
	return wfm_buf_detach(&out, NULL);
}

#define assert_event(json, want)                                                                   \
	do {                                                                                       \
		char *got_ = event_line(json);                                                     \
		assert_string_equal(got_, want);                                                   \
		free(got_);                                                                        \
	} while (0)

static void test_runlog__events(void **state)
{
	(void)state;
	assert_event("{\"ts\":1,\"type\":\"phase\",\"title\":\"Merge\"}", "== Merge");
	assert_event("{\"ts\":1,\"type\":\"log\",\"message\":\"17 units\"}", "17 units");
	assert_event("{\"type\":\"agent\",\"state\":\"start\",\"label\":\"impl-a\"}",
		     "agent impl-a started");
	assert_event("{\"type\":\"agent\",\"state\":\"end\",\"label\":\"impl-a\",\"tokens\":12,"
		     "\"costUsd\":0.5,\"failed\":true}",
		     "agent impl-a failed (12 tokens, USD 0.5000)");
	assert_event("{\"type\":\"agent\",\"state\":\"end\",\"label\":\"x\",\"refused\":true}",
		     "agent x refused: the budget could not cover it");
	assert_event("{\"type\":\"oracle\",\"state\":\"end\",\"on\":\"the base (32f68e5)\","
		     "\"pass\":false,\"durationMs\":2136}",
		     "oracle failed on the base (32f68e5) in 2.1 s");
	assert_event("{\"type\":\"merge\",\"batch\":2,\"branches\":4,\"commit\":"
		     "\"cc52ff45054ce3f82d88c6adb8f093b8737ef2bc\",\"step\":\"landed\"}",
		     "merge queue: batch 2: 4 branches merged; the integration branch is at "
		     "cc52ff4");
	assert_event("{\"type\":\"merge\",\"batch\":1,\"branch\":\"wfmigrate/20261205-1/impl-a\","
		     "\"merged\":false,\"reason\":\"conflict\",\"step\":\"decided\"}",
		     "merge queue: impl-a refused: conflict");
	assert_event("{\"type\":\"end\",\"status\":\"failed\",\"error\":\"boom\"}",
		     "-- session ended: failed: boom");
	/* one this version does not know: its JSON, without the time */
	assert_event("{\"ts\":5,\"type\":\"new\",\"x\":1}", "{\"type\":\"new\",\"x\":1}");
}

static void test_runlog__agent_find(void **state)
{
	struct wfm_run_agent agents[] = {
		{ .label = "impl:a::card_merge" },
		{ .label = "verify:a::card_merge" },
		{ .label = "impl:b::card_init" },
		{ .label = NULL },
		{ .label = "2" },
	};
	size_t at = 99;

	(void)state;
	assert_wfm_ok(wfm_run_agent_find(&at, agents, 5, "impl:b::card_init"));
	assert_int_equal(at, 2);
	/* a label that looks like a number is its label first */
	assert_wfm_ok(wfm_run_agent_find(&at, agents, 5, "2"));
	assert_int_equal(at, 4);
	assert_wfm_ok(wfm_run_agent_find(&at, agents, 5, "4"));
	assert_int_equal(at, 3);
	assert_wfm_ok(wfm_run_agent_find(&at, agents, 5, "card_init"));
	assert_int_equal(at, 2);
	assert_int_equal(wfm_run_agent_find(&at, agents, 5, "card_merge"), WFM_EAMBIGUOUS);
	assert_non_null(strstr(wfm_error_last(),
			       "'card_merge' names 2 agents: give its number\n"
			       "  1  impl:a::card_merge\n  2  verify:a::card_merge"));
	assert_int_equal(wfm_run_agent_find(&at, agents, 5, "6"), WFM_ENOTFOUND);
	assert_int_equal(wfm_run_agent_find(&at, agents, 5, "0"), WFM_ENOTFOUND);
	assert_int_equal(wfm_run_agent_find(&at, agents, 5, "nope"), WFM_ENOTFOUND);
}

static void test_runlog__record_cuts_long_texts(void **state)
{
	struct wfm_buf text = WFM_BUF_INIT, out = WFM_BUF_INIT;
	cJSON *rec = wfm_json_object();

	(void)state;
	for (int i = 0; i < 40; i++)
		wfm_buf_addf(&text, "line %d\n", i);
	wfm_json_add_str(rec, "type", "tool");
	wfm_json_add_str(rec, "name", "Read");
	wfm_json_add(rec, "input", cJSON_Parse("{\"file_path\":\"a.c\"}"));
	wfm_json_add_bool(rec, "is_error", 0);
	wfm_json_add_str(rec, "output", text.ptr);
	wfm_json_add_num(rec, "ts", 2500);
	wfm_runlog_record(&out, rec, 1000, 0);
	assert_non_null(
		strstr(out.ptr, "[+1.5s] tool Read {\"file_path\":\"a.c\"} ->\n    line 0\n"));
	assert_non_null(strstr(out.ptr, "    line 11\n    [... "));
	assert_null(strstr(out.ptr, "line 12\n"));
	assert_non_null(strstr(out.ptr, "28 more lines: --full shows all]\n"));
	wfm_buf_clear(&out);
	wfm_runlog_record(&out, rec, 1000, 1);
	assert_non_null(strstr(out.ptr, "    line 39\n"));
	assert_null(strstr(out.ptr, "--full"));
	cJSON_Delete(rec);
	wfm_buf_release(&text);
	wfm_buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runlog__events),
		cmocka_unit_test(test_runlog__agent_find),
		cmocka_unit_test(test_runlog__record_cuts_long_texts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
