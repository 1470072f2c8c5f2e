#include "support/test.h"
#include "agent/agent.h"
#include "agent/exec.h"
#include "agent/role.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/json.h"
#include "git/pool.h"
#include "git/repo.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>

/*
 * Every test makes its own repository, one commit (base):
 *   file.c   "int old;\n"
 *   .gitignore "*.o\n"
 * a pool with run id "r1", and runs real shell snippets as agents.
 */
struct fixture {
	char *repo;
	char base[WFM_OID_HEXSZ + 1];
	struct wfm_pool *pool;
	struct wfm_agent_env env;
	struct wfm_agent_request req;
};

static void fixture_init(struct fixture *f)
{
	struct wfm_pool_opts opts = WFM_POOL_OPTS_INIT;
	struct wfm_agent_env env = WFM_AGENT_ENV_INIT;
	struct wfm_agent_request req = WFM_AGENT_REQUEST_INIT;
	char *c;

	f->repo = wfm_test_repo_new();
	wfm_test_write(f->repo, ".gitignore", "*.o\n");
	wfm_test_write(f->repo, "file.c", "int old;\n");
	free(wfm_test_sh(f->repo, "git add -A && git commit -qm base"));
	c = wfm_test_sh_trim(f->repo, "git rev-parse HEAD");
	snprintf(f->base, sizeof(f->base), "%s", c);
	free(c);
	opts.run = "r1";
	f->pool = NULL;
	assert_wfm_ok(wfm_pool_open(&f->pool, f->repo, &opts));
	env.run = "r1";
	env.pool = f->pool;
	env.timeout_sec = 60;
	f->env = env;
	req.prompt = "do the thing\nwith care";
	req.label = "fix-a";
	req.base = f->base;
	f->req = req;
}

static void fixture_release(struct fixture *f)
{
	wfm_pool_free(f->pool);
	wfm_test_rmtree(f->repo);
	free(f->repo);
}

/* Runs cmd as the agent of f->req; the call itself must succeed. */
static void run(struct fixture *f, struct wfm_agent_result *r, const char *cmd)
{
	f->env.agent_cmd = cmd;
	assert_wfm_ok(wfm_agent_exec_run(r, &f->env, &f->req));
}

static void assert_failed(const struct wfm_agent_result *r, const char *reason)
{
	if (r->ok)
		fail_msg("the agent should have failed with '%s'", reason);
	assert_non_null(r->reason);
	if (strcmp(r->reason, reason))
		fail_msg("expected the reason '%s', got '%s'", reason, r->reason);
	assert_null(r->output);
}

static void assert_ok_text(const struct wfm_agent_result *r, const char *text)
{
	if (!r->ok)
		fail_msg("the agent failed: %s", r->reason);
	assert_null(r->reason);
	assert_true(cJSON_IsString(r->output));
	assert_string_equal(r->output->valuestring, text);
}

static int setup(void **state)
{
	assert_wfm_ok(wfm_git_init());
	return 0;
}

static int teardown(void **state)
{
	wfm_git_shutdown();
	return 0;
}

static void test_exec_agent__text_output(void **state)
{
	struct fixture f;
	struct wfm_agent_result r;
	cJSON *v;

	fixture_init(&f);
	run(&f, &r, "cat >/dev/null; echo hello; echo world >&2; echo again");
	/* stdout only; the trailing newline ends the output */
	assert_ok_text(&r, "hello\nagain");
	assert_string_equal(r.commit, f.base);
	assert_false(r.changed);
	assert_null(r.branch);
	assert_int_equal(r.tokens_in, 0);
	v = wfm_agent_result_value(&r, 0);
	assert_true(cJSON_IsString(v));
	assert_string_equal(v->valuestring, "hello\nagain");
	cJSON_Delete(v);
	wfm_agent_result_release(&r);

	/* the prompt arrives on stdin, and the command runs in a checkout of base */
	run(&f, &r, "cat; echo; cat file.c");
	assert_ok_text(&r, "do the thing\nwith care\nint old;");
	wfm_agent_result_release(&r);

	/* nothing printed: an empty string, which is not a failure */
	run(&f, &r, "true");
	assert_ok_text(&r, "");
	wfm_agent_result_release(&r);
	fixture_release(&f);
}

static void test_exec_agent__large_prompt(void **state)
{
	struct fixture f;
	struct wfm_agent_result r;
	const size_t len = 1024 * 1024;
	char *prompt = wfm_malloc(len + 1);

	fixture_init(&f);
	for (size_t i = 0; i < len; i++)
		prompt[i] = (char)('a' + i % 26);
	prompt[len] = '\0';
	f.req.prompt = prompt;
	/* echoes it all back: stdin and stdout must flow at the same time */
	run(&f, &r, "cat");
	assert_true(r.ok);
	assert_int_equal(strlen(r.output->valuestring), len);
	assert_memory_equal(r.output->valuestring, prompt, len);
	wfm_agent_result_release(&r);

	/* never reads it: no SIGPIPE, no failure */
	signal(SIGPIPE, SIG_DFL);
	run(&f, &r, "echo ignored");
	assert_ok_text(&r, "ignored");
	wfm_agent_result_release(&r);
	free(prompt);
	fixture_release(&f);
}

static const char *ok_schema =
	"{\"type\":\"object\",\"required\":[\"ok\"],\"properties\":{\"ok\":{\"type\":\"boolean\"}},"
	"\"additionalProperties\":false}";

static void test_exec_agent__schema_output(void **state)
{
	struct fixture f;
	struct wfm_agent_result r;
	cJSON *schema = wfm_test_json(ok_schema), *v;

	fixture_init(&f);
	f.req.schema = schema;
	run(&f, &r, "cat > /dev/null; echo '{\"ok\":true}'");
	assert_true(r.ok);
	assert_true(cJSON_IsObject(r.output));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r.output, "ok")));
	v = wfm_agent_result_value(&r, 0);
	assert_true(cJSON_Compare(v, r.output, 1));
	cJSON_Delete(v);
	wfm_agent_result_release(&r);

	/* a pretty-printed object, when no single line holds one */
	run(&f, &r, "printf '{\\n  \"ok\": false\\n}\\n'");
	assert_true(r.ok);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(r.output, "ok")));
	wfm_agent_result_release(&r);
	cJSON_Delete(schema);
	fixture_release(&f);
}

