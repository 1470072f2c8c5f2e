/*
 * Tree-sitter queries for --query. libtree-sitter 0.20.7 hands text
 * predicates (#eq?, #match?...) to the caller instead of applying them,
 * so they are parsed and applied here; any other predicate or directive
 * is refused, since ignoring it would silently widen the query.
 */
#include "base/common.h"

#include <ctype.h>

#include "base/buf.h"
#include "base/regex.h"
#include "base/strvec.h"
#include "chunk/chunk_priv.h"

enum pred_op { P_EQ, P_MATCH, P_ANY_OF };

struct pred {
	enum pred_op op;
	int negate;	    /* not-eq?, not-match?, not-any-of? */
	int any;	    /* any-eq?...: one node of a quantified capture suffices */
	uint32_t capture;   /* the capture tested */
	int rhs_is_capture; /* #eq? @a @b */
	uint32_t rhs_capture;
	const char *str; /* #eq? @a "x": borrowed from the query */
	uint32_t str_len;
	struct wfm_regex *re;
	struct wfm_strvec values; /* #any-of? */
};

struct pattern_preds {
	struct pred *v;
	size_t nr;
};

struct lang_query {
	TSQuery *q;
	struct pattern_preds *patterns; /* one per pattern */
	uint32_t patterns_nr;
};

struct wfm_query {
	struct lang_query lq[WFM_LANG__COUNT];
};

static const char *const supported =
	"#eq?, #not-eq?, #any-eq?, #any-not-eq?, #match?, #not-match?, #any-match?, "
	"#any-not-match?, #any-of?, #not-any-of?";

static void lang_query_release(struct lang_query *lq)
{
	for (uint32_t p = 0; p < lq->patterns_nr; p++) {
		for (size_t i = 0; i < lq->patterns[p].nr; i++) {
			wfm_regex_free(lq->patterns[p].v[i].re);
			wfm_strvec_clear(&lq->patterns[p].v[i].values);
		}
		free(lq->patterns[p].v);
	}
	free(lq->patterns);
	if (lq->q)
		ts_query_delete(lq->q);
	memset(lq, 0, sizeof(*lq));
}

void wfm_query_free(struct wfm_query *q)
{
	if (!q)
		return;
	for (int i = 0; i < WFM_LANG__COUNT; i++)
		lang_query_release(&q->lq[i]);
	free(q);
}

int wfm_query_applies(const struct wfm_query *q, enum wfm_lang lang)
{
	return q && lang > WFM_LANG_OTHER && lang < WFM_LANG__COUNT && q->lq[lang].q;
}

/* Parses one predicate: steps[0] is its name, steps[1..n) its arguments. */
static int parse_pred(struct pred *p, const TSQuery *q, const TSQueryPredicateStep *steps,
		      uint32_t n)
{
	uint32_t len, name_len;
	const char *name;
	char nm[64];

	memset(p, 0, sizeof(*p));
	if (steps[0].type != TSQueryPredicateStepTypeString)
		return wfm_error_setc(WFM_EINVALID,
				      "invalid query: a predicate must start with a name");
	name = ts_query_string_value_for_id(q, steps[0].value_id, &name_len);
	snprintf(nm, sizeof(nm), "%.*s", (int)name_len, name);
	if (!strncmp(nm, "any-", 4) && strcmp(nm, "any-of?")) {
		p->any = 1;
		memmove(nm, nm + 4, strlen(nm + 4) + 1);
	}
	if (!strncmp(nm, "not-", 4)) {
		p->negate = 1;
		memmove(nm, nm + 4, strlen(nm + 4) + 1);
	}
	if (!strcmp(nm, "eq?"))
		p->op = P_EQ;
	else if (!strcmp(nm, "match?"))
		p->op = P_MATCH;
	else if (!strcmp(nm, "any-of?") && !p->any)
		p->op = P_ANY_OF;
	else
		return wfm_error_setc(WFM_EINVALID,
				      "unsupported query predicate '#%.*s' (supported: %s)",
				      (int)name_len, name, supported);
	if (n < 3 || steps[1].type != TSQueryPredicateStepTypeCapture ||
	    (p->op != P_ANY_OF && n != 3))
		goto bad;
	p->capture = steps[1].value_id;
	if (p->op == P_EQ && steps[2].type == TSQueryPredicateStepTypeCapture) {
		p->rhs_is_capture = 1;
		p->rhs_capture = steps[2].value_id;
		return 0;
	}
	for (uint32_t i = 2; i < n; i++)
		if (steps[i].type != TSQueryPredicateStepTypeString)
			goto bad;
	if (p->op == P_EQ) {
		p->str = ts_query_string_value_for_id(q, steps[2].value_id, &p->str_len);
	} else if (p->op == P_MATCH) {
		const char *re = ts_query_string_value_for_id(q, steps[2].value_id, &len);
		char *pat = wfm_strndup(re, len);
		int rc = wfm_regex_compile(&p->re, pat, 0);
		free(pat);
		if (rc < 0) {
			char why[512];
			snprintf(why, sizeof(why), "%s", wfm_error_last());
			return wfm_error_setc(WFM_EINVALID, "in query predicate '#%.*s': %s",
					      (int)name_len, name, why);
		}
	} else {
		for (uint32_t i = 2; i < n; i++) {
			const char *v = ts_query_string_value_for_id(q, steps[i].value_id, &len);
			wfm_strvec_push_nodup(&p->values, wfm_strndup(v, len));
		}
	}
	return 0;
bad:
	return wfm_error_setc(WFM_EINVALID, "invalid arguments to query predicate '#%.*s'",
			      (int)name_len, name);
}

