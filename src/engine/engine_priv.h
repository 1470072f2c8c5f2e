#ifndef WFM_ENGINE_ENGINE_PRIV_H
#define WFM_ENGINE_ENGINE_PRIV_H

/* Shared by the files of src/engine/ only (and their unit tests). */
#include <pthread.h>

#include "base/buf.h"
#include "base/strvec.h"
#include "engine/engine.h"
#include "engine/merge_queue.h"
#include "engine/sched.h"
#include "exec/where.h"
#include "git/repo.h"

struct wfm_pool;
struct wfm_journal;
struct wfm_merge_queue;
struct wfm_shared;
struct wfm_harness;
struct wfm_llm_client;
struct wfm_ledger;
struct wfm_llm_cache;
struct wfm_agent_type;

enum job_kind {
	JOB_AGENT,  /* limited by concurrency and max_agents */
	JOB_ORACLE, /* limited by oracle_jobs */
	JOB_MERGE,  /* handed to the merge queue */
	JOB_QUICK,  /* chunk, diff, workflow_source: a thread of its own, no limit */
};

struct job {
	struct engine *e;
	long id; /* the harness's request id */
	char *method;
	cJSON *params;
	enum job_kind kind;
	char *key;		      /* journal key with its occurrence */
	char *extra;		      /* what besides the params decides the result */
	char base[WFM_OID_HEXSZ + 1]; /* agents: the commit they start from */
	char *branch;		      /* worktree agents and merges: the branch */
	char *unit_id;		      /* the unit an agent works on, for the report */
	char *label;		      /* the agent's label, for people */
	char *phase;	   /* agents: the phase they are for (theirs, else the script's) */
	const char *model; /* LLM agents: the model, resolved (agent/model.h); borrowed */
	struct wfm_agent_type *type; /* agents: their agentType, resolved; owned */
	const struct wfm_role *role; /* agents: its role, resolved; borrowed */
	char *reason;		     /* an agent that failed: why */
	char *stderr_tail;	     /* an agent that failed: its stderr's last lines, or NULL */
	char *transcript;	     /* an agent that failed: its transcript's path, or NULL */
	/* scheduling (sched.h) */
	struct wfm_sched_item *item; /* the work item it is for; NULL: none; borrowed */
	unsigned stage;		     /* its pipeline stage */
	unsigned stages;	     /* of how many (1 outside pipelines) */
	uint64_t arrival;	     /* order of arrival */
	uint64_t first_tokens; /* LLM agents: the worst case of one agent, before an item ended */
	double first_usd;
	/* the outcome, filled by the thread that ran it */
	int ok;
	cJSON *value;	     /* ok: the value for the script */
	char *error;	     /* !ok: the message the promise rejects with */
	int journal;	     /* record it (a finished request, not a stopped one) */
	char *journal_error; /* recording it failed: why */
	uint64_t tokens;
	double cost_usd;
	uint64_t cache_read;	     /* of tokens: input read from the prompt cache */
	struct wfm_exec_where where; /* agents run as jobs: where */
	unsigned turns, tool_calls;  /* LLM agents: model calls and tool calls */
	uint64_t duration_ms;	     /* agents: how long it ran */
	int agent_failed;	     /* an agent that ran and failed (value null) */
	int budget_refused;	     /* !ok: refused by the budget before its first call */
	int budget_cut;		     /* agent_failed: ended by the budget after some calls */
	cJSON *reach;		     /* chunk() with a match: its lines out of reach (reach.c) */
	int replayed;		     /* chunk(): value from the journal, only reach to find */
	char *warning;		     /* for people, when it finished (reach could not be found) */
	cJSON *queue_cost; /* merges: the queue's work its journal record keeps (cost.c) */
	pthread_t thread;
	int threaded;
	struct job *next;
};

struct unit_stats {
	char *id;
	unsigned long agents;
	uint64_t tokens;
	double usd;
};

struct reach_line {
	char *path;
	unsigned long line;
	char *text;
	char *reason; /* "binary file", or NULL */
};

/* What the oracle cost (cost.c): oracle() runs, and merge-queue work from the journal. */
struct oracle_cost {
	unsigned long runs;	     /* oracle() runs, and the queue's runs in the journal */
	unsigned long baseline_runs; /* of runs: on the run's base commit */
	unsigned long replayed_runs; /* of runs: counted from the journal (an earlier session) */
	unsigned long request_runs;  /* of runs: by oracle() */
	uint64_t total_ms, baseline_ms, longest_ms;
	/* the merge queue's, from the journal (this session's are in its stats) */
	unsigned long queue_runs, batches, batched, largest_batch, bisections;
	/* of runs: those an executor made jobs (the queue's from the journal) */
	struct wfm_exec_tally jobs;
};

