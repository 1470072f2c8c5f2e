#include "base/common.h"
#include "base/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* Enough for real patterns; stops catastrophic backtracking early. */
#define MATCH_LIMIT 10000000u
#define DEPTH_LIMIT 100000u

struct wfm_regex {
	pcre2_code *code;
	pcre2_match_context *mctx;
};

int wfm_regex_compile(struct wfm_regex **out, const char *pattern, unsigned flags)
{
	uint32_t options = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
	PCRE2_SIZE erroff;
	int errcode;
	struct wfm_regex *re;
	pcre2_code *code;

	*out = NULL;
	if (flags & WFM_REGEX_CASELESS)
		options |= PCRE2_CASELESS;
	if (flags & WFM_REGEX_MULTILINE)
		options |= PCRE2_MULTILINE;
	code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, options, &errcode, &erroff,
			     NULL);
	if (!code) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		return wfm_error_setc(WFM_EINVALID, "invalid pattern '%s' at offset %zu: %s",
				      pattern, (size_t)erroff, (const char *)msg);
	}
	/* JIT is an optimisation: when unavailable, interpretation is still correct. */
	pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	re = wfm_calloc(1, sizeof(*re));
	re->code = code;
	re->mctx = pcre2_match_context_create(NULL);
	if (!re->mctx)
		abort();
	pcre2_set_match_limit(re->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(re->mctx, DEPTH_LIMIT);
	*out = re;
	return 0;
}

void wfm_regex_free(struct wfm_regex *re)
{
	if (!re)
		return;
	pcre2_match_context_free(re->mctx);
	pcre2_code_free(re->code);
	free(re);
}

int wfm_regex_match(const struct wfm_regex *re, const char *subject, size_t len, size_t offset,
		    struct wfm_regex_match *m)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re->code, NULL);
	PCRE2_SIZE *ov;
	int rc;

	if (!md)
		abort();
	rc = pcre2_match(re->code, (PCRE2_SPTR)subject, len, offset, 0, md, re->mctx);
	if (rc == PCRE2_ERROR_NOMATCH) {
		rc = 0;
		goto done;
	}
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_JIT_STACKLIMIT || rc == PCRE2_ERROR_HEAPLIMIT) {
		rc = wfm_error_setc(WFM_EBUDGET, "pattern too complex: match limit reached");
		goto done;
	}
	if (rc < 0) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(rc, msg, sizeof(msg));
		rc = wfm_error_set("pattern match failed: %s", (const char *)msg);
		goto done;
	}
	if (m) {
		uint32_t n = pcre2_get_ovector_count(md);
		ov = pcre2_get_ovector_pointer(md);
		for (uint32_t i = 0; i < WFM_REGEX_MAX_GROUPS; i++) {
			int set = i < n && i < (uint32_t)rc && ov[2 * i] != PCRE2_UNSET;
			m->start[i] = set ? (long)ov[2 * i] : -1;
			m->end[i] = set ? (long)ov[2 * i + 1] : -1;
		}
	}
	rc = 1;
done:
	pcre2_match_data_free(md);
	return rc;
}
