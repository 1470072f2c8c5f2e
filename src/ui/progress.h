#ifndef WFM_UI_PROGRESS_H
#define WFM_UI_PROGRESS_H

#include <stdio.h>

struct wfm_engine_status;

/*
 * The live output of a run (docs/engine.md, "Progress"): the engine's
 * progress lines as they come and, on a terminal, a status line under
 * them, redrawn in place, that says what runs now — the phase, the
 * agents and oracle runs, the merge queue's oracle run and for how long.
 * Without a terminal (a file, a pipe, TERM=dumb) only the lines, one
 * per event, nothing redrawn.
 */
struct wfm_ui_progress {
	FILE *out;
	int tty;
	char shown[512]; /* the status line on the screen; "" none */
};

void wfm_ui_progress_init(struct wfm_ui_progress *p, FILE *out);
/* wfm_engine_opts.progress and .status, with the struct as their data */
void wfm_ui_progress_line(void *data, const char *line);
void wfm_ui_progress_status(void *data, const struct wfm_engine_status *st);
/* Takes the status line off the screen (before the outcome is printed). */
void wfm_ui_progress_end(struct wfm_ui_progress *p);

#endif