static void test_exec_agent__last_json_line_wins(void **state)
{
	struct fixture f;
	struct wfm_agent_result r;
	cJSON *schema = wfm_test_json(ok_schema);

	fixture_init(&f);
	f.req.schema = schema;
	/* objects before the last, and an array, broken JSON and prose after it, are passed over */
	run(&f, &r,
	    "echo '{\"ok\":false}'; echo 'thinking...'; echo '  {\"ok\":true}  '; "
	    "echo '[{\"ok\":false}]'; echo '{\"ok\":fals'; echo 'Done.'");
	assert_true(r.ok);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r.output, "ok")));
	wfm_agent_result_release(&r);

	/* the last object decides even when an earlier one would have matched */
	run(&f, &r, "echo '{\"ok\":true}'; echo '{\"ok\":1}'");
	assert_failed(&r, "output does not match the schema: $.ok: expected boolean, got integer");
	wfm_agent_result_release(&r);
	cJSON_Delete(schema);
	fixture_release(&f);
}

static void test_exec_agent__schema_mismatch(void **state)
{
	struct fixture f;
	struct wfm_agent_result r;
	cJSON *schema = wfm_test_json(ok_schema);
	cJSON *nested =
		wfm_test_json("{\"type\":\"object\",\"properties\":{\"files\":{\"type\":\"array\","
			      "\"items\":{\"type\":\"object\",\"required\":[\"path\"]}}}}");

	fixture_init(&f);
	f.req.schema = schema;
	run(&f, &r, "echo '{\"ok\":\"yes\"}'");
	assert_failed(&r, "output does not match the schema: $.ok: expected boolean, got string");
	wfm_agent_result_release(&r);

	run(&f, &r, "echo '{\"ok\":true,\"extra\":1}'");
	assert_failed(&r, "output does not match the schema: $.extra: unexpected property");
	wfm_agent_result_release(&r);

	run(&f, &r, "echo '{}'");
	assert_failed(&r, "output does not match the schema: $.ok: missing required property");
	wfm_agent_result_release(&r);

	f.req.schema = nested;
	run(&f, &r, "echo '{\"files\":[{\"path\":\"a\"},{\"name\":\"b\"}]}'");
	assert_failed(&r, "output does not match the schema: $.files[1].path: missing required "
			  "property");
	wfm_agent_result_release(&r);
	cJSON_Delete(schema);
	cJSON_Delete(nested);
	fixture_release(&f);
}

static void test_exec_agent__no_json(void **state)
{
	struct fixture f;
	struct wfm_agent_result r;
	cJSON *schema = wfm_test_json(ok_schema), *v;

	fixture_init(&f);
	f.req.schema = schema;
	run(&f, &r, "echo 'all done, no JSON here'; echo '[1,2]'; echo '\"s\"'");
	assert_failed(&r, "no JSON object in the output");
	v = wfm_agent_result_value(&r, 0);
	assert_true(cJSON_IsNull(v));
	cJSON_Delete(v);
	wfm_agent_result_release(&r);

	run(&f, &r, "true");
	assert_failed(&r, "no JSON object in the output");
	wfm_agent_result_release(&r);
	cJSON_Delete(schema);
	fixture_release(&f);
}

static void test_exec_agent__exit_status(void **state)
{
	struct fixture f;
	struct wfm_agent_result r;
	cJSON *schema = wfm_test_json(ok_schema);

	fixture_init(&f);
	run(&f, &r, "echo partial; exit 3");
	assert_failed(&r, "exit status 3");
	assert_string_equal(r.commit, f.base);
	wfm_agent_result_release(&r);

	/* valid output does not make up for a failure */
	f.req.schema = schema;
	run(&f, &r, "echo '{\"ok\":true}'; exit 1");
	assert_failed(&r, "exit status 1");
	wfm_agent_result_release(&r);

	run(&f, &r, "kill -KILL $$");
	assert_failed(&r, "killed by SIGKILL");
	wfm_agent_result_release(&r);

	run(&f, &r, "wfm-no-such-agent-command");
	assert_failed(&r, "exit status 127");
	assert_non_null(strstr(r.stderr_tail, "wfm-no-such-agent-command"));
	wfm_agent_result_release(&r);
	cJSON_Delete(schema);
	fixture_release(&f);
}

/* A failed agent keeps the last lines of stderr that say something, as a terminal shows them. */
static void test_exec_agent__stderr_tail(void **state)
{
	struct fixture f;
	struct wfm_agent_result r;

	fixture_init(&f);
	run(&f, &r,
	    "i=0; while [ $i -lt 50 ]; do echo noise $i >&2; i=$((i+1)); done; "
	    "printf 'Traceback:\\n\\tFile x\\n\\n  \\n\\033[31mError\\033[0m: it broke  \\n' >&2; "
	    "printf 'working 10%%\\rworking 100%%\\n' >&2; echo 'out is not err'; exit 2");
	assert_failed(&r, "exit status 2");
	assert_string_equal(r.stderr_tail,
			    "noise 48\nnoise 49\nTraceback:\n File x\nError: it broke\n"
			    "working 100%");
	wfm_agent_result_release(&r);

	/* nothing on stderr: none; a long line is cut on a character boundary */
	run(&f, &r, "exit 1");
	assert_failed(&r, "exit status 1");
	assert_null(r.stderr_tail);
	wfm_agent_result_release(&r);
	run(&f, &r,
	    "i=0; while [ $i -lt 299 ]; do printf x >&2; i=$((i+1)); done; printf "
	    "'\\303\\251\\303\\251\\n' >&2; exit 1");
	assert_int_equal(strlen(r.stderr_tail), 299 + 3);
	assert_string_equal(r.stderr_tail + 299, "\xe2\x80\xa6");
	wfm_agent_result_release(&r);

	/* an agent that succeeds has none, whatever it wrote there */
	run(&f, &r, "echo chatter >&2; echo done");
	assert_ok_text(&r, "done");
	assert_null(r.stderr_tail);
	wfm_agent_result_release(&r);
	fixture_release(&f);
}

/* tracked() of the resolve test: src/a.c and src/ are in the base commit */
static int fake_tracked(void *data, const char *path)
{
	(void)data;
	return !strcmp(path, "src/a.c") || !strcmp(path, "src") || !strcmp(path, "src/") ? 1 : 0;
}

static void assert_resolved(const struct wfm_exec_cmd_where *w, const char *cmd, const char *want)
{
	char *got = NULL;

	assert_wfm_ok(wfm_agent_exec_resolve_cmd(&got, cmd, w));
	if (strcmp(got, want))
		fail_msg("'%s' resolved to '%s', expected '%s'", cmd, got, want);
	free(got);
}

