#include "support/test.h"
#include "base/fs.h"

/* Every test but join's gets a fresh temporary directory as *state. */
static int tmpdir_setup(void **state)
{
	*state = wfm_test_tmpdir();
	return 0;
}

static int tmpdir_teardown(void **state)
{
	wfm_test_rmtree(*state);
	free(*state);
	return 0;
}

/* Checked with the shell, not with the functions under test. */
static int present(const char *dir, const char *rel)
{
	return wfm_test_sh_status(dir, "test -e '%s' || test -L '%s'", rel, rel) == 0;
}

static void assert_join(const char *dir, const char *name, const char *want)
{
	char *got = wfm_fs_join(dir, name);

	if (strcmp(got, want))
		fail_msg("join('%s', '%s') gave '%s', expected '%s'", dir, name, got, want);
	free(got);
}

static void test_fs__join_without_slashes(void **state)
{
	assert_join("a", "b", "a/b");
	assert_join("/x/y", "z/w", "/x/y/z/w");
	assert_join("a", "b.lock", "a/b.lock");
}

static void test_fs__join_with_slashes(void **state)
{
	assert_join("a/", "b", "a/b");
	assert_join("a", "/b", "a/b");
	assert_join("a//", "//b/", "a/b/");
	assert_join("/", "b", "/b");
	assert_join("//", "/b", "/b");
	assert_join("", "b", "b");
	assert_join("", "/b", "/b");
	assert_join("a/", "", "a/");
}

static void assert_dirname(const char *path, const char *want)
{
	char *got = wfm_fs_dirname(path);

	if (strcmp(got, want))
		fail_msg("dirname '%s': got '%s', expected '%s'", path, got, want);
	free(got);
}

static void test_fs__dirname(void **state)
{
	assert_dirname("/a/b/c.js", "/a/b");
	assert_dirname("a/b", "a");
	assert_dirname("/a", "/");
	assert_dirname("/", "/");
	assert_dirname("a", ".");
	assert_dirname("", ".");
	assert_dirname("a/b/", "a/b");
}

/* Whether dir/rel is a directory, and whether anything is there. */
static void assert_kind(const char *dir, const char *rel, int is_dir, int exists)
{
	char *p = wfm_fs_join(dir, rel);

	if (wfm_fs_is_dir(p) != is_dir || wfm_fs_exists(p) != exists)
		fail_msg("'%s': is_dir %d exists %d, expected %d %d", rel, wfm_fs_is_dir(p),
			 wfm_fs_exists(p), is_dir, exists);
	free(p);
}

static void test_fs__is_dir_and_exists(void **state)
{
	const char *dir = *state;

	free(wfm_test_sh(dir, "mkdir d && touch f && ln -s d to-d && ln -s nowhere dangling"));
	assert_kind(dir, "d", 1, 1);
	assert_kind(dir, "f", 0, 1);
	assert_kind(dir, "to-d", 1, 1);
	assert_kind(dir, "dangling", 0, 1);
	assert_kind(dir, "missing", 0, 0);
}

static void test_fs__mkdir_p_nested(void **state)
{
	const char *dir = *state;
	char *p = wfm_fs_join(dir, "a/b/c"), *q = wfm_fs_join(dir, "x/y/");

	assert_wfm_ok(wfm_fs_mkdir_p(p));
	assert_int_equal(wfm_test_sh_status(dir, "test -d a/b/c"), 0);
	assert_wfm_ok(wfm_fs_mkdir_p(q));
	assert_int_equal(wfm_test_sh_status(dir, "test -d x/y"), 0);
	free(p);
	free(q);
}

static void test_fs__mkdir_p_existing(void **state)
{
	const char *dir = *state;
	char *p = wfm_fs_join(dir, "a/b"), *link = wfm_fs_join(dir, "l");

	assert_wfm_ok(wfm_fs_mkdir_p(dir));
	assert_wfm_ok(wfm_fs_mkdir_p(p));
	free(wfm_test_sh(dir, "touch a/b/keep && ln -s a/b l"));
	assert_wfm_ok(wfm_fs_mkdir_p(p));
	assert_true(present(dir, "a/b/keep"));
	/* a link to a directory is as good as the directory, as for mkdir -p */
	assert_wfm_ok(wfm_fs_mkdir_p(link));
	free(p);
	free(link);
}

