#ifndef WFM_ENGINE_WORKFLOW_H
#define WFM_ENGINE_WORKFLOW_H

/*
 * Saved workflows, found by name for `git wfmigrate run --workflow <name>`
 * and for workflow('<name>') in a script, and the rubrics they judge by,
 * found by name for rubric('<name>'). A name with a '/' or ending in
 * ".js" is a path. Any other name is looked up in, in order,
 *
 *   1. <top>/.claude/workflows/
 *   2. <top>/.wfmigrate/workflows/
 *   3. <home>/.claude/workflows/
 *   4. the built-in workflows (workflows/ in the data directory)
 *
 * first as a file <name>.js in each of them, then (when no file has that
 * name) as a script whose meta.name is <name>, in the same order.
 */

struct wfm_workflow_where {
	const char *top;  /* the working tree's top; NULL: no repository folders */
	const char *home; /* the user's home; NULL: not searched */
	const char *cwd;  /* relative paths start here; NULL: the process's */
	const char *node; /* reads meta.name; NULL: node from PATH */
};
/* clang-format off */
#define WFM_WORKFLOW_WHERE_INIT { NULL, NULL, NULL, NULL }
/* clang-format on */

/*
 * 1 when name is taken as a path, not looked up: it holds a '/' or ends
 * in ".js" (and is more than that); 0 for a name.
 */
int wfm_workflow_is_path(const char *name);

/*
 * Sets *out to the absolute path of the workflow called name (a new
 * string; free with free()). WFM_ENOTFOUND when there is none, the
 * message listing every workflow found in those places.
 */
int wfm_workflow_find(char **out, const char *name, const struct wfm_workflow_where *where);

/*
 * Appends the paths of the saved workflows' files, places 1 to 3 in that
 * order (not the built-ins): every <name>.js, whether it passes the check
 * or not. struct wfm_strvec is base/strvec.h's.
 */
struct wfm_strvec;
void wfm_workflow_saved(struct wfm_strvec *out, const struct wfm_workflow_where *where);

/*
 * Sets *out to the path of the rubric called name (a new string;
 * free with free()): the first <name>.md in the places above, with
 * rubrics/ in place of workflows/ (<top>/.claude/rubrics/ ... the
 * built-in rubrics/ of the data directory). A name is a file name without
 * ".md", of letters, digits, '.', '_' and '-', not starting with '.':
 * WFM_EINVALID for any other (a path, "x.md");
 * WFM_ENOTFOUND when there is none, the message listing every rubric
 * found in those places.
 */
int wfm_rubric_find(char **out, const char *name, const struct wfm_workflow_where *where);

#endif
