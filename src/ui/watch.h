#ifndef WFM_UI_WATCH_H
#define WFM_UI_WATCH_H

struct wfm_rundir;

/*
 * git wfmigrate watch: follows run's events.jsonl (engine/run_status.h)
 * until the run's process is gone (docs/watch.md).
 *
 * With stdin and stdout on a terminal: a view redrawn in place on the
 * alternate screen — the run, its phases with their agent counts,
 * tokens and time, the agents of the selected phase, the merge queue and
 * the budget — with keys: up/down, j/k or tab select a phase, p pauses
 * or resumes the run, s stops it (after y to confirm), q leaves watch
 * (the run goes on). The terminal is restored on every way out,
 * signals included.
 *
 * Otherwise: one plain line per event people care about, on stdout, the
 * run's history first.
 *
 * Returns the exit code: 0 when the run is done or the user left watch,
 * 1 when it failed, was stopped or crashed; 128 + the signal when one
 * ended watch; 128 when its events cannot be read.
 */
int wfm_ui_watch(struct wfm_rundir *run);

#endif
