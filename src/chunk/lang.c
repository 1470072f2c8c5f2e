/*
 * The language tables: extensions, grammars, which nodes are
 * definitions and how each one's name is found. docs/chunk.md lists the
 * kinds per language; keep it in step with the rules below.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/utf8.h"
#include "chunk/chunk_priv.h"

const TSLanguage *tree_sitter_c(void);
const TSLanguage *tree_sitter_cpp(void);
const TSLanguage *tree_sitter_python(void);
const TSLanguage *tree_sitter_javascript(void);
const TSLanguage *tree_sitter_typescript(void);
const TSLanguage *tree_sitter_tsx(void);
const TSLanguage *tree_sitter_go(void);
const TSLanguage *tree_sitter_rust(void);
const TSLanguage *tree_sitter_java(void);

/* How the name of a definition is found. */
enum how {
	NAME_FIELD,	  /* the "name" field */
	NAME_DECLARATOR,  /* the identifier at the end of the "declarator" chain (C, C++) */
	NAME_TAGGED,	  /* "struct s {...} x;": the tag, or the declarator without one */
	NAME_GO_METHOD,	  /* "Receiver.Name" */
	NAME_GO_TYPE,	  /* a type_spec: the name; the kind from the type */
	NAME_RUST_IMPL,	  /* "Type", or "Trait for Type" */
	NAME_JS_VAR,	  /* "const f = () => ...": the first declarator holding a function */
	NAME_JS_ASSIGN,	  /* "a.b = function () ...", "module.exports = ...": the left side */
	NAME_MACRO_BLOCK, /* "TEST(a, b) {...}" the grammar did not see as a function (C, C++) */
};

enum {
	R_BODY = 1 << 0,      /* a definition only with a "body" (not a forward declaration) */
	R_CONTAINER = 1 << 1, /* definitions inside are looked for (preprocessor branches...) */
	R_WRAPPER = 1 << 2,   /* the definition inside gives kind and name; the unit is this node */
	R_GROUP = 1 << 3,     /* a wrapper when it holds one definition, a container otherwise */
	R_NAMESPACE = 1 << 4, /* a container whose name qualifies the names inside ("ns::f") */
	R_EXPORT = 1 << 5,    /* a wrapper in which R_EXPORTED rules apply */
	R_EXPORTED = 1 << 6,  /* only directly in an R_EXPORT wrapper; unnamed means "default" */
};

struct rule {
	const char *type;
	const char *kind; /* NULL when the name finder decides */
	enum how how;
	unsigned flags;
};

struct lang_info {
	const char *name;
	const TSLanguage *(*grammar)(void);
	const char *const *exts;
	const char *const *comments; /* attached to the definition right below them */
	const struct rule *rules;
	const struct rule *base; /* the rules of the language this one extends, or NULL */
};

/* clang-format off */
#define END_RULE { NULL, NULL, 0, 0 }
/* clang-format on */

static const struct rule c_rules[] = {
	{ "function_definition", "function", NAME_DECLARATOR, 0 },
	{ "struct_specifier", "struct", NAME_FIELD, R_BODY },
	{ "union_specifier", "union", NAME_FIELD, R_BODY },
	{ "enum_specifier", "enum", NAME_FIELD, R_BODY },
	{ "declaration", NULL, NAME_TAGGED, 0 },
	{ "type_definition", "typedef", NAME_DECLARATOR, 0 },
	{ "preproc_function_def", "macro", NAME_FIELD, 0 },
	/* TEST(a, enum) {...}: a call missing its ';', then a block */
	{ "expression_statement", NULL, NAME_MACRO_BLOCK, 0 },
	{ "preproc_if", NULL, 0, R_CONTAINER },
	{ "preproc_ifdef", NULL, 0, R_CONTAINER },
	{ "preproc_else", NULL, 0, R_CONTAINER },
	{ "preproc_elif", NULL, 0, R_CONTAINER },
	{ "preproc_elifdef", NULL, 0, R_CONTAINER },
	/* a C header's "#ifdef __cplusplus extern "C" {": the C grammar knows it too */
	{ "linkage_specification", NULL, 0, R_CONTAINER },
	{ "declaration_list", NULL, 0, R_CONTAINER },
	{ "ERROR", NULL, 0, R_CONTAINER },
	END_RULE,
};

/* C++: these, then the C rules */
static const struct rule cpp_rules[] = {
	{ "class_specifier", "class", NAME_FIELD, R_BODY },
	{ "alias_declaration", "type", NAME_FIELD, 0 },
	{ "concept_definition", "concept", NAME_FIELD, 0 },
	{ "template_declaration", NULL, 0, R_WRAPPER },
	{ "namespace_definition", NULL, 0, R_CONTAINER | R_NAMESPACE },
	END_RULE,
};