static void test_exec_agent__resolve_cmd(void **state)
{
	struct wfm_exec_cmd_where w = WFM_EXEC_CMD_WHERE_INIT;
	char *tmp = wfm_test_tmpdir(), real[PATH_MAX], *top, *sub, *out = NULL;
	struct wfm_buf want = WFM_BUF_INIT;

	assert_non_null(realpath(tmp, real));
	top = wfm_strdup(real);
	/* top/      repository: src/a.c tracked, notes/b.txt not, sub/ the user's directory
	 * top/../tools/codemod.py   outside it */
	wfm_test_write(top, "repo/src/a.c", "x");
	wfm_test_write(top, "repo/notes/b.txt", "x");
	wfm_test_write(top, "repo/sub/run agent.sh", "x");
	wfm_test_write(top, "tools/codemod.py", "x");
	free(wfm_test_sh(top, "chmod +x tools/codemod.py"));
	sub = wfm_strdup(top);
	{
		struct wfm_buf b = WFM_BUF_INIT;

		wfm_buf_addf(&b, "%s/repo", top);
		free(top);
		top = wfm_buf_detach(&b, NULL);
		wfm_buf_addf(&b, "%s/sub", top);
		free(sub);
		sub = wfm_buf_detach(&b, NULL);
	}
	w.cwd = sub;
	w.top = top;
	w.tracked = fake_tracked;

	/* the program: absolute, in quotes when it needs them */
	wfm_buf_addf(&want, "%s/tools/codemod.py --fast", real);
	assert_resolved(&w, "../../tools/codemod.py --fast", want.ptr);
	wfm_buf_clear(&want);
	wfm_buf_addf(&want, "'%s/sub/run agent.sh' x", top);
	assert_resolved(&w, "'./run agent.sh' x", want.ptr);
	assert_resolved(&w, "./run\\ agent.sh x", want.ptr);
	wfm_buf_clear(&want);
	wfm_buf_addf(&want, "FOO=a/b %s/tools/codemod.py", real);
	assert_resolved(&w, "FOO=a/b ../../tools/codemod.py", want.ptr);

	/* arguments: outside the repository or untracked: absolute; tracked: the agent's copy */
	wfm_buf_clear(&want);
	wfm_buf_addf(&want,
		     "python3 %s/tools/codemod.py ./src/a.c ./src %s/notes/b.txt . -o ../x/y", real,
		     top);
	assert_resolved(
		&w,
		"python3 ../../tools/codemod.py ../src/a.c ../src/ ../notes/b.txt ../ -o ../x/y",
		want.ptr);

	/* left alone: no '/', options, absolute paths, what the shell expands, missing
	 * arguments, and everything after the first simple command */
	assert_resolved(&w, "claude -p --allowedTools Edit", "claude -p --allowedTools Edit");
	assert_resolved(&w, "python3 -m tool --path=../src/a.c /abs/x $HOME/x ../*.c ~/x nothere/x",
			"python3 -m tool --path=../src/a.c /abs/x $HOME/x ../*.c ~/x nothere/x");
	wfm_buf_clear(&want);
	wfm_buf_addf(&want, "%s/tools/codemod.py 2>&1 | tee ../src/a.c; ../../tools/codemod.py",
		     real);
	assert_resolved(&w, "../../tools/codemod.py 2>&1 | tee ../src/a.c; ../../tools/codemod.py",
			want.ptr);
	assert_resolved(&w, "sh -c 'cd .. && ./x'", "sh -c 'cd .. && ./x'");

	/* a program that is not there */
	assert_int_equal(wfm_agent_exec_resolve_cmd(&out, "./codemod.py --x", &w), WFM_EINVALID);
	assert_null(out);
	assert_non_null(strstr(wfm_error_last(), "'./codemod.py' does not exist"));

	wfm_buf_release(&want);
	wfm_test_rmtree(tmp);
	free(tmp);
	free(top);
	free(sub);
}

static void test_exec_agent__timeout(void **state)
{
	struct fixture f;
	struct wfm_agent_result r;
	uint64_t t0 = wfm_clock_mono_ms();
	char *left;

	fixture_init(&f);
	f.env.timeout_sec = 1;
	run(&f, &r, "sleep 100; : wfm-test-marker-at");
	assert_failed(&r, "timed out after 1s");
	assert_true(wfm_clock_mono_ms() - t0 < 20000);
	assert_true(r.duration_ms >= 900);
	wfm_agent_result_release(&r);
	/* the whole group is gone */
	usleep(200 * 1000);
	left = wfm_test_sh_trim("/", "pgrep -f -c -- '[w]fm-test-marker-at' || true");
	assert_string_equal(left, "0");
	free(left);
	fixture_release(&f);
}

static volatile sig_atomic_t cancel_flag;

static void on_alarm(int sig)
{
	cancel_flag = 1;
}

static void test_exec_agent__cancel(void **state)
{
	struct fixture f;
	struct wfm_agent_result r;
	struct itimerval it = { { 0, 0 }, { 0, 300 * 1000 } };
	struct sigaction sa = { 0 }, old;
	uint64_t t0 = wfm_clock_mono_ms();

	fixture_init(&f);
	cancel_flag = 0;
	f.env.cancel = &cancel_flag;
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, &old);
	setitimer(ITIMER_REAL, &it, NULL);
	run(&f, &r, "sleep 100");
	sigaction(SIGALRM, &old, NULL);
	assert_true(wfm_clock_mono_ms() - t0 < 20000);
	assert_failed(&r, "cancelled");
	wfm_agent_result_release(&r);

	/* already cancelled: nothing runs, no slot is taken */
	run(&f, &r, "touch ran");
	assert_failed(&r, "cancelled");
	assert_string_equal(r.commit, "");
	wfm_agent_result_release(&r);
	cancel_flag = 0;
	fixture_release(&f);
}

static void test_exec_agent__output_cap(void **state)
{
	struct fixture f;
	struct wfm_agent_result r;
	char want[64];

	fixture_init(&f);
	/* a truncated output is never taken for the whole */
	run(&f, &r, "head -c 9000000 /dev/zero | tr '\\0' x");
	snprintf(want, sizeof(want), "output larger than %d bytes", WFM_AGENT_EXEC_OUTPUT_MAX);
	assert_failed(&r, want);
	wfm_agent_result_release(&r);

	/* exactly the limit is fine */
	run(&f, &r, "head -c 8388608 /dev/zero | tr '\\0' x");
	assert_true(r.ok);
	assert_int_equal(strlen(r.output->valuestring), WFM_AGENT_EXEC_OUTPUT_MAX);
	wfm_agent_result_release(&r);
	fixture_release(&f);
}

