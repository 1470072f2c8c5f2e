/*
 * Annotation and namespace macros, blanked before C and C++ are parsed.
 * The grammars do not expand macros, so "class GTEST_API_ Widget {",
 * "FMT_BEGIN_NAMESPACE" above a template, or a function ending in
 * "GTEST_LOCK_EXCLUDED_(mu) {" derail the parse. Each such macro, with its
 * parenthesised arguments, is replaced by spaces (newlines kept), so the
 * byte offsets and lines of the copy are the file's. Preprocessor
 * directives, comments and literals are never touched.
 *
 * Macros also define functions the grammars cannot see as such
 * ("TEST(Suite, Name) {...}"): wfm_macro_def() names them for lang.c, and
 * wfm_macro_blocks_find() finds them again, with the same lexing, where
 * the parse gave up.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/strvec.h"
#include "chunk/chunk_priv.h"
#include "git/repo.h"

#define CONFIG_KEY "wfmigrate.chunk.ignoremacro" /* as git config lists it */
#define MAX_ARGS 4096				 /* a longer argument list is no annotation's */
#define MAX_BLOCK (256u << 10)			 /* as preproc.c's largest construct */

/*
 * Exact names, and '*' globs that only ever meet macro-style names (upper
 * case, digits, '_', with a '_'). Each expands to an attribute, a calling
 * convention, a linkage or visibility keyword, a class-body declaration, or
 * one half of a pair that opens and closes a namespace: never to something
 * the code around it needs to parse (FMT_ENABLE_IF, OF((args))).
 */
static const char *const builtin[] = {
	/* exact */
	"APIENTRY",
	"FMT_BEGIN_NAMESPACE",
	"FMT_END_NAMESPACE",
	"FMT_FUNC",
	"FMT_NOMACRO",
	"FORCEINLINE",
	"GTEST_API_",
	"GTEST_INTERNAL_EMPTY_BASE_CLASS",
	"GTEST_NO_TAIL_CALL_",
	"Q_DECL_EXPORT",
	"Q_DECL_IMPORT",
	"Q_GADGET",
	"Q_INVOKABLE",
	"Q_OBJECT",
	"Q_SIGNALS",
	"Q_SLOTS",
	"WINAPI",
	"ZEXPORT",
	"ZEXPORTVA",
	"ZEXTERN",
	/* visibility and linkage */
	"*_API",
	"*_API_",
	"*_EXPORT",
	"*_VISIBILITY", /* namespace std _GLIBCXX_VISIBILITY(default) { */
	"*_VISIBILITY_DEFAULT",
	"*_VISIBILITY_HIDDEN",
	/* namespaces opened and closed by a pair of macros */
	"*_BEGIN_*NAMESPACE*", /* FMT_BEGIN_DETAIL_NAMESPACE, _GLIBCXX_BEGIN_NAMESPACE_VERSION */
	"*_END_*NAMESPACE*",
	"*_NAMESPACE_BEGIN",
	"*_NAMESPACE_END",
	"*_NAMESPACE_OPEN",
	"*_NAMESPACE_CLOSE",
	"*_EXPORT_BEGIN", /* "export {" in a C++20 module, else nothing */
	"*_EXPORT_END",
	"*_BEGIN_DECLS", /* 'extern "C" {' in C++, else nothing */
	"*_END_DECLS",
	/* thread-safety annotations */
	"*_LOCK_EXCLUDED_",
	"*_LOCKS_EXCLUDED",
	"*_EXCLUSIVE_LOCK_REQUIRED*",
	"*_EXCLUSIVE_LOCKS_REQUIRED*",
	"*_SHARED_LOCKS_REQUIRED*",
	"*_GUARDED_BY",
	/* attributes and specifiers */
	"*_INLINE",
	"*_FORCEINLINE",
	"*_NOINLINE",
	"*_NO_INLINE_",
	"*_CONSTEXPR*",
	"*_CONSTEVAL",
	"*_NODISCARD",
	"*_MUST_USE_RESULT*",
	"*_NORETURN",
	"*_MAYBE_UNUSED",
	"*_DEPRECATED*",
	"*_ATTRIBUTE_*",
	"*_NOEXCEPT*", /* _GLIBCXX_NOEXCEPT_IF(cond) */
	"*_NOTHROW",
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int is_upper(int c)
{
	return c >= 'A' && c <= 'Z';
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_ident_start(int c)
{
	return is_upper(c) || (c >= 'a' && c <= 'z') || c == '_' || (c & 0x80);
}

static int is_ident(int c)
{
	return is_ident_start(c) || is_digit(c);
}

static int is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Whether s[0..n) is macro-style: upper case, digits and '_', with a letter. */
static int is_caps(const char *s, size_t n, int *underscore)
{
	int letter = 0;

	*underscore = 0;
	for (size_t i = 0; i < n; i++) {
		if (is_upper(s[i]))
			letter = 1;
		else if (s[i] == '_')
			*underscore = 1;
		else if (!is_digit(s[i]) || !i)
			return 0;
	}
	return letter;
}

/*
 * A name, or a glob of '*' and what macro-style names hold (globs are only
 * tried on those: a lower-case one would never match), not '*' alone.
 */
static int valid_entry(const char *s)
{
	int glob = !!strchr(s, '*'), name = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c != '*' && (glob ? !is_upper(c) && !is_digit(c) && c != '_' : !is_ident(c)))
			return 0;
		name |= c != '*';
	}
	return name;
}

