#ifndef WFM_SWEEP_SUMMARY_H
#define WFM_SWEEP_SUMMARY_H

#include "base/buf.h"
#include "base/json.h"

/*
 * What `git wfmigrate sweep` says of a sweep's result (the value
 * workflows/sweep.js returns): the markdown summary, and whether a
 * finding reaches the --fail-on threshold.
 */

/*
 * Appends the markdown summary of result to out: the scope, a table of
 * the findings that survived (severity, rule, place, verdict and votes),
 * each with its evidence and explanation, then the refuted ones in one
 * line each and the units no reviewer could review. run_id may be NULL.
 */
void wfm_sweep_markdown(struct wfm_buf *out, const cJSON *result, const char *run_id);

/*
 * The number of findings that survived (confirmed or unverified) with a
 * severity of at least min_rank (wfm_sweep_severity_rank(): low 1 ...
 * critical 4). 0 when min_rank is 0 (--fail-on none).
 */
size_t wfm_sweep_count_at_least(const cJSON *result, int min_rank);

#endif