static int parse_preds(struct lang_query *lq)
{
	lq->patterns_nr = ts_query_pattern_count(lq->q);
	lq->patterns = wfm_calloc(lq->patterns_nr, sizeof(*lq->patterns));
	for (uint32_t p = 0; p < lq->patterns_nr; p++) {
		uint32_t n, start = 0;
		const TSQueryPredicateStep *steps = ts_query_predicates_for_pattern(lq->q, p, &n);
		struct pattern_preds *pp = &lq->patterns[p];

		for (uint32_t i = 0; i < n; i++) {
			if (steps[i].type != TSQueryPredicateStepTypeDone)
				continue;
			pp->v = wfm_realloc(pp->v, (pp->nr + 1) * sizeof(*pp->v));
			if (parse_pred(&pp->v[pp->nr], lq->q, steps + start, i - start) < 0)
				return WFM_EINVALID; /* pp->v[pp->nr] holds nothing to free */
			pp->nr++;
			start = i + 1;
		}
	}
	return 0;
}

static const char *error_name(TSQueryError e)
{
	switch (e) {
	case TSQueryErrorSyntax:
		return "syntax error";
	case TSQueryErrorNodeType:
		return "invalid node type";
	case TSQueryErrorField:
		return "invalid field name";
	case TSQueryErrorCapture:
		return "invalid capture name";
	case TSQueryErrorStructure:
		return "impossible pattern";
	case TSQueryErrorLanguage:
		return "language mismatch";
	default:
		return "error";
	}
}

/* "invalid node type 'foo' at offset 3" */
static void describe_error(struct wfm_buf *b, const char *src, TSQueryError e, uint32_t off)
{
	size_t len = strlen(src), n = 0;

	wfm_buf_adds(b, error_name(e));
	if (e == TSQueryErrorNodeType || e == TSQueryErrorField || e == TSQueryErrorCapture) {
		while (off + n < len &&
		       (isalnum((unsigned char)src[off + n]) || strchr("_-.?!", src[off + n])))
			n++;
		if (n)
			wfm_buf_addf(b, " '%.*s'", (int)n, src + off);
	}
	wfm_buf_addf(b, " at offset %u", off);
}

