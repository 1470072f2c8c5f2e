#include "support/test.h"
#include "base/buf.h"
#include "base/glob.h"
#include "engine/integrity.h"
#include "engine/merge_queue.h"
#include "git/pool.h"
#include "git/repo.h"

#include <pthread.h>
#include <time.h>

/*
 * Each test gets a repository whose base commit (tag base) has a.txt (ten
 * numbered lines), five "test cases" in cases/ and tests/t.sh. The oracle
 * counts the cases ("5 passed, 0 failed"), fails when a file named broken
 * exists, and appends "<HEAD> pass|fail" to a log outside the repository,
 * so the tests know every commit it ran on and what it said.
 */
#define RUN "r"
#define INTEGRATION "refs/heads/wfmigrate/" RUN "/integration"

static char *repo, *tmp, *log_path, *oracle;
static char *user_refs;
static struct wfm_pool *pool;

struct got {
	char *branch;
	int merged;
	char commit[WFM_OID_HEXSZ + 1];
	char *reason;
	char *detail;
	char *outside; /* the paths out of scope, joined with spaces; NULL: none given */
	unsigned long passed;
	char *excerpt; /* the excerpt's first line; NULL: none given */
	char *tail;    /* output_tail; NULL: none given */
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct got v[64];
	size_t nr;
} ds = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, { { 0 } }, 0 };

/* What the user (the test) has: the queue must leave it so. */
static void snapshot(void)
{
	free(user_refs);
	user_refs =
		wfm_test_sh_trim(repo, "git for-each-ref --format='%%(refname) %%(objectname)' "
				       "refs/heads refs/tags | grep -v ' *refs/heads/wfmigrate/'");
}

static int setup(void **state)
{
	struct wfm_buf b = WFM_BUF_INIT;

	assert_wfm_ok(wfm_git_init());
	repo = wfm_test_repo_new();
	tmp = wfm_test_tmpdir();
	wfm_buf_addf(&b, "%s/oracle.log", tmp);
	log_path = wfm_buf_detach(&b, NULL);
	wfm_buf_addf(&b,
		     "h=$(git rev-parse HEAD); n=$(ls cases | wc -l); "
		     "if test -e broken; then echo \"$h fail\" >> '%s'; "
		     "echo './check: cannot run with a broken file'; "
		     "echo \"$n passed, 1 failed\"; exit 1; fi; "
		     "echo \"$h pass\" >> '%s'; echo \"$n passed, 0 failed\"",
		     log_path, log_path);
	oracle = wfm_buf_detach(&b, NULL);
	free(wfm_test_sh_trim(repo,
			      "seq 1 10 > a.txt && mkdir cases tests && for i in 1 2 3 4 5; do "
			      "echo $i > cases/c$i; done && echo 'exit 0' > tests/t.sh && "
			      "git add -A && git commit -qm base && git tag base && : > '%s'",
			      log_path));
	snapshot();
	assert_wfm_ok(wfm_pool_open(&pool, repo, NULL));
	for (size_t i = 0; i < ds.nr; i++) {
		free(ds.v[i].branch);
		free(ds.v[i].reason);
		free(ds.v[i].detail);
		free(ds.v[i].outside);
		free(ds.v[i].excerpt);
		free(ds.v[i].tail);
	}
	memset(ds.v, 0, sizeof(ds.v));
	ds.nr = 0;
	return 0;
}

/* The user's branches, HEAD and working tree are as they were; no slot is left locked. */
static void assert_user_untouched(void)
{
	char *list;

	assert_sh_equal(repo, user_refs,
			"git for-each-ref --format='%%(refname) %%(objectname)' "
			"refs/heads refs/tags | grep -v ' *refs/heads/wfmigrate/'");
	assert_sh_equal(repo, "refs/heads/main", "git symbolic-ref HEAD");
	assert_sh_equal(repo, "", "git status --porcelain");
	list = wfm_test_sh_trim(repo, "git worktree list --porcelain");
	if (strstr(list, "\nlocked") || strstr(list, "wfmigrate/" RUN "/integration"))
		fail_msg("git worktree list:\n%s", list);
	free(list);
	free(wfm_test_sh_trim(repo, "git fsck --strict 2>&1"));
}

static int teardown(void **state)
{
	wfm_pool_free(pool);
	pool = NULL;
	wfm_test_rmtree(repo);
	wfm_test_rmtree(tmp);
	free(repo);
	free(tmp);
	free(log_path);
	free(oracle);
	free(user_refs);
	user_refs = NULL;
	wfm_git_shutdown();
	return 0;
}

/* Makes branch name from base (or from) with one commit of what cmd does. */
static char *branch_from(const char *name, const char *from, const char *cmd)
{
	free(wfm_test_sh_trim(repo,
			      "git checkout -q -b '%s' '%s' && { %s; } && git add -A && "
			      "git commit -q --allow-empty -m 'work on %s' && git checkout -q main",
			      name, from, cmd, name));
	snapshot();
	return wfm_test_sh_trim(repo, "git rev-parse '%s'", name);
}

static char *branch(const char *name, const char *cmd)
{
	return branch_from(name, "base", cmd);
}

/* Like branch_from, with a commit message as an agent with this scope would write it. */
static char *scoped_branch(const char *name, const char *from, const char *cmd, const char *scope)
{
	free(wfm_test_sh_trim(
		repo,
		"git checkout -q -b '%s' '%s' && { %s; } && git add -A && "
		"printf 'impl: %%s\\n\\nWfmigrate-Run: r\\nWfmigrate-Role: implementer\\n' "
		"'%s' > .git/msg && for g in %s; do echo \"Wfmigrate-Scope: $g\" >> .git/msg; done "
		"&& "
		"git commit -q --allow-empty -F .git/msg && git checkout -q main",
		name, from, cmd, name, scope));
	snapshot();
	return wfm_test_sh_trim(repo, "git rev-parse '%s'", name);
}

