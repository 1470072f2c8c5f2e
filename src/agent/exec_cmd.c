/*
 * The exec provider's command, made to mean where it runs what it meant
 * where the user typed it: agents run at the top of a worktree of their
 * own, not in the user's directory, so relative paths in --agent-cmd are
 * resolved once, when the run starts. docs/providers.md says what is.
 */
#include "base/common.h"
#include "base/buf.h"
#include "agent/exec.h"

#include <ctype.h>
#include <limits.h>
#include <sys/stat.h>

/* A word of the command: where it is in the text, and its value once unquoted. */
struct word {
	size_t start, end;
	struct wfm_buf value;
	int literal; /* no expansion ($, `, globs, ~): value is what the shell passes */
};

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Characters that end a simple command or start a redirection, unquoted. */
static int is_operator(char c)
{
	return c == ';' || c == '&' || c == '|' || c == '(' || c == ')' || c == '<' || c == '>' ||
	       c == '\n';
}

/*
 * Reads the word at cmd[*pos] into w; returns 0 at the end of the first
 * simple command (an operator, a comment, the end), else 1.
 */
static int next_word(struct word *w, const char *cmd, size_t *pos)
{
	size_t i = *pos;
	char quote = 0;

	while (is_blank(cmd[i]))
		i++;
	if (!cmd[i] || is_operator(cmd[i]) || cmd[i] == '#')
		return 0;
	w->start = i;
	w->literal = cmd[i] != '~';
	wfm_buf_clear(&w->value);
	for (; cmd[i]; i++) {
		char c = cmd[i];

		if (!quote && (is_blank(c) || is_operator(c)))
			break;
		if (quote == '\'') {
			if (c == '\'')
				quote = 0;
			else
				wfm_buf_addch(&w->value, c);
		} else if (c == '\\' && cmd[i + 1] && (!quote || strchr("$`\"\\\n", cmd[i + 1]))) {
			wfm_buf_addch(&w->value, cmd[++i]);
		} else if (c == '$' || c == '`') {
			w->literal = 0;
			wfm_buf_addch(&w->value, c);
		} else if (quote == '"') {
			if (c == '"')
				quote = 0;
			else
				wfm_buf_addch(&w->value, c);
		} else if (c == '\'' || c == '"') {
			quote = c;
		} else {
			if (c == '*' || c == '?' || c == '[')
				w->literal = 0;
			wfm_buf_addch(&w->value, c);
		}
	}
	if (quote)
		w->literal = 0; /* unbalanced: sh will refuse it, leave it be */
	w->end = i;
	*pos = i;
	return 1;
}

/* NAME=value before the program: an assignment, not a path. */
static int is_assignment(const char *s)
{
	if (!(isalpha((unsigned char)*s) || *s == '_'))
		return 0;
	while (isalnum((unsigned char)*s) || *s == '_')
		s++;
	return *s == '=';
}

/* path as the shell takes it: bare when it holds only safe characters, else in single quotes. */
static void add_quoted(struct wfm_buf *out, const char *path)
{
	if (*path && strspn(path, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				  "0123456789_./+,:@%=-") == strlen(path)) {
		wfm_buf_adds(out, path);
		return;
	}
	wfm_buf_addch(out, '\'');
	for (; *path; path++) {
		if (*path == '\'')
			wfm_buf_adds(out, "'\\''");
		else
			wfm_buf_addch(out, *path);
	}
	wfm_buf_addch(out, '\'');
}

/*
 * The absolute path of rel taken from dir, with the directories' symbolic
 * links resolved but not the last component (a program may care what it
 * is called): 0, or WFM_ENOTFOUND when nothing is there.
 */
