/*
 * The exec provider: an agent is `sh -c <agent_cmd>` in a pool slot.
 * The contract it offers commands (stdin, environment, output rules) is
 * in docs/agents.md; keep the two in step.
 */
/* mkostemps() is a GNU extension */
#define _GNU_SOURCE
#include "base/common.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/process.h"
#include "base/strvec.h"
#include "base/utf8.h"
#include "agent/agent_type.h"
#include "agent/exec.h"
#include "agent/schema.h"
#include "agent/transcript.h"
#include "agent/work.h"
#include "exec/executor.h"
#include "git/pool.h"

#include <fcntl.h>

/* bytes of stdout kept in the transcript */
#define TRANSCRIPT_TAIL (64 * 1024)

/* What one call works with, so the steps can share it and clean it up in one place. */
struct job {
	const struct wfm_agent_env *env;
	const struct wfm_agent_request *req;
	struct wfm_agent_work work;
	struct wfm_slot *slot;
	char *request_path; /* WFM_AGENT_JSON_FILE, removed at the end */
	struct wfm_transcript tr;
	cJSON *request; /* WFM_AGENT_JSON */
	struct wfm_process_result proc;
	int ran;		     /* proc is filled */
	struct wfm_exec_where where; /* a job's: where it ran */
};

static int check_request(struct job *j)
{
	const struct wfm_agent_env *env = j->env;
	int rc;

	if (!env->pool)
		return wfm_error_setc(WFM_EINVALID, "the exec provider needs a worktree pool");
	if (!env->agent_cmd || !*env->agent_cmd)
		return wfm_error_setc(WFM_EINVALID, "no agent command given (--agent-cmd)");
	/* the output is the last line that holds a JSON object: only objects can match */
	if ((rc = wfm_agent_work_init(&j->work, env, j->req)) < 0)
		return rc;
	return 0;
}

static void add_str_or_null(cJSON *obj, const char *key, const char *s)
{
	if (s)
		wfm_json_add_str(obj, key, s);
	else
		wfm_json_add_null(obj, key);
}

static void add_copy_or_null(cJSON *obj, const char *key, const cJSON *v)
{
	cJSON *d = v ? cJSON_Duplicate(v, 1) : NULL;

	if (v && !d) {
		fprintf(stderr, "fatal: out of memory copying JSON\n");
		abort();
	}
	if (d)
		wfm_json_add(obj, key, d);
	else
		wfm_json_add_null(obj, key);
}

/* The request as the command sees it in WFM_AGENT_JSON. */
static cJSON *request_json(const struct job *j, const char *base)
{
	const struct wfm_agent_request *req = j->req;
	cJSON *o = wfm_json_object();

	add_str_or_null(o, "run", j->env->run);
	wfm_json_add_str(o, "role", j->work.role->name);
	add_str_or_null(o, "label", req->label);
	add_str_or_null(o, "phase", req->phase);
	add_copy_or_null(o, "schema", req->schema);
	wfm_json_add_str(o, "base", base);
	add_str_or_null(o, "branch", j->work.branch);
	add_copy_or_null(o, "unit", req->unit);
	add_copy_or_null(o, "args", req->args);
	add_str_or_null(o, "model", req->model);
	add_str_or_null(o, "effort", req->effort);
	add_str_or_null(o, "isolation", req->worktree ? "worktree" : NULL);
	wfm_json_add_bool(o, "shared", j->env->slot != NULL);
	wfm_json_add_bool(o, "writes", j->work.writes);
	add_copy_or_null(o, "scope", j->work.scope.nr ? req->scope : NULL);
	if (req->type)
		wfm_json_add(o, "agentType", wfm_agent_type_to_json(req->type));
	else
		wfm_json_add_null(o, "agentType");
	return o;
}

/*
 * The request, however large, in a file of its own: created exclusively
 * with mode 0600 under an unpredictable name, as a private directory would
 * hold it, but with one file to create and remove instead of three
 * entries.
 */
