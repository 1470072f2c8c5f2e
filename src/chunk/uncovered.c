/*
 * What no unit covers: the lines of a file with code on them (not blank,
 * not only comments) that lie in none of its units. A migration can only
 * reach code that is in some unit; this is how a user sees what it
 * cannot.
 */
#include "base/common.h"

#include <ctype.h>

#include "base/buf.h"
#include "base/regex.h"
#include "base/utf8.h"
#include "chunk/chunk_priv.h"

/* The byte ranges of the comments under root, in file order. */
static void comments_of(struct wfm_ranges *out, enum wfm_lang lang, TSNode root)
{
	TSTreeCursor cur = ts_tree_cursor_new(root);

	for (;;) {
		TSNode n = ts_tree_cursor_current_node(&cur);

		if (wfm_lang_is_comment(lang, ts_node_type(n))) {
			WFM_ALLOC_GROW(out->v, out->nr + 1, out->alloc);
			out->v[out->nr++] =
				(struct wfm_range){ ts_node_start_byte(n), ts_node_end_byte(n) };
		} else if (ts_tree_cursor_goto_first_child(&cur)) {
			continue;
		}
		while (!ts_tree_cursor_goto_next_sibling(&cur))
			if (!ts_tree_cursor_goto_parent(&cur))
				goto done;
	}
done:
	ts_tree_cursor_delete(&cur);
}

/* Whether [s, e) holds a byte that is neither white space nor in a comment; *ci advances. */
static int has_code(const char *text, size_t s, size_t e, const struct wfm_ranges *comments,
		    size_t *ci)
{
	for (size_t i = s; i < e; i++) {
		while (*ci < comments->nr && comments->v[*ci].end <= i)
			(*ci)++;
		if (*ci < comments->nr && comments->v[*ci].start <= i) {
			i = comments->v[*ci].end - 1;
			continue;
		}
		if (!isspace((unsigned char)text[i]))
			return 1;
	}
	return 0;
}

static void add_range(struct wfm_unit_list *out, const char *path, enum wfm_lang lang, size_t s,
		      size_t e, const struct wfm_lines *lines)
{
	struct wfm_unit *u;

	WFM_ALLOC_GROW(out->v, out->nr + 1, out->alloc);
	u = &out->v[out->nr++];
	memset(u, 0, sizeof(*u));
	u->path = wfm_strdup(path);
	u->lang = lang;
	u->kind = "uncovered";
	u->name = wfm_strdup("");
	u->start_byte = s;
	u->end_byte = e;
	wfm_unit_set_lines(u, lines);
	u->id = wfm_strdup("");
}

/* Whether re (NULL: anything) is found in u's text: a line without its line break. */
static int matches(const struct wfm_regex *re, const struct wfm_unit *u, const char *text,
		   int per_line)
{
	size_t e = u->end_byte;

	if (!re)
		return 1;
	if (per_line && e > u->start_byte && text[e - 1] == '\n')
		e -= 1 + (e - 1 > u->start_byte && text[e - 2] == '\r');
	return wfm_regex_match(re, text + u->start_byte, e - u->start_byte, 0, NULL);
}

int wfm_lines_match(const struct wfm_regex *re, const char *text, size_t len,
		    const struct wfm_lines *lines)
{
	for (size_t l = 0; l < lines->nr && lines->start[l] < len; l++) {
		struct wfm_unit line = { 0 };
		int rc;

		line.start_byte = lines->start[l];
		line.end_byte = l + 1 < lines->nr ? lines->start[l + 1] : len;
		if ((rc = matches(re, &line, text, 1)) != 0)
			return rc;
	}
	return 0;
}

int wfm_uncovered_find(struct wfm_unit_list *out, const char *path, enum wfm_lang lang,
		       const struct wfm_unit *units, size_t nr, TSNode root, const char *text,
		       size_t len, const struct wfm_lines *lines, const struct wfm_regex *re,
		       int per_line)
{
	struct wfm_ranges comments = WFM_RANGES_INIT;
	size_t ci = 0, ui = 0, run_s = 0, run_e = 0, base = out->nr, kept = out->nr;
	int in_run = 0, rc = 0;

	if (!ts_node_is_null(root))
		comments_of(&comments, lang, root);
	for (size_t l = 0; l < lines->nr; l++) {
		size_t s = lines->start[l];
		size_t e = l + 1 < lines->nr ? lines->start[l + 1] : len;
		int covered;

		if (s >= len)
			break;
		while (ui < nr && units[ui].end_byte <= s)
			ui++;
		covered = ui < nr && units[ui].start_byte < e;
		if (covered || !has_code(text, s, e, &comments, &ci)) {
			if (covered && in_run) {
				add_range(out, path, lang, run_s, run_e, lines);
				in_run = 0;
			}
			continue; /* blank or comment lines do not end a run */
		}
		if (per_line) {
			add_range(out, path, lang, s, e, lines);
			continue;
		}
		if (!in_run)
			run_s = s;
		in_run = 1;
		run_e = e;
	}
	if (in_run)
		add_range(out, path, lang, run_s, run_e, lines);
	free(comments.v);

	/* keep what re matches */
	for (size_t i = base; i < out->nr; i++) {
		struct wfm_unit *u = &out->v[i];

		if (rc >= 0)
			rc = matches(re, u, text, per_line);
		if (rc > 0)
			out->v[kept++] = *u;
		else
			wfm_unit_release(u);
	}
	if (rc < 0) {
		for (size_t i = base; i < kept; i++)
			wfm_unit_release(&out->v[i]);
		kept = base;
	}
	out->nr = kept;
	return rc < 0 ? rc : 0;
}

void wfm_unit_line_text(struct wfm_buf *out, const struct wfm_unit *u, size_t max)
{
	const char *t = u->text;
	size_t n = u->text ? u->end_byte - u->start_byte : 0, i = 0, end;

	while (i < n && (t[i] == ' ' || t[i] == '\t'))
		i++;
	for (end = i; end < n && t[end] != '\n' && t[end] != '\r'; end++)
		;
	while (end > i && (t[end - 1] == ' ' || t[end - 1] == '\t'))
		end--;
	for (size_t room = max; i < end;) {
		size_t seq = wfm_utf8_seq(t + i, end - i);
		unsigned char c = (unsigned char)t[i];

		if ((seq ? seq : 1) > room)
			break;
		if (!seq || (seq == 1 && (c < 0x20 || c == 0x7f))) {
			wfm_buf_addch(out, c == '\t' ? ' ' : '?');
			seq = 1;
		} else {
			wfm_buf_add(out, t + i, seq);
		}
		i += seq;
		room -= seq;
	}
}
