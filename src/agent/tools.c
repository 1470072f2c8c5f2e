#define _GNU_SOURCE /* strchrnul, memmem */
#include "base/common.h"
#include "agent/tools_priv.h"
#include "base/strvec.h"

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

/*
 * The tool table: names, descriptions and input schemas as coding models
 * know them (Claude Code's shapes), and the dispatch of a call. The
 * descriptions say what the model needs to call the tool right the first
 * time, and no more: they are part of every agent's prompt prefix.
 */

static const struct tool {
	unsigned id;
	const char *name;
	int (*run)(struct wfm_tool_call *c);
	const char *description;
	const char *schema;
} tools[] = {
	{ WFM_TOOL_READ, "Read", wfm_tool_read,
	  "Reads a file of the worktree. Returns its lines numbered like `cat -n` (number, tab, "
	  "line): 2000 lines from `offset` by default, lines over 2000 characters cut. Binary "
	  "files and directories are refused (use Glob to list files).",
	  "{\"type\":\"object\",\"properties\":{"
	  "\"file_path\":{\"type\":\"string\",\"description\":\"The file: relative to the worktree "
	  "root, "
	  "or absolute inside it\"},"
	  "\"offset\":{\"type\":\"integer\",\"minimum\":1,\"description\":\"The line to start at "
	  "(1-based); "
	  "for files too long to read at once\"},"
	  "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"description\":\"How many lines to read "
	  "(default 2000)\"}},"
	  "\"required\":[\"file_path\"],\"additionalProperties\":false}" },
	{ WFM_TOOL_WRITE, "Write", wfm_tool_write,
	  "Writes a file of the worktree: creates it (and its directories) or replaces its whole "
	  "content, keeping its mode. To change part of a file, use Edit.",
	  "{\"type\":\"object\",\"properties\":{"
	  "\"file_path\":{\"type\":\"string\",\"description\":\"The file: relative to the worktree "
	  "root, "
	  "or absolute inside it\"},"
	  "\"content\":{\"type\":\"string\",\"description\":\"The whole new content of the "
	  "file\"}},"
	  "\"required\":[\"file_path\",\"content\"],\"additionalProperties\":false}" },
	{ WFM_TOOL_EDIT, "Edit", wfm_tool_edit,
	  "Replaces old_string with new_string in a file. The match is exact, whitespace and "
	  "indentation included (leave out the line-number prefix Read shows). old_string must "
	  "occur exactly once: include more surrounding lines to make it unique, or set "
	  "replace_all to replace every occurrence.",
	  "{\"type\":\"object\",\"properties\":{"
	  "\"file_path\":{\"type\":\"string\",\"description\":\"The file: relative to the worktree "
	  "root, "
	  "or absolute inside it\"},"
	  "\"old_string\":{\"type\":\"string\",\"description\":\"The exact text to replace\"},"
	  "\"new_string\":{\"type\":\"string\",\"description\":\"The text to put in its place "
	  "(must "
	  "differ from old_string)\"},"
	  "\"replace_all\":{\"type\":\"boolean\",\"default\":false,\"description\":\"Replace every "
	  "occurrence of old_string\"}},"
	  "\"required\":[\"file_path\",\"old_string\",\"new_string\"],\"additionalProperties\":"
	  "false}" },
	{ WFM_TOOL_GLOB, "Glob", wfm_tool_glob,
	  "Finds files by path pattern: `*` and `?` within a name, `**` across directories, "
	  "`[abc]`, `{a,b}`. The pattern is relative to `path`: `*.c` matches there only, "
	  "`**/*.c` at any depth. Returns the paths relative to the worktree root, sorted; .git "
	  "is skipped.",
	  "{\"type\":\"object\",\"properties\":{"
	  "\"pattern\":{\"type\":\"string\",\"description\":\"The glob, e.g. `src/**/*.ts`\"},"
	  "\"path\":{\"type\":\"string\",\"description\":\"The directory to search in (default: "
	  "the "
	  "worktree root)\"}},"
	  "\"required\":[\"pattern\"],\"additionalProperties\":false}" },
	{ WFM_TOOL_GREP, "Grep", wfm_tool_grep,
	  "Searches file contents for a regular expression (PCRE2, like ripgrep). output_mode: "
	  "`files_with_matches` (default) lists matching files; `content` shows matching lines as "
	  "path:line:text (context lines path-line-text); `count` gives path:matching-lines. "
	  "Binary files and .git are skipped; paths are relative to the worktree root.",
	  "{\"type\":\"object\",\"properties\":{"
	  "\"pattern\":{\"type\":\"string\",\"description\":\"The regular expression\"},"
	  "\"path\":{\"type\":\"string\",\"description\":\"The file or directory to search "
	  "(default: "
	  "the worktree root)\"},"
	  "\"glob\":{\"type\":\"string\",\"description\":\"Only files matching this glob, e.g. "
	  "`*.js` "
	  "or `*.{ts,tsx}` (without `/`: the file name at any depth; with `/`: the path under "
	  "`path`)\"},"
	  "\"output_mode\":{\"type\":\"string\",\"enum\":[\"content\",\"files_with_matches\","
	  "\"count\"],"
	  "\"description\":\"What to show (default files_with_matches)\"},"
	  "\"-i\":{\"type\":\"boolean\",\"description\":\"Case-insensitive\"},"
	  "\"-n\":{\"type\":\"boolean\",\"description\":\"Line numbers in content mode (default "
	  "true)\"},"
	  "\"-A\":{\"type\":\"integer\",\"minimum\":0,\"description\":\"Lines of context after "
	  "each "
	  "match (content mode)\"},"
	  "\"-B\":{\"type\":\"integer\",\"minimum\":0,\"description\":\"Lines of context before "
	  "each "
	  "match (content mode)\"},"
	  "\"-C\":{\"type\":\"integer\",\"minimum\":0,\"description\":\"Lines of context before "
	  "and "
	  "after each match (content mode)\"}},"
	  "\"required\":[\"pattern\"],\"additionalProperties\":false}" },
	{ WFM_TOOL_BASH, "Bash", wfm_tool_bash,
	  "Runs a command with `sh -c` in the worktree root and returns its stdout and stderr "
	  "together, then `exit status N` when N is not 0. Each call starts afresh (no state is "
	  "kept between calls); stdin is empty; API keys are not in the environment. Long output "
	  "keeps its end.",
	  "{\"type\":\"object\",\"properties\":{"
	  "\"command\":{\"type\":\"string\",\"description\":\"The command\"},"
	  "\"timeout\":{\"type\":\"integer\",\"minimum\":1,\"description\":\"Time limit in "
	  "milliseconds (default and maximum: 120000 unless the run sets others)\"},"
	  "\"description\":{\"type\":\"string\",\"description\":\"What the command does, in a few "
	  "words\"}},"
	  "\"required\":[\"command\"],\"additionalProperties\":false}" },
};