int wfm_query_compile(struct wfm_query **out, const char *src, const int want[WFM_LANG__COUNT])
{
	struct wfm_query *q = wfm_calloc(1, sizeof(*q));
	struct wfm_buf errs = WFM_BUF_INIT, first = WFM_BUF_INIT, one = WFM_BUF_INIT;
	struct wfm_buf syntax = WFM_BUF_INIT;
	int ok = 0, tried = 0, same = 1, rc = 0;

	*out = NULL;
	for (int l = WFM_LANG_OTHER + 1; l < WFM_LANG__COUNT; l++) {
		uint32_t off = 0;
		TSQueryError e = TSQueryErrorNone;

		if (!want[l])
			continue;
		tried++;
		q->lq[l].q = ts_query_new(wfm_lang_grammar((enum wfm_lang)l), src,
					  (uint32_t)strlen(src), &off, &e);
		if (q->lq[l].q) {
			ok++;
			rc = parse_preds(&q->lq[l]);
			if (rc < 0)
				goto done;
			continue;
		}
		wfm_buf_clear(&one);
		describe_error(&one, src, e, off);
		if (e == TSQueryErrorSyntax && !syntax.len)
			wfm_buf_add(&syntax, one.ptr, one.len);
		if (!first.len)
			wfm_buf_add(&first, one.ptr, one.len);
		else if (strcmp(first.ptr, one.ptr))
			same = 0;
		wfm_buf_addf(&errs, "%s%s: %s", errs.len ? "; " : "",
			     wfm_lang_name((enum wfm_lang)l), one.ptr);
	}
	if (!tried) {
		rc = wfm_error_setc(WFM_EINVALID, "a query needs a language with a grammar");
		goto done;
	}
	if (!ok) {
		/* bad syntax is bad in every language: the rest is noise */
		if (syntax.len)
			rc = wfm_error_setc(WFM_EINVALID, "invalid query: %s", syntax.ptr);
		else if (same)
			rc = wfm_error_setc(WFM_EINVALID, "invalid query: %s", first.ptr);
		else
			rc = wfm_error_setc(WFM_EINVALID, "invalid query for every language (%s)",
					    errs.ptr);
		goto done;
	}
done:
	wfm_buf_release(&errs);
	wfm_buf_release(&first);
	wfm_buf_release(&one);
	wfm_buf_release(&syntax);
	if (rc < 0)
		wfm_query_free(q);
	else
		*out = q;
	return rc;
}

/* ---- evaluation ------------------------------------------------------------ */

static int node_eq(const char *text, TSNode n, const char *s, size_t len)
{
	uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
	return b - a == len && !memcmp(text + a, s, len);
}

/* 1 when the predicate holds for one node, 0 when not, < 0 on error. */
static int test_node(const struct pred *p, const TSQueryMatch *m, TSNode n, const char *text)
{
	uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
	int r = 0;

	switch (p->op) {
	case P_EQ:
		if (!p->rhs_is_capture) {
			r = node_eq(text, n, p->str, p->str_len);
			break;
		}
		r = 1; /* no node for the other capture: nothing to differ from */
		for (uint16_t i = 0; i < m->capture_count; i++)
			if (m->captures[i].index == p->rhs_capture) {
				TSNode o = m->captures[i].node;
				r = node_eq(text, n, text + ts_node_start_byte(o),
					    ts_node_end_byte(o) - ts_node_start_byte(o));
				break;
			}
		break;
	case P_MATCH:
		r = wfm_regex_match(p->re, text + a, b - a, 0, NULL);
		if (r < 0)
			return r;
		break;
	case P_ANY_OF:
		for (size_t i = 0; i < p->values.nr && !r; i++)
			r = node_eq(text, n, p->values.v[i], strlen(p->values.v[i]));
		break;
	}
	return p->negate ? !r : r;
}

/* Whether every predicate of the match's pattern holds. */
static int match_holds(const struct lang_query *lq, const TSQueryMatch *m, const char *text)
{
	const struct pattern_preds *pp = &lq->patterns[m->pattern_index];

	for (size_t k = 0; k < pp->nr; k++) {
		const struct pred *p = &pp->v[k];
		int seen = 0, hits = 0;

		for (uint16_t i = 0; i < m->capture_count; i++) {
			int r;
			if (m->captures[i].index != p->capture)
				continue;
			seen++;
			r = test_node(p, m, m->captures[i].node, text);
			if (r < 0)
				return r;
			hits += r;
		}
		/* plain predicates hold for every node of the capture; any- ones for one */
		if (p->any ? !hits : hits != seen)
			return 0;
	}
	return 1;
}

int wfm_query_captures(struct wfm_ranges *out, const struct wfm_query *q, enum wfm_lang lang,
		       TSQueryCursor *cur, TSNode root, const char *text)
{
	const struct lang_query *lq;
	TSQueryMatch m;

	if (!wfm_query_applies(q, lang))
		return 0;
	lq = &q->lq[lang];
	ts_query_cursor_exec(cur, lq->q, root);
	while (ts_query_cursor_next_match(cur, &m)) {
		int r = match_holds(lq, &m, text);
		if (r < 0)
			return r;
		if (!r)
			continue;
		for (uint16_t i = 0; i < m.capture_count; i++) {
			TSNode n = m.captures[i].node;
			WFM_ALLOC_GROW(out->v, out->nr + 1, out->alloc);
			out->v[out->nr++] =
				(struct wfm_range){ ts_node_start_byte(n), ts_node_end_byte(n) };
		}
	}
	return 0;
}
