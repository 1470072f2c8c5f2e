/*
 * OpenAI Chat Completions (POST {base}/chat/completions), which OpenAI,
 * Ollama, vLLM and llama.cpp servers speak. See apis.md §6.2.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/json.h"
#include "llm/llm_priv.h"

/*
 * OpenAI's reasoning models (o1, o3, o4, gpt-5…) refuse max_tokens and
 * want max_completion_tokens; everything else, local servers included,
 * knows max_tokens.
 */
static const char *max_tokens_key(const char *model)
{
	static const char *const reasoning[] = { "gpt-5", "o1", "o3", "o4" };

	for (size_t i = 0; i < WFM_ARRAY_SIZE(reasoning); i++) {
		size_t n = strlen(reasoning[i]);

		if (!strncmp(model, reasoning[i], n) &&
		    (!model[n] || model[n] == '-' || model[n] == '.'))
			return "max_completion_tokens";
	}
	return "max_tokens";
}

static int build(struct wfm_buf *body, const struct wfm_llm_request *req)
{
	cJSON *root, *messages;
	cJSON *m;
	int rc = wfm_llm_request_check(req, "openai");

	if (rc < 0)
		return rc;
	root = wfm_json_object();
	wfm_json_add_str(root, "model", req->model);
	wfm_json_add_num(root, max_tokens_key(req->model), req->max_tokens);
	messages = wfm_json_array();
	if (req->system && *req->system) {
		cJSON *sys = wfm_json_object();

		wfm_json_add_str(sys, "role", "system");
		wfm_json_add_str(sys, "content", req->system);
		wfm_json_add(messages, NULL, sys);
	}
	/* references: the conversation is printed, never copied */
	cJSON_ArrayForEach (m, req->messages)
		cJSON_AddItemReferenceToArray(messages, m);
	wfm_json_add(root, "messages", messages);
	if (req->nr_tools) {
		cJSON *tools = wfm_json_array();

		for (size_t i = 0; i < req->nr_tools; i++) {
			const struct wfm_llm_tool *t = &req->tools[i];
			cJSON *tool = wfm_json_object(), *fn = wfm_json_object();

			wfm_json_add_str(tool, "type", "function");
			wfm_llm_tool_json(fn, t, "parameters");
			wfm_json_add(tool, "function", fn);
			wfm_json_add(tools, NULL, tool);
		}
		wfm_json_add(root, "tools", tools);
		if (req->force_tool) {
			cJSON *choice = wfm_json_object(), *fn = wfm_json_object();

			wfm_json_add_str(choice, "type", "function");
			wfm_json_add_str(fn, "name", req->force_tool);
			wfm_json_add(choice, "function", fn);
			wfm_json_add(root, "tool_choice", choice);
		}
	}
	wfm_json_print(body, root);
	cJSON_Delete(root);
	return 0;
}

static enum wfm_llm_stop stop_of(const char *raw)
{
	if (!strcmp(raw, "stop"))
		return WFM_LLM_STOP_END;
	if (!strcmp(raw, "tool_calls") || !strcmp(raw, "function_call"))
		return WFM_LLM_STOP_TOOL_USE;
	if (!strcmp(raw, "length"))
		return WFM_LLM_STOP_MAX_TOKENS;
	if (!strcmp(raw, "content_filter"))
		return WFM_LLM_STOP_REFUSAL;
	return WFM_LLM_STOP_OTHER;
}

static int only_space(const char *s)
{
	for (; *s; s++)
		if (!strchr(" \t\r\n", *s))
			return 0;
	return 1;
}

static void call_input(struct wfm_llm_tool_call *call, const char *args)
{
	cJSON *v = NULL;
	struct wfm_buf why = WFM_BUF_INIT;
	size_t len = strlen(args);

	/* some local servers send "" for a call without arguments */
	if (only_space(args)) {
		call->input = wfm_json_object();
		return;
	}
	if (wfm_json_parse(&v, args, len) == 0 && cJSON_IsObject(v)) {
		call->input = v;
		return;
	}
	wfm_buf_addf(&why, "arguments are not a JSON object: %s: ",
		     v ? "not an object" : wfm_error_last());
	wfm_llm_snippet(&why, args, len, 200);
	call->bad_input = wfm_buf_detach(&why, NULL);
	cJSON_Delete(v);
}

