#ifndef WFM_CHUNK_CHUNK_PRIV_H
#define WFM_CHUNK_CHUNK_PRIV_H

/*
 * Shared by the files of src/chunk/ only: the tree-sitter side of the
 * chunker. src/chunk/ is the only place that includes tree_sitter/api.h.
 */
#include <tree_sitter/api.h>

#include "chunk/chunk.h"

/* ---- chunk.c ------------------------------------------------------------------ */

/* Frees what u owns and zeroes it. */
void wfm_unit_release(struct wfm_unit *u);

/* ---- lang.c: grammars and definition tables ---------------------------- */

/* The grammar of lang; NULL for WFM_LANG_OTHER. */
const TSLanguage *wfm_lang_grammar(enum wfm_lang lang);

/* A top-level definition found in a parsed file. */
struct wfm_def {
	uint32_t start, end; /* whole lines, with the comments attached above */
	TSNode node;	     /* the outermost node of the definition */
	const char *kind;    /* static */
	char *name;	     /* owned; valid UTF-8, never NULL */
	int packed;	     /* statements packed together, node the first: cut at the top level */
	int join;	     /* code that only opens (1) or closes (-1) what holds a neighbour */
};

struct wfm_defs {
	struct wfm_def *v;
	size_t nr;
	size_t alloc;
};

/* clang-format off */
#define WFM_DEFS_INIT { NULL, 0, 0 }
/* clang-format on */

/*
 * Appends the definitions of the tree under root (the whole file text
 * is text[0..len)) in file order. Their ranges do not overlap.
 */
void wfm_defs_find(struct wfm_defs *out, enum wfm_lang lang, TSNode root, const char *text,
		   size_t len);
void wfm_defs_release(struct wfm_defs *defs);

/*
 * Appends what tells apart definitions of one kind and name: the text of
 * the parameter list (a function) or argument list (a call), white space
 * collapsed, at most 60 bytes; nothing when the definition has neither.
 */
void wfm_def_signature(struct wfm_buf *out, const struct wfm_def *d, const char *text, size_t len);

/* Whether a node type of lang is a comment (or attached like one: Rust attributes). */
int wfm_lang_is_comment(enum wfm_lang lang, const char *type);
/* Whether definitions are looked for inside a node type of lang (#if branches, namespaces...). */
int wfm_lang_is_container(enum wfm_lang lang, const char *type);

typedef void (*wfm_member_fn)(void *ctx, TSNode node, uint32_t start);

/*
 * Calls fn for each named child of parent that is not a comment, with the
 * start of the comments directly above it (no blank line between, and
 * not trailing the line of the sibling before).
 */
void wfm_lang_each_member(enum wfm_lang lang, TSNode parent, wfm_member_fn fn, void *ctx);

/* ---- lang_map.c: the language of each file of a revision -------------------- */

struct wfm_repo;
struct wfm_tree_files;

struct wfm_lang_map {
	struct wfm_strvec globs; /* from git config wfmigrate.chunk.lang.<glob> */
	enum wfm_lang *langs;	 /* the language of each glob */
	size_t langs_alloc;
	int h_cpp; /* ".h" files are C++: the revision has more C++ sources than C ones */
};

/* clang-format off */
#define WFM_LANG_MAP_INIT { WFM_STRVEC_INIT, NULL, 0, 0 }
/* clang-format on */

/*
 * Reads the overrides from git config (WFM_EINVALID for an unknown
 * language) and, when files hold a ".h", decides whether headers are C++
 * from the revision's files: files themselves when all_files, else all
 * the files of rev.
 */
int wfm_lang_map_load(struct wfm_lang_map *map, struct wfm_repo *repo, const char *rev,
		      const struct wfm_tree_files *files, int all_files);
/* The language of path: the last matching override, else C++ for a header in a C++ revision, else
 * by extension. */
enum wfm_lang wfm_lang_map_of(const struct wfm_lang_map *map, const char *path);
void wfm_lang_map_release(struct wfm_lang_map *map);

/* ---- stmt.c: the code between definitions --------------------------------- */

