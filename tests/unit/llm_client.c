/*
 * The HTTP client against tests/fakellm/server.mjs on a random loopback
 * port: retries of every fault kind, final errors, retry-after, the stall
 * timeout, cancellation, the in-flight limit and the breaker.
 */
#include "support/test.h"
#include "support/fakellm.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/json.h"
#include "llm/client.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#define KEY WFM_TEST_FAKE_KEY

static int teardown(void **state)
{
	(void)state;
	wfm_test_fake_stop_all();
	return 0;
}

static size_t collect(char *p, size_t size, size_t n, void *data)
{
	wfm_buf_add(data, p, size * n);
	return size * n;
}

/* GET /_stats → the number under key (top level) */
static double fake_stat(struct wfm_test_fake *f, const char *key)
{
	struct wfm_buf out = WFM_BUF_INIT;
	char url[160];
	CURL *h = curl_easy_init();
	cJSON *root = NULL;
	const cJSON *v;
	double d;

	snprintf(url, sizeof(url), "%s/_stats", f->url);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &out);
	assert_int_equal(curl_easy_perform(h), CURLE_OK);
	curl_easy_cleanup(h);
	assert_wfm_ok(wfm_json_parse(&root, out.ptr, out.len));
	v = cJSON_GetObjectItem(root, key);
	if (!cJSON_IsNumber(v))
		fail_msg("no '%s' in %s", key, out.ptr);
	d = v->valuedouble;
	cJSON_Delete(root);
	wfm_buf_release(&out);
	return d;
}

/* a conversation of one user message, and a request around it */
struct call {
	cJSON *messages;
	struct wfm_llm_request req;
	struct wfm_llm_reply reply;
	struct wfm_llm_call_info info;
};

static void call_init(struct call *c, enum wfm_llm_api api, const char *prompt)
{
	memset(c, 0, sizeof(*c));
	c->messages = wfm_json_array();
	wfm_llm_api(api)->add_user(c->messages, prompt);
	c->req.model = "fake-rules";
	c->req.system = "you are a test";
	c->req.max_tokens = 512;
	c->req.messages = c->messages;
}

static void call_release(struct call *c)
{
	wfm_llm_reply_release(&c->reply);
	cJSON_Delete(c->messages);
}

static struct wfm_llm_client_opts fast_opts(enum wfm_llm_api api, const char *url)
{
	struct wfm_llm_client_opts o = WFM_LLM_CLIENT_OPTS_INIT;

	o.api = api;
	o.base_url = url;
	o.api_key = KEY;
	o.connect_timeout_ms = 2000;
	o.stall_timeout_ms = 1000;
	o.backoff_base_ms = 5;
	o.backoff_max_ms = 50;
	o.retry_after_max_ms = 5000;
	o.max_retries = 4;
	o.breaker_threshold = 100;
	return o;
}

static int group_setup(void **state)
{
	return wfm_llm_global_init();
}

static int group_teardown(void **state)
{
	wfm_llm_global_cleanup();
	return 0;
}

