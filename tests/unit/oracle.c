#include "support/test.h"
#include "base/buf.h"
#include "git/pool.h"
#include "git/repo.h"
#include "oracle/oracle.h"

#include <cjson/cJSON.h>
#include <pthread.h>

static char *repo;
static char *old_commit, *new_commit;

static int setup(void **state)
{
	wfm_git_init();
	repo = wfm_test_repo_new();
	wfm_test_write(repo, "file_only_in_old_commit", "old\n");
	wfm_test_write(repo, "common.txt", "one\n");
	free(wfm_test_sh(repo, "git add -A && git commit -qm old && git tag old"));
	wfm_test_write(repo, "common.txt", "two\n");
	free(wfm_test_sh(repo, "git rm -q file_only_in_old_commit && git commit -qam new"));
	old_commit = wfm_test_sh_trim(repo, "git rev-parse old");
	new_commit = wfm_test_sh_trim(repo, "git rev-parse HEAD");
	return 0;
}

static int teardown(void **state)
{
	wfm_test_rmtree(repo);
	free(repo);
	free(old_commit);
	free(new_commit);
	wfm_git_shutdown();
	return 0;
}

static struct wfm_pool *open_pool(void)
{
	struct wfm_pool *pool = NULL;

	assert_wfm_ok(wfm_pool_open(&pool, repo, NULL));
	return pool;
}

/* No slot is left locked or broken. */
static void assert_worktrees_clean(void)
{
	char *list = wfm_test_sh(repo, "git worktree list --porcelain");

	if (strstr(list, "\nlocked") || strstr(list, "\nprunable"))
		fail_msg("git worktree list is not clean:\n%s", list);
	free(list);
	free(wfm_test_sh(repo, "git fsck --strict 2>&1"));
}

static void test_oracle__runs_at_the_ref(void **state)
{
	struct wfm_oracle_opts o = WFM_ORACLE_OPTS_INIT;
	struct wfm_oracle_result r;
	struct wfm_pool *pool = open_pool();

	o.command = "test -f file_only_in_old_commit";
	assert_wfm_ok(wfm_oracle_run(&r, pool, "old", &o));
	assert_true(r.pass);
	assert_int_equal(r.proc.exit_code, 0);
	assert_string_equal(r.commit, old_commit);
	wfm_oracle_result_release(&r);

	assert_wfm_ok(wfm_oracle_run(&r, pool, "HEAD", &o));
	assert_false(r.pass);
	assert_int_equal(r.proc.exit_code, 1);
	assert_string_equal(r.commit, new_commit);
	wfm_oracle_result_release(&r);

	/* a commit id works as well as a name */
	assert_wfm_ok(wfm_oracle_run(&r, pool, old_commit, &o));
	assert_true(r.pass);
	wfm_oracle_result_release(&r);
	wfm_pool_free(pool);
	assert_worktrees_clean();
}

static void test_oracle__git_inside_sees_the_worktree(void **state)
{
	struct wfm_oracle_opts o = WFM_ORACLE_OPTS_INIT;
	struct wfm_oracle_result r;
	struct wfm_pool *pool = open_pool();
	struct wfm_buf want = WFM_BUF_INIT, gitdir = WFM_BUF_INIT;

	/* as if we were run by git from the main worktree */
	wfm_buf_addf(&gitdir, "%s/.git", repo);
	setenv("GIT_DIR", gitdir.ptr, 1);
	setenv("GIT_WORK_TREE", repo, 1);
	setenv("GIT_INDEX_FILE", "/nonexistent/index", 1);
	setenv("GIT_PREFIX", "sub/", 1);
	o.command = "git rev-parse HEAD && git status --porcelain && echo \"clean\"";
	assert_wfm_ok(wfm_oracle_run(&r, pool, "old", &o));
	unsetenv("GIT_DIR");
	unsetenv("GIT_WORK_TREE");
	unsetenv("GIT_INDEX_FILE");
	unsetenv("GIT_PREFIX");
	wfm_buf_addf(&want, "%s\nclean\n", old_commit);
	assert_string_equal(r.proc.output.ptr, want.ptr);
	assert_true(r.pass);
	assert_int_equal(r.excerpt.nr, 0); /* a run that passed has nothing to excerpt */
	wfm_oracle_result_release(&r);
	wfm_buf_release(&want);
	wfm_buf_release(&gitdir);
	wfm_pool_free(pool);
}

