/*
 * What both HTTP APIs share: the reply's release, the table of APIs, the
 * token estimate and small JSON helpers for anthropic.c and openai.c.
 */
#include "base/common.h"
#include "base/json.h"
#include "base/buf.h"
#include "llm/llm_priv.h"

void wfm_llm_reply_release(struct wfm_llm_reply *r)
{
	if (!r)
		return;
	free(r->stop_raw);
	free(r->text);
	for (size_t i = 0; i < r->nr_calls; i++) {
		free(r->calls[i].id);
		free(r->calls[i].name);
		cJSON_Delete(r->calls[i].input);
		free(r->calls[i].bad_input);
	}
	free(r->calls);
	cJSON_Delete(r->message);
	memset(r, 0, sizeof(*r));
}

const struct wfm_llm_api_ops *wfm_llm_api(enum wfm_llm_api api)
{
	switch (api) {
	case WFM_LLM_ANTHROPIC:
		return &wfm_llm_anthropic_ops;
	case WFM_LLM_OPENAI:
		return &wfm_llm_openai_ops;
	}
	return NULL;
}

/*
 * Tokenizers give about 3.5 to 4 bytes a token for English and code, less
 * for JSON punctuation and non-ASCII text. The estimate reserves budget
 * before a call, so it errs high: a byte in three.
 */
uint64_t wfm_llm_estimate_tokens(size_t bytes)
{
	return ((uint64_t)bytes + 2) / 3;
}

int wfm_llm_jcount(uint64_t *out, const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || v->valuedouble > 1e15)
		return 0;
	*out = (uint64_t)v->valuedouble;
	return 1;
}

int wfm_llm_tool_name_ok(const char *name)
{
	size_t n = 0;

	for (const char *p = name; *p; p++, n++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return 0;
	return n >= 1 && n <= 64;
}

int wfm_llm_request_check(const struct wfm_llm_request *req, const char *api)
{
	int forced = 0;

	if (!req->model || !*req->model)
		return wfm_error_setc(WFM_EINVALID, "%s: no model given", api);
	if (!req->max_tokens)
		return wfm_error_setc(WFM_EINVALID, "%s: max_tokens is 0", api);
	if (!cJSON_IsArray(req->messages))
		return wfm_error_setc(WFM_EINVALID, "%s: the messages are not an array", api);
	if (req->nr_tools && !req->tools)
		return wfm_error_setc(WFM_EINVALID, "%s: %zu tools but no table", api,
				      req->nr_tools);
	for (size_t i = 0; i < req->nr_tools; i++) {
		const struct wfm_llm_tool *t = &req->tools[i];

		if (!t->name || !wfm_llm_tool_name_ok(t->name))
			return wfm_error_setc(WFM_EINVALID, "%s: invalid tool name '%s'", api,
					      t->name ? t->name : "(null)");
		if (t->schema && !cJSON_IsObject(t->schema))
			return wfm_error_setc(WFM_EINVALID,
					      "%s: the input schema of tool '%s' is not an object",
					      api, t->name);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(req->tools[j].name, t->name))
				return wfm_error_setc(WFM_EINVALID, "%s: tool '%s' given twice",
						      api, t->name);
		if (req->force_tool && !strcmp(req->force_tool, t->name))
			forced = 1;
	}
	if (req->force_tool && !forced)
		return wfm_error_setc(WFM_EINVALID, "%s: forced tool '%s' is not among the tools",
				      api, req->force_tool);
	return 0;
}

void wfm_llm_snippet(struct wfm_buf *out, const char *s, size_t len, size_t max)
{
	size_t n = len < max ? len : max;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		wfm_buf_addch(out, c < 0x20 || c == 0x7f ? ' ' : c);
	}
	if (len > max)
		wfm_buf_adds(out, "...");
}

char *wfm_llm_error_text(const char *body, size_t len)
{
	cJSON *root = NULL;
	const cJSON *err;
	const char *msg, *type;
	struct wfm_buf out = WFM_BUF_INIT;

	if (!body || wfm_json_parse(&root, body, len) < 0)
		return NULL;
	err = cJSON_GetObjectItemCaseSensitive(root, "error");
	if (cJSON_IsString(err)) { /* some local servers: {"error":"..."} */
		wfm_buf_adds(&out, err->valuestring);
		goto done;
	}
	msg = wfm_json_get_str(err, "message", NULL);
	type = wfm_json_get_str(err, "type", NULL);
	if (!type)
		type = wfm_json_get_str(err, "code", NULL);
	if (!msg && !type) {
		cJSON_Delete(root);
		return NULL;
	}
	if (type && *type)
		wfm_buf_addf(&out, "%s%s", type, msg ? ": " : "");
	if (msg)
		wfm_buf_adds(&out, msg);
done:
	cJSON_Delete(root);
	return wfm_buf_detach(&out, NULL);
}

void wfm_llm_add_user_text(cJSON *messages, const char *text)
{
	cJSON *m = wfm_json_object();

	wfm_json_add_str(m, "role", "user");
	wfm_json_add_str(m, "content", text);
	wfm_json_add(messages, NULL, m);
}

void wfm_llm_tool_json(cJSON *obj, const struct wfm_llm_tool *t, const char *schema_key)
{
	wfm_json_add_str(obj, "name", t->name);
	if (t->description)
		wfm_json_add_str(obj, "description", t->description);
	if (t->schema) {
		cJSON_AddItemReferenceToObject(obj, schema_key, (cJSON *)t->schema);
	} else {
		cJSON *s = wfm_json_object();

		wfm_json_add_str(s, "type", "object");
		wfm_json_add(obj, schema_key, s);
	}
}
