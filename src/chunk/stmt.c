/*
 * Statement units: the code between the definitions of a file (imports,
 * top-level calls such as describe(...) or app.get(...), assignments,
 * conditions), cut at the top-level statements, small neighbours packed,
 * each named from what it is. Without them, code outside every definition
 * would be in no unit and out of reach of every run.
 */
#include "base/common.h"

#include <ctype.h>

#include "base/buf.h"
#include "base/utf8.h"
#include "chunk/chunk_priv.h"

#define SMALL_LINES 2 /* statements of at most this many lines are packed together */
#define NAME_DEPTH 8  /* how deep a name is looked for */

struct gaps {
	enum wfm_lang lang;
	const char *text;
	size_t len;
	TSNode root;
	TSNode top;		     /* the top-level statement being cut */
	const struct wfm_defs *defs; /* the definitions, sorted */
	size_t di;		     /* the first definition not ending before the current place */
	struct wfm_defs pieces;	     /* found so far, in file order */
};

static TSNode field(TSNode n, const char *name)
{
	return ts_node_child_by_field_name(n, name, (uint32_t)strlen(name));
}

/* Appends n's text with white space collapsed; quotes stripped from a string when unquote. */
static void add_text(struct wfm_buf *b, const char *text, TSNode n, int unquote)
{
	uint32_t s = ts_node_start_byte(n), e = ts_node_end_byte(n);

	if (unquote && e - s >= 2 && strchr("'\"`", text[s]) && text[e - 1] == text[s])
		s++, e--;
	wfm_text_add_squeezed(b, text, s, e, 200);
}

static int is_type(TSNode n, const char *const *types)
{
	const char *t = ts_node_type(n);

	for (; *types; types++)
		if (!strcmp(t, *types))
			return 1;
	return 0;
}

static const char *const path_types[] = {
    "identifier", "member_expression",	 "attribute", "subscript_expression", "subscript",
    "this",	  "property_identifier", NULL};
static const char *const string_types[] = {"string", "template_string", NULL};

static int single_line(TSNode n)
{
	return ts_node_start_point(n).row == ts_node_end_point(n).row;
}

/* The first named child that is not a comment, or a null node. */
static TSNode first_child(TSNode n)
{
	uint32_t cnt = ts_node_named_child_count(n);

	for (uint32_t i = 0; i < cnt; i++) {
		TSNode c = ts_node_named_child(n, i);
		if (strcmp(ts_node_type(c), "comment"))
			return c;
	}
	return (TSNode){0};
}

static void name_of(struct wfm_buf *b, const char *text, TSNode n, int depth);

/*
 * A call: "callee('first string')" (describe('router'), app.get('/users')),
 * "obj.prop" when it defines a property (defineGetter(req, 'query', ...)),
 * else the callee.
 */
static void name_call(struct wfm_buf *b, const char *text, TSNode n, int depth)
{
	TSNode callee = field(n, "function"), args = field(n, "arguments"), a0, a1;

	if (ts_node_is_null(callee))
		callee = field(n, "constructor");
	if (ts_node_is_null(callee) || !is_type(callee, path_types) || !single_line(callee)) {
		if (!ts_node_is_null(callee))
			name_of(b, text, callee, depth + 1); /* (function setup() {...})() */
		return;
	}
	a0 = ts_node_is_null(args) ? args : first_child(args);
	a1 = ts_node_is_null(a0) ? a0 : ts_node_next_named_sibling(a0);
	if (!ts_node_is_null(a0) && is_type(a0, string_types) && single_line(a0)) {
		add_text(b, text, callee, 0);
		wfm_buf_addch(b, '(');
		add_text(b, text, a0, 0);
		wfm_buf_addch(b, ')');
	} else if (!ts_node_is_null(a1) && is_type(a0, path_types) && is_type(a1, string_types) &&
		   single_line(a0) && single_line(a1)) {
		add_text(b, text, a0, 0);
		wfm_buf_addch(b, '.');
		add_text(b, text, a1, 1);
	} else {
		add_text(b, text, callee, 0);
	}
}

/* The declared names of a declaration: "a, b". */
static void name_decl(struct wfm_buf *b, const char *text, TSNode n)
{
	uint32_t cnt = ts_node_named_child_count(n);

	for (uint32_t i = 0; i < cnt; i++) {
		TSNode nm = field(ts_node_named_child(n, i), "name");
		if (ts_node_is_null(nm))
			continue;
		if (b->len)
			wfm_buf_adds(b, ", ");
		add_text(b, text, nm, 0);
	}
}