static void test_fs__mkdir_p_fails_on_a_file_in_the_way(void **state)
{
	const char *dir = *state;
	char *f = wfm_fs_join(dir, "f"), *under = wfm_fs_join(dir, "f/sub");

	free(wfm_test_sh(dir, "echo data > f"));
	assert_int_equal(wfm_fs_mkdir_p(under), WFM_ERROR);
	assert_non_null(strstr(wfm_error_last(), "cannot create '"));
	assert_non_null(strstr(wfm_error_last(), under));
	assert_non_null(strstr(wfm_error_last(), strerror(ENOTDIR)));
	/* the file itself is in the way too: it is not a directory */
	assert_int_equal(wfm_fs_mkdir_p(f), WFM_ERROR);
	assert_non_null(strstr(wfm_error_last(), strerror(EEXIST)));
	assert_int_equal(wfm_test_sh_status(dir, "test -f f && test \"$(cat f)\" = data"), 0);
	assert_int_equal(wfm_fs_mkdir_p(""), WFM_ERROR);
	free(f);
	free(under);
}

static void test_fs__rmtree_keeps_what_links_point_to(void **state)
{
	const char *dir = *state;
	char *tree = wfm_fs_join(dir, "tree"), *link = wfm_fs_join(dir, "link");

	free(wfm_test_sh(dir, "mkdir -p tree/sub/deeper outside/inner && "
			      "echo keep > outside/inner/file && echo keep > outside/top && "
			      "ln -s ../../outside tree/sub/to-outside && "
			      "ln -s \"$PWD/outside/top\" tree/to-file && "
			      "ln -s \"$PWD/outside\" tree/sub/deeper/absolute && "
			      "echo x > tree/sub/file && ln -s outside link"));
	assert_wfm_ok(wfm_fs_rmtree(tree));
	assert_false(present(dir, "tree"));
	assert_true(present(dir, "outside/inner/file"));
	assert_true(present(dir, "outside/top"));
	/* path itself a link: the link goes, not the directory it points to */
	assert_wfm_ok(wfm_fs_rmtree(link));
	assert_false(present(dir, "link"));
	assert_true(present(dir, "outside/inner/file"));
	free(tree);
	free(link);
}

static void test_fs__rmtree_missing_path(void **state)
{
	const char *dir = *state;
	char *p = wfm_fs_join(dir, "missing"), *q = wfm_fs_join(dir, "no/such/thing");

	assert_wfm_ok(wfm_fs_rmtree(p));
	assert_wfm_ok(wfm_fs_rmtree(q));
	assert_true(present(dir, "."));
	free(p);
	free(q);
}

static void test_fs__rmtree_read_only_directory(void **state)
{
	const char *dir = *state;
	char *tree = wfm_fs_join(dir, "tree");

	free(wfm_test_sh(dir, "mkdir -p tree/ro/locked && echo x > tree/ro/file && "
			      "echo y > tree/ro/locked/file && chmod 0 tree/ro/locked && "
			      "chmod 0500 tree/ro && chmod 0555 tree"));
	assert_wfm_ok(wfm_fs_rmtree(tree));
	assert_false(present(dir, "tree"));
	free(tree);
}

/* $TMPDIR/<prefix>XXXXXX<suffix>, mode 0600, with the data; none left when TMPDIR is no directory
 */
static void test_fs__write_temp(void **state)
{
	const char *dir = *state;
	char *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL, *path = NULL, *out;
	char *missing = wfm_fs_join(dir, "missing");

	setenv("TMPDIR", dir, 1);
	assert_wfm_ok(wfm_fs_write_temp(&path, "wfm-x-", ".js", "a\0b", 3));
	assert_int_equal(strncmp(path, dir, strlen(dir)), 0);
	assert_non_null(strstr(path, "/wfm-x-"));
	assert_int_equal(strcmp(path + strlen(path) - 3, ".js"), 0);
	out = wfm_test_sh(dir, "stat -c %%a '%s' && od -An -c '%s' | tr -s ' '", path, path);
	assert_string_equal(out, "600\n a \\0 b\n");
	free(out);
	unlink(path);
	free(path);

	setenv("TMPDIR", missing, 1);
	path = (char *)1;
	assert_true(wfm_fs_write_temp(&path, "wfm-x-", ".js", "a", 1) < 0);
	assert_null(path);
	assert_non_null(strstr(wfm_error_last(), "cannot create a file in"));
	if (old)
		setenv("TMPDIR", old, 1);
	else
		unsetenv("TMPDIR");
	free(old);
	free(missing);
}

#define tmpdir_test(f) cmocka_unit_test_setup_teardown(f, tmpdir_setup, tmpdir_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fs__join_without_slashes),
		cmocka_unit_test(test_fs__join_with_slashes),
		cmocka_unit_test(test_fs__dirname),
		tmpdir_test(test_fs__is_dir_and_exists),
		tmpdir_test(test_fs__mkdir_p_nested),
		tmpdir_test(test_fs__mkdir_p_existing),
		tmpdir_test(test_fs__mkdir_p_fails_on_a_file_in_the_way),
		tmpdir_test(test_fs__rmtree_keeps_what_links_point_to),
		tmpdir_test(test_fs__rmtree_missing_path),
		tmpdir_test(test_fs__rmtree_read_only_directory),
		tmpdir_test(test_fs__write_temp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
