#include "support/test.h"
#include "base/buf.h"
#include "base/json.h"
#include "llm/llm.h"

static const struct wfm_llm_api_ops *api(void)
{
	return wfm_llm_api(WFM_LLM_OPENAI);
}

static int parse_str(struct wfm_llm_reply *r, const char *s)
{
	return api()->parse(r, s, strlen(s));
}

static void test_llm_openai__build(void **state)
{
	cJSON *schema = NULL;
	cJSON *messages = wfm_json_array();
	struct wfm_llm_tool tools[] = { { "Read", "read a file", NULL } };
	struct wfm_llm_request req = {
		.model = "fake-rules",
		.system = "sys",
		.tools = tools,
		.nr_tools = 1,
		.max_tokens = 100,
		.cache = 1,
		.messages = messages,
	};
	struct wfm_buf body = WFM_BUF_INIT;

	assert_wfm_ok(wfm_json_parse(&schema, "{\"type\":\"object\"}", 17));
	tools[0].schema = schema;
	api()->add_user(messages, "go");
	assert_wfm_ok(api()->build(&body, &req));
	assert_string_equal(
		body.ptr,
		"{\"model\":\"fake-rules\",\"max_tokens\":100,\"messages\":["
		"{\"role\":\"system\",\"content\":\"sys\"},{\"role\":\"user\",\"content\":\"go\"}],"
		"\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"Read\","
		"\"description\":\"read a file\",\"parameters\":{\"type\":\"object\"}}}]}");
	/* the system message is not stored in the conversation */
	assert_int_equal(cJSON_GetArraySize(messages), 1);

	wfm_buf_release(&body);
	req.force_tool = "Read";
	req.model = "gpt-5-mini";
	assert_wfm_ok(api()->build(&body, &req));
	assert_non_null(strstr(body.ptr, "\"tool_choice\":{\"type\":\"function\",\"function\":"
					 "{\"name\":\"Read\"}}"));
	assert_non_null(strstr(body.ptr, "\"max_completion_tokens\":100"));
	wfm_buf_release(&body);
	cJSON_Delete(messages);
	cJSON_Delete(schema);
}

static void test_llm_openai__parse_tool_calls(void **state)
{
	struct wfm_llm_reply r;
	const char *body =
		"{\"id\":\"c1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
		"\"message\":"
		"{\"role\":\"assistant\",\"content\":null,\"refusal\":null,\"annotations\":[],"
		"\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":"
		"\"Read\","
		"\"arguments\":\"{\\\"file_path\\\":\\\"a.c\\\"}\"}},"
		"{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"Edit\","
		"\"arguments\":\"{\\\"file_path\\\": \\\"a.c\\\", oops\"}},"
		"{\"id\":\"call_3\",\"type\":\"function\",\"function\":{\"name\":\"Glob\","
		"\"arguments\":\"[1,2]\"}}]},"
		"\"finish_reason\":\"tool_calls\"}],"
		"\"usage\":{\"prompt_tokens\":1000,\"completion_tokens\":50,\"total_tokens\":1050,"
		"\"prompt_tokens_details\":{\"cached_tokens\":800}}}";

	assert_wfm_ok(parse_str(&r, body));
	assert_int_equal(r.stop, WFM_LLM_STOP_TOOL_USE);
	assert_null(r.text);
	assert_int_equal(r.nr_calls, 3);
	assert_string_equal(r.calls[0].id, "call_1");
	assert_string_equal(cJSON_GetObjectItem(r.calls[0].input, "file_path")->valuestring, "a.c");
	assert_null(r.calls[1].input);
	assert_non_null(r.calls[1].bad_input);
	assert_true(!strncmp(r.calls[1].bad_input,
			     "arguments are not a JSON object: invalid JSON at byte", 53));
	assert_non_null(strstr(r.calls[1].bad_input, ": {\"file_path\": \"a.c\", oops"));
	assert_null(r.calls[2].input);
	assert_non_null(strstr(r.calls[2].bad_input, "not an object: [1,2]"));
	assert_int_equal(r.usage.input, 200);
	assert_int_equal(r.usage.cache_read, 800);
	assert_int_equal(r.usage.output, 50);
	assert_false(r.usage.estimated);

	{
		cJSON *messages = wfm_json_array();
		struct wfm_llm_tool_result res[] = {
			{ "call_1", "text", 0 },
			{ "call_2", "bad arguments", 1 },
			{ "call_3", "no", 1 },
		};
		struct wfm_buf out = WFM_BUF_INIT;

		api()->add_reply(messages, &r);
		api()->add_results(messages, res, 3);
		wfm_json_print(&out, messages);
		assert_non_null(strstr(out.ptr,
				       "[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":"
				       "[{\"id\":\"call_1\",\"type\":\"function\""));
		assert_null(strstr(out.ptr, "annotations"));
		assert_non_null(strstr(
			out.ptr,
			"{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"text\"},"
			"{\"role\":\"tool\",\"tool_call_id\":\"call_2\",\"content\":\"Error: bad "
			"arguments\"},{\"role\":\"tool\",\"tool_call_id\":\"call_3\","
			"\"content\":\"Error: no\"}]"));
		assert_int_equal(cJSON_GetArraySize(messages), 4);
		wfm_buf_release(&out);
		cJSON_Delete(messages);
	}
	wfm_llm_reply_release(&r);
}

