/*
 * The LLM agent loop. The contract with scripts is the exec provider's
 * (docs/agents.md); what differs is who does the work: a model calling
 * tools in the agent's worktree.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/json.h"
#include "agent/agent_type.h"
#include "agent/loop.h"
#include "agent/schema.h"
#include "agent/tools.h"
#include "agent/transcript.h"
#include "agent/work.h"
#include "git/pool.h"
#include "llm/cache.h"
#include "llm/client.h"
#include "llm/ledger.h"
#include "llm/price.h"

#include <inttypes.h>
#include <time.h>

/* bytes of a tool's answer kept in the transcript (the model gets all of it) */
#define TRANSCRIPT_TOOL_MAX (16 * 1024)
/* how long agents wait for the first call of their prompt prefix to write it to the cache */
#define WARM_UP_WAIT_MS 120000
/* Bash's time limit when the agent has more time left than this (tools.h's default) */
#define BASH_TIMEOUT_DEFAULT_MS 120000
/* the least room for a reply a call is made with */
#define MIN_OUTPUT_TOKENS 1024
/* max_tokens is doubled at most up to this after a cut-off reply */
#define OUTPUT_TOKENS_CAP 64000

static const char structured_output_description[] =
	"Submit your final answer. Call this exactly once, when you are done: its input is your "
	"answer, and it must match the schema. If it does not, you are told why and may call it "
	"again.";

static const char structured_output_nudge[] =
	"You ended without submitting your answer. Call the StructuredOutput tool now, with your "
	"answer as its input.";

struct loop {
	const struct wfm_agent_env *env;
	const struct wfm_agent_request *req;
	struct wfm_agent_result *out;
	struct wfm_agent_work work;
	struct wfm_slot *slot;
	struct wfm_transcript tr;
	struct wfm_tool_ctx tools;
	struct wfm_llm_tool *defs; /* the role's tools, then StructuredOutput */
	cJSON *output_schema;	   /* StructuredOutput's, when not req->schema itself */
	size_t nr_defs;
	struct wfm_buf system;
	cJSON *messages;
	struct wfm_price price;
	uint64_t started_ms, tools_bytes;
	unsigned max_out, schema_tries;
	int done; /* out holds the final outcome */
};

__attribute__((format(printf, 2, 3))) static void agent_fail(struct loop *l, const char *fmt, ...)
{
	struct wfm_buf why = WFM_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	wfm_buf_vaddf(&why, fmt, ap);
	va_end(ap);
	l->out->ok = 0;
	free(l->out->reason);
	l->out->reason = wfm_buf_detach(&why, NULL);
	cJSON_Delete(l->out->output);
	l->out->output = NULL;
	l->done = 1;
}

static void agent_succeed(struct loop *l, cJSON *output)
{
	l->out->ok = 1;
	cJSON_Delete(l->out->output);
	l->out->output = output;
	l->done = 1;
}

/* ---- set-up ---- */

static cJSON *dup_json(const cJSON *v)
{
	cJSON *d = v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull();

	if (!d) {
		fprintf(stderr, "fatal: out of memory copying JSON\n");
		abort();
	}
	return d;
}

/* The role's tools (and the type's) narrowed by the request's list of names. */
static int tool_mask(unsigned *mask, const struct wfm_agent_work *w,
		     const struct wfm_agent_env *env, const struct wfm_agent_request *req)
{
	unsigned allowed = w->tools;
	const cJSON *t;

	/* a verifier's Bash runs the oracle and nothing else: no oracle, no Bash */
	if (!w->bash && (!w->role->oracle || !env->oracle_cmd))
		allowed &= ~(unsigned)WFM_TOOL_BASH;
	if (req->tools) {
		unsigned asked = 0;

		if (!cJSON_IsArray(req->tools))
			return wfm_error_setc(WFM_EINVALID,
					      "agent(): tools must be a list of names");
		cJSON_ArrayForEach (t, req->tools) {
			unsigned id;

			if (!cJSON_IsString(t))
				return wfm_error_setc(WFM_EINVALID,
						      "agent(): tools must be a list of names");
			if (!strcmp(t->valuestring, "StructuredOutput"))
				continue; /* given with a schema, and only then */
			id = wfm_tool_find(t->valuestring);
			if (!id)
				return wfm_error_setc(
					WFM_EINVALID,
					"agent(): unknown tool '%s' (known: Read, Write, "
					"Edit, Glob, Grep, Bash)",
					t->valuestring);
			asked |= id;
		}
		allowed &= asked;
	}
	*mask = allowed;
	return 0;
}

