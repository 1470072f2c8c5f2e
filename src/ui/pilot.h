#ifndef WFM_UI_PILOT_H
#define WFM_UI_PILOT_H

/*
 * What a pilot run (--pilot <n>, docs/card.md) shows when it stops, and
 * what the card of its continuation (`resume`) shows: the units it
 * started with their outcome, agents, tokens and USD, and the whole run
 * extrapolated from them (engine/estimate.h, wfm_estimate_measure).
 */
#include <stdio.h>

#include "base/json.h"

/*
 * Prints the pilot's figures from report (report.json) on out; metered:
 * the provider has an API (exec agents spend no counted tokens). Nothing
 * when the report is not a pilot's.
 */
void wfm_ui_pilot_print(FILE *out, const cJSON *report, int metered);

/* Whether report is of a run that the pilot stopped (its units left to run). */
int wfm_ui_pilot_stopped(const cJSON *report);

#endif
