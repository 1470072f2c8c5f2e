#define _GNU_SOURCE /* strchrnul, memmem */
#include "base/common.h"
#include "agent/tools_priv.h"
#include "base/fs.h"
#include "base/strvec.h"
#include "base/glob.h"

#include <fcntl.h>
#include <sys/stat.h>

/* Read, Write, Edit and Glob. */

#define READ_LIMIT_DEFAULT 2000
#define LINE_MAX_BYTES 2000
#define GLOB_MAX_PATHS 1000
/* room kept under the cap for the closing note */
#define NOTE_ROOM 128

/* n bytes of s, backed up so as not to cut a UTF-8 sequence */
static size_t utf8_cut(const char *s, size_t n)
{
	size_t k = n;

	while (k > 0 && k > n - 4 && ((unsigned char)s[k] & 0xC0) == 0x80)
		k--;
	return k;
}

int wfm_tool_read(struct wfm_tool_call *c)
{
	struct wfm_buf data = WFM_BUF_INIT;
	const char *fp = NULL;
	char *path = NULL;
	long offset = 1, limit = READ_LIMIT_DEFAULT;
	size_t lineno = 0, shown = 0, total = 0, last = 0;
	const char *s, *end;
	int full = 0;

	if (wfm_tool_arg_str(c, "file_path", 1, &fp) < 0 ||
	    wfm_tool_arg_long(c, "offset", 0, &offset) < 0 ||
	    wfm_tool_arg_long(c, "limit", 1, &limit) < 0)
		goto done;
	if (offset < 1) /* models send 0 for "from the start" */
		offset = 1;
	if (wfm_tool_path(&path, c->ctx->root, fp, 0) < 0 ||
	    wfm_tool_read_file(&data, NULL, path, fp) < 0) {
		wfm_tool_fail_last(c);
		goto done;
	}
	if (wfm_tool_is_binary(data.ptr, data.len)) {
		wfm_tool_fail(c, "'%s' is a binary file (%zu bytes): not shown", fp, data.len);
		goto done;
	}
	if (!data.len) {
		wfm_buf_addf(c->out, "('%s' is empty)", fp);
		goto done;
	}
	end = data.ptr + data.len;
	for (s = data.ptr; s < end; total++) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl ? nl : end;
		size_t len = (size_t)(e - s);

		lineno = total + 1;
		if (!full && lineno >= (size_t)offset && lineno - (size_t)offset < (size_t)limit) {
			size_t keep = len > LINE_MAX_BYTES ? utf8_cut(s, LINE_MAX_BYTES) : len;
			size_t need = 8 + keep + (keep < len ? 40 : 0);

			if (c->out->len - c->start + need + NOTE_ROOM > c->cap) {
				full = 1;
			} else {
				wfm_buf_addf(c->out, "%6zu\t", lineno);
				wfm_buf_add(c->out, s, keep);
				if (keep < len)
					wfm_buf_addf(c->out, " [line cut: %zu more bytes]",
						     len - keep);
				wfm_buf_addch(c->out, '\n');
				shown++;
				last = lineno;
			}
		}
		s = nl ? nl + 1 : end;
	}
	if (!shown && (size_t)offset > total) {
		wfm_buf_addf(c->out, "('%s' has %zu lines: offset %ld is past its end)", fp, total,
			     offset);
		goto done;
	}
	if (last < total)
		wfm_buf_addf(c->out, "[truncated: %zu more lines; use offset/limit]\n",
			     total - last);
done:
	wfm_buf_release(&data);
	free(path);
	return 0;
}

static size_t count_lines(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	return n + (len && s[len - 1] != '\n');
}

/*
 * Whether path exists as a file to be replaced: 1 with its mode, 0 when
 * it does not exist, -1 after failing the call. Opened with O_NOFOLLOW:
 * a link swapped in after the check is refused, not followed.
 */