static void make_tools(struct loop *l, unsigned mask)
{
	size_t nr = 0;
	const struct wfm_llm_tool *defs = mask ? wfm_tool_defs(mask, &nr) : NULL;
	struct wfm_buf size = WFM_BUF_INIT;

	l->defs = wfm_calloc(nr + 1, sizeof(*l->defs));
	for (size_t i = 0; i < nr; i++)
		l->defs[i] = defs[i];
	l->nr_defs = nr;
	if (l->req->schema) {
		/* APIs want a tool's input schema to say it is an object; only
		 * objects can match this one (wfm_schema_check_object), so saying
		 * so changes nothing */
		if (!cJSON_GetObjectItemCaseSensitive(l->req->schema, "type")) {
			l->output_schema = dup_json(l->req->schema);
			wfm_json_add_str(l->output_schema, "type", "object");
		}
		l->defs[nr].name = "StructuredOutput";
		l->defs[nr].description = structured_output_description;
		l->defs[nr].schema = l->output_schema ? l->output_schema : l->req->schema;
		l->nr_defs++;
	}
	/* for the budget's estimate: what the tool definitions add to each call */
	for (size_t i = 0; i < l->nr_defs; i++) {
		wfm_json_print(&size, l->defs[i].schema);
		l->tools_bytes +=
			size.len + strlen(l->defs[i].name) + strlen(l->defs[i].description);
		wfm_buf_clear(&size);
	}
	wfm_buf_release(&size);
}

/*
 * The role's prompt, or the agent type's followed by the role's rules, and
 * what the run adds; the same bytes for every agent of the role and type.
 */
static void make_system(struct loop *l)
{
	const struct wfm_role *role = l->work.role;
	const struct wfm_agent_type *type = l->req->type;

	if (type && type->prompt) {
		wfm_buf_adds(&l->system, type->prompt);
		if (*role->rules)
			wfm_buf_addf(&l->system, "\n\n%s", role->rules);
	} else {
		wfm_buf_adds(&l->system, role->prompt);
	}
	if (l->env->slot)
		wfm_buf_adds(&l->system,
			     "\n\nThis checkout is shared with the other agents of the run that "
			     "have no worktree of their own: they may change files while you work, "
			     "and what you change stays for the agents after you.");
	if (l->tools.allowed & WFM_TOOL_BASH && l->tools.bash_only)
		wfm_buf_addf(&l->system,
			     "\n\nThe test command, which the Bash tool runs when given exactly "
			     "this command: %s",
			     l->tools.bash_only);
	if (l->req->schema)
		wfm_buf_adds(&l->system, "\n\nWhen you are done, submit your answer by calling the "
					 "StructuredOutput tool; a text answer is not read.");
}

/* ---- transcript ---- */

static void add_str_or_null(cJSON *o, const char *key, const char *s)
{
	if (s)
		wfm_json_add_str(o, key, s);
	else
		wfm_json_add_null(o, key);
}

static void transcript_request(struct loop *l)
{
	cJSON *r = wfm_json_object(), *names = cJSON_CreateArray();

	for (size_t i = 0; i < l->nr_defs; i++)
		cJSON_AddItemToArray(names,
				     wfm_json_strn(l->defs[i].name, strlen(l->defs[i].name)));
	wfm_json_add_str(r, "type", "request");
	wfm_json_add_str(r, "provider", l->env->api->name);
	wfm_json_add_str(r, "model", l->req->model);
	wfm_json_add_str(r, "role", l->work.role->name);
	add_str_or_null(r, "agentType", l->req->type ? l->req->type->name : NULL);
	add_str_or_null(r, "label", l->req->label);
	add_str_or_null(r, "phase", l->req->phase);
	add_str_or_null(r, "worktree", l->slot ? wfm_slot_path(l->slot) : NULL);
	add_str_or_null(r, "base", l->slot ? wfm_slot_base(l->slot) : NULL);
	add_str_or_null(r, "branch", l->work.branch);
	wfm_json_add(r, "schema", dup_json(l->req->schema));
	wfm_json_add(r, "tools", names);
	wfm_json_add_str(r, "system", l->system.ptr);
	wfm_json_add_str(r, "prompt", l->req->prompt);
	wfm_transcript_add(&l->tr, r);
}

