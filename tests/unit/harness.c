#include "support/test.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/json.h"
#include "engine/engine.h"
#include "engine/harness.h"

#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>

/*
 * These drive the real runtime (runtime/harness.mjs, found through
 * $WFMIGRATE_DATADIR) with the real node; a few use a fake "node" (a
 * shell script) to see the flags, the environment, or output no runtime
 * would write.
 */

#define META "export const meta = { name: 'test', description: 'a test' }\n"
#define WAIT_MS 30000

static char *tmp;

static int setup(void **state)
{
	tmp = wfm_test_tmpdir();
	return 0;
}

static int teardown(void **state)
{
	wfm_test_rmtree(tmp);
	free(tmp);
	tmp = NULL;
	return 0;
}

/* Writes a script into the test's directory; returns its path (free()). */
static char *script(const char *name, const char *source)
{
	struct wfm_buf path = WFM_BUF_INIT;

	wfm_test_write(tmp, name, source);
	wfm_buf_addf(&path, "%s/%s", tmp, name);
	return wfm_buf_detach(&path, NULL);
}

/* A fake node: a shell script answering --version, then running body. */
static char *fake_node(const char *name, const char *version, const char *body)
{
	struct wfm_buf src = WFM_BUF_INIT;
	char *path;

	wfm_buf_addf(&src, "#!/bin/sh\nif [ \"$1\" = --version ]; then echo %s; exit 0; fi\n%s\n",
		     version, body);
	path = script(name, src.ptr);
	chmod(path, 0755);
	wfm_buf_release(&src);
	return path;
}

static char *canonical(const cJSON *v)
{
	struct wfm_buf b = WFM_BUF_INIT;

	wfm_json_canonical(&b, v);
	return wfm_buf_detach(&b, NULL);
}

static void assert_json(const cJSON *v, const char *expected_json)
{
	cJSON *want = NULL;
	char *a, *b;

	assert_wfm_ok(wfm_json_parse(&want, expected_json, strlen(expected_json)));
	a = canonical(v);
	b = canonical(want);
	if (strcmp(a, b))
		fail_msg("got %s\nwant %s", a, b);
	free(a);
	free(b);
	cJSON_Delete(want);
}

/* The next message (fails the test after WAIT_MS, at end of file, or on a bad line). */
static cJSON *next_msg(struct wfm_harness *h)
{
	uint64_t deadline = wfm_clock_mono_ms() + WAIT_MS;
	cJSON *msg = NULL;

	for (;;) {
		struct pollfd pfd = { wfm_harness_fd(h), POLLIN, 0 };
		int rc = wfm_harness_read(&msg, h);

		if (rc == 1)
			return msg;
		if (rc < 0)
			fail_msg("reading from the harness: %s", wfm_error_last());
		if (wfm_clock_mono_ms() >= deadline)
			fail_msg("no message from the harness in %d ms", WAIT_MS);
		poll(&pfd, 1, 100);
	}
}

static const char *str_of(const cJSON *msg, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(msg, key);

	if (!cJSON_IsString(v))
		fail_msg("no string '%s' in the message", key);
	return v->valuestring;
}

static const char *type_of(const cJSON *msg)
{
	return str_of(msg, "type");
}

static void send_text(struct wfm_harness *h, const char *json)
{
	cJSON *msg = NULL;

	assert_wfm_ok(wfm_json_parse(&msg, json, strlen(json)));
	assert_wfm_ok(wfm_harness_send(h, msg));
	cJSON_Delete(msg);
}

/* start as the engine sends it, with its default limits */
static void send_start(struct wfm_harness *h, const char *args_json)
{
	struct wfm_buf b = WFM_BUF_INIT;

	wfm_buf_addf(&b,
		     "{\"type\":\"start\",\"budget\":{\"total\":null,\"spent\":0},"
		     "\"limits\":{\"itemsPerCall\":%d,\"agentsPerRun\":%d}%s%s}",
		     WFM_ENGINE_ITEMS_PER_CALL, WFM_ENGINE_MAX_AGENTS_DEFAULT,
		     args_json ? ",\"args\":" : "", args_json ? args_json : "");
	send_text(h, b.ptr);
	wfm_buf_release(&b);
}

static void reply(struct wfm_harness *h, int id, int ok, const char *json)
{
	struct wfm_buf b = WFM_BUF_INIT;

	wfm_buf_addf(&b, "{\"type\":\"result\",\"id\":%d,\"ok\":%s,\"%s\":%s}", id,
		     ok ? "true" : "false", ok ? "value" : "error", json);
	send_text(h, b.ptr);
	wfm_buf_release(&b);
}

static struct wfm_harness *start(const char *path)
{
	struct wfm_harness_opts o = WFM_HARNESS_OPTS_INIT;
	struct wfm_harness *h = NULL;
	cJSON *meta;

