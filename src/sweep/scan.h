#ifndef WFM_SWEEP_SCAN_H
#define WFM_SWEEP_SCAN_H

#include "base/json.h"
#include "sweep/rules.h"

/*
 * The rules over units as chunk() gives them to a workflow: what the
 * harness's scan(units) asks the engine for (docs/protocol.md).
 */

/*
 * A finding of a rule as the sweep reports it: {rule, severity, file,
 * startLine, endLine, startColumn, endColumn, evidence, explanation,
 * source: "rule"}. A new object: cJSON_Delete() it.
 */
cJSON *wfm_sweep_finding_to_json(const struct wfm_sweep_finding *f);

/*
 * Runs the rules over units (an array of objects with "path", "lang",
 * "start_line" and "text", as chunk({text: true}) returns them) and sets
 * *out to a new array of their findings, unit by unit. WFM_EINVALID when
 * units is not an array of such objects (a unit without text: "chunk()
 * gives it with {text: true}"), errors of wfm_sweep_scan() otherwise.
 */
int wfm_sweep_scan_units(cJSON **out, const cJSON *units);

#endif