static cJSON *usage_json(const struct wfm_llm_usage *u)
{
	cJSON *o = wfm_json_object();

	wfm_json_add_num(o, "input", (double)u->input);
	wfm_json_add_num(o, "output", (double)u->output);
	wfm_json_add_num(o, "cache_write", (double)u->cache_write);
	wfm_json_add_num(o, "cache_read", (double)u->cache_read);
	wfm_json_add_bool(o, "estimated", u->estimated);
	return o;
}

static void transcript_call(struct loop *l, const struct wfm_llm_reply *reply,
			    const struct wfm_llm_call_info *info, double cost)
{
	cJSON *r = wfm_json_object();

	wfm_json_add_str(r, "type", "call");
	wfm_json_add_num(r, "turn", l->out->turns);
	wfm_json_add_num(r, "attempts", info->attempts);
	wfm_json_add_num(r, "waited_ms", (double)info->waited_ms);
	if (info->request_id[0])
		wfm_json_add_str(r, "request_id", info->request_id);
	add_str_or_null(r, "stop", reply->stop_raw);
	wfm_json_add(r, "usage", usage_json(&reply->usage));
	wfm_json_add_num(r, "cost_usd", cost);
	wfm_json_add(r, "reply", dup_json(reply->message));
	wfm_transcript_add(&l->tr, r);
}

static void transcript_tool(struct loop *l, const struct wfm_llm_tool_call *call,
			    const struct wfm_buf *answer, int is_error)
{
	cJSON *r = wfm_json_object();
	size_t keep = answer->len < TRANSCRIPT_TOOL_MAX ? answer->len : TRANSCRIPT_TOOL_MAX;

	wfm_json_add_str(r, "type", "tool");
	add_str_or_null(r, "id", call->id);
	add_str_or_null(r, "name", call->name);
	if (call->input)
		wfm_json_add(r, "input", dup_json(call->input));
	else
		add_str_or_null(r, "input_error", call->bad_input);
	wfm_json_add_bool(r, "is_error", is_error);
	wfm_json_add_strn(r, "output", answer->ptr, keep);
	wfm_json_add_num(r, "output_bytes", (double)answer->len);
	wfm_transcript_add(&l->tr, r);
}

static void transcript_note(struct loop *l, const char *what)
{
	cJSON *r = wfm_json_object();

	wfm_json_add_str(r, "type", "note");
	wfm_json_add_str(r, "note", what);
	wfm_transcript_add(&l->tr, r);
}

static void transcript_result(struct loop *l)
{
	cJSON *r = wfm_json_object();

	wfm_json_add_str(r, "type", "result");
	wfm_json_add(r, "result", wfm_agent_result_to_json(l->out));
	wfm_transcript_add(&l->tr, r);
}

/* ---- one model call ---- */

static uint64_t input_estimate(struct loop *l)
{
	struct wfm_buf msgs = WFM_BUF_INIT;
	uint64_t n;

	wfm_json_print(&msgs, l->messages);
	n = wfm_llm_estimate_tokens(l->system.len + l->tools_bytes + msgs.len);
	wfm_buf_release(&msgs);
	return n;
}

static uint64_t tokens_used(const struct wfm_agent_result *r)
{
	return r->tokens_in + r->tokens_out;
}

/*
 * max_out, lowered so that the call fits in what is left of the run's
 * budget (others' reservations aside: those are waited for), but not
 * below MIN_OUTPUT_TOKENS: room for less is no room, and the reservation
 * is refused.
 */