	o.script = path;
	assert_wfm_ok(wfm_harness_start(&h, &o));
	meta = next_msg(h);
	assert_string_equal(type_of(meta), "meta");
	cJSON_Delete(meta);
	return h;
}

/*
 * Plays the engine until done or error: answers agent requests with
 * "R:<prompt>", or with ok:false when the prompt starts with "fail".
 * Returns the final message.
 */
static cJSON *play(struct wfm_harness *h)
{
	for (;;) {
		cJSON *msg = next_msg(h);
		const char *type = type_of(msg);

		if (!strcmp(type, "done") || !strcmp(type, "error"))
			return msg;
		if (!strcmp(type, "request")) {
			int id = cJSON_GetObjectItemCaseSensitive(msg, "id")->valueint;
			const cJSON *params = cJSON_GetObjectItemCaseSensitive(msg, "params");
			const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(params, "prompt");
			cJSON *r = wfm_json_object();
			struct wfm_buf v = WFM_BUF_INIT;

			wfm_json_add_str(r, "type", "result");
			wfm_json_add_num(r, "id", id);
			if (cJSON_IsString(prompt) && !strncmp(prompt->valuestring, "fail", 4)) {
				wfm_json_add_bool(r, "ok", 0);
				wfm_json_add_str(r, "error", "the agent failed");
			} else if (cJSON_IsString(prompt)) {
				wfm_buf_addf(&v, "R:%s", prompt->valuestring);
				wfm_json_add_bool(r, "ok", 1);
				wfm_json_add_str(r, "value", v.ptr);
			} else {
				wfm_json_add_bool(r, "ok", 1);
				wfm_json_add_null(r, "value");
			}
			assert_wfm_ok(wfm_harness_send(h, r));
			cJSON_Delete(r);
			wfm_buf_release(&v);
		}
		cJSON_Delete(msg);
	}
}

/* Runs a script to its end with play(); returns the final message. */
static cJSON *run_script(const char *source, const char *args_json)
{
	char *path = script("wf.js", source);
	struct wfm_harness *h = start(path);
	cJSON *last;
	int code;

	send_start(h, args_json);
	last = play(h);
	assert_wfm_ok(wfm_harness_finish(h, &code, NULL, WAIT_MS));
	assert_int_equal(code, !strcmp(type_of(last), "done") ? 0 : 1);
	wfm_harness_free(h);
	free(path);
	return last;
}

static void assert_done(cJSON *last, const char *value_json)
{
	if (strcmp(type_of(last), "done")) {
		char *s = canonical(last);
		fail_msg("expected done, got %s", s);
	}
	assert_json(cJSON_GetObjectItemCaseSensitive(last, "value"), value_json);
	cJSON_Delete(last);
}

static void check_fails(const char *source, const char *expected_suffix)
{
	char *path = script("check.js", source);
	struct wfm_buf want = WFM_BUF_INIT;
	cJSON *meta = (cJSON *)1;

	assert_int_equal(wfm_harness_check(&meta, path, NULL), WFM_EINVALID);
	assert_null(meta);
	wfm_buf_addf(&want, "%s:%s", path, expected_suffix);
	assert_string_equal(wfm_error_last(), want.ptr);
	wfm_buf_release(&want);
	free(path);
}

/* ---- checking ---- */

static void test_harness__check_ok(void **state)
{
	char *path = script("ok.js", "// a comment first\n"
				     "export const meta = {\n"
				     "  name: 'ok', description: \"fine\", whenToUse: `always`,\n"
				     "  phases: [{ title: 'One', detail: 'the first' },\n"
				     "           { title: 'Two', model: 'm' },],\n"
				     "};\n"
				     "const x = await agent('hi')\nreturn x\n");
	cJSON *meta = NULL;

	assert_wfm_ok(wfm_harness_check(&meta, path, NULL));
	assert_json(meta, "{\"name\":\"ok\",\"description\":\"fine\",\"whenToUse\":\"always\","
			  "\"phases\":[{\"title\":\"One\",\"detail\":\"the first\"},"
			  "{\"title\":\"Two\",\"model\":\"m\"}]}");
	cJSON_Delete(meta);
	free(path);
}

static void test_harness__check_meta_not_first(void **state)
{
	check_fails("const x = 1\nexport const meta = { name: 'n', description: 'd' }\n",
		    "1:1: the script must begin with `export const meta = {...}` (found `const`)");
	check_fails("\n\n  log('x')\n",
		    "3:3: the script must begin with `export const meta = {...}` (found `log`)");
}