static int existing(struct wfm_tool_call *c, const char *path, const char *shown, unsigned *mode)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ELOOP)
			wfm_tool_fail(c, "'%s' is a symbolic link: not written through", shown);
		else
			wfm_tool_fail(c, "cannot open '%s': %s", shown, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		wfm_tool_fail(c, "cannot stat '%s': %s", shown, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		wfm_tool_fail(c, "'%s' is %s", shown,
			      S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
		return -1;
	}
	close(fd);
	*mode = st.st_mode & 07777;
	return 1;
}

static int put(struct wfm_tool_call *c, const char *path, const char *shown, const char *data,
	       size_t len, unsigned mode)
{
	char *dir = wfm_fs_dirname(path);
	int rc = wfm_fs_mkdir_p(dir);

	free(dir);
	if (rc < 0 || wfm_tool_write_file(path, data, len, mode, shown) < 0) {
		wfm_tool_fail_last(c);
		return -1;
	}
	return 0;
}

int wfm_tool_write(struct wfm_tool_call *c)
{
	const char *fp = NULL, *content = NULL;
	char *path = NULL;
	unsigned mode = 0;
	int ex;
	size_t len;

	if (wfm_tool_arg_str(c, "file_path", 1, &fp) < 0 ||
	    wfm_tool_arg_str(c, "content", 1, &content) < 0)
		goto done;
	if (wfm_tool_path(&path, c->ctx->root, fp, 1) < 0) {
		wfm_tool_fail_last(c);
		goto done;
	}
	if ((ex = existing(c, path, fp, &mode)) < 0)
		goto done;
	len = strlen(content);
	if (put(c, path, fp, content, len, ex ? mode : 0) < 0)
		goto done;
	wfm_buf_addf(c->out, "%s '%s' (%zu lines, %zu bytes)", ex ? "wrote" : "created", fp,
		     count_lines(content, len), len);
done:
	free(path);
	return 0;
}

int wfm_tool_edit(struct wfm_tool_call *c)
{
	struct wfm_buf data = WFM_BUF_INIT, res = WFM_BUF_INIT;
	const char *fp = NULL, *old = NULL, *new = NULL, *s, *hit, *end;
	char *path = NULL;
	unsigned mode = 0;
	int all = 0, rc;
	size_t n = 0, olen, nlen;

	if (wfm_tool_arg_str(c, "file_path", 1, &fp) < 0 ||
	    wfm_tool_arg_str(c, "old_string", 1, &old) < 0 ||
	    wfm_tool_arg_str(c, "new_string", 1, &new) < 0 ||
	    wfm_tool_arg_bool(c, "replace_all", &all) < 0)
		goto done;
	if (!strcmp(old, new)) {
		wfm_tool_fail(c, "old_string and new_string are the same: nothing to change");
		goto done;
	}
	if (wfm_tool_path(&path, c->ctx->root, fp, 1) < 0) {
		wfm_tool_fail_last(c);
		goto done;
	}
	olen = strlen(old);
	nlen = strlen(new);
	rc = wfm_tool_read_file(&data, &mode, path, fp);
	if (rc == WFM_ENOTFOUND && !olen) {
		/* an empty old_string on a new file: create it, as Claude Code does */
		if (put(c, path, fp, new, nlen, 0) == 0)
			wfm_buf_addf(c->out, "created '%s' (%zu lines, %zu bytes)", fp,
				     count_lines(new, nlen), nlen);
		goto done;
	}
	if (rc < 0) {
		wfm_tool_fail_last(c);
		goto done;
	}
	if (!olen) {
		wfm_tool_fail(
			c, "old_string is empty but '%s' exists (to replace all of it, use Write)",
			fp);
		goto done;
	}
	end = data.ptr + data.len;
	for (s = data.ptr; (hit = memmem(s, (size_t)(end - s), old, olen)); s = hit + olen)
		n++;
	if (!n) {
		wfm_tool_fail(c,
			      "old_string not found in '%s' (it must match exactly, whitespace "
			      "included; Read the file again)",
			      fp);
		goto done;
	}
	if (n > 1 && !all) {
		wfm_tool_fail(c,
			      "old_string occurs %zu times in '%s'; give more context or set "
			      "replace_all",
			      n, fp);
		goto done;
	}
	wfm_buf_grow(&res, data.len + (nlen > olen ? n * (nlen - olen) : 0));
	for (s = data.ptr; (hit = memmem(s, (size_t)(end - s), old, olen)); s = hit + olen) {
		wfm_buf_add(&res, s, (size_t)(hit - s));
		wfm_buf_add(&res, new, nlen);
	}
	wfm_buf_add(&res, s, (size_t)(end - s));
	/* the mode read from the file: unchanged; 0 would mean a new file */
	if (put(c, path, fp, res.ptr, res.len, mode ? mode : 0600) < 0)
		goto done;
	wfm_buf_addf(c->out, "edited '%s': %zu replacement%s", fp, n, n == 1 ? "" : "s");
done:
	wfm_buf_release(&data);
	wfm_buf_release(&res);
	free(path);
	return 0;
}

struct glob_walk {
	struct wfm_strvec *patterns;
	struct wfm_strvec found;
	const char *prefix; /* the directory searched, relative to the root; "" for the root */
};

static int glob_one(const char *pat, const char *rel)
{
	if (!strcmp(pat, "**"))
		return 1;
	/* without a '/', the name at the top level only (wfm_glob_match would
	 * take it at any depth, as .gitignore does) */
	if (!strchr(pat, '/') && strchr(rel, '/'))
		return 0;
	return wfm_glob_match(pat, rel);
}

static int glob_fn(const char *rel, int is_link, void *data)
{
	struct glob_walk *g = data;

	for (size_t i = 0; i < g->patterns->nr; i++)
		if (glob_one(g->patterns->v[i], rel)) {
			char *p = *g->prefix ? wfm_fs_join(g->prefix, rel) : wfm_strdup(rel);

			wfm_strvec_push_nodup(&g->found, p);
			break;
		}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The pattern relative to dir: an absolute one under the root is made
 * relative; "./" is dropped. NULL after failing the call.
 */
static const char *glob_rel(struct wfm_tool_call *c, const char *pattern, const char *root_real)
{
	const char *root = c->ctx->root;
	size_t n = strlen(root);

	while (n > 1 && root[n - 1] == '/')
		n--;
	if (pattern[0] == '/') {
		if (!strncmp(pattern, root, n) && pattern[n] == '/')
			pattern += n + 1;
		else if (!strncmp(pattern, root_real, strlen(root_real)) &&
			 pattern[strlen(root_real)] == '/')
			pattern += strlen(root_real) + 1;
		else {
			wfm_tool_fail(c, "pattern '%s' is outside the worktree", pattern);
			return NULL;
		}
	}
	while (pattern[0] == '.' && pattern[1] == '/')
		pattern += 2;
	for (const char *s = pattern; *s;) {
		const char *e = strchrnul(s, '/');

		if (e - s == 2 && s[0] == '.' && s[1] == '.') {
			wfm_tool_fail(c, "pattern '%s': '..' is not allowed (set path instead)",
				      pattern);
			return NULL;
		}
		if (wfm_tool_is_git_name(s, (size_t)(e - s))) {
			wfm_tool_fail(c, "pattern '%s': .git is not searched", pattern);
			return NULL;
		}
		s = *e ? e + 1 : e;
	}
	if (!*pattern) {
		wfm_tool_fail(c, "Glob: the pattern is empty");
		return NULL;
	}
	return pattern;
}

int wfm_tool_glob(struct wfm_tool_call *c)
{
	struct wfm_strvec patterns = WFM_STRVEC_INIT;
	struct glob_walk g = { &patterns, WFM_STRVEC_INIT, "" };
	const char *pattern = NULL, *dir_arg = ".", *rel;
	char *dir = NULL, *root_real = NULL;
	size_t i, shown = 0;
	int rc = 0;

	if (wfm_tool_arg_str(c, "pattern", 1, &pattern) < 0 ||
	    wfm_tool_arg_str(c, "path", 0, &dir_arg) < 0)
		goto done;
	if (!*dir_arg)
		dir_arg = ".";
	if (wfm_tool_root_real(&root_real, c->ctx->root) < 0) {
		rc = -1;
		goto done;
	}
	if (!(rel = glob_rel(c, pattern, root_real)))
		goto done;
	if (wfm_tool_path(&dir, c->ctx->root, dir_arg, 0) < 0) {
		wfm_tool_fail_last(c);
		goto done;
	}
	if (!wfm_fs_is_dir(dir)) {
		wfm_tool_fail(c, "'%s' is not a directory", dir_arg);
		goto done;
	}
	wfm_tool_glob_expand(&patterns, rel);
	g.prefix = wfm_tool_rel(root_real, dir);
	if (wfm_tool_walk(dir, c->ctx->cancel, glob_fn, &g) < 0) {
		wfm_tool_fail_last(c);
		goto done;
	}
	if (!g.found.nr) {
		wfm_buf_addf(c->out, "no files match '%s'", pattern);
		if (strcmp(dir_arg, "."))
			wfm_buf_addf(c->out, " in '%s'", dir_arg);
		goto done;
	}
	qsort(g.found.v, g.found.nr, sizeof(*g.found.v), cmp_str);
	for (i = 0; i < g.found.nr && i < GLOB_MAX_PATHS; i++) {
		size_t len = strlen(g.found.v[i]);

		if (c->out->len - c->start + len + 1 + NOTE_ROOM > c->cap)
			break;
		wfm_buf_add(c->out, g.found.v[i], len);
		wfm_buf_addch(c->out, '\n');
		shown++;
	}
	if (shown < g.found.nr)
		wfm_buf_addf(c->out,
			     "[truncated: %zu more paths; narrow the pattern or set path]\n",
			     g.found.nr - shown);
done:
	wfm_strvec_clear(&patterns);
	wfm_strvec_clear(&g.found);
	free(dir);
	free(root_real);
	return rc;
}
