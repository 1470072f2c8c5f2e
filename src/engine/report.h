#ifndef WFM_ENGINE_REPORT_H
#define WFM_ENGINE_REPORT_H

/*
 * A run's report read back, for `git wfmigrate report`: report.json as
 * the engine wrote it (engine/report.c; docs/engine.md, *Report*) and the
 * markdown made from it.
 */
#include "base/buf.h"
#include "base/json.h"

struct wfm_rundir;

/*
 * Reads report.json of run into *out (new; cJSON_Delete()). A report
 * written before units had their own cost ("costUsd") or tokens gets them
 * from the journal: the sum over the agents recorded for the unit.
 * WFM_ENOTFOUND "run <id> has no report yet" when there is none;
 * WFM_ECONFIG for one that is not a JSON object.
 */
int wfm_report_load(cJSON **out, struct wfm_rundir *run);

/* Appends report.md's text for report (as wfm_report_load gives it, or the engine made it). */
void wfm_report_md(struct wfm_buf *out, const cJSON *report);

#endif
