#include "support/test.h"
#include "base/buf.h"
#include "base/glob.h"
#include "base/strvec.h"
#include "git/repo.h"
#include "git/scope.h"
#include "git/squash.h"

/*
 * A repository whose base commit (tag base) has src/a.c, src/b.c,
 * include/api.h and Makefile; tests make commits on top of it with the
 * Wfmigrate-Scope trailers an agent's commit carries.
 */
static char *repo;
static struct wfm_repo *r;

static int setup(void **state)
{
	assert_wfm_ok(wfm_git_init());
	repo = wfm_test_repo_new();
	free(wfm_test_sh(repo, "mkdir src include sub && echo a > src/a.c && echo b > src/b.c && "
			       "echo api > include/api.h && echo all: > Makefile && "
			       "echo sub > sub/Makefile && git add -A && git commit -qm base && "
			       "git tag base"));
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

/* Runs cmd, then commits everything with message msg (printf-style \n allowed); returns the id. */
static char *commit(const char *cmd, const char *msg)
{
	free(wfm_test_sh(repo,
			 "{ %s; } && git add -A && git commit -q --allow-empty -F - <<'EOF'\n"
			 "%s\nEOF",
			 cmd, msg));
	return wfm_test_sh_trim(repo, "git rev-parse HEAD");
}

/* The strvec joined with spaces (a new string). */
static char *joined(const struct wfm_strvec *v)
{
	struct wfm_buf b = WFM_BUF_INIT;

	for (size_t i = 0; i < v->nr; i++)
		wfm_buf_addf(&b, "%s%s", i ? " " : "", v->v[i]);
	return wfm_buf_detach(&b, NULL);
}

static void assert_scope(const char *from, const char *tip, const char *want)
{
	struct wfm_strvec got = WFM_STRVEC_INIT;
	char *s;

	assert_wfm_ok(wfm_scope_read(&got, r, from, tip));
	s = joined(&got);
	assert_string_equal(s, want);
	free(s);
	wfm_strvec_clear(&got);
}

static void test_scope__check_glob(void **state)
{
	static const char *const good[] = { "src/a.c", "*.h",	"include/**", "/Makefile",
					    "**",      "a b.c", "src/[ab].c", "\\*weird" };
	static const struct {
		const char *glob, *why;
	} bad[] = {
		{ "", "non-empty" },
		{ "src/a.c\nWfmigrate-Scope: **", "line break" },
		{ "a\tb", "control character" },
		{ " src/a.c", "starts or ends with a space" },
		{ "src/a.c ", "starts or ends with a space" },
		{ "include/", "ends with '/': 'include/**' is everything under a directory" },
		{ "/", "ends with '/'" },
		{ "./src/a.c", "'.' or '..' component" },
		{ "src/../include/api.h", "'.' or '..' component" },
		{ "src//a.c", "empty, '.' or '..' component" },
		{ "//a.c", "empty" },
	};

	for (size_t i = 0; i < WFM_ARRAY_SIZE(good); i++)
		assert_wfm_ok(wfm_scope_check_glob(good[i]));
	for (size_t i = 0; i < WFM_ARRAY_SIZE(bad); i++) {
		if (wfm_scope_check_glob(bad[i].glob) != WFM_EINVALID)
			fail_msg("'%s' was taken", bad[i].glob);
		if (!strstr(wfm_error_last(), bad[i].why))
			fail_msg("'%s': '%s' not in: %s", bad[i].glob, bad[i].why,
				 wfm_error_last());
	}
	assert_int_equal(wfm_scope_check_glob(NULL), WFM_EINVALID);
}

static void test_scope__trailer_values(void **state)
{
	struct wfm_strvec v = WFM_STRVEC_INIT;
	char *s;

	/* only the last paragraph counts, the key in any case, values trimmed */
	wfm_trailer_values(&v,
			   "impl: x\n\nWfmigrate-Scope: not/a/trailer.c\n\n"
			   "Wfmigrate-Run: r\nwfmigrate-scope:  src/a.c \n"
			   "Wfmigrate-Scope: include/*.h\nWfmigrate-Scoped: no\n\n\n",
			   WFM_TRAILER_SCOPE);
	s = joined(&v);
	assert_string_equal(s, "src/a.c include/*.h");
	free(s);
	wfm_strvec_clear(&v);
	wfm_trailer_values(&v, "no trailers at all", WFM_TRAILER_SCOPE);
	wfm_trailer_values(&v, "", WFM_TRAILER_SCOPE);
	assert_int_equal(v.nr, 0);
}

static void test_scope__read_newest_wins(void **state)
{
	char *none = commit("echo 1 >> src/a.c", "plain work");
	char *impl = commit("echo 2 >> src/a.c",
			    "impl: a\n\nWfmigrate-Run: r\nWfmigrate-Role: implementer\n"
			    "Wfmigrate-Scope: src/a.c\nWfmigrate-Scope: include/*.h");
	char *own = commit("echo 3 >> src/b.c", "an agent's own commit\n\nWfmigrate-Scope: **");
	char *fix = commit("echo 4 >> src/a.c",
			   "fix: a\n\nWfmigrate-Role: fixer\nWfmigrate-Scope: src/a.c");
	char *after = commit("echo 5 >> src/a.c", "unscoped work on top");

	/* the newest scoped commit on the first-parent line decides */
	assert_scope("base", fix, "src/a.c");
	assert_scope("base", own, "**");
	assert_scope("base", impl, "src/a.c include/*.h");
	assert_scope("base", after, "src/a.c");
	/* nothing scoped between from and tip: no scope */
	assert_scope("base", none, "");
	assert_scope(fix, after, "");
	assert_scope(NULL, none, "");
	assert_scope("", after, "src/a.c");
	assert_int_equal(wfm_scope_read(&(struct wfm_strvec)WFM_STRVEC_INIT, r, "base", "nope"),
			 WFM_ENOTFOUND);
	free(none);
	free(impl);
	free(own);
	free(fix);
	free(after);
}

static void test_scope__outside(void **state)
{
	const char *const scope[] = { "src/a.c", "include/*.h", "/Makefile", NULL };
	struct wfm_changes out = WFM_CHANGES_INIT;
	char *tip = commit("echo x >> src/a.c && echo x >> include/api.h && echo x >> Makefile && "
			   "echo x >> sub/Makefile && echo new > include/new.h && "
			   "git mv src/b.c src/c.c && echo x > include/deep.h.txt",
			   "work");

	assert_wfm_ok(wfm_scope_outside(&out, r, "base", tip, scope));
	assert_int_equal(out.nr, 4);
	/* sorted; a rename is its two paths; '/Makefile' is the top-level one only */
	assert_string_equal(out.v[0].path, "include/deep.h.txt");
	assert_int_equal(out.v[0].kind, WFM_CHANGE_ADDED);
	assert_string_equal(out.v[1].path, "src/b.c");
	assert_int_equal(out.v[1].kind, WFM_CHANGE_DELETED);
	assert_string_equal(out.v[2].path, "src/c.c");
	assert_int_equal(out.v[2].kind, WFM_CHANGE_ADDED);
	assert_string_equal(out.v[3].path, "sub/Makefile");
	assert_int_equal(out.v[3].kind, WFM_CHANGE_MODIFIED);
	wfm_changes_release(&out);

	/* everything in scope: nothing */
	{
		const char *const all[] = { "**", NULL };

		assert_wfm_ok(wfm_scope_outside(&out, r, "base", tip, all));
		assert_int_equal(out.nr, 0);
	}
	/* no globs at all: every change is outside */
	assert_wfm_ok(wfm_scope_outside(&out, r, "base", tip, NULL));
	assert_int_equal(out.nr, 8);
	wfm_changes_release(&out);
	free(tip);
}

static void test_scope__glob_first(void **state)
{
	const char *const globs[] = { "/Makefile", "*.h", NULL };

	assert_string_equal(wfm_glob_first(globs, "Makefile"), "/Makefile");
	assert_null(wfm_glob_first(globs, "sub/Makefile"));
	assert_string_equal(wfm_glob_first(globs, "a/b/c.h"), "*.h");
	assert_null(wfm_glob_first(NULL, "a.h"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scope__check_glob),
		cmocka_unit_test(test_scope__trailer_values),
		cmocka_unit_test(test_scope__glob_first),
		cmocka_unit_test_setup_teardown(test_scope__read_newest_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope__outside, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