static int write_request_file(struct job *j, const char *json)
{
	const char *tmp = getenv("TMPDIR");
	struct wfm_buf path = WFM_BUF_INIT;
	int fd, rc = 0;

	wfm_buf_addf(&path, "%s/wfm-agent-XXXXXX.json", tmp && *tmp ? tmp : "/tmp");
	fd = mkostemps(path.ptr, 5, O_CLOEXEC);
	if (fd < 0) {
		rc = wfm_error_set("cannot make a file like '%s': %s", path.ptr, strerror(errno));
		wfm_buf_release(&path);
		return rc;
	}
	j->request_path = wfm_buf_detach(&path, NULL);
	if (wfm_fs_write_all(fd, json, strlen(json)) < 0) {
		int err = errno;

		close(fd);
		return wfm_error_set("cannot write '%s': %s", j->request_path, strerror(err));
	}
	if (close(fd) < 0)
		rc = wfm_error_set("cannot write '%s': %s", j->request_path, strerror(errno));
	return rc;
}

/* ---- transcripts ---- */

static void transcript_request(struct job *j, const char *worktree)
{
	cJSON *r = wfm_json_object();

	wfm_json_add_str(r, "type", "request");
	wfm_json_add_str(r, "provider", "exec");
	wfm_json_add_str(r, "command", j->env->agent_cmd);
	wfm_json_add_str(r, "worktree", worktree);
	wfm_json_add(r, "request", cJSON_Duplicate(j->request, 1));
	wfm_json_add_str(r, "prompt", j->req->prompt);
	wfm_transcript_add(&j->tr, r);
}

static void transcript_end(struct job *j, const struct wfm_agent_result *res)
{
	const struct wfm_process_result *p = &j->proc;

	if (j->ran) {
		cJSON *o = wfm_json_object();
		size_t keep = p->output.len < TRANSCRIPT_TAIL ? p->output.len : TRANSCRIPT_TAIL;

		wfm_json_add_str(o, "type", "output");
		wfm_json_add_strn(o, "stdout", p->output.ptr + p->output.len - keep, keep);
		wfm_json_add_num(o, "stdout_bytes", (double)p->output_bytes);
		wfm_json_add_strn(o, "stderr", p->err.ptr, p->err.len);
		wfm_json_add_num(o, "stderr_bytes", (double)p->err_bytes);
		wfm_json_add_num(o, "exit_code", p->exit_code);
		if (p->signal && wfm_signal_name(p->signal))
			wfm_json_add_str(o, "signal", wfm_signal_name(p->signal));
		else if (p->signal)
			wfm_json_add_num(o, "signal", p->signal);
		wfm_json_add_bool(o, "timed_out", p->timed_out);
		wfm_json_add_bool(o, "cancelled", p->cancelled);
		wfm_transcript_add(&j->tr, o);
	}
	{
		cJSON *o = wfm_json_object();

		wfm_json_add_str(o, "type", "result");
		wfm_json_add(o, "result", wfm_agent_result_to_json(res));
		wfm_transcript_add(&j->tr, o);
	}
}

/* ---- the output ---- */

__attribute__((format(printf, 2, 3))) static void agent_fail(struct wfm_agent_result *out,
							     const char *fmt, ...)
{
	struct wfm_buf why = WFM_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	wfm_buf_vaddf(&why, fmt, ap);
	va_end(ap);
	out->ok = 0;
	free(out->reason);
	out->reason = wfm_buf_detach(&why, NULL);
	cJSON_Delete(out->output);
	out->output = NULL;
}