static void on_decision(void *data, const struct wfm_merge_decision *d)
{
	struct got *g;

	pthread_mutex_lock(&ds.mu);
	g = &ds.v[ds.nr++];
	g->branch = wfm_strdup(d->branch);
	g->merged = d->merged;
	snprintf(g->commit, sizeof(g->commit), "%s", d->commit);
	g->reason = d->reason ? wfm_strdup(d->reason) : NULL;
	g->detail = d->detail ? wfm_strdup(d->detail) : NULL;
	if (d->out_of_scope) {
		struct wfm_buf b = WFM_BUF_INIT;

		for (size_t i = 0; i < d->out_of_scope->nr; i++)
			wfm_buf_addf(&b, "%s%s", i ? " " : "", d->out_of_scope->v[i]);
		g->outside = wfm_buf_detach(&b, NULL);
	}
	assert_true(!d->out_of_scope || !strcmp(d->reason, WFM_MERGE_REASON_SCOPE));
	g->passed = d->summary.passed;
	if (d->excerpt && d->excerpt->nr)
		g->excerpt = wfm_strdup(d->excerpt->v[0]);
	if (d->output_tail)
		g->tail = wfm_strdup(d->output_tail);
	assert_true(!d->excerpt || !strcmp(d->reason, WFM_MERGE_REASON_ORACLE));
	assert_true(d->merged == !d->reason);
	assert_true(!d->merged || strlen(d->commit) == WFM_OID_HEXSZ);
	pthread_cond_broadcast(&ds.cond);
	pthread_mutex_unlock(&ds.mu);
}

static void wait_decisions(size_t n)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 120;
	pthread_mutex_lock(&ds.mu);
	while (ds.nr < n)
		if (pthread_cond_timedwait(&ds.cond, &ds.mu, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&ds.mu);
	if (ds.nr < n)
		fail_msg("%zu decisions after 120s, wanted %zu", ds.nr, n);
}

static const struct got *decision(const char *branch)
{
	for (size_t i = 0; i < ds.nr; i++)
		if (!strcmp(ds.v[i].branch, branch))
			return &ds.v[i];
	fail_msg("no decision for %s", branch);
	return NULL;
}

static void assert_merged(const char *branch)
{
	const struct got *g = decision(branch);

	if (!g->merged)
		fail_msg("%s: %s: %s", branch, g->reason, g->detail ? g->detail : "");
}

static void assert_rejected(const char *branch, const char *reason, const char *in_detail)
{
	const struct got *g = decision(branch);

	if (g->merged)
		fail_msg("%s was merged, expected %s", branch, reason);
	assert_string_equal(g->reason, reason);
	assert_string_equal(g->commit, "");
	if (in_detail && (!g->detail || !strstr(g->detail, in_detail)))
		fail_msg("%s: '%s' not in detail: %s", branch, in_detail,
			 g->detail ? g->detail : "(null)");
}

static unsigned long oracle_runs(void)
{
	char *n = wfm_test_sh_trim(repo, "wc -l < '%s'", log_path);
	unsigned long v = strtoul(n, NULL, 10);

	free(n);
	return v;
}

/* Every value the integration branch ever had is base or a commit the oracle passed. */
static void assert_ref_only_at_passing_commits(void)
{
	char *values = wfm_test_sh_trim(repo, "git reflog show --format=%%H '%s'", INTEGRATION);
	char *base = wfm_test_sh_trim(repo, "git rev-parse base");
	char *save = NULL;

	for (char *v = strtok_r(values, "\n", &save); v; v = strtok_r(NULL, "\n", &save)) {
		if (!strcmp(v, base))
			continue;
		if (wfm_test_sh_status(repo, "grep -qx '%s pass' '%s'", v, log_path))
			fail_msg("the integration branch was at %s, which the oracle did not pass",
				 v);
	}
	free(values);
	free(base);
}

static struct wfm_merge_opts opts(void)
{
	struct wfm_merge_opts o = WFM_MERGE_OPTS_INIT;

	o.repo_path = repo;
	o.run = RUN;
	o.base = "base";
	o.oracle_cmd = oracle;
	o.oracle_timeout_sec = 60;
	o.batch_wait_ms = 100;
	return o;
}

static struct wfm_merge_queue *start(const struct wfm_merge_opts *o)
{
	struct wfm_merge_queue *q = NULL;

	assert_wfm_ok(wfm_merge_queue_start(&q, pool, o));
	return q;
}

static void submit(struct wfm_merge_queue *q, const char *branch)
{
	assert_wfm_ok(wfm_merge_queue_submit(q, branch, NULL, 0, on_decision, NULL));
}