static const struct rule python_rules[] = {
	{ "function_definition", "function", NAME_FIELD, 0 },
	{ "class_definition", "class", NAME_FIELD, 0 },
	{ "decorated_definition", NULL, 0, R_WRAPPER },
	/* if TYPE_CHECKING:, try: ... except ImportError: */
	{ "if_statement", NULL, 0, R_CONTAINER },
	{ "elif_clause", NULL, 0, R_CONTAINER },
	{ "else_clause", NULL, 0, R_CONTAINER },
	{ "try_statement", NULL, 0, R_CONTAINER },
	{ "except_clause", NULL, 0, R_CONTAINER },
	{ "except_group_clause", NULL, 0, R_CONTAINER },
	{ "finally_clause", NULL, 0, R_CONTAINER },
	{ "block", NULL, 0, R_CONTAINER },
	{ "ERROR", NULL, 0, R_CONTAINER },
	END_RULE,
};

static const struct rule js_rules[] = {
	{ "function_declaration", "function", NAME_FIELD, 0 },
	{ "generator_function_declaration", "function", NAME_FIELD, 0 },
	{ "class_declaration", "class", NAME_FIELD, 0 },
	{ "lexical_declaration", NULL, NAME_JS_VAR, 0 },
	{ "variable_declaration", NULL, NAME_JS_VAR, 0 },
	{ "assignment_expression", NULL, NAME_JS_ASSIGN, 0 },
	{ "export_statement", NULL, 0, R_WRAPPER | R_EXPORT },
	{ "expression_statement", NULL, 0, R_WRAPPER },
	{ "class", "class", NAME_FIELD, R_EXPORTED },
	{ "function_expression", "function", NAME_FIELD, R_EXPORTED },
	{ "function", "function", NAME_FIELD, R_EXPORTED },
	{ "arrow_function", "function", NAME_FIELD, R_EXPORTED },
	{ "ERROR", NULL, 0, R_CONTAINER },
	END_RULE,
};

/* TypeScript and TSX: these, then the JavaScript rules */
static const struct rule ts_rules[] = {
	{ "abstract_class_declaration", "class", NAME_FIELD, 0 },
	{ "interface_declaration", "interface", NAME_FIELD, 0 },
	{ "type_alias_declaration", "type", NAME_FIELD, 0 },
	{ "enum_declaration", "enum", NAME_FIELD, 0 },
	{ "internal_module", "namespace", NAME_FIELD, 0 },
	{ "module", "namespace", NAME_FIELD, 0 },
	{ "ambient_declaration", NULL, 0, R_WRAPPER },
	END_RULE,
};

static const struct rule go_rules[] = {
	{ "function_declaration", "function", NAME_FIELD, 0 },
	{ "method_declaration", "method", NAME_GO_METHOD, 0 },
	{ "type_declaration", NULL, 0, R_GROUP },
	{ "type_spec", NULL, NAME_GO_TYPE, 0 },
	{ "type_alias", "type", NAME_FIELD, 0 },
	{ "ERROR", NULL, 0, R_CONTAINER },
	END_RULE,
};

static const struct rule rust_rules[] = {
	{ "function_item", "function", NAME_FIELD, 0 },
	{ "struct_item", "struct", NAME_FIELD, 0 },
	{ "enum_item", "enum", NAME_FIELD, 0 },
	{ "union_item", "union", NAME_FIELD, 0 },
	{ "type_item", "type", NAME_FIELD, 0 },
	{ "trait_item", "trait", NAME_FIELD, 0 },
	{ "impl_item", "impl", NAME_RUST_IMPL, 0 },
	{ "mod_item", "module", NAME_FIELD, R_BODY },
	{ "macro_definition", "macro", NAME_FIELD, 0 },
	{ "ERROR", NULL, 0, R_CONTAINER },
	END_RULE,
};

static const struct rule java_rules[] = {
	{ "class_declaration", "class", NAME_FIELD, 0 },
	{ "interface_declaration", "interface", NAME_FIELD, 0 },
	{ "enum_declaration", "enum", NAME_FIELD, 0 },
	{ "record_declaration", "record", NAME_FIELD, 0 },
	{ "annotation_type_declaration", "annotation", NAME_FIELD, 0 },
	{ "ERROR", NULL, 0, R_CONTAINER },
	END_RULE,
};

static const char *const c_exts[] = { "c", "h", NULL };
static const char *const cpp_exts[] = { "cc", "cpp", "cxx", "hpp", "hh", "hxx", NULL };
static const char *const python_exts[] = { "py", "pyi", NULL };
static const char *const js_exts[] = { "js", "mjs", "cjs", "jsx", NULL };
static const char *const ts_exts[] = { "ts", "mts", "cts", NULL };
static const char *const tsx_exts[] = { "tsx", NULL };
static const char *const go_exts[] = { "go", NULL };
static const char *const rust_exts[] = { "rs", NULL };
static const char *const java_exts[] = { "java", NULL };
static const char *const no_exts[] = { NULL };

