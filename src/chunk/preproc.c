/*
 * Recovering C and C++ definitions that preprocessor conditionals break:
 * a function whose #ifdef branches each open a brace, or whose signature
 * differs between #if and #else, does not parse as one. When the first
 * parse has errors, the file is parsed again with the directives and
 * every branch but the first of each conditional blanked out (spaces,
 * newlines kept, so byte offsets and lines do not change), and the
 * definitions of that parse take precedence over the broken ones.
 */
#include "base/common.h"
#include "base/buf.h"
#include "chunk/chunk_priv.h"

#define MAX_NESTING 256

/* The directive name of the line [p, e) ("if", "endif"...), or NULL with *n 0. */
static const char *directive(const char *p, const char *e, size_t *n)
{
	*n = 0;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	if (p == e || *p != '#')
		return NULL;
	p++;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	while (p + *n < e && p[*n] >= 'a' && p[*n] <= 'z')
		(*n)++;
	return p;
}

static int is_word(const char *w, size_t n, const char *word)
{
	return n == strlen(word) && !memcmp(w, word, n);
}

static void blank(char *p, const char *e)
{
	for (; p < e; p++)
		if (*p != '\n')
			*p = ' ';
}

int wfm_preproc_first_branches(struct wfm_buf *out, const char *text, size_t len)
{
	unsigned char skip[MAX_NESTING];
	size_t depth = 0, skipping = 0;
	int changed = 0, continued = 0;
	char *p, *end;

	wfm_buf_clear(out);
	wfm_buf_add(out, text, len);
	p = out->ptr;
	end = out->ptr + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *e = nl ? nl : end;
		int cont =
			e > p && (e[-1] == '\\' || (e - p > 1 && e[-1] == '\r' && e[-2] == '\\'));
		size_t n;
		const char *w = continued ? NULL : directive(p, e, &n);
		int is_dir = 1;

		if (w &&
		    (is_word(w, n, "if") || is_word(w, n, "ifdef") || is_word(w, n, "ifndef"))) {
			if (depth < MAX_NESTING)
				skip[depth] = 0;
			depth++;
		} else if (w && depth && (is_word(w, n, "else") || !strncmp(w, "elif", 4))) {
			if (depth <= MAX_NESTING && !skip[depth - 1]) {
				skip[depth - 1] = 1;
				skipping++;
			}
		} else if (w && depth && is_word(w, n, "endif")) {
			if (depth <= MAX_NESTING && skip[depth - 1])
				skipping--;
			depth--;
		} else {
			is_dir = continued == 2; /* the rest of a conditional directive */
		}
		if (is_dir || skipping) {
			blank(p, e);
			changed = 1;
		}
		continued = cont ? (is_dir ? 2 : 1) : 0;
		p = nl ? nl + 1 : end;
	}
	return changed;
}

/* The kind of conditional directive on the line [p, e): 1 opens, -1 continues or closes, 0 none. */
static int conditional(const char *p, const char *e)
{
	size_t n;
	const char *w = directive(p, e, &n);

	if (!w)
		return 0;
	if (is_word(w, n, "if") || is_word(w, n, "ifdef") || is_word(w, n, "ifndef"))
		return 1;
	if (is_word(w, n, "else") || is_word(w, n, "endif") || (n >= 4 && !strncmp(w, "elif", 4)))
		return -1;
	return 0;
}

int wfm_preproc_conditionals(const char *text, size_t s, size_t e)
{
	const char *p = text + s, *end = text + e;
	int ret = 1, continued = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *q = p;

		while (q < le && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		if (!continued && q < le) {
			int c = conditional(q, le);
			if (!c)
				return 0;
			if (c < 0)
				ret = -1;
		}
		continued = le > p && le[-1] == '\\';
		p = nl ? nl + 1 : end;
	}
	return ret;
}