/* Why the process counts as failed, or 0 when it does not. */
static int process_failed(struct wfm_agent_result *out, const struct wfm_process_result *p,
			  unsigned long timeout_sec)
{
	if (p->cancelled)
		agent_fail(out, "cancelled");
	else if (p->timed_out)
		agent_fail(out, "timed out after %lus", timeout_sec);
	else if (p->signal && wfm_signal_name(p->signal))
		agent_fail(out, "killed by %s", wfm_signal_name(p->signal));
	else if (p->signal)
		agent_fail(out, "killed by signal %d", p->signal);
	else if (p->exit_code != 0)
		agent_fail(out, "exit status %d", p->exit_code);
	else if (p->output_bytes > WFM_AGENT_EXEC_OUTPUT_MAX)
		agent_fail(out, "output larger than %d bytes", WFM_AGENT_EXEC_OUTPUT_MAX);
	else
		return 0;
	return 1;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* A JSON object in s[0..len) (spaces around it allowed), or NULL. */
static cJSON *object_in(const char *s, size_t len)
{
	cJSON *v = NULL;

	while (len && is_space(*s)) {
		s++;
		len--;
	}
	while (len && is_space(s[len - 1]))
		len--;
	if (len < 2 || s[0] != '{' || s[len - 1] != '}')
		return NULL;
	if (wfm_json_parse(&v, s, len) < 0)
		return NULL;
	if (!cJSON_IsObject(v)) {
		cJSON_Delete(v);
		return NULL;
	}
	return v;
}

/*
 * The last line of s that holds a JSON object; failing that, s as a
 * whole (a pretty-printed object), or NULL.
 */
static cJSON *last_object(const char *s, size_t len)
{
	size_t end = len;
	cJSON *v;

	while (end > 0) {
		size_t start = end;

		while (start > 0 && s[start - 1] != '\n')
			start--;
		if ((v = object_in(s + start, end - start)))
			return v;
		end = start ? start - 1 : 0;
	}
	return object_in(s, len);
}

static cJSON *text_value(const char *s, size_t len)
{
	/* as $(...) does: the trailing newlines end the output, they are not part of it */
	while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	return wfm_json_strn(s, len);
}

static void take_output(struct wfm_agent_result *out, const struct wfm_agent_request *req,
			const struct wfm_buf *stdout_buf)
{
	cJSON *v;

	if (!req->schema) {
		out->output = text_value(stdout_buf->ptr, stdout_buf->len);
		out->ok = 1;
		return;
	}
	v = last_object(stdout_buf->ptr, stdout_buf->len);
	if (!v) {
		agent_fail(out, "no JSON object in the output");
		return;
	}
	if (wfm_schema_validate(req->schema, v) < 0) {
		agent_fail(out, "output does not match the schema: %s", wfm_error_last());
		cJSON_Delete(v);
		return;
	}
	out->output = v;
	out->ok = 1;
}

/*
 * The last lines of stderr that say something, for the report and the
 * progress line (the transcript has all of it): where `python3` says it
 * cannot open a file, `sh` that a command is not found. NULL when none.
 */
static char *stderr_tail(const struct wfm_buf *err)
{
	struct wfm_buf b = WFM_BUF_INIT;

	if (!wfm_utf8_last_lines(&b, err->ptr, err->len, WFM_AGENT_STDERR_LINES,
				 WFM_AGENT_STDERR_LINE_MAX)) {
		wfm_buf_release(&b);
		return NULL;
	}
	return wfm_buf_detach(&b, NULL);
}

/* ---- running ---- */

/* The request in the environment, when it is small enough (WFM_AGENT_JSON). */
static void add_request_var(struct wfm_strvec *set, const struct wfm_buf *json)
{
	struct wfm_buf var = WFM_BUF_INIT;

	wfm_buf_adds(&var, "WFM_AGENT_JSON=");
	wfm_buf_add(&var, json->ptr, json->len);
	if (var.len <= WFM_AGENT_EXEC_ENV_MAX)
		wfm_strvec_push(set, var.ptr);
	wfm_buf_release(&var);
}

/* git in the slot; 0 when it exited 0, else WFM_ERROR with its words. */
static int slot_git(struct wfm_slot *slot, const char *const *args)
{
	struct wfm_strvec argv = WFM_STRVEC_INIT;
	struct wfm_process_opts po = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r = WFM_PROCESS_RESULT_INIT;
	int rc;

	wfm_strvec_push(&argv, "git");
	wfm_strvec_push(&argv, "-C");
	wfm_strvec_push(&argv, wfm_slot_path(slot));
	for (; *args; args++)
		wfm_strvec_push(&argv, *args);
	po.argv = (const char *const *)argv.v;
	po.flags = WFM_PROCESS_SCRUB_GIT;
	po.output_cap = 4096;
	rc = wfm_process_run(&r, &po);
	if (rc == 0 && r.exit_code != 0) {
		wfm_buf_rtrim(&r.output);
		rc = wfm_error_set("git %s in '%s' failed: %s", argv.v[3], wfm_slot_path(slot),
				   r.output.ptr);
	}
	wfm_process_result_release(&r);
	wfm_strvec_clear(&argv);
	return rc;
}

/*
 * What the job left, into the slot as if the agent had run here: HEAD at
 * what it committed itself, the index and the files at all it left.
 */
static int take_work(struct job *j, const struct wfm_exec_output *xo)
{
	const char *detach[] = { "checkout", "-q", "--detach", xo->head, NULL };
	const char *reset[] = { "read-tree", "-u", "--reset", xo->work, NULL };
	int rc = 0;

	if (strcmp(xo->head, wfm_slot_base(j->slot)))
		rc = slot_git(j->slot, detach);
	if (rc == 0)
		rc = slot_git(j->slot, reset);
	return rc;
}

/*
 * The command as a job of env->executor (a cluster's), at the slot's
 * commit: the same stdin, request and environment variables, its output
 * and stderr back in j->proc, its work back in the slot.
 */
static int run_job(struct job *j, const struct wfm_buf *json)
{
	const struct wfm_agent_env *env = j->env;
	struct wfm_exec_spec spec = { 0 };
	struct wfm_exec_output xo;
	struct wfm_strvec set = WFM_STRVEC_INIT;
	int rc;

	add_request_var(&set, json);
	spec.commit = wfm_slot_base(j->slot);
	spec.command = env->agent_cmd;
	spec.timeout_sec = env->timeout_sec;
	spec.env_set = (const char *const *)set.v;
	spec.input = j->req->prompt;
	spec.input_len = strlen(j->req->prompt);
	spec.file_env = "WFM_AGENT_JSON_FILE";
	spec.file_text = json->ptr;
	spec.split_stderr = 1;
	spec.output_cap = WFM_AGENT_EXEC_OUTPUT_MAX;
	spec.err_cap = WFM_AGENT_EXEC_STDERR_TAIL;
	spec.keep_work = j->work.writes;
	spec.label = "agent";
	rc = wfm_executor_run_command(env->executor, &xo, &spec, env->cancel);
	if (rc == 0) {
		j->proc = xo.proc;
		xo.proc = (struct wfm_process_result)WFM_PROCESS_RESULT_INIT;
		j->ran = 1;
		j->where = xo.where;
		if (xo.work[0])
			rc = take_work(j, &xo);
	}
	wfm_exec_output_release(&xo);
	wfm_strvec_clear(&set);
	return rc;
}

/* json: the request as WFM_AGENT_JSON holds it; request_path: the file that holds it too */
static int run_command(struct job *j, const struct wfm_buf *json, const char *request_path)
{
	const struct wfm_agent_env *env = j->env;
	struct wfm_process_opts po = WFM_PROCESS_OPTS_INIT;
	struct wfm_strvec set = WFM_STRVEC_INIT;
	struct wfm_buf var = WFM_BUF_INIT;
	int rc;

	add_request_var(&set, json);
	wfm_buf_addf(&var, "WFM_AGENT_JSON_FILE=%s", request_path);
	wfm_strvec_push(&set, var.ptr);
	wfm_buf_release(&var);

	po.shell = env->agent_cmd;
	po.cwd = wfm_slot_path(j->slot);
	po.flags = WFM_PROCESS_SCRUB_SECRETS | WFM_PROCESS_SCRUB_GIT;
	po.env_set = (const char *const *)set.v;
	po.timeout_ms = env->timeout_sec > ULONG_MAX / 1000 ? ULONG_MAX : env->timeout_sec * 1000;
	po.cancel = env->cancel;
	po.input = j->req->prompt;
	po.input_len = strlen(j->req->prompt);
	po.split_stderr = 1;
	po.output_cap = WFM_AGENT_EXEC_OUTPUT_MAX;
	po.err_cap = WFM_AGENT_EXEC_STDERR_TAIL;
	rc = wfm_process_run(&j->proc, &po);
	j->ran = 1;
	wfm_strvec_clear(&set);
	return rc;
}

/* Whether the agent runs as a job elsewhere (agent.h: env->executor). */
static int remote(const struct wfm_agent_env *env)
{
	return !env->slot && wfm_executor_runs_commands(env->executor);
}

static void job_release(struct job *j)
{
	if (j->request_path)
		unlink(j->request_path);
	free(j->request_path);
	wfm_transcript_close(&j->tr);
	wfm_agent_work_release(&j->work);
	cJSON_Delete(j->request);
	if (j->ran)
		wfm_process_result_release(&j->proc);
}

int wfm_agent_exec_run(struct wfm_agent_result *out, const struct wfm_agent_env *env,
		       const struct wfm_agent_request *req)
{
	struct job j = { .tr = WFM_TRANSCRIPT_INIT(env->transcript_path) };
	struct wfm_buf json = WFM_BUF_INIT;
	char *first = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	j.env = env;
	j.req = req;
	if ((rc = check_request(&j)) < 0)
		goto done;
	if (env->cancel && *env->cancel) {
		agent_fail(out, "cancelled");
		transcript_end(&j, out);
		goto done;
	}
	if (env->slot)
		j.slot = env->slot;
	else if ((rc = wfm_pool_acquire(&j.slot, env->pool, req->base ? req->base : "HEAD")) < 0)
		goto done;
	memcpy(out->commit, wfm_slot_base(j.slot), WFM_OID_HEXSZ + 1);

	j.request = request_json(&j, out->commit);
	wfm_json_print(&json, j.request);
	transcript_request(&j, wfm_slot_path(j.slot));
	if (remote(env)) {
		if ((rc = run_job(&j, &json)) < 0)
			goto release;
		out->where = j.where;
	} else {
		if ((rc = write_request_file(&j, json.ptr)) < 0)
			goto release;
		if ((rc = run_command(&j, &json, j.request_path)) < 0)
			goto release;
	}
	out->duration_ms = j.proc.duration_ms;
	if (!process_failed(out, &j.proc, env->timeout_sec))
		take_output(out, req, &j.proc.output);
	if (!out->ok)
		out->stderr_tail = stderr_tail(&j.proc.err);
	if (out->ok && j.work.writes &&
	    (rc = wfm_agent_work_commit(out, &j.work, j.slot, env, req)) < 0)
		goto release;
	transcript_end(&j, out);

release:
	/* a read-only agent's changes stay in the slot: the next acquire discards them */
	if (env->slot) {
		/* the shared checkout: its holder commits and releases it */
	} else if (rc < 0) {
		/* the first error is the one to report, not the release's */
		first = wfm_strdup(wfm_error_last());
		wfm_pool_release(env->pool, j.slot);
		wfm_error_setc(rc, "%s", first);
	} else {
		rc = wfm_pool_release(env->pool, j.slot);
	}
done:
	if (rc < 0)
		wfm_agent_result_release(out);
	free(first);
	wfm_buf_release(&json);
	job_release(&j);
	return rc;
}
