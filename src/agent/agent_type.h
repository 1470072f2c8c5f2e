#ifndef WFM_AGENT_AGENT_TYPE_H
#define WFM_AGENT_AGENT_TYPE_H

/*
 * Agent types: Claude Code's kinds of agent, named by agent({agentType})
 * in a script. Built in: general-purpose, Explore, Plan and
 * workflow-subagent. Custom ones are Claude Code's subagent files, found
 * by the name in their front matter (the file's own name does not
 * matter), in this order:
 *
 *   1. <top>/.claude/agents/<file>.md   (the repository's)
 *   2. <home>/.claude/agents/<file>.md  (the user's)
 *
 * each directory's files in the order of their names. A file is YAML
 * front matter between two '---' lines, then the system prompt:
 *
 *   ---
 *   name: code-reviewer                 required
 *   description: Reviews code ...       required
 *   tools: Read, Grep, Glob             optional: a comma-separated string or a
 *                                       list; none: every tool
 *   disallowedTools: Bash               optional, the same forms: taken out
 *   model: haiku                        optional: haiku, sonnet, opus, inherit
 *                                       (no choice) or a model id
 *   ---
 *   You are a senior code reviewer ...
 *
 * Other keys are ignored, and so are the tools this project does not
 * have (MultiEdit counts as Edit). What a type means for an agent (its
 * role, tools, model and prompt) is in docs/agents.md, "Agent types".
 */
#include "base/buf.h"
#include "base/json.h"
#include "base/strvec.h"
#include "agent/role.h"

struct wfm_agent_type {
	char *name, *description;
	char *prompt; /* the system prompt (a file's body); NULL: none, the role's */
	char *model;  /* haiku, sonnet, opus or a model id; NULL: no choice (none, inherit) */
	char *path;   /* the file it was read from; NULL: built in */
	/* the tools by Claude Code's names: the file's list without the
	 * disallowed ones; all_tools: no list (every tool but those) */
	int all_tools;
	struct wfm_strvec tools, disallowed;
	unsigned mask; /* the tools of agent/tools.h it gets: WFM_TOOL_* */
	/* the role whose capabilities it has when the call names none:
	 * implementer when it gets Write or Edit, else reviewer (triager, the
	 * fast tier, for Explore). Borrowed: role.h's table */
	const struct wfm_role *role;
};

struct wfm_agent_type_where {
	const char *top;  /* the working tree's top; NULL: no repository's agents */
	const char *home; /* the user's home; NULL: no user's agents */
};
#define WFM_AGENT_TYPE_WHERE_INIT                                                                  \
	{                                                                                          \
		NULL, NULL                                                                         \
	}

/*
 * Sets *out to the type called name (new; wfm_agent_type_free()): a
 * built-in, else the first file that defines it. WFM_ENOTFOUND when
 * there is none: "unknown agentType 'x'; known: general-purpose, ...,
 * code-reviewer (.claude/agents/code-reviewer.md)". WFM_EINVALID for a
 * file in the way that is broken, naming it and the line
 * (".claude/agents/x.md:3: bad YAML: ..."): one that defines name, or
 * one that cannot be told what it defines (no name can be read from it)
 * met before the file that defines name.
 */
int wfm_agent_type_find(struct wfm_agent_type **out, const char *name,
			const struct wfm_agent_type_where *where);

/*
 * Appends the names of the known types to out, separated by ", ": the
 * built-ins, then every custom one with its file (in the order they are
 * looked up; a broken file is left out).
 */
void wfm_agent_type_list(struct wfm_buf *out, const struct wfm_agent_type_where *where);

/*
 * Reads the agent file text[0..len) (CRLF or LF lines) into *out (new;
 * wfm_agent_type_free()). path is kept in out->path and names the file in
 * messages. WFM_EINVALID with "<path>:<line>: <why>" when it is broken.
 */
int wfm_agent_type_parse(struct wfm_agent_type **out, const char *text, size_t len,
			 const char *path);

/*
 * The type as a new JSON object (cJSON_Delete()), for exec agents and
 * the journal: {name, description, tools (the list, or null: every
 * tool), disallowedTools, model, prompt, path}.
 */
cJSON *wfm_agent_type_to_json(const struct wfm_agent_type *t);

void wfm_agent_type_free(struct wfm_agent_type *t);

#endif