static uint64_t fit_output(struct loop *l, uint64_t est, uint64_t max_out)
{
	struct wfm_ledger_totals t;

	if (!l->env->ledger)
		return max_out;
	wfm_ledger_totals(l->env->ledger, &t);
	if (t.max_tokens) {
		uint64_t room = t.max_tokens > t.tokens + est ? t.max_tokens - t.tokens - est : 0;

		if (room < max_out)
			max_out = room;
	}
	if (t.max_usd > 0 && l->price.output > 0) {
		double usd = t.max_usd - t.usd - wfm_price_worst(&l->price, est, 0);
		double room = usd > 0 ? usd * 1e6 / l->price.output : 0;

		if (room < (double)max_out)
			max_out = (uint64_t)room;
	}
	return max_out < MIN_OUTPUT_TOKENS ? MIN_OUTPUT_TOKENS : max_out;
}

/*
 * Reserves, calls and settles one model call. 0 with reply filled; 1
 * when the agent ended instead (out says why); negative when the machine
 * failed.
 */
static int call_model(struct loop *l, struct wfm_llm_reply *reply)
{
	const struct wfm_agent_env *env = l->env;
	struct wfm_llm_request req = { 0 };
	struct wfm_llm_call_info info = { 0 };
	struct wfm_ledger_hold hold = { 0 };
	uint64_t est = input_estimate(l), max_out = l->max_out, used, total;
	double cost;
	int rc;

	if (env->max_tokens) {
		uint64_t room;

		used = tokens_used(l->out);
		room = env->max_tokens > used + est ? env->max_tokens - used - est : 0;
		if (room < MIN_OUTPUT_TOKENS) {
			agent_fail(l,
				   "token limit: %" PRIu64 " of the agent's %" PRIu64
				   " tokens used, and the next call needs about %" PRIu64
				   " and room for a reply",
				   used, env->max_tokens, est);
			return 1;
		}
		if (max_out > room)
			max_out = room;
	}
	max_out = fit_output(l, est, max_out);
	if (env->ledger &&
	    wfm_ledger_reserve_wait(env->ledger, &hold, est + max_out,
				    wfm_price_worst(&l->price, est, max_out), env->cancel) < 0) {
		if (env->cancel && *env->cancel)
			agent_fail(l, "cancelled");
		else {
			agent_fail(l, "budget: %s", wfm_error_last());
			l->out->budget = 1;
		}
		return 1;
	}
	req.model = l->req->model;
	req.system = l->system.ptr;
	req.tools = l->defs;
	req.nr_tools = l->nr_defs;
	req.max_tokens = (unsigned)max_out;
	req.cache = env->cache;
	req.messages = l->messages;
	rc = wfm_llm_client_call(env->client, reply, &req, env->cancel, &info);
	l->out->turns++;
	if (rc < 0) {
		if (env->ledger)
			wfm_ledger_settle(env->ledger, &hold, 0, 0);
		if (env->cancel && *env->cancel)
			agent_fail(l, "cancelled");
		else
			agent_fail(l, "%s", wfm_error_last());
		return 1;
	}
	total = reply->usage.input + reply->usage.output + reply->usage.cache_write +
		reply->usage.cache_read;
	cost = wfm_price_cost(&l->price, &reply->usage);
	if (env->ledger)
		wfm_ledger_settle(env->ledger, &hold, total, cost);
	l->out->tokens_in +=
		reply->usage.input + reply->usage.cache_write + reply->usage.cache_read;
	l->out->tokens_out += reply->usage.output;
	l->out->cache_read += reply->usage.cache_read;
	l->out->cache_write += reply->usage.cache_write;
	l->out->cost_usd += cost;
	transcript_call(l, reply, &info, cost);
	return 0;
}

/* ---- tools ---- */

