#include "base/common.h"
#include "agent/model.h"

struct alias {
	const char *name, *anthropic;
	enum wfm_role_tier tier; /* elsewhere: the default of this tier */
};

static const struct alias aliases[] = {
    {"opus", "claude-opus-4-1", WFM_TIER_STRONG},
    {"sonnet", "claude-sonnet-4-5", WFM_TIER_STRONG},
    {"haiku", "claude-haiku-4-5", WFM_TIER_FAST},
};

static const char *default_model(const char *provider, enum wfm_role_tier tier)
{
	if (provider && !strcmp(provider, "openai"))
		return tier == WFM_TIER_FAST ? "gpt-4.1-mini" : "gpt-4.1";
	return tier == WFM_TIER_FAST ? "claude-haiku-4-5" : "claude-sonnet-4-5";
}

/* The entry's model when it applies to role (role_only: only "<role>=" entries; else only bare
 * ones). */
static const char *match(const char *entry, const struct wfm_role *role, int role_only)
{
	const char *eq = strchr(entry, '=');

	if (!eq)
		return role_only ? NULL : entry;
	if (!role_only || strlen(role->name) != (size_t)(eq - entry) ||
	    strncmp(entry, role->name, (size_t)(eq - entry)))
		return NULL;
	return eq + 1;
}

static const char *find(const char *const *list, const struct wfm_role *role, int role_only)
{
	for (; list && *list; list++) {
		const char *m = match(*list, role, role_only);

		if (m && *m)
			return m;
	}
	return NULL;
}

static const char *expand(const char *model, const char *provider)
{
	for (size_t i = 0; i < WFM_ARRAY_SIZE(aliases); i++)
		if (!strcmp(model, aliases[i].name))
			return provider && !strcmp(provider, "anthropic")
				   ? aliases[i].anthropic
				   : default_model(provider, aliases[i].tier);
	return model;
}

const char *wfm_model_resolve(const char *const *cli, const char *harness, const char *type,
			      const char *const *config, const struct wfm_role *role,
			      const char *provider)
{
	const char *m = find(cli, role, 1);

	if (!m)
		m = find(cli, role, 0);
	if (!m && harness && *harness)
		m = harness;
	if (!m && type && *type)
		m = type;
	if (!m)
		m = find(config, role, 1);
	if (!m)
		m = find(config, role, 0);
	if (!m)
		return default_model(provider, role->tier);
	return expand(m, provider);
}

int wfm_model_check(const char *entry)
{
	const char *eq = strchr(entry, '=');
	char role[64];

	if (!eq)
		return *entry ? 0 : wfm_error_setc(WFM_EINVALID, "an empty model name");
	if (!eq[1])
		return wfm_error_setc(WFM_EINVALID, "'%s': no model after '='", entry);
	if ((size_t)(eq - entry) < sizeof(role)) {
		memcpy(role, entry, (size_t)(eq - entry));
		role[eq - entry] = '\0';
		if (wfm_role_find(role))
			return 0;
	}
	return wfm_error_setc(WFM_EINVALID,
			      "'%s': unknown role (implementer, fixer, verifier, reviewer, "
			      "triager, planner, classifier, judge)",
			      entry);
}