static void test_merge_queue__globs(void **state)
{
	static const struct {
		const char *glob, *path;
		int match;
	} cases[] = {
		{ "tests/**", "tests/a.c", 1 },
		{ "tests/**", "tests/unit/a.c", 1 },
		{ "tests/**", "src/tests/a.c", 0 },
		{ "tests/**", "testsuite/a.c", 0 },
		{ "**/tests/**", "tests/a.c", 1 },
		{ "**/tests/**", "pkg/x/tests/a.c", 1 },
		{ "**/tests/**", "pkg/tests", 0 },
		{ "test_*", "a/b/test_x.py", 1 },
		{ "test_*", "a/b/latest_x.py", 0 },
		{ "*_test.*", "pkg/util_test.go", 1 },
		{ "*_test.*", "pkg/util_test", 0 },
		{ "src/*.c", "src/a.c", 1 },
		{ "src/*.c", "src/x/a.c", 0 },
		{ "src/**/*.c", "src/a.c", 1 },
		{ "src/**/*.c", "src/x/y/a.c", 1 },
		{ "a?c", "abc", 1 },
		{ "a?c", "a/c", 0 }, /* no '/' in the glob: only the file name "c" is compared */
		{ "a?c", "x/abc", 1 },
		{ "x/a?c", "x/a/c", 0 },
		{ "[ab]*.txt", "b1.txt", 1 },
		{ "[!ab]*.txt", "b1.txt", 0 },
		{ "[a-c]x", "cx", 1 },
		{ "[a-c]x", "dx", 0 },
		{ "\\*x", "*x", 1 },
		{ "\\*x", "ax", 0 },
		{ "**", "anything/at/all", 1 },
		{ "[x", "[x", 1 },
		/* a leading '/' anchors at the top, as in .gitignore */
		{ "/Makefile", "Makefile", 1 },
		{ "/Makefile", "sub/Makefile", 0 },
		{ "Makefile", "sub/Makefile", 1 },
		{ "/src/*.c", "src/a.c", 1 },
		{ "/src/*.c", "x/src/a.c", 0 },
		{ "/**", "a/b", 1 },
	};
	static const struct {
		const char *path;
		int test;
	} defaults[] = {
		{ "test/a.c", 1 },
		{ "tests/unit/pool.c", 1 },
		{ "packages/web/__tests__/app.js", 1 },
		{ "spec/models/user_spec.rb", 1 },
		{ "pkg/x/testdata/golden.txt", 1 },
		{ "src/test_util.py", 1 },
		{ "server/handler_test.go", 1 },
		{ "web/app.test.tsx", 1 },
		{ "web/app.spec.ts", 1 },
		{ "src/main/java/FooTest.java", 1 },
		{ "python/conftest.py", 1 },
		{ "src/main.c", 0 },
		{ "src/contest.c", 0 },
		{ "docs/testing.md", 0 },
		{ "src/attest.c", 0 },
		{ "Makefile", 0 },
	};
	const char *mine[] = { "checks/**", NULL };

	for (size_t i = 0; i < WFM_ARRAY_SIZE(cases); i++)
		if (wfm_glob_match(cases[i].glob, cases[i].path) != cases[i].match)
			fail_msg("'%s' on '%s': expected %d", cases[i].glob, cases[i].path,
				 cases[i].match);
	for (size_t i = 0; i < WFM_ARRAY_SIZE(defaults); i++)
		if (!!wfm_integrity_test_glob(NULL, defaults[i].path) != defaults[i].test)
			fail_msg("'%s': expected %d", defaults[i].path, defaults[i].test);
	assert_string_equal(wfm_integrity_test_glob(mine, "checks/a.sh"), "checks/**");
	assert_null(wfm_integrity_test_glob(mine, "tests/a.sh"));
}

static void test_merge_queue__clean_merge(void **state)
{
	struct wfm_merge_opts o = opts();
	struct wfm_merge_queue *q = start(&o);
	char *tip = branch("agent-1", "echo new > d.txt");
	char cur[WFM_OID_HEXSZ + 1];
	char *base = wfm_test_sh_trim(repo, "git rev-parse base");
	struct wfm_buf want = WFM_BUF_INIT;
	struct wfm_merge_stats st;

	/* created at base; the baseline ran once */
	assert_sh_equal(repo, base, "git rev-parse %s", INTEGRATION);
	assert_string_equal(wfm_merge_queue_tip(q, cur), base);
	assert_int_equal(oracle_runs(), 1);

	assert_wfm_ok(wfm_merge_queue_submit(q, "agent-1", "add d.txt", 0, on_decision, NULL));
	wait_decisions(1);
	assert_merged("agent-1");
	assert_sh_equal(repo, ds.v[0].commit, "git rev-parse %s", INTEGRATION);
	assert_string_equal(wfm_merge_queue_tip(q, cur), ds.v[0].commit);
	assert_int_equal(ds.v[0].passed, 5);
	assert_sh_equal(repo, base, "git rev-parse %s^", INTEGRATION);
	assert_sh_equal(repo, "new", "git show %s:d.txt", INTEGRATION);
	wfm_buf_addf(&want, "add d.txt\n\nWfmigrate-Branch: agent-1\nWfmigrate-Commit: %s", tip);
	assert_sh_equal(repo, want.ptr, "git log -1 --format=%%B %s", INTEGRATION);
	assert_sh_equal(repo, "Wfmigrate-Branch: agent-1",
			"git log -1 --format=%%B %s | git interpret-trailers --parse | head -1",
			INTEGRATION);
	assert_int_equal(oracle_runs(), 2);
	wfm_merge_queue_stats(q, &st);
	assert_int_equal(st.oracle_runs, 1);
	assert_int_equal(st.merged, 1);
	assert_int_equal(st.ref_moves, 1);

	/* an unknown branch is refused at once */
	assert_int_equal(wfm_merge_queue_submit(q, "no-such-branch", NULL, 0, on_decision, NULL),
			 WFM_ENOTFOUND);
	wfm_merge_queue_free(q);
	assert_ref_only_at_passing_commits();
	assert_user_untouched();
	wfm_buf_release(&want);
	free(base);
	free(tip);
}

