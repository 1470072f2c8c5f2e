#ifndef WFM_AGENT_LOOP_H
#define WFM_AGENT_LOOP_H

/*
 * LLM agents (providers anthropic and openai): the tool loop. The agent
 * gets a pool slot checked out at its base, the role's system prompt and
 * tools (narrowed by the request's tools), and the harness's prompt; then
 * model call → tool calls → their results → ... until the model answers
 * (or, with a schema, submits a valid StructuredOutput). docs/agents.md,
 * "LLM agents", has the rules; in short:
 *
 *  - every call first reserves its worst case in the run's ledger; a
 *    refused reservation ends the agent with reason "budget: ...";
 *  - an invalid StructuredOutput goes back to the model with the
 *    validation error, at most 5 times; then the agent fails with it;
 *  - limits per agent: env->max_turns calls, env->timeout_sec of wall
 *    time, env->max_tokens tokens; reaching one ends the agent with it;
 *  - stop reasons: max_tokens drops the cut-off reply and asks again once
 *    with twice the room; pause_turn continues; refusal, a full context
 *    window and unknown reasons fail the agent;
 *  - a writing agent's worktree is committed to its branch when it succeeds;
 *  - without a pool (env->pool NULL) an agent that has no tools and no
 *    worktree (the planner, engine/planner.h) is model calls on its prompt
 *    alone: no slot is taken, out->commit stays "".
 *
 * Returns like wfm_agent_exec_run(): 0 with out->ok telling success or
 * failure; negative when the request is malformed or the environment
 * fails. Safe to call from several threads at once.
 */
#include "agent/agent.h"

/* invalid structured outputs sent back to the model before the agent fails */
#define WFM_AGENT_SCHEMA_TRIES 5
#define WFM_AGENT_MAX_TURNS_DEFAULT 60
#define WFM_AGENT_OUTPUT_TOKENS_DEFAULT 8192

int wfm_agent_loop_run(struct wfm_agent_result *out, const struct wfm_agent_env *env,
		       const struct wfm_agent_request *req);

#endif