/* A field of n worth naming it by, in order of preference. */
static TSNode naming_field(TSNode n)
{
	static const char *const fields[] = {"declaration", "left",	   "condition",
					     "source",	    "module_name", "right",
					     "value",	    "subject",	   NULL};

	for (const char *const *f = fields; *f; f++) {
		TSNode c = field(n, *f);
		if (!ts_node_is_null(c))
			return c;
	}
	return (TSNode){0};
}

static const char *const assign_types[] = {"assignment_expression",
					   "augmented_assignment_expression", "assignment",
					   "augmented_assignment", NULL};
static const char *const function_types[] = {"function_expression", "function", "arrow_function",
					     "generator_function", NULL};

static void name_inside(struct wfm_buf *b, const char *text, TSNode n, int depth);

/* A statement or block, named by what is inside rather than by its whole text. */
static int is_statement(const char *t)
{
	size_t n = strlen(t);

	return !strcmp(t, "block") || !strcmp(t, "statement_block") ||
	       (n > 10 && !strcmp(t + n - 10, "_statement")) ||
	       (n > 7 && !strcmp(t + n - 7, "_clause"));
}

/* What n is called; never a bare keyword. */
static void name_of(struct wfm_buf *b, const char *text, TSNode n, int depth)
{
	const char *t;
	TSNode c;

	if (depth > NAME_DEPTH || ts_node_is_null(n))
		return;
	t = ts_node_type(n);
	if (!strcmp(t, "call_expression") || !strcmp(t, "call") || !strcmp(t, "new_expression")) {
		name_call(b, text, n, depth);
	} else if (!strcmp(t, "lexical_declaration") || !strcmp(t, "variable_declaration")) {
		name_decl(b, text, n);
	} else if (is_type(n, assign_types)) {
		name_of(b, text, field(n, "left"), depth + 1);
	} else if (!strcmp(t, "import_statement") && !ts_node_is_null(field(n, "name"))) {
		add_text(b, text, field(n, "name"), 0); /* Python: import os.path */
	} else if (is_type(n, function_types)) {
		c = field(n, "name");
		if (!ts_node_is_null(c))
			add_text(b, text, c, 0);
		else
			wfm_buf_adds(b, "anonymous function");
	} else if (is_type(n, string_types)) {
		if (single_line(n))
			add_text(b, text, n, 1);
		else
			wfm_buf_adds(b, "string");
	} else if (!ts_node_is_null(c = field(n, "module_name"))) {
		add_text(b, text, c, 0); /* Python: from os import path */
	} else if (!ts_node_is_null(c = field(n, "name")) && single_line(c)) {
		add_text(b, text, c, 0); /* declare function f(): void; */
	} else if (depth && single_line(n) && !is_statement(t)) {
		add_text(b, text, n, 0); /* a condition, a path, a value */
	} else {
		name_inside(b, text, n, depth);
	}
}

/* A statement by what is inside it: its condition, left side, body... */
static void name_inside(struct wfm_buf *b, const char *text, TSNode n, int depth)
{
	TSNode c;

	c = naming_field(n);
	if (ts_node_is_null(c))
		c = field(n, "body");
	if (!ts_node_is_null(c) && !strcmp(ts_node_type(c), "parenthesized_expression"))
		c = first_child(c);
	if (ts_node_is_null(c))
		c = first_child(n);
	name_of(b, text, c, depth + 1);
}

/*
 * The outermost node under top (a top-level statement) that starts at
 * off; top itself when none does. Walks down, not up: ts_node_parent()
 * searches from the root each time.
 */
static TSNode node_at(TSNode top, size_t off)
{
	TSNode n = top;

	for (int guard = 0; guard < 256 && ts_node_start_byte(n) < off; guard++) {
		TSNode c = ts_node_first_named_child_for_byte(n, (uint32_t)off);
		if (ts_node_is_null(c) || ts_node_start_byte(c) > off)
			break; /* off is a token of n itself: "else", "}" */
		n = c;
	}
	return n;
}