#define NR_TOOLS WFM_ARRAY_SIZE(tools)
#define NR_MASKS (1u << NR_TOOLS)

static struct wfm_llm_tool defs[NR_MASKS][NR_TOOLS];
static size_t nr_defs[NR_MASKS];
static pthread_once_t defs_once = PTHREAD_ONCE_INIT;

static void defs_init(void)
{
	cJSON *schemas[NR_TOOLS];

	for (size_t t = 0; t < NR_TOOLS; t++) {
		/* static text of ours: a parse failure is a bug caught by the tests */
		if (wfm_json_parse(&schemas[t], tools[t].schema, strlen(tools[t].schema)) < 0)
			abort();
	}
	for (unsigned m = 0; m < NR_MASKS; m++)
		for (size_t t = 0; t < NR_TOOLS; t++)
			if (m & tools[t].id) {
				struct wfm_llm_tool *d = &defs[m][nr_defs[m]++];

				d->name = tools[t].name;
				d->description = tools[t].description;
				d->schema = schemas[t];
			}
}

const struct wfm_llm_tool *wfm_tool_defs(unsigned allowed, size_t *nr)
{
	pthread_once(&defs_once, defs_init);
	allowed &= NR_MASKS - 1;
	*nr = nr_defs[allowed];
	return defs[allowed];
}

unsigned wfm_tool_find(const char *name)
{
	for (size_t t = 0; name && t < NR_TOOLS; t++)
		if (!strcmp(name, tools[t].name))
			return tools[t].id;
	return 0;
}

int wfm_tool_cancelled(const struct wfm_tool_ctx *ctx)
{
	return ctx->cancel && *ctx->cancel;
}

int wfm_tool_fail(struct wfm_tool_call *c, const char *fmt, ...)
{
	va_list ap;

	wfm_buf_setlen(c->out, c->start);
	va_start(ap, fmt);
	wfm_buf_vaddf(c->out, fmt, ap);
	va_end(ap);
	*c->is_error = 1;
	return 0;
}

int wfm_tool_fail_last(struct wfm_tool_call *c)
{
	return wfm_tool_fail(c, "%s", wfm_error_last());
}

int wfm_tool_arg_str(struct wfm_tool_call *c, const char *key, int required, const char **v)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(c->input, key);

	if (!it || cJSON_IsNull(it)) {
		if (!required)
			return 0;
		wfm_tool_fail(c, "%s: missing argument '%s'", c->name, key);
		return -1;
	}
	if (!cJSON_IsString(it) || !it->valuestring) {
		wfm_tool_fail(c, "%s: argument '%s' must be a string", c->name, key);
		return -1;
	}
	*v = it->valuestring;
	return 1;
}

