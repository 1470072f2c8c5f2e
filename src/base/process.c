/* pipe2() and posix_spawn_file_actions_addchdir_np() are GNU extensions */
#define _GNU_SOURCE
#include "base/common.h"
#include "base/clock.h"
#include "base/proc.h"
#include "base/process.h"
#include "base/strvec.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

/* How often the loop looks at the cancel flag, and at the child when there is no pidfd. */
#define TICK_MS 100
#define POLL_TICK_MS 10

static const char *const secret_vars[] = {
	"ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "OPENAI_API_KEY", "*_API_KEY", NULL,
};

static const char *const git_vars[] = {
	"GIT_DIR",
	"GIT_WORK_TREE",
	"GIT_INDEX_FILE",
	"GIT_COMMON_DIR",
	"GIT_OBJECT_DIRECTORY",
	"GIT_PREFIX",
	NULL,
};

static size_t name_len(const char *entry)
{
	const char *eq = strchr(entry, '=');

	return eq ? (size_t)(eq - entry) : strlen(entry);
}

/* pat is a name, or "*SUFFIX" */
static int name_matches(const char *name, size_t len, const char *pat)
{
	if (pat[0] == '*') {
		size_t n = strlen(pat + 1);
		return len >= n && !memcmp(name + len - n, pat + 1, n);
	}
	return strlen(pat) == len && !memcmp(name, pat, len);
}

static int in_list(const char *name, size_t len, const char *const *list)
{
	for (; list && *list; list++)
		if (name_matches(name, len, *list))
			return 1;
	return 0;
}

static int in_set(const char *name, size_t len, const char *const *set)
{
	for (; set && *set; set++)
		if (name_len(*set) == len && !memcmp(*set, name, len))
			return 1;
	return 0;
}

int wfm_process_secret_var(const char *entry)
{
	return in_list(entry, name_len(entry), secret_vars);
}

void wfm_process_env(struct wfm_strvec *out, char *const *base, const struct wfm_process_opts *opts)
{
	const char *cwd = opts->cwd, *owner;

	for (; base && *base; base++) {
		const char *e = *base;
		size_t len = name_len(e);

		if ((opts->flags & WFM_PROCESS_SCRUB_SECRETS) && in_list(e, len, secret_vars))
			continue;
		if ((opts->flags & WFM_PROCESS_SCRUB_GIT) && in_list(e, len, git_vars))
			continue;
		if (in_list(e, len, opts->env_unset) || in_set(e, len, opts->env_set))
			continue;
		if (name_matches(e, len, WFM_PROC_OWNER_VAR))
			continue; /* ours replaces an outer run's */
		/* A stale PWD misleads scripts; shells recompute it when it is absent. */
		if (cwd && len == 3 && !memcmp(e, "PWD", 3))
			continue;
		wfm_strvec_push(out, e);
	}
	if (cwd && cwd[0] == '/') {
		struct wfm_buf pwd = WFM_BUF_INIT;
		wfm_buf_addf(&pwd, "PWD=%s", cwd);
		wfm_strvec_push_nodup(out, wfm_buf_detach(&pwd, NULL));
	}
	if (*(owner = wfm_proc_owner_entry()) && !in_set(owner, name_len(owner), opts->env_set))
		wfm_strvec_push(out, owner);
	for (const char *const *s = opts->env_set; s && *s; s++)
		wfm_strvec_push(out, *s);
}

/* Keeps the last cap bytes: the buffer slides once it holds twice that. */
static void tail_add(struct wfm_buf *b, size_t cap, const char *p, size_t n)
{
	if (n >= cap) {
		wfm_buf_clear(b);
		wfm_buf_add(b, p + n - cap, cap);
		return;
	}
	if (b->len + n > 2 * cap) {
		size_t keep = cap - n;
		memmove(b->ptr, b->ptr + b->len - keep, keep);
		wfm_buf_setlen(b, keep);
	}
	wfm_buf_add(b, p, n);
}

static void tail_finish(struct wfm_buf *b, size_t cap)
{
	if (b->len > cap) {
		memmove(b->ptr, b->ptr + b->len - cap, cap);
		wfm_buf_setlen(b, cap);
	}
}