static void test_harness__check_meta_not_literal(void **state)
{
	check_fails("export const meta = {\n  name: makeName(),\n  description: 'd' }\n",
		    "2:9: meta must be a pure literal: calls are not allowed (`makeName(...)`)");
	check_fails("export const meta = { name: NAME, description: 'd' }\n",
		    "1:29: meta must be a pure literal: `NAME` is an identifier "
		    "(variables are not allowed)");
	check_fails("export const meta = { ...base, name: 'n', description: 'd' }\n",
		    "1:23: meta must be a pure literal: spread (`...`) is not allowed");
	check_fails("export const meta = { name: `n-${v}`, description: 'd' }\n",
		    "1:32: meta must be a pure literal: "
		    "template interpolation (`${...}`) is not allowed");
}

static void test_harness__check_missing_name(void **state)
{
	check_fails("export const meta = {\n  description: 'd',\n}\n",
		    "1:21: meta.name is missing");
	check_fails("export const meta = { name: '', description: 'd' }\n",
		    "1:23: meta.name must be a non-empty string");
}

static void test_harness__check_syntax_error_line(void **state)
{
	check_fails(META "\nconst a = 1\n\nfor (const x of [1, 2]) {\n  log(x)\n  let y = (;\n}\n",
		    "7:12: SyntaxError: Unexpected token ';'");
	check_fails(META "if (true) {\n", "2:12: SyntaxError: Unexpected end of input");
	check_fails(META "log(1)\n}\n", "3:1: SyntaxError: Unexpected token '}'");
	check_fails(META "log(1)\n}\nlog(2)\n", "4:1: SyntaxError: Unexpected identifier 'log'");
	check_fails(META "const t: number = 1\n",
		    "2:7: SyntaxError: Missing initializer in const declaration");
	/* import() is refused by the check, not only when reached; the text "import(" is not */
	check_fails(META "log('import(')\nconst cp = await import('node:child_process')\n",
		    "3:18: SyntaxError: import() is not available in a workflow: there are no "
		    "modules, only the workflow globals");
}

/* globals a workflow does not have, used as code: refused with their place, no prefix */
static void test_harness__check_forbidden_global(void **state)
{
	check_fails(META "log('process.env')\nconst home = process.env.HOME\n",
		    "3:14: process is not available in a workflow: there is no process: read the "
		    "run's input from args");
	check_fails(META "\nconst t = Date.now()\n",
		    "3:11: Date.now() is not allowed in a workflow: it breaks resume; pass "
		    "timestamps in through args");
}

static void test_harness__check_not_found(void **state)
{
	struct wfm_buf missing = WFM_BUF_INIT;
	char *path = script("wf.js", META);
	cJSON *meta = NULL;

	wfm_buf_addf(&missing, "%s/missing.js", tmp);
	assert_int_equal(wfm_harness_check(&meta, missing.ptr, NULL), WFM_ENOTFOUND);
	assert_non_null(strstr(wfm_error_last(), "missing.js"));
	assert_int_equal(wfm_harness_check(&meta, path, "/nonexistent/node"), WFM_ENOTFOUND);
	assert_non_null(strstr(wfm_error_last(), "needs Node.js 18 or later"));
	wfm_buf_release(&missing);
	free(path);
}

/* ---- the sandbox ---- */

static void test_harness__determinism(void **state)
{
	cJSON *last = run_script(
		/* through other names: the check refuses Date.now() and the others as such */
		META "const D = Date, M = Math\n"
		     "const tries = { now: () => D.now(), random: () => M.random(),\n"
		     "  date: () => new D(), call: () => Date() }\n"
		     "const out = {}\n"
		     "for (const k of Object.keys(tries))\n"
		     "  try { tries[k](); out[k] = 'ran' } catch (e) { out[k] = e.message }\n"
		     "out.fromMs = new Date(86400000).toISOString()\n"
		     "out.utc = Date.UTC(2000, 0, 1)\n"
		     "out.local = new Date(2000, 0, 1).getTime()\n"
		     "return out\n",
		NULL);

	assert_done(last, "{\"now\":\"Date.now() is not allowed in a workflow: it breaks resume; "
			  "pass timestamps in through args\","
			  "\"random\":\"Math.random() is not allowed in a workflow: it breaks "
			  "resume; derive variety from the item or its index instead\","
			  "\"date\":\"new Date() without arguments is not allowed in a workflow: "
			  "it breaks resume; pass timestamps in through args "
			  "(new Date(ms) works)\","
			  "\"call\":\"Date() is not allowed in a workflow: it breaks resume; "
			  "pass timestamps in through args\","
			  "\"fromMs\":\"1970-01-02T00:00:00.000Z\",\"utc\":946684800000,"
			  "\"local\":946684800000}");

	/* uncaught, it ends the run as a determinism error at the user's line */
	last = run_script(META "\n\nconst seed = Math['random']()\n", NULL);
	assert_string_equal(type_of(last), "error");
	assert_string_equal(str_of(last, "kind"), "determinism");
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(last, "line")->valueint, 4);
	cJSON_Delete(last);
}

