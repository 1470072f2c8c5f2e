#include "support/test.h"
#include "git/pathspec.h"
#include "git/repo.h"
#include "git/tree.h"

/* The tracked files of the fixture (as git ls-files lists them). */
static const char *const files[] = {
	".hidden/h.c", "Doc/b.md",	"README",      "Readme.md",	  "a.c",      "b.h",
	"doc/a.md",    "foo bar/baz.c", "lib/src/q.c", "src/[br]acket.c", "src/a.c",  "src/a.cc",
	"src/b.c",     "src/x/a.c",	"src/x/y.c",   "src/x/z/w.c",	  "we*ird.c", NULL,
};

/*
 * The files of the fixture that the pathspecs (NULL-terminated, typed in
 * the directory prefix) take, one a line; "error: <message>" when they do
 * not parse. Each expectation below is what git 2.39 printed for the same
 * pathspecs in the same tree (git ls-files --full-name, or git grep -l
 * with exclusions).
 */
static char *matches(const char *prefix, const char *const *specs)
{
	struct wfm_pathspec ps = WFM_PATHSPEC_INIT;
	struct wfm_pathspec_base base = { (char *)prefix, NULL };
	struct wfm_buf b = WFM_BUF_INIT;

	for (; *specs; specs++)
		if (wfm_pathspec_add(&ps, *specs, &base) < 0) {
			wfm_buf_addf(&b, "error: %s", wfm_error_last());
			goto done;
		}
	for (const char *const *f = files; *f; f++)
		if (wfm_pathspec_match(&ps, *f, NULL))
			wfm_buf_addf(&b, "%s\n", *f);
done:
	wfm_pathspec_release(&ps);
	return wfm_buf_detach(&b, NULL);
}

#define assert_matches(prefix, want, ...)                                                          \
	do {                                                                                       \
		const char *specs_[] = { __VA_ARGS__, NULL };                                      \
		char *got_ = matches((prefix), specs_);                                            \
		assert_string_equal(got_, (want));                                                 \
		free(got_);                                                                        \
	} while (0)

static void test_pathspec__plain(void **state)
{
	assert_matches("", "src/a.c\n", "src/a.c");
	/* a directory, with or without its slash; not a name that begins the same */
	assert_matches("", "src/x/a.c\nsrc/x/y.c\nsrc/x/z/w.c\n", "src/x");
	assert_matches("", "src/x/a.c\nsrc/x/y.c\nsrc/x/z/w.c\n", "src/x/");
	assert_matches("", "", "src/x/a");
	/* '*' and '?' match '/' too */
	assert_matches("",
		       ".hidden/h.c\na.c\nfoo bar/baz.c\nlib/src/q.c\nsrc/[br]acket.c\n"
		       "src/a.c\nsrc/b.c\nsrc/x/a.c\nsrc/x/y.c\nsrc/x/z/w.c\nwe*ird.c\n",
		       "*.c");
	assert_matches("", "a.c\nsrc/a.c\nsrc/x/a.c\n", "*/a.c", "a.c");
	assert_matches("", "a.c\n", "?.c");
	assert_matches("", "src/x/z/w.c\n", "src/**/w.c");
	assert_matches("", "a.c\nb.h\n", "[ab].[ch]");
	assert_matches("", "b.h\n", "[!a].*");
	assert_matches("", "b.h\n", "[^a].*");
	assert_matches("", "Doc/b.md\nReadme.md\n", "[[:upper:]]*[[:lower:]]?[[:alpha:]]*");
	/* a name with wildcard characters matches itself, and escapes */
	assert_matches("", "src/[br]acket.c\n", "src/[br]acket.c");
	assert_matches("", "src/[br]acket.c\n", "src/\\[br\\]acket.c");
	assert_matches("", "we*ird.c\n", "we\\*ird.c");
	assert_matches("", "foo bar/baz.c\n", "foo bar");
	/* normalised as git does */
	assert_matches("", "src/a.c\n", "doc/../src/a.c");
	assert_matches("", "src/a.c\n", "./src/./a.c");
	assert_matches("", "src/a.c\n", "src//a.c");
}

