/*
 * The Anthropic Messages API (POST /v1/messages): requests, replies and
 * the conversation in its wire format. See apis.md §6.1.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/json.h"
#include "llm/llm_priv.h"

static void add_cache_control(cJSON *obj)
{
	cJSON *cc = wfm_json_object();

	wfm_json_add_str(cc, "type", "ephemeral");
	wfm_json_add(obj, "cache_control", cc);
}

/*
 * The conversation with its last block marked cacheable, so that the next
 * turn reads everything before it from the cache: references to all the
 * messages but the last, and a copy of the last (the stored conversation
 * is left as it is, or the marks would pile up past the API's four).
 */
static cJSON *messages_marked(const cJSON *messages)
{
	cJSON *out = wfm_json_array(), *last, *content;
	int n = cJSON_GetArraySize(messages);

	for (int i = 0; i < n - 1; i++)
		cJSON_AddItemReferenceToArray(out, cJSON_GetArrayItem(messages, i));
	last = cJSON_Duplicate(cJSON_GetArrayItem(messages, n - 1), 1);
	if (!last)
		abort();
	content = cJSON_GetObjectItemCaseSensitive(last, "content");
	if (cJSON_IsString(content)) {
		cJSON *blocks = wfm_json_array(), *b = wfm_json_object();

		wfm_json_add_str(b, "type", "text");
		wfm_json_add_str(b, "text", content->valuestring);
		wfm_json_add(blocks, NULL, b);
		cJSON_ReplaceItemInObjectCaseSensitive(last, "content", blocks);
		content = blocks;
	}
	if (cJSON_GetArraySize(content)) {
		cJSON *b = cJSON_GetArrayItem(content, cJSON_GetArraySize(content) - 1);

		if (!cJSON_GetObjectItemCaseSensitive(b, "cache_control"))
			add_cache_control(b);
	}
	wfm_json_add(out, NULL, last);
	return out;
}

static int build(struct wfm_buf *body, const struct wfm_llm_request *req)
{
	cJSON *root;
	int rc = wfm_llm_request_check(req, "anthropic");

	if (rc < 0)
		return rc;
	root = wfm_json_object();
	wfm_json_add_str(root, "model", req->model);
	wfm_json_add_num(root, "max_tokens", req->max_tokens);
	/* an empty text block is refused by the API: no system at all then */
	if (req->system && *req->system) {
		cJSON *sys = wfm_json_array(), *block = wfm_json_object();

		wfm_json_add_str(block, "type", "text");
		wfm_json_add_str(block, "text", req->system);
		if (req->cache)
			add_cache_control(block);
		wfm_json_add(sys, NULL, block);
		wfm_json_add(root, "system", sys);
	}
	if (req->nr_tools) {
		cJSON *tools = wfm_json_array();

		for (size_t i = 0; i < req->nr_tools; i++) {
			const struct wfm_llm_tool *t = &req->tools[i];
			cJSON *tool = wfm_json_object();

			wfm_llm_tool_json(tool, t, "input_schema");
			/* tools come first in the cached prefix: mark the last
			 * one too, so a request without a system still caches */
			if (req->cache && i == req->nr_tools - 1)
				add_cache_control(tool);
			wfm_json_add(tools, NULL, tool);
		}
		wfm_json_add(root, "tools", tools);
		if (req->force_tool) {
			cJSON *choice = wfm_json_object();

			wfm_json_add_str(choice, "type", "tool");
			wfm_json_add_str(choice, "name", req->force_tool);
			wfm_json_add(root, "tool_choice", choice);
		}
	}
	/* a reference: the conversation is printed, never copied (but for
	 * its last message, when it is marked) */
	if (req->cache && cJSON_GetArraySize(req->messages))
		wfm_json_add(root, "messages", messages_marked(req->messages));
	else
		cJSON_AddItemReferenceToObject(root, "messages", (cJSON *)req->messages);
	wfm_json_print(body, root);
	cJSON_Delete(root);
	return 0;
}

