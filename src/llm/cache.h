#ifndef WFM_LLM_CACHE_H
#define WFM_LLM_CACHE_H

/*
 * Prompt caching across a fan-out. Providers cache a request's prefix:
 * Anthropic up to a marked block, OpenAI by itself. The tools and the
 * system prompt of a role are the same for all its agents; the harness's
 * prompts of one fan-out usually are too, up to the unit (the goal, the
 * rules, the rubric: workflows/migrate.js puts them first for that). This
 * module finds that shared part, so that it can be marked, and makes the
 * first call of a new prefix go alone, so that the agents started with it
 * read the cache instead of all writing it at once. One per run, shared
 * by its agents; thread-safe.
 */
#include <signal.h>
#include <stddef.h>

/* a shared part shorter than this is not worth a cache breakpoint */
#define WFM_LLM_CACHE_MIN_SHARED 1024

struct wfm_llm_cache;

struct wfm_llm_cache *wfm_llm_cache_new(void);
void wfm_llm_cache_free(struct wfm_llm_cache *c);

/*
 * How many bytes at the start of prompt it shares with the prompts of
 * earlier agents of its class (klass: agents with the same model, system
 * prompt and tools), cut after a newline; 0 when that is less than
 * WFM_LLM_CACHE_MIN_SHARED. The first shared part found for a class is
 * kept: a later prompt that starts with it gets exactly it, so the agents
 * of a fan-out mark the same bytes. The prompt is remembered (the first
 * few of each class are) for the agents that come after it.
 */
size_t wfm_llm_cache_split(struct wfm_llm_cache *c, const char *klass, const char *prompt);

/*
 * The warm-up of a prefix (key: its hash, wfm_llm_cache_key). The first
 * agent to enter with a key returns at once with *first set; the others
 * wait in here until it leaves (at most max_wait_ms, or until *cancel),
 * and then their calls read what its call wrote. A first call that
 * failed (ok 0) lets the next waiter go first instead.
 */
void wfm_llm_cache_enter(struct wfm_llm_cache *c, const char *key, unsigned long max_wait_ms,
			 const volatile sig_atomic_t *cancel, int *first);
void wfm_llm_cache_leave(struct wfm_llm_cache *c, const char *key, int ok);

/* A key for the prefix made of parts[0..n) (NUL-terminated strings): 16 hex digits. */
void wfm_llm_cache_key(char out[17], const char *const *parts, size_t n);

#endif