static const char *const hash_comments[] = { "comment", NULL };
static const char *const rust_comments[] = { "line_comment", "block_comment", "attribute_item",
					     NULL };
static const char *const java_comments[] = { "line_comment", "block_comment", NULL };

static const struct lang_info langs[WFM_LANG__COUNT] = {
	[WFM_LANG_OTHER] = { "other", NULL, no_exts, NULL, NULL, NULL },
	[WFM_LANG_C] = { "c", tree_sitter_c, c_exts, hash_comments, c_rules, NULL },
	[WFM_LANG_CPP] = { "cpp", tree_sitter_cpp, cpp_exts, hash_comments, cpp_rules, c_rules },
	[WFM_LANG_PYTHON] = { "python", tree_sitter_python, python_exts, hash_comments,
			      python_rules, NULL },
	[WFM_LANG_JAVASCRIPT] = { "javascript", tree_sitter_javascript, js_exts, hash_comments,
				  js_rules, NULL },
	[WFM_LANG_TYPESCRIPT] = { "typescript", tree_sitter_typescript, ts_exts, hash_comments,
				  ts_rules, js_rules },
	[WFM_LANG_TSX] = { "tsx", tree_sitter_tsx, tsx_exts, hash_comments, ts_rules, js_rules },
	[WFM_LANG_GO] = { "go", tree_sitter_go, go_exts, hash_comments, go_rules, NULL },
	[WFM_LANG_RUST] = { "rust", tree_sitter_rust, rust_exts, rust_comments, rust_rules, NULL },
	[WFM_LANG_JAVA] = { "java", tree_sitter_java, java_exts, java_comments, java_rules, NULL },
};

const char *wfm_lang_name(enum wfm_lang lang)
{
	if (lang < 0 || lang >= WFM_LANG__COUNT)
		return "any";
	return langs[lang].name;
}

const char *wfm_lang_names(void)
{
	return "c, cpp, python, javascript, typescript, tsx, go, rust, java, other";
}

int wfm_lang_from_name(enum wfm_lang *out, const char *name)
{
	for (int i = 0; i < WFM_LANG__COUNT; i++)
		if (!strcmp(langs[i].name, name)) {
			*out = (enum wfm_lang)i;
			return 0;
		}
	return wfm_error_setc(WFM_EINVALID, "unknown language '%s' (valid: %s)", name,
			      wfm_lang_names());
}

enum wfm_lang wfm_lang_of_path(const char *path)
{
	const char *base = strrchr(path, '/');
	const char *dot;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	if (!dot || dot == base)
		return WFM_LANG_OTHER; /* no extension, or a dot file such as ".c" */
	for (int i = 0; i < WFM_LANG__COUNT; i++)
		for (const char *const *e = langs[i].exts; *e; e++)
			if (!strcmp(dot + 1, *e))
				return (enum wfm_lang)i;
	return WFM_LANG_OTHER;
}

const TSLanguage *wfm_lang_grammar(enum wfm_lang lang)
{
	if (lang <= WFM_LANG_OTHER || lang >= WFM_LANG__COUNT)
		return NULL;
	return langs[lang].grammar();
}

int wfm_lang_check(enum wfm_lang lang)
{
	const TSLanguage *g = wfm_lang_grammar(lang);
	TSParser *parser;
	TSTree *tree;
	uint32_t abi;

	if (!g)
		return wfm_error_set("no grammar for '%s'", wfm_lang_name(lang));
	abi = ts_language_version(g);
	if (abi < TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION || abi > TREE_SITTER_LANGUAGE_VERSION)
		return wfm_error_set("the %s grammar has ABI %u; this tree-sitter library loads %d "
				     "to %d",
				     langs[lang].name, abi,
				     TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION,
				     TREE_SITTER_LANGUAGE_VERSION);
	parser = ts_parser_new();
	if (!ts_parser_set_language(parser, g)) {
		ts_parser_delete(parser);
		return wfm_error_set("tree-sitter refuses the %s grammar", langs[lang].name);
	}
	tree = ts_parser_parse_string(parser, NULL, "x\n", 2);
	ts_parser_delete(parser);
	if (!tree)
		return wfm_error_set("the %s grammar parses nothing", langs[lang].name);
	ts_tree_delete(tree);
	return 0;
}

static int is_comment(const struct lang_info *li, const char *type);

int wfm_lang_is_comment(enum wfm_lang lang, const char *type)
{
	return lang > WFM_LANG_OTHER && lang < WFM_LANG__COUNT && is_comment(&langs[lang], type);
}