/*
 * When defs (sorted, from wfm_defs_find) is not empty, adds units of kind
 * "code" for all the code in no definition: one per statement (top-level,
 * or inside a container that holds definitions: #ifdef, namespace), with
 * the comments right above it; neighbouring statements of at most two
 * lines packed into one; what only opens or closes what holds a
 * definition ("}  // namespace x", #ifdef, #else, #endif) joined to it.
 * Each is named from what it is (describe('router'), app.get('/users'),
 * module.exports, TYPE_CHECKING, <stdio.h>). Every byte of the file that
 * is neither white space nor comment ends up in some unit; defs stays
 * sorted and non-overlapping.
 */
void wfm_stmts_find(struct wfm_defs *defs, enum wfm_lang lang, TSNode root, const char *text,
		    size_t len);

/* A place where a unit may be split: a line start, and how deep in the unit it is. */
struct wfm_cut {
	size_t off;
	unsigned depth; /* 1: between members of the unit's body; 2: inside a member... */
};

struct wfm_cuts {
	struct wfm_cut *v;
	size_t nr;
	size_t alloc;
};

/* clang-format off */
#define WFM_CUTS_INIT { NULL, 0, 0 }
/* clang-format on */

/*
 * Appends the cut points inside (start, end) where nested definitions
 * and statements of node begin, sorted by offset. Members no larger
 * than max are not looked into.
 */
void wfm_cuts_find(struct wfm_cuts *out, enum wfm_lang lang, TSNode node, const char *text,
		   size_t len, size_t start, size_t end, size_t max);

/* ---- text.c: line numbers and UTF-8 ------------------------------------- */

struct wfm_lines {
	size_t *start; /* byte offset where each line begins */
	size_t nr;
	size_t alloc;
};

/* clang-format off */
#define WFM_LINES_INIT { NULL, 0, 0 }
/* clang-format on */

void wfm_lines_index(struct wfm_lines *out, const char *text, size_t len);

/* Appends text[start, end) with runs of white space made one space, until b holds max bytes. */
void wfm_text_add_squeezed(struct wfm_buf *b, const char *text, size_t start, size_t end,
			   size_t max);
void wfm_lines_release(struct wfm_lines *lines);
/* 0-based line holding byte off. */
uint32_t wfm_lines_of(const struct wfm_lines *lines, size_t off);
/* Sets u's start_line and end_line (1-based, inclusive) from its byte range. */
void wfm_unit_set_lines(struct wfm_unit *u, const struct wfm_lines *lines);
/* The start of the line holding off. */
size_t wfm_line_start(const char *text, size_t off);
/*
 * The end of the line where a range ending at end stops: end itself when
 * it follows a newline (or is 0 or len), else just past the next newline.
 */
size_t wfm_line_end(const char *text, size_t len, size_t end);

/* ---- preproc.c: definitions across preprocessor conditionals ------------- */

/*
 * Copies text[0..len) to out with every conditional directive (#if,
 * #ifdef, #ifndef, #elif, #else, #endif, with their continuation lines)
 * and every branch but the first of each conditional replaced by spaces
 * (newlines kept: offsets and lines do not change). Returns whether
 * anything was blanked.
 */
int wfm_preproc_first_branches(struct wfm_buf *out, const char *text, size_t len);

/*
 * Whether every line of text[s, e) that is not blank is a conditional
 * directive (or its continuation): 1 when they all open a conditional
 * (#if, #ifdef, #ifndef), -1 when one is an #elif, #else or #endif, 0 when
 * a line is something else.
 */
int wfm_preproc_conditionals(const char *text, size_t s, size_t e);

struct wfm_ranges;

/*
 * Appends the byte ranges of the top-level constructs (looking into
 * preprocessor conditionals and C++ namespaces) that have parse errors or
 * are a function holding a function definition, are or hold a function
 * definition or body, hold an #else or #elif line and are at most 256 KiB:
 * the only code worth a second parse. Around those in a namespace come its
 * head ("namespace a {") and its '}', so that names are qualified as in
 * the first parse.
 */
void wfm_preproc_ranges(struct wfm_ranges *out, TSNode root, const char *text);