struct agent_failure {
	char *label;
	char *unit;
	char *reason;
	char *stderr_tail; /* NULL: none */
	char *transcript;  /* NULL: none */
};

struct engine {
	const struct wfm_engine_opts *opts;
	struct wfm_repo *repo; /* the engine thread's handle */
	struct wfm_pool *pool;
	struct wfm_executor *executor; /* where oracle runs and exec agents happen */
	struct wfm_journal *journal;
	struct wfm_merge_queue *merge; /* started by the first merge() */
	struct wfm_shared *shared;     /* where agents without isolation work */
	struct wfm_harness *harness;
	struct wfm_llm_client *client;	    /* LLM providers: shared by the agents */
	struct wfm_ledger *ledger;	    /* the run's budget; NULL: no limit and exec agents */
	struct wfm_llm_cache *prompt_cache; /* NULL: exec, or --no-prompt-cache */
	char integration[256];		    /* refs/heads/wfmigrate/<run>/integration */

	pthread_mutex_t lock; /* guards done_* */
	struct job *done_head, **done_tail;
	int wake[2]; /* a byte per finished job */

	struct job *waiting_agents, **waiting_agents_tail;
	struct job *waiting_oracles, **waiting_oracles_tail;
	unsigned long agents_running, oracles_running, in_flight;
	unsigned long agents_requested;

	volatile sig_atomic_t cancel; /* stop: running agents and oracles are killed */
	int stopping, paused;
	const char *stop_reason;       /* why the run stopped ("pilot", "interrupted"...); static */
	struct wfm_sched sched;	       /* work items, for the order and the budget */
	unsigned idle_turns;	       /* turns of the loop in a row with nothing to read */
	unsigned long budget_refusals; /* new items refused for the budget */
	struct wfm_sched_pilot pilot;  /* --pilot: the units it started */

	/* for the report */
	unsigned long agents_run, agents_replayed, agents_failed, requests_replayed;
	struct wfm_exec_tally agent_jobs; /* of the agents: those run as jobs */
	uint64_t tokens, cache_read;
	double cost_usd;
	struct unit_stats *units;
	size_t units_nr, units_alloc;
	struct agent_failure *failures;
	size_t failures_nr, failures_alloc;
	/* out of reach (reach.c): the lines chunk() calls with a match left in no unit */
	struct reach_line *reach;
	size_t reach_nr, reach_alloc;
	struct wfm_strvec reach_patterns; /* the match of each such call, once */
	uint64_t started_ms;		  /* wall clock: the session's "started" timestamp */

	/* progress.c: what people see as it happens */
	pthread_mutex_t progress_lock; /* one progress or status call at a time; guards mq_* */
	char *phase;		       /* the script's last phase(); the engine thread's */
	uint64_t started_mono;	       /* monotonic ms at the start of this execution */
	char mq_testing[96];	       /* the merge queue's running oracle run; "" none */
	uint64_t mq_test_started;      /* monotonic ms */

	/* sessions.c: this execution's own spending, and the earlier executions */
	uint64_t own_tokens, own_cache_read;
	double own_cost_usd;
	cJSON *sessions; /* the earlier executions' figures: an array */
	struct oracle_cost oracle;
	/* the queue's stats when its last journaled decision was made; the queue's thread's */
	struct wfm_merge_stats queue_journaled;
};

/*
 * engine.c: the start message (docs/protocol.md): the script's args, the
 * budget, and the limits the runtime enforces and the script reads (new).
 */
cJSON *wfm_engine_start_message(struct engine *e);

/* requests.c: classifies a request, computes its key parts, and runs it (on its own thread). */
int wfm_engine_prepare(struct engine *e, struct job *job);
void wfm_engine_execute(struct job *job);

/* engine.c: journals a finished job and hands it back to the engine thread (any thread). */
void wfm_engine_finished(struct job *job);

/*
 * engine.c, the bookkeeping of the scheduling rules (docs/engine.md), on
 * the engine thread. A job's contents and the job (NULL: nothing); the
 * outcome of a job that never started (stopped before its turn): an agent
 * is answered null, the others fail with why, and nothing is journaled;
 * an agent starting; an agent refused by the budget before its first
 * call, as if it had not started, its item cut short; an agent answered
 * from the journal record rec: what it spent and how it failed, counted
 * as an earlier session's (against the budget too) and towards its item
 * and unit; and the report's figures those leave (units, failures).
 */