static void test_llm_client__success(void **state)
{
	struct wfm_test_fake f;
	struct wfm_llm_client *cl;
	struct wfm_llm_client_opts o;
	struct call c;

	wfm_test_fake_start(&f, "{\"script\":[{\"text\":\"hello there\"},"
				"{\"tool_calls\":[{\"name\":\"Read\",\"id\":\"call_1\","
				"\"arguments\":\"{oops\"}]}]}");
	o = fast_opts(WFM_LLM_ANTHROPIC, f.url);
	assert_wfm_ok(wfm_llm_client_new(&cl, &o));
	call_init(&c, WFM_LLM_ANTHROPIC, "hi");
	assert_wfm_ok(wfm_llm_client_call(cl, &c.reply, &c.req, NULL, &c.info));
	assert_string_equal(c.reply.text, "hello there");
	assert_int_equal(c.reply.stop, WFM_LLM_STOP_END);
	assert_int_equal(c.info.status, 200);
	assert_int_equal(c.info.attempts, 1);
	assert_true(!strncmp(c.info.request_id, "req_", 4));
	assert_true(c.reply.usage.input + c.reply.usage.cache_write + c.reply.usage.cache_read > 0);
	assert_true(c.reply.usage.output > 0);
	call_release(&c);
	wfm_llm_client_free(cl);

	/* OpenAI, base URL with /v1/ and a trailing slash; bad arguments answered, not fatal */
	o = fast_opts(WFM_LLM_OPENAI, f.oa_url);
	assert_wfm_ok(wfm_llm_client_new(&cl, &o));
	call_init(&c, WFM_LLM_OPENAI, "hi");
	assert_wfm_ok(wfm_llm_client_call(cl, &c.reply, &c.req, NULL, &c.info));
	assert_int_equal(c.reply.nr_calls, 1);
	assert_null(c.reply.calls[0].input);
	assert_non_null(strstr(c.reply.calls[0].bad_input, "arguments are not a JSON object"));
	assert_int_equal(c.reply.stop, WFM_LLM_STOP_TOOL_USE);
	assert_true(c.info.request_id[0]);
	call_release(&c);
	wfm_llm_client_free(cl);
	wfm_test_fake_stop(&f);
}

/* a tool round trip with tools, cache marks and a forced tool: the fake is as strict as the APIs */
static void test_llm_client__tool_round_trip(void **state)
{
	static const enum wfm_llm_api apis[] = { WFM_LLM_ANTHROPIC, WFM_LLM_OPENAI };
	cJSON *schema = NULL;
	const char *sch =
		"{\"type\":\"object\",\"properties\":{\"file_path\":{\"type\":\"string\"}},"
		"\"required\":[\"file_path\"]}";
	struct wfm_llm_tool tools[] = { { "Read", "read a file", NULL },
					{ "StructuredOutput", "the answer", NULL } };

	assert_wfm_ok(wfm_json_parse(&schema, sch, strlen(sch)));
	tools[0].schema = schema;
	tools[1].schema = schema;
	for (size_t a = 0; a < WFM_ARRAY_SIZE(apis); a++) {
		const struct wfm_llm_api_ops *ops = wfm_llm_api(apis[a]);
		struct wfm_test_fake f;
		struct wfm_llm_client *cl;
		struct wfm_llm_client_opts o;
		struct call c;
		struct wfm_llm_tool_result res[2];

		wfm_test_fake_start(
			&f, "{\"script\":[{\"tool_calls\":[{\"name\":\"Read\",\"input\":{\"file_"
			    "path\":\"a.c\"}},"
			    "{\"name\":\"Read\",\"input\":{\"file_path\":\"b.c\"}}]},"
			    "{\"tool_calls\":[{\"name\":\"StructuredOutput\",\"input\":{\"file_"
			    "path\":\"x\"}}]}]}");
		o = fast_opts(apis[a], apis[a] == WFM_LLM_OPENAI ? f.oa_url : f.url);
		assert_wfm_ok(wfm_llm_client_new(&cl, &o));
		call_init(&c, apis[a], "read both");
		c.req.tools = tools;
		c.req.nr_tools = 2;
		c.req.cache = 1;
		assert_wfm_ok(wfm_llm_client_call(cl, &c.reply, &c.req, NULL, &c.info));
		assert_int_equal(c.reply.stop, WFM_LLM_STOP_TOOL_USE);
		assert_int_equal(c.reply.nr_calls, 2);
		ops->add_reply(c.messages, &c.reply);
		res[0] = (struct wfm_llm_tool_result){ c.reply.calls[0].id, "int a;", 0 };
		res[1] = (struct wfm_llm_tool_result){ c.reply.calls[1].id, "no such file", 1 };
		ops->add_results(c.messages, res, 2);
		wfm_llm_reply_release(&c.reply);
		c.req.force_tool = "StructuredOutput";
		if (wfm_llm_client_call(cl, &c.reply, &c.req, NULL, &c.info) < 0)
			fail_msg("%s second turn: %s", ops->name, wfm_error_last());
		assert_int_equal(c.reply.nr_calls, 1);
		assert_string_equal(c.reply.calls[0].name, "StructuredOutput");
		call_release(&c);
		wfm_llm_client_free(cl);
		wfm_test_fake_stop(&f);
	}
	cJSON_Delete(schema);
}

