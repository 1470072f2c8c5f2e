#include "support/test.h"
#include "base/buf.h"
#include "base/json.h"
#include "llm/llm.h"

static const struct wfm_llm_api_ops *api(void)
{
	return wfm_llm_api(WFM_LLM_ANTHROPIC);
}

static int parse_str(struct wfm_llm_reply *r, const char *s)
{
	return api()->parse(r, s, strlen(s));
}

static void test_llm_anthropic__table(void **state)
{
	assert_ptr_equal(wfm_llm_api(WFM_LLM_ANTHROPIC), api());
	assert_string_equal(wfm_llm_api(WFM_LLM_OPENAI)->name, "openai");
	assert_string_equal(api()->name, "anthropic");
	assert_string_equal(api()->path, "/v1/messages");
	assert_true(wfm_llm_estimate_tokens(3000) >= 750);
	assert_int_equal(wfm_llm_estimate_tokens(0), 0);
}

static void test_llm_anthropic__build(void **state)
{
	cJSON *schema = wfm_test_json(
		"{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"}}}");
	cJSON *messages = wfm_json_array();
	struct wfm_llm_tool tools[] = {
		{ "Read", "read a file", schema },
		{ "StructuredOutput", "the answer", NULL },
	};
	struct wfm_llm_request req = {
		.model = "claude-sonnet-4-5",
		.system = "you migrate code",
		.tools = tools,
		.nr_tools = 2,
		.max_tokens = 4096,
		.cache = 1,
		.messages = messages,
	};
	struct wfm_buf body = WFM_BUF_INIT;

	api()->add_user(messages, "go");
	assert_wfm_ok(api()->build(&body, &req));
	assert_string_equal(
		body.ptr,
		"{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":4096,"
		"\"system\":[{\"type\":\"text\",\"text\":\"you migrate code\","
		"\"cache_control\":{\"type\":\"ephemeral\"}}],"
		"\"tools\":[{\"name\":\"Read\",\"description\":\"read a file\",\"input_schema\":"
		"{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"}}}},"
		"{\"name\":\"StructuredOutput\",\"description\":\"the answer\","
		"\"input_schema\":{\"type\":\"object\"},\"cache_control\":{\"type\":\"ephemeral\"}}"
		"],"
		"\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":"
		"\"go\",\"cache_control\":{\"type\":\"ephemeral\"}}]}]}");
	/* the last message is marked in the request, not in the conversation kept */
	assert_true(
		cJSON_IsString(cJSON_GetObjectItem(cJSON_GetArrayItem(messages, 0), "content")));

	/* forced tool, no cache: tool_choice, no cache_control anywhere */
	wfm_buf_release(&body);
	req.cache = 0;
	req.force_tool = "StructuredOutput";
	assert_wfm_ok(api()->build(&body, &req));
	assert_null(strstr(body.ptr, "cache_control"));
	assert_non_null(strstr(
		body.ptr, "\"tool_choice\":{\"type\":\"tool\",\"name\":\"StructuredOutput\"}"));

	/* the same request twice: the same bytes (the cache needs them) */
	{
		struct wfm_buf again = WFM_BUF_INIT;

		assert_wfm_ok(api()->build(&again, &req));
		assert_string_equal(again.ptr, body.ptr);
		wfm_buf_release(&again);
	}
	/* the borrowed conversation and schema survive the build */
	assert_int_equal(cJSON_GetArraySize(messages), 1);
	assert_non_null(cJSON_GetObjectItem(schema, "properties"));

	wfm_buf_release(&body);
	cJSON_Delete(messages);
	cJSON_Delete(schema);
}

static void test_llm_anthropic__build_invalid(void **state)
{
	cJSON *messages = wfm_json_array();
	struct wfm_llm_tool bad[] = { { "read file", "x", NULL } };
	struct wfm_llm_tool ok[] = { { "Read", "x", NULL } };
	struct wfm_llm_request req = { .model = "m", .max_tokens = 10, .messages = messages };
	struct wfm_buf body = WFM_BUF_INIT;

	req.tools = bad;
	req.nr_tools = 1;
	assert_int_equal(api()->build(&body, &req), WFM_EINVALID);
	assert_non_null(strstr(wfm_error_last(), "invalid tool name 'read file'"));
	req.tools = ok;
	req.force_tool = "Write";
	assert_int_equal(api()->build(&body, &req), WFM_EINVALID);
	req.force_tool = NULL;
	req.max_tokens = 0;
	assert_int_equal(api()->build(&body, &req), WFM_EINVALID);
	req.max_tokens = 10;
	req.model = NULL;
	assert_int_equal(api()->build(&body, &req), WFM_EINVALID);
	req.model = "m";
	req.messages = NULL;
	assert_int_equal(api()->build(&body, &req), WFM_EINVALID);
	/* no system, no tools: neither key */
	req.messages = messages;
	req.nr_tools = 0;
	assert_wfm_ok(api()->build(&body, &req));
	assert_string_equal(body.ptr, "{\"model\":\"m\",\"max_tokens\":10,\"messages\":[]}");
	wfm_buf_release(&body);
	cJSON_Delete(messages);
}

