/*
 * The LLM agent loop (src/agent/loop.c) against the fake provider
 * (tests/fakellm) playing scripted turns: stop reasons, tool calls and
 * their answers, structured output and its retries, limits, roles' tools,
 * commits and transcripts. Every test has its own repository, pool and
 * fake server; what the loop sent is read back from the fake's log.
 */
#include "support/test.h"
#include "support/fakellm.h"
#include "agent/agent.h"
#include "agent/loop.h"
#include "base/buf.h"
#include "base/json.h"
#include "git/pool.h"
#include "git/repo.h"
#include "llm/client.h"
#include "llm/ledger.h"

struct fixture {
	char *repo;
	char base[WFM_OID_HEXSZ + 1];
	char transcript[4096];
	struct wfm_pool *pool;
	struct wfm_test_fake fake;
	struct wfm_llm_client *client;
	struct wfm_agent_env env;
	struct wfm_agent_request req;
	struct wfm_agent_result r;
};

/* A repository with file.c, a pool, the fake with scenario, a client of api. */
static void setup(struct fixture *f, enum wfm_llm_api api, const char *scenario)
{
	struct wfm_pool_opts popts = WFM_POOL_OPTS_INIT;
	struct wfm_llm_client_opts copts = WFM_LLM_CLIENT_OPTS_INIT;
	char *c;

	memset(f, 0, sizeof(*f));
	f->repo = wfm_test_repo_new();
	wfm_test_write(f->repo, "file.c", "int old;\nint other;\n");
	free(wfm_test_sh(f->repo, "git add -A && git commit -qm base"));
	c = wfm_test_sh_trim(f->repo, "git rev-parse HEAD");
	snprintf(f->base, sizeof(f->base), "%.40s", c);
	free(c);
	snprintf(f->transcript, sizeof(f->transcript), "%s/.git/t/agent.jsonl", f->repo);
	popts.run = "r1";
	assert_wfm_ok(wfm_pool_open(&f->pool, f->repo, &popts));
	wfm_test_fake_start(&f->fake, scenario);
	copts.api = api;
	copts.base_url = api == WFM_LLM_OPENAI ? f->fake.oa_url : f->fake.url;
	copts.api_key = WFM_TEST_FAKE_KEY;
	copts.backoff_base_ms = 10;
	assert_wfm_ok(wfm_llm_client_new(&f->client, &copts));
	f->env.run = "r1";
	f->env.pool = f->pool;
	f->env.timeout_sec = 60;
	f->env.client = f->client;
	f->env.api = wfm_llm_api(api);
	f->env.transcript_path = f->transcript;
	f->env.cache = 1;
	f->req.prompt = "change old to new\nin file.c";
	f->req.label = "a1";
	f->req.role = "implementer";
	f->req.model = "fake-script";
	f->req.base = f->base;
}

static void teardown(struct fixture *f)
{
	wfm_agent_result_release(&f->r);
	wfm_llm_client_free(f->client);
	wfm_test_fake_stop(&f->fake);
	wfm_pool_free(f->pool);
	wfm_test_rmtree(f->repo);
	free(f->repo);
}

static void run(struct fixture *f)
{
	assert_wfm_ok(wfm_agent_loop_run(&f->r, &f->env, &f->req));
}

/* The body of the n-th request (0-based) the fake answered with 200. */
static cJSON *request_body(struct fixture *f, int n)
{
	cJSON *log = wfm_test_fake_log(&f->fake), *e, *body = NULL;

	cJSON_ArrayForEach (e, log) {
		const cJSON *status = cJSON_GetObjectItem(e, "status");

		if (cJSON_IsNumber(status) && status->valueint == 200 && n-- == 0) {
			body = cJSON_Duplicate(cJSON_GetObjectItem(e, "body"), 1);
			break;
		}
	}
	cJSON_Delete(log);
	if (!body)
		fail_msg("the fake has no request %d", n);
	return body;
}

static int nr_requests(struct fixture *f)
{
	cJSON *log = wfm_test_fake_log(&f->fake);
	int n = cJSON_GetArraySize(log);

	cJSON_Delete(log);
	return n;
}

