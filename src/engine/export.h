#ifndef WFM_ENGINE_EXPORT_H
#define WFM_ENGINE_EXPORT_H

/*
 * `git wfmigrate export`: a workflow as a folder to share (docs/sharing.md):
 *
 *   workflow.js        the script
 *   SKILL.md           YAML front matter (name, description), then when to
 *                      use it, its phases, its arguments and how to run it
 *                      with git wfmigrate and with Claude Code
 *   rubrics/<name>.md  every rubric('<name>') the script asks for, and a
 *                      run's args.rubric as rubrics/args-rubric.md
 */
#include "base/json.h"
#include "base/strvec.h"

struct wfm_workflow_where;

struct wfm_export_source {
	const char *script;    /* the workflow's file (a run's frozen workflow.js) */
	const cJSON *meta;     /* its meta (meta.json of a run, or the check's) */
	const char *run;       /* the run's id; NULL when exporting a workflow */
	const cJSON *args;     /* the run's args.json; NULL for none */
	const cJSON *run_json; /* the run's run.json (its oracle); NULL for none */
	const char *journal;   /* the run's journal: the rubric texts it used; NULL */
	const struct wfm_workflow_where *where; /* where other rubrics are found */
};

/*
 * Writes the folder dir (created with its parents when missing). An
 * existing dir that is not empty is WFM_EEXISTS unless force, which
 * writes over the files of the same names and leaves the others. A
 * rubric the script names that is found nowhere is WFM_ENOTFOUND (the
 * export would not run elsewhere). The paths written are appended to
 * written (relative to dir).
 */
int wfm_export_write(struct wfm_strvec *written, const char *dir,
		     const struct wfm_export_source *src, int force);

/*
 * The names of the rubric('<name>') calls in script (a string literal
 * argument in '', "" or ``; others cannot be known before the script
 * runs), each once, in order of appearance, appended to out.
 */
void wfm_export_rubric_names(struct wfm_strvec *out, const char *script);

#endif
