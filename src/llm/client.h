#ifndef WFM_LLM_CLIENT_H
#define WFM_LLM_CLIENT_H

/*
 * A client of one provider for a whole run, shared by all its agents'
 * threads: it sends wfm_llm_request's over HTTP (libcurl, one easy handle
 * per call) and handles what the network and the provider do to them.
 *
 *  - Timeouts: connect, and a stall timeout (no byte for so long).
 *  - Retries: 429, 500, 502, 503, 504, 529 and transport errors are
 *    retried up to max_retries times, after exponential backoff with full
 *    jitter (a random wait in [0, min(cap, base * 2^attempt)]), or after
 *    the server's retry-after / retry-after-ms when it sends one, clamped
 *    to retry_after_max_ms. 400, 401, 403, 404, 413 and a final 429 (the
 *    API's error_final) fail at once with the provider's message; after a
 *    401 or a final 429 (a bad key, a spend limit) no later call is sent:
 *    each fails at once with the same message.
 *  - Calls in flight: at most `limit`, which starts at max_in_flight,
 *    halves on every 429/529 (not below 1) and grows by one per success
 *    (not above max_in_flight): a fan-out never stampedes the provider.
 *  - Circuit breaker: after breaker_threshold refusals in a row (429, 5xx,
 *    transport) no new call starts for breaker_cool_ms; calls waiting for
 *    it wait, they do not fail.
 *
 * Thread-safe: any number of threads may call wfm_llm_client_call at once.
 */
#include <signal.h>
#include <stdint.h>

#include "llm/llm.h"

struct wfm_llm_client_opts {
	enum wfm_llm_api api;
	/* required: "https://api.anthropic.com", "http://127.0.0.1:8080/v1" */
	const char *base_url;
	const char *api_key;		  /* may be NULL for local servers (openai) */
	unsigned long connect_timeout_ms; /* default 10000 */
	/* no byte for this long: a transport error; default 120000 */
	unsigned long stall_timeout_ms;
	unsigned max_retries;		  /* default 6 */
	unsigned long backoff_base_ms;	  /* default 1000 */
	unsigned long backoff_max_ms;	  /* default 60000 */
	unsigned long retry_after_max_ms; /* default 120000 */
	unsigned max_in_flight;		  /* default 16 */
	unsigned breaker_threshold;	  /* default 8 */
	unsigned long breaker_cool_ms;	  /* default 30000 */
};
/* every 0 field takes its default */
/* clang-format off */
#define WFM_LLM_CLIENT_OPTS_INIT { .api = WFM_LLM_ANTHROPIC }
/* clang-format on */

/* What happened to one call, for the transcript and the report. */
struct wfm_llm_call_info {
	long status;	     /* the last HTTP status, 0 when none came */
	unsigned attempts;   /* 1 + retries */
	uint64_t waited_ms;  /* in backoff, retry-after, the in-flight limit and the breaker */
	char request_id[64]; /* the provider's request id header, when sent */
};

struct wfm_llm_client;

/*
 * libcurl's process-wide set-up and tear-down: call init once in main()
 * before any thread starts (and before the first client), cleanup at exit.
 * WFM_ERROR when libcurl cannot start.
 */
int wfm_llm_global_init(void);
void wfm_llm_global_cleanup(void);

int wfm_llm_client_new(struct wfm_llm_client **out, const struct wfm_llm_client_opts *opts);
void wfm_llm_client_free(struct wfm_llm_client *c);

/*
 * Sends req and waits for the reply (retrying as above). 0 with out
 * filled (release it with wfm_llm_reply_release). Errors, with a message
 * for people (and the agent's failure reason):
 *   WFM_EINVALID  a final refusal: "anthropic: 400 invalid_request_error:
 *                 <the provider's message>", or a 200 whose body is not a
 *                 reply
 *   WFM_ETIMEOUT  retries exhausted: "anthropic: 529 overloaded_error
 *                 after 7 attempts: <message>"
 *   WFM_ERROR     cancelled (*cancel became non-zero): "cancelled"
 * info (may be NULL) is filled either way.
 */
int wfm_llm_client_call(struct wfm_llm_client *c, struct wfm_llm_reply *out,
			const struct wfm_llm_request *req, const volatile sig_atomic_t *cancel,
			struct wfm_llm_call_info *info);

/* The current limit of calls in flight (for tests and progress). */
unsigned wfm_llm_client_limit(struct wfm_llm_client *c);

#endif