static void test_merge_queue__conflict(void **state)
{
	struct wfm_merge_opts o = opts();
	struct wfm_merge_queue *q;
	char *one = branch("one", "sed -i 's/^5$/five/' a.txt");
	char *two = branch("two", "sed -i 's/^5$/FIVE/' a.txt");

	o.batch_max = 2;
	o.batch_wait_ms = 10000;
	q = start(&o);
	submit(q, "one");
	submit(q, "two");
	wait_decisions(2);
	assert_merged("one");
	assert_rejected("two", "conflict", "conflict in 'a.txt'");
	assert_sh_equal(repo, "five", "git show %s:a.txt | sed -n 5p", INTEGRATION);
	/* the conflicting one never reached the oracle: baseline + one batch */
	assert_int_equal(oracle_runs(), 2);
	wfm_merge_queue_free(q);
	assert_user_untouched();
	free(one);
	free(two);
}

static void test_merge_queue__empty(void **state)
{
	struct wfm_merge_opts o = opts();
	struct wfm_merge_queue *q = start(&o);
	char *none = branch("nothing", "true");
	char *base = wfm_test_sh_trim(repo, "git rev-parse base");

	submit(q, "nothing");
	/* the base itself changes nothing either */
	submit(q, "base");
	wait_decisions(2);
	assert_merged("nothing");
	assert_string_equal(decision("nothing")->commit, base);
	assert_merged("base");
	assert_sh_equal(repo, base, "git rev-parse %s", INTEGRATION);
	assert_int_equal(oracle_runs(), 1);
	wfm_merge_queue_free(q);
	assert_user_untouched();
	free(none);
	free(base);
}

static void test_merge_queue__batch_all_pass(void **state)
{
	struct wfm_merge_opts o = opts();
	struct wfm_merge_queue *q;
	const char *names[] = { "b1", "b2", "b3", "b4" };
	char *tips[4];
	char *base = wfm_test_sh_trim(repo, "git rev-parse base");
	struct wfm_merge_stats st;

	for (size_t i = 0; i < 4; i++)
		tips[i] = branch(names[i], names[i][1] == '1'	? "echo 1 > f1"
					   : names[i][1] == '2' ? "echo 2 > f2"
					   : names[i][1] == '3' ? "echo 3 > f3"
								: "echo 4 > f4");
	o.batch_max = 4;
	o.batch_wait_ms = 10000;
	q = start(&o);
	for (size_t i = 0; i < 4; i++)
		submit(q, names[i]);
	wait_decisions(4);
	/* one oracle run after the baseline, one ref move */
	assert_int_equal(oracle_runs(), 2);
	assert_sh_equal(repo, "2", "git reflog show %s | wc -l", INTEGRATION);
	/* in submission order, each on the one before */
	for (size_t i = 0; i < 4; i++) {
		assert_merged(names[i]);
		assert_sh_equal(repo, i ? decision(names[i - 1])->commit : base,
				"git rev-parse %s^", decision(names[i])->commit);
	}
	assert_sh_equal(repo, decision("b4")->commit, "git rev-parse %s", INTEGRATION);
	assert_sh_equal(repo, "f1 f2 f3 f4", "git diff --name-only base %s | paste -sd' '",
			INTEGRATION);
	wfm_merge_queue_stats(q, &st);
	assert_int_equal(st.batches, 1);
	assert_int_equal(st.oracle_runs, 1);
	assert_int_equal(st.bisections, 0);
	/* the cost: the baseline apart, one batch of four */
	assert_int_equal(st.baseline_runs, 1);
	assert_int_equal(st.batched, 4);
	assert_int_equal(st.largest_batch, 4);
	assert_true(st.longest_ms >= st.baseline_ms &&
		    st.longest_ms <= st.oracle_ms + st.baseline_ms);
	wfm_merge_queue_free(q);
	assert_ref_only_at_passing_commits();
	assert_user_untouched();
	for (size_t i = 0; i < 4; i++)
		free(tips[i]);
	free(base);
}

/*
 * n branches f1..fn, those whose digit is in bad also adding "broken";
 * returns the oracle runs after the baseline.
 */
static unsigned long bisect_case(size_t n, const char *bad)
{
	struct wfm_merge_opts o = opts();
	struct wfm_merge_queue *q;
	struct wfm_merge_stats st;
	char name[32], cmd[64];
	unsigned long runs;

	for (size_t i = 1; i <= n; i++) {
		snprintf(name, sizeof(name), "f%zu", i);
		snprintf(cmd, sizeof(cmd), "echo %zu > %s%s", i, name,
			 strchr(bad, (int)('0' + i)) ? " && echo x > broken" : "");
		free(branch(name, cmd));
	}
	o.batch_max = n;
	o.batch_wait_ms = 10000;
	q = start(&o);
	for (size_t i = 1; i <= n; i++) {
		snprintf(name, sizeof(name), "f%zu", i);
		submit(q, name);
	}
	wait_decisions(n);
	for (size_t i = 1; i <= n; i++) {
		snprintf(name, sizeof(name), "f%zu", i);
		if (strchr(bad, (int)('0' + i)))
			assert_rejected(name, "oracle-failed", "oracle failed on");
		else
			assert_merged(name);
	}
	assert_sh_equal(repo, "", "git ls-tree --name-only %s broken", INTEGRATION);
	runs = oracle_runs() - 1;
	wfm_merge_queue_stats(q, &st);
	assert_int_equal(st.oracle_runs, runs);
	assert_int_equal(st.largest_batch, n);
	assert_true(st.batched >= n && st.baseline_runs == 1);
	print_message("bisect: %zu branches, bad %s: %lu oracle runs, %lu ref moves, "
		      "%lu bisection steps\n",
		      n, bad, runs, st.ref_moves, st.bisections);
	wfm_merge_queue_free(q);
	assert_ref_only_at_passing_commits();
	assert_user_untouched();
	return runs;
}