static void test_harness__no_host_access(void **state)
{
	cJSON *last = run_script(
		META
		"const out = {}\n"
		"out.globals = ['require', 'process', 'Buffer', 'setTimeout', 'fetch', 'module']\n"
		"  .map((n) => typeof globalThis[n]).join()\n"
		"const code = 'return process'\n"
		"for (const [k, f] of [['this', () => this.constructor.constructor(code)()],\n"
		"    ['global', () => globalThis.constructor.constructor(code)()],\n"
		"    ['agent', () => agent.constructor.constructor(code)()],\n"
		"    ['eval', () => eval('process')]])\n"
		"  try { f(); out[k] = 'escaped' }\n"
		"  catch (e) { out[k] = (e instanceof Object ? '' : 'HOST ') + e.name }\n"
		"return out\n",
		NULL);

	assert_done(last, "{\"globals\":"
			  "\"undefined,undefined,undefined,undefined,undefined,undefined\","
			  "\"this\":\"TypeError\",\"global\":\"EvalError\",\"agent\":\"EvalError\","
			  "\"eval\":\"EvalError\"}");
}

/* ---- running ---- */

static void test_harness__exchange(void **state)
{
	cJSON *last = run_script(
		META
		"phase('Fan out')\n"
		"const p = await pipeline(args.items,\n"
		"  (x) => agent('one ' + x, { label: x }),\n"
		"  (prev, item, i) => {\n"
		"    if (item === 'b') throw new Error('no b')\n"
		"    return agent('two ' + i)\n"
		"  },\n"
		"  (prev) => prev + '!')\n"
		"const q = await parallel([() => agent('p'), () => agent('fail here'), () => 7])\n"
		"let failed\n"
		"try { await agent('fail alone') } catch (e) { failed = e.message }\n"
		"return { p, q, failed, args }\n",
		"{\"items\":[\"a\",\"b\",\"c\"]}");

	assert_done(last, "{\"p\":[\"R:two 0!\",null,\"R:two 2!\"],\"q\":[\"R:p\",null,7],"
			  "\"failed\":\"the agent failed\","
			  "\"args\":{\"items\":[\"a\",\"b\",\"c\"]}}");
}

static void test_harness__request_messages(void **state)
{
	char *path = script("wf.js", META "phase('P')\n"
					  "await agent('do it', { label: 'L',\n"
					  "  isolation: 'worktree' })\n"
					  "await oracle({ branch: 'b' })\n"
					  "log('end')\n");
	struct wfm_harness *h = start(path);
	cJSON *msg;

	send_start(h, NULL);
	msg = next_msg(h);
	assert_json(msg, "{\"type\":\"phase\",\"title\":\"P\"}");
	cJSON_Delete(msg);
	msg = next_msg(h);
	assert_json(msg, "{\"type\":\"request\",\"id\":1,\"method\":\"agent\",\"phase\":\"P\","
			 "\"params\":{\"prompt\":\"do it\",\"label\":\"L\","
			 "\"isolation\":\"worktree\"}}");
	cJSON_Delete(msg);
	reply(h, 1, 1, "{\"output\":\"o\",\"branch\":\"b\",\"commit\":\"c\",\"changed\":true}");
	msg = next_msg(h);
	assert_json(msg, "{\"type\":\"request\",\"id\":2,\"method\":\"oracle\",\"phase\":\"P\","
			 "\"params\":{\"branch\":\"b\"}}");
	cJSON_Delete(msg);
	reply(h, 2, 1, "{\"pass\":true}");
	msg = next_msg(h);
	assert_json(msg, "{\"type\":\"log\",\"message\":\"end\"}");
	cJSON_Delete(msg);
	msg = next_msg(h);
	assert_json(msg, "{\"type\":\"done\",\"value\":null}");
	cJSON_Delete(msg);
	wfm_harness_free(h);
	free(path);
}

static void test_harness__item_limit(void **state)
{
	cJSON *last = run_script(
		META
		"const ok = await parallel(Array.from({ length: 4096 }, (_, i) => () => i))\n"
		"let e1, e2\n"
		"const many = Array.from({ length: 4097 }, (_, i) => i)\n"
		"try { await pipeline(many, (x) => agent('x')) }\n"
		"catch (e) { e1 = e.message }\n"
		"try { await parallel(Array.from({ length: 4097 }, () => () => agent('x'))) }\n"
		"catch (e) { e2 = e.message }\n"
		"return [ok.length, e1, e2]\n",
		NULL);

	assert_done(last, "[4096,"
			  "\"pipeline(): 4097 items, more than the limit of 4096 per call: "
			  "split the list (nothing was started)\","
			  "\"parallel(): 4097 items, more than the limit of 4096 per call: "
			  "split the list (nothing was started)\"]");
	/* uncaught, the error ends the run */
	last = run_script(META "await parallel(new Array(5000).fill(() => 1))\n", NULL);
	assert_string_equal(type_of(last), "error");
	assert_string_equal(str_of(last, "message"),
			    "RangeError: parallel(): 5000 items, more than the limit of 4096 "
			    "per call: split the list (nothing was started)");
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(last, "line")->valueint, 2);
	cJSON_Delete(last);
}

