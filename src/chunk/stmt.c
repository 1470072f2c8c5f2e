/*
 * Statement units: the code between the definitions of a file (includes
 * and imports, prototypes and globals, top-level calls such as
 * describe(...) or app.get(...), assignments, conditions), cut where
 * top-level statements begin (and the statements inside what holds
 * definitions: #ifdef blocks, namespaces), small neighbours packed, each
 * named from what it is. Without them, code outside every definition would
 * be in no unit and out of reach of every run.
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
	struct wfm_defs *defs;	   /* the definitions, sorted */
	struct wfm_offsets bounds; /* line starts where statements begin */
	unsigned depth;		   /* containers entered */
	struct wfm_defs pieces;	   /* found so far, in file order */
};

/* The lines [s, e) has text on, counted up to SMALL_LINES + 1. */
static size_t lines_in(const char *text, size_t s, size_t e)
{
	size_t lines = 0;

	for (size_t i = s; i < e && lines <= SMALL_LINES; i++)
		lines += text[i] == '\n';
	if (e > s && text[e - 1] != '\n')
		lines++;
	return lines;
}

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

static const char *const path_types[] = { "identifier",		 "member_expression",
					  "attribute",		 "subscript_expression",
					  "subscript",		 "this",
					  "property_identifier", NULL };
static const char *const string_types[] = { "string",
					    "template_string",
					    "string_literal",
					    "interpreted_string_literal",
					    "raw_string_literal",
					    NULL };

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
	return (TSNode){ 0 };
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
	static const char *const fields[] = { "declaration", "left",  "condition", "source",
					      "module_name", "path",  "right",	   "value",
					      "subject",     "macro", "argument",  NULL };

	for (const char *const *f = fields; *f; f++) {
		TSNode c = field(n, *f);
		if (!ts_node_is_null(c))
			return c;
	}
	return (TSNode){ 0 };
}

static const char *const assign_types[] = { "assignment_expression",
					    "augmented_assignment_expression", "assignment",
					    "augmented_assignment", NULL };
static const char *const function_types[] = { "function_expression", "function", "arrow_function",
					      "generator_function", NULL };

static void name_inside(struct wfm_buf *b, const char *text, TSNode n, int depth);

