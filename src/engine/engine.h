#ifndef WFM_ENGINE_ENGINE_H
#define WFM_ENGINE_ENGINE_H

#include <signal.h>
#include <stdint.h>

#include "base/json.h"
#include "engine/config.h"

struct wfm_rundir;
struct wfm_repo;
struct wfm_buf;

/* What a run is doing at one moment (wfm_engine_opts.status); borrowed during the call. */
struct wfm_engine_status {
	const char *phase;   /* the script's last phase(), or NULL */
	uint64_t elapsed_ms; /* since this execution of the run started */
	unsigned long agents_running, agents_waiting;
	unsigned long oracles_running, oracles_waiting; /* the script's oracle() calls */
	/* the merge queue's oracle run, when one is running: what it tests
	 * ("batch 3 (4 branches)", "testing the base") and for how long so far */
	const char *merge_testing; /* NULL: none is running */
	uint64_t merge_test_ms;
	int paused, stopping;
};

/*
 * The engine: runs a harness script (runtime/harness.mjs in a Node.js
 * subprocess) and answers its requests — agents, oracles, merges,
 * chunks, diffs, nested workflows — from the journal when they are
 * there, by running them otherwise. One call runs (or resumes) one run
 * to its end: the script returned, failed, or the run was stopped.
 */
struct wfm_engine_opts {
	struct wfm_rundir *run;			/* the run's directory, lock held; borrowed */
	const char *repo_path;			/* the repository (any path wfm_repo_open takes) */
	const struct wfm_run_config *config;	/* what the run was started with; borrowed */
	const cJSON *args;			/* the script's args */
	const char *node;			/* NULL: node from PATH */
	const char *api_key;			/* the provider's key (config.h); NULL: none */
	const char *script_name;		/* the script as the user named it, in messages */
	const volatile sig_atomic_t *interrupt; /* set by a signal handler: stop the run */
	/*
	 * Progress lines for people, as things happen (docs/engine.md,
	 * "Progress"): log() and phase(), agents starting and ending,
	 * oracle runs, the merge queue's batches and bisection steps. May
	 * be NULL. Called from the engine's thread and from the merge
	 * queue's, never two calls at once (status included).
	 */
	void (*progress)(void *data, const char *line);
	/*
	 * What the run is doing now, for a status line: called on the
	 * engine's thread at least every 200 ms. May be NULL.
	 */
	void (*status)(void *data, const struct wfm_engine_status *st);
	void *progress_data;
};

#define WFM_ENGINE_CONCURRENCY_DEFAULT 16
#define WFM_ENGINE_MAX_AGENTS_DEFAULT 1000
/*
 * Items per pipeline() or parallel() call. The runtime enforces it; the
 * engine sets it, in start's "limits" with the run's max_agents
 * (docs/protocol.md), which scripts read as the global `limits`.
 */
#define WFM_ENGINE_ITEMS_PER_CALL 4096
#define WFM_ENGINE_AGENT_TIMEOUT_DEFAULT 1800

enum wfm_run_status {
	WFM_RUN_DONE,	 /* the script returned */
	WFM_RUN_FAILED,	 /* the script threw, or the runtime died */
	WFM_RUN_STOPPED, /* stopped by `git wfmigrate stop` or a signal: resumable */
};

struct wfm_engine_result {
	enum wfm_run_status status;
	char *error;   /* FAILED: the script's error ("workflow.js:12: ..."); owned */
	cJSON *report; /* what report.json holds; owned */
};

void wfm_engine_result_release(struct wfm_engine_result *r);

/*
 * Runs the run to its end and writes report.json and report.md into its
 * directory. Returns 0 with out->status saying how the run ended;
 * negative only when the run could not be carried out at all (the
 * runtime cannot start, the journal cannot be read).
 */
int wfm_engine_run(struct wfm_engine_result *out, const struct wfm_engine_opts *opts);

/* The longest text of a line out of reach, in bytes (the report and the card). */
#define WFM_ENGINE_REACH_TEXT_MAX 160
/* How many lines out of reach report.json lists (it counts them all). */
#define WFM_ENGINE_REACH_REPORT_MAX 50

/*
 * The lines a chunk() call with params ({match, lang?, paths?}: paths an
 * array of pathspecs or one) at rev leaves out of reach: each line of code
 * of the files it looks at (rev, paths, lang) that match finds and that
 * is in no unit, whatever the call's other filters keep (a query, a size),
 * and the matching lines of binary files (docs/engine.md, "Out of reach").
 * *out is a new array of {path, line, text, reason?} (text: the line
 * without the blanks around it, at most WFM_ENGINE_REACH_TEXT_MAX bytes;
 * reason "binary file" for those), in path and line order; NULL when
 * params has no match. Errors are wfm_chunk_run's, and WFM_EINVALID for an
 * unknown lang.
 */
int wfm_engine_out_of_reach(cJSON **out, struct wfm_repo *repo, const char *rev,
			    const cJSON *params);

/* Appends a line of that array for people: "path:line: text" ("(binary file) text"). */
void wfm_engine_reach_line(struct wfm_buf *out, const cJSON *line);

/*
 * Appends the command that lists all the lines out of reach of chunk(params)
 * at rev (NULL: leave --rev out): git wfmigrate chunk --uncovered --match
 * <re> [--rev <rev>] [--lang <lang>] -- <":/path"...|:/>.
 */
void wfm_engine_reach_hint(struct wfm_buf *out, const char *rev, const cJSON *params);

#endif
