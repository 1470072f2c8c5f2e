#include "support/test.h"
#include "base/buf.h"
#include "base/strvec.h"
#include "git/repo.h"
#include "git/squash.h"

#include <time.h>

/*
 * A repository with a base commit (tag base) of ten numbered lines in
 * a.txt, b.txt and tests/t.sh; tests make branches from it.
 */
static char *repo;
static struct wfm_repo *r;

static int setup(void **state)
{
	assert_wfm_ok(wfm_git_init());
	repo = wfm_test_repo_new();
	free(wfm_test_sh(repo, "seq 1 10 > a.txt && echo b > b.txt && mkdir tests && "
			       "echo 'exit 0' > tests/t.sh && git add -A && "
			       "git commit -qm base && git tag base"));
	assert_wfm_ok(wfm_repo_open(&r, repo));
	return 0;
}

static int teardown(void **state)
{
	wfm_repo_free(r);
	wfm_test_rmtree(repo);
	free(repo);
	wfm_git_shutdown();
	return 0;
}

static char *rev(const char *what)
{
	return wfm_test_sh_trim(repo, "git rev-parse '%s'", what);
}

/* Makes branch name from base with one commit running cmd (in the main worktree). */
static char *branch(const char *name, const char *cmd)
{
	free(wfm_test_sh(repo,
			 "git checkout -q -b '%s' base && { %s; } && git add -A && "
			 "git commit -q --allow-empty -m '%s' && git checkout -q main",
			 name, cmd, name));
	return rev(name);
}

static void test_squash__clean(void **state)
{
	char out[WFM_OID_HEXSZ + 1], again[WFM_OID_HEXSZ + 1];
	char *feat = branch("feat", "sed -i 's/^2$/two/' a.txt");
	char *onto = branch("onto", "echo changed > b.txt");
	char *refs =
		wfm_test_sh_trim(repo, "git for-each-ref --format='%%(refname) %%(objectname)'");
	char *got;
	int empty = -1;

	assert_wfm_ok(wfm_squash(out, &empty, r, onto, feat, "base", "squash feat\n\nbody"));
	assert_int_equal(empty, 0);
	assert_int_equal(strlen(out), WFM_OID_HEXSZ);
	assert_sh_equal(repo, onto, "git rev-parse '%s^'", out);
	assert_sh_equal(repo, "3", "git rev-list --count '%s'", out);
	assert_sh_equal(repo, "two", "git show '%s:a.txt' | sed -n 2p", out);
	assert_sh_equal(repo, "changed", "git show '%s:b.txt'", out);
	assert_sh_equal(repo, "squash feat\n\nbody", "git log -1 --format=%%B '%s'", out);
	got = wfm_test_sh_trim(repo, "git log -1 --format='%%an <%%ae>' '%s'", feat);
	assert_sh_equal(repo, got, "git log -1 --format='%%an <%%ae>' '%s'", out);
	free(got);

	/* from defaults to the merge base: the same tree */
	assert_wfm_ok(wfm_squash(again, &empty, r, onto, "feat", NULL, "again"));
	got = wfm_test_sh_trim(repo, "git rev-parse '%s^{tree}'", again);
	assert_sh_equal(repo, got, "git rev-parse '%s^{tree}'", out);
	free(got);

	/* no ref moved, nothing checked out */
	assert_sh_equal(repo, refs, "git for-each-ref --format='%%(refname) %%(objectname)'");
	assert_sh_equal(repo, "", "git status --porcelain");
	assert_sh_equal(repo, "refs/heads/main", "git symbolic-ref HEAD");
	free(wfm_test_sh(repo, "git fsck --strict 2>&1"));
	free(feat);
	free(onto);
	free(refs);
}

static void test_squash__conflict(void **state)
{
	char first[WFM_OID_HEXSZ + 1], out[WFM_OID_HEXSZ + 1];
	char *one = branch("one", "sed -i 's/^5$/five/' a.txt");
	char *two = branch("two", "sed -i 's/^5$/FIVE/' a.txt && echo x > b.txt");
	int empty = -1, rc;

	assert_wfm_ok(wfm_squash(first, &empty, r, "base", one, "base", "one"));
	rc = wfm_squash(out, &empty, r, first, two, "base", "two");
	assert_int_equal(rc, WFM_ECONFLICT);
	assert_string_equal(out, "");
	assert_non_null(strstr(wfm_error_last(), "conflict in 'a.txt'"));
	assert_null(strstr(wfm_error_last(), "b.txt"));

	/* other lines of the same file merge */
	free(two);
	two = branch("three", "sed -i 's/^9$/nine/' a.txt");
	assert_wfm_ok(wfm_squash(out, &empty, r, first, two, "base", "three"));
	assert_sh_equal(repo, "1 2 3 4 five 6 7 8 nine 10", "git show '%s:a.txt' | paste -sd' '",
			out);

	assert_int_equal(wfm_squash(out, &empty, r, "base", "nonexistent", "base", "x"),
			 WFM_ENOTFOUND);
	free(one);
	free(two);
}