static void test_exec_agent__environment(void **state)
{
	struct fixture f;
	struct wfm_agent_result r;
	cJSON *schema = wfm_test_json(ok_schema),
	      *unit = wfm_test_json("{\"id\":\"file.c::function::main\"}");
	cJSON *args = wfm_test_json("{\"task\":\"migrate\",\"n\":[1,2]}"), *got, *e;
	char *file;

	setenv("ANTHROPIC_API_KEY", "sk-ant-wfm-test-secret", 1);
	setenv("OPENAI_API_KEY", "sk-openai-wfm-test-secret", 1);
	fixture_init(&f);
	f.req.phase = "migrate";
	f.req.role = "implementer";
	f.req.model = "m-1";
	f.req.unit = unit;
	f.req.args = args;
	/* what the command sees, as JSON; a GIT_DIR of ours must not send its git elsewhere */
	setenv("GIT_DIR", "/nonexistent/.git", 1);
	run(&f, &r,
	    "cat >/dev/null; "
	    "printf '{\"json\":%s,\"file\":%s,\"secrets\":%d,\"pwd\":\"%s\",\"git\":\"%s\"}' "
	    "\"$WFM_AGENT_JSON\" \"$(cat \"$WFM_AGENT_JSON_FILE\")\" "
	    "\"$(env | grep -c -e API_KEY -e '^GIT_DIR=')\" \"$(pwd -P)\" "
	    "\"$(git rev-parse --show-toplevel)\"");
	unsetenv("GIT_DIR");
	assert_true(r.ok);
	got = wfm_test_json(r.output->valuestring);
	e = cJSON_GetObjectItem(got, "json");
	assert_true(cJSON_Compare(e, cJSON_GetObjectItem(got, "file"), 1));
	assert_string_equal(cJSON_GetObjectItem(e, "run")->valuestring, "r1");
	assert_string_equal(cJSON_GetObjectItem(e, "role")->valuestring, "implementer");
	assert_string_equal(cJSON_GetObjectItem(e, "label")->valuestring, "fix-a");
	assert_string_equal(cJSON_GetObjectItem(e, "phase")->valuestring, "migrate");
	assert_string_equal(cJSON_GetObjectItem(e, "base")->valuestring, f.base);
	assert_string_equal(cJSON_GetObjectItem(e, "model")->valuestring, "m-1");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(e, "schema")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(e, "branch")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(e, "effort")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(e, "isolation")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(e, "writes")));
	assert_true(cJSON_Compare(cJSON_GetObjectItem(e, "unit"), unit, 1));
	assert_true(cJSON_Compare(cJSON_GetObjectItem(e, "args"), args, 1));
	/* no provider key, no GIT_DIR pointing elsewhere: git finds the slot */
	assert_int_equal(cJSON_GetObjectItem(got, "secrets")->valueint, 0);
	assert_string_equal(cJSON_GetObjectItem(got, "pwd")->valuestring,
			    cJSON_GetObjectItem(got, "git")->valuestring);
	assert_non_null(
		strstr(cJSON_GetObjectItem(got, "pwd")->valuestring, "/wfmigrate/pool/wfm-"));
	cJSON_Delete(got);
	wfm_agent_result_release(&r);

	/* with a schema and isolation, they are in the request too */
	f.req.schema = schema;
	f.req.worktree = 1;
	f.req.branch = "wfmigrate/r1/env";
	run(&f, &r,
	    "cat > /dev/null; printf '%s\\n' \"$WFM_AGENT_JSON\" > req.json; "
	    "echo '{\"ok\":true}'");
	assert_true(r.ok);
	file = wfm_test_sh_trim(f.repo, "git show wfmigrate/r1/env:req.json");
	got = wfm_test_json(file);
	assert_true(cJSON_Compare(cJSON_GetObjectItem(got, "schema"), schema, 1));
	assert_string_equal(cJSON_GetObjectItem(got, "branch")->valuestring, "wfmigrate/r1/env");
	assert_string_equal(cJSON_GetObjectItem(got, "isolation")->valuestring, "worktree");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(got, "writes")));
	cJSON_Delete(got);
	free(file);
	wfm_agent_result_release(&r);

	unsetenv("ANTHROPIC_API_KEY");
	unsetenv("OPENAI_API_KEY");
	cJSON_Delete(schema);
	cJSON_Delete(unit);
	cJSON_Delete(args);
	fixture_release(&f);
}

static void test_exec_agent__request_file_for_large_requests(void **state)
{
	struct fixture f;
	struct wfm_agent_result r;
	struct wfm_buf big = WFM_BUF_INIT;
	cJSON *unit;

	fixture_init(&f);
	/* a unit whose text is far beyond what one environment string may hold */
	wfm_buf_adds(&big, "{\"id\":\"big\",\"text\":\"");
	for (int i = 0; i < 300000; i++)
		wfm_buf_addch(&big, 'a' + i % 26);
	wfm_buf_adds(&big, "\"}");
	unit = wfm_test_json(big.ptr);
	f.req.unit = unit;
	run(&f, &r,
	    "cat >/dev/null; echo \"${WFM_AGENT_JSON:-unset}\"; wc -c < \"$WFM_AGENT_JSON_FILE\"");
	assert_true(r.ok);
	assert_true(!strncmp(r.output->valuestring, "unset\n", 6));
	assert_true(atoi(r.output->valuestring + 6) > 300000);
	wfm_agent_result_release(&r);
	cJSON_Delete(unit);
	wfm_buf_release(&big);
	fixture_release(&f);
}

