#define _GNU_SOURCE /* strchrnul, memmem */
#include "base/common.h"
#include "agent/tools_priv.h"
#include "base/fs.h"
#include "base/process.h"
#include "base/strvec.h"

#include <pthread.h>
#include <sys/stat.h>

/*
 * Bash: sh -c in the worktree through base/process.h (own process group,
 * timeout, output tail, environment scrubbed), optionally inside
 * bubblewrap.
 */

#define NOTE_ROOM 160
#define SANDBOX_PROBE_MS 10000

/*
 * Beyond WFM_PROCESS_SCRUB_SECRETS (ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN,
 * OPENAI_API_KEY, *_API_KEY): other credentials a model has no use for.
 */
static const char *const unset_more[] = {
	"*_AUTH_TOKEN", "*_API_TOKEN", "*_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", NULL,
};

/* the bubblewrap options in front of the command; root is bound writable after them */
static const char *const bwrap_opts[] = {
	"--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", NULL,
};
static const char *const bwrap_tail[] = {
	"--unshare-all",
	"--die-with-parent",
	"--new-session",
	NULL,
};

static int on_path(const char *prog)
{
	const char *path = getenv("PATH");
	struct wfm_buf b = WFM_BUF_INIT;
	int found = 0;

	if (!path)
		path = "/usr/bin:/bin";
	while (!found) {
		const char *e = strchrnul(path, ':');

		wfm_buf_clear(&b);
		if (e == path)
			wfm_buf_adds(&b, ".");
		else
			wfm_buf_add(&b, path, (size_t)(e - path));
		wfm_buf_addf(&b, "/%s", prog);
		found = !access(b.ptr, X_OK);
		if (!*e)
			break;
		path = e + 1;
	}
	wfm_buf_release(&b);
	return found;
}

static void push_all(struct wfm_strvec *v, const char *const *a)
{
	for (; *a; a++)
		wfm_strvec_push(v, *a);
}