static void test_oracle__api_keys_hidden(void **state)
{
	struct wfm_oracle_opts o = WFM_ORACLE_OPTS_INIT;
	struct wfm_oracle_result r;
	struct wfm_pool *pool = open_pool();
	const char *extra[] = { "ORACLE_EXTRA=1", NULL };

	setenv("ANTHROPIC_API_KEY", "sk-ant-hidden", 1);
	setenv("OPENAI_API_KEY", "sk-oai-hidden", 1);
	setenv("MY_VENDOR_API_KEY", "vendor-hidden", 1);
	setenv("ANTHROPIC_AUTH_TOKEN", "tok-hidden", 1);
	o.command = "env";
	o.env_set = extra;
	assert_wfm_ok(wfm_oracle_run(&r, pool, "HEAD", &o));
	unsetenv("ANTHROPIC_API_KEY");
	unsetenv("OPENAI_API_KEY");
	unsetenv("MY_VENDOR_API_KEY");
	unsetenv("ANTHROPIC_AUTH_TOKEN");
	assert_null(strstr(r.proc.output.ptr, "hidden"));
	assert_non_null(strstr(r.proc.output.ptr, "ORACLE_EXTRA=1"));
	assert_non_null(strstr(r.proc.output.ptr, "PATH="));
	wfm_oracle_result_release(&r);
	wfm_pool_free(pool);
}

static void test_oracle__summary_and_failure(void **state)
{
	struct wfm_oracle_opts o = WFM_ORACLE_OPTS_INIT;
	struct wfm_oracle_result r;
	struct wfm_pool *pool = open_pool();
	struct wfm_buf b = WFM_BUF_INIT;

	o.command =
		"echo building; echo \"$PWD/src/a.c:3:1: error: no x\"; "
		"echo '3 passed, 1 failed'; echo 'make: *** [Makefile:2: test] Error 1'; exit 2";
	assert_wfm_ok(wfm_oracle_run(&r, pool, "HEAD", &o));
	assert_false(r.pass);
	assert_int_equal(r.proc.exit_code, 2);
	assert_int_equal(r.summary.format, WFM_SUMMARY_PLAIN);
	assert_int_equal(r.summary.passed, 3);
	assert_int_equal(r.summary.failed, 1);
	/* what failed, the worktree's path taken out */
	assert_int_equal(r.excerpt.nr, 1);
	assert_string_equal(r.excerpt.v[0], "src/a.c:3:1: error: no x");
	wfm_oracle_describe_end(&b, &r);
	assert_string_equal(b.ptr, "exited 2");
	wfm_oracle_result_release(&r);

	/* killed by a signal */
	o.command = "kill -ABRT $$";
	assert_wfm_ok(wfm_oracle_run(&r, pool, "HEAD", &o));
	assert_false(r.pass);
	assert_int_equal(r.proc.signal, SIGABRT);
	wfm_buf_clear(&b);
	wfm_oracle_describe_end(&b, &r);
	assert_string_equal(b.ptr, "was killed by SIGABRT");
	wfm_oracle_result_release(&r);
	wfm_buf_release(&b);
	wfm_pool_free(pool);
	assert_worktrees_clean();
}

static void test_oracle__timeout(void **state)
{
	struct wfm_oracle_opts o = WFM_ORACLE_OPTS_INIT;
	struct wfm_oracle_result r;
	struct wfm_pool *pool = open_pool();
	struct wfm_buf b = WFM_BUF_INIT;

	o.command = "echo waiting; sleep 30";
	o.timeout_sec = 1;
	o.kill_grace_ms = 200;
	assert_wfm_ok(wfm_oracle_run(&r, pool, "HEAD", &o));
	assert_false(r.pass);
	assert_true(r.proc.timed_out);
	assert_string_equal(r.proc.output.ptr, "waiting\n");
	wfm_oracle_describe_end(&b, &r);
	assert_string_equal(b.ptr, "timed out after 1s");
	wfm_oracle_result_release(&r);
	wfm_buf_release(&b);
	wfm_pool_free(pool);
	assert_worktrees_clean();
}