/* Whether the constructs inside a C or C++ node of type t are looked at one by one. */
int wfm_c_is_scope(const char *t);

/*
 * Adds better's definitions to defs, dropping those of defs that overlap
 * one of them; both sorted, defs stays sorted. better is left empty (its
 * names move).
 */
void wfm_defs_prefer(struct wfm_defs *defs, struct wfm_defs *better);

/* ---- macros.c: annotation macros blanked before C and C++ are parsed ------ */

/* The macros to blank: built in, then git config wfmigrate.chunk.ignoreMacro. */
struct wfm_macros {
	struct wfm_strvec names; /* exact names, sorted */
	struct wfm_strvec globs; /* with '*'; only tried on macro-style names */
	int any_case;		 /* a name is not macro-style: every identifier is looked up */
};

/* clang-format off */
#define WFM_MACROS_INIT { WFM_STRVEC_INIT, WFM_STRVEC_INIT, 0 }
/* clang-format on */

/*
 * Fills m with the built-in list and the config entries of repo (none
 * when repo is NULL); WFM_EINVALID for an entry that is neither a name
 * nor a '*' glob of name characters.
 */
int wfm_macros_load(struct wfm_macros *m, struct wfm_repo *repo);
void wfm_macros_release(struct wfm_macros *m);

/*
 * Copies text[0..len) to out with each macro of m (a whole identifier,
 * not read as a value: "case X:", "= X", "X," stay) replaced by spaces,
 * and with it the parenthesised arguments that follow it on its line
 * (balanced, at most 4 KiB). Newlines are kept: offsets and lines do not
 * change. Preprocessor directives (with their continuation lines),
 * comments and string and character literals are left as they are.
 * Returns whether anything was blanked.
 */
int wfm_macros_blank(struct wfm_buf *out, const struct wfm_macros *m, const char *text, size_t len);

/*
 * Whether callee(args) — a call's function and arguments, or a
 * declarator and its parameters — is a macro that defines a function
 * ("TEST(Suite, Name) {...}"): callee an identifier in macro style (upper
 * case, digits, '_'). If so, *kind is "test" when the macro's name has TEST
 * or CASE in it, else "function"; name gets, from text, at most max bytes
 * of: the content of a string first argument (Catch2's TEST_CASE("adds",
 * "[math]"): adds); else the leading name arguments joined by '.'
 * (TEST(Suite, Name): Suite.Name) and, for a test, a string right after
 * them (TEST_CASE_METHOD(Fix, "adds"): Fix.adds); only the first name for
 * another macro (ACTION_P(Add, n): Add); else the macro's own name.
 */
int wfm_macro_def(const char **kind, struct wfm_buf *name, TSNode callee, TSNode args,
		  const char *text, size_t max);

/*
 * A line that holds only macros blanked in src (and blanks and comments)
 * is in no definition, since the parse saw nothing there: each such line
 * of text joins the definition above when a macro on it closes (END, CLOSE
 * or POP in its name: FMT_END_NAMESPACE), else the one below
 * (FMT_BEGIN_NAMESPACE), or the other one when only that one is reachable
 * over lines without code. defs is sorted and stays so, not overlapping.
 */
void wfm_macros_attach(struct wfm_defs *defs, const char *text, const char *src, size_t len);

/*
 * Appends, for each macro block in the ERROR nodes of the tree under root
 * (looking into conditionals and namespaces) — a line starting at column
 * 0 with a macro-style name, balanced arguments and a '{' whose block
 * closes, as "TEST(a, b) {" — two ranges: the head up to the '{', and the
 * closing '}'. Parsed alone, they give the block's kind and name. Sorted,
 * not overlapping, blocks not looked into.
 */
void wfm_macro_blocks_find(struct wfm_ranges *out, TSNode root, const char *text, size_t len);

/* ---- uncovered.c: what no unit covers --------------------------------------- */

struct wfm_regex;