static int absolute(struct wfm_buf *out, const char *dir, const char *rel)
{
	struct wfm_buf full = WFM_BUF_INIT;
	char real[PATH_MAX], *slash;
	const char *last;
	struct stat st;
	int rc = 0;

	wfm_buf_addf(&full, "%s/%s", dir, rel);
	while (full.len > 1 && full.ptr[full.len - 1] == '/')
		wfm_buf_setlen(&full, full.len - 1);
	if (lstat(full.ptr, &st) < 0) {
		rc = WFM_ENOTFOUND;
		goto done;
	}
	slash = strrchr(full.ptr, '/');
	last = slash + 1;
	*slash = '\0';
	if (!strcmp(last, ".") || !strcmp(last, "..")) {
		/* a directory named by dots: all of it resolves */
		*slash = '/';
		last = "";
	}
	if (!realpath(*full.ptr ? full.ptr : "/", real)) {
		rc = WFM_ENOTFOUND;
		goto done;
	}
	wfm_buf_clear(out);
	wfm_buf_adds(out, real);
	if (*last)
		wfm_buf_addf(out, "%s%s", strcmp(real, "/") ? "/" : "", last);
done:
	wfm_buf_release(&full);
	return rc;
}

/* path relative to top when it lies under it (top itself: "."), else NULL */
static const char *under(const char *path, const char *top)
{
	size_t n = top ? strlen(top) : 0;

	if (!n || strncmp(path, top, n))
		return NULL;
	if (!path[n])
		return ".";
	if (path[n] != '/' && strcmp(top, "/"))
		return NULL;
	return path + n + (path[n] == '/');
}

/*
 * What replaces the word: its absolute path, or for an argument naming a
 * file the base commit tracks, that path from the top ("./src/x.c"), which
 * is the agent's own copy of it. 0 with *out empty: the word stays.
 */
static int resolve_word(struct wfm_buf *out, const struct word *w, int program,
			const struct wfm_exec_cmd_where *where)
{
	struct wfm_buf abs = WFM_BUF_INIT;
	const char *v = w->value.ptr, *rel;
	int rc = 0;

	wfm_buf_clear(out);
	if (!w->literal || !*v || *v == '/' || *v == '-' || !strchr(v, '/'))
		return 0;
	if (absolute(&abs, where->cwd, v) < 0) {
		if (program)
			rc = wfm_error_setc(
				WFM_EINVALID,
				"the agent command's program '%s' does not exist in '%s' "
				"(a relative path is taken from there)",
				v, where->cwd);
		goto done;
	}
	rel = program ? NULL : under(abs.ptr, where->top);
	if (rel && !strcmp(rel, ".")) {
		wfm_buf_addch(out, '.'); /* the top: the agent's worktree */
		goto done;
	}
	if (rel && where->tracked && (rc = where->tracked(where->data, rel)) < 0)
		goto done;
	if (rel && rc == 1 && (!strcmp(v, rel) || (!strncmp(v, "./", 2) && !strcmp(v + 2, rel))))
		; /* already that path: the word stays */
	else if (rel && rc == 1)
		wfm_buf_addf(out, "./%s", rel);
	else
		wfm_buf_add(out, abs.ptr, abs.len);
	rc = 0;
done:
	wfm_buf_release(&abs);
	return rc;
}

int wfm_agent_exec_resolve_cmd(char **out, const char *cmd, const struct wfm_exec_cmd_where *where)
{
	struct word w = { 0, 0, WFM_BUF_INIT, 0 };
	struct wfm_buf res = WFM_BUF_INIT, path = WFM_BUF_INIT;
	size_t pos = 0, copied = 0;
	int program = 1, rc = 0;

	*out = NULL;
	while (next_word(&w, cmd, &pos)) {
		if (program && w.literal && is_assignment(w.value.ptr))
			continue;
		if ((rc = resolve_word(&path, &w, program, where)) < 0)
			goto done;
		program = 0;
		if (!path.len)
			continue;
		wfm_buf_add(&res, cmd + copied, w.start - copied);
		add_quoted(&res, path.ptr);
		copied = w.end;
	}
	wfm_buf_adds(&res, cmd + copied);
	*out = wfm_buf_detach(&res, NULL);
done:
	wfm_buf_release(&w.value);
	wfm_buf_release(&res);
	wfm_buf_release(&path);
	return rc;
}