static void test_oracle__flaky_runs(void **state)
{
	struct wfm_oracle_opts o = WFM_ORACLE_OPTS_INIT;
	struct wfm_oracle_result runs[6];
	struct wfm_pool *pool = open_pool();
	struct wfm_buf cmd = WFM_BUF_INIT, json = WFM_BUF_INIT;
	char *dir = wfm_test_tmpdir();
	cJSON *root;
	size_t passed = 0;

	/* the counter lives outside the worktree, which is cleaned between runs */
	wfm_buf_addf(
		&cmd,
		"n=$(cat '%s/count' 2>/dev/null || echo 0); n=$((n + 1)); echo $n > '%s/count'; "
		"echo \"run $n\"; test $((n %% 2)) -eq 1",
		dir, dir);
	o.command = cmd.ptr;
	for (size_t i = 0; i < WFM_ARRAY_SIZE(runs); i++) {
		assert_wfm_ok(wfm_oracle_run(&runs[i], pool, "HEAD", &o));
		assert_int_equal(runs[i].pass, i % 2 == 0);
		passed += runs[i].pass;
	}
	assert_int_equal(passed, 3);

	wfm_oracle_runs_json(&json, runs, WFM_ARRAY_SIZE(runs), "HEAD", o.command);
	root = cJSON_Parse(json.ptr);
	assert_non_null(root);
	assert_int_equal(cJSON_GetObjectItem(root, "passedRuns")->valueint, 3);
	assert_int_equal(cJSON_GetObjectItem(root, "failedRuns")->valueint, 3);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(root, "pass")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(root, "runs")), 6);
	assert_string_equal(
		cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(root, "runs"), 1),
				    "outputTail")
			->valuestring,
		"run 2\n");
	assert_string_equal(cJSON_GetObjectItem(root, "commit")->valuestring, new_commit);
	cJSON_Delete(root);

	for (size_t i = 0; i < WFM_ARRAY_SIZE(runs); i++)
		wfm_oracle_result_release(&runs[i]);
	wfm_buf_release(&json);
	wfm_buf_release(&cmd);
	wfm_test_rmtree(dir);
	free(dir);
	wfm_pool_free(pool);
	assert_worktrees_clean();
}

