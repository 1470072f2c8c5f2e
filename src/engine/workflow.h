#ifndef WFM_ENGINE_WORKFLOW_H
#define WFM_ENGINE_WORKFLOW_H

/*
 * Saved workflows, found by name for `git wfmigrate run --workflow <name>`
 * and for workflow('<name>') in a script. A name with a '/' or ending in
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
#define WFM_WORKFLOW_WHERE_INIT { NULL, NULL, NULL, NULL }

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

#endif