/* The answer to a StructuredOutput call; finishes the agent when it is valid. */
static void structured_output(struct loop *l, const struct wfm_llm_tool_call *call,
			      struct wfm_buf *answer, int *is_error)
{
	*is_error = 1;
	if (!l->req->schema) {
		wfm_buf_adds(answer, "tool 'StructuredOutput' is not available to this agent");
		return;
	}
	if (!call->input) {
		wfm_buf_adds(answer, call->bad_input ? call->bad_input : "no input");
		l->schema_tries++;
		return;
	}
	if (wfm_schema_validate(l->req->schema, call->input) < 0) {
		wfm_buf_addf(answer,
			     "the answer does not match the schema: %s. Call StructuredOutput "
			     "again with a corrected answer.",
			     wfm_error_last());
		l->schema_tries++;
		if (l->schema_tries >= WFM_AGENT_SCHEMA_TRIES)
			agent_fail(l, "output does not match the schema after %d tries: %s",
				   WFM_AGENT_SCHEMA_TRIES, wfm_error_last());
		return;
	}
	*is_error = 0;
	wfm_buf_adds(answer, "accepted");
	agent_succeed(l, dup_json(call->input));
}

/* Bash's time limit: its default, or what is left of the agent's time if that is less. */
static void limit_bash(struct loop *l)
{
	uint64_t limit = l->env->timeout_sec ? (uint64_t)l->env->timeout_sec * 1000 : 0;
	uint64_t used = wfm_clock_mono_ms() - l->started_ms, left;

	if (!limit)
		return;
	left = used < limit ? limit - used : 0;
	if (left < BASH_TIMEOUT_DEFAULT_MS)
		l->tools.bash_timeout_ms = left > 1000 ? (unsigned long)left : 1000;
}

static int run_tools(struct loop *l, const struct wfm_llm_reply *reply)
{
	struct wfm_llm_tool_result *results = wfm_calloc(reply->nr_calls, sizeof(*results));
	struct wfm_buf *answers = wfm_calloc(reply->nr_calls, sizeof(*answers));
	int rc = 0;

	for (size_t i = 0; i < reply->nr_calls; i++) {
		const struct wfm_llm_tool_call *call = &reply->calls[i];
		int is_error = 1;

		wfm_buf_init(&answers[i], 0);
		l->out->tool_calls++;
		limit_bash(l);
		if (l->done) {
			wfm_buf_adds(&answers[i], "not run: the agent has finished");
		} else if (call->name && !strcmp(call->name, "StructuredOutput")) {
			structured_output(l, call, &answers[i], &is_error);
		} else if (!call->input) {
			wfm_buf_adds(&answers[i], call->bad_input
							  ? call->bad_input
							  : "the arguments are not a JSON object");
		} else if ((rc = wfm_tool_run(&answers[i], &is_error, &l->tools,
					      call->name ? call->name : "", call->input)) < 0) {
			break;
		}
		transcript_tool(l, call, &answers[i], is_error);
		results[i].id = call->id ? call->id : "";
		results[i].content = answers[i].ptr;
		results[i].is_error = is_error;
	}
	if (rc == 0)
		l->env->api->add_results(l->messages, results, reply->nr_calls);
	for (size_t i = 0; i < reply->nr_calls; i++)
		wfm_buf_release(&answers[i]);
	free(answers);
	free(results);
	return rc;
}

/* ---- the loop ---- */

static int out_of_time(struct loop *l)
{
	const struct wfm_agent_env *env = l->env;
	uint64_t limit = env->timeout_sec ? (uint64_t)env->timeout_sec * 1000 : 0;

	if (env->cancel && *env->cancel) {
		agent_fail(l, "cancelled");
		return 1;
	}
	if (limit && wfm_clock_mono_ms() - l->started_ms >= limit) {
		agent_fail(l, "timed out after %lus", env->timeout_sec);
		return 1;
	}
	return 0;
}

/*
 * The prompt as the first message, its part shared with other agents of
 * the same model, system prompt and tools marked cacheable; *key gets the
 * cacheable prefix's key ("" when nothing is cached).
 */