/* "int *p = 0;", "void f(void);": the name at the end of the declarator chain. */
static TSNode declared(TSNode n)
{
	for (int guard = 0; guard < 32; guard++) {
		TSNode d = field(n, "declarator");
		if (ts_node_is_null(d))
			break;
		n = d;
	}
	return n;
}

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
	} else if (!strcmp(t, "import_spec")) {
		name_of(b, text, field(n, "path"), depth + 1); /* Go: import "fmt" */
	} else if (depth && single_line(n) && strstr(t, "identifier")) {
		add_text(b, text, n, 0); /* a path: com.example, std::io */
	} else if (!ts_node_is_null(field(n, "declarator")) && single_line(c = declared(n))) {
		add_text(b, text, c, 0); /* C: int *p = 0; void f(void); */
	} else if (!strcmp(t, "template_declaration") && ts_node_named_child_count(n)) {
		name_of(b, text, ts_node_named_child(n, ts_node_named_child_count(n) - 1),
			depth + 1);
	} else if (!strcmp(t, "preproc_else")) {
		wfm_buf_addch(b, '!'); /* the #else of #ifdef X: !X */
		name_of(b, text, ts_node_parent(n), depth + 1);
	} else if (!strcmp(t, "namespace_definition") && ts_node_is_null(field(n, "name"))) {
		wfm_buf_adds(b, "anonymous namespace");
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
 * The outermost node below root that starts at off; the innermost node
 * holding off when none does (off is a token of it: "}", "#endif").
 * Walks down, not up: ts_node_parent() searches from the root each time.
 */
static TSNode node_at(TSNode root, size_t off)
{
	TSNode n = root;

	for (int guard = 0; guard < 256; guard++) {
		TSNode c = ts_node_first_named_child_for_byte(n, (uint32_t)off);
		if (ts_node_is_null(c) || ts_node_start_byte(c) > off)
			break; /* off is a token of n itself: "else", "}" */
		n = c;
		if (ts_node_start_byte(c) == off)
			break;
	}
	return n;
}

static char *valid_name(struct wfm_buf *name)
{
	struct wfm_buf clean = WFM_BUF_INIT;

	if (wfm_utf8_valid(name->ptr, name->len))
		return wfm_buf_detach(name, NULL);
	wfm_utf8_lossy(&clean, name->ptr, name->len);
	wfm_buf_release(name);
	return wfm_buf_detach(&clean, NULL);
}

/* Whether name is a keyword of one of the languages (or a type a keyword makes): no name. */
static int is_keyword(const char *name)
{
	static const char *const words[] = {
		"auto",	    "bool",    "break",	 "case",     "char",	 "class",    "const",
		"continue", "default", "do",	 "double",   "else",	 "enum",     "extern",
		"float",    "for",     "fn",	 "func",     "function", "goto",     "if",
		"import",   "inline",  "int",	 "let",	     "long",	 "mut",	     "package",
		"private",  "public",  "pub",	 "register", "return",	 "short",    "signed",
		"sizeof",   "static",  "struct", "switch",   "template", "typedef",  "union",
		"unsigned", "use",     "var",	 "virtual",  "void",	 "volatile", "while",
	};

	for (size_t i = 0; i < WFM_ARRAY_SIZE(words); i++)
		if (!strcmp(name, words[i]))
			return 1;
	return 0;
}

/*
 * Whether a piece starting at s (its first code) only opens (1) or closes
 * (-1) what holds a neighbour: a "}  // namespace x" or ")" of a group, C
 * preprocessor conditionals around definitions (#ifdef X, #else, #endif).
 */
static int joins(const struct gaps *g, TSNode first, size_t s, size_t e)
{
	if (lines_in(g->text, s, e) > SMALL_LINES)
		return 0;
	if (ts_node_start_byte(first) < s)
		return -1;
	if (g->lang == WFM_LANG_C || g->lang == WFM_LANG_CPP)
		return wfm_preproc_conditionals(g->text, s, e);
	return 0;
}

/*
 * [start, end), code between definitions that no statement boundary cuts,
 * becomes a piece named after its first statement, with the comments
 * above it. Blank lines and comments alone make none.
 */
static void add_piece(struct gaps *g, size_t start, size_t end)
{
	struct wfm_buf name = WFM_BUF_INIT;
	struct wfm_def *d;
	size_t s = start, e = end, code;
	TSNode first;

	while (s < e && isspace((unsigned char)g->text[s]))
		s++;
	code = s;
	for (;;) {
		while (s < e && isspace((unsigned char)g->text[s]))
			s++;
		if (s == e)
			return;
		first = node_at(g->root, s);
		if (!wfm_lang_is_comment(g->lang, ts_node_type(first)))
			break;
		s = ts_node_end_byte(first);
	}
	while (e > s && isspace((unsigned char)g->text[e - 1]))
		e--;
	e = wfm_line_end(g->text, g->len, e);
	if (e > end)
		e = end;
	WFM_ALLOC_GROW(g->pieces.v, g->pieces.nr + 1, g->pieces.alloc);
	d = &g->pieces.v[g->pieces.nr++];
	code = wfm_line_start(g->text, code);
	d->start = (uint32_t)(code > start ? code : start);
	d->end = (uint32_t)e;
	d->node = first;
	d->packed = 0;
	d->join = joins(g, first, s, e);
	d->kind = "code";
	name_of(&name, g->text, d->node, 0);
	if (!name.len || is_keyword(name.ptr)) {
		/* nothing to name it by: its first line ("local int f OF((") */
		const char *nl = memchr(g->text + s, '\n', e - s);

		wfm_buf_clear(&name);
		wfm_text_add_squeezed(&name, g->text, s, nl ? (size_t)(nl - g->text) : e, 60);
		wfm_buf_rtrim(&name);
	}
	if (!name.len || is_keyword(name.ptr)) { /* a line of "static": what the grammar says */
		wfm_buf_clear(&name);
		wfm_buf_adds(&name, ts_node_type(first));
	}
	d->name = valid_name(&name);
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

/*
 * A statement begins at the line of n (with the comments right above it);
 * so do those inside it when it holds definitions (#ifdef branches, a
 * namespace, a Python if TYPE_CHECKING:).
 */
static void add_bound(void *ctx, TSNode n, uint32_t start)
{
	struct gaps *g = ctx;

	WFM_ALLOC_GROW(g->bounds.v, g->bounds.nr + 1, g->bounds.alloc);
	g->bounds.v[g->bounds.nr++] = wfm_line_start(g->text, start);
	if (g->depth < 64 && wfm_lang_is_container(g->lang, ts_node_type(n)) &&
	    def_between(g->defs, ts_node_start_byte(n), ts_node_end_byte(n))) {
		g->depth++;
		wfm_lang_each_member(g->lang, n, add_bound, g);
		g->depth--;
	}
}

static int cmp_off(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

/* Cuts the gap [start, end) between two definitions at the statement bounds inside. */
static void add_gap(struct gaps *g, size_t start, size_t end, size_t *bi)
{
	while (*bi < g->bounds.nr && g->bounds.v[*bi] <= start)
		(*bi)++;
	for (; *bi < g->bounds.nr && g->bounds.v[*bi] < end; (*bi)++) {
		add_piece(g, start, g->bounds.v[*bi]);
		start = g->bounds.v[*bi];
	}
	add_piece(g, start, end);
}

static int is_small(const struct gaps *g, const struct wfm_def *d)
{
	return lines_in(g->text, d->start, d->end) <= SMALL_LINES;
}

/* Neighbouring small pieces become one, named after its first. */
static void pack_small(struct gaps *g)
{
	size_t n = 0;

	for (size_t i = 0; i < g->pieces.nr; i++) {
		struct wfm_def *d = &g->pieces.v[i], *prev = n ? &g->pieces.v[n - 1] : NULL;

		if (prev && !prev->join && !d->join && is_small(g, d) && prev->end <= d->start &&
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

static int only_space(const char *text, size_t s, size_t e)
{
	for (; s < e; s++)
		if (!isspace((unsigned char)text[s]))
			return 0;
	return 1;
}

/* Pieces that only open or close what holds a neighbour join it, when nothing but blank lines is
 * between. */
static void join_neighbours(struct wfm_defs *defs, const char *text)
{
	size_t n = 0;

	for (size_t i = 0; i < defs->nr; i++) {
		struct wfm_def *d = &defs->v[i], *prev = n ? &defs->v[n - 1] : NULL;
		struct wfm_def *next = i + 1 < defs->nr ? &defs->v[i + 1] : NULL;

		if (d->join < 0 && prev && only_space(text, prev->end, d->start)) {
			prev->end = d->end;
		} else if (d->join > 0 && next && only_space(text, d->end, next->start)) {
			next->start = d->start;
		} else {
			defs->v[n++] = *d;
			continue;
		}
		free(d->name);
	}
	defs->nr = n;
}

void wfm_stmts_find(struct wfm_defs *defs, enum wfm_lang lang, TSNode root, const char *text,
		    size_t len)
{
	struct gaps g = { lang, text, len, root, defs, WFM_OFFSETS_INIT, 0, WFM_DEFS_INIT };
	size_t pos = 0, bi = 0;

	wfm_lang_each_member(lang, root, add_bound, &g);
	qsort(g.bounds.v, g.bounds.nr, sizeof(*g.bounds.v), cmp_off);
	for (size_t i = 0; i <= defs->nr; i++) {
		size_t end = i < defs->nr ? defs->v[i].start : len;

		if (end > pos)
			add_gap(&g, pos, end, &bi);
		if (i < defs->nr && defs->v[i].end > pos)
			pos = defs->v[i].end;
	}
	pack_small(&g);
	if (!defs->nr && g.pieces.nr < 2) { /* one statement, or none: the file is one unit */
		for (size_t i = 0; i < g.pieces.nr; i++)
			free(g.pieces.v[i].name);
		g.pieces.nr = 0;
	}
	if (g.pieces.nr) {
		WFM_ALLOC_GROW(defs->v, defs->nr + g.pieces.nr, defs->alloc);
		memcpy(defs->v + defs->nr, g.pieces.v, g.pieces.nr * sizeof(*g.pieces.v));
		defs->nr += g.pieces.nr;
		qsort(defs->v, defs->nr, sizeof(*defs->v), cmp_start);
		join_neighbours(defs, text);
	}
	free(g.pieces.v);
	free(g.bounds.v);
}
