#ifndef WFM_AGENT_PROVIDER_H
#define WFM_AGENT_PROVIDER_H

/*
 * Who runs a run's agents: one row per provider (docs/providers.md). A
 * provider with an HTTP API (has_api) runs models through the agent loop
 * (agent/loop.h) against a base URL, with an API key from the
 * environment; exec runs a command per agent (agent/exec.h). Adding an
 * OpenAI-compatible service is a row: its name, the API it speaks, its
 * variables, default URL and models.
 */
#include "agent/role.h"
#include "llm/llm.h"

enum wfm_provider_key {
	WFM_KEY_NONE,	  /* no key (exec) */
	WFM_KEY_REQUIRED, /* the run refuses to start without one */
	/* required only when the base URL is the default URL's host (a
	 * local OpenAI-compatible server needs none) */
	WFM_KEY_AT_DEFAULT_HOST,
};

/* A model alias of the reference system (opus, sonnet, haiku) and what it names here. */
struct wfm_provider_alias {
	const char *alias, *model;
};

struct wfm_provider {
	const char *name; /* --provider, wfmigrate.provider, run.json's "provider" */
	int has_api;	  /* 0: exec */
	enum wfm_llm_api api;
	const char *key_env;	 /* "ANTHROPIC_API_KEY"; NULL: none */
	const char *url_env;	 /* "ANTHROPIC_BASE_URL"; NULL: none */
	const char *default_url; /* without url_env set; NULL: none */
	enum wfm_provider_key key;
	/* the model of a role whose model nobody chose, by its tier (role.h) */
	const char *models[WFM_TIER_NR];
	/* aliases that name a model of this provider, NULL-terminated (may be
	 * NULL); any other alias is the default of its tier */
	const struct wfm_provider_alias *aliases;
};

/* The providers, in the order the automatic choice tries them. */
extern const struct wfm_provider wfm_providers[];
extern const size_t wfm_providers_nr;

/* The row named name, or NULL. */
const struct wfm_provider *wfm_provider_find(const char *name);

/*
 * The provider of a run that names none: exec when an agent command is
 * given, else the first provider whose key variable is set, or whose URL
 * variable is when it does not always need a key (the environment says
 * where a local server is). NULL: none applies.
 */
const struct wfm_provider *wfm_provider_default(int have_agent_cmd);

/* Appends the names "exec, anthropic or openai", for messages. */
struct wfm_buf;
void wfm_provider_names(struct wfm_buf *out);

/*
 * The message of a run with no provider: what to set ("set
 * ANTHROPIC_API_KEY or OPENAI_API_KEY (or OPENAI_BASE_URL for a local
 * server), or give --provider exec --agent-cmd <cmd>"), WFM_EINVALID.
 */
int wfm_provider_none_error(void);

/* The base URL: the URL variable when it is set and not empty, else the default. Borrowed. */
const char *wfm_provider_base_url(const struct wfm_provider *p);

/*
 * The API key from the provider's key variable: *out borrowed from the
 * environment, NULL when unset or empty. WFM_EINVALID when the provider
 * needs one at base_url and there is none.
 */
int wfm_provider_api_key(const char **out, const struct wfm_provider *p, const char *base_url);

#endif