/* The names of the tools a request offered, joined with ',' */
static void tool_names(struct wfm_buf *out, const cJSON *body)
{
	const cJSON *t;

	cJSON_ArrayForEach (t, cJSON_GetObjectItem(body, "tools")) {
		const cJSON *name = cJSON_GetObjectItem(t, "name");

		if (!name) /* openai */
			name = cJSON_GetObjectItem(cJSON_GetObjectItem(t, "function"), "name");
		wfm_buf_addf(out, "%s%s", out->len ? "," : "", name->valuestring);
	}
}

/* Whether v's JSON text holds s. */
static int json_has(const cJSON *v, const char *s)
{
	char *text = cJSON_PrintUnformatted(v);
	int found = text && strstr(text, s) != NULL;

	cJSON_free(text);
	return found;
}

static char *file_in(const char *repo, const char *rev, const char *path)
{
	return wfm_test_sh(repo, "git show %s:%s", rev, path);
}

/* ---- the tests ---- */

static void test_agent_loop__tool_calls_and_commit(void **state)
{
	struct fixture f;
	cJSON *second;
	const cJSON *msgs, *last;
	char *text;

	(void)state;
	setup(&f, WFM_LLM_ANTHROPIC,
	      "{\"model\":\"script\",\"script\":["
	      "{\"tool_calls\":[{\"name\":\"Read\",\"input\":{\"file_path\":\"file.c\"}},"
	      "{\"name\":\"Edit\",\"input\":{\"file_path\":\"file.c\",\"old_string\":\"int old;\","
	      "\"new_string\":\"int new;\"}}],\"stop\":\"tool_use\"},"
	      "{\"text\":\"changed old to new\",\"stop\":\"end_turn\"}]}");
	f.req.worktree = 1;
	run(&f);
	assert_true(f.r.ok);
	assert_string_equal(f.r.output->valuestring, "changed old to new");
	assert_true(f.r.changed);
	assert_string_equal(f.r.branch, "wfmigrate/r1/a1");
	assert_int_equal(f.r.turns, 2);
	assert_int_equal(f.r.tool_calls, 2);
	assert_true(f.r.tokens_in > 0 && f.r.tokens_out > 0);
	text = file_in(f.repo, "wfmigrate/r1/a1", "file.c");
	assert_string_equal(text, "int new;\nint other;\n");
	free(text);
	/* both tool_use blocks answered, in order, in the next user message */
	second = request_body(&f, 1);
	msgs = cJSON_GetObjectItem(second, "messages");
	last = cJSON_GetArrayItem(msgs, cJSON_GetArraySize(msgs) - 1);
	assert_string_equal(cJSON_GetObjectItem(last, "role")->valuestring, "user");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(last, "content")), 2);
	assert_true(json_has(last, "     1\\tint old;"));
	cJSON_Delete(second);
	teardown(&f);
}

/* what on_turn saw, turn by turn */
struct turns_seen {
	unsigned n;
	unsigned turns[4], tool_calls[4];
	uint64_t tokens[4];
};

static void record_turn(void *data, const struct wfm_agent_result *so_far)
{
	struct turns_seen *seen = data;

	if (seen->n < 4) {
		seen->turns[seen->n] = so_far->turns;
		seen->tool_calls[seen->n] = so_far->tool_calls;
		seen->tokens[seen->n] = so_far->tokens_in + so_far->tokens_out;
	}
	seen->n++;
}