static void test_harness__workflow_one_level(void **state)
{
	char *child = script("child.js", "export const meta = { name: 'child', description: 'c' }\n"
					 "phase('Inner')\n"
					 "const r = await agent('from child ' + args.n)\n"
					 "let deeper\n"
					 "try { await workflow('grandchild') }\n"
					 "catch (e) { deeper = e.message }\n"
					 "return { r, deeper }\n");
	char *path = script("wf.js", META "return await workflow('child', { n: 1 })\n");
	struct wfm_harness *h = start(path);
	struct wfm_buf src = WFM_BUF_INIT;
	cJSON *msg, *value;
	char *text;

	send_start(h, NULL);
	msg = next_msg(h);
	assert_json(msg, "{\"type\":\"request\",\"id\":1,\"method\":\"workflow_source\","
			 "\"params\":{\"name\":\"child\"}}");
	cJSON_Delete(msg);
	/* the engine reads the file and sends it */
	text = wfm_test_sh(tmp, "cat child.js");
	value = wfm_json_object();
	wfm_json_add_str(value, "source", text);
	wfm_json_add_str(value, "path", child);
	msg = wfm_json_object();
	wfm_json_add_str(msg, "type", "result");
	wfm_json_add_num(msg, "id", 1);
	wfm_json_add_bool(msg, "ok", 1);
	wfm_json_add(msg, "value", value);
	assert_wfm_ok(wfm_harness_send(h, msg));
	cJSON_Delete(msg);

	msg = next_msg(h);
	assert_json(msg, "{\"type\":\"phase\",\"title\":\"Inner\",\"workflow\":\"child\"}");
	cJSON_Delete(msg);
	msg = next_msg(h);
	assert_json(msg, "{\"type\":\"request\",\"id\":2,\"method\":\"agent\",\"phase\":\"Inner\","
			 "\"workflow\":\"child\",\"params\":{\"prompt\":\"from child 1\"}}");
	cJSON_Delete(msg);
	reply(h, 2, 1, "\"child result\"");
	msg = next_msg(h);
	assert_json(msg, "{\"type\":\"done\",\"value\":{\"r\":\"child result\",\"deeper\":"
			 "\"workflow(): a nested workflow cannot start another one "
			 "(one level only)\"}}");
	cJSON_Delete(msg);
	wfm_harness_free(h);
	wfm_buf_release(&src);
	free(text);
	free(child);
	free(path);
}

static void test_harness__budget(void **state)
{
	char *path = script("wf.js", META
			    "const before = [budget.total, budget.spent(), budget.remaining()]\n"
			    "await agent('x')\n"
			    "return { before, after: [budget.spent(), budget.remaining()] }\n");
	struct wfm_harness *h = start(path);
	cJSON *msg;

	send_text(h, "{\"type\":\"start\",\"budget\":{\"total\":5000,\"spent\":1000}}");
	msg = next_msg(h);
	assert_string_equal(type_of(msg), "request");
	cJSON_Delete(msg);
	send_text(h, "{\"type\":\"budget\",\"spent\":4200}");
	reply(h, 1, 1, "\"ok\"");
	msg = next_msg(h);
	assert_json(msg, "{\"type\":\"done\","
			 "\"value\":{\"before\":[5000,1000,4000],\"after\":[4200,800]}}");
	cJSON_Delete(msg);
	wfm_harness_free(h);
	free(path);
}

static void test_harness__stop(void **state)
{
	char *path = script("wf.js",
			    META "const r = await parallel([() => agent('a'), () => oracle({})])\n"
				 "let later\n"
				 "try { await agent('after the stop') }\n"
				 "catch (e) { later = e.message }\n"
				 "return { r, later }\n");
	struct wfm_harness *h = start(path);
	cJSON *msg;
	int code;

	send_start(h, NULL);
	for (int i = 0; i < 2; i++) {
		const cJSON *item;

		msg = next_msg(h);
		assert_string_equal(type_of(msg), "request");
		/* each element of a top-level parallel() is a work item of its own */
		item = cJSON_GetObjectItemCaseSensitive(msg, "item");
		assert_int_equal(cJSON_GetObjectItemCaseSensitive(item, "id")->valueint, i + 1);
		assert_int_equal(cJSON_GetObjectItemCaseSensitive(item, "stage")->valueint, 0);
		assert_int_equal(cJSON_GetObjectItemCaseSensitive(item, "stages")->valueint, 1);
		cJSON_Delete(msg);
	}
	send_text(h, "{\"type\":\"stop\"}");
	/* both items end (the null agent, the rejected oracle), then the script */
	for (int i = 0; i < 2; i++) {
		msg = next_msg(h);
		assert_string_equal(type_of(msg), "item_end");
		cJSON_Delete(msg);
	}
	msg = next_msg(h);
	assert_json(msg, "{\"type\":\"done\","
			 "\"value\":{\"r\":[null,null],\"later\":\"the run was stopped\"}}");
	cJSON_Delete(msg);
	assert_wfm_ok(wfm_harness_finish(h, &code, NULL, WAIT_MS));
	assert_int_equal(code, 0);
	wfm_harness_free(h);
	free(path);
}