static void add_piece(struct gaps *g, size_t start, size_t end)
{
	struct wfm_buf name = WFM_BUF_INIT;
	struct wfm_def *d;
	size_t s = start, e = end;

	TSNode first;

	/* named after its first statement: past blank lines and comments */
	for (;;) {
		while (s < e && isspace((unsigned char)g->text[s]))
			s++;
		if (s == e)
			return; /* blank lines and comments only: no code */
		first = node_at(g->top, s);
		if (!wfm_lang_is_comment(g->lang, ts_node_type(first)))
			break;
		s = ts_node_end_byte(first);
	}
	while (e > s && isspace((unsigned char)g->text[e - 1]))
		e--;
	WFM_ALLOC_GROW(g->pieces.v, g->pieces.nr + 1, g->pieces.alloc);
	d = &g->pieces.v[g->pieces.nr++];
	d->start =
	    (uint32_t)(wfm_line_start(g->text, s) > start ? wfm_line_start(g->text, s) : start);
	e = wfm_line_end(g->text, g->len, e);
	d->end = (uint32_t)(e < end ? e : end);
	d->node = first;
	d->packed = 0;
	d->kind = "code";
	name_of(&name, g->text, d->node, 0);
	if (!name.len)
		wfm_buf_adds(&name, ts_node_type(d->node));
	if (wfm_utf8_valid(name.ptr, name.len)) {
		d->name = wfm_buf_detach(&name, NULL);
	} else {
		struct wfm_buf clean = WFM_BUF_INIT;
		wfm_utf8_lossy(&clean, name.ptr, name.len);
		d->name = wfm_buf_detach(&clean, NULL);
	}
	wfm_buf_release(&name);
}

/* The parts of [start, end) outside every definition become pieces. */
static void add_uncovered(struct gaps *g, size_t start, size_t end)
{
	const struct wfm_defs *defs = g->defs;

	while (g->di < defs->nr && defs->v[g->di].end <= start)
		g->di++;
	for (size_t i = g->di; start < end; i++) {
		size_t ds = i < defs->nr ? defs->v[i].start : end;
		size_t de = i < defs->nr ? defs->v[i].end : end;

		if (ds > start)
			add_piece(g, start, ds < end ? ds : end);
		if (ds >= end)
			break;
		start = de;
	}
}

static int is_small(const struct gaps *g, const struct wfm_def *d)
{
	size_t lines = 0;

	for (size_t i = d->start; i < d->end && lines <= SMALL_LINES; i++)
		lines += g->text[i] == '\n';
	if (d->end > d->start && g->text[d->end - 1] != '\n')
		lines++;
	return lines <= SMALL_LINES;
}

/* Whether a definition (they are sorted) starts in [a, b). */
static int def_between(const struct wfm_defs *defs, size_t a, size_t b)
{
	size_t lo = 0, hi = defs->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (defs->v[mid].start < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < defs->nr && defs->v[lo].start < b;
}

/* Neighbouring small pieces become one, named after its first. */
static void pack_small(struct gaps *g)
{
	size_t n = 0;

	for (size_t i = 0; i < g->pieces.nr; i++) {
		struct wfm_def *d = &g->pieces.v[i], *prev = n ? &g->pieces.v[n - 1] : NULL;

		if (prev && is_small(g, d) && prev->end <= d->start &&
		    (prev->packed || is_small(g, prev)) &&
		    !def_between(g->defs, prev->end, d->start)) {
			prev->end = d->end;
			prev->packed = 1; /* cut between its statements */
			free(d->name);
			continue;
		}
		g->pieces.v[n++] = *d;
	}
	g->pieces.nr = n;
}

static int cmp_start(const void *a, const void *b)
{
	const struct wfm_def *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

void wfm_stmts_find(struct wfm_defs *defs, enum wfm_lang lang, TSNode root, const char *text,
		    size_t len)
{
	struct gaps g = {lang, text, len, root, root, defs, 0, WFM_DEFS_INIT};
	uint32_t cnt = ts_node_named_child_count(root);

	if (!defs->nr || !wfm_lang_has_stmts(lang))
		return;
	for (uint32_t i = 0; i < cnt; i++) {
		TSNode c = ts_node_named_child(root, i);
		size_t s, e;

		if (wfm_lang_is_comment(lang, ts_node_type(c)))
			continue;
		s = wfm_line_start(text, ts_node_start_byte(c));
		e = wfm_line_end(text, len, ts_node_end_byte(c));
		if (g.pieces.nr && s < g.pieces.v[g.pieces.nr - 1].end)
			s = g.pieces.v[g.pieces.nr - 1].end; /* two statements on one line */
		g.top = c;
		if (s < e)
			add_uncovered(&g, s, e);
	}
	pack_small(&g);
	if (!g.pieces.nr)
		goto done;
	WFM_ALLOC_GROW(defs->v, defs->nr + g.pieces.nr, defs->alloc);
	memcpy(defs->v + defs->nr, g.pieces.v, g.pieces.nr * sizeof(*g.pieces.v));
	defs->nr += g.pieces.nr;
	qsort(defs->v, defs->nr, sizeof(*defs->v), cmp_start);
done:
	free(g.pieces.v);
}