/*
 * Appends to out, as units of kind "uncovered" (empty id and name), the
 * runs of lines of the file that hold code and lie in none of units
 * (sorted, nr of them); blank and comment lines inside a run belong to
 * it. With per_line, each such line of code instead, on its own. root is
 * the file's tree, for its comments; a null node when there is none (every
 * line with a byte that is not white space is code). Only what re finds
 * a match in is kept (NULL: all): the range's text, or with per_line the
 * line without its line break. Fails only when re does (then out is as
 * it was).
 */
/* 1 when re finds a match in a line of text (without its line break), 0 when in none, or re's
 * error. */
int wfm_lines_match(const struct wfm_regex *re, const char *text, size_t len,
		    const struct wfm_lines *lines);

int wfm_uncovered_find(struct wfm_unit_list *out, const char *path, enum wfm_lang lang,
		       const struct wfm_unit *units, size_t nr, TSNode root, const char *text,
		       size_t len, const struct wfm_lines *lines, const struct wfm_regex *re,
		       int per_line);

/* ---- pack.c: packing and splitting --------------------------------------- */

/*
 * Splits [start, end) of text into consecutive parts of at most max
 * bytes, cutting only at line starts: at the cut of smallest depth that
 * fits, else at the last line start that fits. A single line longer than
 * max becomes a part of its own. Appends the end of each part to ends
 * (the last is end).
 */
struct wfm_offsets {
	size_t *v;
	size_t nr;
	size_t alloc;
};

/* clang-format off */
#define WFM_OFFSETS_INIT { NULL, 0, 0 }
/* clang-format on */

void wfm_split_range(struct wfm_offsets *ends, const char *text, size_t start, size_t end,
		     const struct wfm_cut *cuts, size_t cuts_nr, size_t max);

struct wfm_ranges;

/* A unit of one file on its way to packing. */
struct wfm_pack_item {
	struct wfm_unit unit; /* moved out by wfm_pack_file */
	int follows;	      /* 1 when no unit was filtered out since the previous item */
	struct wfm_cuts cuts; /* where it may be split, for units over max; borrowed */
	/*
	 * A unit over max that filters kept: what each filter found in it
	 * (--match's matches, --query's captures), sorted. A part of it is
	 * kept only when it overlaps a range of each of the need_nr lists.
	 * need_nr 0: every part is. Borrowed.
	 */
	const struct wfm_ranges *need[2];
	unsigned need_nr;
};

/*
 * Packs runs of neighbouring items (follows) whose total range stays
 * within max into "pack" units, splits items larger than max into
 * "@partN" units (keeping only the parts the item's need lists allow;
 * the numbers stay those of the whole split), and moves the result to
 * out. text is the file. The items' units are left empty.
 */
void wfm_pack_file(struct wfm_unit_list *out, struct wfm_pack_item *items, size_t nr,
		   const char *text, const struct wfm_lines *lines, size_t max);

/* ---- query.c: tree-sitter queries with text predicates ----------------- */

struct wfm_query;

/*
 * Compiles src for every language with want[lang] set. WFM_EINVALID when
 * it compiles for none of them (the message gives the offset and why),
 * or when it uses a predicate other than #eq?, #not-eq?, #any-eq?,
 * #any-not-eq?, #match?, #not-match?, #any-match?, #any-not-match?,
 * #any-of?, #not-any-of? or has a bad argument to one.
 */
int wfm_query_compile(struct wfm_query **out, const char *src, const int want[WFM_LANG__COUNT]);
void wfm_query_free(struct wfm_query *q);

/* Whether the query compiled for lang. */
int wfm_query_applies(const struct wfm_query *q, enum wfm_lang lang);

struct wfm_range {
	size_t start, end;
};

struct wfm_ranges {
	struct wfm_range *v;
	size_t nr;
	size_t alloc;
};

/* clang-format off */
#define WFM_RANGES_INIT { NULL, 0, 0 }
/* clang-format on */

/*
 * Runs the query for lang on root and appends the byte range of every
 * capture of every match whose predicates hold. cur is the calling
 * thread's cursor. Fails only when a #match? pattern hits its limit.
 */
int wfm_query_captures(struct wfm_ranges *out, const struct wfm_query *q, enum wfm_lang lang,
		       TSQueryCursor *cur, TSNode root, const char *text);
#endif
