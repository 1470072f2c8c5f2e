#ifndef WFM_BASE_REGEX_H
#define WFM_BASE_REGEX_H

#include <stddef.h>

/*
 * Regular expressions: the PCRE2 adapter (the only file that includes
 * pcre2.h). Patterns compile in UTF mode with Unicode properties and
 * are JIT-compiled where the platform allows; subjects that are not
 * valid UTF-8 simply do not match there (PCRE2_MATCH_INVALID_UTF).
 * A compiled pattern is read-only and may be shared by threads.
 */
struct wfm_regex;

enum {
	WFM_REGEX_CASELESS = 1 << 0,
	WFM_REGEX_MULTILINE = 1 << 1, /* ^ and $ match at line boundaries */
};

#define WFM_REGEX_MAX_GROUPS 10

struct wfm_regex_match {
	/* start and end offsets of the whole match [0] and of groups 1..; -1 when unset */
	long start[WFM_REGEX_MAX_GROUPS];
	long end[WFM_REGEX_MAX_GROUPS];
};

/*
 * Compiles pattern. WFM_EINVALID with "invalid pattern '<p>' at offset
 * <n>: <reason>" when it does not compile.
 */
int wfm_regex_compile(struct wfm_regex **out, const char *pattern, unsigned flags);
void wfm_regex_free(struct wfm_regex *re);

/*
 * Looks for the pattern in subject[offset..len). Returns 1 on a match
 * (m, when non-NULL, filled in), 0 on none, WFM_EBUDGET when the match
 * limit was hit (a pathological pattern), WFM_ERROR otherwise.
 * Safe to call from several threads on one pattern.
 */
int wfm_regex_match(const struct wfm_regex *re, const char *subject, size_t len, size_t offset,
		    struct wfm_regex_match *m);

#endif