static void test_llm_client__estimated_usage(void **state)
{
	struct wfm_test_fake f;
	struct wfm_llm_client *cl;
	struct wfm_llm_client_opts o;
	struct call c;

	wfm_test_fake_start(
		&f, "{\"usage\":\"none\",\"script\":[{\"text\":\"a reply of some length\"}]}");
	o = fast_opts(WFM_LLM_OPENAI, f.oa_url);
	assert_wfm_ok(wfm_llm_client_new(&cl, &o));
	call_init(&c, WFM_LLM_OPENAI, "a prompt of some length");
	assert_wfm_ok(wfm_llm_client_call(cl, &c.reply, &c.req, NULL, &c.info));
	assert_true(c.reply.usage.estimated);
	assert_true(c.reply.usage.input > 10); /* counted from the request's bytes */
	assert_true(c.reply.usage.output > 0);
	call_release(&c);
	wfm_llm_client_free(cl);
	wfm_test_fake_stop(&f);
}

static void test_llm_client__each_fault_retried(void **state)
{
	static const char *const kinds[] = { "429",  "500",	 "503",	    "529",
					     "drop", "truncate", "badjson", "stall" };
	static const enum wfm_llm_api apis[] = { WFM_LLM_ANTHROPIC, WFM_LLM_OPENAI };

	for (size_t i = 0; i < WFM_ARRAY_SIZE(kinds); i++) {
		struct wfm_test_fake f;
		struct wfm_buf scen = WFM_BUF_INIT;

		wfm_buf_addf(&scen,
			     "{\"faults\":{\"rate\":1,\"kinds\":[\"%s\"],\"maxInARow\":2,"
			     "\"retryAfter\":0.2,\"stallMs\":20000},"
			     "\"script\":[{\"text\":\"one\"},{\"text\":\"two\"}]}",
			     kinds[i]);
		wfm_test_fake_start(&f, scen.ptr);
		for (size_t a = 0; a < WFM_ARRAY_SIZE(apis); a++) {
			struct wfm_llm_client *cl;
			struct wfm_llm_client_opts o =
				fast_opts(apis[a], apis[a] == WFM_LLM_OPENAI ? f.oa_url : f.url);
			struct call c;
			uint64_t t0 = wfm_clock_mono_ms();
			int rc;

			assert_wfm_ok(wfm_llm_client_new(&cl, &o));
			call_init(&c, apis[a], "hi");
			rc = wfm_llm_client_call(cl, &c.reply, &c.req, NULL, &c.info);
			if (rc < 0)
				fail_msg("fault %s (%s): %s", kinds[i], wfm_llm_api(apis[a])->name,
					 wfm_error_last());
			assert_int_equal(c.info.attempts, 3);
			assert_int_equal(c.info.status, 200);
			assert_string_equal(c.reply.text, a ? "two" : "one");
			/* two stalls cut by the 1 s stall timeout, not the server's 20 s */
			if (wfm_clock_mono_ms() - t0 > 7000)
				fail_msg("fault %s took %llu ms", kinds[i],
					 (unsigned long long)(wfm_clock_mono_ms() - t0));
			if (!strcmp(kinds[i], "stall"))
				print_message("two stalls: %llu ms\n",
					      (unsigned long long)(wfm_clock_mono_ms() - t0));
			if (!strcmp(kinds[i], "429")) {
				assert_true(c.info.waited_ms >= 400);
				assert_int_equal(wfm_llm_client_limit(cl), 16 / 4 + 1);
			}
			call_release(&c);
			wfm_llm_client_free(cl);
		}
		assert_int_equal(fake_stat(&f, "retryAfterViolations"), 0);
		assert_int_equal(fake_stat(&f, "requests"), 6);
		wfm_test_fake_stop(&f);
		wfm_buf_release(&scen);
	}
}