static const struct rule *rule_for(const struct lang_info *li, const char *type);

int wfm_lang_is_container(enum wfm_lang lang, const char *type)
{
	const struct rule *r;

	if (lang <= WFM_LANG_OTHER || lang >= WFM_LANG__COUNT)
		return 0;
	r = rule_for(&langs[lang], type);
	return r && (r->flags & R_CONTAINER);
}

static void each_member(const struct lang_info *li, TSNode parent, wfm_member_fn fn, void *ctx);

void wfm_lang_each_member(enum wfm_lang lang, TSNode parent, wfm_member_fn fn, void *ctx)
{
	if (lang > WFM_LANG_OTHER && lang < WFM_LANG__COUNT)
		each_member(&langs[lang], parent, fn, ctx);
}

/* ---- walking siblings -------------------------------------------------- */

static int is_comment(const struct lang_info *li, const char *type)
{
	for (const char *const *c = li->comments; c && *c; c++)
		if (!strcmp(type, *c))
			return 1;
	return 0;
}

/* The last row a node has text on (a node ending at column 0 ends on the row before). */
static uint32_t last_row(TSNode n)
{
	TSPoint s = ts_node_start_point(n), e = ts_node_end_point(n);
	return e.column == 0 && e.row > s.row ? e.row - 1 : e.row;
}

static void each_member(const struct lang_info *li, TSNode parent, wfm_member_fn fn, void *ctx)
{
	TSTreeCursor cur = ts_tree_cursor_new(parent);
	int run = 0, have_prev = 0;
	uint32_t run_start = 0, run_end_row = 0, prev_row = 0;

	if (!ts_tree_cursor_goto_first_child(&cur))
		goto done;
	do {
		TSNode c = ts_tree_cursor_current_node(&cur);
		uint32_t row = ts_node_start_point(c).row;

		if (!ts_node_is_named(c))
			continue;
		if (is_comment(li, ts_node_type(c))) {
			if (run && row <= run_end_row + 1) {
				run_end_row = last_row(c);
			} else if (!have_prev || row > prev_row) {
				run = 1;
				run_start = ts_node_start_byte(c);
				run_end_row = last_row(c);
			} else {
				run = 0; /* a comment trailing the previous line */
			}
			continue;
		}
		fn(ctx, c, run && run_end_row + 1 >= row ? run_start : ts_node_start_byte(c));
		run = 0;
		have_prev = 1;
		prev_row = last_row(c);
	} while (ts_tree_cursor_goto_next_sibling(&cur));
done:
	ts_tree_cursor_delete(&cur);
}

/* ---- names ---------------------------------------------------------------- */

#define NAME_MAX_BYTES 200

struct finder {
	const struct lang_info *li;
	const char *text;
	size_t len;
	struct wfm_defs *out;
	struct wfm_buf qual; /* "ns::" prefixes of the enclosing C++ namespaces */
	unsigned depth;	     /* containers entered */
	unsigned wrap;	     /* wrappers entered */
	uint32_t end;	     /* where the definition described ends, when not with its node */
};

static const struct rule *rule_for(const struct lang_info *li, const char *type)
{
	for (const struct rule *r = li->rules; r->type; r++)
		if (!strcmp(r->type, type))
			return r;
	for (const struct rule *r = li->base; r && r->type; r++)
		if (!strcmp(r->type, type))
			return r;
	return NULL;
}

static TSNode field(TSNode n, const char *name)
{
	return ts_node_child_by_field_name(n, name, (uint32_t)strlen(name));
}

/* Appends the node's text with runs of white space made one space, at most NAME_MAX_BYTES. */
static void add_text(struct wfm_buf *b, const struct finder *f, TSNode n)
{
	uint32_t s = ts_node_start_byte(n), e = ts_node_end_byte(n);

	if (!strcmp(ts_node_type(n), "string") && e - s >= 2)
		s++, e--; /* declare module "foo" */
	wfm_text_add_squeezed(b, f->text, s, e < f->len ? e : (uint32_t)f->len, NAME_MAX_BYTES);
}

/* The innermost declarator: the name of a function or typedef. */
static TSNode declarator_name(TSNode n)
{
	for (int guard = 0; !ts_node_is_null(n) && guard < 32; guard++) {
		const char *t = ts_node_type(n);
		size_t tl = strlen(t);
		TSNode next;

		if (tl < 11 || strcmp(t + tl - 11, "_declarator"))
			return n;
		next = field(n, "declarator");
		if (ts_node_is_null(next))
			next = ts_node_named_child(n, 0);
		n = next;
	}
	return (TSNode){ 0 };
}

static int is_function_value(const char *t)
{
	return !strcmp(t, "arrow_function") || !strcmp(t, "function_expression") ||
	       !strcmp(t, "function") || !strcmp(t, "generator_function") || !strcmp(t, "class");
}