static void test_merge_queue__bisect_one_bad(void **state)
{
	const struct got *g;

	/* [1234] fails, [12] passes and lands, [3] fails, [4] is tried again and lands */
	assert_int_equal(bisect_case(4, "3"), 4);
	g = decision("f3");
	assert_non_null(strstr(g->detail, "exited 1"));
	assert_non_null(strstr(g->detail, "5 passed, 1 failed"));
	/* the line that says what failed, not the output's tail, is in the detail */
	assert_non_null(strstr(g->detail, "\n    ./check: cannot run with a broken file"));
	assert_string_equal(g->excerpt, "./check: cannot run with a broken file");
	assert_string_equal(g->tail, "./check: cannot run with a broken file\n5 passed, 1 failed");
	assert_null(decision("f1")->excerpt);
	assert_sh_equal(repo, "f1 f2 f4", "git diff --name-only base %s | paste -sd' '",
			INTEGRATION);
}

static void test_merge_queue__bisect_last_bad(void **state)
{
	/* [1234] fails, [12] lands, [3] lands, [4] is blamed without a run of its own */
	assert_int_equal(bisect_case(4, "4"), 3);
}

static void test_merge_queue__bisect_two_bad_of_eight(void **state)
{
	assert_int_equal(bisect_case(8, "36"), 8);
}

/* What the progress callback said, one line per call. */
static struct {
	pthread_mutex_t mu;
	struct wfm_buf said;
} told = { PTHREAD_MUTEX_INITIALIZER, WFM_BUF_INIT };

static void on_progress(void *data, const struct wfm_merge_progress *p)
{
	pthread_mutex_lock(&told.mu);
	switch (p->step) {
	case WFM_MERGE_TEST:
		wfm_buf_addf(&told.said, "test %lu %zu/%zu", p->batch, p->branches, p->of);
		for (size_t i = 0; i < p->branches; i++)
			wfm_buf_addf(&told.said, "%s%s", i ? "," : " ", p->names[i]);
		/* no cmocka assertion off the test's thread: what is wrong is written down */
		if (!p->commit || !p->onto)
			wfm_buf_adds(&told.said, " (no commit)");
		break;
	case WFM_MERGE_TESTED:
		wfm_buf_addf(&told.said, "tested %lu %s", p->batch, p->pass ? "pass" : p->why);
		if (!p->result)
			wfm_buf_adds(&told.said, " (no result)");
		break;
	case WFM_MERGE_LANDED:
		wfm_buf_addf(&told.said, "landed %lu %zu", p->batch, p->branches);
		if (strlen(p->commit) != WFM_OID_HEXSZ)
			wfm_buf_adds(&told.said, " (no commit)");
		break;
	case WFM_MERGE_DECIDED:
		wfm_buf_addf(&told.said, "decided %s %s", p->decision->branch,
			     p->decision->merged ? "merged" : p->decision->reason);
		break;
	}
	wfm_buf_addch(&told.said, '\n');
	pthread_mutex_unlock(&told.mu);
}

static void test_merge_queue__progress(void **state)
{
	struct wfm_merge_opts o = opts();
	struct wfm_merge_queue *q;
	char name[8];

	for (int i = 1; i <= 4; i++) {
		char cmd[64];

		snprintf(name, sizeof(name), "f%d", i);
		snprintf(cmd, sizeof(cmd), "echo %d > %s%s", i, name,
			 i == 3 ? " && echo x > broken" : "");
		free(branch(name, cmd));
	}
	o.batch_max = 4;
	o.batch_wait_ms = 10000;
	o.progress = on_progress;
	q = start(&o);
	for (int i = 1; i <= 4; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		submit(q, name);
	}
	wait_decisions(4);
	wfm_merge_queue_free(q);
	/* the baseline, the batch, each bisection step, each landing and each decision */
	assert_string_equal(
		told.said.ptr,
		"test 0 0/0\n"
		"tested 0 pass\n"
		"test 1 4/0 f1,f2,f3,f4\n"
		"tested 1 exited 1: 5 passed, 1 failed: ./check: cannot run with a broken file\n"
		"test 1 2/4 f1,f2\n"
		"tested 1 pass\n"
		"landed 1 2\n"
		"decided f1 merged\n"
		"decided f2 merged\n"
		"test 1 1/2 f3\n"
		"tested 1 exited 1: 5 passed, 1 failed: ./check: cannot run with a broken file\n"
		"decided f3 oracle-failed\n"
		"test 2 1/0 f4\n"
		"tested 2 pass\n"
		"landed 2 1\n"
		"decided f4 merged\n");
	wfm_buf_release(&told.said);
}