static void test_llm_client__final_errors(void **state)
{
	struct wfm_test_fake f;
	struct wfm_llm_client *cl;
	struct wfm_llm_client_opts o;
	struct call c;

	wfm_test_fake_start(
		&f, "{\"script\":[{\"status\":400,\"error\":{\"type\":\"invalid_request_error\","
		    "\"message\":\"messages: roles must alternate\"}},"
		    "{\"status\":404,\"error\":{\"type\":\"not_found_error\",\"message\":\"model: "
		    "x\"}}]}");
	/* a wrong key: 401 at once, with the provider's message */
	o = fast_opts(WFM_LLM_ANTHROPIC, f.url);
	o.api_key = "wrong";
	assert_wfm_ok(wfm_llm_client_new(&cl, &o));
	call_init(&c, WFM_LLM_ANTHROPIC, "hi");
	assert_int_equal(wfm_llm_client_call(cl, &c.reply, &c.req, NULL, &c.info), WFM_EINVALID);
	assert_string_equal(wfm_error_last(),
			    "anthropic: 401 authentication_error: invalid x-api-key");
	assert_int_equal(c.info.attempts, 1);
	assert_int_equal(c.info.status, 401);
	call_release(&c);
	/* the next call is not sent: no call will do better with this key */
	call_init(&c, WFM_LLM_ANTHROPIC, "hi again");
	assert_int_equal(wfm_llm_client_call(cl, &c.reply, &c.req, NULL, &c.info), WFM_EINVALID);
	assert_string_equal(wfm_error_last(),
			    "anthropic: 401 authentication_error: invalid "
			    "x-api-key (not sent: an earlier call was refused so)");
	assert_int_equal(c.info.attempts, 0);
	call_release(&c);
	wfm_llm_client_free(cl);

	o = fast_opts(WFM_LLM_OPENAI, f.oa_url);
	o.api_key = NULL;
	assert_wfm_ok(wfm_llm_client_new(&cl, &o));
	call_init(&c, WFM_LLM_OPENAI, "hi");
	assert_int_equal(wfm_llm_client_call(cl, &c.reply, &c.req, NULL, &c.info), WFM_EINVALID);
	assert_non_null(strstr(wfm_error_last(), "openai: 401 invalid_request_error: You didn't "
						 "provide an API key"));
	call_release(&c);
	wfm_llm_client_free(cl);

	o = fast_opts(WFM_LLM_ANTHROPIC, f.url);
	assert_wfm_ok(wfm_llm_client_new(&cl, &o));
	call_init(&c, WFM_LLM_ANTHROPIC, "hi");
	assert_int_equal(wfm_llm_client_call(cl, &c.reply, &c.req, NULL, &c.info), WFM_EINVALID);
	assert_string_equal(wfm_error_last(),
			    "anthropic: 400 invalid_request_error: messages: roles must alternate");
	call_release(&c);
	call_init(&c, WFM_LLM_ANTHROPIC, "hi");
	assert_int_equal(wfm_llm_client_call(cl, &c.reply, &c.req, NULL, &c.info), WFM_EINVALID);
	assert_string_equal(wfm_error_last(), "anthropic: 404 not_found_error: model: x");
	assert_int_equal(c.info.attempts, 1);
	call_release(&c);
	/* a request that cannot be built is not sent */
	call_init(&c, WFM_LLM_ANTHROPIC, "hi");
	c.req.max_tokens = 0;
	assert_int_equal(wfm_llm_client_call(cl, &c.reply, &c.req, NULL, &c.info), WFM_EINVALID);
	assert_int_equal(c.info.attempts, 0);
	call_release(&c);
	wfm_llm_client_free(cl);
	wfm_test_fake_stop(&f);
}