static const char *kind_of_value(const char *t)
{
	return !strcmp(t, "class") ? "class" : "function";
}

/* The type a Go method is declared on: "(s *Server)" → "Server". */
static TSNode go_receiver_type(TSNode method)
{
	TSNode params = field(method, "receiver"), p, t;

	if (ts_node_is_null(params) || !ts_node_named_child_count(params))
		return (TSNode){ 0 };
	p = ts_node_named_child(params, 0);
	t = field(p, "type");
	for (int guard = 0; !ts_node_is_null(t) && guard < 8; guard++) {
		const char *ty = ts_node_type(t);
		if (!strcmp(ty, "pointer_type") || !strcmp(ty, "parenthesized_type"))
			t = ts_node_named_child(t, 0);
		else if (!strcmp(ty, "generic_type"))
			t = field(t, "type");
		else
			break;
	}
	return t;
}

/* ---- functions a macro defines: TEST(Suite, Name) { ... } ---------------- */

/*
 * A function_definition with no return type whose declarator is a macro
 * call: "TEST(a, b) {" (C++), "BOOST_AUTO_TEST_CASE(t) {" (C: a type and a
 * parenthesised name).
 */
static int macro_function(struct finder *f, TSNode n, const char **kind, struct wfm_buf *name)
{
	TSNode type = field(n, "type"), d = field(n, "declarator");

	if (ts_node_is_null(d))
		return 0;
	if (ts_node_is_null(type) && !strcmp(ts_node_type(d), "function_declarator"))
		return wfm_macro_def(kind, name, field(d, "declarator"), field(d, "parameters"),
				     f->text, NAME_MAX_BYTES);
	if (!ts_node_is_null(type) && !strcmp(ts_node_type(d), "parenthesized_declarator"))
		return wfm_macro_def(kind, name, type, d, f->text, NAME_MAX_BYTES);
	return 0;
}

/*
 * "TEST(a, enum) {...}" and Catch2's "TEST_CASE("adds") {...}" are no
 * function to the grammar: a call statement missing its ';', then a block
 * (f->end becomes the block's end).
 */
static int macro_block(struct finder *f, TSNode n, const char **kind, struct wfm_buf *name)
{
	TSNode call = ts_node_named_child(n, 0), next;
	uint32_t cnt = ts_node_child_count(n), e;

	if (ts_node_is_null(call) || strcmp(ts_node_type(call), "call_expression"))
		return 0;
	for (uint32_t i = 0; i < cnt; i++) {
		TSNode c = ts_node_child(n, i);
		if (!strcmp(ts_node_type(c), ";") && !ts_node_is_missing(c))
			return 0;
	}
	next = ts_node_next_named_sibling(n);
	if (ts_node_is_null(next) || strcmp(ts_node_type(next), "compound_statement"))
		return 0;
	for (e = ts_node_end_byte(call); e < ts_node_start_byte(next); e++) {
		char c = f->text[e];
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
			return 0;
	}
	if (!wfm_macro_def(kind, name, field(call, "function"), field(call, "arguments"), f->text,
			   NAME_MAX_BYTES))
		return 0;
	f->end = ts_node_end_byte(next);
	return 1;
}

static int describe(struct finder *f, TSNode n, const struct rule *r, int in_export,
		    const char **kind, struct wfm_buf *name);

/* A wrapper's definition: the first named child that is one. */
static int describe_inner(struct finder *f, TSNode n, int in_export, const char **kind,
			  struct wfm_buf *name, int *count)
{
	TSTreeCursor cur = ts_tree_cursor_new(n);
	int found = 0;

	*count = 0;
	if (ts_tree_cursor_goto_first_child(&cur)) {
		do {
			TSNode c = ts_tree_cursor_current_node(&cur);
			const struct rule *r;
			const char *k = NULL;
			struct wfm_buf nm = WFM_BUF_INIT;

			if (!ts_node_is_named(c) || !(r = rule_for(f->li, ts_node_type(c))) ||
			    (r->flags & R_CONTAINER))
				continue;
			if (describe(f, c, r, in_export, &k, &nm)) {
				if (!found) {
					*kind = k;
					wfm_buf_add(name, nm.ptr, nm.len);
				}
				found = 1;
				(*count)++;
			}
			wfm_buf_release(&nm);
		} while (ts_tree_cursor_goto_next_sibling(&cur));
	}
	ts_tree_cursor_delete(&cur);
	return found;
}

/*
 * Whether n (matched by rule r) is a definition; if so its kind and name
 * (without namespace qualification).
 */