static void add_entry(struct wfm_macros *m, const char *s)
{
	int underscore;

	if (strchr(s, '*')) {
		wfm_strvec_push(&m->globs, s);
		return;
	}
	wfm_strvec_push(&m->names, s);
	if (!is_caps(s, strlen(s), &underscore))
		m->any_case = 1;
}

int wfm_macros_load(struct wfm_macros *m, struct wfm_repo *repo)
{
	struct wfm_strvec entries = WFM_STRVEC_INIT;
	int rc = repo ? wfm_repo_config_list(&entries, repo, CONFIG_KEY) : 0;

	for (size_t i = 0; i < WFM_ARRAY_SIZE(builtin); i++)
		add_entry(m, builtin[i]);
	for (size_t i = 0; rc >= 0 && i < entries.nr; i++) {
		const char *e = entries.v[i], *eq = strchr(e, '=');

		if (!eq || (size_t)(eq - e) != strlen(CONFIG_KEY))
			continue; /* wfmigrate.chunk.ignoreMacro.<something>: not ours */
		if (!valid_entry(eq + 1)) {
			rc = wfm_error_setc(WFM_ECONFIG,
					    "bad config wfmigrate.chunk.ignoreMacro: '%s' is not a "
					    "macro name or an upper-case '*' glob",
					    eq + 1);
			break;
		}
		add_entry(m, eq + 1);
	}
	wfm_strvec_clear(&entries);
	if (m->names.nr)
		qsort(m->names.v, m->names.nr, sizeof(*m->names.v), cmp_str);
	return rc < 0 ? rc : 0;
}

void wfm_macros_release(struct wfm_macros *m)
{
	wfm_strvec_clear(&m->names);
	wfm_strvec_clear(&m->globs);
	m->any_case = 0;
}

/* Whether s[0..n) matches glob, where '*' stands for any characters. */
static int glob_match(const char *g, const char *s, size_t n)
{
	const char *star = NULL;
	size_t i = 0, back = 0;

	while (i < n) {
		if (*g == '*') {
			star = ++g;
			back = i;
		} else if (*g && *g == s[i]) {
			g++;
			i++;
		} else if (star) {
			g = star;
			i = ++back;
		} else {
			return 0;
		}
	}
	while (*g == '*')
		g++;
	return !*g;
}