static void test_llm_client__spend_limit(void **state)
{
	struct wfm_test_fake f;
	struct wfm_llm_client *cl;
	struct wfm_llm_client_opts o;
	struct call c;

	wfm_test_fake_start(&f, "{\"spendLimit\":true}");
	o = fast_opts(WFM_LLM_ANTHROPIC, f.url);
	assert_wfm_ok(wfm_llm_client_new(&cl, &o));
	call_init(&c, WFM_LLM_ANTHROPIC, "hi");
	assert_int_equal(wfm_llm_client_call(cl, &c.reply, &c.req, NULL, &c.info), WFM_EINVALID);
	assert_true(!strncmp(wfm_error_last(), "anthropic: 429 rate_limit_error: You have reached",
			     49));
	assert_int_equal(c.info.attempts, 1);
	call_release(&c);
	wfm_llm_client_free(cl);

	o = fast_opts(WFM_LLM_OPENAI, f.oa_url);
	assert_wfm_ok(wfm_llm_client_new(&cl, &o));
	call_init(&c, WFM_LLM_OPENAI, "hi");
	assert_int_equal(wfm_llm_client_call(cl, &c.reply, &c.req, NULL, &c.info), WFM_EINVALID);
	assert_true(!strncmp(wfm_error_last(), "openai: 429 insufficient_quota: You exceeded", 44));
	assert_int_equal(c.info.attempts, 1);
	call_release(&c);
	wfm_llm_client_free(cl);
	wfm_test_fake_stop(&f);
}

static void test_llm_client__retries_exhausted(void **state)
{
	struct wfm_test_fake f;
	struct wfm_llm_client *cl;
	struct wfm_llm_client_opts o;
	struct call c;

	wfm_test_fake_start(&f, "{\"faults\":{\"rate\":1,\"kinds\":[\"529\"],\"maxInARow\":100}}");
	o = fast_opts(WFM_LLM_ANTHROPIC, f.url);
	o.max_retries = 2;
	assert_wfm_ok(wfm_llm_client_new(&cl, &o));
	call_init(&c, WFM_LLM_ANTHROPIC, "hi");
	assert_int_equal(wfm_llm_client_call(cl, &c.reply, &c.req, NULL, &c.info), WFM_ETIMEOUT);
	assert_string_equal(
		wfm_error_last(),
		"anthropic: 529 overloaded_error after 3 attempts: Overloaded (fakellm fault)");
	assert_int_equal(c.info.attempts, 3);
	assert_int_equal(c.info.status, 529);
	assert_int_equal(wfm_llm_client_limit(cl), 2); /* 16 → 8 → 4 → 2 */
	call_release(&c);
	wfm_llm_client_free(cl);
	wfm_test_fake_stop(&f);

	/* nobody listening: transport errors */
	o = fast_opts(WFM_LLM_ANTHROPIC, "http://127.0.0.1:9");
	o.max_retries = 1;
	assert_wfm_ok(wfm_llm_client_new(&cl, &o));
	call_init(&c, WFM_LLM_ANTHROPIC, "hi");
	assert_int_equal(wfm_llm_client_call(cl, &c.reply, &c.req, NULL, &c.info), WFM_ETIMEOUT);
	assert_true(
		!strncmp(wfm_error_last(), "anthropic: transport error after 2 attempts: ", 45));
	assert_int_equal(c.info.status, 0);
	call_release(&c);
	wfm_llm_client_free(cl);
}