static void test_agent_loop__reports_each_turn(void **state)
{
	struct fixture f;
	struct turns_seen seen = { 0 };

	(void)state;
	setup(&f, WFM_LLM_ANTHROPIC,
	      "{\"model\":\"script\",\"script\":["
	      "{\"tool_calls\":[{\"name\":\"Read\",\"input\":{\"file_path\":\"file.c\"}},"
	      "{\"name\":\"Read\",\"input\":{\"file_path\":\"file.c\"}}],\"stop\":\"tool_use\"},"
	      "{\"tool_calls\":[{\"name\":\"Glob\",\"input\":{\"pattern\":\"*.c\"}}],"
	      "\"stop\":\"tool_use\"},"
	      "{\"text\":\"done\",\"stop\":\"end_turn\"}]}");
	f.env.on_turn = record_turn;
	f.env.on_turn_data = &seen;
	run(&f);
	assert_true(f.r.ok);
	/* once per model turn, after its tool calls, with the figures so far */
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.turns[0], 1);
	assert_int_equal(seen.tool_calls[0], 2);
	assert_int_equal(seen.turns[1], 2);
	assert_int_equal(seen.tool_calls[1], 3);
	assert_int_equal(seen.turns[2], 3);
	assert_int_equal(seen.tool_calls[2], 3);
	assert_true(seen.tokens[0] > 0 && seen.tokens[0] < seen.tokens[1] &&
		    seen.tokens[1] < seen.tokens[2]);
	assert_int_equal(seen.tokens[2], f.r.tokens_in + f.r.tokens_out);
	teardown(&f);
}

static void test_agent_loop__roles_tools(void **state)
{
	struct fixture f;
	struct wfm_buf names = WFM_BUF_INIT;
	cJSON *body, *tools = wfm_test_json("[\"Read\",\"Grep\",\"Bash\"]"),
		     *bad = wfm_test_json("[\"Teleport\"]");

	(void)state;
	setup(&f, WFM_LLM_ANTHROPIC,
	      "{\"model\":\"script\",\"script\":[{\"text\":\"a\",\"stop\":\"end_turn\"},"
	      "{\"text\":\"b\",\"stop\":\"end_turn\"},{\"text\":\"c\",\"stop\":\"end_turn\"},"
	      "{\"text\":\"d\",\"stop\":\"end_turn\"}]}");
	/* an implementer has every tool */
	run(&f);
	body = request_body(&f, 0);
	tool_names(&names, body);
	assert_string_equal(names.ptr, "Read,Write,Edit,Glob,Grep,Bash");
	assert_true(json_has(body, "cache_control"));
	cJSON_Delete(body);
	wfm_agent_result_release(&f.r);

	/* a verifier: read-only, Bash only with an oracle to run */
	f.req.role = "verifier";
	run(&f);
	body = request_body(&f, 1);
	wfm_buf_clear(&names);
	tool_names(&names, body);
	assert_string_equal(names.ptr, "Read,Glob,Grep");
	cJSON_Delete(body);
	wfm_agent_result_release(&f.r);
	f.env.oracle_cmd = "make test";
	run(&f);
	body = request_body(&f, 2);
	wfm_buf_clear(&names);
	tool_names(&names, body);
	assert_string_equal(names.ptr, "Read,Glob,Grep,Bash");
	assert_true(json_has(body, "make test"));
	cJSON_Delete(body);
	wfm_agent_result_release(&f.r);

	/* the harness's tools narrow a role, never widen it */
	f.req.role = "reviewer";
	f.req.tools = tools;
	run(&f);
	body = request_body(&f, 3);
	wfm_buf_clear(&names);
	tool_names(&names, body);
	assert_string_equal(names.ptr, "Read,Grep");
	cJSON_Delete(body);
	wfm_agent_result_release(&f.r);
	f.req.tools = bad;
	assert_int_equal(wfm_agent_loop_run(&f.r, &f.env, &f.req), WFM_EINVALID);
	assert_non_null(strstr(wfm_error_last(), "unknown tool 'Teleport'"));
	assert_int_equal(nr_requests(&f), 4);

	wfm_buf_release(&names);
	cJSON_Delete(tools);
	cJSON_Delete(bad);
	teardown(&f);
}

