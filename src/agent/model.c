#include "base/common.h"
#include "agent/model.h"

/* The reference system's aliases, and the tier whose default they are where a provider has none. */
static const struct {
	const char *name;
	enum wfm_role_tier tier;
} aliases[] = {
	{ "opus", WFM_TIER_STRONG },
	{ "sonnet", WFM_TIER_STRONG },
	{ "haiku", WFM_TIER_FAST },
};

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

static const char *expand(const char *model, const struct wfm_provider *provider)
{
	const struct wfm_provider_alias *a;

	for (a = provider->aliases; a && a->alias; a++)
		if (!strcmp(model, a->alias))
			return a->model;
	for (size_t i = 0; i < WFM_ARRAY_SIZE(aliases); i++)
		if (!strcmp(model, aliases[i].name))
			return provider->models[aliases[i].tier];
	return model;
}

const char *wfm_model_resolve(const char *const *cli, const char *harness, const char *type,
			      const char *const *config, const struct wfm_role *role,
			      const struct wfm_provider *provider)
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
	if (!provider || !provider->has_api)
		provider = wfm_provider_find("anthropic");
	if (!m)
		return provider->models[role->tier];
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