static void add_prompt(struct loop *l, char key[17])
{
	const struct wfm_agent_env *env = l->env;
	struct wfm_buf klass = WFM_BUF_INIT, tools = WFM_BUF_INIT, shared = WFM_BUF_INIT;
	size_t cached = 0;

	key[0] = '\0';
	if (env->cache && env->prompt_cache) {
		for (size_t i = 0; i < l->nr_defs; i++) {
			wfm_buf_addf(&tools, "%s\n", l->defs[i].name);
			wfm_json_print(&tools, l->defs[i].schema);
			wfm_buf_addch(&tools, '\n');
		}
		wfm_buf_addf(&klass, "%s\n%s\n", l->req->model, l->system.ptr);
		wfm_buf_add(&klass, tools.ptr, tools.len);
		cached = wfm_llm_cache_split(env->prompt_cache, klass.ptr, l->req->prompt);
		wfm_buf_add(&shared, l->req->prompt, cached);
		{
			const char *parts[] = { l->req->model, l->system.ptr, tools.ptr,
						shared.ptr };

			wfm_llm_cache_key(key, parts, WFM_ARRAY_SIZE(parts));
		}
	}
	env->api->add_prompt(l->messages, l->req->prompt, cached);
	wfm_buf_release(&klass);
	wfm_buf_release(&tools);
	wfm_buf_release(&shared);
}

static int converse(struct loop *l)
{
	const struct wfm_agent_env *env = l->env;
	unsigned max_turns = env->max_turns ? env->max_turns : WFM_AGENT_MAX_TURNS_DEFAULT;
	int retried_cut = 0, warming = 0, rc;
	char key[17];

	add_prompt(l, key);
	/* a new prefix is written by one call before the others read it */
	if (key[0])
		wfm_llm_cache_enter(env->prompt_cache, key, WARM_UP_WAIT_MS, env->cancel, &warming);
	while (!l->done) {
		struct wfm_llm_reply reply = { 0 };

		if (out_of_time(l))
			break;
		if (l->out->turns >= max_turns) {
			agent_fail(l, "turn limit: %u model calls without a final answer",
				   max_turns);
			break;
		}
		rc = call_model(l, &reply);
		if (warming) {
			wfm_llm_cache_leave(env->prompt_cache, key, rc == 0);
			warming = 0;
		}
		if (rc != 0) {
			wfm_llm_reply_release(&reply);
			return rc < 0 ? rc : 0;
		}
		if (reply.stop == WFM_LLM_STOP_MAX_TOKENS) {
			/* a cut-off reply (maybe mid tool call) is not sent back: ask again with
			 * more room */
			if (retried_cut || l->max_out >= OUTPUT_TOKENS_CAP) {
				agent_fail(l, "the model's reply was cut off at max_tokens (%u)",
					   l->max_out);
			} else {
				transcript_note(
					l, "reply cut off at max_tokens: asked again with twice "
					   "the room");
				retried_cut = 1;
				l->max_out = l->max_out * 2 > OUTPUT_TOKENS_CAP ? OUTPUT_TOKENS_CAP
										: l->max_out * 2;
			}
			wfm_llm_reply_release(&reply);
			continue;
		}
		retried_cut = 0;
		if (reply.stop == WFM_LLM_STOP_REFUSAL) {
			agent_fail(l, "the model refused%s%s", reply.text ? ": " : "",
				   reply.text ? reply.text : "");
		} else if (reply.stop == WFM_LLM_STOP_CONTEXT) {
			agent_fail(l, "the conversation outgrew the model's context window");
		} else if (reply.stop == WFM_LLM_STOP_OTHER && !reply.nr_calls) {
			agent_fail(l,
				   "the model stopped for a reason this version does not know: %s",
				   reply.stop_raw ? reply.stop_raw : "(none)");
		} else {
			env->api->add_reply(l->messages, &reply);
			if (reply.nr_calls) {
				rc = run_tools(l, &reply);
			} else if (reply.stop == WFM_LLM_STOP_PAUSE) {
				/* the reply goes back as it is, and the model goes on */
			} else if (l->req->schema) {
				if (++l->schema_tries >= WFM_AGENT_SCHEMA_TRIES)
					agent_fail(l,
						   "no structured output after %d requests for it",
						   WFM_AGENT_SCHEMA_TRIES);
				else
					env->api->add_user(l->messages, structured_output_nudge);
			} else {
				const char *text = reply.text ? reply.text : "";

				agent_succeed(l, wfm_json_strn(text, strlen(text)));
			}
		}
		wfm_llm_reply_release(&reply);
		if (rc < 0)
			return rc;
		if (env->on_turn)
			env->on_turn(env->on_turn_data, l->out);
	}
	if (warming) /* ended before its first call */
		wfm_llm_cache_leave(env->prompt_cache, key, 0);
	return 0;
}