static void test_llm_client__retry_after(void **state)
{
	struct wfm_test_fake f;
	struct wfm_llm_client *cl;
	struct wfm_llm_client_opts o;
	struct call c;
	uint64_t t0 = wfm_clock_mono_ms();

	wfm_test_fake_start(
		&f, "{\"faults\":{\"rate\":1,\"kinds\":[\"429\"],\"maxInARow\":2,\"retryAfter\":1},"
		    "\"script\":[{\"text\":\"ok\"}]}");
	o = fast_opts(WFM_LLM_ANTHROPIC, f.url);
	o.backoff_base_ms = 1; /* the server's 1 s, not the backoff, must decide */
	assert_wfm_ok(wfm_llm_client_new(&cl, &o));
	call_init(&c, WFM_LLM_ANTHROPIC, "hi");
	assert_wfm_ok(wfm_llm_client_call(cl, &c.reply, &c.req, NULL, &c.info));
	assert_true(c.info.waited_ms >= 2000);
	assert_true(wfm_clock_mono_ms() - t0 >= 2000);
	assert_int_equal(fake_stat(&f, "retryAfterViolations"), 0);
	call_release(&c);
	wfm_llm_client_free(cl);
	wfm_test_fake_stop(&f);

	/* clamped to retry_after_max_ms */
	wfm_test_fake_start(
		&f,
		"{\"faults\":{\"rate\":1,\"kinds\":[\"429\"],\"maxInARow\":1,\"retryAfter\":3600},"
		"\"script\":[{\"text\":\"ok\"}]}");
	o = fast_opts(WFM_LLM_ANTHROPIC, f.url);
	o.retry_after_max_ms = 200;
	assert_wfm_ok(wfm_llm_client_new(&cl, &o));
	call_init(&c, WFM_LLM_ANTHROPIC, "hi");
	t0 = wfm_clock_mono_ms();
	assert_wfm_ok(wfm_llm_client_call(cl, &c.reply, &c.req, NULL, &c.info));
	assert_true(wfm_clock_mono_ms() - t0 < 2000);
	assert_true(c.info.waited_ms >= 200);
	call_release(&c);
	wfm_llm_client_free(cl);
	wfm_test_fake_stop(&f);
}

struct canceller {
	volatile sig_atomic_t *flag;
	unsigned ms;
};

static void *cancel_later(void *arg)
{
	struct canceller *k = arg;

	usleep(k->ms * 1000);
	*k->flag = 1;
	return NULL;
}

static void test_llm_client__cancel(void **state)
{
	struct wfm_test_fake f;
	struct wfm_llm_client *cl;
	struct wfm_llm_client_opts o;
	struct call c;
	volatile sig_atomic_t flag = 0;
	struct canceller k = { &flag, 300 };
	pthread_t th;
	uint64_t t0;

	/* during a stalled transfer */
	wfm_test_fake_start(&f, "{\"faults\":{\"rate\":1,\"kinds\":[\"stall\"],\"maxInARow\":100,"
				"\"stallMs\":20000}}");
	o = fast_opts(WFM_LLM_ANTHROPIC, f.url);
	o.stall_timeout_ms = 60000;
	assert_wfm_ok(wfm_llm_client_new(&cl, &o));
	call_init(&c, WFM_LLM_ANTHROPIC, "hi");
	t0 = wfm_clock_mono_ms();
	pthread_create(&th, NULL, cancel_later, &k);
	assert_int_equal(wfm_llm_client_call(cl, &c.reply, &c.req, &flag, &c.info), WFM_ERROR);
	pthread_join(th, NULL);
	assert_string_equal(wfm_error_last(), "cancelled");
	assert_true(wfm_clock_mono_ms() - t0 < 2000);
	call_release(&c);
	wfm_llm_client_free(cl);
	wfm_test_fake_stop(&f);

	/* during a long retry-after */
	wfm_test_fake_start(&f, "{\"faults\":{\"rate\":1,\"kinds\":[\"429\"],\"maxInARow\":100,"
				"\"retryAfter\":30}}");
	o = fast_opts(WFM_LLM_ANTHROPIC, f.url);
	o.retry_after_max_ms = 60000;
	assert_wfm_ok(wfm_llm_client_new(&cl, &o));
	call_init(&c, WFM_LLM_ANTHROPIC, "hi");
	flag = 0;
	t0 = wfm_clock_mono_ms();
	pthread_create(&th, NULL, cancel_later, &k);
	assert_int_equal(wfm_llm_client_call(cl, &c.reply, &c.req, &flag, &c.info), WFM_ERROR);
	pthread_join(th, NULL);
	assert_string_equal(wfm_error_last(), "cancelled");
	assert_true(wfm_clock_mono_ms() - t0 < 300 + 150 + 500);
	assert_int_equal(c.info.attempts, 1);
	call_release(&c);

	/* already set: nothing is sent */
	call_init(&c, WFM_LLM_ANTHROPIC, "again");
	assert_int_equal(wfm_llm_client_call(cl, &c.reply, &c.req, &flag, &c.info), WFM_ERROR);
	assert_int_equal(c.info.attempts, 0);
	call_release(&c);
	wfm_llm_client_free(cl);
	wfm_test_fake_stop(&f);
}

