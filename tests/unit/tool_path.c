#include "support/test.h"
#include "agent/tools.h"
#include "base/fs.h"

#include <sys/stat.h>

/*
 * wfm_tool_path: confinement of the paths a model names, on a real
 * directory tree with real links:
 *
 *   <base>/out/secret              outside the worktree
 *   <base>/wt/                     the worktree (git init: .git is a directory)
 *   <base>/wt/a.txt
 *   <base>/wt/sub/                 a directory
 *   <base>/wt/linkdir  -> ../out   a link to a directory outside
 *   <base>/wt/linkfile -> ../out/secret
 *   <base>/wt/sub/up   -> ../../out   a link out in a parent of the path
 *   <base>/wt/alias    -> a.txt    a link that stays inside
 *   <base>/wt/g        -> .git     a link to .git
 *   <base>/wt/dangle   -> ../out/nothing   dangling, leads out
 *   <base>/wt/dangdir  -> ../out/nodir     dangling, as a directory
 *   <base>/wl          -> wt       the worktree reached through a link
 */

struct fx {
	char *base, *wt, *wt_real, *out;
};

static int setup(void **state)
{
	struct fx *f = wfm_calloc(1, sizeof(*f));

	f->base = wfm_test_tmpdir();
	f->wt = wfm_fs_join(f->base, "wt");
	f->out = wfm_fs_join(f->base, "out");
	free(wfm_test_sh(f->base,
			 "mkdir -p out wt/sub && echo secret > out/secret && cd wt && "
			 "git init -q && echo a > a.txt && ln -s ../out linkdir && "
			 "ln -s ../out/secret linkfile && ln -s ../../out sub/up && "
			 "ln -s a.txt alias && ln -s .git g && ln -s ../out/nothing dangle && "
			 "ln -s ../out/nodir dangdir && cd .. && ln -s wt wl"));
	f->wt_real = realpath(f->wt, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	wfm_test_rmtree(f->base);
	free(f->base);
	free(f->wt);
	free(f->wt_real);
	free(f->out);
	free(f);
	return 0;
}

/* Asserts that path is refused with code and a message containing what. */
static void refused(struct fx *f, const char *path, int for_write, int code, const char *what)
{
	char *out = (char *)"unchanged";
	int rc = wfm_tool_path(&out, f->wt, path, for_write);

	if (rc != code)
		fail_msg("'%s' (%s): expected %d, got %d (%s)", path, for_write ? "write" : "read",
			 code, rc, rc < 0 ? wfm_error_last() : out);
	assert_null(out);
	if (!strstr(wfm_error_last(), what))
		fail_msg("'%s': message '%s' lacks '%s'", path, wfm_error_last(), what);
}

static void allowed(struct fx *f, const char *path, int for_write, const char *expect_rel)
{
	char *out = NULL, *expect = wfm_fs_join(f->wt_real, expect_rel);

	assert_wfm_ok(wfm_tool_path(&out, f->wt, path, for_write));
	assert_string_equal(out, expect);
	free(out);
	free(expect);
}

static void test_tool_path__dotdot(void **state)
{
	struct fx *f = *state;

	refused(f, "../x", 0, WFM_EINVALID, "'../x' is outside the worktree");
	refused(f, "../x", 1, WFM_EINVALID, "outside the worktree");
	refused(f, "sub/../../out/secret", 0, WFM_EINVALID, "outside the worktree");
	refused(f, "./sub/../..", 0, WFM_EINVALID, "outside the worktree");
	/* ".." that stays inside is fine */
	allowed(f, "sub/../a.txt", 0, "a.txt");
	allowed(f, "./sub/./../a.txt", 0, "a.txt");
	allowed(f, "sub//new/../new.c", 1, "sub/new.c");
}

static void test_tool_path__absolute(void **state)
{
	struct fx *f = *state;
	char *p;

	refused(f, "/etc/passwd", 0, WFM_EINVALID, "outside the worktree");
	refused(f, "/etc/passwd", 1, WFM_EINVALID, "outside the worktree");
	p = wfm_fs_join(f->out, "secret");
	refused(f, p, 0, WFM_EINVALID, "outside the worktree");
	free(p);
	/* a sibling whose name starts with the worktree's */
	p = wfm_fs_join(f->base, "wtx/a");
	refused(f, p, 1, WFM_EINVALID, "outside the worktree");
	free(p);
	/* "<wt>/../out/secret": lexically outside */
	p = wfm_fs_join(f->wt, "../out/secret");
	refused(f, p, 0, WFM_EINVALID, "outside the worktree");
	free(p);
	p = wfm_fs_join(f->wt, "a.txt");
	allowed(f, p, 0, "a.txt");
	free(p);
	p = wfm_fs_join(f->wt_real, "sub/x/y.c");
	allowed(f, p, 1, "sub/x/y.c");
	free(p);
	allowed(f, f->wt, 0, "");
}

static void test_tool_path__symlinks_out(void **state)
{
	struct fx *f = *state;

	refused(f, "linkdir/secret", 0, WFM_EINVALID, "outside the worktree");
	refused(f, "linkdir/secret", 1, WFM_EINVALID, "outside the worktree");
	refused(f, "linkdir/new", 1, WFM_EINVALID, "outside the worktree");
	refused(f, "linkdir", 0, WFM_EINVALID, "outside the worktree");
	refused(f, "linkfile", 0, WFM_EINVALID, "outside the worktree");
	refused(f, "linkfile", 1, WFM_EINVALID, "outside the worktree");
	refused(f, "sub/up/secret", 0, WFM_EINVALID, "outside the worktree");
	refused(f, "sub/up/new/deeper", 1, WFM_EINVALID, "outside the worktree");
	/* a link that stays inside resolves to its target */
	allowed(f, "alias", 0, "a.txt");
	allowed(f, "alias", 1, "a.txt");
}

static void test_tool_path__dangling(void **state)
{
	struct fx *f = *state;

	refused(f, "dangle", 1, WFM_EINVALID, "symbolic link");
	refused(f, "dangle", 0, WFM_EINVALID, "symbolic link");
	refused(f, "dangdir/x", 1, WFM_EINVALID, "symbolic link");
	refused(f, "dangdir/x/y", 1, WFM_EINVALID, "symbolic link");
}

static void test_tool_path__git(void **state)
{
	struct fx *f = *state;
	char *p;

	refused(f, ".git/config", 1, WFM_EINVALID, "'.git/config' is in .git: not writable");
	refused(f, ".git/config", 0, WFM_EINVALID, "not readable");
	refused(f, ".git", 0, WFM_EINVALID, "in .git");
	refused(f, ".git", 1, WFM_EINVALID, "in .git");
	refused(f, ".git/hooks/new-hook", 1, WFM_EINVALID, "in .git");
	refused(f, "sub/../.git/HEAD", 0, WFM_EINVALID, "in .git");
	refused(f, ".GIT/config", 1, WFM_EINVALID, "in .git");
	refused(f, "sub/.git/config", 1, WFM_EINVALID, "in .git");
	/* through a link named otherwise */
	refused(f, "g/config", 1, WFM_EINVALID, "in .git");
	refused(f, "g", 0, WFM_EINVALID, "in .git");
	p = wfm_fs_join(f->wt, ".git/config");
	refused(f, p, 1, WFM_EINVALID, "in .git");
	free(p);
	/* a name that only starts like it is fine */
	allowed(f, ".github/workflows/ci.yml", 1, ".github/workflows/ci.yml");
	allowed(f, ".gitignore", 1, ".gitignore");
}

static void test_tool_path__missing(void **state)
{
	struct fx *f = *state;

	refused(f, "nope.c", 0, WFM_ENOTFOUND, "'nope.c' does not exist");
	refused(f, "sub/nope/x.c", 0, WFM_ENOTFOUND, "does not exist");
	allowed(f, "nope.c", 1, "nope.c");
	allowed(f, "new/dir/x.c", 1, "new/dir/x.c");
	refused(f, "a.txt/x", 1, WFM_EINVALID, "not a directory");
	refused(f, "", 0, WFM_EINVALID, "empty");
}

/* The worktree named through a link: paths under either name are inside. */
static void test_tool_path__root_through_link(void **state)
{
	struct fx *f = *state;
	char *wl = wfm_fs_join(f->base, "wl"), *out = NULL, *p;

	assert_wfm_ok(wfm_tool_path(&out, wl, "a.txt", 0));
	p = wfm_fs_join(f->wt_real, "a.txt");
	assert_string_equal(out, p);
	free(out);
	free(p);
	p = wfm_fs_join(wl, "sub/n.c");
	assert_wfm_ok(wfm_tool_path(&out, wl, p, 1));
	free(out);
	free(p);
	p = wfm_fs_join(f->wt_real, "a.txt");
	assert_wfm_ok(wfm_tool_path(&out, wl, p, 0));
	free(out);
	free(p);
	assert_int_equal(wfm_tool_path(&out, wl, "../out/secret", 0), WFM_EINVALID);
	free(wl);
}

/* Pool slots live under <git-common-dir>/wfmigrate/pool: a root inside a .git directory. */
static void test_tool_path__root_under_git(void **state)
{
	struct fx *f = *state;
	char *root = wfm_fs_join(f->wt, ".git/wfmigrate/pool/s1"), *out = NULL, *p;

	free(wfm_test_sh(f->wt, "mkdir -p .git/wfmigrate/pool/s1/src && "
				"echo 'gitdir: x' > .git/wfmigrate/pool/s1/.git && "
				"echo c > .git/wfmigrate/pool/s1/src/c.c"));
	assert_wfm_ok(wfm_tool_path(&out, root, "src/c.c", 0));
	free(out);
	assert_wfm_ok(wfm_tool_path(&out, root, "src/new.c", 1));
	free(out);
	p = wfm_fs_join(root, "src/c.c");
	assert_wfm_ok(wfm_tool_path(&out, root, p, 1));
	free(out);
	free(p);
	assert_int_equal(wfm_tool_path(&out, root, ".git", 0), WFM_EINVALID);
	assert_int_equal(wfm_tool_path(&out, root, "../../config", 0), WFM_EINVALID);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tool_path__dotdot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tool_path__absolute, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tool_path__symlinks_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tool_path__dangling, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tool_path__git, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tool_path__missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tool_path__root_through_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tool_path__root_under_git, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
