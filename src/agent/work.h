#ifndef WFM_AGENT_WORK_H
#define WFM_AGENT_WORK_H

/*
 * What every provider does around an agent in a worktree: which branch
 * its work goes to, and committing that work when it succeeded. Shared
 * by the exec provider and the LLM agent loop so both keep the same
 * contract (docs/agents.md, "Worktrees and branches").
 */
#include "agent/agent.h"
#include "agent/role.h"

struct wfm_slot;

struct wfm_agent_work {
	/* the request's role, else its type's, else the default */
	const struct wfm_role *role;
	/* LLM agents: the tools it may have (WFM_TOOL_*), before the request's
	 * own tools option: the role's, narrowed by the type's; without a role,
	 * the type's */
	unsigned tools;
	/* its Bash may run any command: the role's say, or without a role the
	 * type's tools; else Bash runs only the oracle, for a role that may */
	int bash;
	int writes;		 /* worktree and a role that may write: its work is committed */
	char *branch;		 /* writes: the short branch name; owned */
	char *refname;		 /* writes: refs/heads/<branch>; owned */
	struct wfm_strvec scope; /* the globs its work may change; empty: no scope */
};

/*
 * Checks a request's scope (an array of globs, git/scope.h, or NULL):
 * WFM_EINVALID with why, for something else than a non-empty array of
 * valid globs, or for an agent whose work is not committed (writes 0:
 * no worktree, or a read-only role), which a scope could not guard.
 */
int wfm_agent_work_check_scope(const cJSON *scope, int writes);

/*
 * Checks what every provider needs of req (a prompt, a known role, a
 * schema only objects can match, a base for a worktree agent, a valid
 * scope) and works out the branch. WFM_EINVALID with why; w is filled
 * either way (release it).
 */
int wfm_agent_work_init(struct wfm_agent_work *w, const struct wfm_agent_env *env,
			const struct wfm_agent_request *req);
void wfm_agent_work_release(struct wfm_agent_work *w);

/*
 * Commits everything in slot on top of its HEAD to w's branch (CAS), with
 * the message "<label>: <first line of the prompt>" and the run and role
 * trailers, and fills out->commit, out->changed and out->branch. With a
 * scope, the message has a Wfmigrate-Scope trailer per glob, an agent
 * that committed its work itself gets a commit on top all the same (so
 * its scope is on record), and out->scoped and out->out_of_scope say
 * which paths between the base and the commit the scope does not cover.
 */
int wfm_agent_work_commit(struct wfm_agent_result *out, const struct wfm_agent_work *w,
			  struct wfm_slot *slot, const struct wfm_agent_env *env,
			  const struct wfm_agent_request *req);

#endif