static void test_pathspec__magic(void **state)
{
	/* glob: '*' stops at '/', "**" spans directories */
	assert_matches("", "a.c\nwe*ird.c\n", ":(glob)*.c");
	assert_matches("", "src/[br]acket.c\nsrc/a.c\nsrc/b.c\n", ":(glob)src/*.c");
	assert_matches("", "src/[br]acket.c\nsrc/a.c\nsrc/b.c\nsrc/x/a.c\nsrc/x/y.c\nsrc/x/z/w.c\n",
		       ":(glob)src/**/*.c");
	assert_matches("", "a.c\nsrc/a.c\nsrc/x/a.c\n", ":(glob)**/a.c");
	assert_matches("", "src/x/z/w.c\n", ":(glob)src/**/z/*");
	assert_matches("", "src/x/a.c\n", ":(glob)*/*/a.c");
	/* literal: no wildcards */
	assert_matches("", "we*ird.c\n", ":(literal)we*ird.c");
	assert_matches("", "", ":(literal)*.c");
	/* icase, alone and with glob */
	assert_matches("", "README\nReadme.md\n", ":(icase)readme*");
	assert_matches("", "Doc/b.md\ndoc/a.md\n", ":(icase)DOC");
	assert_matches("", "Doc/b.md\ndoc/a.md\n", ":(icase,glob)doc/*.MD");
	/* exclusions, in every spelling; alone they leave out of everything */
	assert_matches("", "src/[br]acket.c\nsrc/a.c\nsrc/a.cc\nsrc/b.c\n", "src", ":!src/x");
	assert_matches("", "src/[br]acket.c\nsrc/a.c\nsrc/a.cc\nsrc/b.c\n", "src", ":^src/x");
	assert_matches("", "src/[br]acket.c\nsrc/a.c\nsrc/a.cc\nsrc/b.c\n", "src",
		       ":(exclude)src/x/");
	assert_matches("", "Doc/b.md\nREADME\nReadme.md\nb.h\ndoc/a.md\nsrc/a.cc\n", ":!*.c");
	/* an exclusion wins over every inclusion (git grep; ls-files 2.39 differs) */
	assert_matches("", "src/x/a.c\n", ":(glob)src/x/*", ":(exclude,glob)**/y.c", "src/x/y.c");
	/* top, long and short */
	assert_matches("src/", "lib/src/q.c\n", ":(top)lib");
	assert_matches("src/", "a.c\n", ":/a.c");
	assert_matches("src/", "src/a.c\n", ":/!a.c", ":/src/a.c");
	assert_matches("src/", "", ":/!src/a.c", ":/src/a.c");
	assert_matches("", "src/a.c\n", "::src/a.c");
	/* short magic ends at a second ':' or at the first other character */
	assert_matches("", "src/a.c\n", ":/:src/a.c");
}

static void test_pathspec__relative(void **state)
{
	assert_matches("src/",
		       "src/[br]acket.c\nsrc/a.c\nsrc/b.c\nsrc/x/a.c\nsrc/x/y.c\nsrc/x/z/w.c\n",
		       "*.c");
	assert_matches("src/", "src/[br]acket.c\nsrc/a.c\nsrc/b.c\n", ":(glob)*.c");
	assert_matches("src/", "src/x/a.c\nsrc/x/y.c\nsrc/x/z/w.c\n", "x");
	assert_matches("src/", "lib/src/q.c\n", "../lib");
	assert_matches("src/x/", "a.c\n", "../../a.c");
	assert_matches("src/", "src/a.c\nsrc/a.cc\nsrc/x/a.c\n", ".", ":!*b*", ":!*y*", ":!*w*");
	/* the directory part is the current directory's name, never a pattern */
	assert_matches("src/", "", "../*/q.c", ":(exclude)../*");
	assert_matches("", "error: '..' is outside the repository", "..");
}

static void test_pathspec__errors(void **state)
{
	assert_matches("",
		       "error: an empty string is not a valid pathspec: use '.' to mean every path",
		       "");
	assert_matches("", "error: '../x' is outside the repository", "../x");
	assert_matches("src/", "error: '../../x' is outside the repository", "../../x");
	assert_matches("", "error: invalid pathspec magic 'blob' in ':(blob)x'", ":(blob)x");
	assert_matches("", "error: missing ')' at the end of pathspec magic in ':(glob'", ":(glob");
	assert_matches("",
		       "error: 'literal' and 'glob' are incompatible pathspec magic: "
		       "':(literal,glob)x'",
		       ":(literal,glob)x");
	assert_matches("", "error: pathspec magic 'attr' is not supported here: ':(attr:a)x'",
		       ":(attr:a)x");
	assert_matches("", "error: unimplemented pathspec magic '#' in ':#x'", ":#x");
	assert_int_equal(wfm_pathspec_add(&(struct wfm_pathspec)WFM_PATHSPEC_INIT, "", NULL),
			 WFM_EINVALID);
}

static void test_pathspec__absolute(void **state)
{
	struct wfm_pathspec ps = WFM_PATHSPEC_INIT;
	char *dir = wfm_test_tmpdir(), *top = realpath(dir, NULL), abs[4096];
	struct wfm_pathspec_base base = { "sub/", top };

	snprintf(abs, sizeof(abs), "%s/lib/x.c", top);
	assert_wfm_ok(wfm_pathspec_add(&ps, abs, &base));
	assert_string_equal(ps.v[0].match, "lib/x.c");
	snprintf(abs, sizeof(abs), "%s", top);
	assert_wfm_ok(wfm_pathspec_add(&ps, abs, &base));
	assert_string_equal(ps.v[1].match, "");
	assert_int_equal(wfm_pathspec_add(&ps, "/elsewhere/x.c", &base), WFM_ENOTFOUND);
	assert_int_equal(wfm_pathspec_add(&ps, "/x.c", NULL), WFM_ENOTFOUND);
	wfm_pathspec_release(&ps);
	wfm_test_rmtree(dir);
	free(dir);
	free(top);
}

