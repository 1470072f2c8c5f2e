#include "base/common.h"
#include "base/buf.h"
#include "agent/provider.h"

static const struct wfm_provider_alias claude_aliases[] = {
	{ "opus", "claude-opus-4-1" },
	{ "sonnet", "claude-sonnet-4-5" },
	{ "haiku", "claude-haiku-4-5" },
	{ NULL, NULL },
};

const struct wfm_provider wfm_providers[] = {
	{
		.name = "exec",
	},
	{
		.name = "anthropic",
		.has_api = 1,
		.api = WFM_LLM_ANTHROPIC,
		.key_env = "ANTHROPIC_API_KEY",
		.url_env = "ANTHROPIC_BASE_URL",
		.default_url = "https://api.anthropic.com",
		.key = WFM_KEY_REQUIRED,
		.models = { [WFM_TIER_STRONG] = "claude-sonnet-4-5",
			    [WFM_TIER_FAST] = "claude-haiku-4-5" },
		.aliases = claude_aliases,
	},
	{
		.name = "openai",
		.has_api = 1,
		.api = WFM_LLM_OPENAI,
		.key_env = "OPENAI_API_KEY",
		.url_env = "OPENAI_BASE_URL",
		.default_url = "https://api.openai.com/v1",
		.key = WFM_KEY_AT_DEFAULT_HOST,
		.models = { [WFM_TIER_STRONG] = "gpt-4.1", [WFM_TIER_FAST] = "gpt-4.1-mini" },
	},
};

const size_t wfm_providers_nr = WFM_ARRAY_SIZE(wfm_providers);

const struct wfm_provider *wfm_provider_find(const char *name)
{
	for (size_t i = 0; name && i < wfm_providers_nr; i++)
		if (!strcmp(name, wfm_providers[i].name))
			return &wfm_providers[i];
	return NULL;
}

static int env_set(const char *name)
{
	const char *v = name ? getenv(name) : NULL;

	return v && *v;
}

const struct wfm_provider *wfm_provider_default(int have_agent_cmd)
{
	for (size_t i = 0; i < wfm_providers_nr; i++) {
		const struct wfm_provider *p = &wfm_providers[i];

		if (!p->has_api) {
			if (have_agent_cmd)
				return p;
			continue;
		}
		if (env_set(p->key_env) || (p->key != WFM_KEY_REQUIRED && env_set(p->url_env)))
			return p;
	}
	return NULL;
}

void wfm_provider_names(struct wfm_buf *out)
{
	for (size_t i = 0; i < wfm_providers_nr; i++)
		wfm_buf_addf(out, "%s%s",
			     i == 0			 ? ""
			     : i + 1 == wfm_providers_nr ? " or "
							 : ", ",
			     wfm_providers[i].name);
}

int wfm_provider_none_error(void)
{
	struct wfm_buf keys = WFM_BUF_INIT, urls = WFM_BUF_INIT;
	int rc;

	for (size_t i = 0; i < wfm_providers_nr; i++) {
		const struct wfm_provider *p = &wfm_providers[i];

		if (p->key_env)
			wfm_buf_addf(&keys, "%s%s", keys.len ? " or " : "", p->key_env);
		if (p->url_env && p->key != WFM_KEY_REQUIRED)
			wfm_buf_addf(&urls, "%s%s", urls.len ? " or " : "", p->url_env);
	}
	rc = wfm_error_setc(WFM_EINVALID,
			    "no one to run the agents: set %s%s%s%s, or give --provider exec "
			    "--agent-cmd <cmd>",
			    keys.ptr, urls.len ? " (or " : "", urls.ptr,
			    urls.len ? " for a local server)" : "");
	wfm_buf_release(&keys);
	wfm_buf_release(&urls);
	return rc;
}

const char *wfm_provider_base_url(const struct wfm_provider *p)
{
	const char *url = p->url_env ? getenv(p->url_env) : NULL;

	return url && *url ? url : p->default_url;
}

/* Whether base_url is on the host of the provider's default URL. */
static int at_default_host(const struct wfm_provider *p, const char *base_url)
{
	const char *host = p->default_url ? strstr(p->default_url, "://") : NULL;
	char name[256];
	size_t n;

	if (!host || !base_url)
		return 0;
	host += 3;
	n = strcspn(host, "/:");
	if (n >= sizeof(name))
		return 0;
	memcpy(name, host, n);
	name[n] = '\0';
	return strstr(base_url, name) != NULL;
}

int wfm_provider_api_key(const char **out, const struct wfm_provider *p, const char *base_url)
{
	const char *k = p->key_env ? getenv(p->key_env) : NULL;

	*out = k && *k ? k : NULL;
	if (*out || p->key == WFM_KEY_NONE)
		return 0;
	if (p->key == WFM_KEY_REQUIRED)
		return wfm_error_setc(WFM_EINVALID, "the %s provider needs an API key in %s",
				      p->name, p->key_env);
	if (at_default_host(p, base_url))
		return wfm_error_setc(WFM_EINVALID,
				      "the %s provider needs an API key in %s (or %s pointing at a "
				      "local server)",
				      p->name, p->key_env, p->url_env);
	return 0;
}