static void test_agent_loop__max_tokens_mid_tool_call(void **state)
{
	struct fixture f;
	cJSON *first, *second;
	char *text;

	(void)state;
	setup(&f, WFM_LLM_ANTHROPIC,
	      "{\"model\":\"script\",\"script\":["
	      "{\"tool_calls\":[{\"name\":\"Write\",\"input\":{\"file_path\":\"cut.txt\","
	      "\"content\":\"half\"}}],\"stop\":\"max_tokens\"},"
	      "{\"text\":\"done\",\"stop\":\"end_turn\"}]}");
	f.req.worktree = 1;
	run(&f);
	assert_true(f.r.ok);
	assert_string_equal(f.r.output->valuestring, "done");
	/* the cut-off call was not run, and the call was made again with twice the room */
	assert_false(f.r.changed);
	first = request_body(&f, 0);
	second = request_body(&f, 1);
	assert_int_equal(cJSON_GetObjectItem(second, "max_tokens")->valueint,
			 2 * cJSON_GetObjectItem(first, "max_tokens")->valueint);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(second, "messages")), 1);
	cJSON_Delete(first);
	cJSON_Delete(second);
	text = wfm_test_sh(f.repo, "grep -c 'cut off at max_tokens' '%s'", f.transcript);
	assert_string_equal(text, "1\n");
	free(text);
	teardown(&f);
}

static void test_agent_loop__stop_reasons(void **state)
{
	struct fixture f;
	cJSON *second;
	const cJSON *msgs;

	(void)state;
	setup(&f, WFM_LLM_ANTHROPIC,
	      "{\"model\":\"script\",\"script\":["
	      "{\"text\":\"working\",\"stop\":\"pause_turn\"},"
	      "{\"text\":\"final\",\"stop\":\"end_turn\"},"
	      "{\"text\":\"I will not\",\"stop\":\"refusal\"},"
	      "{\"text\":\"\",\"stop\":\"model_context_window_exceeded\"},"
	      "{\"text\":\"x\",\"stop\":\"end_turn\"},"
	      "{\"text\":\"x\",\"stop\":\"max_tokens\"},{\"text\":\"x\",\"stop\":\"max_tokens\"}]"
	      "}");
	/* pause_turn: the reply goes back as it is and the model goes on */
	run(&f);
	assert_true(f.r.ok);
	assert_string_equal(f.r.output->valuestring, "final");
	second = request_body(&f, 1);
	msgs = cJSON_GetObjectItem(second, "messages");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(msgs, 1), "role")->valuestring,
			    "assistant");
	cJSON_Delete(second);
	wfm_agent_result_release(&f.r);
	/* refusal */
	run(&f);
	assert_false(f.r.ok);
	assert_string_equal(f.r.reason, "the model refused: I will not");
	wfm_agent_result_release(&f.r);
	/* a full context window */
	run(&f);
	assert_false(f.r.ok);
	assert_string_equal(f.r.reason, "the conversation outgrew the model's context window");
	wfm_agent_result_release(&f.r);
	/* cut off twice: fails, no worktree commit */
	f.req.label = "a2";
	run(&f); /* consumes the "x" end_turn */
	wfm_agent_result_release(&f.r);
	run(&f);
	assert_false(f.r.ok);
	assert_non_null(strstr(f.r.reason, "cut off at max_tokens (16384)"));
	teardown(&f);
}

static void test_agent_loop__openai_bad_arguments(void **state)
{
	struct fixture f;
	cJSON *second;
	const cJSON *msgs, *tool;

	(void)state;
	setup(&f, WFM_LLM_OPENAI,
	      "{\"model\":\"script\",\"script\":["
	      "{\"tool_calls\":[{\"name\":\"Read\",\"arguments\":\"{not "
	      "json\"}],\"stop\":\"tool_calls\"},"
	      "{\"text\":\"sorry\",\"stop\":\"stop\"}]}");
	run(&f);
	assert_true(f.r.ok);
	assert_string_equal(f.r.output->valuestring, "sorry");
	second = request_body(&f, 1);
	msgs = cJSON_GetObjectItem(second, "messages");
	tool = cJSON_GetArrayItem(msgs, cJSON_GetArraySize(msgs) - 1);
	assert_string_equal(cJSON_GetObjectItem(tool, "role")->valuestring, "tool");
	assert_true(!strncmp(cJSON_GetObjectItem(tool, "content")->valuestring, "Error", 5));
	assert_non_null(
		strstr(cJSON_GetObjectItem(tool, "content")->valuestring, "not a JSON object"));
	cJSON_Delete(second);
	teardown(&f);
}