static void test_llm_anthropic__parse_tool_use(void **state)
{
	struct wfm_llm_reply r;
	const char *body =
		"{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\","
		"\"content\":[{\"type\":\"text\",\"text\":\"Let me read.\"},"
		"{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"Read\",\"input\":{\"file_"
		"path\":"
		"\"a.c\"}},"
		"{\"type\":\"text\",\"text\":\"And grep.\"},"
		"{\"type\":\"tool_use\",\"id\":\"toolu_2\",\"name\":\"Grep\",\"input\":{"
		"\"pattern\":"
		"\"x\"}}],"
		"\"stop_reason\":\"tool_use\",\"stop_sequence\":null,"
		"\"usage\":{\"input_tokens\":12,\"output_tokens\":34,\"cache_creation_input_"
		"tokens\":"
		"1000,"
		"\"cache_read_input_tokens\":2000,\"service_tier\":\"standard\"}}";

	assert_wfm_ok(parse_str(&r, body));
	assert_int_equal(r.stop, WFM_LLM_STOP_TOOL_USE);
	assert_string_equal(r.stop_raw, "tool_use");
	assert_string_equal(r.text, "Let me read.\nAnd grep.");
	assert_int_equal(r.nr_calls, 2);
	assert_string_equal(r.calls[0].id, "toolu_1");
	assert_string_equal(r.calls[0].name, "Read");
	assert_string_equal(cJSON_GetObjectItem(r.calls[0].input, "file_path")->valuestring, "a.c");
	assert_null(r.calls[0].bad_input);
	assert_string_equal(r.calls[1].id, "toolu_2");
	assert_int_equal(r.usage.input, 12);
	assert_int_equal(r.usage.output, 34);
	assert_int_equal(r.usage.cache_write, 1000);
	assert_int_equal(r.usage.cache_read, 2000);
	assert_false(r.usage.estimated);

	/* the reply goes back as received, then one user message of results in order */
	{
		cJSON *messages = wfm_json_array();
		struct wfm_llm_tool_result res[] = {
			{ "toolu_1", "int main;", 0 },
			{ "toolu_2", "boom", 1 },
		};
		struct wfm_buf out = WFM_BUF_INIT;

		api()->add_user(messages, "start");
		api()->add_reply(messages, &r);
		api()->add_results(messages, res, 2);
		wfm_json_print(&out, messages);
		assert_string_equal(out.ptr, "[{\"role\":\"user\",\"content\":\"start\"},"
					     "{\"role\":\"assistant\",\"content\":[{\"type\":"
					     "\"text\",\"text\":\"Let me read.\"},"
					     "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":"
					     "\"Read\",\"input\":{\"file_path\":\"a.c\"}},"
					     "{\"type\":\"text\",\"text\":\"And grep.\"},"
					     "{\"type\":\"tool_use\",\"id\":\"toolu_2\",\"name\":"
					     "\"Grep\",\"input\":{\"pattern\":\"x\"}}]},"
					     "{\"role\":\"user\",\"content\":["
					     "{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_"
					     "1\",\"content\":\"int main;\"},"
					     "{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_"
					     "2\",\"content\":\"boom\",\"is_error\":true}]}]");
		wfm_buf_release(&out);
		cJSON_Delete(messages);
	}
	wfm_llm_reply_release(&r);
	assert_null(r.text);
	wfm_llm_reply_release(&r); /* twice is harmless */
}

