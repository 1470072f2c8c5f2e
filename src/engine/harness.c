/* pipe2() and memfd_create() are GNU extensions */
#define _GNU_SOURCE
#include "base/common.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/datadir.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/process.h"
#include "base/strvec.h"
#include "engine/harness.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

#define CHECK_TIMEOUT_MS 30000
#define VERSION_TIMEOUT_MS 10000
#define READ_CHUNK (64 * 1024)
#define WAIT_TICK_MS 10

struct wfm_harness {
	char *script;
	struct wfm_child child;
	int in_fd;	   /* our end of node's stdin (a socket); -1 once closed */
	int out_fd;	   /* the read end of node's stdout, non-blocking; -1 once closed */
	int err_fd;	   /* node's stderr (a memfd or unlinked file) */
	struct wfm_buf in; /* node's output not returned yet: in.ptr[head..len) */
	size_t head;
	size_t scan; /* in.ptr[head..scan) holds no newline */
	int eof;     /* out_fd reached end of file */
	int ended;   /* no more messages: eof and everything returned, or framing lost */
	int send_broken;
	int exit_code; /* once child.reaped */
	unsigned long send_timeout_ms;
};

/* ---- node's version, asked once per program ---- */

struct node_version {
	char *node;
	int major, minor;
};

static pthread_mutex_t versions_lock = PTHREAD_MUTEX_INITIALIZER;
static struct node_version *versions;
static size_t versions_nr, versions_alloc;

static int ask_version(int *major, int *minor, const char *node)
{
	const char *argv[] = { node, "--version", NULL };
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;
	int ret;

	o.argv = argv;
	o.flags = WFM_PROCESS_SCRUB_SECRETS;
	o.timeout_ms = VERSION_TIMEOUT_MS;
	ret = wfm_process_run(&r, &o);
	if (ret == WFM_ENOTFOUND) {
		ret = wfm_error_setc(WFM_ENOTFOUND,
				     "cannot run '%s': the workflow runtime needs Node.js 18 "
				     "or later (Debian: apt install nodejs)",
				     node);
		goto done;
	}
	if (ret < 0)
		goto done;
	wfm_buf_rtrim(&r.output);
	if (r.exit_code != 0 || sscanf(r.output.ptr, "v%d.%d", major, minor) != 2) {
		ret = wfm_error_set("'%s --version' did not give a Node.js version "
				    "(exit %d: %.80s)",
				    node, r.exit_code, r.output.ptr);
		goto done;
	}
	if (*major < 18)
		ret = wfm_error_set("%s is Node.js %s: the workflow runtime needs 18 or later",
				    node, r.output.ptr);
done:
	wfm_process_result_release(&r);
	return ret;
}

int wfm_harness_node_version(int *major, int *minor, const char *node)
{
	int ret = 0;

	if (!node)
		node = "node";
	pthread_mutex_lock(&versions_lock);
	for (size_t i = 0; i < versions_nr; i++) {
		if (!strcmp(versions[i].node, node)) {
			*major = versions[i].major;
			*minor = versions[i].minor;
			goto done;
		}
	}
	ret = ask_version(major, minor, node);
	if (ret < 0)
		goto done;
	WFM_ALLOC_GROW(versions, versions_nr + 1, versions_alloc);
	versions[versions_nr].node = wfm_strdup(node);
	versions[versions_nr].major = *major;
	versions[versions_nr].minor = *minor;
	versions_nr++;
done:
	pthread_mutex_unlock(&versions_lock);
	return ret;
}

/* The permission model's flag for this version, or NULL to run without it. */
static const char *permission_flag(int major, int minor)
{
	if (major > 23 || (major == 23 && minor >= 5) || (major == 22 && minor >= 13))
		return "--permission";
	/* several --allow-fs-read flags (not a comma list) from 20.x's later releases */
	if (major >= 21 || (major == 20 && minor >= 13))
		return "--experimental-permission";
	return NULL;
}

