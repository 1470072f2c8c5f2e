#ifndef WFM_LLM_LLM_PRIV_H
#define WFM_LLM_LLM_PRIV_H

/* Shared by the API files (anthropic.c, openai.c) and llm.c; not for others. */
#include "llm/llm.h"

extern const struct wfm_llm_api_ops wfm_llm_anthropic_ops;
extern const struct wfm_llm_api_ops wfm_llm_openai_ops;

/* obj[key] as a token count: 1 and *out set when it is a non-negative number */
int wfm_llm_jcount(uint64_t *out, const cJSON *obj, const char *key);
/* whether name matches ^[a-zA-Z0-9_-]{1,64}$ */
int wfm_llm_tool_name_ok(const char *name);
/* checks what both APIs need of a request; WFM_EINVALID with why */
int wfm_llm_request_check(const struct wfm_llm_request *req, const char *api);
/* Appends the first max bytes of s (made printable, on one line) to out. */
void wfm_llm_snippet(struct wfm_buf *out, const char *s, size_t len, size_t max);
/* Adds t's name, description and input schema to obj, the schema under
 * schema_key ("input_schema", "parameters"); {"type":"object"} when t has none.
 * The schema is referenced, not copied: obj must not outlive t. */
void wfm_llm_tool_json(cJSON *obj, const struct wfm_llm_tool *t, const char *schema_key);
/* Appends {"role": "user", "content": text}: both APIs take a user message so. */
void wfm_llm_add_user_text(cJSON *messages, const char *text);
/* A new string "<type>: <message>" (or just message) from {"error":{...}}, or NULL. */
char *wfm_llm_error_text(const char *body, size_t len);

#endif