static void test_llm_client__limit_shrinks_and_grows(void **state)
{
	struct wfm_test_fake f;
	struct wfm_llm_client *cl;
	struct wfm_llm_client_opts o;
	struct wfm_buf scen = WFM_BUF_INIT;

	wfm_buf_adds(&scen, "{\"faults\":{\"rate\":1,\"kinds\":[\"429\"],\"maxInARow\":3,"
			    "\"retryAfter\":0.05},\"script\":[");
	for (int i = 0; i < 10; i++)
		wfm_buf_addf(&scen, "%s{\"text\":\"t%d\"}", i ? "," : "", i);
	wfm_buf_adds(&scen, "]}");
	wfm_test_fake_start(&f, scen.ptr);
	o = fast_opts(WFM_LLM_ANTHROPIC, f.url);
	o.max_in_flight = 8;
	assert_wfm_ok(wfm_llm_client_new(&cl, &o));
	assert_int_equal(wfm_llm_client_limit(cl), 8);
	for (int i = 0; i < 6; i++) {
		struct call c;
		char prompt[32];

		snprintf(prompt, sizeof(prompt), "prompt %d", i);
		call_init(&c, WFM_LLM_ANTHROPIC, prompt);
		assert_wfm_ok(wfm_llm_client_call(cl, &c.reply, &c.req, NULL, &c.info));
		assert_int_equal(c.info.attempts, 4);
		/* halved three times (8 → 1), then one success: 2 */
		assert_int_equal(wfm_llm_client_limit(cl), 2);
		call_release(&c);
	}
	wfm_llm_client_free(cl);
	wfm_test_fake_stop(&f);
	wfm_buf_release(&scen);

	/* growing back: one per success, up to max_in_flight */
	wfm_test_fake_start(
		&f, "{\"script\":[{\"fault\":\"529\"},{\"fault\":\"529\"},{\"fault\":\"529\"},"
		    "{\"text\":\"a\"},{\"text\":\"b\"},{\"text\":\"c\"},{\"text\":\"d\"},"
		    "{\"text\":\"e\"},{\"text\":\"f\"},{\"text\":\"g\"},{\"text\":\"h\"}]}");
	o.base_url = f.url;
	assert_wfm_ok(wfm_llm_client_new(&cl, &o));
	for (unsigned i = 0; i < 8; i++) {
		struct call c;

		call_init(&c, WFM_LLM_ANTHROPIC, "again");
		assert_wfm_ok(wfm_llm_client_call(cl, &c.reply, &c.req, NULL, &c.info));
		/* 8 → 1 on the first call, +1 per success, not above 8 */
		assert_int_equal(wfm_llm_client_limit(cl), i + 2 > 8 ? 8 : i + 2);
		call_release(&c);
	}
	wfm_llm_client_free(cl);
	wfm_test_fake_stop(&f);
}