#define VERDICT_SCHEMA                                                                             \
	"{\"type\":\"object\",\"required\":[\"verdict\"],\"properties\":{\"verdict\":"             \
	"{\"type\":\"string\",\"enum\":[\"pass\",\"fail\"]}},\"additionalProperties\":false}"

static void test_agent_loop__structured_output(void **state)
{
	struct fixture f;
	cJSON *schema = wfm_test_json(VERDICT_SCHEMA),
	      *bad = wfm_test_json("{\"required\":[\"x\"],\"additionalProperties\":false}");
	struct wfm_buf script = WFM_BUF_INIT;

	(void)state;
	/* one invalid, one valid; then text and a nudge; then five invalid */
	wfm_buf_adds(&script, "{\"model\":\"script\",\"script\":["
			      "{\"tool_calls\":[{\"name\":\"StructuredOutput\",\"input\":{"
			      "\"verdict\":\"maybe\"}}]},"
			      "{\"tool_calls\":[{\"name\":\"StructuredOutput\",\"input\":{"
			      "\"verdict\":\"pass\"}}]},"
			      "{\"text\":\"it passes\",\"stop\":\"end_turn\"},"
			      "{\"tool_calls\":[{\"name\":\"StructuredOutput\",\"input\":{"
			      "\"verdict\":\"fail\"}}]}");
	for (int i = 0; i < 5; i++)
		wfm_buf_adds(
			&script,
			",{\"tool_calls\":[{\"name\":\"StructuredOutput\",\"input\":{\"v\":1}}]}");
	wfm_buf_adds(&script, "]}");
	setup(&f, WFM_LLM_ANTHROPIC, script.ptr);
	f.req.role = "verifier";
	f.req.schema = schema;
	run(&f);
	assert_true(f.r.ok);
	assert_string_equal(cJSON_GetObjectItem(f.r.output, "verdict")->valuestring, "pass");
	assert_int_equal(f.r.turns, 2);
	wfm_agent_result_release(&f.r);

	run(&f); /* text first: asked for StructuredOutput, then it comes */
	assert_true(f.r.ok);
	assert_string_equal(cJSON_GetObjectItem(f.r.output, "verdict")->valuestring, "fail");
	wfm_agent_result_release(&f.r);

	run(&f); /* five invalid submissions */
	assert_false(f.r.ok);
	assert_non_null(strstr(f.r.reason, "does not match the schema after 5 tries"));
	assert_int_equal(f.r.turns, 5);
	wfm_agent_result_release(&f.r);

	/* a schema no object can match is refused before any call */
	f.req.schema = bad;
	assert_int_equal(wfm_agent_loop_run(&f.r, &f.env, &f.req), WFM_EINVALID);
	assert_int_equal(nr_requests(&f), 2 + 2 + 5);

	wfm_buf_release(&script);
	cJSON_Delete(schema);
	cJSON_Delete(bad);
	teardown(&f);
}