static int can_disable_warning(int major, int minor)
{
	return major > 21 || (major == 21 && minor >= 3) || (major == 20 && minor >= 11);
}

/* ---- starting ---- */

static void build_argv(struct wfm_strvec *argv, const char *node, int major, int minor,
		       const char *runtime, const char *script, int check_only)
{
	const char *perm = permission_flag(major, minor);
	struct wfm_buf arg = WFM_BUF_INIT;

	wfm_strvec_push(argv, node);
	wfm_strvec_push(argv, "--experimental-vm-modules");
	wfm_strvec_push(argv, "--disallow-code-generation-from-strings");
	if (perm) {
		char *dir = wfm_fs_dirname(runtime);

		wfm_strvec_push(argv, perm);
		wfm_buf_addf(&arg, "--allow-fs-read=%s", dir);
		wfm_strvec_push_nodup(argv, wfm_buf_detach(&arg, NULL));
		wfm_buf_addf(&arg, "--allow-fs-read=%s", script);
		wfm_strvec_push_nodup(argv, wfm_buf_detach(&arg, NULL));
		free(dir);
	}
	/* the permission model and vm modules announce themselves as experimental on stderr */
	if (can_disable_warning(major, minor))
		wfm_strvec_push(argv, "--disable-warning=ExperimentalWarning");
	else
		wfm_strvec_push(argv, "--no-warnings");
	wfm_strvec_push(argv, runtime);
	if (check_only)
		wfm_strvec_push(argv, "--check");
	/* no "--" needed: the path is absolute, so never taken for an option */
	wfm_strvec_push(argv, script);
	wfm_buf_release(&arg);
}

static int stderr_file(void)
{
	int fd = memfd_create("wfm-harness-stderr", MFD_CLOEXEC);
	FILE *f;

	if (fd >= 0)
		return fd;
	/* no memfd (old kernel, seccomp): an unlinked temporary file */
	f = tmpfile();
	if (!f)
		return -1;
	fd = fcntl(fileno(f), F_DUPFD_CLOEXEC, 3);
	fclose(f);
	return fd;
}

static const char *const node_env_unset[] = {
	/* preloads and module paths would run code of someone else's in the runtime */
	"NODE_OPTIONS",	    "NODE_PATH",	  "NODE_REPL_EXTERNAL_MODULE",
	"NODE_V8_COVERAGE", "NODE_COMPILE_CACHE", NULL,
};
static const char *const node_env_set[] = { "TZ=UTC", NULL };

