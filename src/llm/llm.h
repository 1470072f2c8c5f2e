#ifndef WFM_LLM_LLM_H
#define WFM_LLM_LLM_H

/*
 * The provider-neutral shape of one model call and its reply, and the
 * table of operations each HTTP API fills (anthropic.c, openai.c). The
 * conversation itself is kept in the provider's own wire format (a cJSON
 * array of messages): the agent loop never looks inside it, it only asks
 * the API to append a user prompt, the model's reply and tool results.
 * That way nothing is lost in translation (Anthropic's tool_use ids and
 * block order, OpenAI's tool_call ids) and the bytes of the stable prefix
 * stay identical from call to call, which prompt caching needs.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/json.h"

enum wfm_llm_api {
	WFM_LLM_ANTHROPIC,
	WFM_LLM_OPENAI,
};

/* A tool the model may call; borrowed. */
struct wfm_llm_tool {
	const char *name; /* ^[a-zA-Z0-9_-]{1,64}$ */
	const char *description;
	const cJSON *schema; /* JSON Schema of its input: an object schema */
};

struct wfm_llm_request {
	const char *model;
	const char *system; /* the role's prompt (+ rubric): the stable prefix */
	const struct wfm_llm_tool *tools;
	size_t nr_tools;
	/* NULL: the model chooses (auto); else it must call this tool */
	const char *force_tool;
	unsigned max_tokens;
	/* mark the stable prefix (tools + system) cacheable (Anthropic
	 * cache_control; OpenAI caches prefixes by itself) */
	int cache;
	const cJSON *messages; /* the conversation, in the API's format; borrowed */
};

enum wfm_llm_stop {
	WFM_LLM_STOP_END,	 /* end_turn, stop, stop_sequence */
	WFM_LLM_STOP_TOOL_USE,	 /* tool_use, tool_calls */
	WFM_LLM_STOP_MAX_TOKENS, /* max_tokens, length */
	WFM_LLM_STOP_PAUSE,	 /* pause_turn: send the reply back to continue */
	WFM_LLM_STOP_REFUSAL,	 /* refusal, content_filter */
	WFM_LLM_STOP_CONTEXT,	 /* model_context_window_exceeded */
	WFM_LLM_STOP_OTHER,	 /* anything new: stop_raw says what */
};

struct wfm_llm_usage {
	uint64_t input; /* uncached input tokens */
	uint64_t output;
	uint64_t cache_write; /* input tokens written to the cache */
	uint64_t cache_read;  /* input tokens read from the cache */
	int estimated;	      /* the server gave none (or part): counted from bytes */
};

struct wfm_llm_tool_call {
	char *id;
	char *name;
	/* the arguments, an object; NULL when they were not a JSON object
	 * (OpenAI sends them as a string), and then bad_input holds the text
	 * and why, to be answered as a tool error */
	cJSON *input;
	char *bad_input;
};

struct wfm_llm_reply {
	enum wfm_llm_stop stop;
	char *stop_raw;			 /* the stop/finish reason as sent; owned */
	char *text;			 /* the text blocks joined, or NULL; owned */
	struct wfm_llm_tool_call *calls; /* in the order sent; owned */
	size_t nr_calls;
	struct wfm_llm_usage usage;
	cJSON *message; /* the assistant message as the API wants it back; owned */
};

void wfm_llm_reply_release(struct wfm_llm_reply *r);

struct wfm_llm_tool_result {
	const char *id;	     /* the call's id */
	const char *content; /* what the tool returned, or its error */
	int is_error;
};

/* One HTTP API: how its requests and replies look. Pure functions, no I/O. */
struct wfm_llm_api_ops {
	const char *name; /* "anthropic", "openai" */
	const char *path; /* appended to the base URL: "/v1/messages", "/chat/completions" */
	/* the request body; WFM_EINVALID when req cannot be sent */
	int (*build)(struct wfm_buf *body, const struct wfm_llm_request *req);
	/* a 200 reply; WFM_EINVALID with why when it is not one the API sends */
	int (*parse)(struct wfm_llm_reply *out, const char *body, size_t len);
	/* the provider's error message in an error body (a new string), or NULL */
	char *(*error_message)(const char *body, size_t len);
	/* whether an error body says the failure is final even though its
	 * status is usually retried (Anthropic's spend-limit 429) */
	int (*error_final)(long status, const char *body, size_t len);
	/* append to the conversation: a user text; the model's reply; the
	 * answers to every tool call of the last reply, in its order */
	void (*add_user)(cJSON *messages, const char *text);
	/* the agent's prompt, the first user message; its first `cached`
	 * bytes (0: none) are the part shared with other agents' prompts,
	 * marked cacheable where the API wants that said (Anthropic) */
	void (*add_prompt)(cJSON *messages, const char *text, size_t cached);
	void (*add_reply)(cJSON *messages, const struct wfm_llm_reply *reply);
	void (*add_results)(cJSON *messages, const struct wfm_llm_tool_result *results, size_t nr);
};

const struct wfm_llm_api_ops *wfm_llm_api(enum wfm_llm_api api);

/* A rough token count for bytes of prompt text: the budget's estimate. */
uint64_t wfm_llm_estimate_tokens(size_t bytes);

#endif