static const struct {
	const char *name;
	enum wfm_llm_stop stop;
} stops[] = {
	{ "end_turn", WFM_LLM_STOP_END },
	{ "stop_sequence", WFM_LLM_STOP_END },
	{ "tool_use", WFM_LLM_STOP_TOOL_USE },
	{ "max_tokens", WFM_LLM_STOP_MAX_TOKENS },
	{ "pause_turn", WFM_LLM_STOP_PAUSE },
	{ "refusal", WFM_LLM_STOP_REFUSAL },
	{ "model_context_window_exceeded", WFM_LLM_STOP_CONTEXT },
};

static enum wfm_llm_stop stop_of(const char *raw)
{
	for (size_t i = 0; i < WFM_ARRAY_SIZE(stops); i++)
		if (!strcmp(stops[i].name, raw))
			return stops[i].stop;
	return WFM_LLM_STOP_OTHER;
}

static int parse(struct wfm_llm_reply *out, const char *body, size_t len)
{
	cJSON *root = NULL;
	const cJSON *content, *block, *usage;
	const char *raw;
	struct wfm_buf text = WFM_BUF_INIT;
	size_t alloc = 0, text_blocks = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = wfm_json_parse(&root, body, len);
	if (rc < 0)
		return wfm_error_setc(WFM_EINVALID, "anthropic: reply is not JSON: %s",
				      wfm_error_last());
	content = cJSON_GetObjectItemCaseSensitive(root, "content");
	if (!cJSON_IsObject(root) || !cJSON_IsArray(content)) {
		rc = wfm_error_setc(WFM_EINVALID, "anthropic: reply has no content array");
		goto done;
	}
	cJSON_ArrayForEach (block, content) {
		const char *type = wfm_json_get_str(block, "type", NULL);

		if (!type)
			continue;
		if (!strcmp(type, "text")) {
			const char *t = wfm_json_get_str(block, "text", NULL);

			if (!t)
				continue;
			if (text_blocks++)
				wfm_buf_addch(&text, '\n');
			wfm_buf_adds(&text, t);
		} else if (!strcmp(type, "tool_use")) {
			const char *id = wfm_json_get_str(block, "id", NULL);
			const char *name = wfm_json_get_str(block, "name", NULL);
			const cJSON *input = cJSON_GetObjectItemCaseSensitive(block, "input");
			struct wfm_llm_tool_call *call;

			if (!id || !name) {
				rc = wfm_error_setc(WFM_EINVALID,
						    "anthropic: tool_use block without id or name");
				goto done;
			}
			WFM_ALLOC_GROW(out->calls, out->nr_calls + 1, alloc);
			call = &out->calls[out->nr_calls++];
			memset(call, 0, sizeof(*call));
			call->id = wfm_strdup(id);
			call->name = wfm_strdup(name);
			if (cJSON_IsObject(input)) {
				call->input = cJSON_Duplicate(input, 1);
			} else {
				struct wfm_buf why = WFM_BUF_INIT, printed = WFM_BUF_INIT;

				if (input)
					wfm_json_print(&printed, input);
				wfm_buf_adds(&why, "input is not a JSON object: ");
				wfm_llm_snippet(&why, printed.ptr, printed.len, 200);
				call->bad_input = wfm_buf_detach(&why, NULL);
				wfm_buf_release(&printed);
			}
		}
		/* thinking, server tool blocks…: kept in message, nothing to do */
	}
	raw = wfm_json_get_str(root, "stop_reason", NULL);
	out->stop_raw = wfm_strdup(raw ? raw : "");
	out->stop = raw ? stop_of(raw) : WFM_LLM_STOP_OTHER;
	if (text_blocks)
		out->text = wfm_buf_detach(&text, NULL);

	usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
	if (!wfm_llm_jcount(&out->usage.input, usage, "input_tokens"))
		out->usage.estimated = 1; /* the client counts the request */
	if (!wfm_llm_jcount(&out->usage.output, usage, "output_tokens")) {
		out->usage.output = wfm_llm_estimate_tokens(len);
		out->usage.estimated = 1;
	}
	wfm_llm_jcount(&out->usage.cache_write, usage, "cache_creation_input_tokens");
	wfm_llm_jcount(&out->usage.cache_read, usage, "cache_read_input_tokens");

	out->message = wfm_json_object();
	wfm_json_add_str(out->message, "role", "assistant");
	wfm_json_add(out->message, "content", cJSON_Duplicate(content, 1));
	rc = 0;
done:
	wfm_buf_release(&text);
	cJSON_Delete(root);
	if (rc < 0)
		wfm_llm_reply_release(out);
	return rc;
}

