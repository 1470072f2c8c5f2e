#ifndef WFM_AGENT_TOOLS_H
#define WFM_AGENT_TOOLS_H

/*
 * The tools an LLM agent works with, with the names and argument shapes
 * coding models know:
 *
 *   Read  {file_path, offset?, limit?}    numbered lines ("     1\t..."), 2000 by default
 *   Write {file_path, content}            creates or replaces a file
 *   Edit  {file_path, old_string, new_string, replace_all?}
 *                                         fails when old_string is absent, or
 *                                         ambiguous without replace_all
 *   Glob  {pattern, path?}                files under path (default the top; ignored
 *                                         ones too, .git never), "**" allowed
 *   Grep  {pattern, path?, glob?, output_mode?, -i?, -n?, -C?}   PCRE2;
 *                                         output_mode content | files_with_matches
 *                                         (default) | count
 *   Bash  {command, timeout?}             sh -c in the worktree, own process
 *                                         group, timeout, output cap, no provider
 *                                         keys in its environment
 *
 * (StructuredOutput is the agent loop's: its input schema is the agent's.)
 *
 * Every path resolves inside the worktree: relative to it, or absolute
 * under it. ".." escapes, absolute paths elsewhere and symlinks that lead
 * out are refused; nothing under .git is written, and .git (a file in a
 * worktree) is not read either. Errors are results for the model, not
 * failures of the agent: wfm_tool_run returns them as text with is_error.
 */
#include <signal.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/json.h"
#include "llm/llm.h"

enum wfm_tool_id {
	WFM_TOOL_READ = 1 << 0,
	WFM_TOOL_WRITE = 1 << 1,
	WFM_TOOL_EDIT = 1 << 2,
	WFM_TOOL_GLOB = 1 << 3,
	WFM_TOOL_GREP = 1 << 4,
	WFM_TOOL_BASH = 1 << 5,
};
#define WFM_TOOLS_READ_ONLY (WFM_TOOL_READ | WFM_TOOL_GLOB | WFM_TOOL_GREP)
#define WFM_TOOLS_ALL (WFM_TOOLS_READ_ONLY | WFM_TOOL_WRITE | WFM_TOOL_EDIT | WFM_TOOL_BASH)

enum wfm_sandbox {
	WFM_SANDBOX_NONE,
	WFM_SANDBOX_BWRAP, /* bubblewrap: only the worktree writable, no network */
};

struct wfm_tool_ctx {
	const char *root; /* the worktree, an absolute path */
	unsigned allowed; /* WFM_TOOL_* the agent has */
	/* Bash: when set, the only command it may run (a verifier's oracle);
	 * any other is refused */
	const char *bash_only;
	unsigned long bash_timeout_ms; /* default and upper bound of timeout; default 120000 */
	size_t output_cap;	       /* bytes of a tool's answer; default 30000 */
	enum wfm_sandbox sandbox;
	const volatile sig_atomic_t *cancel;
};

/* The definitions of the tools in `allowed`, in a fixed order; *nr gets
 * their number. Borrowed: static. */
const struct wfm_llm_tool *wfm_tool_defs(unsigned allowed, size_t *nr);

/* "Read" → WFM_TOOL_READ; 0 for any other name. */
unsigned wfm_tool_find(const char *name);

/*
 * Runs tool name with input (an object). 0 with the answer in out and
 * *is_error set when the tool refused or failed (an unknown or
 * disallowed tool, bad arguments, a path outside the worktree, an Edit
 * that does not apply, a command that timed out): that is the model's to
 * read. Negative only when the machine fails (out of memory is fatal
 * anyway; a fork that cannot be made).
 */
int wfm_tool_run(struct wfm_buf *out, int *is_error, const struct wfm_tool_ctx *ctx,
		 const char *name, const cJSON *input);

/*
 * The path inside root that path names, for reading or (for_write) for
 * writing: a new string, or WFM_EINVALID with what the model did wrong
 * ("'../x' is outside the worktree", "'.git/config' is in .git: not
 * writable"). Symlinks are followed and must stay inside root; a path
 * to be written may name a file that does not exist yet, in a directory
 * that does not exist yet.
 */
int wfm_tool_path(char **out, const char *root, const char *path, int for_write);
/*
 * (Added with the implementation.) The string is absolute, under
 * realpath(root), with no link left in it. A path to be read that does
 * not exist is WFM_ENOTFOUND ("'x' does not exist"), not WFM_EINVALID;
 * a root that cannot be resolved is WFM_ERROR. wfm_tool_run appends its
 * answer to out (a failure replaces only what the call itself wrote).
 * Confinement and each tool's exact behaviour: docs/tools.md.
 */

/* Whether bubblewrap can run here (found on PATH and able to make its namespaces). */
int wfm_sandbox_available(void);

#endif