/* Where one of the child's output pipes goes. */
struct sink {
	int fd; /* read end, -1 once closed */
	struct wfm_buf *buf;
	uint64_t *bytes;
	size_t cap;
};

/*
 * Reads what the pipe has now, up to 16 chunks so that a command that
 * writes without pause cannot keep the caller from its deadline.
 * Returns 1 while the pipe stays open, 0 at end of file.
 */
static int drain(struct sink *s, char *chunk, size_t size)
{
	for (int i = 0; i < 16; i++) {
		ssize_t n = read(s->fd, chunk, size);
		if (n > 0) {
			tail_add(s->buf, s->cap, chunk, (size_t)n);
			*s->bytes += (uint64_t)n;
			continue;
		}
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 1;
		return 0; /* a read error ends the output as end of file would */
	}
	return 1;
}

/* Reads the pipe if it is open; closes it at end of file. */
static void drain_sink(struct sink *s, char *chunk, size_t size)
{
	if (s->fd >= 0 && !drain(s, chunk, size)) {
		close(s->fd);
		s->fd = -1;
	}
}

/*
 * write() to a pipe whose reader is gone raises SIGPIPE, which kills the
 * caller unless it is ignored; we may not touch the process's handlers.
 * So SIGPIPE is blocked in this thread around the write, and the one the
 * write raised (it is sent to the writing thread) is taken back with
 * sigtimedwait() before the mask is restored, unless one was pending
 * already.
 */
static ssize_t write_nosigpipe(int fd, const void *p, size_t n)
{
	sigset_t pipe_set, old, pending;
	int was_pending, err;
	ssize_t w;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	w = write(fd, p, n);
	err = errno;
	if (w < 0 && err == EPIPE && !was_pending) {
		const struct timespec zero = { 0, 0 };
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = err;
	return w;
}

static const char *describe(const struct wfm_process_opts *opts)
{
	return opts->shell ? opts->shell : opts->argv[0];
}

static const char *child_name(const struct wfm_child *c)
{
	return c->name ? c->name : c->argv[0];
}

int wfm_child_start(struct wfm_child *c)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	char *no_env[] = { NULL };
	int rc;

	c->reaped = 0;
	c->status = 0;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	if (c->cwd)
		posix_spawn_file_actions_addchdir_np(&fa, c->cwd);
	posix_spawn_file_actions_adddup2(&fa, c->out, 1);
	posix_spawn_file_actions_adddup2(&fa, c->err >= 0 ? c->err : c->out, 2);
	if (c->in >= 0)
		posix_spawn_file_actions_adddup2(&fa, c->in, 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);

	sigemptyset(&none);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
						POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);

	rc = posix_spawnp(&c->pid, c->file ? c->file : c->argv[0], &fa, &attr,
			  (char *const *)c->argv, c->env ? c->env : no_env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc) {
		const char *prog = c->file ? c->file : c->argv[0];

		c->pid = 0;
		if (c->cwd)
			return wfm_error_setc(rc == ENOENT ? WFM_ENOTFOUND : WFM_ERROR,
					      "cannot run '%s' in '%s': %s", prog, c->cwd,
					      strerror(rc));
		return wfm_error_setc(rc == ENOENT ? WFM_ENOTFOUND : WFM_ERROR,
				      "cannot run '%s': %s", prog, strerror(rc));
	}
	return 0;
}

int wfm_child_wait(struct wfm_child *c, int block)
{
	pid_t w;

	if (c->reaped)
		return 1;
	do
		w = waitpid(c->pid, &c->status, block ? 0 : WNOHANG);
	while (w < 0 && errno == EINTR);
	if (w == c->pid) {
		c->reaped = 1;
		return 1;
	}
	if (w < 0) {
		c->reaped = 1;
		c->status = 0;
		return wfm_error_set("lost track of '%s' (pid %ld): %s", child_name(c),
				     (long)c->pid, strerror(errno));
	}
	return 0;
}