/* Without a pool: a tool-less agent (the planner) is model calls on its prompt; others refused. */
static void test_agent_loop__no_pool(void **state)
{
	struct fixture f;
	cJSON *schema = wfm_test_json(VERDICT_SCHEMA), *body;
	struct wfm_buf names = WFM_BUF_INIT;
	char *slots, *first;

	(void)state;
	setup(&f, WFM_LLM_ANTHROPIC,
	      "{\"model\":\"script\",\"script\":["
	      "{\"tool_calls\":[{\"name\":\"StructuredOutput\",\"input\":{"
	      "\"verdict\":\"pass\"}}]}]}");
	f.env.pool = NULL;
	f.req.role = "planner";
	f.req.schema = schema;
	f.req.base = NULL;
	run(&f);
	assert_true(f.r.ok);
	assert_string_equal(cJSON_GetObjectItem(f.r.output, "verdict")->valuestring, "pass");
	assert_string_equal(f.r.commit, "");
	assert_null(f.r.branch);
	body = request_body(&f, 0);
	tool_names(&names, body);
	assert_string_equal(names.ptr, "StructuredOutput");
	first = wfm_test_sh(f.repo, "grep -c '\"worktree\":null' '%s' || :", f.transcript);
	assert_string_equal(wfm_test_trim(first), "1");
	slots = wfm_test_sh(f.repo, "git worktree list | wc -l");
	assert_string_equal(wfm_test_trim(slots), "1");
	wfm_agent_result_release(&f.r);

	/* a role with tools, or a worktree agent, needs a pool: refused before any call */
	f.req.role = "reviewer";
	assert_int_equal(wfm_agent_loop_run(&f.r, &f.env, &f.req), WFM_EINVALID);
	assert_non_null(strstr(wfm_error_last(), "needs a worktree pool"));
	assert_int_equal(nr_requests(&f), 1);

	free(slots);
	free(first);
	cJSON_Delete(body);
	cJSON_Delete(schema);
	wfm_buf_release(&names);
	teardown(&f);
}

static void test_agent_loop__schema_without_type(void **state)
{
	struct fixture f;
	cJSON *schema = wfm_test_json(
		"{\"required\":[\"n\"],\"properties\":{\"n\":{\"type\":\"integer\"}}}");
	cJSON *body;
	const cJSON *tool;

	(void)state;
	setup(&f, WFM_LLM_ANTHROPIC,
	      "{\"model\":\"script\",\"script\":["
	      "{\"tool_calls\":[{\"name\":\"StructuredOutput\",\"input\":{\"n\":3}}]}]}");
	f.req.role = "reviewer";
	f.req.schema = schema;
	run(&f);
	assert_true(f.r.ok);
	assert_int_equal(cJSON_GetObjectItem(f.r.output, "n")->valueint, 3);
	/* the strict fake took it: the tool's input schema says it is an object */
	body = request_body(&f, 0);
	tool = cJSON_GetArrayItem(cJSON_GetObjectItem(body, "tools"), 3);
	assert_string_equal(cJSON_GetObjectItem(tool, "name")->valuestring, "StructuredOutput");
	assert_string_equal(
		cJSON_GetObjectItem(cJSON_GetObjectItem(tool, "input_schema"), "type")->valuestring,
		"object");
	assert_null(cJSON_GetObjectItem(schema, "type")); /* the script's schema is left alone */
	cJSON_Delete(body);
	cJSON_Delete(schema);
	teardown(&f);
}

static void test_agent_loop__limits(void **state)
{
	struct fixture f;
	struct wfm_buf script = WFM_BUF_INIT;
	struct wfm_ledger_totals t;

	(void)state;
	wfm_buf_adds(&script, "{\"model\":\"script\",\"script\":[");
	for (int i = 0; i < 8; i++)
		wfm_buf_addf(&script,
			     "%s{\"tool_calls\":[{\"name\":\"Read\",\"input\":{\"file_path\":"
			     "\"file.c\"}}]}",
			     i ? "," : "");
	wfm_buf_adds(&script, "]}");
	setup(&f, WFM_LLM_ANTHROPIC, script.ptr);
	f.env.max_turns = 3;
	run(&f);
	assert_false(f.r.ok);
	assert_string_equal(f.r.reason, "turn limit: 3 model calls without a final answer");
	assert_int_equal(f.r.turns, 3);
	wfm_agent_result_release(&f.r);

	/* the agent's own token limit */
	f.env.max_turns = 0;
	f.env.max_tokens = 3000;
	run(&f);
	assert_false(f.r.ok);
	assert_non_null(strstr(f.r.reason, "token limit: "));
	assert_true(f.r.tokens_in + f.r.tokens_out <= 3000);
	wfm_agent_result_release(&f.r);

	/* the run's budget: refused before the call, the ledger exhausted */
	f.env.max_tokens = 0;
	f.env.ledger = wfm_ledger_new(500, 0, 0, 0);
	run(&f);
	assert_false(f.r.ok);
	assert_non_null(strstr(f.r.reason, "budget: the token budget of 500 would be passed"));
	wfm_ledger_totals(f.env.ledger, &t);
	assert_true(t.exhausted);
	assert_int_equal(t.tokens, 0);
	wfm_ledger_free(f.env.ledger);
	f.env.ledger = NULL;
	wfm_buf_release(&script);
	teardown(&f);
}