int wfm_tool_arg_long(struct wfm_tool_call *c, const char *key, long min, long *v)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(c->input, key);
	long n;

	if (!it || cJSON_IsNull(it))
		return 0;
	if (cJSON_IsNumber(it)) {
		double d = it->valuedouble;

		if (d != floor(d) || d < (double)LONG_MIN || d >= (double)LONG_MAX)
			goto bad;
		n = (long)d;
	} else if (cJSON_IsString(it) && it->valuestring && *it->valuestring) {
		char *end;

		errno = 0;
		n = strtol(it->valuestring, &end, 10);
		if (errno || *end)
			goto bad;
	} else {
		goto bad;
	}
	if (n < min) {
		wfm_tool_fail(c, "%s: argument '%s' must be at least %ld", c->name, key, min);
		return -1;
	}
	*v = n;
	return 1;
bad:
	wfm_tool_fail(c, "%s: argument '%s' must be an integer", c->name, key);
	return -1;
}

int wfm_tool_arg_bool(struct wfm_tool_call *c, const char *key, int *v)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(c->input, key);

	if (!it || cJSON_IsNull(it))
		return 0;
	if (cJSON_IsBool(it)) {
		*v = cJSON_IsTrue(it);
		return 1;
	}
	if (cJSON_IsString(it) && it->valuestring &&
	    (!strcmp(it->valuestring, "true") || !strcmp(it->valuestring, "false"))) {
		*v = !strcmp(it->valuestring, "true");
		return 1;
	}
	wfm_tool_fail(c, "%s: argument '%s' must be true or false", c->name, key);
	return -1;
}

int wfm_tool_run(struct wfm_buf *out, int *is_error, const struct wfm_tool_ctx *ctx,
		 const char *name, const cJSON *input)
{
	struct wfm_tool_call c = { ctx, name, input, 0, out, is_error, out->len };
	const struct tool *t = NULL;
	size_t i;

	*is_error = 0;
	for (i = 0; name && i < NR_TOOLS; i++)
		if (!strcmp(name, tools[i].name))
			t = &tools[i];
	if (!t || !(ctx->allowed & t->id)) {
		struct wfm_buf names = WFM_BUF_INIT;

		for (i = 0; i < NR_TOOLS; i++)
			if (ctx->allowed & tools[i].id)
				wfm_buf_addf(&names, "%s%s", names.len ? ", " : "", tools[i].name);
		wfm_tool_fail(&c, "tool '%s' is not available to this agent (its tools: %s)",
			      name ? name : "", names.len ? names.ptr : "none");
		wfm_buf_release(&names);
		return 0;
	}
	c.name = t->name;
	if (wfm_tool_cancelled(ctx))
		return wfm_tool_fail(&c, "%s: cancelled", c.name);
	if (!cJSON_IsObject(input))
		return wfm_tool_fail(&c, "%s: the input must be a JSON object", c.name);
	if (!ctx->root || ctx->root[0] != '/')
		return wfm_error_setc(WFM_EINVALID, "tools: the worktree is not an absolute path");
	c.cap = ctx->output_cap ? ctx->output_cap : WFM_TOOL_OUTPUT_CAP_DEFAULT;
	return t->run(&c);
}

/* The walk */

