#ifndef WFM_ENGINE_HARNESS_H
#define WFM_ENGINE_HARNESS_H

#include "base/json.h"

/*
 * The harness: a workflow script running in Node.js (runtime/harness.mjs,
 * found through base/datadir.h), talking newline-delimited JSON with the
 * engine as docs/protocol.md describes. This module starts node and moves
 * whole messages; what they mean is the engine's business.
 *
 * node runs in a process group of its own, with provider API keys and
 * GIT_DIR-like variables removed from its environment (as for every
 * child: base/process.h), NODE_OPTIONS and NODE_PATH removed, and TZ=UTC
 * so that dates built from numbers replay alike everywhere. Its flags:
 *
 *   --experimental-vm-modules --disallow-code-generation-from-strings
 *      always; the runtime refuses to start without them (they close
 *      sandbox escapes through import() and the host's Function);
 *   --experimental-permission (Node 20.13+, 21, 22 before 22.13) or
 *   --permission (22.13+, 23.5+) with --allow-fs-read for the runtime
 *      directory and the script alone: no file writes, no child
 *      processes, no workers for node itself. Older versions run without
 *      the permission model (Debian 12 ships Node 18): the vm sandbox
 *      still holds, this is defence in depth.
 * The version is asked once per node path (`node --version`); Node.js
 * older than 18 is refused.
 *
 * Engine -> node goes through a socket (sent with MSG_NOSIGNAL: a node
 * that has exited gives an error, never SIGPIPE, so callers need not
 * ignore that signal); node -> engine through a pipe; node's stderr into
 * an anonymous in-memory file whose tail wfm_harness_finish() returns.
 *
 * A struct wfm_harness is used by one thread at a time.
 */
struct wfm_harness;

/* how long wfm_harness_send() waits for node to take a message */
#define WFM_HARNESS_SEND_TIMEOUT_DEFAULT_MS 60000
/* the longest line either way (the runtime has the same limit) */
#define WFM_HARNESS_MAX_LINE (64u * 1024 * 1024)
/* bytes of node's stderr kept for wfm_harness_finish() */
#define WFM_HARNESS_STDERR_TAIL 8192

struct wfm_harness_opts {
	/* the workflow script; required. Must exist (WFM_ENOTFOUND). */
	const char *script;
	/* run `harness.mjs --check`: node prints one message (meta or error) and exits */
	int check_only;
	/* the node program; NULL: "node" looked up on PATH */
	const char *node;
	/* 0: WFM_HARNESS_SEND_TIMEOUT_DEFAULT_MS */
	unsigned long send_timeout_ms;
};
/* clang-format off */
#define WFM_HARNESS_OPTS_INIT { NULL, 0, NULL, 0 }
/* clang-format on */

/*
 * Validates a script without running it: sets *meta to its meta object
 * (new; free with cJSON_Delete()) and returns 0. A script with a bad meta,
 * a syntax error or a use of a global a workflow does not have (require,
 * process, fetch, timers, Date.now(), Math.random()...: docs/protocol.md)
 * gives WFM_EINVALID with the message
 * "<script>:<line>:<column>: <message>" (line and column 1-based in the
 * user's file; a syntax error's message starts "SyntaxError: ").
 * WFM_ENOTFOUND when the script, node or the runtime cannot be found;
 * WFM_ETIMEOUT when node takes more than 30 s; WFM_ERROR when node fails
 * otherwise (the message has the tail of its stderr). node: as in opts.
 */
int wfm_harness_check(cJSON **meta, const char *script, const char *node);

/*
 * The Node.js version of node (NULL: "node" on PATH), asked once per
 * program: 0 with *major and *minor set; WFM_ENOTFOUND when it cannot be
 * run, WFM_ERROR when it is no Node.js or older than 18.
 */
int wfm_harness_node_version(int *major, int *minor, const char *node);

/*
 * Starts node on opts->script. Returns 0 with *out set (free with
 * wfm_harness_free()). Running, the runtime first sends
 * {"type":"meta",...} (or an error, then exits), then waits for "start".
 * WFM_ENOTFOUND when the script, node or the runtime is missing; WFM_ERROR
 * when node is too old or cannot be started.
 */
int wfm_harness_start(struct wfm_harness **out, const struct wfm_harness_opts *opts);

/* The descriptor to poll() for POLLIN (node's output); -1 after wfm_harness_finish(). */
int wfm_harness_fd(const struct wfm_harness *h);

/*
 * The next complete message from node, without blocking: 1 with *out set
 * to it (a new JSON object with a string "type"; free with
 * cJSON_Delete()), 0 when no complete message has arrived yet,
 * WFM_ENOTFOUND when node has closed its output and every message has
 * been returned. A line that is not a JSON object with a string "type"
 * gives WFM_EINVALID and is dropped (the next call goes on with the next
 * line); a line longer than WFM_HARNESS_MAX_LINE, or output that ends
 * in the middle of a line, gives WFM_EINVALID and ends the stream (every
 * later call: WFM_ENOTFOUND). *out is NULL unless 1 is returned.
 *
 * Messages may already be buffered when the descriptor is not readable:
 * wfm_harness_send() reads node's output while it waits, so that node
 * blocked on a full pipe cannot deadlock against it. So call this until
 * it returns 0 after every wfm_harness_send() and before each poll().
 */
int wfm_harness_read(cJSON **out, struct wfm_harness *h);

/*
 * Whether wfm_harness_read() has something without reading the pipe: a
 * complete message already buffered (wfm_harness_send() reads while it
 * waits), or the end. Poll the fd only when this is 0.
 */
int wfm_harness_pending(const struct wfm_harness *h);

/*
 * Sends msg as one line. Blocks until node has taken it (reading node's
 * output meanwhile, see above), at most send_timeout_ms: then
 * WFM_ETIMEOUT, and the stream to node is unusable (the line may be cut).
 * WFM_ERROR once node has exited or closed its input, or after
 * wfm_harness_finish(); WFM_EBUDGET (nothing sent) for a line longer than
 * WFM_HARNESS_MAX_LINE.
 */
int wfm_harness_send(struct wfm_harness *h, const cJSON *msg);

/*
 * Closes node's input (the runtime exits when it sees that, unless it
 * has ended already) and waits up to timeout_ms for node to exit; then,
 * or at once when timeout_ms is 0, kills its process group (SIGKILL).
 * Output node wrote before exiting stays readable with wfm_harness_read().
 * *exit_code: node's exit status, or 128 + the signal that killed it (the
 * runtime's statuses: 0 after "done" or a --check meta, 1 after "error",
 * 2 bad invocation, 3 the engine went away, 70 internal error). When
 * stderr_tail is not NULL it gets the last WFM_HARNESS_STDERR_TAIL bytes
 * of node's stderr, trailing whitespace removed (a new string, maybe
 * empty; free with free()). A second call returns the same status.
 */
int wfm_harness_finish(struct wfm_harness *h, int *exit_code, char **stderr_tail,
		       unsigned long timeout_ms);

/* Kills node's process group if node is still running, and frees everything. NULL is fine. */
void wfm_harness_free(struct wfm_harness *h);

#endif
