#ifndef WFM_BASE_PROCESS_H
#define WFM_BASE_PROCESS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/*
 * Running a child process to completion: the oracle's test command, and
 * later the commands of exec-provider agents and of the Bash tool.
 *
 * The child runs in a process group of its own, with stdin from
 * /dev/null (or fed from opts.input through a pipe) and stdout and
 * stderr captured together through one pipe (or apart, split_stderr).
 * Only the last output_cap bytes of output are kept; the total is
 * counted. The whole group is killed (SIGTERM, then SIGKILL after
 * kill_grace_ms) when the timeout passes or *cancel becomes non-zero,
 * and also whatever the command leaves running in its group once it has
 * exited, so that nothing it started outlives the call. A process that
 * leaves the group (setsid) and keeps the pipe open is waited for at
 * most WFM_PROCESS_DRAIN_MS after the command has exited.
 *
 * Every child carries WFM_OWNER=<pid>.<start> of the calling process in
 * its environment (base/proc.h): should this process die without ending
 * its children, they can be found and ended by that mark.
 *
 * No globals, no signal handlers: wfm_process_run() may be called from
 * several threads at once. Waiting uses a pidfd where the kernel has one,
 * and polls every few milliseconds otherwise.
 */

#define WFM_PROCESS_OUTPUT_CAP_DEFAULT (64 * 1024)
#define WFM_PROCESS_KILL_GRACE_DEFAULT_MS 2000
#define WFM_PROCESS_DRAIN_MS 500

enum {
	/* remove provider credentials: ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN,
	 * OPENAI_API_KEY and every variable whose name ends in _API_KEY */
	WFM_PROCESS_SCRUB_SECRETS = 1 << 0,
	/* remove what would point git at another repository than the one
	 * around cwd: GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE, GIT_COMMON_DIR,
	 * GIT_OBJECT_DIRECTORY, GIT_PREFIX */
	WFM_PROCESS_SCRUB_GIT = 1 << 1,
};

struct wfm_process_opts {
	/* Exactly one of argv and shell. argv[0] is looked up on the caller's
	 * PATH; shell runs as /bin/sh -c <shell>. Borrowed for the call. */
	const char *const *argv;
	const char *shell;
	/* Directory to run in; NULL for the caller's. PWD is set to it when absolute. */
	const char *cwd;
	/* WFM_PROCESS_SCRUB_* */
	unsigned flags;
	/* Further variables to remove: exact names, or "*SUFFIX" for every
	 * name ending in SUFFIX. NULL-terminated; may be NULL. */
	const char *const *env_unset;
	/* "NAME=value" entries to add or override, applied last. NULL-terminated; may be NULL. */
	const char *const *env_set;
	/* 0: no time limit */
	unsigned long timeout_ms;
	/* between SIGTERM and SIGKILL; 0: WFM_PROCESS_KILL_GRACE_DEFAULT_MS */
	unsigned long kill_grace_ms;
	/* bytes of output kept (the tail); 0: WFM_PROCESS_OUTPUT_CAP_DEFAULT */
	size_t output_cap;
	/* When non-NULL, checked while waiting: once *cancel is non-zero the
	 * group is killed as on a timeout. Meant to be set by a signal handler. */
	const volatile sig_atomic_t *cancel;
	/* When non-NULL, input_len bytes written to the child's stdin through
	 * a pipe, which is closed after the last byte. Written while the
	 * output is read, so a child that echoes its input cannot deadlock
	 * against us. A child that exits or closes stdin before reading it
	 * all is not an error: the rest is dropped, and the caller gets no
	 * SIGPIPE. NULL: stdin is /dev/null. Borrowed for the call. */
	const char *input;
	size_t input_len;
	/* Non-zero: stderr goes through a pipe of its own into result.err
	 * (its last err_cap bytes), and output holds stdout alone. */
	int split_stderr;
	/* bytes of stderr kept when split; 0: WFM_PROCESS_OUTPUT_CAP_DEFAULT */
	size_t err_cap;
};
/* clang-format off */
#define WFM_PROCESS_OPTS_INIT { NULL, NULL, NULL, 0, NULL, NULL, 0, 0, 0, NULL, NULL, 0, 0, 0 }
/* clang-format on */

struct wfm_process_result {
	/* the exit status, or -1 when the process died of a signal */
	int exit_code;
	/* the signal that killed it, else 0 */
	int signal;
	/* the group was killed because the time limit passed */
	int timed_out;
	/* the group was killed because *cancel was set (or the call never
	 * started the process because it was set already) */
	int cancelled;
	/* from start until the command exited */
	uint64_t duration_ms;
	/* the last bytes of stdout and stderr together, at most output_cap;
	 * owned by the result */
	struct wfm_buf output;
	/* every byte the command wrote, kept or not */
	uint64_t output_bytes;
	/* split_stderr: the last bytes of stderr, at most err_cap, and how
	 * many it wrote in all; empty otherwise. Owned by the result. */
	struct wfm_buf err;
	uint64_t err_bytes;
	/* bytes of opts.input the child's stdin took (the pipe accepted) */
	size_t input_written;
};
/* clang-format off */
#define WFM_PROCESS_RESULT_INIT { 0, 0, 0, 0, 0, WFM_BUF_INIT, 0, WFM_BUF_INIT, 0, 0 }
/* clang-format on */