static void test_squash__empty(void **state)
{
	char first[WFM_OID_HEXSZ + 1], out[WFM_OID_HEXSZ + 1];
	char *nothing = branch("nothing", "true");
	char *one = branch("same1", "echo same > c.txt");
	char *two = branch("same2", "echo same > c.txt");
	char *base = rev("base");
	int empty = -1;

	assert_wfm_ok(wfm_squash(out, &empty, r, "base", nothing, "base", "nothing"));
	assert_int_equal(empty, 1);
	assert_string_equal(out, base);

	/* a change the target holds already */
	assert_wfm_ok(wfm_squash(first, &empty, r, "base", one, "base", "one"));
	assert_int_equal(empty, 0);
	assert_wfm_ok(wfm_squash(out, &empty, r, first, two, "base", "two"));
	assert_int_equal(empty, 1);
	assert_string_equal(out, first);
	free(nothing);
	free(one);
	free(two);
	free(base);
}

static void test_squash__changes(void **state)
{
	struct wfm_changes ch = WFM_CHANGES_INIT;
	struct wfm_strvec paths = WFM_STRVEC_INIT;
	char *tip = branch("changes", "echo new > new.txt && git mv b.txt renamed.txt && "
				      "git rm -q tests/t.sh && sed -i 's/^1$/one/' a.txt");
	struct wfm_buf got = WFM_BUF_INIT;

	assert_wfm_ok(wfm_changes_list(&ch, r, "base", tip));
	for (size_t i = 0; i < ch.nr; i++)
		wfm_buf_addf(&got, "%c %s\n", ch.v[i].kind, ch.v[i].path);
	assert_string_equal(got.ptr, "M a.txt\nD b.txt\nA new.txt\nA renamed.txt\nD tests/t.sh\n");
	wfm_changes_release(&ch);

	assert_wfm_ok(wfm_changed_paths(&paths, r, "base", tip));
	assert_int_equal(paths.nr, 5);
	assert_string_equal(paths.v[1], "b.txt");
	wfm_strvec_clear(&paths);

	/* from the empty tree: everything is added */
	assert_wfm_ok(wfm_changes_list(&ch, r, NULL, "base"));
	assert_int_equal(ch.nr, 3);
	assert_int_equal(ch.v[2].kind, WFM_CHANGE_ADDED);
	wfm_changes_release(&ch);

	/* nothing between a commit and itself */
	assert_wfm_ok(wfm_changes_list(&ch, r, tip, tip));
	assert_int_equal(ch.nr, 0);
	wfm_changes_release(&ch);
	wfm_buf_release(&got);
	free(tip);
}