static void test_exec_agent__transcript(void **state)
{
	struct fixture f;
	struct wfm_agent_result r;
	char *dir = wfm_test_tmpdir(), *text, *line, *nl;
	struct wfm_buf path = WFM_BUF_INIT;
	const char *types[] = { "request", "output", "result" };
	int n = 0;

	setenv("ANTHROPIC_API_KEY", "sk-ant-wfm-transcript-secret", 1);
	fixture_init(&f);
	wfm_buf_addf(&path, "%s/agents/1.jsonl", dir);
	f.env.transcript_path = path.ptr;
	f.req.prompt = "the key is sk-ant-wfm-transcript-secret, do not tell";
	run(&f, &r, "cat; echo oops >&2; exit 2");
	assert_failed(&r, "exit status 2");
	wfm_agent_result_release(&r);
	unsetenv("ANTHROPIC_API_KEY");

	text = wfm_test_sh_trim(dir, "cat agents/1.jsonl");
	assert_null(strstr(text, "sk-ant-wfm-transcript-secret"));
	assert_non_null(strstr(text, "the key is [redacted], do not tell"));
	for (line = text; *line; line = nl ? nl + 1 : line + strlen(line), n++) {
		cJSON *j;

		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		j = wfm_test_json(line);
		assert_true(n < 3);
		assert_string_equal(cJSON_GetObjectItem(j, "type")->valuestring, types[n]);
		if (n == 1) {
			assert_string_equal(cJSON_GetObjectItem(j, "stderr")->valuestring,
					    "oops\n");
			assert_int_equal(cJSON_GetObjectItem(j, "exit_code")->valueint, 2);
		}
		if (n == 2)
			assert_string_equal(
				cJSON_GetObjectItem(cJSON_GetObjectItem(j, "result"), "reason")
					->valuestring,
				"exit status 2");
		cJSON_Delete(j);
	}
	assert_int_equal(n, 3);
	free(text);
	wfm_buf_release(&path);
	wfm_test_rmtree(dir);
	free(dir);
	fixture_release(&f);
}

static void test_exec_agent__worktree_commits(void **state)
{
	struct fixture f;
	struct wfm_agent_result r;
	char *commit;
	cJSON *v;

	fixture_init(&f);
	f.req.worktree = 1;
	f.req.branch = "wfmigrate/r1/fix-a";
	run(&f, &r,
	    "cat > /dev/null; sed -i s/old/new/ file.c; echo 'int added;' > new.c; "
	    "echo 'junk' > ignored.o; echo done");
	assert_ok_text(&r, "done");
	assert_true(r.changed);
	assert_string_equal(r.branch, "wfmigrate/r1/fix-a");
	commit = wfm_test_sh_trim(f.repo, "git rev-parse refs/heads/wfmigrate/r1/fix-a");
	assert_string_equal(r.commit, commit);
	free(commit);
	/* one commit on top of base, with the agent's tree: ignored files stay out */
	assert_sh_equal(f.repo, f.base, "git rev-parse wfmigrate/r1/fix-a^");
	assert_sh_equal(f.repo, "int new;", "git show wfmigrate/r1/fix-a:file.c");
	assert_sh_equal(f.repo, "int added;", "git show wfmigrate/r1/fix-a:new.c");
	assert_sh_equal(f.repo, ".gitignore\nfile.c\nnew.c",
			"git ls-tree --name-only wfmigrate/r1/fix-a");
	assert_sh_equal(f.repo, "fix-a: do the thing",
			"git log -1 --format=%%s wfmigrate/r1/fix-a");
	assert_sh_equal(f.repo, "Wfmigrate-Run: r1\nWfmigrate-Role: implementer",
			"git log -1 --format=%%b wfmigrate/r1/fix-a");
	/* the user's branch did not move */
	assert_sh_equal(f.repo, f.base, "git rev-parse main");
	v = wfm_agent_result_value(&r, 1);
	assert_string_equal(cJSON_GetObjectItem(v, "output")->valuestring, "done");
	assert_string_equal(cJSON_GetObjectItem(v, "branch")->valuestring, "wfmigrate/r1/fix-a");
	assert_string_equal(cJSON_GetObjectItem(v, "commit")->valuestring, r.commit);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(v, "changed")));
	cJSON_Delete(v);
	wfm_agent_result_release(&r);
	if (wfm_test_sh_status(f.repo, "git fsck --strict --no-progress >/dev/null 2>&1"))
		fail_msg("git fsck failed");

	/* an agent that commits by itself: its commits are kept, and count as changes */
	f.req.branch = "wfmigrate/r1/self";
	run(&f, &r, "sed -i s/old/mine/ file.c && git commit -qam 'own commit' && echo ok");
	assert_ok_text(&r, "ok");
	assert_true(r.changed);
	assert_sh_equal(f.repo, "own commit\nbase", "git log --format=%%s wfmigrate/r1/self");
	wfm_agent_result_release(&r);

	/* without a branch, one named after the label */
	f.req.branch = NULL;
	f.req.label = "unit: src/x.c";
	run(&f, &r, "echo x > x.txt");
	assert_true(r.ok);
	assert_string_equal(r.branch, "wfmigrate/r1/unit-src-x.c");
	assert_sh_equal(f.repo, "x", "git show wfmigrate/r1/unit-src-x.c:x.txt");
	wfm_agent_result_release(&r);
	fixture_release(&f);
}

static void test_exec_agent__worktree_unchanged(void **state)
{
	struct fixture f;
	struct wfm_agent_result r;
	cJSON *v;

	fixture_init(&f);
	f.req.worktree = 1;
	f.req.branch = "wfmigrate/r1/nothing";
	run(&f, &r, "cat > /dev/null; echo 'nothing to do'; echo x > scratch.o");
	assert_ok_text(&r, "nothing to do");
	assert_false(r.changed);
	assert_string_equal(r.commit, f.base);
	assert_string_equal(r.branch, "wfmigrate/r1/nothing");
	assert_sh_equal(f.repo, f.base, "git rev-parse wfmigrate/r1/nothing");
	v = wfm_agent_result_value(&r, 1);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(v, "changed")));
	assert_string_equal(cJSON_GetObjectItem(v, "commit")->valuestring, f.base);
	cJSON_Delete(v);
	wfm_agent_result_release(&r);
	fixture_release(&f);
}

/* The next agent gets a clean checkout of base: nothing of the last one's is left. */
static void assert_next_acquire_clean(struct fixture *f)
{
	struct wfm_slot *slot = NULL;

	assert_wfm_ok(wfm_pool_acquire(&slot, f->pool, f->base));
	assert_sh_equal(wfm_slot_path(slot), "int old;", "cat file.c");
	assert_sh_equal(wfm_slot_path(slot), "", "git status --porcelain");
	assert_sh_equal(wfm_slot_path(slot), f->base, "git rev-parse HEAD");
	assert_wfm_ok(wfm_pool_release(f->pool, slot));
}

