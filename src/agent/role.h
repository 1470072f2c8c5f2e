#ifndef WFM_AGENT_ROLE_H
#define WFM_AGENT_ROLE_H

/*
 * Roles: what kind of agent a request asks for (agent({role}) in a
 * script). A role fixes whether the agent's changes are kept, whether it
 * works in a worktree at all, which tools it gets and its model tier.
 * Providers read the table; the exec provider uses may_write (see
 * docs/agents.md, "Roles").
 */
#include <stddef.h>

enum wfm_role_tier {
	WFM_TIER_STRONG, /* the run's main model */
	WFM_TIER_FAST,	 /* a cheaper one, for mechanical answers */
	WFM_TIER_NR,
};

struct wfm_role {
	const char *name;
	/* its changes in the worktree are kept: committed to its branch when it
	 * runs with isolation 'worktree' */
	unsigned may_write : 1;
	/* it reads the code, in a worktree of its own; without it the prompt is
	 * all it gets (the exec provider runs every agent in a worktree anyway) */
	unsigned worktree : 1;
	/* it may run commands (the Bash tool) */
	unsigned bash : 1;
	/* it may run the oracle */
	unsigned oracle : 1;
	enum wfm_role_tier tier;
	/* one line for docs and -h */
	const char *summary;
	/* LLM agents: the tools it gets (WFM_TOOL_* of agent/tools.h; a
	 * harness's tools option narrows them, never widens) and what it is
	 * told first (the system prompt, before the harness's prompt) */
	unsigned tools;
	const char *prompt;
	/* the part of prompt that says how the agent works (its worktree,
	 * what it may change): what follows an agent type's own prompt
	 * (agent/agent_type.h); "" for none */
	const char *rules;
};

/* The role named name; NULL when there is none. Borrowed: the table is static. */
const struct wfm_role *wfm_role_find(const char *name);

/* The role of an agent() call without one: an implementer, as in the reference system. */
const struct wfm_role *wfm_role_default(void);

/* The table, in a fixed order; *nr gets its length. */
const struct wfm_role *wfm_role_list(size_t *nr);

/* "tier" name: "strong", "fast" */
const char *wfm_role_tier_name(enum wfm_role_tier tier);

#endif