static void test_llm_anthropic__stop_reasons(void **state)
{
	static const struct {
		const char *raw;
		enum wfm_llm_stop stop;
	} cases[] = {
		{ "end_turn", WFM_LLM_STOP_END },
		{ "stop_sequence", WFM_LLM_STOP_END },
		{ "tool_use", WFM_LLM_STOP_TOOL_USE },
		{ "max_tokens", WFM_LLM_STOP_MAX_TOKENS },
		{ "pause_turn", WFM_LLM_STOP_PAUSE },
		{ "refusal", WFM_LLM_STOP_REFUSAL },
		{ "model_context_window_exceeded", WFM_LLM_STOP_CONTEXT },
		{ "something_new", WFM_LLM_STOP_OTHER },
	};

	for (size_t i = 0; i < WFM_ARRAY_SIZE(cases); i++) {
		struct wfm_buf b = WFM_BUF_INIT;
		struct wfm_llm_reply r;

		wfm_buf_addf(
			&b,
			"{\"content\":[{\"type\":\"text\",\"text\":\"hi\"}],\"stop_reason\":\"%s\","
			"\"usage\":{\"input_tokens\":1,\"output_tokens\":2}}",
			cases[i].raw);
		assert_wfm_ok(api()->parse(&r, b.ptr, b.len));
		assert_int_equal(r.stop, cases[i].stop);
		assert_string_equal(r.stop_raw, cases[i].raw);
		wfm_llm_reply_release(&r);
		wfm_buf_release(&b);
	}
}

static void test_llm_anthropic__parse_edge_cases(void **state)
{
	struct wfm_llm_reply r;

	/* max_tokens in the middle of a tool call: the block is still there, stop says why */
	assert_wfm_ok(parse_str(
		&r, "{\"content\":[{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"Write\","
		    "\"input\":{}}],\"stop_reason\":\"max_tokens\","
		    "\"usage\":{\"input_tokens\":1,\"output_tokens\":2}}"));
	assert_int_equal(r.stop, WFM_LLM_STOP_MAX_TOKENS);
	assert_int_equal(r.nr_calls, 1);
	assert_null(r.text);
	wfm_llm_reply_release(&r);

	/* no usage: estimated */
	assert_wfm_ok(parse_str(&r, "{\"content\":[],\"stop_reason\":\"end_turn\"}"));
	assert_true(r.usage.estimated);
	assert_true(r.usage.output > 0);
	wfm_llm_reply_release(&r);

	/* not a reply */
	assert_int_equal(parse_str(&r, "{\"type\":\"message\"}"), WFM_EINVALID);
	assert_null(r.message);
	assert_int_equal(parse_str(&r, "{\"content\":[{\"type\":\"tool_use\",\"name\":\"x\"}]}"),
			 WFM_EINVALID);
	assert_int_equal(parse_str(&r, "{\"content\":["), WFM_EINVALID);
	assert_non_null(strstr(wfm_error_last(), "not JSON"));
}

static void test_llm_anthropic__errors(void **state)
{
	const char *overloaded = "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
				 "\"message\":\"Overloaded\"},"
				 "\"request_id\":\"req_1\"}";
	const char *spend =
		"{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"You "
		"have "
		"reached your specified workspace API usage limits.\",\"details\":{\"error_code\":"
		"\"enforced_spend_limit_reached\"}}}";
	const char *spend2 = "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
			     "\"message\":\"Your spend limit was reached\"}}";
	const char *billing = "{\"type\":\"error\",\"error\":{\"type\":\"billing_error\","
			      "\"message\":\"no credit\"}}";
	char *m = api()->error_message(overloaded, strlen(overloaded));

	assert_string_equal(m, "overloaded_error: Overloaded");
	free(m);
	assert_null(api()->error_message("<html>bad gateway</html>", 24));
	assert_null(api()->error_message("{}", 2));
	assert_false(api()->error_final(529, overloaded, strlen(overloaded)));
	assert_true(api()->error_final(429, spend, strlen(spend)));
	assert_true(api()->error_final(429, spend2, strlen(spend2)));
	assert_true(api()->error_final(400, billing, strlen(billing)));
	assert_false(api()->error_final(429, "", 0));
	{
		const char *slow =
			"{\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow\"}}";

		assert_false(api()->error_final(429, slow, strlen(slow)));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_llm_anthropic__table),
		cmocka_unit_test(test_llm_anthropic__build),
		cmocka_unit_test(test_llm_anthropic__build_invalid),
		cmocka_unit_test(test_llm_anthropic__parse_tool_use),
		cmocka_unit_test(test_llm_anthropic__stop_reasons),
		cmocka_unit_test(test_llm_anthropic__parse_edge_cases),
		cmocka_unit_test(test_llm_anthropic__errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
