#ifndef WFM_EXEC_WHERE_H
#define WFM_EXEC_WHERE_H

#include <stdint.h>

#include "base/buf.h"
#include "base/json.h"

/*
 * Where a run happened when an executor made it a job (exec/executor.h):
 * kept with an oracle run's result and journaled with it, so ps, the
 * report and the progress lines can say it. All "" and 0 for a run on
 * this machine.
 */
struct wfm_exec_where {
	char executor[16]; /* "slurm"; "": here */
	char job[32];	   /* the scheduler's job id */
	char node[64];	   /* the node it ran on; "": not known */
	uint64_t queue_ms; /* submitted to started */
	/* jobs of the same run lost before this one (a node failure,
	 * preemption: exec/executor.h) and submitted again, with their states
	 * ("NODE_FAIL, PREEMPTED") */
	unsigned long lost;
	char lost_states[64];
};

/* How many runs were jobs, and how long they waited in the scheduler's queue. */
struct wfm_exec_tally {
	unsigned long jobs;
	uint64_t wait_ms, longest_wait_ms;
	unsigned long lost; /* jobs lost and submitted again */
};

/* Counts w in t when it is a job's. */
void wfm_exec_tally_add(struct wfm_exec_tally *t, const struct wfm_exec_where *w);

/* "slurm job 42 on node1, 1.2 s queued"; nothing for a run here. */
void wfm_exec_where_describe(struct wfm_buf *out, const struct wfm_exec_where *w);

/*
 * Adds "ranOn": {"executor", "job", "node", "queueMs"}, and "lost" and
 * "lostStates" after lost jobs, to obj (nothing for a run here).
 */
void wfm_exec_where_to_json(cJSON *obj, const struct wfm_exec_where *w);

/* Reads what wfm_exec_where_to_json() wrote in obj; all "" and 0 when it wrote nothing. */
void wfm_exec_where_from_json(struct wfm_exec_where *out, const cJSON *obj);

#endif