static int parse(struct wfm_llm_reply *out, const char *body, size_t len)
{
	cJSON *root = NULL;
	const cJSON *choices, *choice, *msg, *calls, *c, *usage, *details, *content;
	const char *raw, *refusal;
	size_t alloc = 0, out_bytes = 0;
	uint64_t prompt, cached = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = wfm_json_parse(&root, body, len);
	if (rc < 0)
		return wfm_error_setc(WFM_EINVALID, "openai: reply is not JSON: %s",
				      wfm_error_last());
	choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
	choice = cJSON_GetArrayItem(choices, 0);
	msg = cJSON_GetObjectItemCaseSensitive(choice, "message");
	if (!cJSON_IsArray(choices) || !cJSON_IsObject(msg)) {
		rc = wfm_error_setc(WFM_EINVALID, "openai: reply has no choices[0].message");
		goto done;
	}
	content = cJSON_GetObjectItemCaseSensitive(msg, "content");
	if (cJSON_IsString(content) && *content->valuestring) {
		out->text = wfm_strdup(content->valuestring);
		out_bytes += strlen(out->text);
	}
	calls = cJSON_GetObjectItemCaseSensitive(msg, "tool_calls");
	if (!cJSON_IsArray(calls))
		calls = NULL;
	cJSON_ArrayForEach (c, calls) {
		const cJSON *fn = cJSON_GetObjectItemCaseSensitive(c, "function");
		const char *id = wfm_json_get_str(c, "id", NULL);
		const char *name = wfm_json_get_str(fn, "name", NULL);
		const cJSON *args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
		struct wfm_llm_tool_call *call;

		if (!id || !name) {
			rc = wfm_error_setc(WFM_EINVALID, "openai: tool call without id or name");
			goto done;
		}
		WFM_ALLOC_GROW(out->calls, out->nr_calls + 1, alloc);
		call = &out->calls[out->nr_calls++];
		memset(call, 0, sizeof(*call));
		call->id = wfm_strdup(id);
		call->name = wfm_strdup(name);
		if (cJSON_IsString(args)) {
			call_input(call, args->valuestring);
			out_bytes += strlen(args->valuestring);
		} else if (cJSON_IsObject(args)) { /* lenient servers send the object */
			call->input = cJSON_Duplicate(args, 1);
		} else if (!args || cJSON_IsNull(args)) {
			call->input = wfm_json_object();
		} else {
			call->bad_input = wfm_strdup("arguments are not a JSON object: "
						     "neither a string nor an object");
		}
	}

	raw = wfm_json_get_str(choice, "finish_reason", NULL);
	out->stop_raw = wfm_strdup(raw ? raw : "");
	out->stop = raw ? stop_of(raw) : WFM_LLM_STOP_OTHER;
	/* servers that say "stop" while calling tools: the calls decide */
	if (out->nr_calls && (out->stop == WFM_LLM_STOP_END || !raw))
		out->stop = WFM_LLM_STOP_TOOL_USE;
	refusal = wfm_json_get_str(msg, "refusal", NULL);
	if (refusal && *refusal) {
		out->stop = WFM_LLM_STOP_REFUSAL;
		out_bytes += strlen(refusal);
		if (!out->text)
			out->text = wfm_strdup(refusal);
	}

	usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
	details = cJSON_GetObjectItemCaseSensitive(usage, "prompt_tokens_details");
	if (wfm_llm_jcount(&prompt, usage, "prompt_tokens")) {
		wfm_llm_jcount(&cached, details, "cached_tokens");
		if (cached > prompt)
			cached = prompt;
		out->usage.input = prompt - cached;
		out->usage.cache_read = cached;
	} else {
		out->usage.estimated = 1; /* the client counts the request */
	}
	if (!wfm_llm_jcount(&out->usage.output, usage, "completion_tokens")) {
		out->usage.output = wfm_llm_estimate_tokens(out_bytes);
		out->usage.estimated = 1;
	}

	/* sent back as it came, but only the fields a request may carry */
	out->message = wfm_json_object();
	wfm_json_add_str(out->message, "role", "assistant");
	if (cJSON_IsString(content))
		wfm_json_add(out->message, "content", cJSON_Duplicate(content, 1));
	else if (cJSON_IsArray(calls) && cJSON_GetArraySize(calls))
		wfm_json_add_null(out->message, "content");
	else
		wfm_json_add_str(out->message, "content", refusal ? refusal : "");
	if (cJSON_IsArray(calls) && cJSON_GetArraySize(calls))
		wfm_json_add(out->message, "tool_calls", cJSON_Duplicate(calls, 1));
	rc = 0;
done:
	cJSON_Delete(root);
	if (rc < 0)
		wfm_llm_reply_release(out);
	return rc;
}

static char *error_message(const char *body, size_t len)
{
	return wfm_llm_error_text(body, len);
}

static int error_final(long status, const char *body, size_t len)
{
	cJSON *root = NULL;
	const cJSON *err;
	const char *code, *type;
	int final = 0;

	if (status != 429 || !body || wfm_json_parse(&root, body, len) < 0)
		return 0;
	err = cJSON_GetObjectItemCaseSensitive(root, "error");
	code = wfm_json_get_str(err, "code", NULL);
	type = wfm_json_get_str(err, "type", NULL);
	if ((code && !strcmp(code, "insufficient_quota")) ||
	    (type && !strcmp(type, "insufficient_quota")))
		final = 1;
	cJSON_Delete(root);
	return final;
}

/* OpenAI caches the longest prefix it has seen by itself: nothing to mark. */
static void add_prompt(cJSON *messages, const char *text, size_t cached)
{
	(void)cached;
	wfm_llm_add_user_text(messages, text);
}

static void add_reply(cJSON *messages, const struct wfm_llm_reply *reply)
{
	cJSON *m;

	if (reply->message) {
		m = cJSON_Duplicate(reply->message, 1);
	} else {
		m = wfm_json_object();
		wfm_json_add_str(m, "role", "assistant");
		wfm_json_add_str(m, "content", reply->text ? reply->text : "");
	}
	wfm_json_add(messages, NULL, m);
}

static void add_results(cJSON *messages, const struct wfm_llm_tool_result *results, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		cJSON *m = wfm_json_object();
		struct wfm_buf content = WFM_BUF_INIT;

		if (results[i].is_error)
			wfm_buf_adds(&content, "Error: ");
		wfm_buf_adds(&content, results[i].content ? results[i].content : "");
		wfm_json_add_str(m, "role", "tool");
		wfm_json_add_str(m, "tool_call_id", results[i].id ? results[i].id : "");
		wfm_json_add_str(m, "content", content.ptr);
		wfm_json_add(messages, NULL, m);
		wfm_buf_release(&content);
	}
}

const struct wfm_llm_api_ops wfm_llm_openai_ops = {
	.name = "openai",
	.path = "/chat/completions",
	.build = build,
	.parse = parse,
	.error_message = error_message,
	.error_final = error_final,
	.add_user = wfm_llm_add_user_text,
	.add_prompt = add_prompt,
	.add_reply = add_reply,
	.add_results = add_results,
};