/*
 * Runs the command and waits for it. Returns 0 once the process has run
 * (whatever its exit status: see out), or before it starts when *cancel
 * is already set (out->cancelled). Fails without running anything when
 * the process cannot be started: WFM_ENOTFOUND when cwd or the program
 * does not exist, WFM_EINVALID for bad options, WFM_ERROR otherwise.
 * out is initialised by the call either way; release it with
 * wfm_process_result_release().
 */
int wfm_process_run(struct wfm_process_result *out, const struct wfm_process_opts *opts);

void wfm_process_result_release(struct wfm_process_result *r);

/*
 * A child started and ended apart (git's start_command() and
 * finish_command()): for one that lives on while the caller talks to it
 * through descriptors of its own, as the harness does with node.
 * wfm_process_run() starts and reaps its commands with these too.
 *
 * The child runs in a process group of its own (its pid), with an empty
 * signal mask and every signal at its default action (the caller may
 * ignore SIGPIPE or SIGINT; the child must not inherit that).
 */
struct wfm_child {
	/* argv[0] is looked up on PATH unless file is set. Borrowed for wfm_child_start(). */
	const char *const *argv;
	/* the program to run, NULL: argv[0] on PATH */
	const char *file;
	/* in messages; NULL: argv[0] */
	const char *name;
	/* directory to run in; NULL: the caller's */
	const char *cwd;
	/* the child's whole environment, NULL-terminated ("NAME=value"); NULL: empty.
	 * wfm_process_env() builds it. */
	char *const *env;
	/* what becomes the child's 0, 1 and 2: in -1 is /dev/null, err -1
	 * is out. Each must be above 2, so no dup2 overwrites one another
	 * still needs, and close-on-exec. The caller's: never closed here. */
	int in, out, err;

	/* set by the calls below */
	pid_t pid;  /* 0 until started */
	int reaped; /* wait found it exited, or lost it */
	int status; /* waitpid()'s status once reaped; 0 when lost */
};
/* clang-format off */
#define WFM_CHILD_INIT { NULL, NULL, NULL, NULL, NULL, -1, -1, -1, 0, 0, 0 }
/* clang-format on */

/*
 * Starts the child: 0 with c->pid set. WFM_ENOTFOUND when the program
 * (or cwd) does not exist, WFM_ERROR when it cannot be started
 * otherwise: "cannot run '<program>'[ in '<cwd>']: <why>".
 */
int wfm_child_start(struct wfm_child *c);

/*
 * Reaps the child if it has exited (block: waits for that): 1 when it
 * is reaped (c->status set; also when it was already), 0 while it runs
 * (block 0 only). WFM_ERROR "lost track of '<name>' (pid N): ..." when
 * it cannot be waited for (someone else reaped it: SIGCHLD ignored?);
 * it counts as reaped from then on.
 */
int wfm_child_wait(struct wfm_child *c, int block);

/*
 * Kills the child's group (SIGKILL) while its leader is not reaped yet,
 * so the group id cannot belong to anyone else, and reaps it. 0, also
 * when it was reaped or never started; wfm_child_wait()'s error else.
 */
int wfm_child_kill(struct wfm_child *c);

/*
 * Builds the environment a child gets under opts (flags, env_unset,
 * env_set, PWD) from base (NULL-terminated "NAME=value" strings, e.g.
 * environ). Appends the entries to out. Exposed for tests and for
 * callers that spawn by other means.
 */
struct wfm_strvec;
void wfm_process_env(struct wfm_strvec *out, char *const *base,
		     const struct wfm_process_opts *opts);

/*
 * Whether the environment entry ("NAME=value", or a bare NAME) is one
 * that WFM_PROCESS_SCRUB_SECRETS removes: for redacting transcripts.
 */
int wfm_process_secret_var(const char *entry);

/*
 * Runs a command the user talks to on the terminal, as git runs the
 * editor and the pager: /bin/sh -c '<shell> "$@"' with arg as its one
 * argument (NULL: none), in the caller's process group, with its
 * terminal; stdin from the file input when not NULL. SIGINT and SIGQUIT
 * are ignored here while it runs (they are the child's), as system()
 * does. Returns 0 with *exit_code its exit status (-1 when a signal
 * killed it); WFM_ERROR when it could not be started.
 */
int wfm_process_run_terminal(int *exit_code, const char *shell, const char *arg, const char *input);

/* "SIGTERM" for SIGTERM and so on for the usual signals; NULL for others. */
const char *wfm_signal_name(int sig);

#endif
