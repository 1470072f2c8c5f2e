#ifndef WFM_SWEEP_RULES_H
#define WFM_SWEEP_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "chunk/lang.h"

/*
 * The deterministic rules of a security sweep (docs/sweep.md): PCRE2
 * patterns for committed secrets, dangerous calls per language and text
 * addressed to a reviewer. They cost no tokens; what they find is a fact
 * of the text, reported with the verdict "confirmed". The table is the
 * one place a rule is described: the scan, the SARIF driver's rules and
 * the documentation read it.
 */

/* A rule's languages: a bit per enum wfm_lang; 0 for every file. */
#define WFM_SWEEP_LANG(l) (1u << (l))

struct wfm_sweep_rule {
	const char *id;	      /* "secret/aws-access-key", "dangerous-call/c-strcpy"... */
	const char *severity; /* "low", "medium", "high", "critical" */
	const char *short_desc;
	const char *full_desc;
	const char *help;
	unsigned langs;	     /* WFM_SWEEP_LANG bits; 0: all */
	const char *pattern; /* PCRE2 */
	int caseless;
};

extern const struct wfm_sweep_rule wfm_sweep_rules[];
extern const size_t wfm_sweep_rules_nr;

/* The rule called id, or NULL. */
const struct wfm_sweep_rule *wfm_sweep_rule_find(const char *id);

/* The security categories a reviewer may be asked about (docs/sweep.md), NULL-terminated. */
extern const char *const wfm_sweep_categories[];

/* "low" 1 ... "critical" 4; 0 for anything else. */
int wfm_sweep_severity_rank(const char *severity);

struct wfm_sweep_finding {
	const struct wfm_sweep_rule *rule; /* borrowed from the table */
	char *file;			   /* repository-relative */
	uint32_t start_line, end_line;	   /* 1-based, inclusive */
	uint32_t start_column, end_column; /* 1-based, in characters; end is exclusive */
	char *evidence;			   /* the first line of the match, without its newline */
};

struct wfm_sweep_findings {
	struct wfm_sweep_finding *v;
	size_t nr;
	size_t alloc;
};

/* clang-format off */
#define WFM_SWEEP_FINDINGS_INIT { NULL, 0, 0 }
/* clang-format on */

void wfm_sweep_findings_release(struct wfm_sweep_findings *f);

/* The rules, compiled. Read-only once made: threads may share it. */
struct wfm_sweep_scanner;

/* Compiles every rule of the table. WFM_EINVALID naming a rule that does not compile. */
int wfm_sweep_scanner_new(struct wfm_sweep_scanner **out);
void wfm_sweep_scanner_free(struct wfm_sweep_scanner *s);

/*
 * Runs the rules that apply to lang over text (len bytes: the text of
 * a unit of file path that starts at line start_line of the file) and
 * appends a finding per match to out, in the order of the text, rule by
 * rule. WFM_EBUDGET when a pattern hits PCRE2's match limit, WFM_ERROR
 * on another failure of the matcher.
 */
int wfm_sweep_scan(struct wfm_sweep_findings *out, const struct wfm_sweep_scanner *s,
		   const char *path, enum wfm_lang lang, uint32_t start_line, const char *text,
		   size_t len);

#endif