static int describe(struct finder *f, TSNode n, const struct rule *r, int in_export,
		    const char **kind, struct wfm_buf *name)
{
	TSNode t, u;
	int count, ret = 0;

	if (f->wrap > 16)
		return 0;
	if ((r->flags & R_EXPORTED) && !in_export)
		return 0;
	if ((r->flags & R_BODY) && ts_node_is_null(field(n, "body")))
		return 0;
	if (r->flags & (R_WRAPPER | R_GROUP)) {
		f->wrap++;
		ret = describe_inner(f, n, !!(r->flags & R_EXPORT), kind, name, &count);
		f->wrap--;
		if (!ret && (r->flags & R_EXPORT) && !ts_node_is_null(field(n, "value"))) {
			*kind = "export"; /* export default { ... }: a component, a config */
			wfm_buf_adds(name, "default");
			return 1;
		}
		return (r->flags & R_GROUP) ? ret && count == 1 : ret;
	}
	*kind = r->kind;
	switch (r->how) {
	case NAME_FIELD:
		t = field(n, "name");
		if (!ts_node_is_null(t))
			add_text(name, f, t);
		else if (r->flags & R_EXPORTED)
			wfm_buf_adds(name, "default");
		return 1;
	case NAME_DECLARATOR:
		if (!strcmp(r->type, "function_definition") && macro_function(f, n, kind, name))
			return 1;
		t = declarator_name(field(n, "declarator"));
		if (ts_node_is_null(t))
			return 1;
		if (!strcmp(ts_node_type(t), "qualified_identifier"))
			*kind = "method"; /* Foo::bar: a class and a namespace look the same */
		add_text(name, f, t);
		return 1;
	case NAME_TAGGED:
		t = field(n, "type");
		if (ts_node_is_null(t) || ts_node_is_null(field(t, "body")))
			return 0;
		if (!strcmp(ts_node_type(t), "struct_specifier"))
			*kind = "struct";
		else if (!strcmp(ts_node_type(t), "union_specifier"))
			*kind = "union";
		else if (!strcmp(ts_node_type(t), "enum_specifier"))
			*kind = "enum";
		else if (!strcmp(ts_node_type(t), "class_specifier"))
			*kind = "class";
		else
			return 0;
		u = field(t, "name");
		if (ts_node_is_null(u))
			u = declarator_name(field(n, "declarator"));
		if (!ts_node_is_null(u))
			add_text(name, f, u);
		return 1;
	case NAME_MACRO_BLOCK:
		return macro_block(f, n, kind, name);
	case NAME_GO_METHOD:
		t = go_receiver_type(n);
		if (!ts_node_is_null(t)) {
			add_text(name, f, t);
			wfm_buf_addch(name, '.');
		}
		t = field(n, "name");
		if (!ts_node_is_null(t))
			add_text(name, f, t);
		return 1;
	case NAME_GO_TYPE:
		t = field(n, "type");
		*kind = "type";
		if (!ts_node_is_null(t) && !strcmp(ts_node_type(t), "struct_type"))
			*kind = "struct";
		else if (!ts_node_is_null(t) && !strcmp(ts_node_type(t), "interface_type"))
			*kind = "interface";
		t = field(n, "name");
		if (!ts_node_is_null(t))
			add_text(name, f, t);
		return 1;
	case NAME_RUST_IMPL:
		t = field(n, "trait");
		if (!ts_node_is_null(t)) {
			add_text(name, f, t);
			wfm_buf_adds(name, " for ");
		}
		t = field(n, "type");
		if (!ts_node_is_null(t))
			add_text(name, f, t);
		return 1;
	case NAME_JS_VAR: {
		TSTreeCursor cur = ts_tree_cursor_new(n);
		if (ts_tree_cursor_goto_first_child(&cur)) {
			do {
				TSNode d = ts_tree_cursor_current_node(&cur);
				if (strcmp(ts_node_type(d), "variable_declarator"))
					continue;
				t = field(d, "value");
				u = field(d, "name");
				if (ts_node_is_null(t) || ts_node_is_null(u) ||
				    !is_function_value(ts_node_type(t)))
					continue;
				*kind = kind_of_value(ts_node_type(t));
				add_text(name, f, u);
				ret = 1;
				break;
			} while (ts_tree_cursor_goto_next_sibling(&cur));
		}
		ts_tree_cursor_delete(&cur);
		return ret;
	}
	case NAME_JS_ASSIGN:
		t = field(n, "right");
		u = field(n, "left");
		if (ts_node_is_null(t) || ts_node_is_null(u))
			return 0;
		add_text(name, f, u);
		if (is_function_value(ts_node_type(t)))
			*kind = kind_of_value(ts_node_type(t));
		else if (!strcmp(name->ptr, "module.exports"))
			*kind = "export"; /* module.exports = { ... } */
		else
			return 0;
		return 1;
	}
	return 0;
}

/* ---- finding definitions -------------------------------------------------- */

static void find_in(struct finder *f, TSNode container);

