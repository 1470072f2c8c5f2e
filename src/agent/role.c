#include "base/common.h"
#include "agent/role.h"

/*
 * Read-only roles are the quarantine for agents that read untrusted
 * content (reviewers, triagers): they cannot change the tree or run
 * commands. Whatever a read-only agent changes anyway (an exec agent can)
 * is discarded.
 */
static const struct wfm_role roles[] = {
	{ "implementer", 1, 1, 1, 1, WFM_TIER_STRONG,
	  "makes the change: reads, writes, runs commands and the oracle" },
	{ "fixer", 1, 1, 1, 1, WFM_TIER_STRONG,
	  "repairs a branch that failed the oracle or conflicted" },
	{ "verifier", 0, 1, 0, 1, WFM_TIER_STRONG,
	  "checks a branch against a rubric: reads and runs the oracle, changes nothing" },
	{ "reviewer", 0, 1, 0, 0, WFM_TIER_STRONG, "reviews code: reads only, no commands" },
	{ "triager", 0, 1, 0, 0, WFM_TIER_FAST,
	  "sorts findings or untrusted reports: reads only, no commands" },
	{ "planner", 0, 1, 0, 0, WFM_TIER_STRONG,
	  "reads the repository and writes a plan or a harness as its output" },
	{ "classifier", 0, 0, 0, 0, WFM_TIER_FAST, "labels what its prompt holds; no worktree" },
	{ "judge", 0, 0, 0, 0, WFM_TIER_STRONG,
	  "compares candidates given in its prompt; no worktree" },
};

const struct wfm_role *wfm_role_find(const char *name)
{
	for (size_t i = 0; name && i < WFM_ARRAY_SIZE(roles); i++)
		if (!strcmp(roles[i].name, name))
			return &roles[i];
	return NULL;
}

const struct wfm_role *wfm_role_default(void)
{
	return &roles[0];
}

const struct wfm_role *wfm_role_list(size_t *nr)
{
	*nr = WFM_ARRAY_SIZE(roles);
	return roles;
}

const char *wfm_role_tier_name(enum wfm_role_tier tier)
{
	return tier == WFM_TIER_FAST ? "fast" : "strong";
}
