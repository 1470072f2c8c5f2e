#ifndef WFM_ENGINE_RUNDIR_H
#define WFM_ENGINE_RUNDIR_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/json.h"

/*
 * The directory of a run, <git-common-dir>/wfmigrate/runs/<run-id>/
 * (docs/journal.md has the layout):
 *
 *   workflow.js args.json meta.json   what runs, frozen at creation
 *   journal.jsonl                     results (engine/journal.h)
 *   events.jsonl                      progress events, lossy
 *   agents/                           transcripts
 *   control                           what the operator asked: run, pause, stop
 *   output.log                        stdout and stderr of a run in the background
 *   lock                              "<pid> <start time>" of the process running it
 *   report.md report.json             written when the run ends
 *
 * Run ids look like "20261122-010203-a1b2c3": the UTC creation time to
 * the second and 24 random bits. They sort by creation time and are
 * valid in ref names (refs/heads/wfmigrate/<run-id>/...).
 */
struct wfm_rundir {
	char *id;
	char *path; /* <commondir>/wfmigrate/runs/<id> */
	char *commondir;
	int locked; /* this handle holds the lock */
	/* private */
	char *lock_path;
	char *control_path;
	pthread_mutex_t events_mu;
	int events_fd; /* opened on the first event */
};

/*
 * A new run: creates the directory and agents/, takes the lock, and
 * writes workflow.js (a copy of script_path), args.json (args as given,
 * key order kept: the script sees the same object on resume; NULL is
 * null) and meta.json (a copy of meta, an object or NULL, with "id" and
 * "created" — ms since the epoch — set), each through a temporary file
 * and fsync()ed. Nothing is left behind on failure.
 */
int wfm_rundir_create(struct wfm_rundir **out, const char *commondir, const char *script_path,
		      const cJSON *args, const cJSON *meta);

/*
 * An existing run, named by its id or a unique prefix of it.
 * WFM_ENOTFOUND "no run '<id>'" (or one that holds characters no id
 * has); WFM_EAMBIGUOUS when the prefix names several runs (they are
 * listed). id NULL names the one run whose process is alive:
 * WFM_ENOTFOUND "no run is running", WFM_EAMBIGUOUS when several are.
 * With take_lock, WFM_ELOCKED "run <id> is running (pid N)" when a live
 * process holds it (this one included); a stale lock (its holder died)
 * is taken over.
 */
int wfm_rundir_open(struct wfm_rundir **out, const char *commondir, const char *id, int take_lock);

/*
 * For a process forked to carry on the run (run --background): makes the
 * lock name the calling process, by renaming a new lock file over it, so
 * that the run is never without a live holder. r must hold the lock (in
 * the process it was forked from).
 */
int wfm_rundir_lock_handover(struct wfm_rundir *r);

/* Releases the lock if this handle holds it, and frees r. NULL is fine. */
void wfm_rundir_free(struct wfm_rundir *r);

/* <run dir>/<name>; returns a new string (free()). */
char *wfm_rundir_file(const struct wfm_rundir *r, const char *name);

/*
 * Appends event (an object) as one line of events.jsonl, with "ts" (ms
 * since the epoch) first unless it has one. Not fsync()ed: events are
 * derived and may be lost in a crash. Safe from several threads.
 */
int wfm_rundir_event(struct wfm_rundir *r, const cJSON *event);

/* ---- control: what the operator asked ---- */

enum wfm_control {
	WFM_CONTROL_RUN,
	WFM_CONTROL_PAUSE,
	WFM_CONTROL_STOP,
};

/* "run", "pause", "stop" */
const char *wfm_control_name(enum wfm_control c);

/*
 * Writes the control file of run id (an id or unique prefix, as
 * wfm_rundir_open takes) atomically: a temporary file renamed over it.
 * WFM_ENOTFOUND for an unknown run. Does not check that the run is
 * running: the engine reads it when (re)started too, so resume sets RUN
 * before it starts a stopped run again.
 */
int wfm_control_set(const char *commondir, const char *id, enum wfm_control c);

/*
 * The control of r: cheap enough to poll every 200 ms (one small read).
 * A missing, empty or unreadable file, or one holding anything else, is RUN.
 */
enum wfm_control wfm_control_get(struct wfm_rundir *r);

/* ---- listing, for ps ---- */

enum wfm_run_state {
	WFM_RUN_STATE_RUNNING,	/* its process is alive */
	WFM_RUN_STATE_PAUSED,	/* alive, control says pause */
	WFM_RUN_STATE_STOPPING, /* alive, control says stop */
	WFM_RUN_STATE_STOPPED,	/* not alive: report.json says "stopped", or control stop */
	WFM_RUN_STATE_FAILED,	/* not alive: report.json says "failed" */
	WFM_RUN_STATE_DONE,	/* not alive: report.json says "done" (or another status) */
	WFM_RUN_STATE_CRASHED,	/* not alive, no report from its last execution: resume it */
};

/* "running", "paused", ...; "done" as report.json's status and `run` say */
const char *wfm_run_state_name(enum wfm_run_state s);

/* 1 for the states of a run whose process is alive: running, paused, stopping. */
int wfm_run_state_live(enum wfm_run_state s);

struct wfm_rundir_info {
	char *id;
	enum wfm_run_state state;
	pid_t pid;	     /* the live holder, 0 when not alive */
	uint64_t created_ms; /* from meta.json; 0 when unknown */
	char *workflow;	     /* meta.json's "name" (or "workflow"); NULL when unknown */
	char *goal;	     /* args.json's "goal"; NULL when it has none */
};

/*
 * Every run of the repository, oldest first (by creation time, then id).
 * *out is a new array of *nr entries (none and NULL when there is no run
 * directory yet); free with wfm_rundir_info_free().
 */
int wfm_rundir_list(struct wfm_rundir_info **out, size_t *nr, const char *commondir);
void wfm_rundir_info_free(struct wfm_rundir_info *info, size_t nr);

/* The state of the run in r->path, as listed. */
enum wfm_run_state wfm_rundir_state(struct wfm_rundir *r, pid_t *pid);

#endif
