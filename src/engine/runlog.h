#ifndef WFM_ENGINE_RUNLOG_H
#define WFM_ENGINE_RUNLOG_H

/*
 * What `git wfmigrate log` shows (docs/sharing.md): a run's events
 * (events.jsonl, docs/engine.md *Progress*) and its agents' transcripts
 * (agents/<key>.jsonl, agent/transcript.h) as lines for people. Nothing here
 * prints: the lines are appended to a buffer.
 */
#include <stdint.h>

#include "base/buf.h"
#include "base/json.h"

struct wfm_rundir;

/* One event as a line for people, without its time or a newline ("agent impl-a started"). */
void wfm_runlog_event(struct wfm_buf *out, const cJSON *event);

struct wfm_run_agent {
	char *path;	     /* its transcript */
	char *label;	     /* as the report and the progress lines name it; NULL: none */
	char *role;	     /* NULL when the transcript does not say */
	char *model;	     /* the model, or "exec" for a command; NULL when unknown */
	uint64_t started_ms; /* its first record's time (the file's for old transcripts) */
	int ended;	     /* it has a result record */
	int ok;		     /* ... which says ok */
	double tokens, usd;  /* from the result record */
};

/*
 * The agents of run that have a transcript, in the order they started
 * (then by file name): agent n of `log <run> <n>` is (*out)[n - 1]. *out
 * is a new array (NULL and 0 when there is none); free with
 * wfm_run_agents_free().
 */
int wfm_run_agents(struct wfm_run_agent **out, size_t *nr, struct wfm_rundir *run);
void wfm_run_agents_free(struct wfm_run_agent *agents, size_t nr);

/*
 * The agent name names: its label exactly, else its number (1-based, in
 * the order above), else the one agent whose label contains name.
 * WFM_ENOTFOUND when none does, WFM_EAMBIGUOUS when several do (the
 * message lists them with their numbers).
 */
int wfm_run_agent_find(size_t *index, const struct wfm_run_agent *agents, size_t nr,
		       const char *name);

/*
 * A transcript record as lines for people (each ending in a newline):
 * the prompt, a model call with its tokens and text, a tool call with its
 * input and its output, a command's output, the result. Long texts are
 * cut to their first lines unless full. t0: the time the agent started
 * (records show the seconds since it); 0 for none.
 */
void wfm_runlog_record(struct wfm_buf *out, const cJSON *record, uint64_t t0, int full);

#endif
