#ifndef WFM_UI_CARD_H
#define WFM_UI_CARD_H

/*
 * The approval card: what a run will do, shown before anything runs —
 * the workflow and its phases, the goal and arguments, the base and the
 * oracle, the units chunk() will make, the files with uncommitted changes
 * the run will not see, the agents, models and budget, the settings that
 * are not their default, and the lines of code out of reach — and the
 * question whether to run it. `run` and `plan` show it; `resume` shows
 * the card of a continuation.
 *
 * A card is loaded from a script and the run's arguments
 * (wfm_ui_card_load: the arguments checked against the script's meta,
 * the units counted), printed on stderr (wfm_ui_card_print), and
 * approved (wfm_ui_card_approve). On a terminal the user may also view
 * the script in a pager or edit a copy of it: an edited script is
 * checked and loaded in its place, and is what runs.
 */
#include "base/json.h"
#include "base/strvec.h"
#include "engine/estimate.h"
#include "git/pathspec.h"

struct wfm_repo;
struct wfm_run_config;

struct wfm_ui_card {
	/* given to wfm_ui_card_init, borrowed */
	struct wfm_repo *repo;
	const struct wfm_run_config *cfg;
	const char *goal;     /* the goal words; NULL or "": none */
	const char *base_opt; /* the base as the user typed it ("HEAD") */
	struct wfm_pathspec_base here;

	/* what wfm_ui_card_load found; owned */
	char *script;		   /* the script's path: as found, or the edited copy */
	char *copy;		   /* the copy the user edits, or NULL; removed on release */
	cJSON *meta;		   /* its meta */
	cJSON *given;		   /* the arguments as given (pathspecs as typed) */
	cJSON *args;		   /* the arguments to run with (pathspecs from the top) */
	struct wfm_pathspec paths; /* as typed, from the pathspec arguments */
	long units;		   /* units chunk() will make; -1: not known */
	struct wfm_strvec chunked; /* the arguments given to chunk() */
	struct wfm_strvec files;   /* the units' files, sorted */
	struct wfm_strvec dirty;   /* files of the run with changes not in HEAD */
	uint64_t *unit_bytes;	   /* the size of each unit (units of them) */
	struct wfm_estimate estimate;
};

void wfm_ui_card_init(struct wfm_ui_card *c, struct wfm_repo *repo,
		      const struct wfm_run_config *cfg, const char *goal, const char *base_opt);
void wfm_ui_card_release(struct wfm_ui_card *c);

/*
 * Loads the card of script (its path; copied) with meta (as
 * wfm_harness_check gave it; copied) and args (the run's arguments, their
 * pathspecs as typed; copied): the arguments are checked against
 * meta.args, their pathspecs resolved and checked at the base, the units
 * counted and the files with uncommitted changes found (a failure of
 * that last is a warning on stderr). Returns 0, or a library error for
 * wfm_ui_error_lib(); the card is then as it was.
 */
int wfm_ui_card_load(struct wfm_ui_card *c, const char *script, const cJSON *meta,
		     const cJSON *args);

/* Prints the card on stderr. */
void wfm_ui_card_print(const struct wfm_ui_card *c);

/*
 * Asks whether to run (yes: approved without asking): on a terminal,
 * run, view the script (the pager git would use: GIT_PAGER, core.pager,
 * PAGER, less), edit it (a copy, in the editor git would use:
 * GIT_EDITOR, core.editor, VISUAL, EDITOR, vi) or abort. An edited copy
 * is checked (wfm_harness_check) and loaded with the arguments as given;
 * its errors are shown and the question asked again, its card printed
 * when it passes; it is then c->script. Returns 1 to run, 0 when the
 * user said no (after "not run" on stderr), or an exit code (negated)
 * after an error: -WFM_EXIT_USAGE when there is no terminal to ask on.
 */
int wfm_ui_card_approve(struct wfm_ui_card *c, int yes);

/*
 * The question alone, for a run whose script is frozen (the continuation
 * of a pilot): run, view script (a path), abort. Returns as
 * wfm_ui_card_approve.
 */
int wfm_ui_card_confirm(struct wfm_repo *repo, const char *script, const char *question, int yes);

#endif