static void test_oracle__json(void **state)
{
	struct wfm_oracle_opts o = WFM_ORACLE_OPTS_INIT;
	struct wfm_oracle_result r;
	struct wfm_pool *pool = open_pool();
	struct wfm_buf json = WFM_BUF_INIT;
	cJSON *root, *summary;

	/* quotes, control characters and bytes that are not UTF-8 */
	o.command =
		"printf 'say \"hi\"\\t\\001 caf\\303\\251 \\377\\n1 passed, 1 failed\\n'; exit 1";
	assert_wfm_ok(wfm_oracle_run(&r, pool, "old", &o));
	wfm_oracle_result_json(&json, &r, "old", o.command);
	root = cJSON_Parse(json.ptr);
	if (!root)
		fail_msg("not JSON: %s", json.ptr);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(root, "pass")));
	assert_int_equal(cJSON_GetObjectItem(root, "exitCode")->valueint, 1);
	assert_null(cJSON_GetObjectItem(root, "signal"));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(root, "timedOut")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(root, "cancelled")));
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(root, "durationMs")));
	assert_string_equal(cJSON_GetObjectItem(root, "outputTail")->valuestring,
			    "say \"hi\"\t\001 caf\303\251 \357\277\275\n1 passed, 1 failed\n");
	assert_int_equal(cJSON_GetObjectItem(root, "outputBytes")->valueint, 38);
	assert_string_equal(cJSON_GetObjectItem(root, "ref")->valuestring, "old");
	assert_string_equal(cJSON_GetObjectItem(root, "commit")->valuestring, old_commit);
	assert_string_equal(cJSON_GetObjectItem(root, "command")->valuestring, o.command);
	summary = cJSON_GetObjectItem(root, "summary");
	assert_non_null(summary);
	assert_int_equal(cJSON_GetObjectItem(summary, "passed")->valueint, 1);
	assert_int_equal(cJSON_GetObjectItem(summary, "failed")->valueint, 1);
	assert_int_equal(cJSON_GetObjectItem(summary, "skipped")->valueint, 0);
	assert_int_equal(cJSON_GetObjectItem(summary, "total")->valueint, 2);
	assert_string_equal(cJSON_GetObjectItem(summary, "format")->valuestring, "plain");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(root, "excerpt")), 1);
	assert_string_equal(
		cJSON_GetArrayItem(cJSON_GetObjectItem(root, "excerpt"), 0)->valuestring,
		"1 passed, 1 failed");
	cJSON_Delete(root);
	wfm_oracle_result_release(&r);

	/* killed: exitCode null, signal named, no summary */
	wfm_buf_clear(&json);
	o.command = "kill -KILL $$";
	assert_wfm_ok(wfm_oracle_run(&r, pool, "HEAD", &o));
	wfm_oracle_result_json(&json, &r, "HEAD", o.command);
	root = cJSON_Parse(json.ptr);
	assert_non_null(root);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(root, "exitCode")));
	assert_string_equal(cJSON_GetObjectItem(root, "signal")->valuestring, "SIGKILL");
	assert_null(cJSON_GetObjectItem(root, "summary"));
	cJSON_Delete(root);
	wfm_oracle_result_release(&r);
	wfm_buf_release(&json);
	wfm_pool_free(pool);
}

static void test_oracle__errors(void **state)
{
	struct wfm_oracle_opts o = WFM_ORACLE_OPTS_INIT;
	struct wfm_oracle_result r;
	struct wfm_pool *pool = open_pool();

	o.command = "true";
	assert_int_equal(wfm_oracle_run(&r, pool, "no-such-ref", &o), WFM_ENOTFOUND);
	wfm_oracle_result_release(&r);

	o.command = NULL;
	assert_int_equal(wfm_oracle_run(&r, pool, "HEAD", &o), WFM_EINVALID);
	wfm_oracle_result_release(&r);
	o.command = "";
	assert_int_equal(wfm_oracle_run(&r, pool, "HEAD", &o), WFM_EINVALID);
	wfm_oracle_result_release(&r);
	wfm_pool_free(pool);
	assert_worktrees_clean();
}

static void test_oracle__cancelled_before_start(void **state)
{
	static volatile sig_atomic_t cancel = SIGINT;
	struct wfm_oracle_opts o = WFM_ORACLE_OPTS_INIT;
	struct wfm_oracle_result r;
	struct wfm_pool *pool = open_pool();
	struct wfm_buf b = WFM_BUF_INIT;

	o.command = "echo ran";
	o.cancel = &cancel;
	assert_wfm_ok(wfm_oracle_run(&r, pool, "HEAD", &o));
	assert_true(r.proc.cancelled);
	assert_false(r.pass);
	assert_string_equal(r.proc.output.ptr, "");
	wfm_oracle_describe_end(&b, &r);
	assert_string_equal(b.ptr, "was interrupted");
	wfm_oracle_result_release(&r);
	wfm_buf_release(&b);
	wfm_pool_free(pool);
}

static void test_oracle__run_in_a_directory(void **state)
{
	struct wfm_oracle_opts o = WFM_ORACLE_OPTS_INIT;
	struct wfm_oracle_result r;
	char *dir = wfm_test_tmpdir();

	wfm_test_write(dir, "marker", "x");
	o.command = "test -f marker && echo '1 passed, 0 failed'";
	assert_wfm_ok(wfm_oracle_run_in(&r, dir, &o));
	assert_true(r.pass);
	assert_string_equal(r.commit, "");
	assert_int_equal(r.summary.passed, 1);
	wfm_oracle_result_release(&r);
	wfm_test_rmtree(dir);
	free(dir);
}