int wfm_harness_start(struct wfm_harness **out, const struct wfm_harness_opts *opts)
{
	const char *node = opts->node ? opts->node : "node";
	struct wfm_process_opts env_opts = WFM_PROCESS_OPTS_INIT;
	struct wfm_strvec argv = WFM_STRVEC_INIT, env = WFM_STRVEC_INIT;
	struct wfm_harness *h = NULL;
	char *found = NULL, *runtime = NULL, *script = NULL;
	char *no_env[] = { NULL };
	int sv[2] = { -1, -1 }, pipefd[2] = { -1, -1 }, err_fd = -1;
	int major, minor, ret;

	*out = NULL;
	if (!opts->script || !*opts->script)
		return wfm_error_setc(WFM_EINVALID, "no workflow script given");
	script = realpath(opts->script, NULL);
	if (!script)
		return wfm_error_setc(errno == ENOENT ? WFM_ENOTFOUND : WFM_ERROR,
				      "cannot open workflow '%s': %s", opts->script,
				      strerror(errno));
	ret = wfm_datadir_find(&found, "runtime/harness.mjs");
	if (ret < 0)
		goto done;
	runtime = realpath(found, NULL);
	if (!runtime) {
		ret = wfm_error_set("cannot resolve '%s': %s", found, strerror(errno));
		goto done;
	}
	ret = wfm_harness_node_version(&major, &minor, node);
	if (ret < 0)
		goto done;
	build_argv(&argv, node, major, minor, runtime, script, opts->check_only);

	env_opts.flags = WFM_PROCESS_SCRUB_SECRETS | WFM_PROCESS_SCRUB_GIT;
	env_opts.env_unset = node_env_unset;
	env_opts.env_set = node_env_set;
	wfm_process_env(&env, environ, &env_opts);

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pipe2(pipefd, O_CLOEXEC) < 0) {
		ret = wfm_error_set("cannot make pipes for node: %s", strerror(errno));
		goto done;
	}
	err_fd = stderr_file();
	if (err_fd < 0) {
		ret = wfm_error_set("cannot make a file for node's stderr: %s", strerror(errno));
		goto done;
	}
	/* fewer round trips for big results and bursts of requests; best effort */
	fcntl(pipefd[1], F_SETPIPE_SZ, 1024 * 1024);

	h = wfm_calloc(1, sizeof(*h));
	h->in_fd = h->out_fd = -1;
	h->err_fd = err_fd;
	err_fd = -1;
	wfm_buf_init(&h->in, 0);
	h->send_timeout_ms =
		opts->send_timeout_ms ? opts->send_timeout_ms : WFM_HARNESS_SEND_TIMEOUT_DEFAULT_MS;
	h->child.argv = (const char *const *)argv.v;
	h->child.name = "node";
	h->child.env = env.v ? env.v : no_env;
	h->child.in = sv[1];
	h->child.out = pipefd[1];
	h->child.err = h->err_fd;
	ret = wfm_child_start(&h->child);
	h->child.argv = NULL; /* freed below; the name stays */
	h->child.env = NULL;
	if (ret < 0)
		goto done;
	h->script = script;
	script = NULL;
	h->in_fd = sv[0];
	sv[0] = -1;
	h->out_fd = pipefd[0];
	pipefd[0] = -1;
	fcntl(h->out_fd, F_SETFL, fcntl(h->out_fd, F_GETFL) | O_NONBLOCK);
	*out = h;
	h = NULL;

done:
	if (h) {
		if (h->err_fd >= 0)
			close(h->err_fd);
		wfm_buf_release(&h->in);
		free(h);
	}
	for (int i = 0; i < 2; i++) {
		if (sv[i] >= 0)
			close(sv[i]);
		if (pipefd[i] >= 0)
			close(pipefd[i]);
	}
	if (err_fd >= 0)
		close(err_fd);
	wfm_strvec_clear(&argv);
	wfm_strvec_clear(&env);
	free(found);
	free(runtime);
	free(script);
	return ret;
}

int wfm_harness_fd(const struct wfm_harness *h)
{
	return h->out_fd;
}

/* ---- reading ---- */

/*
 * Reads what node has written, without blocking, at most a few chunks so
 * a chatty node cannot keep the caller here. Returns the bytes read; sets
 * h->eof at end of file.
 */