static void test_merge_queue__integrity_test_files(void **state)
{
	struct wfm_merge_opts o = opts();
	struct wfm_merge_queue *q;
	const char *mine[] = { "cases/**", NULL };

	free(branch("edit-test", "echo 'exit 0 # skip' > tests/t.sh"));
	free(branch("delete-test", "git rm -q tests/t.sh"));
	free(branch("add-test", "echo 'exit 0' > tests/new.sh"));
	free(branch("edit-case", "echo changed > cases/c1"));
	o.batch_max = 4;
	o.batch_wait_ms = 10000;
	q = start(&o);
	submit(q, "edit-test");
	submit(q, "delete-test");
	submit(q, "add-test");
	submit(q, "edit-case");
	wait_decisions(4);
	assert_rejected("edit-test", "integrity", "tests/t.sh modified (matches '**/tests/**')");
	assert_rejected("delete-test", "integrity", "tests/t.sh deleted");
	assert_merged("add-test");
	assert_merged("edit-case");
	assert_int_equal(oracle_runs(), 2);
	wfm_merge_queue_free(q);

	/* configured globs replace the defaults (a new run, new integration branch) */
	o = opts();
	o.run = "r2";
	o.test_globs = mine;
	o.batch_max = 2;
	o.batch_wait_ms = 10000;
	q = start(&o);
	submit(q, "edit-test");
	submit(q, "edit-case");
	wait_decisions(6);
	assert_int_equal(ds.v[4].merged + ds.v[5].merged, 1);
	for (size_t i = 4; i < 6; i++)
		if (!strcmp(ds.v[i].branch, "edit-case"))
			assert_string_equal(ds.v[i].reason, "integrity");
	wfm_merge_queue_free(q);
	assert_user_untouched();
}

static void test_merge_queue__integrity_fewer_passed(void **state)
{
	struct wfm_merge_opts o = opts();
	struct wfm_merge_queue *q;

	free(branch("drop-case", "git rm -q cases/c5"));
	free(branch("good", "echo g > g.txt"));
	free(branch("add-case", "echo 6 > cases/c6"));
	free(branch("drop-other", "git rm -q cases/c1"));
	free(branch("good2", "echo g > g2.txt"));
	free(branch("good3", "echo g > g3.txt"));
	o.batch_max = 2;
	o.batch_wait_ms = 10000;
	q = start(&o);
	/* a batch whose tests count drops is bisected like a failing one */
	submit(q, "good");
	submit(q, "drop-case");
	wait_decisions(2);
	assert_merged("good");
	assert_rejected("drop-case", "integrity", "4 tests passed on ");
	assert_rejected("drop-case", "integrity", "fewer than 5 on the base");
	assert_int_equal(decision("drop-case")->passed, 4);

	/* once 6 pass on the integration branch, 5 is too few (pairs: batch_max ends the wait) */
	submit(q, "add-case");
	submit(q, "good2");
	wait_decisions(4);
	assert_merged("add-case");
	assert_merged("good2");
	submit(q, "drop-other");
	submit(q, "good3");
	wait_decisions(6);
	assert_merged("good3");
	assert_rejected("drop-other", "integrity", "5 tests passed on ");
	assert_rejected("drop-other", "integrity",
			"fewer than 6 on the integration branch (5 on the base)");
	wfm_merge_queue_free(q);
	assert_ref_only_at_passing_commits();
	assert_user_untouched();
}

static void test_merge_queue__allow_test_edits(void **state)
{
	struct wfm_merge_opts o = opts();
	struct wfm_merge_queue *q;

	free(branch("edit-test", "echo 'exit 0 # new' > tests/t.sh"));
	free(branch("drop-case", "git rm -q cases/c5"));
	o.allow_test_edits = 1;
	q = start(&o);
	submit(q, "edit-test");
	wait_decisions(1);
	submit(q, "drop-case");
	wait_decisions(2);
	assert_merged("edit-test");
	assert_sh_equal(repo, "exit 0 # new", "git show %s:tests/t.sh", INTEGRATION);
	/* the passed count still may not drop */
	assert_rejected("drop-case", "integrity", "fewer than 5");
	wfm_merge_queue_free(q);
	assert_user_untouched();
}

static void test_merge_queue__scope(void **state)
{
	struct wfm_merge_opts o = opts();
	struct wfm_merge_queue *q;
	struct wfm_merge_stats st;

	free(scoped_branch("in", "base", "sed -i 's/^1$/one/' a.txt", "a.txt"));
	free(scoped_branch("out", "base",
			   "sed -i 's/^5$/five/' a.txt && echo d > d.txt && echo 55 > cases/c5",
			   "a.txt 'cases/c[1-4]'"));
	/* the agent's own commit claims everything; the scope of its last commit holds */
	free(wfm_test_sh_trim(
		repo, "git checkout -q -b forged-own base && echo f > f.txt && git add f.txt && "
		      "git commit -qm 'mine\n\nWfmigrate-Scope: **' && git checkout -q main"));
	free(scoped_branch("forged", "forged-own", "sed -i 's/^3$/three/' a.txt", "a.txt"));
	/* a fixer undoes its implementer's stray edit: the branch as a whole is in scope */
	free(scoped_branch("stray", "base", "sed -i 's/^9$/nine/' a.txt && echo s > s.txt",
			   "a.txt"));
	free(scoped_branch("fixed", "stray", "git rm -q s.txt", "a.txt"));
	free(branch("unscoped", "echo u > u.txt"));
	free(wfm_test_sh_trim(repo, "git branch allowed out"));
	snapshot();
	o.batch_max = 5;
	o.batch_wait_ms = 10000;
	q = start(&o);
	submit(q, "in");
	submit(q, "out");
	submit(q, "forged");
	submit(q, "fixed");
	submit(q, "unscoped");
	wait_decisions(5);
	assert_merged("in");
	assert_merged("fixed");
	assert_merged("unscoped");
	assert_rejected("out", "scope",
			"changes files outside its scope ('a.txt', 'cases/c[1-4]'):\n"
			"    cases/c5 modified\n    d.txt added");
	assert_string_equal(decision("out")->outside, "cases/c5 d.txt");
	assert_rejected("forged", "scope", "f.txt added");
	assert_string_equal(decision("forged")->outside, "f.txt");
	assert_null(decision("in")->outside);
	/* refused before any test: the baseline and one batch */
	assert_int_equal(oracle_runs(), 2);
	assert_sh_equal(repo, "", "git show %s:s.txt 2>/dev/null || :", INTEGRATION);
	assert_sh_equal(repo, "", "git show %s:d.txt 2>/dev/null || :", INTEGRATION);

	/* the script may allow it */
	assert_wfm_ok(wfm_merge_queue_submit(q, "allowed", NULL, WFM_MERGE_ALLOW_OUT_OF_SCOPE,
					     on_decision, NULL));
	wait_decisions(6);
	assert_merged("allowed");
	assert_sh_equal(repo, "d", "git show %s:d.txt", INTEGRATION);
	assert_sh_equal(repo, "55", "git show %s:cases/c5", INTEGRATION);
	wfm_merge_queue_stats(q, &st);
	assert_int_equal(st.rejected, 2);
	assert_int_equal(st.merged, 4);
	wfm_merge_queue_free(q);
	assert_ref_only_at_passing_commits();
	assert_user_untouched();
}