/* The bwrap command line that runs cmd (NULL: "true") with root writable. */
static void bwrap_argv(struct wfm_strvec *v, const char *root, const char *cmd)
{
	wfm_strvec_push(v, "bwrap");
	push_all(v, bwrap_opts);
	if (root) {
		/* after --tmpfs /tmp, so that a worktree under /tmp shows through */
		wfm_strvec_push(v, "--bind");
		wfm_strvec_push(v, root);
		wfm_strvec_push(v, root);
		/* a worktree's .git file (its gitdir is outside, read-only with
		 * the rest), or a repository's .git directory: read-only too */
		char *git = wfm_fs_join(root, ".git");
		struct stat st;

		if (!lstat(git, &st) && (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
			wfm_strvec_push(v, "--ro-bind");
			wfm_strvec_push(v, git);
			wfm_strvec_push(v, git);
		}
		free(git);
	}
	push_all(v, bwrap_tail);
	if (root) {
		wfm_strvec_push(v, "--chdir");
		wfm_strvec_push(v, root);
	}
	if (cmd) {
		wfm_strvec_push(v, "/bin/sh");
		wfm_strvec_push(v, "-c");
		wfm_strvec_push(v, cmd);
	} else {
		wfm_strvec_push(v, "true");
	}
}

static int sandbox_ok;
static pthread_once_t sandbox_once = PTHREAD_ONCE_INIT;

static void sandbox_probe(void)
{
	struct wfm_strvec argv = WFM_STRVEC_INIT;
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r = WFM_PROCESS_RESULT_INIT;

	if (!on_path("bwrap"))
		return;
	/* the options the tool uses, not just --ro-bind: a container may allow
	 * a user namespace but not a network or pid one */
	bwrap_argv(&argv, NULL, NULL);
	o.argv = (const char *const *)argv.v;
	o.timeout_ms = SANDBOX_PROBE_MS;
	o.output_cap = 4096;
	if (wfm_process_run(&r, &o) == 0 && r.exit_code == 0 && !r.timed_out)
		sandbox_ok = 1;
	wfm_process_result_release(&r);
	wfm_strvec_clear(&argv);
	wfm_error_clear();
}

int wfm_sandbox_available(void)
{
	pthread_once(&sandbox_once, sandbox_probe);
	return sandbox_ok;
}

/* s without the whitespace around it: [*b, *e) */
static void trim(const char *s, const char **b, const char **e)
{
	const char *end = s + strlen(s);

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		end--;
	*b = s;
	*e = end;
}

static int same_command(const char *a, const char *b)
{
	const char *ab, *ae, *bb, *be;

	trim(a, &ab, &ae);
	trim(b, &bb, &be);
	return ae - ab == be - bb && !memcmp(ab, bb, (size_t)(ae - ab));
}

int wfm_tool_bash(struct wfm_tool_call *c)
{
	const struct wfm_tool_ctx *ctx = c->ctx;
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r = WFM_PROCESS_RESULT_INIT;
	struct wfm_strvec argv = WFM_STRVEC_INIT;
	unsigned long max_ms =
		ctx->bash_timeout_ms ? ctx->bash_timeout_ms : WFM_TOOL_BASH_TIMEOUT_DEFAULT_MS;
	const char *command = NULL, *desc = NULL;
	char *root_real = NULL;
	long timeout = (long)max_ms;
	int rc = 0;

	if (wfm_tool_arg_str(c, "command", 1, &command) < 0 ||
	    wfm_tool_arg_long(c, "timeout", 1, &timeout) < 0 ||
	    wfm_tool_arg_str(c, "description", 0, &desc) < 0)
		goto done;
	if ((unsigned long)timeout > max_ms)
		timeout = (long)max_ms;
	{
		const char *b, *e;

		trim(command, &b, &e);
		if (b == e) {
			wfm_tool_fail(c, "Bash: the command is empty");
			goto done;
		}
	}
	if (ctx->bash_only && !same_command(command, ctx->bash_only)) {
		wfm_tool_fail(c, "Bash: this agent may only run '%s'", ctx->bash_only);
		goto done;
	}
	if ((rc = wfm_tool_root_real(&root_real, ctx->root)) < 0)
		goto done;

	o.cwd = root_real;
	o.flags = WFM_PROCESS_SCRUB_SECRETS | WFM_PROCESS_SCRUB_GIT;
	o.env_unset = unset_more;
	o.timeout_ms = (unsigned long)timeout;
	o.output_cap = c->cap > 2 * NOTE_ROOM ? c->cap - NOTE_ROOM : NOTE_ROOM;
	o.cancel = ctx->cancel;
	if (ctx->sandbox == WFM_SANDBOX_BWRAP) {
		if (!wfm_sandbox_available()) {
			rc = wfm_error_set("Bash: the bubblewrap sandbox is not available here "
					   "(bwrap missing, or user namespaces not permitted)");
			goto done;
		}
		bwrap_argv(&argv, root_real, command);
		o.argv = (const char *const *)argv.v;
	} else {
		o.shell = command;
	}
	if ((rc = wfm_process_run(&r, &o)) < 0)
		goto done;

	if (r.cancelled) {
		wfm_tool_fail(c, "Bash: cancelled");
		goto done;
	}
	if (r.output_bytes > r.output.len)
		wfm_buf_addf(c->out, "[truncated: the first %llu bytes of output are not shown]\n",
			     (unsigned long long)(r.output_bytes - r.output.len));
	wfm_buf_add(c->out, r.output.ptr, r.output.len);
	if (r.timed_out) {
		if (c->out->len > c->start && c->out->ptr[c->out->len - 1] != '\n')
			wfm_buf_addch(c->out, '\n');
		wfm_buf_addf(c->out,
			     "[timed out after %ld ms: the command and its processes were "
			     "killed]",
			     timeout);
		*c->is_error = 1;
		goto done;
	}
	if (r.exit_code || r.signal) {
		if (c->out->len > c->start && c->out->ptr[c->out->len - 1] != '\n')
			wfm_buf_addch(c->out, '\n');
		if (r.signal) {
			const char *name = wfm_signal_name(r.signal);

			if (name)
				wfm_buf_addf(c->out, "killed by %s", name);
			else
				wfm_buf_addf(c->out, "killed by signal %d", r.signal);
		} else {
			wfm_buf_addf(c->out, "exit status %d", r.exit_code);
		}
	} else if (c->out->len == c->start) {
		wfm_buf_adds(c->out, "(no output)");
	}
done:
	wfm_process_result_release(&r);
	wfm_strvec_clear(&argv);
	free(root_real);
	return rc;
}