static size_t fill(struct wfm_harness *h)
{
	size_t total = 0;

	if (h->out_fd < 0 || h->eof)
		return 0;
	for (int i = 0; i < 16; i++) {
		ssize_t n;

		wfm_buf_grow(&h->in, READ_CHUNK);
		n = read(h->out_fd, h->in.ptr + h->in.len, READ_CHUNK);
		if (n > 0) {
			wfm_buf_setlen(&h->in, h->in.len + (size_t)n);
			total += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		h->eof = 1; /* end of file, or a read error that ends the stream alike */
		break;
	}
	return total;
}

static void consume(struct wfm_harness *h, size_t upto)
{
	h->head = upto;
	h->scan = upto;
	if (h->head == h->in.len) {
		wfm_buf_clear(&h->in);
		h->head = h->scan = 0;
	} else if (h->head > h->in.len / 2) {
		size_t rest = h->in.len - h->head;

		memmove(h->in.ptr, h->in.ptr + h->head, rest);
		wfm_buf_setlen(&h->in, rest);
		h->head = h->scan = 0;
	}
}

static int parse_line(cJSON **out, struct wfm_harness *h, const char *line, size_t len)
{
	cJSON *msg = NULL, *type;

	if (wfm_json_parse(&msg, line, len) < 0)
		return wfm_error_setc(WFM_EINVALID,
				      "the workflow runtime sent a line that is not JSON "
				      "(%s): '%.60s'",
				      wfm_error_last(), line);
	type = cJSON_GetObjectItemCaseSensitive(msg, "type");
	if (!cJSON_IsObject(msg) || !cJSON_IsString(type)) {
		cJSON_Delete(msg);
		return wfm_error_setc(WFM_EINVALID,
				      "the workflow runtime sent a line that is not a message: "
				      "'%.60s'",
				      line);
	}
	*out = msg;
	return 1;
}

int wfm_harness_pending(const struct wfm_harness *h)
{
	return h->ended || h->eof || memchr(h->in.ptr + h->scan, '\n', h->in.len - h->scan);
}

int wfm_harness_read(cJSON **out, struct wfm_harness *h)
{
	*out = NULL;
	for (;;) {
		char *start = h->in.ptr + h->head;
		char *nl;

		if (h->ended)
			return wfm_error_setc(WFM_ENOTFOUND,
					      "the workflow runtime has no more output");
		nl = memchr(h->in.ptr + h->scan, '\n', h->in.len - h->scan);
		if (nl) {
			size_t len = (size_t)(nl - start);
			int ret;

			if (len > WFM_HARNESS_MAX_LINE)
				goto too_long;
			ret = parse_line(out, h, start, len);
			consume(h, (size_t)(nl + 1 - h->in.ptr));
			return ret;
		}
		h->scan = h->in.len;
		if (h->in.len - h->head > WFM_HARNESS_MAX_LINE)
			goto too_long;
		if (h->eof) {
			h->ended = 1;
			if (h->in.len > h->head)
				return wfm_error_setc(WFM_EINVALID,
						      "the workflow runtime's output ends in "
						      "the middle of a line ('%.60s')",
						      start);
			return wfm_error_setc(WFM_ENOTFOUND,
					      "the workflow runtime closed its output");
		}
		if (!fill(h) && !h->eof)
			return 0;
	}

too_long:
	h->ended = 1;
	wfm_buf_release(&h->in);
	h->head = h->scan = 0;
	return wfm_error_setc(WFM_EINVALID, "the workflow runtime sent a line longer than %u MiB",
			      WFM_HARNESS_MAX_LINE >> 20);
}

/* ---- sending ---- */

int wfm_harness_send(struct wfm_harness *h, const cJSON *msg)
{
	struct wfm_buf line = WFM_BUF_INIT;
	uint64_t deadline = wfm_clock_mono_ms() + h->send_timeout_ms;
	size_t off = 0;
	int ret = 0;

	if (h->in_fd < 0 || h->send_broken)
		return wfm_error_set("the workflow runtime no longer takes input");
	/* unformatted cJSON escapes control characters: the line holds no newline */
	wfm_json_print(&line, msg);
	if (line.len > WFM_HARNESS_MAX_LINE) {
		ret = wfm_error_setc(WFM_EBUDGET,
				     "a message of %zu bytes for the workflow runtime is "
				     "longer than %u MiB",
				     line.len, WFM_HARNESS_MAX_LINE >> 20);
		goto done;
	}
	wfm_buf_addch(&line, '\n');
	while (off < line.len) {
		ssize_t n =
			send(h->in_fd, line.ptr + off, line.len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		struct pollfd pfd[2];
		nfds_t nfds = 1;
		uint64_t now;

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			h->send_broken = 1;
			ret = wfm_error_set("cannot send to the workflow runtime (node): %s",
					    errno == EPIPE || errno == ECONNRESET
						    ? "it has exited"
						    : strerror(errno));
			goto done;
		}
		now = wfm_clock_mono_ms();
		if (now >= deadline) {
			h->send_broken = 1;
			ret = wfm_error_setc(WFM_ETIMEOUT,
					     "the workflow runtime (node) has not read its "
					     "input for %lu ms",
					     h->send_timeout_ms);
			goto done;
		}
		/* node may be blocked writing to us: take its output meanwhile */
		pfd[0].fd = h->in_fd;
		pfd[0].events = POLLOUT;
		if (h->out_fd >= 0 && !h->eof) {
			pfd[1].fd = h->out_fd;
			pfd[1].events = POLLIN;
			nfds = 2;
		}
		if (poll(pfd, nfds, (int)(deadline - now)) < 0 && errno != EINTR) {
			ret = wfm_error_set("cannot wait for the workflow runtime: %s",
					    strerror(errno));
			goto done;
		}
		if (nfds == 2 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
			fill(h);
	}
done:
	wfm_buf_release(&line);
	return ret;
}

/* ---- ending ---- */

/*
 * Takes r from wfm_child_wait() or wfm_child_kill() and sets exit_code
 * once node is reaped: its status, 128 + the signal that killed it, or
 * -1 when it was lost. Returns r.
 */
static int reaped(struct wfm_harness *h, int r)
{
	int status = h->child.status;

	if (r < 0)
		h->exit_code = -1;
	else if (!h->child.reaped)
		return r;
	else if (WIFEXITED(status))
		h->exit_code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		h->exit_code = 128 + WTERMSIG(status);
	else
		h->exit_code = -1;
	return r;
}

static char *stderr_tail(int fd)
{
	struct stat st;
	struct wfm_buf b = WFM_BUF_INIT;
	off_t from;

	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size <= 0)
		return wfm_strdup("");
	from = st.st_size > WFM_HARNESS_STDERR_TAIL ? st.st_size - WFM_HARNESS_STDERR_TAIL : 0;
	wfm_buf_grow(&b, (size_t)(st.st_size - from));
	for (;;) {
		ssize_t n = pread(fd, b.ptr + b.len, (size_t)(st.st_size - from) - b.len,
				  from + (off_t)b.len);
		if (n > 0) {
			wfm_buf_setlen(&b, b.len + (size_t)n);
			if (b.len < (size_t)(st.st_size - from))
				continue;
		} else if (n < 0 && errno == EINTR) {
			continue;
		}
		break;
	}
	wfm_buf_rtrim(&b);
	return wfm_buf_detach(&b, NULL);
}

int wfm_harness_finish(struct wfm_harness *h, int *exit_code, char **tail, unsigned long timeout_ms)
{
	uint64_t deadline = wfm_clock_mono_ms() + timeout_ms;
	int ret = 0;

	if (tail)
		*tail = NULL;
	if (h->in_fd >= 0) {
		close(h->in_fd);
		h->in_fd = -1;
	}
	while (!h->child.reaped) {
		uint64_t now = wfm_clock_mono_ms();
		struct pollfd pfd;
		int r = reaped(h, wfm_child_wait(&h->child, 0));

		if (r != 0) {
			ret = r < 0 ? r : 0;
			break;
		}
		if (timeout_ms == 0 || now >= deadline) {
			ret = reaped(h, wfm_child_kill(&h->child));
			break;
		}
		/* keep node's output flowing: it may be blocked writing before it can exit */
		pfd.fd = h->out_fd;
		pfd.events = POLLIN;
		if (h->out_fd >= 0 && !h->eof) {
			if (poll(&pfd, 1, WAIT_TICK_MS) > 0)
				fill(h);
		} else {
			poll(NULL, 0, WAIT_TICK_MS);
		}
	}
	/* what it wrote before exiting is the caller's to read */
	while (h->out_fd >= 0 && !h->eof && fill(h))
		;
	if (h->out_fd >= 0) {
		close(h->out_fd);
		h->out_fd = -1;
	}
	h->eof = 1;
	if (exit_code)
		*exit_code = h->exit_code;
	if (tail)
		*tail = stderr_tail(h->err_fd);
	return ret;
}

void wfm_harness_free(struct wfm_harness *h)
{
	if (!h)
		return;
	wfm_child_kill(&h->child);
	if (h->in_fd >= 0)
		close(h->in_fd);
	if (h->out_fd >= 0)
		close(h->out_fd);
	if (h->err_fd >= 0)
		close(h->err_fd);
	wfm_buf_release(&h->in);
	free(h->script);
	free(h);
}

/* ---- validating ---- */

static int check_error(const char *script, const cJSON *msg)
{
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(msg, "kind");
	const cJSON *message = cJSON_GetObjectItemCaseSensitive(msg, "message");
	const cJSON *line = cJSON_GetObjectItemCaseSensitive(msg, "line");
	const cJSON *column = cJSON_GetObjectItemCaseSensitive(msg, "column");
	const char *text = cJSON_IsString(message) ? message->valuestring : "invalid workflow";
	const char *k = cJSON_IsString(kind) ? kind->valuestring : "";
	int code = (!strcmp(k, "meta") || !strcmp(k, "syntax") || !strcmp(k, "global"))
			   ? WFM_EINVALID
			   : WFM_ERROR;
	const char *prefix = !strcmp(k, "syntax") ? "SyntaxError: " : "";

	if (cJSON_IsNumber(line) && cJSON_IsNumber(column))
		return wfm_error_setc(code, "%s:%d:%d: %s%s", script, line->valueint,
				      column->valueint, prefix, text);
	if (cJSON_IsNumber(line))
		return wfm_error_setc(code, "%s:%d: %s%s", script, line->valueint, prefix, text);
	return wfm_error_setc(code, "%s: %s%s", script, prefix, text);
}

int wfm_harness_check(cJSON **meta, const char *script, const char *node)
{
	struct wfm_harness_opts opts = WFM_HARNESS_OPTS_INIT;
	struct wfm_harness *h = NULL;
	uint64_t deadline = wfm_clock_mono_ms() + CHECK_TIMEOUT_MS;
	cJSON *msg = NULL;
	char *tail = NULL;
	int ret, code = -1;

	*meta = NULL;
	opts.script = script;
	opts.check_only = 1;
	opts.node = node;
	ret = wfm_harness_start(&h, &opts);
	if (ret < 0)
		return ret;
	for (;;) {
		struct pollfd pfd = { wfm_harness_fd(h), POLLIN, 0 };
		uint64_t now = wfm_clock_mono_ms();

		ret = wfm_harness_read(&msg, h);
		if (ret != 0)
			break;
		if (now >= deadline) {
			ret = wfm_error_setc(WFM_ETIMEOUT, "checking '%s' took node more than %d s",
					     script, CHECK_TIMEOUT_MS / 1000);
			break;
		}
		if (poll(&pfd, 1, (int)(deadline - now)) < 0 && errno != EINTR) {
			ret = wfm_error_set("cannot wait for node: %s", strerror(errno));
			break;
		}
	}
	wfm_harness_finish(h, &code, &tail, ret == WFM_ETIMEOUT ? 0 : 5000);
	if (ret == 1) {
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(msg, "type");

		if (!strcmp(type->valuestring, "meta") &&
		    cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(msg, "meta"))) {
			*meta = cJSON_DetachItemFromObjectCaseSensitive(msg, "meta");
			ret = 0;
		} else if (!strcmp(type->valuestring, "error")) {
			ret = check_error(script, msg);
		} else {
			ret = wfm_error_set("the workflow runtime answered --check with "
					    "a '%s' message",
					    type->valuestring);
		}
	} else if (ret == WFM_ENOTFOUND) {
		ret = wfm_error_set("the workflow runtime failed on '%s' (node exited %d)%s%s",
				    script, code, tail && *tail ? ": " : "", tail ? tail : "");
	}
	cJSON_Delete(msg);
	free(tail);
	wfm_harness_free(h);
	return ret;
}