static void test_agent_loop__wall_time(void **state)
{
	struct fixture f;

	(void)state;
	/* each call takes 600 ms; Bash is limited to what is left of the agent's 2 s */
	setup(&f, WFM_LLM_ANTHROPIC,
	      "{\"model\":\"script\",\"latencyMs\":600,\"script\":["
	      "{\"tool_calls\":[{\"name\":\"Bash\",\"input\":{\"command\":\"sleep 5\","
	      "\"timeout\":60000}}]},"
	      "{\"tool_calls\":[{\"name\":\"Read\",\"input\":{\"file_path\":\"file.c\"}}]},"
	      "{\"text\":\"late\",\"stop\":\"end_turn\"}]}");
	f.env.timeout_sec = 2;
	run(&f);
	assert_false(f.r.ok);
	assert_string_equal(f.r.reason, "timed out after 2s");
	/* sleep 5 was cut when the agent's time ran out, and no second call was made */
	assert_true(f.r.duration_ms < 4000);
	assert_int_equal(f.r.turns, 1);
	assert_int_equal(nr_requests(&f), 1);
	teardown(&f);
}

static void test_agent_loop__transcript_redacted(void **state)
{
	struct fixture f;
	char *found;

	(void)state;
	setenv("WFM_TEST_API_KEY", "sk-secret-value-12345", 1);
	setup(&f, WFM_LLM_ANTHROPIC,
	      "{\"model\":\"script\",\"script\":["
	      "{\"tool_calls\":[{\"name\":\"Bash\",\"input\":{\"command\":\"echo "
	      "key=$WFM_TEST_API_KEY\"}}]},"
	      "{\"text\":\"the key is sk-secret-value-12345\",\"stop\":\"end_turn\"}]}");
	run(&f);
	assert_true(f.r.ok);
	/* Bash ran without the key in its environment */
	found = wfm_test_sh(f.repo, "grep -c '\"output\":\"key=\\\\n' '%s' || :", f.transcript);
	assert_string_equal(found, "1\n");
	free(found);
	/* what the model said is in the transcript, the key's value is not */
	found = wfm_test_sh(f.repo, "grep -c 'sk-secret-value-12345' '%s' || :", f.transcript);
	assert_string_equal(found, "0\n");
	free(found);
	/* in the call's reply and in the result */
	found = wfm_test_sh(f.repo, "grep -c 'the key is \\[redacted\\]' '%s' || :", f.transcript);
	assert_string_equal(found, "2\n");
	free(found);
	unsetenv("WFM_TEST_API_KEY");
	teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agent_loop__tool_calls_and_commit),
		cmocka_unit_test(test_agent_loop__reports_each_turn),
		cmocka_unit_test(test_agent_loop__roles_tools),
		cmocka_unit_test(test_agent_loop__max_tokens_mid_tool_call),
		cmocka_unit_test(test_agent_loop__stop_reasons),
		cmocka_unit_test(test_agent_loop__openai_bad_arguments),
		cmocka_unit_test(test_agent_loop__structured_output),
		cmocka_unit_test(test_agent_loop__no_pool),
		cmocka_unit_test(test_agent_loop__schema_without_type),
		cmocka_unit_test(test_agent_loop__limits),
		cmocka_unit_test(test_agent_loop__wall_time),
		cmocka_unit_test(test_agent_loop__transcript_redacted),
	};
	int rc;

	if (wfm_git_init() < 0 || wfm_llm_global_init() < 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	wfm_llm_global_cleanup();
	return rc;
}