static int has_name(const struct wfm_macros *m, const char *s, size_t n)
{
	size_t lo = 0, hi = m->names.nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *e = m->names.v[mid];
		int c = strncmp(e, s, n);

		if (!c && e[n])
			c = 1;
		if (!c)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int ignored(const struct wfm_macros *m, const char *s, size_t n)
{
	int underscore;

	if (!is_caps(s, n, &underscore))
		return m->any_case && has_name(m, s, n);
	if (has_name(m, s, n))
		return 1;
	for (size_t i = 0; underscore && i < m->globs.nr; i++)
		if (glob_match(m->globs.v[i], s, n))
			return 1;
	return 0;
}

/* ---- lexing ------------------------------------------------------------------ */

/* The length of a line splice (backslash, newline) at t[i], or 0. */
static size_t splice(const char *t, size_t len, size_t i)
{
	if (t[i] != '\\' || i + 1 >= len)
		return 0;
	if (t[i + 1] == '\n')
		return 2;
	return t[i + 1] == '\r' && i + 2 < len && t[i + 2] == '\n' ? 3 : 0;
}

/* Past the comment at t[i] (a "//" one stops at its newline), or i when none. */
static size_t skip_comment(const char *t, size_t len, size_t i)
{
	if (t[i] != '/' || i + 1 >= len)
		return i;
	if (t[i + 1] == '/') {
		for (i += 2; i < len && t[i] != '\n'; i++) {
			size_t s = splice(t, len, i);
			if (s)
				i += s - 1;
		}
		return i;
	}
	if (t[i + 1] != '*')
		return i;
	for (i += 2; i + 1 < len; i++)
		if (t[i] == '*' && t[i + 1] == '/')
			return i + 2;
	return len;
}

/* Past the literal the quote at t[i] opens; one left open stops at its line's end. */
static size_t skip_quoted(const char *t, size_t len, size_t i)
{
	char q = t[i];

	for (i++; i < len; i++) {
		if (t[i] == '\\') {
			i++;
			continue;
		}
		if (t[i] == q)
			return i + 1;
		if (t[i] == '\n')
			return i;
	}
	return len;
}

/* Past the raw string R"delim( ... )delim" whose quote is t[q]. */
static size_t skip_raw(const char *t, size_t len, size_t q)
{
	size_t d = q + 1, n;

	while (d < len && d - q <= 16 && t[d] != '(' && t[d] != ')' && t[d] != '\\' &&
	       t[d] != '"' && !is_blank(t[d]) && t[d] != '\n')
		d++;
	if (d >= len || t[d] != '(')
		return skip_quoted(t, len, q);
	n = d - q - 1;
	for (size_t i = d + 1; i + n + 1 < len; i++)
		if (t[i] == ')' && !memcmp(t + i + 1, t + q + 1, n) && t[i + 1 + n] == '"')
			return i + n + 2;
	return len;
}

/* Past a number (a pp-number: 0x1F, 1e+5, 1'000'000), whose first byte is t[i]. */
static size_t skip_number(const char *t, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		char c = t[i], p = t[i - 1];

		if (is_ident(c) || c == '.')
			continue;
		if ((c == '+' || c == '-') && (p == 'e' || p == 'E' || p == 'p' || p == 'P'))
			continue;
		if (c == '\'' && i + 1 < len && is_ident(t[i + 1]))
			continue;
		break;
	}
	return i;
}

/*
 * Past the comment, literal or number at t[i], or i when there is none.
 * An identifier that prefixes a literal (L"x", u8R"(x)") is skipped with it.
 */
static size_t skip_token(const char *t, size_t len, size_t i)
{
	char c = t[i];

	if (c == '/')
		return skip_comment(t, len, i);
	if (c == '"' || c == '\'')
		return skip_quoted(t, len, i);
	if (is_digit(c) || (c == '.' && i + 1 < len && is_digit(t[i + 1])))
		return skip_number(t, len, i);
	return i;
}

/* Past the directive whose '#' is t[i]: at the newline ending it, after any continuation. */
static size_t skip_directive(const char *t, size_t len, size_t i)
{
	while (i < len && t[i] != '\n') {
		size_t s = splice(t, len, i), n;

		if (s) {
			i += s;
			continue;
		}
		n = t[i] == '/' || t[i] == '"' || t[i] == '\'' ? skip_token(t, len, i) : i;
		i = n > i ? n : i + 1;
	}
	return i;
}

/* The length of the identifier at t[i]. */
static size_t ident_len(const char *t, size_t len, size_t i)
{
	size_t j = i;

	while (j < len && is_ident((unsigned char)t[j]))
		j++;
	return j - i;
}