/* Whether text[s..e) has an #else or #elif line. */
static int has_else(const char *text, size_t s, size_t e)
{
	const char *p = text + s, *end = text + e;

	while (p < end && (p = memchr(p, '#', (size_t)(end - p)))) {
		const char *b = p, *q = p + 1;

		while (b > text && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if ((b == text || b[-1] == '\n') && end - q >= 2 && q[0] == 'e' && q[1] == 'l')
			return 1;
		p++;
	}
	return 0;
}

/* Whether n is or holds (two levels down) a function definition or body. */
static int has_body(TSNode n, unsigned depth)
{
	const char *t = ts_node_type(n);
	uint32_t cnt;

	if (!strcmp(t, "function_definition") || !strcmp(t, "compound_statement"))
		return 1;
	if (depth >= 2)
		return 0;
	cnt = ts_node_named_child_count(n);
	for (uint32_t i = 0; i < cnt; i++)
		if (has_body(ts_node_named_child(n, i), depth + 1))
			return 1;
	return 0;
}

#define MAX_CONSTRUCT (256u << 10) /* larger: an error spanning a header, not a function */

int wfm_c_is_scope(const char *t)
{
	return !strncmp(t, "preproc_", 8) || !strcmp(t, "namespace_definition") ||
	       !strcmp(t, "declaration_list");
}

/*
 * Whether n is a function whose body holds a function definition: no
 * error to the grammar, but two "TEST(a, b) {" lines of an #if and its
 * #else open two bodies, and the first runs on to a later '}'.
 */
static int nests_function(TSNode n)
{
	TSNode body = ts_node_child_by_field_name(n, "body", 4);
	uint32_t cnt;

	if (strcmp(ts_node_type(n), "function_definition") || ts_node_is_null(body))
		return 0;
	cnt = ts_node_named_child_count(body);
	for (uint32_t i = 0; i < cnt; i++)
		if (!strcmp(ts_node_type(ts_node_named_child(body, i)), "function_definition"))
			return 1;
	return 0;
}

static void push(struct wfm_ranges *out, uint32_t s, uint32_t e)
{
	WFM_ALLOC_GROW(out->v, out->nr + 1, out->alloc);
	out->v[out->nr++] = (struct wfm_range){ s, e };
}

/*
 * The body of a namespace, when it opens with a '{': the second parse sees
 * "namespace a {" (and its '}' when the first parse found it) around what
 * it parses again inside, so that names are qualified as in the first. A
 * null node otherwise.
 */
static TSNode braced_body(TSNode n)
{
	TSNode body = ts_node_child_by_field_name(n, "body", 4);

	if (strcmp(ts_node_type(n), "namespace_definition") || ts_node_is_null(body) ||
	    strcmp(ts_node_type(body), "declaration_list") || !ts_node_child_count(body) ||
	    strcmp(ts_node_type(ts_node_child(body, 0)), "{"))
		return (TSNode){ 0 };
	return body;
}

static void collect(struct wfm_ranges *out, TSNode n, const char *text, unsigned depth);

/* Collects inside the scope n, within its braces when it has some and anything is found. */
static void collect_in(struct wfm_ranges *out, TSNode n, const char *text, unsigned depth)
{
	TSNode body = braced_body(n), last;
	size_t before = out->nr;

	if (ts_node_is_null(body)) {
		collect(out, n, text, depth);
		return;
	}
	push(out, ts_node_start_byte(n), ts_node_start_byte(body) + 1);
	collect(out, body, text, depth);
	if (out->nr == before + 1) {
		out->nr = before;
		return;
	}
	last = ts_node_child(body, ts_node_child_count(body) - 1);
	if (!strcmp(ts_node_type(last), "}") && !ts_node_is_missing(last))
		push(out, ts_node_start_byte(last), ts_node_end_byte(last));
}

static void collect(struct wfm_ranges *out, TSNode n, const char *text, unsigned depth)
{
	uint32_t cnt = ts_node_named_child_count(n);

	for (uint32_t i = 0; i < cnt; i++) {
		TSNode c = ts_node_named_child(n, i);
		uint32_t s = ts_node_start_byte(c), e = ts_node_end_byte(c);
		int err = ts_node_has_error(c);

		if (wfm_c_is_scope(ts_node_type(c)) && depth < 64) {
			if (err)
				collect_in(out, c, text, depth + 1);
		} else if ((err || nests_function(c)) && e - s <= MAX_CONSTRUCT && has_body(c, 0) &&
			   has_else(text, s, e)) {
			push(out, s, e);
		}
	}
}

/*
 * Headers with parse errors are many (macros the grammar does not know);
 * only errors in or around a function body with an #else inside (or a
 * function nested in one) are what a second parse mends, and only those
 * constructs are parsed again. Namespaces are looked into.
 */
void wfm_preproc_ranges(struct wfm_ranges *out, TSNode root, const char *text)
{
	if (ts_node_has_error(root))
		collect(out, root, text, 0);
}

static int overlaps(const struct wfm_def *d, const struct wfm_defs *v)
{
	size_t lo = 0, hi = v->nr;

	/* the first of v ending after d starts */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->v[mid].end <= d->start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < v->nr && v->v[lo].start < d->end;
}

static int cmp_start(const void *a, const void *b)
{
	const struct wfm_def *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

void wfm_defs_prefer(struct wfm_defs *defs, struct wfm_defs *better)
{
	size_t n = 0;

	for (size_t i = 0; i < defs->nr; i++) {
		if (overlaps(&defs->v[i], better)) {
			free(defs->v[i].name);
			continue;
		}
		defs->v[n++] = defs->v[i];
	}
	defs->nr = n;
	WFM_ALLOC_GROW(defs->v, defs->nr + better->nr, defs->alloc);
	memcpy(defs->v + defs->nr, better->v, better->nr * sizeof(*better->v));
	defs->nr += better->nr;
	better->nr = 0; /* the names moved */
	qsort(defs->v, defs->nr, sizeof(*defs->v), cmp_start);
}