static void add_def(struct finder *f, TSNode n, uint32_t start, const char *kind,
		    struct wfm_buf *name)
{
	struct wfm_buf full = WFM_BUF_INIT;
	struct wfm_def *d;

	wfm_buf_add(&full, f->qual.ptr, f->qual.len);
	wfm_buf_add(&full, name->ptr, name->len);
	WFM_ALLOC_GROW(f->out->v, f->out->nr + 1, f->out->alloc);
	d = &f->out->v[f->out->nr++];
	d->start = start;
	d->end = f->end ? f->end : ts_node_end_byte(n);
	d->node = n;
	d->kind = kind;
	d->packed = 0;
	d->join = 0;
	if (wfm_utf8_valid(full.ptr, full.len)) {
		d->name = wfm_buf_detach(&full, NULL);
	} else {
		struct wfm_buf clean = WFM_BUF_INIT;
		wfm_utf8_lossy(&clean, full.ptr, full.len);
		d->name = wfm_buf_detach(&clean, NULL);
	}
	wfm_buf_release(&full);
}

static void visit_member(void *ctx, TSNode c, uint32_t start)
{
	struct finder *f = ctx;
	const struct rule *r = rule_for(f->li, ts_node_type(c));
	const char *kind = NULL;
	struct wfm_buf name = WFM_BUF_INIT;

	f->end = 0;
	if (!r)
		return;
	if (r->flags & R_CONTAINER) {
		size_t qlen = f->qual.len;
		if (r->flags & R_NAMESPACE) {
			TSNode nm = field(c, "name");
			if (!ts_node_is_null(nm)) {
				add_text(&f->qual, f, nm);
				wfm_buf_adds(&f->qual, "::");
			}
			c = field(c, "body");
			if (ts_node_is_null(c))
				goto done;
		}
		find_in(f, c);
		wfm_buf_setlen(&f->qual, qlen);
		goto done;
	}
	if (describe(f, c, r, 0, &kind, &name))
		add_def(f, c, start, kind, &name);
	else if (r->flags & R_GROUP)
		find_in(f, c);
done:
	wfm_buf_release(&name);
}

static void find_in(struct finder *f, TSNode container)
{
	if (f->depth > 64)
		return; /* pathological nesting of preprocessor branches */
	f->depth++;
	each_member(f->li, container, visit_member, f);
	f->depth--;
}

/* The name of an overload signature n ("function f(a: A): R;"), maybe exported; else null. */
static TSNode overload_name(TSNode n)
{
	if (!strcmp(ts_node_type(n), "export_statement"))
		n = field(n, "declaration");
	if (ts_node_is_null(n) || strcmp(ts_node_type(n), "function_signature"))
		return (TSNode){ 0 };
	return field(n, "name");
}

/*
 * TypeScript overload signatures right above a function join its unit:
 * they are its declaration as much as its body is.
 */
static void join_overloads(struct finder *f, struct wfm_def *d)
{
	size_t nlen = strlen(d->name);

	if (strcmp(d->kind, "function"))
		return;
	for (TSNode p = ts_node_prev_named_sibling(d->node); !ts_node_is_null(p);
	     p = ts_node_prev_named_sibling(p)) {
		TSNode nm;

		if (is_comment(f->li, ts_node_type(p)))
			continue;
		nm = overload_name(p);
		if (ts_node_is_null(nm) || ts_node_end_byte(nm) - ts_node_start_byte(nm) != nlen ||
		    memcmp(f->text + ts_node_start_byte(nm), d->name, nlen))
			break;
		d->start = ts_node_start_byte(p);
	}
}

void wfm_defs_find(struct wfm_defs *out, enum wfm_lang lang, TSNode root, const char *text,
		   size_t len)
{
	struct finder f = { &langs[lang], text, len, out, WFM_BUF_INIT, 0, 0, 0 };
	size_t first = out->nr;

	if (lang <= WFM_LANG_OTHER || lang >= WFM_LANG__COUNT)
		return;
	find_in(&f, root);
	wfm_buf_release(&f.qual);
	if (lang == WFM_LANG_TYPESCRIPT || lang == WFM_LANG_TSX)
		for (size_t i = first; i < out->nr; i++)
			join_overloads(&f, &out->v[i]);

	/*
	 * Whole lines: from the start of the first line to past the newline
	 * of the last, except where a neighbour shares the line.
	 */
	for (size_t i = first; i < out->nr; i++) {
		struct wfm_def *d = &out->v[i];
		size_t s = wfm_line_start(text, d->start);
		size_t e = wfm_line_end(text, len, d->end);

		if (i > first && s < out->v[i - 1].end)
			s = d->start;
		if (i + 1 < out->nr && e > out->v[i + 1].start)
			e = d->end;
		d->start = (uint32_t)s;
		d->end = (uint32_t)e;
	}
}