/* Whether s[0..n) holds word. */
static int has_word(const char *s, size_t n, const char *word)
{
	size_t w = strlen(word);

	for (size_t i = 0; i + w <= n; i++)
		if (!memcmp(s + i, word, w))
			return 1;
	return 0;
}

static int is_literal_prefix(const char *s, size_t n)
{
	static const char *const prefixes[] = { "L", "u", "U", "u8", "R", "LR", "uR", "UR", "u8R" };

	for (size_t i = 0; i < WFM_ARRAY_SIZE(prefixes); i++)
		if (strlen(prefixes[i]) == n && !memcmp(prefixes[i], s, n))
			return 1;
	return 0;
}

/*
 * Whether the identifier t[i..j) reads as a value rather than an
 * annotation: an enumerator or constant that happens to match
 * ("case XML_ATTRIBUTE_NODE:", "flags = X_DEPRECATED", "{ A_INLINE = 1, }"),
 * or a member ("a.X_API", "ns::X_API"). Only its own line is looked at.
 */
static int is_value(const char *t, size_t len, size_t i, size_t j)
{
	size_t k = i;

	/* on its line: the line above may end in a comment */
	while (k > 0 && is_blank(t[k - 1]))
		k--;
	if (k > 0 && t[k - 1] != '\n') {
		char p = t[k - 1], pp = k > 1 ? t[k - 2] : 0;

		if ((p && strchr("=!?|^+%[.", p)) || (p == ':' && pp == ':') ||
		    (p == '>' && pp == '-') || (p == '-' && pp != '-') || (p == '/' && pp != '*'))
			return 1;
		if (is_ident((unsigned char)p)) {
			size_t w = k;
			while (w > 0 && is_ident((unsigned char)t[w - 1]))
				w--;
			if ((k - w == 4 && !memcmp(t + w, "case", 4)) ||
			    (k - w == 6 && !memcmp(t + w, "return", 6)))
				return 1;
		}
	}
	while (j < len && is_blank(t[j]))
		j++;
	return j < len && (t[j] == '=' || t[j] == ',' || t[j] == '}' || t[j] == ']');
}

/*
 * Past the parenthesised arguments that follow t[..j) on its line, or j
 * when there are none, they do not close within MAX_ARGS bytes, or a
 * directive comes first.
 */
static size_t args_end(const char *t, size_t len, size_t j)
{
	size_t k = j, limit, depth = 0;
	int bol = 0;

	while (k < len && is_blank(t[k]))
		k++;
	if (k >= len || t[k] != '(')
		return j;
	limit = len - k > MAX_ARGS ? k + MAX_ARGS : len;
	while (k < limit) {
		size_t n;
		char c = t[k];

		if (c == '\n' || is_blank(c)) {
			bol |= c == '\n';
			k++;
			continue;
		}
		if (c == '#' && bol)
			return j;
		bol = 0;
		n = skip_token(t, len, k);
		if (n > k) {
			k = n;
			continue;
		}
		if (c == '(')
			depth++;
		else if (c == ')' && !--depth)
			return k + 1;
		k++;
	}
	return j;
}

static void blank(char *p, size_t s, size_t e)
{
	for (; s < e; s++)
		if (p[s] != '\n')
			p[s] = ' ';
}

int wfm_macros_blank(struct wfm_buf *out, const struct wfm_macros *m, const char *text, size_t len)
{
	size_t i = 0;
	int bol = 1, changed = 0;

	wfm_buf_clear(out);
	wfm_buf_add(out, text, len);
	while (i < len) {
		unsigned char c = (unsigned char)text[i];
		size_t n;

		if (c == '\n' || is_blank(c)) {
			bol |= c == '\n';
			i++;
			continue;
		}
		if (c == '#' && bol) {
			i = skip_directive(text, len, i);
			continue;
		}
		bol = 0;
		n = skip_token(text, len, i);
		if (n > i) {
			i = n;
			continue;
		}
		if (!is_ident_start(c)) {
			i++;
			continue;
		}
		n = ident_len(text, len, i);
		if (i + n < len && (text[i + n] == '"' || text[i + n] == '\'') &&
		    is_literal_prefix(text + i, n)) {
			/* L"x" and u'x' go on as literals; R"d(x)d" is raw */
			i = text[i + n - 1] == 'R' && text[i + n] == '"'
				    ? skip_raw(text, len, i + n)
				    : i + n;
			continue;
		}
		if (ignored(m, text + i, n) && !is_value(text, len, i, i + n)) {
			size_t e = args_end(text, len, i + n);
			blank(out->ptr, i, e);
			changed = 1;
			i = e;
			continue;
		}
		i += n;
	}
	return changed;
}