static void test_merge_queue__resume(void **state)
{
	struct wfm_merge_opts o = opts();
	struct wfm_summary baseline = { WFM_SUMMARY_PLAIN, 5, 0, 0, 5 };
	struct wfm_merge_queue *q = start(&o);
	char first[WFM_OID_HEXSZ + 1];
	unsigned long runs;

	free(branch("agent", "echo 1 > agent.txt && sed -i 's/^3$/three/' a.txt"));
	submit(q, "agent");
	wait_decisions(1);
	assert_merged("agent");
	snprintf(first, sizeof(first), "%s", ds.v[0].commit);
	wfm_merge_queue_free(q);

	/* a new queue on the same run keeps the branch; the merged tip is not tested again */
	runs = oracle_runs();
	o.baseline = &baseline;
	q = start(&o);
	assert_sh_equal(repo, first, "git rev-parse %s", INTEGRATION);
	submit(q, "agent");
	wait_decisions(2);
	assert_merged("agent");
	assert_string_equal(ds.v[1].commit, first);
	assert_non_null(strstr(ds.v[1].detail, "already merged"));
	assert_int_equal(oracle_runs(), runs);
	assert_sh_equal(repo, first, "git rev-parse %s", INTEGRATION);

	/* the agent went on: only its new change is squashed, counted from its merged tip */
	free(wfm_test_sh_trim(
		repo,
		"git checkout -q agent && sed -i 's/^three$/THREE/' a.txt && git commit -qam more "
		"&& git checkout -q main"));
	free(wfm_test_sh_trim(repo,
			      "git checkout -q -b other base && sed -i 's/^9$/nine/' a.txt && "
			      "git commit -qam other && git checkout -q main"));
	snapshot();
	submit(q, "other");
	wait_decisions(3);
	submit(q, "agent");
	wait_decisions(4);
	assert_merged("other");
	assert_merged("agent");
	assert_string_equal(ds.v[3].branch, "agent");
	assert_sh_equal(repo, "1 2 THREE 4 5 6 7 8 nine 10", "git show %s:a.txt | paste -sd' '",
			INTEGRATION);
	assert_sh_equal(repo, "a.txt", "git diff --name-only %s^ %s", ds.v[3].commit,
			ds.v[3].commit);
	wfm_merge_queue_free(q);
	assert_ref_only_at_passing_commits();
	assert_user_untouched();
}