int wfm_child_kill(struct wfm_child *c)
{
	if (c->pid <= 0 || c->reaped)
		return 0;
	killpg(c->pid, SIGKILL);
	return wfm_child_wait(c, 1) < 0 ? -1 : 0;
}

/*
 * The command's child: in_fd (-1: /dev/null) on 0, out_fd on 1, and
 * err_fd (-1: out_fd) on 2. All are above 2 (see make_pipe).
 */
static int spawn(struct wfm_child *c, int in_fd, int out_fd, int err_fd, char **envp,
		 const struct wfm_process_opts *opts)
{
	static const char *const sh[] = { "sh", "-c", NULL, NULL };
	const char *sh_argv[4];
	int rc;

	memcpy(sh_argv, sh, sizeof(sh_argv));
	sh_argv[2] = opts->shell;
	c->argv = opts->shell ? sh_argv : opts->argv;
	c->file = opts->shell ? "/bin/sh" : NULL;
	c->name = describe(opts);
	c->cwd = opts->cwd;
	c->env = envp;
	c->in = in_fd;
	c->out = out_fd;
	c->err = err_fd;
	rc = wfm_child_start(c);
	c->argv = NULL; /* sh_argv ends here; name stays */
	c->env = NULL;
	return rc;
}

struct run {
	const struct wfm_process_opts *opts;
	struct wfm_process_result *r;
	struct wfm_child child;
	int pidfd;
	struct sink out, err; /* stdout (and stderr, unless split), stderr when split */
	int in_fd;	      /* write end of the stdin pipe, -1 once closed */
	size_t in_off;	      /* bytes of opts->input written */
	int killed;	      /* 0, SIGTERM or SIGKILL: the last signal sent to the group */
	int group_gone;	      /* the group has no members left, or only zombies */
	uint64_t start, deadline, term_at, drain_until;
	size_t cap;
	unsigned long grace;
};

/*
 * Whether the group has a member that is not a zombie. Killed members
 * that were reparented stay zombies until init reaps them, which some
 * container inits do slowly; kill(-pgid, 0) still finds them.
 */
static int group_alive(pid_t pgid)
{
	DIR *dir;
	struct dirent *e;
	int alive = 0;

	if (killpg(pgid, 0) < 0 && errno == ESRCH)
		return 0;
	dir = opendir("/proc");
	if (!dir)
		return 1;
	while (!alive && (e = readdir(dir))) {
		char path[300], stat[512], state;
		const char *p;
		long ppid, pgrp;
		ssize_t n;
		int fd;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, stat, sizeof(stat) - 1);
		close(fd);
		if (n <= 0)
			continue;
		stat[n] = '\0';
		/* "pid (comm) state ppid pgrp ...": comm may hold anything, even ")" */
		p = strrchr(stat, ')');
		if (!p || sscanf(p + 1, " %c %ld %ld", &state, &ppid, &pgrp) != 3)
			continue;
		if (pgrp == (long)pgid && state != 'Z' && state != 'X')
			alive = 1;
	}
	closedir(dir);
	return alive;
}

static void signal_group(struct run *st, int sig, uint64_t now)
{
	/* once empty, the group id may be handed to a stranger: never signal it again */
	if (st->group_gone)
		return;
	if (killpg(st->child.pid, sig) < 0 && errno == ESRCH)
		st->group_gone = 1;
	/* a stopped process (SIGTTIN from reading the terminal) acts on SIGTERM only once continued
	 */
	if (sig == SIGTERM && !st->group_gone)
		killpg(st->child.pid, SIGCONT);
	if (sig == SIGTERM && st->killed != SIGTERM)
		st->term_at = now;
	st->killed = sig;
}

static void after_exit(struct run *st, uint64_t now)
{
	st->r->duration_ms = now - st->start;
	if (WIFEXITED(st->child.status)) {
		st->r->exit_code = WEXITSTATUS(st->child.status);
	} else if (WIFSIGNALED(st->child.status)) {
		st->r->exit_code = -1;
		st->r->signal = WTERMSIG(st->child.status);
	}
	/*
	 * Whatever the command left running in its group (a background
	 * server, a `sleep &` holding the pipe) goes too. The leader is
	 * reaped, but its id stays reserved as the group id while the
	 * group has members, so killpg() cannot reach a stranger.
	 */
	if (st->killed == SIGKILL)
		signal_group(st, SIGKILL, now);
	else
		signal_group(st, SIGTERM, now);
}