/* Whether the directive at t[i] ('#') is word ("if", "else"...); "if" takes in "ifdef". */
static int directive_is(const char *t, size_t len, size_t i, const char *word)
{
	size_t n = strlen(word);

	for (i++; i < len && is_blank(t[i]); i++)
		;
	return len - i >= n && !memcmp(t + i, word, n);
}

/*
 * Past the '}' that closes the '{' at text[open], or 0 when none does
 * within MAX_BLOCK bytes. Comments, literals and directive lines are
 * skipped, and so is every branch but the first of each conditional, as
 * wfm_preproc_first_branches() does.
 */
static size_t block_end(const char *text, size_t len, size_t open)
{
	size_t k = open, depth = 0, limit = len - open > MAX_BLOCK ? open + MAX_BLOCK : len;
	size_t conds = 1, skip_from = 0; /* conditionals open (1: those around open); the skipped */
	int bol = 0;

	while (k < limit) {
		size_t n;
		char c = text[k];

		if (c == '\n' || is_blank(c)) {
			bol |= c == '\n';
			k++;
			continue;
		}
		if (c == '#' && bol) {
			/* the first branch of each conditional only, as preproc.c parses it */
			if (directive_is(text, len, k, "if")) {
				conds++;
			} else if (directive_is(text, len, k, "el") && !skip_from) {
				skip_from = conds;
			} else if (directive_is(text, len, k, "endif")) {
				if (skip_from == conds)
					skip_from = 0;
				conds -= conds > 1;
			}
			k = skip_directive(text, len, k);
			continue;
		}
		bol = 0;
		n = skip_token(text, len, k);
		if (n > k) {
			k = n;
			continue;
		}
		if (skip_from)
			;
		else if (c == '{')
			depth++;
		else if (c == '}' && !--depth)
			return k + 1;
		k++;
	}
	return 0;
}

/* ---- macro blocks in what did not parse ------------------------------------- */

/*
 * The start of the comment lines right above the line starting at t[i]
 * ("// ..." lines, or a block comment that starts its line), but not
 * before s; i when there are none. They go with the block, as comments
 * go with a definition.
 */
static size_t comments_above(const char *t, size_t i, size_t s)
{
	for (;;) {
		size_t b, e = i; /* the line above is t[b..e), without its newline */
		const char *p;

		if (e <= s || t[e - 1] != '\n')
			return i;
		e--;
		for (b = e; b > s && t[b - 1] != '\n'; b--)
			;
		if (b && t[b - 1] != '\n')
			return i; /* s is inside the line */
		while (e > b && is_blank(t[e - 1]))
			e--;
		for (p = t + b; p < t + e && is_blank(*p); p++)
			;
		if (e - (size_t)(p - t) >= 2 && p[0] == '/' && p[1] == '/') {
			i = b;
			continue;
		}
		if (e - b < 2 || t[e - 2] != '*' || t[e - 1] != '/')
			return i;
		/* a block comment: back to its start, which must start a line */
		for (p = t + e - 2; p > t + s && !(p[-1] == '/' && p[0] == '*'); p--)
			;
		if (p <= t + s)
			return i;
		for (b = (size_t)(p - 1 - t); b > s && is_blank(t[b - 1]); b--)
			;
		if (b && t[b - 1] != '\n')
			return i;
		i = b;
	}
}

/*
 * Appends the head ("TEST(a, b) {") and the closing '}' of each macro
 * block starting at t[i] (at column 0) or later in [i, e), skipping
 * comments, literals and directives; blocks are not looked into.
 */
