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

/* Where the words of an agent command are taken from (wfm_agent_exec_resolve_cmd). */
struct wfm_exec_cmd_where {
	const char *cwd; /* absolute: where the user gave the command */
	const char *top; /* absolute, symbolic links resolved: the top of the working tree; NULL:
			    none */
	/*
	 * Whether path (relative to top, '/'-separated) is a file of the base
	 * commit, or a directory holding some: 1 yes, 0 no, negative an error
	 * (with its message). NULL: nothing is.
	 */
	int (*tracked)(void *data, const char *path);
	void *data;
};
/* clang-format off */
#define WFM_EXEC_CMD_WHERE_INIT { .cwd = NULL, .top = NULL, .tracked = NULL, .data = NULL }
/* clang-format on */

/*
 * The agent command cmd as it must be written to mean, at the top of an
 * agent's worktree, what it meant in where->cwd. Of the first simple
 * command (up to the first unquoted ; & | ( ) < > or newline), each word
 * that is a relative path holding a '/' (./x, ../tools/x.py, bin/agent),
 * is not an option (-...), needs no expansion ($, `, *, ?, [, ~) and
 * names something that exists from where->cwd:
 *
 *   - the program (the first word after NAME=value assignments) becomes
 *     its absolute path;
 *   - an argument naming a path of the working tree that the base commit
 *     tracks (a file, or a directory holding some) becomes that path from
 *     the top ("./src/x.c"), the agent's own copy of it, so that an agent
 *     never works on the user's files; the top itself becomes ".";
 *   - any other argument becomes its absolute path.
 *
 * Other words, and the rest of the command, stay as they are; a path is
 * written in single quotes when it needs them. A program with a '/' that
 * does not exist is WFM_EINVALID. *out is a new string (free()), NULL on
 * error.
 */
int wfm_agent_exec_resolve_cmd(char **out, const char *cmd, const struct wfm_exec_cmd_where *where);

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