/* Saved as canonical, read back from the top: the same files. */
static void test_pathspec__canonical(void **state)
{
	static const struct {
		const char *prefix, *typed, *canonical;
	} cases[] = {
		{ "", "src/a.c", "src/a.c" },
		{ "src/", "../lib", "lib" },
		{ "src/", ".", "src/" },
		{ "", ".", "." },
		{ "src/", ":(glob)*.c", ":(glob)src/*.c" },
		{ "src/", ":!x", ":(exclude)src/x" },
		{ "src/", ":/a.c", "a.c" },
		{ "", ":(icase,literal)A*", ":(literal,icase)A*" },
		{ "s[1]/", "*.c", ":(prefix:5)s[1]/*.c" },
		{ "S2/", ":(icase)b.c", ":(icase,prefix:3)S2/b.c" },
		{ "", ":(top):x", ":(top):x" },
	};

	for (size_t i = 0; i < WFM_ARRAY_SIZE(cases); i++) {
		struct wfm_pathspec ps = WFM_PATHSPEC_INIT, again = WFM_PATHSPEC_INIT;
		struct wfm_pathspec_base base = { (char *)cases[i].prefix, NULL };
		char *c;

		assert_wfm_ok(wfm_pathspec_add(&ps, cases[i].typed, &base));
		c = wfm_pathspec_canonical(&ps.v[0]);
		assert_string_equal(c, cases[i].canonical);
		assert_wfm_ok(wfm_pathspec_add(&again, c, NULL));
		assert_string_equal(again.v[0].match, ps.v[0].match);
		assert_int_equal(again.v[0].magic & ~WFM_PATHSPEC_TOP,
				 ps.v[0].magic & ~WFM_PATHSPEC_TOP);
		assert_int_equal(again.v[0].literal, ps.v[0].literal);
		free(c);
		wfm_pathspec_release(&ps);
		wfm_pathspec_release(&again);
	}
}

static void test_pathspec__may_match_under(void **state)
{
	struct wfm_pathspec ps = WFM_PATHSPEC_INIT;

	assert_true(wfm_pathspec_may_match_under(&ps, "anything/"));
	assert_wfm_ok(wfm_pathspec_add(&ps, "src/x/*.c", NULL));
	assert_wfm_ok(wfm_pathspec_add(&ps, ":!lib", NULL));
	assert_true(wfm_pathspec_may_match_under(&ps, "src/"));
	assert_true(wfm_pathspec_may_match_under(&ps, "src/x/"));
	assert_true(wfm_pathspec_may_match_under(&ps, "src/x/deeper/"));
	assert_false(wfm_pathspec_may_match_under(&ps, "src/y/"));
	assert_false(wfm_pathspec_may_match_under(&ps, "lib/"));
	wfm_pathspec_release(&ps);
}

/* Against a real tree: a pathspec that takes no file is named as typed. */
static void test_pathspec__tree_check(void **state)
{
	char *dir = wfm_test_repo_new();
	struct wfm_repo *r = NULL;
	struct wfm_pathspec ps = WFM_PATHSPEC_INIT;
	struct wfm_pathspec_base base = { "src/", NULL };
	struct wfm_tree_files tf = WFM_TREE_FILES_INIT;
	const char *specs[] = { ":(glob)src/*.c", ":!src/b.c" };
	size_t n = 0;

	assert_wfm_ok(wfm_git_init());
	wfm_test_write(dir, "src/a.c", "a\n");
	wfm_test_write(dir, "src/b.c", "b\n");
	wfm_test_write(dir, "src/sub/c.c", "c\n");
	wfm_test_write(dir, "README", "r\n");
	free(wfm_test_sh(dir, "git add -A && git commit -qm files"));
	assert_wfm_ok(wfm_repo_open(&r, dir));

	assert_wfm_ok(wfm_pathspec_add(&ps, "*.c", &base));
	assert_wfm_ok(wfm_pathspec_add(&ps, ":!../README", &base));
	assert_wfm_ok(wfm_tree_pathspec_check(&n, r, NULL, &ps));
	assert_int_equal(n, 3);
	assert_wfm_ok(wfm_pathspec_add(&ps, "../nope.c", &base));
	assert_int_equal(wfm_tree_pathspec_check(&n, r, "HEAD", &ps), WFM_ENOTFOUND);
	assert_string_equal(wfm_error_last(),
			    "pathspec '../nope.c' did not match any file at 'HEAD'");

	assert_wfm_ok(wfm_tree_files_list(&tf, r, NULL, specs, 2));
	assert_int_equal(tf.nr, 1);
	assert_string_equal(tf.v[0].path, "src/a.c");
	wfm_tree_files_release(&tf);

	wfm_pathspec_release(&ps);
	wfm_repo_free(r);
	wfm_git_shutdown();
	wfm_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pathspec__plain),
		cmocka_unit_test(test_pathspec__magic),
		cmocka_unit_test(test_pathspec__relative),
		cmocka_unit_test(test_pathspec__errors),
		cmocka_unit_test(test_pathspec__absolute),
		cmocka_unit_test(test_pathspec__canonical),
		cmocka_unit_test(test_pathspec__may_match_under),
		cmocka_unit_test(test_pathspec__tree_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