static void test_harness__runtime_error_line(void **state)
{
	cJSON *last = run_script(META "\nfunction check(x) {\n"
				      "  if (!x.ok)\n"
				      "    throw new TypeError('not ok: ' + x.name)\n"
				      "}\n"
				      "check({ ok: false, name: 'item' })\n",
				 NULL);

	assert_string_equal(type_of(last), "error");
	assert_string_equal(str_of(last, "kind"), "runtime");
	assert_string_equal(str_of(last, "message"), "TypeError: not ok: item");
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(last, "line")->valueint, 5);
	assert_non_null(strstr(str_of(last, "stack"), "wf.js:5"));
	cJSON_Delete(last);
}

/* ---- the process ---- */

static void test_harness__node_killed(void **state)
{
	char *path = script("wf.js", META "await agent('wait forever')\n");
	struct wfm_harness *h = start(path);
	cJSON *msg = NULL, *result;
	char *tail = NULL;
	uint64_t deadline;
	int rc, code;

	send_start(h, NULL);
	msg = next_msg(h);
	assert_string_equal(type_of(msg), "request");
	cJSON_Delete(msg);
	/* the node process dies under us */
	free(wfm_test_sh(tmp, "pkill -KILL -f -- '[h]arness.mjs %s$'", path));
	deadline = wfm_clock_mono_ms() + WAIT_MS;
	while ((rc = wfm_harness_read(&msg, h)) == 0 && wfm_clock_mono_ms() < deadline)
		poll(&(struct pollfd){ wfm_harness_fd(h), POLLIN, 0 }, 1, 100);
	assert_int_equal(rc, WFM_ENOTFOUND);
	assert_int_equal(wfm_harness_read(&msg, h), WFM_ENOTFOUND);
	/* the kernel may close node's stdout a moment before its stdin */
	result = wfm_json_object();
	wfm_json_add_str(result, "type", "stop");
	deadline = wfm_clock_mono_ms() + WAIT_MS;
	while ((rc = wfm_harness_send(h, result)) == 0 && wfm_clock_mono_ms() < deadline)
		poll(NULL, 0, 10);
	assert_int_equal(rc, WFM_ERROR);
	assert_non_null(strstr(wfm_error_last(), "it has exited"));
	cJSON_Delete(result);
	assert_wfm_ok(wfm_harness_finish(h, &code, &tail, WAIT_MS));
	assert_int_equal(code, 128 + SIGKILL);
	assert_non_null(tail);
	assert_int_equal(wfm_harness_fd(h), -1);
	free(tail);
	wfm_harness_free(h);
	free(path);
}

static void test_harness__engine_closes_input(void **state)
{
	char *path = script("wf.js", META "await agent('x')\n");
	struct wfm_harness *h = start(path);
	cJSON *msg;
	int code;

	send_start(h, NULL);
	msg = next_msg(h);
	assert_string_equal(type_of(msg), "request");
	cJSON_Delete(msg);
	/* closing node's input ends the runtime (exit 3), no kill needed */
	assert_wfm_ok(wfm_harness_finish(h, &code, NULL, WAIT_MS));
	assert_int_equal(code, 3);
	assert_int_equal(wfm_harness_read(&msg, h), WFM_ENOTFOUND);
	wfm_harness_free(h);
	free(path);
}

static void test_harness__finish_kills_a_busy_script(void **state)
{
	char *path = script("wf.js", META "while (true) {}\n");
	struct wfm_harness *h = start(path);
	uint64_t t0;
	int code;

	send_start(h, NULL);
	t0 = wfm_clock_mono_ms();
	assert_wfm_ok(wfm_harness_finish(h, &code, NULL, 300));
	assert_int_equal(code, 128 + SIGKILL);
	assert_true(wfm_clock_mono_ms() - t0 < 10000);
	wfm_harness_free(h);
	free(path);
}

static void test_harness__free_kills_node(void **state)
{
	char *path = script("wf.js", META "await agent('x')\n");
	struct wfm_harness *h = start(path);

	send_start(h, NULL);
	cJSON_Delete(next_msg(h));
	wfm_harness_free(h);
	assert_int_equal(wfm_test_sh_status(tmp, "pgrep -f -- ' %s$' >/dev/null", path), 1);
	free(path);
}

