#ifndef WFM_AGENT_EXEC_H
#define WFM_AGENT_EXEC_H

/*
 * The exec provider: each agent is a command-line program (`claude -p`,
 * a script, ...) run as `sh -c <agent_cmd>` in a pool slot checked out
 * at the request's base, with the prompt on stdin and the request in the
 * environment (WFM_AGENT_JSON). Its stdout is its output; what it leaves
 * in the worktree is its work. docs/agents.md has the contract.
 */
#include "agent/agent.h"

/* stdout beyond this fails the agent ("output larger than N bytes") */
#define WFM_AGENT_EXEC_OUTPUT_MAX (8 * 1024 * 1024)
/* bytes of stderr kept for the transcript */
#define WFM_AGENT_EXEC_STDERR_TAIL (64 * 1024)
/* WFM_AGENT_JSON is left out of the environment past this (a big unit);
 * WFM_AGENT_JSON_FILE always holds the request */
#define WFM_AGENT_EXEC_ENV_MAX (100 * 1024)

/*
 * Runs one agent and waits for it. Returns 0 with out->ok telling
 * success or failure (a failed agent is data, not an error). Negative
 * when the request is malformed (WFM_EINVALID: no prompt or command, an
 * unknown role, a schema wfm_schema_check() refuses or that allows no
 * object, a worktree agent without base, a branch outside wfmigrate/),
 * when base names no commit (WFM_ENOTFOUND), or when the environment
 * fails (the pool, a fork, committing); then out holds no result.
 * out is initialised either way; release it with
 * wfm_agent_result_release(). Safe to call from several threads at once.
 */
int wfm_agent_exec_run(struct wfm_agent_result *out, const struct wfm_agent_env *env,
		       const struct wfm_agent_request *req);

#endif