static void test_exec_agent__read_only_discarded(void **state)
{
	struct fixture f;
	struct wfm_agent_result r;
	cJSON *v;

	fixture_init(&f);
	/* no isolation: the changes are dropped, whatever the role */
	run(&f, &r, "cat > /dev/null; sed -i s/old/new/ file.c; echo new > new.c; cat file.c");
	assert_ok_text(&r, "int new;");
	assert_false(r.changed);
	assert_null(r.branch);
	assert_string_equal(r.commit, f.base);
	assert_sh_equal(f.repo, "", "git branch --list 'wfmigrate/*'");
	assert_next_acquire_clean(&f);
	wfm_agent_result_release(&r);

	/* isolation with a read-only role: a worktree, but nothing is committed */
	f.req.worktree = 1;
	f.req.role = "reviewer";
	f.req.branch = "wfmigrate/r1/review";
	run(&f, &r, "sed -i s/old/new/ file.c; echo looked");
	assert_ok_text(&r, "looked");
	assert_false(r.changed);
	assert_null(r.branch);
	assert_string_equal(r.commit, f.base);
	v = wfm_agent_result_value(&r, 1);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(v, "branch")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(v, "changed")));
	cJSON_Delete(v);
	assert_sh_equal(f.repo, "", "git branch --list 'wfmigrate/*'");
	assert_next_acquire_clean(&f);
	wfm_agent_result_release(&r);

	/* a writer that fails: its work is not committed */
	f.req.role = "fixer";
	run(&f, &r, "sed -i s/old/new/ file.c; exit 1");
	assert_failed(&r, "exit status 1");
	assert_null(r.branch);
	assert_sh_equal(f.repo, "", "git branch --list 'wfmigrate/*'");
	assert_next_acquire_clean(&f);
	wfm_agent_result_release(&r);
	fixture_release(&f);
}

static void test_exec_agent__bad_requests(void **state)
{
	struct fixture f;
	struct wfm_agent_result r;
	cJSON *bad_schema = wfm_test_json("{\"type\":\"object\",\"required\":[\"x\"],"
					  "\"additionalProperties\":false}");
	cJSON *string_schema = wfm_test_json("{\"type\":\"string\"}");

	fixture_init(&f);
	f.env.agent_cmd = "touch ran";

	f.req.role = "wizard";
	assert_int_equal(wfm_agent_exec_run(&r, &f.env, &f.req), WFM_EINVALID);
	assert_string_equal(wfm_error_last(), "unknown role 'wizard'");
	assert_false(r.ok);
	assert_null(r.reason);
	f.req.role = NULL;

	f.req.schema = bad_schema;
	assert_int_equal(wfm_agent_exec_run(&r, &f.env, &f.req), WFM_EINVALID);
	assert_non_null(strstr(wfm_error_last(), "required property 'x' is excluded"));
	f.req.schema = string_schema;
	assert_int_equal(wfm_agent_exec_run(&r, &f.env, &f.req), WFM_EINVALID);
	assert_non_null(strstr(wfm_error_last(), "no object"));
	f.req.schema = NULL;

	f.req.worktree = 1;
	f.req.branch = "main";
	assert_int_equal(wfm_agent_exec_run(&r, &f.env, &f.req), WFM_EINVALID);
	assert_non_null(strstr(wfm_error_last(), "invalid branch 'main'"));
	f.req.branch = "wfmigrate/r1/a..b";
	assert_int_equal(wfm_agent_exec_run(&r, &f.env, &f.req), WFM_EINVALID);
	f.req.branch = "wfmigrate/r1/ok";
	f.req.base = NULL;
	assert_int_equal(wfm_agent_exec_run(&r, &f.env, &f.req), WFM_EINVALID);
	assert_string_equal(wfm_error_last(), "a worktree agent needs a base commit");
	f.req.base = "no-such-revision";
	assert_int_equal(wfm_agent_exec_run(&r, &f.env, &f.req), WFM_ENOTFOUND);
	f.req.base = f.base;
	f.req.worktree = 0;

	f.req.prompt = NULL;
	assert_int_equal(wfm_agent_exec_run(&r, &f.env, &f.req), WFM_EINVALID);
	f.req.prompt = "p";
	f.env.agent_cmd = "";
	assert_int_equal(wfm_agent_exec_run(&r, &f.env, &f.req), WFM_EINVALID);

	/* nothing ran, nothing was made */
	assert_sh_equal(f.repo, "", "git branch --list 'wfmigrate/*'");
	assert_next_acquire_clean(&f);
	cJSON_Delete(bad_schema);
	cJSON_Delete(string_schema);
	fixture_release(&f);
}

static void assert_round_trip(const struct wfm_agent_result *r)
{
	struct wfm_agent_result back;
	cJSON *j = wfm_agent_result_to_json(r), *j2;
	struct wfm_buf text = WFM_BUF_INIT;
	cJSON *parsed;

	/* through text, as the journal keeps it */
	wfm_json_print(&text, j);
	parsed = wfm_test_json(text.ptr);
	assert_wfm_ok(wfm_agent_result_from_json(&back, parsed));
	assert_int_equal(back.ok, r->ok);
	if (r->stderr_tail)
		assert_string_equal(back.stderr_tail, r->stderr_tail);
	else
		assert_null(back.stderr_tail);
	if (r->reason)
		assert_string_equal(back.reason, r->reason);
	else
		assert_null(back.reason);
	assert_true(r->output ? cJSON_Compare(back.output, r->output, 1) : !back.output);
	assert_int_equal(back.changed, r->changed);
	assert_string_equal(back.commit, r->commit);
	if (r->branch)
		assert_string_equal(back.branch, r->branch);
	else
		assert_null(back.branch);
	assert_int_equal(back.duration_ms, r->duration_ms);
	assert_int_equal(back.tokens_in, r->tokens_in);
	assert_int_equal(back.tokens_out, r->tokens_out);
	j2 = wfm_agent_result_to_json(&back);
	assert_true(cJSON_Compare(j, j2, 1));
	cJSON_Delete(j);
	cJSON_Delete(j2);
	cJSON_Delete(parsed);
	wfm_buf_release(&text);
	wfm_agent_result_release(&back);
}