/* Known failures: a run whose only failed tests are known passes, excused; nothing else does */
static void test_oracle__known_failures(void **state)
{
	static const char *const known[] = { "flaky one", "broken one", NULL };
	static const struct {
		const char *command;
		int pass, excused;
	} cases[] = {
		{ "printf 'ok 1 - a\\nnot ok 2 - flaky one\\nnot ok 3 - broken one\\n'; exit 1", 1,
		  1 },
		{ "printf 'ok 1 - a\\nnot ok 2 - flaky one\\nnot ok 3 - b\\n'; exit 1", 0, 0 },
		/* no test named: nothing to excuse */
		{ "echo '1 passed, 1 failed'; exit 1", 0, 0 },
		/* a failure of the command, not of a test: nothing failed that is known */
		{ "printf 'ok 1 - a\\n'; exit 2", 0, 0 },
		/* killed: never excused */
		{ "printf 'not ok 1 - flaky one\\n'; kill -9 $$", 0, 0 },
		{ "printf 'ok 1 - a\\n'", 1, 0 },
	};
	char *dir = wfm_test_tmpdir();

	for (size_t i = 0; i < WFM_ARRAY_SIZE(cases); i++) {
		struct wfm_oracle_opts o = WFM_ORACLE_OPTS_INIT;
		struct wfm_oracle_result r;

		o.command = cases[i].command;
		o.known_failures = known;
		assert_wfm_ok(wfm_oracle_run_in(&r, dir, &o));
		if (r.pass != cases[i].pass || r.excused != cases[i].excused)
			fail_msg("case %zu (%s): pass %d excused %d", i, cases[i].command, r.pass,
				 r.excused);
		wfm_oracle_result_release(&r);
	}
	wfm_test_rmtree(dir);
	free(dir);
}

struct thread_arg {
	struct wfm_pool *pool;
	const char *ref;
	struct wfm_oracle_result r;
	int rc;
};

static void *thread_run(void *p)
{
	struct thread_arg *a = p;
	struct wfm_oracle_opts o = WFM_ORACLE_OPTS_INIT;

	o.command = "sleep 0.3; pwd; git rev-parse HEAD";
	a->rc = wfm_oracle_run(&a->r, a->pool, a->ref, &o);
	return NULL;
}

static void test_oracle__threads_share_a_pool(void **state)
{
	struct wfm_pool *pool = open_pool();
	struct thread_arg args[2] = { { pool, "old", { 0 }, 0 }, { pool, "HEAD", { 0 }, 0 } };
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, thread_run, &args[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 2; i++) {
		if (args[i].rc < 0)
			fail_msg("thread %d: %d", i, args[i].rc);
		assert_true(args[i].r.pass);
	}
	/* two slots at once, each at its own commit */
	assert_string_not_equal(args[0].r.proc.output.ptr, args[1].r.proc.output.ptr);
	assert_non_null(strstr(args[0].r.proc.output.ptr, old_commit));
	assert_non_null(strstr(args[1].r.proc.output.ptr, new_commit));
	for (int i = 0; i < 2; i++)
		wfm_oracle_result_release(&args[i].r);
	wfm_pool_free(pool);
	assert_worktrees_clean();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oracle__runs_at_the_ref),
		cmocka_unit_test(test_oracle__git_inside_sees_the_worktree),
		cmocka_unit_test(test_oracle__api_keys_hidden),
		cmocka_unit_test(test_oracle__summary_and_failure),
		cmocka_unit_test(test_oracle__timeout),
		cmocka_unit_test(test_oracle__flaky_runs),
		cmocka_unit_test(test_oracle__json),
		cmocka_unit_test(test_oracle__errors),
		cmocka_unit_test(test_oracle__cancelled_before_start),
		cmocka_unit_test(test_oracle__run_in_a_directory),
		cmocka_unit_test(test_oracle__known_failures),
		cmocka_unit_test(test_oracle__threads_share_a_pool),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
