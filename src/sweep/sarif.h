#ifndef WFM_SWEEP_SARIF_H
#define WFM_SWEEP_SARIF_H

#include "base/buf.h"
#include "base/json.h"

/*
 * SARIF 2.1.0 of a sweep (docs/sweep.md, "SARIF"), as GitHub code
 * scanning reads it: one run whose tool.driver lists every rule of the
 * table (sweep/rules.h) and the rules reviewers reported, and one result
 * per finding that survived (confirmed or unverified; refuted ones are
 * left out).
 */

#define WFM_SWEEP_TOOL_NAME "git-wfmigrate"
#define WFM_SWEEP_INFORMATION_URI "man:git-wfmigrate(1)"

/*
 * A new SARIF log in *out made of result, the value workflows/sweep.js
 * returns ({findings: [{rule, severity, file, startLine, endLine,
 * startColumn?, endColumn?, evidence, explanation, source, verdict,
 * votes}]}); run_id goes into automationDetails.id
 * ("wfmigrate/sweep/<run_id>"). Findings that lack a rule, file or line
 * are left out. WFM_EINVALID when result has no findings array.
 */
int wfm_sweep_sarif(cJSON **out, const cJSON *result, const char *run_id);

/* SARIF's "security-severity" of a severity: "9.5", "8.0", "5.5", "2.0"; NULL for none. */
const char *wfm_sweep_security_severity(const char *severity);

/* SARIF's level of a severity: "error" (high, critical), "warning" (medium), "note". */
const char *wfm_sweep_level(const char *severity);

/*
 * The hash part of a finding's primaryLocationLineHash: 16 hex digits of
 * the rule id and the text of the finding's first line with its blanks
 * collapsed, never its line number, so it holds when lines move. The
 * SARIF adds ":<n>", n counting the findings of a file with the same
 * hash (1 for the first).
 */
void wfm_sweep_line_hash(char out[17], const char *rule, const char *line);

#endif