void wfm_defs_release(struct wfm_defs *defs)
{
	for (size_t i = 0; i < defs->nr; i++)
		free(defs->v[i].name);
	free(defs->v);
	defs->v = NULL;
	defs->nr = defs->alloc = 0;
}

/* ---- signatures --------------------------------------------------------------- */

#define SIG_MAX_BYTES 60

/* The parameter or argument list of n or of a node a few levels inside it (not a body). */
static TSNode sig_node(TSNode n, int depth)
{
	static const char *const fields[] = { "parameters", "arguments" };
	uint32_t cnt;

	for (size_t i = 0; i < WFM_ARRAY_SIZE(fields); i++) {
		TSNode p = field(n, fields[i]);
		if (!ts_node_is_null(p))
			return p;
	}
	if (!depth)
		return (TSNode){ 0 };
	cnt = ts_node_child_count(n);
	for (uint32_t i = 0; i < cnt; i++) {
		const char *fname = ts_node_field_name_for_child(n, i);
		TSNode c = ts_node_child(n, i);
		TSNode p;

		if (!ts_node_is_named(c) || (fname && !strcmp(fname, "body")))
			continue;
		p = sig_node(c, depth - 1);
		if (!ts_node_is_null(p))
			return p;
	}
	return (TSNode){ 0 };
}

void wfm_def_signature(struct wfm_buf *out, const struct wfm_def *d, const char *text, size_t len)
{
	struct finder f = { NULL, text, len, NULL, WFM_BUF_INIT, 0, 0, 0 };
	struct wfm_buf raw = WFM_BUF_INIT;
	TSNode p;

	if (ts_node_is_null(d->node))
		return;
	p = sig_node(d->node, 3);
	if (ts_node_is_null(p))
		return;
	add_text(&raw, &f, p);
	if (raw.len > SIG_MAX_BYTES)
		wfm_buf_setlen(&raw, SIG_MAX_BYTES);
	wfm_utf8_lossy(out, raw.ptr, raw.len);
	wfm_buf_release(&raw);
}

/* ---- cut points ------------------------------------------------------------ */

struct cutter {
	const struct lang_info *li;
	const char *text;
	size_t start, end, max;
	struct wfm_cuts *out;
	unsigned depth;
};

static void visit_cuts(struct cutter *c, TSNode n, int is_root);

static void cut_member(void *ctx, TSNode m, uint32_t start)
{
	struct cutter *c = ctx;
	size_t off = wfm_line_start(c->text, start);

	if (off > c->start && off < c->end) {
		WFM_ALLOC_GROW(c->out->v, c->out->nr + 1, c->out->alloc);
		c->out->v[c->out->nr++] = (struct wfm_cut){ off, c->depth };
	}
	if (ts_node_end_byte(m) - ts_node_start_byte(m) > c->max && c->depth < 64)
		visit_cuts(c, m, 0);
}

/*
 * The node whose children are the members: the "body" field, else the
 * last named child while it spans several lines (a decorated or exported
 * definition, a declaration holding a function...).
 */
static TSNode body_of(TSNode n)
{
	for (int guard = 0; guard < 8; guard++) {
		TSNode b = field(n, "body");
		uint32_t cnt = ts_node_named_child_count(n);
		TSNode last;

		if (!ts_node_is_null(b))
			return b;
		if (!cnt)
			return n;
		last = ts_node_named_child(n, cnt - 1);
		if (ts_node_start_point(last).row == ts_node_end_point(last).row)
			return n;
		n = last;
	}
	return n;
}

static void visit_cuts(struct cutter *c, TSNode n, int is_root)
{
	c->depth++;
	each_member(c->li, is_root ? n : body_of(n), cut_member, c);
	c->depth--;
}

static int cmp_cut(const void *a, const void *b)
{
	const struct wfm_cut *x = a, *y = b;
	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->depth < y->depth ? -1 : x->depth > y->depth;
}

void wfm_cuts_find(struct wfm_cuts *out, enum wfm_lang lang, TSNode node, const char *text,
		   size_t len, size_t start, size_t end, size_t max)
{
	struct cutter c = { &langs[lang], text, start, end, max, out, 0 };
	size_t first = out->nr, n;

	if (lang <= WFM_LANG_OTHER || lang >= WFM_LANG__COUNT)
		return;
	visit_cuts(&c, node, ts_node_is_null(ts_node_parent(node)));
	if (out->nr == first)
		return;
	qsort(out->v + first, out->nr - first, sizeof(*out->v), cmp_cut);
	/* one cut per offset, the shallowest */
	n = first;
	for (size_t i = first; i < out->nr; i++)
		if (n == first || out->v[n - 1].off != out->v[i].off)
			out->v[n++] = out->v[i];
	out->nr = n;
}