struct walk {
	const volatile sig_atomic_t *cancel;
	wfm_tool_walk_fn fn;
	void *data;
	struct wfm_buf rel;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk_dir(struct walk *w, int dfd, int depth)
{
	struct wfm_strvec names = WFM_STRVEC_INIT;
	size_t base = w->rel.len;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return 0;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    !wfm_tool_is_git_name(de->d_name, strlen(de->d_name)))
			wfm_strvec_push(&names, de->d_name);
	/* sorted, so that results come out the same on every file system */
	if (names.nr)
		qsort(names.v, names.nr, sizeof(*names.v), cmp_str);
	for (size_t i = 0; i < names.nr && !rc; i++) {
		struct stat st;

		if (w->cancel && *w->cancel) {
			rc = wfm_error_setc(WFM_ETIMEOUT, "cancelled");
			break;
		}
		if (fstatat(dirfd(d), names.v[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		wfm_buf_setlen(&w->rel, base);
		if (base)
			wfm_buf_addch(&w->rel, '/');
		wfm_buf_adds(&w->rel, names.v[i]);
		if (S_ISDIR(st.st_mode)) {
			int sub;

			if (depth >= 256)
				continue;
			sub = openat(dirfd(d), names.v[i],
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				rc = walk_dir(w, sub, depth + 1);
		} else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
			rc = w->fn(w->rel.ptr, S_ISLNK(st.st_mode), w->data);
		}
	}
	wfm_buf_setlen(&w->rel, base);
	closedir(d);
	wfm_strvec_clear(&names);
	return rc;
}

int wfm_tool_walk(const char *dir, const volatile sig_atomic_t *cancel, wfm_tool_walk_fn fn,
		  void *data)
{
	struct walk w = { cancel, fn, data, WFM_BUF_INIT };
	int dfd, rc;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return wfm_error_set("cannot open directory '%s': %s", dir, strerror(errno));
	rc = walk_dir(&w, dfd, 0);
	wfm_buf_release(&w.rel);
	return rc;
}

void wfm_tool_glob_expand(struct wfm_strvec *out, const char *pattern)
{
	const char *open = strchr(pattern, '{'), *close, *s;

	if (out->nr >= 256)
		return;
	close = open ? strchr(open, '}') : NULL;
	if (!open || !close) {
		wfm_strvec_push(out, pattern);
		return;
	}
	for (s = open + 1;;) {
		const char *e = s;
		struct wfm_buf b = WFM_BUF_INIT;

		while (e < close && *e != ',')
			e++;
		wfm_buf_add(&b, pattern, (size_t)(open - pattern));
		wfm_buf_add(&b, s, (size_t)(e - s));
		wfm_buf_adds(&b, close + 1);
		wfm_tool_glob_expand(out, b.ptr);
		wfm_buf_release(&b);
		if (e >= close)
			break;
		s = e + 1;
	}
}

int wfm_tool_is_binary(const char *data, size_t len)
{
	return memchr(data, '\0', len < 8000 ? len : 8000) != NULL;
}

#define READ_MAX (64u << 20)

int wfm_tool_read_file(struct wfm_buf *out, unsigned *mode, const char *path, const char *shown)
{
	struct stat st;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return wfm_error_setc(WFM_ENOTFOUND, "'%s' does not exist", shown);
		if (errno == ELOOP)
			return wfm_error_setc(WFM_EINVALID, "'%s' is a symbolic link: not followed",
					      shown);
		return wfm_error_setc(WFM_EINVALID, "cannot open '%s': %s", shown, strerror(errno));
	}
	if (fstat(fd, &st) < 0) {
		rc = wfm_error_set("cannot stat '%s': %s", shown, strerror(errno));
		goto done;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = wfm_error_setc(WFM_EINVALID, "'%s' is a directory (use Glob to list files)",
				    shown);
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = wfm_error_setc(WFM_EINVALID, "'%s' is not a regular file", shown);
		goto done;
	}
	if (st.st_size > READ_MAX) {
		rc = wfm_error_setc(WFM_EINVALID, "'%s' is too large (%lld bytes; at most %u)",
				    shown, (long long)st.st_size, READ_MAX);
		goto done;
	}
	if (mode)
		*mode = st.st_mode & 07777;
	wfm_buf_grow(out, (size_t)st.st_size + 1);
	for (;;) {
		char chunk[65536];
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = wfm_error_set("cannot read '%s': %s", shown, strerror(errno));
			goto done;
		}
		if (!n)
			break;
		if (out->len + (size_t)n > READ_MAX) {
			rc = wfm_error_setc(WFM_EINVALID, "'%s' is too large", shown);
			goto done;
		}
		wfm_buf_add(out, chunk, (size_t)n);
	}
done:
	close(fd);
	return rc;
}

int wfm_tool_write_file(const char *path, const char *data, size_t len, unsigned mode,
			const char *shown)
{
	static atomic_uint counter;
	const char *slash = strrchr(path, '/');
	struct wfm_buf tmp = WFM_BUF_INIT;
	int fd = -1, rc = 0, made = 0;
	size_t off = 0;

	for (int tries = 0; fd < 0; tries++) {
		wfm_buf_clear(&tmp);
		wfm_buf_add(&tmp, path, (size_t)(slash - path));
		/* not named after the file: a long name plus a suffix could pass NAME_MAX */
		wfm_buf_addf(&tmp, "/.wfm-write-%ld-%u", (long)getpid(),
			     atomic_fetch_add(&counter, 1));
		/* O_EXCL: never through a link; 0666 and the umask for a new file */
		fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (fd < 0 && (errno != EEXIST || tries > 100)) {
			rc = wfm_error_set("cannot write '%s': %s", shown, strerror(errno));
			goto done;
		}
	}
	made = 1;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = wfm_error_set("cannot write '%s': %s", shown, strerror(errno));
			goto done;
		}
		off += (size_t)n;
	}
	if (mode && fchmod(fd, mode) < 0) {
		rc = wfm_error_set("cannot set the mode of '%s': %s", shown, strerror(errno));
		goto done;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = wfm_error_set("cannot write '%s': %s", shown, strerror(errno));
		goto done;
	}
	fd = -1;
	if (rename(tmp.ptr, path) < 0)
		rc = wfm_error_set("cannot write '%s': %s", shown, strerror(errno));
done:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && made)
		unlink(tmp.ptr);
	wfm_buf_release(&tmp);
	return rc;
}