static void test_exec_agent__result_json(void **state)
{
	struct fixture f;
	struct wfm_agent_result r;
	cJSON *schema = wfm_test_json(ok_schema), *j;
	const char *bad[] = {
		"[]",
		"{}",
		"{\"ok\":1}",
		"{\"ok\":false}",
		"{\"ok\":true,\"output\":null}",
		"{\"ok\":true,\"output\":\"x\",\"commit\":\"xyz\"}",
		"{\"ok\":true,\"output\":\"x\",\"branch\":3}",
		"{\"ok\":true,\"output\":\"x\",\"changed\":\"yes\"}",
		"{\"ok\":true,\"output\":\"x\",\"duration_ms\":-1}",
		"{\"ok\":true,\"output\":\"x\",\"tokens_in\":1.5}",
		"{\"ok\":true,\"output\":\"x\",\"out_of_scope\":\"a.c\"}",
		"{\"ok\":true,\"output\":\"x\",\"out_of_scope\":[1]}",
		"{\"ok\":false,\"reason\":\"x\",\"stderr_tail\":3}",
	};

	fixture_init(&f);
	/* text, object, worktree, failure: each as run for real */
	run(&f, &r, "echo text");
	assert_round_trip(&r);
	wfm_agent_result_release(&r);
	f.req.schema = schema;
	run(&f, &r, "echo '{\"ok\":true}'");
	assert_round_trip(&r);
	wfm_agent_result_release(&r);
	f.req.worktree = 1;
	f.req.branch = "wfmigrate/r1/json";
	run(&f, &r, "echo changed > file.c; echo '{\"ok\":false}'");
	assert_true(r.changed);
	assert_round_trip(&r);
	wfm_agent_result_release(&r);
	run(&f, &r, "echo why >&2; exit 4");
	assert_string_equal(r.stderr_tail, "why");
	assert_round_trip(&r);
	wfm_agent_result_release(&r);

	/* made up, with every field */
	memset(&r, 0, sizeof(r));
	r.ok = 1;
	r.output = wfm_test_json("{\"nested\":[1,\"two\",null,{\"x\":true}]}");
	r.changed = 1;
	memset(r.commit, 'a', WFM_OID_HEXSZ);
	r.branch = wfm_strdup("wfmigrate/r/x");
	r.duration_ms = 123456;
	r.tokens_in = 123456789012345ULL;
	r.tokens_out = 7;
	assert_round_trip(&r);
	wfm_agent_result_release(&r);

	for (size_t i = 0; i < WFM_ARRAY_SIZE(bad); i++) {
		j = wfm_test_json(bad[i]);
		if (wfm_agent_result_from_json(&r, j) != WFM_EINVALID)
			fail_msg("%s should be refused", bad[i]);
		assert_null(r.reason);
		assert_null(r.output);
		cJSON_Delete(j);
	}
	cJSON_Delete(schema);
	fixture_release(&f);
}

static char *joined_out_of_scope(const struct wfm_agent_result *r)
{
	struct wfm_buf b = WFM_BUF_INIT;

	for (size_t i = 0; i < r->out_of_scope.nr; i++)
		wfm_buf_addf(&b, "%s%s", i ? " " : "", r->out_of_scope.v[i]);
	return wfm_buf_detach(&b, NULL);
}

static void test_exec_agent__scope(void **state)
{
	struct fixture f;
	struct wfm_agent_result r;
	cJSON *scope = wfm_test_json("[\"file.c\", \"include/*.h\"]"), *v, *request;
	struct wfm_buf cmd = WFM_BUF_INIT;
	char *s;

	fixture_init(&f);
	f.req.worktree = 1;
	f.req.scope = scope;

	/* outside its scope: the branch keeps the work, the result names the paths */
	f.req.branch = "wfmigrate/r1/stray";
	wfm_buf_addf(
		&cmd,
		"cat \"$WFM_AGENT_JSON_FILE\" > '%s/.git/request.json'; sed -i s/old/new/ file.c; "
		"mkdir -p include lib; echo h > include/a.h; echo x > lib/x.c; "
		"echo y > include/b.c; echo done",
		f.repo);
	run(&f, &r, cmd.ptr);
	assert_ok_text(&r, "done");
	assert_true(r.changed);
	assert_true(r.scoped);
	s = joined_out_of_scope(&r);
	assert_string_equal(s, "include/b.c lib/x.c");
	free(s);
	assert_sh_equal(f.repo, "x", "git show wfmigrate/r1/stray:lib/x.c");
	assert_sh_equal(f.repo,
			"Wfmigrate-Run: r1\nWfmigrate-Role: implementer\n"
			"Wfmigrate-Scope: file.c\nWfmigrate-Scope: include/*.h",
			"git log -1 --format=%%b wfmigrate/r1/stray");
	assert_sh_equal(f.repo, "2",
			"git log -1 --format=%%B wfmigrate/r1/stray | "
			"git interpret-trailers --parse | grep -c Scope");
	v = wfm_agent_result_value(&r, 1);
	s = cJSON_PrintUnformatted(cJSON_GetObjectItem(v, "outOfScope"));
	assert_string_equal(s, "[\"include/b.c\",\"lib/x.c\"]");
	free(s);
	cJSON_Delete(v);
	assert_round_trip(&r);
	wfm_agent_result_release(&r);
	/* the command saw its scope */
	s = wfm_test_sh_trim(f.repo, "cat .git/request.json");
	request = wfm_test_json(s);
	assert_true(cJSON_Compare(cJSON_GetObjectItem(request, "scope"), scope, 1));
	cJSON_Delete(request);
	free(s);
	wfm_buf_release(&cmd);

	/* inside it: an empty list; unchanged: an empty list and no commit */
	f.req.branch = "wfmigrate/r1/fine";
	run(&f, &r, "sed -i s/old/fine/ file.c; mkdir -p include; echo h > include/c.h");
	assert_true(r.scoped);
	assert_int_equal(r.out_of_scope.nr, 0);
	v = wfm_agent_result_value(&r, 1);
	s = cJSON_PrintUnformatted(cJSON_GetObjectItem(v, "outOfScope"));
	assert_string_equal(s, "[]");
	free(s);
	cJSON_Delete(v);
	wfm_agent_result_release(&r);
	f.req.branch = "wfmigrate/r1/idle";
	run(&f, &r, "echo x > build.o");
	assert_false(r.changed);
	assert_true(r.scoped);
	assert_string_equal(r.commit, f.base);
	wfm_agent_result_release(&r);

	/* an agent that commits by itself, even with a scope trailer of its own: a
	 * commit of ours goes on top, so the scope it was given is on record */
	f.req.branch = "wfmigrate/r1/self";
	run(&f, &r,
	    "echo y > lib.c && git add lib.c && "
	    "git commit -qm 'mine' -m 'Wfmigrate-Scope: **' && echo ok");
	assert_true(r.changed);
	s = joined_out_of_scope(&r);
	assert_string_equal(s, "lib.c");
	free(s);
	assert_sh_equal(f.repo, "fix-a: do the thing\nmine\nbase",
			"git log --format=%%s wfmigrate/r1/self");
	assert_sh_equal(f.repo, "", "git diff --stat wfmigrate/r1/self^ wfmigrate/r1/self");
	assert_sh_equal(f.repo, "Wfmigrate-Scope: file.c\nWfmigrate-Scope: include/*.h",
			"git log -1 --format=%%b wfmigrate/r1/self | grep Scope");
	wfm_agent_result_release(&r);
	/* without a scope, no commit is added on top of the agent's own */
	f.req.scope = NULL;
	f.req.branch = "wfmigrate/r1/self2";
	run(&f, &r, "echo y > lib.c && git add lib.c && git commit -qm 'mine' && echo ok");
	assert_false(r.scoped);
	assert_sh_equal(f.repo, "mine\nbase", "git log --format=%%s wfmigrate/r1/self2");
	v = wfm_agent_result_value(&r, 1);
	assert_null(cJSON_GetObjectItem(v, "outOfScope"));
	cJSON_Delete(v);
	wfm_agent_result_release(&r);

	cJSON_Delete(scope);
	fixture_release(&f);
}