static void scan_blocks(struct wfm_ranges *out, const char *t, size_t len, size_t i, size_t e)
{
	size_t s = i;
	int bol = i == 0 || t[i - 1] == '\n'; /* only blanks before on the line */

	while (i < e) {
		unsigned char c = (unsigned char)t[i];
		size_t n, open, close;
		int col0, underscore;

		if (c == '\n' || is_blank(c)) {
			bol |= c == '\n';
			i++;
			continue;
		}
		if (c == '#' && bol) {
			i = skip_directive(t, len, i);
			continue;
		}
		col0 = bol && (i == 0 || t[i - 1] == '\n');
		bol = 0;
		n = skip_token(t, len, i);
		if (n > i || !is_ident_start(c)) {
			i = n > i ? n : i + 1;
			continue;
		}
		n = ident_len(t, len, i);
		open = i + n;
		if (col0 && is_caps(t + i, n, &underscore))
			open = args_end(t, len, i + n);
		if (open == i + n) {
			i += n;
			continue;
		}
		while (open < len && (is_blank(t[open]) || t[open] == '\n'))
			open++;
		if (open < len && t[open] == '{' && (close = block_end(t, len, open))) {
			WFM_ALLOC_GROW(out->v, out->nr + 2, out->alloc);
			out->v[out->nr++] = (struct wfm_range){ comments_above(t, i, s), open + 1 };
			out->v[out->nr++] = (struct wfm_range){ close - 1, close };
			i = close;
		} else {
			i += n;
		}
	}
}

static void blocks_in(struct wfm_ranges *out, TSNode n, const char *text, size_t len,
		      unsigned depth)
{
	uint32_t cnt = ts_node_named_child_count(n);

	for (uint32_t i = 0; i < cnt; i++) {
		TSNode c = ts_node_named_child(n, i);
		size_t s = ts_node_start_byte(c), e = ts_node_end_byte(c);

		if (!ts_node_has_error(c))
			continue;
		if (!strcmp(ts_node_type(c), "ERROR")) {
			/* a block found in the ERROR before may run past its start */
			if (out->nr && out->v[out->nr - 1].end > s)
				s = out->v[out->nr - 1].end;
			scan_blocks(out, text, len, s, e);
		} else if (wfm_c_is_scope(ts_node_type(c)) && depth < 64) {
			blocks_in(out, c, text, len, depth + 1);
		}
	}
}

void wfm_macro_blocks_find(struct wfm_ranges *out, TSNode root, const char *text, size_t len)
{
	if (!ts_node_has_error(root))
		return;
	if (!strcmp(ts_node_type(root), "ERROR"))
		scan_blocks(out, text, len, ts_node_start_byte(root), ts_node_end_byte(root));
	else
		blocks_in(out, root, text, len, 0);
}

/* ---- functions a macro defines ------------------------------------------------- */

/* Whether text[s..e) is in macro style: upper case, digits and '_', two bytes at least. */
static int is_macro_style(const char *text, uint32_t s, uint32_t e)
{
	int underscore;

	return e - s >= 2 && is_upper(text[s]) && is_caps(text + s, e - s, &underscore);
}

/* Appends what a string argument holds ("adds" gives adds); 0 when n is none. */
static int add_string(struct wfm_buf *b, TSNode n, const char *text, size_t max)
{
	const char *t = ts_node_type(n), *p, *q;
	uint32_t s = ts_node_start_byte(n), e = ts_node_end_byte(n);
	int raw;

	if (!strcmp(t, "concatenated_string") && ts_node_named_child_count(n))
		return add_string(b, ts_node_named_child(n, 0), text, max);
	raw = !strcmp(t, "raw_string_literal");
	if (!raw && strcmp(t, "string_literal"))
		return 0;
	/* between the quotes (after a prefix: L"x"), or a raw string's parentheses */
	p = memchr(text + s, raw ? '(' : '"', e - s);
	q = text + e;
	while (q > text + s && q[-1] != (raw ? ')' : '"'))
		q--;
	if (p && q - 1 > p)
		wfm_text_add_squeezed(b, text, (size_t)(p + 1 - text), (size_t)(q - 1 - text), max);
	return 1;
}