/* big results while node writes many requests: neither side may block the other for good */
static void test_harness__no_deadlock(void **state)
{
	char *path =
		script("wf.js", META "const r = await parallel(Array.from({ length: 3000 },\n"
				     "  (_, i) => () => agent('x'.repeat(2000) + i)))\n"
				     "return r.map((v) => v.length).reduce((a, b) => a + b, 0)\n");
	struct wfm_harness *h = start(path);
	struct wfm_buf big = WFM_BUF_INIT;
	cJSON *msg, *result, *value = NULL;
	int seen = 0, answered = 0;

	send_start(h, NULL);
	wfm_buf_grow(&big, 4 << 20);
	for (int i = 0; i < (4 << 20); i++)
		wfm_buf_addch(&big, 'v');
	for (;;) {
		msg = next_msg(h);
		if (!strcmp(type_of(msg), "done")) {
			value = cJSON_DetachItemFromObjectCaseSensitive(msg, "value");
			cJSON_Delete(msg);
			break;
		}
		if (!strcmp(type_of(msg), "item_end")) {
			cJSON_Delete(msg);
			continue;
		}
		assert_string_equal(type_of(msg), "request");
		seen++;
		cJSON_Delete(msg);
		/* answer the first requests with 4 MiB each at once, while node is still writing */
		if (seen == 1 || seen == 2) {
			result = wfm_json_object();
			wfm_json_add_str(result, "type", "result");
			wfm_json_add_num(result, "id", seen);
			wfm_json_add_bool(result, "ok", 1);
			wfm_json_add_str(result, "value", big.ptr);
			assert_wfm_ok(wfm_harness_send(h, result));
			cJSON_Delete(result);
			answered++;
		}
		if (seen == 3000)
			for (int id = 3; id <= 3000; id++, answered++)
				reply(h, id, 1, "\"ab\"");
	}
	assert_int_equal(answered, 3000);
	assert_int_equal((int)value->valuedouble, 2 * (4 << 20) + 2998 * 2);
	cJSON_Delete(value);
	wfm_buf_release(&big);
	wfm_harness_free(h);
	free(path);
}

/* ---- node's flags, environment, output ---- */

static void test_harness__node_flags_and_env(void **state)
{
	struct wfm_harness_opts o = WFM_HARNESS_OPTS_INIT;
	struct wfm_harness *h = NULL;
	char *node = fake_node("node20", "v20.20.0",
			       "printf '%s\\n' \"$@\" > \"$(dirname \"$0\")/argv.txt\"\n"
			       "env > \"$(dirname \"$0\")/env.txt\"\n"
			       "echo '{\"type\":\"meta\",\"meta\":{}}'");
	char *node18 = fake_node("node18", "v18.19.0",
				 "printf '%s\\n' \"$@\" > \"$(dirname \"$0\")/argv18.txt\"");
	char *path = script("wf.js", META);
	char *argv, *env, *argv18, *runtime_dir, *want;
	struct wfm_buf b = WFM_BUF_INIT;
	cJSON *msg;
	int code;

	setenv("ANTHROPIC_API_KEY", "secret", 1);
	setenv("NODE_OPTIONS", "--require /tmp/evil.js", 1);
	setenv("GIT_DIR", "/elsewhere", 1);
	o.script = path;
	o.node = node;
	assert_wfm_ok(wfm_harness_start(&h, &o));
	msg = next_msg(h);
	assert_string_equal(type_of(msg), "meta");
	cJSON_Delete(msg);
	assert_wfm_ok(wfm_harness_finish(h, &code, NULL, WAIT_MS));
	assert_int_equal(code, 0);
	wfm_harness_free(h);
	unsetenv("ANTHROPIC_API_KEY");
	unsetenv("NODE_OPTIONS");
	unsetenv("GIT_DIR");

	runtime_dir = wfm_test_sh_trim("/", "cd \"$WFMIGRATE_DATADIR/runtime\" && pwd -P");
	wfm_buf_addf(&b,
		     "--experimental-vm-modules\n--disallow-code-generation-from-strings\n"
		     "--experimental-permission\n--allow-fs-read=%s\n--allow-fs-read=%s\n"
		     "--disable-warning=ExperimentalWarning\n%s/harness.mjs\n%s\n",
		     runtime_dir, path, runtime_dir, path);
	want = wfm_buf_detach(&b, NULL);
	argv = wfm_test_sh(tmp, "cat argv.txt");
	assert_string_equal(argv, want);
	env = wfm_test_sh(tmp, "cat env.txt");
	assert_null(strstr(env, "ANTHROPIC_API_KEY"));
	assert_null(strstr(env, "NODE_OPTIONS"));
	assert_null(strstr(env, "GIT_DIR"));
	assert_non_null(strstr(env, "\nTZ=UTC\n"));

	/* Node 18: no permission model, and --check */
	o.node = node18;
	o.check_only = 1;
	assert_wfm_ok(wfm_harness_start(&h, &o));
	assert_wfm_ok(wfm_harness_finish(h, &code, NULL, WAIT_MS));
	wfm_harness_free(h);
	free(want);
	wfm_buf_addf(&b,
		     "--experimental-vm-modules\n--disallow-code-generation-from-strings\n"
		     "--no-warnings\n%s/harness.mjs\n--check\n%s\n",
		     runtime_dir, path);
	want = wfm_buf_detach(&b, NULL);
	argv18 = wfm_test_sh(tmp, "cat argv18.txt");
	assert_string_equal(argv18, want);

	free(want);
	free(argv);
	free(argv18);
	free(env);
	free(runtime_dir);
	free(node);
	free(node18);
	free(path);
}