static void test_exec_agent__bad_scope(void **state)
{
	static const struct {
		const char *scope, *why;
	} bad[] = {
		{ "\"file.c\"", "'scope' must be a non-empty array of globs" },
		{ "[]", "'scope' must be a non-empty array of globs" },
		{ "[1]", "scope[0] must be a non-empty string" },
		{ "[\"a.c\", \"\"]", "scope[1] must be a non-empty string" },
		{ "[\"a.c\\nWfmigrate-Scope: **\"]", "holds a line break" },
		{ "[\"src/\"]", "ends with '/'" },
		{ "[\"../x.c\"]", "'..' component" },
	};
	struct fixture f;
	struct wfm_agent_result r;
	cJSON *ok = wfm_test_json("[\"file.c\"]");

	fixture_init(&f);
	f.env.agent_cmd = "touch ran";
	f.req.worktree = 1;
	f.req.branch = "wfmigrate/r1/bad";
	for (size_t i = 0; i < WFM_ARRAY_SIZE(bad); i++) {
		cJSON *scope = wfm_test_json(bad[i].scope);

		f.req.scope = scope;
		assert_int_equal(wfm_agent_exec_run(&r, &f.env, &f.req), WFM_EINVALID);
		if (!strstr(wfm_error_last(), bad[i].why))
			fail_msg("%s: '%s' not in: %s", bad[i].scope, bad[i].why, wfm_error_last());
		cJSON_Delete(scope);
	}
	/* a scope guards committed work only: not a read-only role, not without a worktree */
	f.req.scope = ok;
	f.req.role = "verifier";
	assert_int_equal(wfm_agent_exec_run(&r, &f.env, &f.req), WFM_EINVALID);
	assert_string_equal(wfm_error_last(), "'scope' is for agents whose work is committed: "
					      "isolation 'worktree' and a role that writes");
	f.req.role = NULL;
	f.req.worktree = 0;
	assert_int_equal(wfm_agent_exec_run(&r, &f.env, &f.req), WFM_EINVALID);
	/* nothing ran, nothing was made */
	assert_sh_equal(f.repo, "", "git branch --list 'wfmigrate/*'");
	assert_next_acquire_clean(&f);
	cJSON_Delete(ok);
	fixture_release(&f);
}

static void test_exec_agent__roles(void **state)
{
	size_t nr;
	const struct wfm_role *list = wfm_role_list(&nr);
	const char *writers[] = { "implementer", "fixer" };
	const char *readers[] = { "verifier", "reviewer",   "triager",
				  "planner",  "classifier", "judge" };

	assert_int_equal(nr, 8);
	for (size_t i = 0; i < WFM_ARRAY_SIZE(writers); i++) {
		const struct wfm_role *r = wfm_role_find(writers[i]);
		assert_non_null(r);
		assert_true(r->may_write && r->worktree && r->bash);
	}
	for (size_t i = 0; i < WFM_ARRAY_SIZE(readers); i++) {
		const struct wfm_role *r = wfm_role_find(readers[i]);
		assert_non_null(r);
		assert_false(r->may_write);
		assert_false(r->bash);
	}
	assert_true(wfm_role_find("verifier")->oracle);
	assert_false(wfm_role_find("reviewer")->oracle);
	assert_false(wfm_role_find("judge")->worktree);
	assert_false(wfm_role_find("classifier")->worktree);
	assert_string_equal(wfm_role_tier_name(wfm_role_find("classifier")->tier), "fast");
	assert_null(wfm_role_find("Implementer"));
	assert_null(wfm_role_find(NULL));
	assert_string_equal(wfm_role_default()->name, "implementer");
	assert_ptr_equal(&list[0], wfm_role_default());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_agent__text_output),
		cmocka_unit_test(test_exec_agent__large_prompt),
		cmocka_unit_test(test_exec_agent__schema_output),
		cmocka_unit_test(test_exec_agent__last_json_line_wins),
		cmocka_unit_test(test_exec_agent__schema_mismatch),
		cmocka_unit_test(test_exec_agent__no_json),
		cmocka_unit_test(test_exec_agent__exit_status),
		cmocka_unit_test(test_exec_agent__stderr_tail),
		cmocka_unit_test(test_exec_agent__resolve_cmd),
		cmocka_unit_test(test_exec_agent__timeout),
		cmocka_unit_test(test_exec_agent__cancel),
		cmocka_unit_test(test_exec_agent__output_cap),
		cmocka_unit_test(test_exec_agent__environment),
		cmocka_unit_test(test_exec_agent__request_file_for_large_requests),
		cmocka_unit_test(test_exec_agent__transcript),
		cmocka_unit_test(test_exec_agent__worktree_commits),
		cmocka_unit_test(test_exec_agent__worktree_unchanged),
		cmocka_unit_test(test_exec_agent__read_only_discarded),
		cmocka_unit_test(test_exec_agent__bad_requests),
		cmocka_unit_test(test_exec_agent__result_json),
		cmocka_unit_test(test_exec_agent__scope),
		cmocka_unit_test(test_exec_agent__bad_scope),
		cmocka_unit_test(test_exec_agent__roles),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