void wfm_engine_job_free(struct job *job);
void wfm_engine_job_drop(struct job *job, const char *why);
void wfm_engine_count_start(struct engine *e, struct job *job);
void wfm_engine_count_refusal(struct engine *e, struct job *job);
void wfm_engine_replay_agent(struct engine *e, struct job *job, const cJSON *rec);
void wfm_engine_stats_release(struct engine *e);

/* providers.c: the LLM client and the ledger of the run (none for exec); budget messages. */
int wfm_engine_providers_open(struct engine *e);
void wfm_engine_providers_close(struct engine *e);
/* the budget as the script sees it: {"total": n|null, "spent": n, "exhausted": bool} (new) */
cJSON *wfm_engine_budget(struct engine *e);
/* whether the budget is spent: no new agent may start */
int wfm_engine_budget_spent(struct engine *e);

/*
 * reach.c, on the engine thread: adds the lines out of reach one chunk()
 * call with the match pattern found (an array from
 * wfm_engine_out_of_reach); the report's "outOfReach" (new): null when no
 * call had a match, else {patterns, total, lines} with each line once, the
 * first WFM_ENGINE_REACH_REPORT_MAX of them.
 */
/* The match of chunk()'s params (a non-empty string), or NULL: then nothing is out of reach. */
const char *wfm_engine_reach_pattern(const cJSON *params);
void wfm_engine_reach_add(struct engine *e, const char *pattern, const cJSON *lines);
cJSON *wfm_engine_reach_report(struct engine *e);
void wfm_engine_reach_release(struct engine *e);

/*
 * progress.c: progress lines and events (docs/engine.md, "Progress").
 * wfm_engine_say may be called from any thread; the others on the engine's.
 */
void wfm_engine_say(struct engine *e, const char *line);
void wfm_engine_event(struct engine *e, cJSON *ev); /* writes and frees ev */
void wfm_engine_agent_started(struct engine *e, const struct job *job);
void wfm_engine_agent_ended(struct engine *e, const struct job *job);
/* an LLM agent's model turn ended (agent.h, on_turn): data is the job; from its thread */
struct wfm_agent_result;
void wfm_engine_agent_turn(void *data, const struct wfm_agent_result *so_far);
/* the run started, the budget after an agent ended, a merge() submitted, a chunk()'s units */
void wfm_engine_run_started(struct engine *e);
void wfm_engine_budget_event(struct engine *e);
void wfm_engine_merge_queued(struct engine *e, const struct job *job);
void wfm_engine_units_event(struct engine *e, const cJSON *units);
void wfm_engine_oracle_started(struct engine *e, const struct job *job);
void wfm_engine_oracle_ended(struct engine *e, const struct job *job);
/* the merge queue's progress callback (merge_queue.h); data is the engine */
struct wfm_merge_progress;
void wfm_engine_merge_progress(void *data, const struct wfm_merge_progress *p);
/* calls opts->status with what the run is doing now */
void wfm_engine_status(struct engine *e);

/*
 * sessions.c: each execution of a run (the first, then each resume) is a
 * session; report.json lists them and totals what they spent
 * (docs/engine.md, "Sessions").
 */
/* before this execution's "start" event: the earlier sessions, from report.json and events.jsonl */
void wfm_engine_sessions_load(struct engine *e);
/* an agent this execution ran has ended: what it spent is this session's */
void wfm_engine_session_count(struct engine *e, const struct job *job);
/* adds "sessions" to report r, this one last, and makes its totals the sums over them */
void wfm_engine_sessions_report(struct engine *e, cJSON *r, const char *status);
/* report.md's lines about them; nothing for a run of one session */
void wfm_engine_sessions_md(struct wfm_buf *md, const cJSON *r);

/*
 * cost.c: what the oracle cost, for the report. An oracle() result, run
 * now or (replayed) answered from the journal; the queue's work since its
 * last journaled decision, as the object a merge's journal record keeps
 * (new; NULL when there was none), called from the queue's thread for a
 * decision that will be journaled; such a record answered from the
 * journal; and report.json's "oracle" and "mergeQueue" objects, added to r.
 */
void wfm_engine_count_oracle(struct engine *e, const cJSON *value, int replayed);
cJSON *wfm_engine_queue_cost(struct engine *e);
void wfm_engine_count_queue(struct engine *e, const cJSON *record);
void wfm_engine_cost_report(struct engine *e, cJSON *r);

/* report.c: report.json's content (new) and both report files in the run directory. */
cJSON *wfm_engine_report(struct engine *e, enum wfm_run_status status, const char *error,
			 const cJSON *value);
int wfm_engine_report_write(struct engine *e, const cJSON *report);

#endif