static void test_llm_client__breaker(void **state)
{
	struct wfm_test_fake f;
	struct wfm_llm_client *cl;
	struct wfm_llm_client_opts o;
	struct call c;

	wfm_test_fake_start(&f, "{\"faults\":{\"rate\":1,\"kinds\":[\"500\"],\"maxInARow\":2},"
				"\"script\":[{\"text\":\"ok\"}]}");
	o = fast_opts(WFM_LLM_ANTHROPIC, f.url);
	o.breaker_threshold = 2;
	o.breaker_cool_ms = 600;
	assert_wfm_ok(wfm_llm_client_new(&cl, &o));
	call_init(&c, WFM_LLM_ANTHROPIC, "hi");
	assert_wfm_ok(wfm_llm_client_call(cl, &c.reply, &c.req, NULL, &c.info));
	assert_int_equal(c.info.attempts, 3);
	/* the third attempt waited for the breaker to cool */
	assert_true(c.info.waited_ms >= 550);
	assert_int_equal(wfm_llm_client_limit(cl), 16); /* 500s do not shrink it */
	call_release(&c);
	wfm_llm_client_free(cl);
	wfm_test_fake_stop(&f);
}

#define THREADS 8

struct worker {
	struct wfm_llm_client *cl;
	int n;
	int rc;
	char err[256];
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct call c;
	char prompt[64];

	snprintf(prompt, sizeof(prompt), "worker %d", w->n);
	call_init(&c, WFM_LLM_ANTHROPIC, prompt);
	w->rc = wfm_llm_client_call(w->cl, &c.reply, &c.req, NULL, &c.info);
	if (w->rc < 0)
		snprintf(w->err, sizeof(w->err), "%s", wfm_error_last());
	call_release(&c);
	return NULL;
}

static void test_llm_client__threads(void **state)
{
	struct wfm_test_fake f;
	struct wfm_llm_client *cl;
	struct wfm_llm_client_opts o;
	pthread_t th[THREADS];
	struct worker w[THREADS];

	/* the rule-based model answers anything; a third of calls faulted */
	wfm_test_fake_start(
		&f, "{\"faults\":{\"rate\":0.3,\"kinds\":[\"429\",\"500\",\"503\",\"529\",\"drop\","
		    "\"truncate\",\"badjson\"],\"maxInARow\":3,\"retryAfter\":0.2,\"seed\":7}}");
	o = fast_opts(WFM_LLM_ANTHROPIC, f.url);
	o.max_in_flight = 4;
	o.max_retries = 6;
	assert_wfm_ok(wfm_llm_client_new(&cl, &o));
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .cl = cl, .n = i };
		assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		if (w[i].rc < 0)
			fail_msg("worker %d: %s", i, w[i].err);
	}
	assert_int_equal(fake_stat(&f, "retryAfterViolations"), 0);
	assert_true(wfm_llm_client_limit(cl) >= 1 && wfm_llm_client_limit(cl) <= 4);
	wfm_llm_client_free(cl);
	wfm_test_fake_stop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_llm_client__success, teardown),
		cmocka_unit_test_teardown(test_llm_client__tool_round_trip, teardown),
		cmocka_unit_test_teardown(test_llm_client__estimated_usage, teardown),
		cmocka_unit_test_teardown(test_llm_client__each_fault_retried, teardown),
		cmocka_unit_test_teardown(test_llm_client__final_errors, teardown),
		cmocka_unit_test_teardown(test_llm_client__spend_limit, teardown),
		cmocka_unit_test_teardown(test_llm_client__retries_exhausted, teardown),
		cmocka_unit_test_teardown(test_llm_client__retry_after, teardown),
		cmocka_unit_test_teardown(test_llm_client__cancel, teardown),
		cmocka_unit_test_teardown(test_llm_client__limit_shrinks_and_grows, teardown),
		cmocka_unit_test_teardown(test_llm_client__breaker, teardown),
		cmocka_unit_test_teardown(test_llm_client__threads, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