/* Whether the text of n is a name: identifier characters and "::". */
static int is_plain_name(TSNode n, const char *text)
{
	uint32_t s = ts_node_start_byte(n), e = ts_node_end_byte(n);

	for (uint32_t i = s; i < e; i++)
		if (!is_ident((unsigned char)text[i]) && text[i] != ':')
			return 0;
	return e > s;
}

/*
 * The name from a macro's arguments: a string first argument's content;
 * else the leading name arguments joined by '.', then a string right after
 * them, for a test; only the first name for another macro.
 */
static void name_by_args(struct wfm_buf *name, TSNode args, int test, const char *text, size_t max)
{
	uint32_t cnt = ts_node_named_child_count(args), names = 0;

	for (uint32_t i = 0; i < cnt; i++) {
		TSNode a = ts_node_named_child(args, i);
		size_t len = name->len;

		if (!strcmp(ts_node_type(a), "comment"))
			continue;
		if (!names) {
			if (add_string(name, a, text, max))
				return;
		} else if (test) {
			wfm_buf_addch(name, '.');
			if (add_string(name, a, text, max))
				return;
		}
		if (!is_plain_name(a, text) || (names && !test)) {
			wfm_buf_setlen(name, len);
			return;
		}
		wfm_text_add_squeezed(name, text, ts_node_start_byte(a), ts_node_end_byte(a), max);
		names++;
	}
}

int wfm_macro_def(const char **kind, struct wfm_buf *name, TSNode callee, TSNode args,
		  const char *text, size_t max)
{
	uint32_t s, e;
	int test;

	if (ts_node_is_null(callee) || ts_node_is_null(args) ||
	    (strcmp(ts_node_type(callee), "identifier") &&
	     strcmp(ts_node_type(callee), "type_identifier")))
		return 0;
	s = ts_node_start_byte(callee);
	e = ts_node_end_byte(callee);
	if (!is_macro_style(text, s, e))
		return 0;
	test = has_word(text + s, e - s, "TEST") || has_word(text + s, e - s, "CASE");
	*kind = test ? "test" : "function";
	name_by_args(name, args, test, text, max);
	if (!name->len)
		wfm_text_add_squeezed(name, text, s, e, max);
	return 1;
}

/* ---- lines left with nothing but blanked macros ------------------------------- */

/* Whether t[s..e) holds nothing but blanks and comments. */
static int no_code(const char *t, size_t len, size_t s, size_t e)
{
	while (s < e) {
		size_t n;

		if (is_blank(t[s]) || t[s] == '\n') {
			s++;
			continue;
		}
		n = skip_comment(t, len, s);
		if (n == s)
			return 0;
		s = n;
	}
	return 1;
}

/* Whether a macro on the line t[s..e) closes what another opened (FMT_END_NAMESPACE). */
static int closes(const char *t, size_t s, size_t e)
{
	static const char *const words[] = { "END", "CLOSE", "POP" };

	for (size_t i = 0; i < WFM_ARRAY_SIZE(words); i++)
		if (has_word(t + s, e - s, words[i]))
			return 1;
	return 0;
}

void wfm_macros_attach(struct wfm_defs *defs, const char *text, const char *src, size_t len)
{
	size_t s = 0, d = 0; /* the line [s, e); defs[d] is the first ending after s */

	while (s < len && defs->nr) {
		const char *nl = memchr(text + s, '\n', len - s);
		size_t e = nl ? (size_t)(nl - text) + 1 : len;
		struct wfm_def *prev, *next;
		int up;

		while (d < defs->nr && defs->v[d].end <= s)
			d++;
		if ((d < defs->nr && defs->v[d].start < e) || !memcmp(text + s, src + s, e - s) ||
		    !no_code(src, len, s, e)) {
			s = e; /* in a definition, no macro blanked, or code left */
			continue;
		}
		prev = d ? &defs->v[d - 1] : NULL;
		next = d < defs->nr ? &defs->v[d] : NULL;
		/* what closes joins the definition above, the rest the one below */
		up = closes(text, s, e);
		if (prev && !no_code(src, len, prev->end, s))
			prev = NULL;
		if (next && !no_code(src, len, e, next->start))
			next = NULL;
		if (prev && (up || !next))
			prev->end = (uint32_t)e;
		else if (next)
			next->start = (uint32_t)s;
		s = e;
	}
}