static char *error_message(const char *body, size_t len)
{
	return wfm_llm_error_text(body, len);
}

static int contains_ci(const char *s, const char *needle)
{
	size_t n = strlen(needle);

	for (; *s; s++)
		if (!strncasecmp(s, needle, n))
			return 1;
	return 0;
}

static int error_final(long status, const char *body, size_t len)
{
	cJSON *root = NULL;
	const cJSON *err, *details;
	const char *type, *code, *msg;
	int final = 0;

	if (!body || wfm_json_parse(&root, body, len) < 0)
		return 0;
	err = cJSON_GetObjectItemCaseSensitive(root, "error");
	details = cJSON_GetObjectItemCaseSensitive(err, "details");
	type = wfm_json_get_str(err, "type", NULL);
	code = wfm_json_get_str(details, "error_code", NULL);
	msg = wfm_json_get_str(err, "message", NULL);
	if (type && !strcmp(type, "billing_error"))
		final = 1;
	else if (status == 429 && code && !strcmp(code, "enforced_spend_limit_reached"))
		final = 1;
	else if (status == 429 && msg && contains_ci(msg, "spend limit"))
		final = 1;
	cJSON_Delete(root);
	return final;
}

/* Two text blocks, the shared part marked: the cache holds tools, system and that part. */
static void add_prompt(cJSON *messages, const char *text, size_t cached)
{
	cJSON *m, *content, *b, *cc;

	if (!cached || cached >= strlen(text)) {
		wfm_llm_add_user_text(messages, text);
		return;
	}
	m = wfm_json_object();
	content = wfm_json_array();
	b = wfm_json_object();
	wfm_json_add_str(b, "type", "text");
	wfm_json_add_strn(b, "text", text, cached);
	cc = wfm_json_object();
	wfm_json_add_str(cc, "type", "ephemeral");
	wfm_json_add(b, "cache_control", cc);
	wfm_json_add(content, NULL, b);
	b = wfm_json_object();
	wfm_json_add_str(b, "type", "text");
	wfm_json_add_str(b, "text", text + cached);
	wfm_json_add(content, NULL, b);
	wfm_json_add_str(m, "role", "user");
	wfm_json_add(m, "content", content);
	wfm_json_add(messages, NULL, m);
}

static void add_reply(cJSON *messages, const struct wfm_llm_reply *reply)
{
	cJSON *m;

	if (reply->message) {
		m = cJSON_Duplicate(reply->message, 1);
	} else {
		m = wfm_json_object();
		wfm_json_add_str(m, "role", "assistant");
		wfm_json_add(m, "content", wfm_json_array());
	}
	wfm_json_add(messages, NULL, m);
}

static void add_results(cJSON *messages, const struct wfm_llm_tool_result *results, size_t nr)
{
	cJSON *m = wfm_json_object(), *content = wfm_json_array();

	for (size_t i = 0; i < nr; i++) {
		cJSON *b = wfm_json_object();

		wfm_json_add_str(b, "type", "tool_result");
		wfm_json_add_str(b, "tool_use_id", results[i].id ? results[i].id : "");
		wfm_json_add_str(b, "content", results[i].content ? results[i].content : "");
		if (results[i].is_error)
			wfm_json_add_bool(b, "is_error", 1);
		wfm_json_add(content, NULL, b);
	}
	wfm_json_add_str(m, "role", "user");
	wfm_json_add(m, "content", content);
	wfm_json_add(messages, NULL, m);
}

const struct wfm_llm_api_ops wfm_llm_anthropic_ops = {
	.name = "anthropic",
	.path = "/v1/messages",
	.build = build,
	.parse = parse,
	.error_message = error_message,
	.error_final = error_final,
	.add_user = wfm_llm_add_user_text,
	.add_prompt = add_prompt,
	.add_reply = add_reply,
	.add_results = add_results,
};
