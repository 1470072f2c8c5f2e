#define _GNU_SOURCE /* strchrnul, memmem */
#include "base/common.h"
#include "agent/tools_priv.h"
#include "base/fs.h"
#include "base/regex.h"
#include "base/strvec.h"
#include "base/glob.h"

#include <sys/stat.h>

/*
 * Grep: ripgrep's behaviour as far as models rely on it. The pattern is
 * matched against the whole file in multiline mode (^ and $ at line
 * ends) and each match is credited to the line it starts on; files are
 * searched in path order; binary files (a NUL in the first 8000 bytes),
 * symbolic links and .git are skipped.
 */

#define LINE_MAX_BYTES 2000
#define NOTE_ROOM 160

enum mode { FILES, CONTENT, COUNT };

struct grep {
	struct wfm_tool_call *c;
	const struct wfm_regex *re;
	enum mode mode;
	int numbers;
	long before, after;
	struct wfm_strvec globs;
	struct wfm_strvec files; /* relative to the root */
	const char *prefix;	 /* the directory searched, relative to the root */
	size_t nr_files, nr_lines;
	int full, expensive;
};

static int collect(const char *rel, int is_link, void *data)
{
	struct grep *g = data;
	size_t i;

	if (is_link) /* as ripgrep: links are not followed, and they may lead out */
		return 0;
	for (i = 0; i < g->globs.nr; i++)
		if (wfm_glob_match(g->globs.v[i], rel))
			break;
	if (g->globs.nr && i == g->globs.nr)
		return 0;
	wfm_strvec_push_nodup(&g->files,
			      *g->prefix ? wfm_fs_join(g->prefix, rel) : wfm_strdup(rel));
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends s unless that would pass the cap; 0, or -1 once full. */
static int emit(struct grep *g, const char *s, size_t len)
{
	struct wfm_buf *out = g->c->out;

	if (g->full || out->len - g->c->start + len + NOTE_ROOM > g->c->cap) {
		g->full = 1;
		return -1;
	}
	wfm_buf_add(out, s, len);
	return 0;
}

static int emit_line(struct grep *g, const char *rel, size_t no, char sep, const char *s,
		     size_t len)
{
	struct wfm_buf line = WFM_BUF_INIT;
	int rc;

	wfm_buf_adds(&line, rel);
	if (g->numbers)
		wfm_buf_addf(&line, "%c%zu", sep, no);
	wfm_buf_addch(&line, sep);
	if (len > LINE_MAX_BYTES) {
		size_t keep = LINE_MAX_BYTES;

		while (keep > LINE_MAX_BYTES - 4 && ((unsigned char)s[keep] & 0xC0) == 0x80)
			keep--;
		wfm_buf_add(&line, s, keep);
		wfm_buf_addf(&line, " [line cut: %zu more bytes]", len - keep);
	} else {
		wfm_buf_add(&line, s, len);
	}
	wfm_buf_addch(&line, '\n');
	rc = emit(g, line.ptr, line.len);
	wfm_buf_release(&line);
	return rc;
}

/*
 * The lines (0-based) on which a match starts, in order, into *lines;
 * their number is returned. Stops at the first with stop_at_first.
 */
static size_t find(struct grep *g, const char *data, size_t len, size_t **lines, size_t *alloc,
		   int stop_at_first)
{
	struct wfm_regex_match m;
	size_t pos = 0, line = 0, counted = 0, nr = 0;

	while (pos <= len) {
		int rc = wfm_regex_match(g->re, data, len, pos, &m);
		size_t start, eol;
		const char *nl;

		if (rc == WFM_EBUDGET)
			g->expensive = 1;
		if (rc <= 0)
			break;
		start = (size_t)m.start[0];
		for (; counted < start; counted++)
			line += data[counted] == '\n';
		WFM_ALLOC_GROW(*lines, nr + 1, *alloc);
		(*lines)[nr++] = line;
		if (stop_at_first)
			break;
		nl = memchr(data + start, '\n', len - start);
		eol = nl ? (size_t)(nl - data) : len;
		if (eol >= len)
			break;
		pos = eol + 1;
	}
	return nr;
}

static void search(struct grep *g, const char *rel, const char *data, size_t len)
{
	size_t *lines = NULL, alloc = 0, nr;

	nr = find(g, data, len, &lines, &alloc, g->mode == FILES);
	if (!nr)
		goto done;
	g->nr_files++;
	g->nr_lines += nr;
	if (g->mode == FILES) {
		struct wfm_buf b = WFM_BUF_INIT;

		wfm_buf_addf(&b, "%s\n", rel);
		emit(g, b.ptr, b.len);
		wfm_buf_release(&b);
	} else if (g->mode == COUNT) {
		struct wfm_buf b = WFM_BUF_INIT;

		wfm_buf_addf(&b, "%s:%zu\n", rel, nr);
		emit(g, b.ptr, b.len);
		wfm_buf_release(&b);
	} else {
		/* line starts; each line marked 2 (a match) or 1 (context) */
		size_t *starts = NULL, nr_starts = 0, alloc_s = 0, i, prev = SIZE_MAX;
		char *show;

		WFM_ALLOC_GROW(starts, 1, alloc_s);
		starts[nr_starts++] = 0;
		for (i = 0; i < len; i++)
			if (data[i] == '\n' && i + 1 < len) {
				WFM_ALLOC_GROW(starts, nr_starts + 1, alloc_s);
				starts[nr_starts++] = i + 1;
			}
		show = wfm_calloc(nr_starts, 1);
		for (i = 0; i < nr; i++) {
			size_t from =
				lines[i] > (size_t)g->before ? lines[i] - (size_t)g->before : 0;
			size_t to = lines[i] + (size_t)g->after;

			for (size_t l = from; l <= to && l < nr_starts; l++)
				if (!show[l])
					show[l] = 1;
		}
		for (i = 0; i < nr; i++)
			if (lines[i] < nr_starts)
				show[lines[i]] = 2;
		for (i = 0; i < nr_starts && !g->full; i++) {
			size_t s = starts[i];
			size_t e = i + 1 < nr_starts ? starts[i + 1] - 1 : len;

			if (!show[i])
				continue;
			/* groups apart, and files, separated by "--" when there is context */
			if ((g->before || g->after) &&
			    (prev == SIZE_MAX ? g->c->out->len > g->c->start : i > prev + 1) &&
			    emit(g, "--\n", 3) < 0)
				break;
			if (e > s && data[e - 1] == '\n')
				e--;
			emit_line(g, rel, i + 1, show[i] == 2 ? ':' : '-', data + s, e - s);
			prev = i;
		}
		free(show);
		free(starts);
	}
done:
	free(lines);
}

int wfm_tool_grep(struct wfm_tool_call *c)
{
	struct grep g = {
		c, NULL, FILES, 1, 0, 0, WFM_STRVEC_INIT, WFM_STRVEC_INIT, "", 0, 0, 0, 0
	};
	struct wfm_regex *re = NULL;
	const char *pattern = NULL, *path_arg = ".", *glob = NULL, *mode = NULL;
	char *path = NULL, *root_real = NULL;
	long ctx_lines = -1;
	int icase = 0, rc = 0;
	struct stat st;

	if (wfm_tool_arg_str(c, "pattern", 1, &pattern) < 0 ||
	    wfm_tool_arg_str(c, "path", 0, &path_arg) < 0 ||
	    wfm_tool_arg_str(c, "glob", 0, &glob) < 0 ||
	    wfm_tool_arg_str(c, "output_mode", 0, &mode) < 0 ||
	    wfm_tool_arg_bool(c, "-i", &icase) < 0 || wfm_tool_arg_bool(c, "-n", &g.numbers) < 0 ||
	    wfm_tool_arg_long(c, "-A", 0, &g.after) < 0 ||
	    wfm_tool_arg_long(c, "-B", 0, &g.before) < 0 ||
	    wfm_tool_arg_long(c, "-C", 0, &ctx_lines) < 0)
		goto done;
	if (ctx_lines >= 0) {
		if (!cJSON_GetObjectItemCaseSensitive(c->input, "-A"))
			g.after = ctx_lines;
		if (!cJSON_GetObjectItemCaseSensitive(c->input, "-B"))
			g.before = ctx_lines;
	}
	if (g.after > 1000)
		g.after = 1000;
	if (g.before > 1000)
		g.before = 1000;
	if (!mode || !strcmp(mode, "files_with_matches"))
		g.mode = FILES;
	else if (!strcmp(mode, "content"))
		g.mode = CONTENT;
	else if (!strcmp(mode, "count"))
		g.mode = COUNT;
	else {
		wfm_tool_fail(c,
			      "Grep: output_mode must be content, files_with_matches or count, "
			      "not '%s'",
			      mode);
		goto done;
	}
	if (!*pattern) {
		wfm_tool_fail(c, "Grep: the pattern is empty");
		goto done;
	}
	if (wfm_regex_compile(&re, pattern,
			      WFM_REGEX_MULTILINE | (icase ? WFM_REGEX_CASELESS : 0)) < 0) {
		wfm_tool_fail(c, "Grep: %s", wfm_error_last());
		goto done;
	}
	g.re = re;
	if (!*path_arg)
		path_arg = ".";
	if (wfm_tool_root_real(&root_real, c->ctx->root) < 0) {
		rc = -1;
		goto done;
	}
	if (wfm_tool_path(&path, c->ctx->root, path_arg, 0) < 0) {
		wfm_tool_fail_last(c);
		goto done;
	}
	if (lstat(path, &st) < 0) {
		wfm_tool_fail(c, "cannot search '%s': %s", path_arg, strerror(errno));
		goto done;
	}
	if (S_ISDIR(st.st_mode)) {
		if (glob)
			wfm_tool_glob_expand(&g.globs, glob);
		g.prefix = wfm_tool_rel(root_real, path);
		if (wfm_tool_walk(path, c->ctx->cancel, collect, &g) < 0) {
			wfm_tool_fail_last(c);
			goto done;
		}
		if (g.files.nr)
			qsort(g.files.v, g.files.nr, sizeof(*g.files.v), cmp_str);
	} else {
		wfm_strvec_push(&g.files, wfm_tool_rel(root_real, path));
	}

	for (size_t i = 0; i < g.files.nr && !g.full; i++) {
		struct wfm_buf data = WFM_BUF_INIT;
		char *abs;

		if (wfm_tool_cancelled(c->ctx)) {
			wfm_tool_fail(c, "Grep: cancelled");
			goto done;
		}
		abs = wfm_fs_join(root_real, g.files.v[i]);
		/* unreadable, too large or gone: skipped, as ripgrep does */
		if (wfm_tool_read_file(&data, NULL, abs, g.files.v[i]) == 0 &&
		    !wfm_tool_is_binary(data.ptr, data.len))
			search(&g, g.files.v[i], data.ptr, data.len);
		wfm_buf_release(&data);
		free(abs);
	}
	if (!g.nr_files) {
		wfm_buf_addf(c->out, "no matches for '%s'", pattern);
		if (strcmp(path_arg, "."))
			wfm_buf_addf(c->out, " in '%s'", path_arg);
		if (glob)
			wfm_buf_addf(c->out, " (files matching '%s')", glob);
		wfm_buf_addch(c->out, '\n');
	}
	if (g.full)
		wfm_buf_addf(c->out,
			     "[truncated: the answer is limited to %zu bytes; narrow the "
			     "search with path, glob or a more precise pattern]\n",
			     c->cap);
	if (g.expensive)
		wfm_buf_addf(c->out, "[the pattern was too costly to match in some files: they "
				     "may have matches not shown]\n");
done:
	wfm_regex_free(re);
	wfm_strvec_clear(&g.globs);
	wfm_strvec_clear(&g.files);
	free(path);
	free(root_real);
	return rc;
}