static void test_squash__ref_cas(void **state)
{
	const char *ref = "refs/heads/wfmigrate/cas/integration";
	char *base = rev("base");
	char *other = branch("cas-other", "echo o > o.txt");
	char *lock;
	struct timespec t0, t1;
	int rc;

	/* create: must not exist */
	assert_wfm_ok(wfm_ref_cas(r, ref, base, NULL, "create"));
	assert_sh_equal(repo, base, "git rev-parse '%s'", ref);
	assert_int_equal(wfm_ref_cas(r, ref, other, "", "again"), WFM_EEXISTS);

	/* update from the right value */
	assert_wfm_ok(wfm_ref_cas(r, ref, other, base, "move"));
	assert_sh_equal(repo, other, "git rev-parse '%s'", ref);

	/* from a wrong value: refused, unchanged */
	rc = wfm_ref_cas(r, ref, base, base, "stale");
	assert_int_equal(rc, WFM_ELOCKED);
	assert_non_null(strstr(wfm_error_last(), "not at"));
	assert_sh_equal(repo, other, "git rev-parse '%s'", ref);

	/* the reflog has each value */
	{
		struct wfm_buf want = WFM_BUF_INIT;

		wfm_buf_addf(&want, "%s %s", other, base);
		assert_sh_equal(repo, want.ptr, "git reflog show --format=%%H '%s' | paste -sd' '",
				ref);
		wfm_buf_release(&want);
	}

	/* a missing ref */
	assert_int_equal(wfm_ref_cas(r, "refs/heads/wfmigrate/cas/none", base, other, NULL),
			 WFM_ENOTFOUND);

	/* a lock held by someone else that is never released: about a second, then refused */
	lock = wfm_test_sh_trim(repo, "echo %s/.git/refs/heads/wfmigrate/cas/integration.lock",
				repo);
	free(wfm_test_sh(repo, "echo x > '%s'", lock));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = wfm_ref_cas(r, ref, base, other, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(rc < 0);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	unlink(lock);
	free(lock);
	assert_sh_equal(repo, other, "git rev-parse '%s'", ref);

	/* a branch checked out in a worktree is never moved */
	free(wfm_test_sh(repo, "git worktree add -q wt-cas wfmigrate/cas/integration"));
	rc = wfm_ref_cas(r, ref, base, other, NULL);
	assert_int_equal(rc, WFM_ELOCKED);
	assert_non_null(strstr(wfm_error_last(), "checked out"));
	assert_sh_equal(repo, other, "git rev-parse '%s'", ref);
	free(wfm_test_sh(repo, "git worktree remove --force wt-cas"));

	/* bad ids */
	assert_int_equal(wfm_ref_cas(r, ref, "HEAD", other, NULL), WFM_EINVALID);
	free(wfm_test_sh(repo, "git update-ref -d '%s'", ref));
	free(base);
	free(other);
}

static void test_squash__log_and_from(void **state)
{
	struct wfm_squash_log log = WFM_SQUASH_LOG_INIT;
	struct wfm_buf msg = WFM_BUF_INIT;
	char c1[WFM_OID_HEXSZ + 1], c2[WFM_OID_HEXSZ + 1], c3[WFM_OID_HEXSZ + 1];
	char from[WFM_OID_HEXSZ + 1];
	char *base = rev("base");
	char *a1 = branch("agent", "echo 1 > agent.txt");
	char *b1 = branch("other", "echo 1 > other.txt");
	char *a2;
	const struct wfm_squash_entry *e;
	int empty;

	wfm_buf_addf(&msg,
		     "merge agent\n\n" WFM_TRAILER_BRANCH ": agent\n" WFM_TRAILER_COMMIT ": %s\n",
		     a1);
	assert_wfm_ok(wfm_squash(c1, &empty, r, "base", a1, NULL, msg.ptr));
	/* the trailers are read from the last paragraph, whatever comes before */
	wfm_buf_clear(&msg);
	wfm_buf_addf(&msg,
		     "merge other\n\n---\nnot a patch\n\nwfmigrate-branch:   other  \n"
		     "Wfmigrate-Commit: %s\n\n",
		     b1);
	assert_wfm_ok(wfm_squash(c2, &empty, r, c1, b1, NULL, msg.ptr));
	/* a commit without trailers in between is skipped */
	free(wfm_test_sh(repo, "git commit-tree -p %s -m plain %s^{tree} > plain.id", c2, c2));
	{
		char *plain = wfm_test_sh_trim(repo, "cat plain.id && rm plain.id");

		snprintf(c3, sizeof(c3), "%s", plain);
		free(plain);
	}

	assert_wfm_ok(wfm_squash_log_read(&log, r, c3, base));
	assert_int_equal(log.nr, 2);
	assert_string_equal(log.v[0].commit, c2);
	assert_string_equal(log.v[0].branch, "other");
	assert_string_equal(log.v[0].tip, b1);
	assert_string_equal(log.v[1].commit, c1);
	assert_string_equal(log.v[1].branch, "agent");
	e = wfm_squash_log_find(&log, a1);
	assert_non_null(e);
	assert_string_equal(e->commit, c1);
	assert_null(wfm_squash_log_find(&log, base));

	/* appending from c3 back to c1 adds only c2 */
	wfm_squash_log_release(&log);
	assert_wfm_ok(wfm_squash_log_read(&log, r, c3, c1));
	assert_int_equal(log.nr, 1);
	wfm_squash_log_release(&log);
	assert_wfm_ok(wfm_squash_log_read(&log, r, c3, base));

	/* the agent went on after its merge: counted from its merged commit */
	free(wfm_test_sh(repo, "git checkout -q agent && echo 2 > agent2.txt && git add -A && "
			       "git commit -qm more && git checkout -q main"));
	a2 = rev("agent");
	assert_wfm_ok(wfm_squash_from(from, r, a2, c3, &log));
	assert_string_equal(from, a1);
	/* without the log: the merge base */
	assert_wfm_ok(wfm_squash_from(from, r, a2, c3, NULL));
	assert_string_equal(from, base);
	/* unrelated history: "" */
	free(wfm_test_sh(repo, "git checkout -q --orphan lonely && git commit -qm lonely && "
			       "git checkout -q -f main"));
	assert_wfm_ok(wfm_squash_from(from, r, "lonely", c3, &log));
	assert_string_equal(from, "");

	assert_int_equal(wfm_is_ancestor(r, base, c3), 1);
	assert_int_equal(wfm_is_ancestor(r, c3, c3), 1);
	assert_int_equal(wfm_is_ancestor(r, c3, base), 0);
	assert_int_equal(wfm_is_ancestor(r, a1, c3), 0);

	wfm_squash_log_release(&log);
	wfm_buf_release(&msg);
	free(base);
	free(a1);
	free(a2);
	free(b1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_squash__clean),	cmocka_unit_test(test_squash__conflict),
		cmocka_unit_test(test_squash__empty),	cmocka_unit_test(test_squash__changes),
		cmocka_unit_test(test_squash__ref_cas), cmocka_unit_test(test_squash__log_and_from),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