/*
 * Writes what the stdin pipe takes now (bounded like drain), and closes
 * it after the last byte, or when the child will read no more.
 */
static void feed(struct run *st)
{
	const struct wfm_process_opts *opts = st->opts;

	for (int i = 0; i < 16 && st->in_fd >= 0; i++) {
		size_t left = opts->input_len - st->in_off;
		ssize_t n;

		if (!left) {
			close(st->in_fd);
			st->in_fd = -1;
			break;
		}
		n = write_nosigpipe(st->in_fd, opts->input + st->in_off,
				    left < 64 * 1024 ? left : 64 * 1024);
		if (n > 0) {
			st->in_off += (size_t)n;
			st->r->input_written = st->in_off;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		/* EPIPE: nobody reads stdin any more; drop the rest */
		close(st->in_fd);
		st->in_fd = -1;
	}
}

static int outputs_open(const struct run *st)
{
	return st->out.fd >= 0 || st->err.fd >= 0;
}

static int wait_loop(struct run *st)
{
	const struct wfm_process_opts *opts = st->opts;
	const size_t chunk_size = 64 * 1024;
	char *chunk = wfm_malloc(chunk_size);
	int ret = 0;

	for (;;) {
		uint64_t now = wfm_clock_mono_ms(), next = UINT64_MAX;
		struct pollfd pfd[4];
		nfds_t n = 0;
		int timeout;

		if (!st->child.reaped) {
			if (!st->killed) {
				if (opts->cancel && *opts->cancel) {
					st->r->cancelled = 1;
					signal_group(st, SIGTERM, now);
				} else if (st->deadline && now >= st->deadline) {
					st->r->timed_out = 1;
					signal_group(st, SIGTERM, now);
				}
			}
			int w = wfm_child_wait(&st->child, 0);

			if (w == 1) {
				after_exit(st, now);
			} else if (w < 0) {
				ret = w;
				st->r->exit_code = -1;
				st->r->duration_ms = now - st->start;
				signal_group(st, SIGKILL, now);
			}
		}
		if (st->child.reaped && !st->group_gone && st->killed != SIGKILL &&
		    !group_alive(st->child.pid))
			st->group_gone = 1;
		if (st->killed == SIGTERM && now >= st->term_at + st->grace) {
			signal_group(st, SIGKILL, now);
			now = wfm_clock_mono_ms();
		}
		if (st->child.reaped && (st->group_gone || st->killed == SIGKILL)) {
			/*
			 * Nothing of the group is left to write, but a process
			 * that left the group may hold the pipe: give it a moment.
			 */
			if (!st->drain_until)
				st->drain_until = now + WFM_PROCESS_DRAIN_MS;
			if (!outputs_open(st) || now >= st->drain_until)
				break;
		}

		if (st->deadline && !st->killed && !st->child.reaped)
			next = st->deadline;
		if (st->killed == SIGTERM && st->term_at + st->grace < next)
			next = st->term_at + st->grace;
		if (st->drain_until && st->drain_until < next)
			next = st->drain_until;
		timeout = (st->pidfd >= 0 && !st->child.reaped) ? TICK_MS : POLL_TICK_MS;
		if (next <= now)
			timeout = 0;
		else if (next - now < (uint64_t)timeout)
			timeout = (int)(next - now);

		if (st->out.fd >= 0) {
			pfd[n].fd = st->out.fd;
			pfd[n].events = POLLIN;
			n++;
		}
		if (st->err.fd >= 0) {
			pfd[n].fd = st->err.fd;
			pfd[n].events = POLLIN;
			n++;
		}
		if (st->in_fd >= 0) {
			pfd[n].fd = st->in_fd;
			pfd[n].events = POLLOUT;
			n++;
		}
		if (st->pidfd >= 0 && !st->child.reaped) {
			pfd[n].fd = st->pidfd;
			pfd[n].events = POLLIN;
			n++;
		}
		if (poll(pfd, n, timeout) < 0 && errno != EINTR) {
			ret = wfm_error_set("cannot wait for '%s': %s", describe(opts),
					    strerror(errno));
			if (!st->child.reaped && st->killed != SIGKILL)
				signal_group(st, SIGKILL, wfm_clock_mono_ms());
			/* not wfm_child_wait(): its failure would replace the first error */
			if (!st->child.reaped &&
			    waitpid(st->child.pid, &st->child.status, 0) == st->child.pid) {
				st->child.reaped = 1;
				after_exit(st, wfm_clock_mono_ms());
			}
			break;
		}
		drain_sink(&st->out, chunk, chunk_size);
		drain_sink(&st->err, chunk, chunk_size);
		if (st->in_fd >= 0)
			feed(st);
	}
	for (struct sink *s = &st->out; s; s = s == &st->out ? &st->err : NULL) {
		if (s->fd >= 0) {
			drain(s, chunk, chunk_size);
			close(s->fd);
			s->fd = -1;
		}
	}
	if (st->in_fd >= 0) {
		close(st->in_fd);
		st->in_fd = -1;
	}
	free(chunk);
	return ret;
}

/*
 * A pipe whose ends are both above 2 and close-on-exec: spawn() puts them
 * on 0, 1 and 2 in the child, and an end that landed on one of those
 * (the caller closed its stdin) could be overwritten by another dup2
 * before its own.
 */
static int make_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return wfm_error_set("cannot make a pipe: %s", strerror(errno));
	for (int i = 0; i < 2; i++) {
		if (fds[i] <= 2) {
			int fd = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
			int err = errno;

			close(fds[i]);
			fds[i] = fd;
			if (fd < 0) {
				if (fds[1 - i] >= 0)
					close(fds[1 - i]);
				fds[0] = fds[1] = -1;
				return wfm_error_set("cannot make a pipe: %s", strerror(err));
			}
		}
	}
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

int wfm_process_run(struct wfm_process_result *out, const struct wfm_process_opts *opts)
{
	struct wfm_strvec env = WFM_STRVEC_INIT;
	struct run st = { 0 };
	struct stat sb;
	char *no_env[] = { NULL };
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, inp[2] = { -1, -1 };
	int ret = 0;

	memset(out, 0, sizeof(*out));
	wfm_buf_init(&out->output, 0);
	wfm_buf_init(&out->err, 0);
	out->exit_code = -1;
	if (!opts->shell == !opts->argv || (opts->argv && !opts->argv[0]))
		return wfm_error_setc(WFM_EINVALID,
				      "a process needs exactly one of argv and shell");
	if (opts->cancel && *opts->cancel) {
		out->cancelled = 1;
		return 0;
	}
	if (opts->cwd && stat(opts->cwd, &sb) < 0)
		return wfm_error_setc(errno == ENOENT ? WFM_ENOTFOUND : WFM_ERROR,
				      "cannot change to '%s': %s", opts->cwd, strerror(errno));
	if (opts->cwd && !S_ISDIR(sb.st_mode))
		return wfm_error_setc(WFM_ENOTFOUND, "cannot change to '%s': Not a directory",
				      opts->cwd);

	st.opts = opts;
	st.r = out;
	st.cap = opts->output_cap ? opts->output_cap : WFM_PROCESS_OUTPUT_CAP_DEFAULT;
	st.grace = opts->kill_grace_ms ? opts->kill_grace_ms : WFM_PROCESS_KILL_GRACE_DEFAULT_MS;
	st.pidfd = -1;
	st.out = (struct sink){ -1, &out->output, &out->output_bytes, st.cap };
	st.err = (struct sink){ -1, &out->err, &out->err_bytes,
				opts->err_cap ? opts->err_cap : WFM_PROCESS_OUTPUT_CAP_DEFAULT };
	st.in_fd = -1;

	if ((ret = make_pipe(outp)) < 0 || (opts->split_stderr && (ret = make_pipe(errp)) < 0) ||
	    (opts->input && (ret = make_pipe(inp)) < 0))
		goto done;
	wfm_process_env(&env, environ, opts);
	st.start = wfm_clock_mono_ms();
	ret = spawn(&st.child, inp[0], outp[1], errp[1], env.v ? env.v : no_env, opts);
	close_fd(&outp[1]);
	close_fd(&errp[1]);
	close_fd(&inp[0]);
	if (ret < 0)
		goto done;
	st.out.fd = outp[0];
	outp[0] = -1;
	set_nonblock(st.out.fd);
	if (errp[0] >= 0) {
		st.err.fd = errp[0];
		errp[0] = -1;
		set_nonblock(st.err.fd);
	}
	if (inp[1] >= 0) {
		st.in_fd = inp[1];
		inp[1] = -1;
		set_nonblock(st.in_fd);
		feed(&st);
	}
	st.pidfd = wfm_proc_pidfd(st.child.pid);
	if (opts->timeout_ms)
		st.deadline = st.start + opts->timeout_ms;
	ret = wait_loop(&st);
	tail_finish(&out->output, st.out.cap);
	tail_finish(&out->err, st.err.cap);

done:
	if (st.pidfd >= 0)
		close(st.pidfd);
	close_fd(&st.out.fd);
	close_fd(&st.err.fd);
	close_fd(&st.in_fd);
	for (int i = 0; i < 2; i++) {
		close_fd(&outp[i]);
		close_fd(&errp[i]);
		close_fd(&inp[i]);
	}
	wfm_strvec_clear(&env);
	return ret;
}

void wfm_process_result_release(struct wfm_process_result *r)
{
	wfm_buf_release(&r->output);
	wfm_buf_release(&r->err);
}

const char *wfm_signal_name(int sig)
{
	static const struct {
		int sig;
		const char *name;
	} names[] = {
		{ SIGHUP, "SIGHUP" },	{ SIGINT, "SIGINT" },	{ SIGQUIT, "SIGQUIT" },
		{ SIGILL, "SIGILL" },	{ SIGTRAP, "SIGTRAP" }, { SIGABRT, "SIGABRT" },
		{ SIGBUS, "SIGBUS" },	{ SIGFPE, "SIGFPE" },	{ SIGKILL, "SIGKILL" },
		{ SIGUSR1, "SIGUSR1" }, { SIGSEGV, "SIGSEGV" }, { SIGUSR2, "SIGUSR2" },
		{ SIGPIPE, "SIGPIPE" }, { SIGALRM, "SIGALRM" }, { SIGTERM, "SIGTERM" },
		{ SIGXCPU, "SIGXCPU" }, { SIGXFSZ, "SIGXFSZ" }, { SIGSYS, "SIGSYS" },
	};

	for (size_t i = 0; i < WFM_ARRAY_SIZE(names); i++)
		if (names[i].sig == sig)
			return names[i].name;
	return NULL;
}

int wfm_process_run_terminal(int *exit_code, const char *shell, const char *arg, const char *input)
{
	struct sigaction ign = { 0 }, old_int, old_quit;
	struct wfm_buf cmd = WFM_BUF_INIT;
	int in = -1, status = 0, rc = 0;
	pid_t pid;

	*exit_code = -1;
	if (input && (in = open(input, O_RDONLY | O_CLOEXEC)) < 0)
		return wfm_error_set("cannot open '%s': %s", input, strerror(errno));
	wfm_buf_addf(&cmd, arg ? "%s \"$@\"" : "%s", shell);
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	pid = fork();
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (in >= 0 && dup2(in, 0) < 0)
			_exit(127);
		if (arg)
			execl("/bin/sh", "sh", "-c", cmd.ptr, shell, arg, (char *)NULL);
		else
			execl("/bin/sh", "sh", "-c", cmd.ptr, (char *)NULL);
		_exit(127);
	}
	if (pid < 0) {
		rc = wfm_error_set("cannot run '%s': %s", shell, strerror(errno));
	} else {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		*exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	if (in >= 0)
		close(in);
	wfm_buf_release(&cmd);
	return rc;
}