static void test_harness__old_node(void **state)
{
	char *node = fake_node("node16", "v16.20.2", "exit 0");
	char *path = script("wf.js", META);
	cJSON *meta = NULL;

	assert_int_equal(wfm_harness_check(&meta, path, node), WFM_ERROR);
	assert_non_null(strstr(wfm_error_last(),
			       "is Node.js v16.20.2: the workflow runtime needs 18 or later"));
	free(node);
	free(path);
}

static void test_harness__bad_output(void **state)
{
	struct wfm_harness_opts o = WFM_HARNESS_OPTS_INIT;
	struct wfm_harness *h = NULL;
	char *node = fake_node("badnode", "v20.20.0",
			       "printf 'not json\\n{\"type\":\"log\",\"message\":\"x\"}\\n"
			       "{\"no\":\"type\"}\\n[1]\\n{\"type\":\"cut'\n"
			       "echo 'something broke' >&2; exit 2");
	char *path = script("wf.js", META);
	cJSON *msg = NULL;
	char *tail = NULL;
	int code, rc;
	uint64_t deadline = wfm_clock_mono_ms() + WAIT_MS;
	int expect[] = { WFM_EINVALID, 1, WFM_EINVALID, WFM_EINVALID, WFM_EINVALID, WFM_ENOTFOUND,
			 WFM_ENOTFOUND };

	o.script = path;
	o.node = node;
	assert_wfm_ok(wfm_harness_start(&h, &o));
	for (size_t i = 0; i < WFM_ARRAY_SIZE(expect); i++) {
		while ((rc = wfm_harness_read(&msg, h)) == 0 && wfm_clock_mono_ms() < deadline)
			poll(&(struct pollfd){ wfm_harness_fd(h), POLLIN, 0 }, 1, 100);
		if (rc != expect[i])
			fail_msg("read %zu: got %d (%s), want %d", i, rc, wfm_error_last(),
				 expect[i]);
		if (i == 0)
			assert_non_null(strstr(wfm_error_last(), "not JSON"));
		if (i == 4)
			assert_non_null(strstr(wfm_error_last(), "ends in the middle of a line"));
		if (rc == 1) {
			assert_json(msg, "{\"type\":\"log\",\"message\":\"x\"}");
			cJSON_Delete(msg);
		} else {
			assert_null(msg);
		}
	}
	assert_wfm_ok(wfm_harness_finish(h, &code, &tail, WAIT_MS));
	assert_int_equal(code, 2);
	assert_string_equal(tail, "something broke");
	free(tail);
	wfm_harness_free(h);
	free(node);
	free(path);
}

static void test_harness__check_crash(void **state)
{
	char *node = fake_node("crashnode", "v20.20.0", "echo 'node: bad option' >&2; exit 9");
	char *path = script("wf.js", META);
	cJSON *meta = NULL;

	assert_int_equal(wfm_harness_check(&meta, path, node), WFM_ERROR);
	assert_non_null(strstr(wfm_error_last(), "(node exited 9): node: bad option"));
	free(node);
	free(path);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_harness__check_ok),
		TEST(test_harness__check_meta_not_first),
		TEST(test_harness__check_meta_not_literal),
		TEST(test_harness__check_missing_name),
		TEST(test_harness__check_syntax_error_line),
		TEST(test_harness__check_forbidden_global),
		TEST(test_harness__check_not_found),
		TEST(test_harness__determinism),
		TEST(test_harness__no_host_access),
		TEST(test_harness__exchange),
		TEST(test_harness__request_messages),
		TEST(test_harness__item_limit),
		TEST(test_harness__workflow_one_level),
		TEST(test_harness__budget),
		TEST(test_harness__stop),
		TEST(test_harness__runtime_error_line),
		TEST(test_harness__node_killed),
		TEST(test_harness__engine_closes_input),
		TEST(test_harness__finish_kills_a_busy_script),
		TEST(test_harness__free_kills_node),
		TEST(test_harness__no_deadlock),
		TEST(test_harness__node_flags_and_env),
		TEST(test_harness__old_node),
		TEST(test_harness__bad_output),
		TEST(test_harness__check_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
