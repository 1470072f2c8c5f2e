#ifndef WFM_ENGINE_RUN_STATUS_H
#define WFM_ENGINE_RUN_STATUS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/buf.h"
#include "exec/where.h"
#include "base/json.h"

/*
 * What a run is doing, or did, folded from its events.jsonl (the event
 * types are in docs/journal.md, "Events"), for ps and watch. A reader
 * keeps its place in the file: each wfm_run_status_update() reads only
 * what was appended since the last one, so watch can poll it cheaply.
 * A line torn by a crash, or that is not an event, is skipped (events
 * are lossy); a line still being written waits for its newline.
 *
 * The agents, phases and merge queue are those of the latest session
 * (the run's last "start" event: a resume starts again from the top of
 * the script); tokens and USD are the whole run's, every session's.
 */

enum wfm_run_agent_state {
	WFM_RUN_AGENT_RUNNING,
	WFM_RUN_AGENT_DONE,
	WFM_RUN_AGENT_FAILED,
	WFM_RUN_AGENT_STOPPED, /* ended by a stop ("cancelled") */
	WFM_RUN_AGENT_REFUSED, /* refused by the budget before its first call */
};

/* "running", "done", "failed", "stopped", "refused" */
const char *wfm_run_agent_state_name(enum wfm_run_agent_state s);

struct wfm_run_agent {
	long id;		   /* the request's id in its session */
	char *label;		   /* "" when it has none */
	char *phase;		   /* NULL: outside any phase */
	char *role, *model, *unit; /* NULL when unknown */
	enum wfm_run_agent_state state;
	uint64_t tokens;
	double usd;
	unsigned turns, tool_calls;
	uint64_t started_ms, ended_ms; /* wall clock; ended 0 while running */
};

struct wfm_run_phase {
	char *title;
	uint64_t started_ms, ended_ms;	     /* ended: the next phase's start; 0 while current */
	unsigned long running, done, failed; /* its agents (stopped count as failed) */
	uint64_t tokens;
	double usd;
};

struct wfm_run_status {
	/* the run */
	char *state;	     /* "running", "paused", "stopping", or the end's status */
	int ended;	     /* an "end" event was read */
	unsigned sessions;   /* "start" events */
	uint64_t created_ms; /* the first event's time */
	uint64_t started_ms; /* this session's start */
	uint64_t last_ms;    /* the latest event's time */
	uint64_t ended_ms;   /* the end's time; 0 before */
	char *provider;	     /* NULL: not said */
	char *current_phase; /* the script's last phase(); NULL: none yet */
	/* spending, over every session: what ended agents spent, and running ones so far */
	uint64_t tokens, tokens_running;
	double usd, usd_running;
	/* the budget: max 0 when there is none */
	uint64_t max_tokens;
	double max_usd;
	int budget_exhausted;
	/* progress: units of the last chunk() (-1: none yet) and agents */
	long units;
	unsigned long agents_started, agents_running, agents_done, agents_failed;
	/* the session's phases in order, and its agents in the order they started */
	struct wfm_run_phase *phases;
	size_t phases_nr, phases_alloc;
	struct wfm_run_agent *agents;
	size_t agents_nr, agents_alloc;
	/* the merge queue */
	unsigned long mq_queued, mq_batches, mq_merged, mq_refused, mq_last_batch;
	char *mq_testing;	  /* what its running oracle tests, NULL: none */
	uint64_t mq_test_started; /* wall clock */
	/* the last log() line, NULL: none */
	char *last_log;
	/* agents and oracle runs made jobs (events with ranOn): by which executor */
	char executor[16];
	struct wfm_exec_tally jobs;
	/* from report.json (wfm_run_status_add_report): units decided, -1 without one */
	long units_decided;

	/* private: the reader */
	char *path;
	off_t offset;
	struct wfm_buf partial;
};

/* clang-format off */
#define WFM_RUN_STATUS_INIT { .state = NULL, .units = -1, .units_decided = -1, .partial = WFM_BUF_INIT }
/* clang-format on */

/* Starts reading events_path (a copy is kept) from its beginning. */
void wfm_run_status_init(struct wfm_run_status *s, const char *events_path);
void wfm_run_status_release(struct wfm_run_status *s);

/*
 * Folds in the events appended since the last call. *out (may be NULL)
 * gets each new event, in order, as a new array (cJSON_Delete()), for
 * watch's plain lines. Returns 1 when there were new events, 0 when
 * none (a missing file is none), negative when the file cannot be read.
 */
int wfm_run_status_update(struct wfm_run_status *s, cJSON **out);

/* Folds one event in (what update does for each line). */
void wfm_run_status_add(struct wfm_run_status *s, const cJSON *ev);

/*
 * Takes the figures of a finished run's report.json (totals: tokens,
 * costUsd, units, status) over those of the events, which may have lost
 * some. NULL: nothing.
 */
void wfm_run_status_add_report(struct wfm_run_status *s, const cJSON *report);

/*
 * The status of run r from the start: its events, and with finished set
 * (its process is gone) its report.json when there is one. s is
 * initialised here (release it, also on failure); errors are the
 * update's, and a report.json that cannot be parsed (WFM_ECONFIG).
 */
struct wfm_rundir;
int wfm_run_status_read_run(struct wfm_run_status *s, const struct wfm_rundir *r, int finished);

/* Adds r's report.json (wfm_run_status_add_report) when it has one; errors as above. */
int wfm_run_status_read_report(struct wfm_run_status *s, const struct wfm_rundir *r);

/* The phase named title, or NULL. */
struct wfm_run_phase *wfm_run_status_phase(struct wfm_run_status *s, const char *title);

/*
 * Appends the progress for people: of a run whose report was added, the
 * units it decided of its units ("6/6 units"); else the agents that
 * ended of those started ("7/12 agents"), and the units of the last
 * chunk() when known (", 6 units"); "-" when nothing started.
 */
void wfm_run_status_progress(struct wfm_buf *out, const struct wfm_run_status *s);

#endif