static void test_llm_openai__finish_reasons(void **state)
{
	static const struct {
		const char *raw;
		enum wfm_llm_stop stop;
	} cases[] = {
		{ "stop", WFM_LLM_STOP_END },
		{ "tool_calls", WFM_LLM_STOP_TOOL_USE },
		{ "function_call", WFM_LLM_STOP_TOOL_USE },
		{ "length", WFM_LLM_STOP_MAX_TOKENS },
		{ "content_filter", WFM_LLM_STOP_REFUSAL },
		{ "eos", WFM_LLM_STOP_OTHER },
	};

	for (size_t i = 0; i < WFM_ARRAY_SIZE(cases); i++) {
		struct wfm_buf b = WFM_BUF_INIT;
		struct wfm_llm_reply r;

		wfm_buf_addf(
			&b,
			"{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},"
			"\"finish_reason\":\"%s\"}],\"usage\":{\"prompt_tokens\":3,"
			"\"completion_tokens\":1}}",
			cases[i].raw);
		assert_wfm_ok(api()->parse(&r, b.ptr, b.len));
		assert_int_equal(r.stop, cases[i].stop);
		assert_string_equal(r.stop_raw, cases[i].raw);
		assert_string_equal(r.text, "hi");
		wfm_llm_reply_release(&r);
		wfm_buf_release(&b);
	}
}

static void test_llm_openai__refusal_and_usage(void **state)
{
	struct wfm_llm_reply r;

	assert_wfm_ok(parse_str(
		&r, "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":null,"
		    "\"refusal\":\"I can't help with that\"},\"finish_reason\":\"stop\"}]}"));
	assert_int_equal(r.stop, WFM_LLM_STOP_REFUSAL);
	assert_string_equal(r.text, "I can't help with that");
	/* no usage at all: estimated; input left for the client, which has the request */
	assert_true(r.usage.estimated);
	assert_int_equal(r.usage.input, 0);
	assert_int_equal(r.usage.output, wfm_llm_estimate_tokens(strlen("I can't help with that")));
	wfm_llm_reply_release(&r);

	/* partial usage (a local server): prompt counted, completion estimated */
	assert_wfm_ok(parse_str(&r,
				"{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":"
				"\"hello world, hello world\"},\"finish_reason\":\"stop\"}],"
				"\"usage\":{\"prompt_tokens\":42}}"));
	assert_true(r.usage.estimated);
	assert_int_equal(r.usage.input, 42);
	assert_int_equal(r.usage.output, wfm_llm_estimate_tokens(24));
	wfm_llm_reply_release(&r);

	/* "stop" while calling tools, "" arguments: the calls decide, {} input */
	assert_wfm_ok(parse_str(
		&r, "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"tool_calls\":"
		    "[{\"id\":\"c\",\"type\":\"function\",\"function\":{\"name\":\"Glob\","
		    "\"arguments\":\"\"}}]},\"finish_reason\":\"stop\"}]}"));
	assert_int_equal(r.stop, WFM_LLM_STOP_TOOL_USE);
	assert_non_null(r.calls[0].input);
	assert_int_equal(cJSON_GetArraySize(r.calls[0].input), 0);
	wfm_llm_reply_release(&r);

	assert_int_equal(parse_str(&r, "{\"choices\":[]}"), WFM_EINVALID);
	assert_int_equal(parse_str(&r, "{\"error\":{\"message\":\"x\"}}"), WFM_EINVALID);
	assert_int_equal(parse_str(&r, "nope"), WFM_EINVALID);
}

static void test_llm_openai__errors(void **state)
{
	const char *quota =
		"{\"error\":{\"message\":\"You exceeded your current quota\","
		"\"type\":\"insufficient_quota\",\"param\":null,\"code\":\"insufficient_quota\"}}";
	const char *rate = "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\","
			   "\"code\":\"rate_limit_exceeded\"}}";
	const char *ollama = "{\"error\":\"model 'x' not found\"}";
	char *m;

	m = api()->error_message(quota, strlen(quota));
	assert_string_equal(m, "insufficient_quota: You exceeded your current quota");
	free(m);
	m = api()->error_message(ollama, strlen(ollama));
	assert_string_equal(m, "model 'x' not found");
	free(m);
	assert_true(api()->error_final(429, quota, strlen(quota)));
	assert_false(api()->error_final(429, rate, strlen(rate)));
	assert_false(api()->error_final(500, quota, strlen(quota)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_llm_openai__build),
		cmocka_unit_test(test_llm_openai__parse_tool_calls),
		cmocka_unit_test(test_llm_openai__finish_reasons),
		cmocka_unit_test(test_llm_openai__refusal_and_usage),
		cmocka_unit_test(test_llm_openai__errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