static void test_merge_queue__stop(void **state)
{
	struct wfm_merge_opts o = opts();
	struct wfm_summary baseline = { WFM_SUMMARY_PLAIN, 5, 0, 0, 5 };
	struct wfm_merge_queue *q;
	struct wfm_buf cmd = WFM_BUF_INIT;
	struct timespec t0, t1;
	char *base = wfm_test_sh_trim(repo, "git rev-parse base");

	free(branch("s1", "echo 1 > s1"));
	free(branch("s2", "echo 2 > s2"));
	wfm_buf_addf(&cmd, "touch '%s/started'; sleep 30", tmp);
	o.oracle_cmd = cmd.ptr;
	o.baseline = &baseline;
	o.batch_max = 1;
	q = start(&o);
	submit(q, "s1");
	submit(q, "s2");
	/* wait for the oracle to be running on s1 */
	for (int i = 0; i < 600 && wfm_test_sh_status(tmp, "test -e started"); i++)
		usleep(50 * 1000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	wfm_merge_queue_stop(q);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* both decided by the time stop returns, the oracle killed */
	assert_int_equal(ds.nr, 2);
	assert_rejected("s1", "stopped", NULL);
	assert_rejected("s2", "stopped", NULL);
	assert_true(t1.tv_sec - t0.tv_sec < 10);
	/* later submissions are stopped too */
	submit(q, "s1");
	wait_decisions(3);
	assert_string_equal(ds.v[2].reason, "stopped");
	wfm_merge_queue_free(q);
	assert_sh_equal(repo, base, "git rev-parse %s", INTEGRATION);
	assert_user_untouched();
	wfm_buf_release(&cmd);
	free(base);
}

static void test_merge_queue__cancel_flag(void **state)
{
	struct wfm_merge_opts o = opts();
	struct wfm_summary baseline = { WFM_SUMMARY_PLAIN, 5, 0, 0, 5 };
	static volatile sig_atomic_t cancel;
	struct wfm_merge_queue *q;
	struct wfm_buf cmd = WFM_BUF_INIT;

	free(branch("c1", "echo 1 > c1"));
	wfm_buf_addf(&cmd, "touch '%s/started'; sleep 30", tmp);
	o.oracle_cmd = cmd.ptr;
	o.baseline = &baseline;
	o.cancel = &cancel;
	cancel = 0;
	q = start(&o);
	submit(q, "c1");
	for (int i = 0; i < 600 && wfm_test_sh_status(tmp, "test -e started"); i++)
		usleep(50 * 1000);
	cancel = 1;
	wait_decisions(1);
	assert_rejected("c1", "stopped", NULL);
	wfm_merge_queue_free(q);
	assert_user_untouched();
	wfm_buf_release(&cmd);
}

static void test_merge_queue__ref_moved_behind_our_back(void **state)
{
	struct wfm_merge_opts o = opts();
	struct wfm_summary baseline = { WFM_SUMMARY_PLAIN, 5, 0, 0, 5 };
	struct wfm_merge_queue *q;
	struct wfm_buf cmd = WFM_BUF_INIT;
	struct wfm_merge_stats st;
	char *ext = branch("ext", "echo e > ext.txt");
	char cur[WFM_OID_HEXSZ + 1];

	free(branch("mine", "echo m > mine.txt"));
	/* the first oracle run moves the branch, as another process would */
	wfm_buf_addf(&cmd,
		     "if ! test -e '%s/moved'; then touch '%s/moved'; "
		     "git update-ref %s %s; fi; %s",
		     tmp, tmp, INTEGRATION, ext, oracle);
	o.oracle_cmd = cmd.ptr;
	o.baseline = &baseline;
	q = start(&o);
	submit(q, "mine");
	wait_decisions(1);
	assert_merged("mine");
	/* squashed again onto the new tip and tested again */
	assert_sh_equal(repo, ext, "git rev-parse %s^", INTEGRATION);
	assert_sh_equal(repo, decision("mine")->commit, "git rev-parse %s", INTEGRATION);
	assert_sh_equal(repo, "e m", "git show %s:ext.txt %s:mine.txt | paste -sd' '", INTEGRATION,
			INTEGRATION);
	assert_string_equal(wfm_merge_queue_tip(q, cur), decision("mine")->commit);
	assert_int_equal(oracle_runs(), 2);
	wfm_merge_queue_stats(q, &st);
	assert_int_equal(st.ref_races, 1);
	assert_int_equal(st.ref_moves, 1);
	assert_int_equal(st.oracle_runs, 2);
	wfm_merge_queue_free(q);
	assert_user_untouched();
	wfm_buf_release(&cmd);
	free(ext);
}

static void test_merge_queue__branch_deleted(void **state)
{
	struct wfm_merge_opts o = opts();
	struct wfm_merge_queue *q = start(&o);

	free(branch("late", "echo l > l.txt"));
	free(wfm_test_sh_trim(repo, "git update-ref -d %s", INTEGRATION));
	submit(q, "late");
	wait_decisions(1);
	assert_rejected("late", "error", "was deleted");
	wfm_merge_queue_free(q);
	assert_user_untouched();
}

static void test_merge_queue__start_errors(void **state)
{
	struct wfm_merge_opts o = opts();
	struct wfm_merge_queue *q = NULL;
	struct wfm_buf cmd = WFM_BUF_INIT;

	/* an oracle that fails on the base cannot gate anything */
	free(wfm_test_sh_trim(
		repo, "git checkout -q -b broken-base base && echo x > broken && git add broken && "
		      "git commit -qm broken && git checkout -q main"));
	o.base = "broken-base";
	assert_int_equal(wfm_merge_queue_start(&q, pool, &o), WFM_ERROR);
	assert_non_null(strstr(wfm_error_last(), "oracle failed on base commit"));
	assert_null(q);
	/* and nothing was created */
	assert_int_equal(
		wfm_test_sh_status(repo, "git rev-parse -q --verify %s >/dev/null", INTEGRATION),
		1);

	/* an integration branch that is not on the base */
	o.base = "base";
	free(wfm_test_sh_trim(
		repo,
		"git checkout -q --orphan lonely && git commit -qm lonely && "
		"git checkout -q -f main && git branch -f wfmigrate/%s/integration lonely",
		RUN));
	assert_int_equal(wfm_merge_queue_start(&q, pool, &o), WFM_EINVALID);

	/* nor one checked out somewhere */
	free(wfm_test_sh_trim(repo,
			      "git branch -f wfmigrate/%s/integration base && "
			      "git worktree add -q wt wfmigrate/%s/integration",
			      RUN, RUN));
	assert_int_equal(wfm_merge_queue_start(&q, pool, &o), WFM_ELOCKED);
	assert_non_null(strstr(wfm_error_last(), "checked out"));
	free(wfm_test_sh_trim(
		repo,
		"git worktree remove --force wt && git branch -D -q lonely broken-base "
		"wfmigrate/%s/integration",
		RUN));
	snapshot();

	o.oracle_cmd = NULL;
	assert_int_equal(wfm_merge_queue_start(&q, pool, &o), WFM_EINVALID);
	wfm_buf_release(&cmd);
	assert_user_untouched();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_queue__globs),
		cmocka_unit_test_setup_teardown(test_merge_queue__clean_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_queue__conflict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_queue__empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_queue__batch_all_pass, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_queue__bisect_one_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_queue__bisect_last_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_queue__progress, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_queue__bisect_two_bad_of_eight, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_merge_queue__integrity_test_files, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_merge_queue__integrity_fewer_passed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_merge_queue__allow_test_edits, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_merge_queue__scope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_queue__resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_queue__stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_queue__cancel_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_queue__ref_moved_behind_our_back, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_merge_queue__branch_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_queue__start_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
