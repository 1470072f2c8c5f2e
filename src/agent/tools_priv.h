#ifndef WFM_AGENT_TOOLS_PRIV_H
#define WFM_AGENT_TOOLS_PRIV_H

/*
 * Shared by the tool implementations (tools.c, tool_*.c); not for
 * callers of tools.h.
 */
#include "agent/tools.h"

#define WFM_TOOL_OUTPUT_CAP_DEFAULT 30000
#define WFM_TOOL_BASH_TIMEOUT_DEFAULT_MS 120000UL

/* What one tool call sees: the context with its defaults filled in. */
struct wfm_tool_call {
	const struct wfm_tool_ctx *ctx;
	const char *name; /* "Read", ... (for messages) */
	const cJSON *input;
	size_t cap; /* ctx->output_cap or the default */
	struct wfm_buf *out;
	int *is_error;
	size_t start; /* out->len before the call: a failure replaces what follows */
};

/*
 * Arguments. Each returns 1 when the argument is there and valid (*v
 * set), 0 when it is absent (only for optional ones, *v untouched), and
 * -1 after writing "Read: ..." to the call's answer with *is_error set.
 * Integers and booleans sent as strings ("10", "true") are accepted:
 * local models do that.
 */
int wfm_tool_arg_str(struct wfm_tool_call *c, const char *key, int required, const char **v);
int wfm_tool_arg_long(struct wfm_tool_call *c, const char *key, long min, long *v);
int wfm_tool_arg_bool(struct wfm_tool_call *c, const char *key, int *v);

/* Sets the call's answer to the formatted message, with is_error; returns 0. */
int wfm_tool_fail(struct wfm_tool_call *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The answer is wfm_error_last(), with is_error; returns 0. */
int wfm_tool_fail_last(struct wfm_tool_call *c);

int wfm_tool_cancelled(const struct wfm_tool_ctx *ctx);

/* realpath(root): a new string, or WFM_ERROR. */
int wfm_tool_root_real(char **out, const char *root);

/*
 * path (absolute, inside root_real, as wfm_tool_path returns) relative to
 * root_real: "" for the root itself. Borrowed from path.
 */
const char *wfm_tool_rel(const char *root_real, const char *path);

/* Whether name is ".git" (in any case: case-insensitive file systems). */
int wfm_tool_is_git_name(const char *name, size_t len);

/*
 * The files under dir (an absolute path inside the worktree, already
 * checked), recursively, never following symbolic links and skipping
 * .git: each regular file or symbolic link (not directories) is passed to
 * fn with its path relative to dir. Stops early and returns fn's value
 * when it is non-zero; WFM_ETIMEOUT "cancelled" when *cancel is set.
 * Unreadable directories are skipped.
 */
typedef int (*wfm_tool_walk_fn)(const char *rel, int is_link, void *data);
int wfm_tool_walk(const char *dir, const volatile sig_atomic_t *cancel, wfm_tool_walk_fn fn,
		  void *data);

/*
 * Brace expansion of a glob: "*.{c,h}" → "*.c", "*.h" (groups may
 * repeat, not nest). The patterns are appended to out.
 */
struct wfm_strvec;
void wfm_tool_glob_expand(struct wfm_strvec *out, const char *pattern);

/* Whether the first bytes of a file (up to 8000) say it is binary (a NUL byte). */
int wfm_tool_is_binary(const char *data, size_t len);

/*
 * Reads the whole regular file at path (opened with O_NOFOLLOW) into
 * out, and its mode into *mode when non-NULL. WFM_EINVALID with a
 * message for the model when it is a directory, a link or not a regular
 * file; WFM_ENOTFOUND when it does not exist.
 */
int wfm_tool_read_file(struct wfm_buf *out, unsigned *mode, const char *path, const char *shown);

/*
 * Replaces the file at path with data: written to a temporary file in
 * the same directory, given mode, then renamed over path, so a link at
 * path is replaced and never followed, and a file hard-linked elsewhere
 * is not changed in place.
 */
int wfm_tool_write_file(const char *path, const char *data, size_t len, unsigned mode,
			const char *shown);

int wfm_tool_read(struct wfm_tool_call *c);
int wfm_tool_write(struct wfm_tool_call *c);
int wfm_tool_edit(struct wfm_tool_call *c);
int wfm_tool_glob(struct wfm_tool_call *c);
int wfm_tool_grep(struct wfm_tool_call *c);
int wfm_tool_bash(struct wfm_tool_call *c);

#endif
