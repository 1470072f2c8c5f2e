#ifndef WFM_UI_NAMED_RUN_H
#define WFM_UI_NAMED_RUN_H

/*
 * The run a command about a run's results (log, report, apply, export) is
 * given: its id or a unique prefix of one (engine/rundir.h), or, with
 * name NULL, the newest run of the repository. Returns 0 with *out set
 * (wfm_rundir_free(); not locked); else the exit code, after telling the
 * user why (no run at all, no such run, an ambiguous prefix).
 */
struct wfm_rundir;
int wfm_ui_named_run(struct wfm_rundir **out, const char *name, const char *commondir);

#endif