static void loop_release(struct loop *l)
{
	wfm_agent_work_release(&l->work);
	wfm_transcript_close(&l->tr);
	wfm_buf_release(&l->system);
	cJSON_Delete(l->messages);
	cJSON_Delete(l->output_schema);
	free(l->defs);
}

int wfm_agent_loop_run(struct wfm_agent_result *out, const struct wfm_agent_env *env,
		       const struct wfm_agent_request *req)
{
	struct loop l = { 0 };
	unsigned mask = 0;
	char *first = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	l.env = env;
	l.req = req;
	l.out = out;
	l.tr = (struct wfm_transcript)WFM_TRANSCRIPT_INIT(env->transcript_path);
	wfm_buf_init(&l.system, 0);
	if ((rc = wfm_agent_work_init(&l.work, env, req)) < 0)
		goto done;
	if (!env->client || !env->api) {
		rc = wfm_error_setc(WFM_EINVALID, "an LLM agent needs a client");
		goto done;
	}
	if (!req->model || !*req->model) {
		rc = wfm_error_setc(WFM_EINVALID, "no model for the %s agent", l.work.role->name);
		goto done;
	}
	if ((rc = tool_mask(&mask, &l.work, env, req)) < 0 ||
	    (rc = wfm_price_find(&l.price, req->model, env->prices)) < 0)
		goto done;
	if (env->ledger) {
		struct wfm_ledger_totals t;

		wfm_ledger_totals(env->ledger, &t);
		if (t.max_usd > 0 && !l.price.known) {
			rc = wfm_error_setc(
				WFM_EINVALID,
				"no price is known for model '%s', so --max-cost cannot be "
				"kept: set one with git config wfmigrate.price.%s "
				"<input>,<output> (USD per million tokens)",
				req->model, req->model);
			goto done;
		}
	}
	/* no pool: a model call on the prompt alone (the planner), which no tool could use */
	if (!env->pool && (mask || req->worktree || env->slot)) {
		rc = wfm_error_setc(WFM_EINVALID, "an LLM agent with tools needs a worktree pool");
		goto done;
	}
	make_tools(&l, mask);
	l.max_out =
		env->max_output_tokens ? env->max_output_tokens : WFM_AGENT_OUTPUT_TOKENS_DEFAULT;
	l.started_ms = wfm_clock_mono_ms();
	if (env->cancel && *env->cancel) {
		agent_fail(&l, "cancelled");
		transcript_result(&l);
		goto done;
	}
	if (env->slot)
		l.slot = env->slot;
	else if (env->pool &&
		 (rc = wfm_pool_acquire(&l.slot, env->pool, req->base ? req->base : "HEAD")) < 0)
		goto done;
	if (l.slot) {
		memcpy(out->commit, wfm_slot_base(l.slot), WFM_OID_HEXSZ + 1);
		l.tools.root = wfm_slot_path(l.slot);
	}
	l.tools.allowed = mask;
	l.tools.bash_only = l.work.bash ? NULL : env->oracle_cmd;
	l.tools.sandbox = (enum wfm_sandbox)env->sandbox;
	l.tools.cancel = env->cancel;
	make_system(&l);
	l.messages = cJSON_CreateArray();
	transcript_request(&l);

	rc = converse(&l);
	out->duration_ms = wfm_clock_mono_ms() - l.started_ms;
	if (rc == 0 && out->ok && l.work.writes)
		rc = wfm_agent_work_commit(out, &l.work, l.slot, env, req);
	if (rc == 0)
		transcript_result(&l);

	/* a read-only agent's changes stay in the slot: the next acquire discards them */
	if (env->slot || !l.slot) {
		/* the shared checkout: its holder commits and releases it; or no slot at all */
	} else if (rc < 0) {
		first = wfm_strdup(wfm_error_last());
		wfm_pool_release(env->pool, l.slot);
		wfm_error_setc(rc, "%s", first);
	} else {
		rc = wfm_pool_release(env->pool, l.slot);
	}
done:
	if (rc < 0)
		wfm_agent_result_release(out);
	free(first);
	loop_release(&l);
	return rc;
}
