#include "support/test.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/strvec.h"
#include "engine/workflow.h"

static void test_workflow__is_path(void **state)
{
	(void)state;
	assert_true(wfm_workflow_is_path("./migrate"));
	assert_true(wfm_workflow_is_path("dir/migrate"));
	assert_true(wfm_workflow_is_path("/abs/wf"));
	assert_true(wfm_workflow_is_path("migrate.js"));
	assert_true(wfm_workflow_is_path("a.js"));
	assert_false(wfm_workflow_is_path("migrate"));
	assert_false(wfm_workflow_is_path(".js")); /* nothing before the suffix: a name */
	assert_false(wfm_workflow_is_path("a.jsx"));
	assert_false(wfm_workflow_is_path("my.js.name"));
	assert_false(wfm_workflow_is_path(""));
}

static void test_workflow__find_takes_a_path_as_it_is(void **state)
{
	struct wfm_workflow_where where = WFM_WORKFLOW_WHERE_INIT;
	char *dir = wfm_test_tmpdir(), *out = NULL;

	(void)state;
	free(wfm_test_sh(dir, "mkdir sub && echo 'export const meta = {}' > sub/wf.js"));
	where.cwd = dir;
	assert_wfm_ok(wfm_workflow_find(&out, "sub/wf.js", &where));
	assert_non_null(strstr(out, "/sub/wf.js"));
	assert_int_equal(out[0], '/');
	free(out);
	out = NULL;
	/* a path is never looked up by name: missing is missing */
	assert_int_equal(wfm_workflow_find(&out, "sub/none.js", &where), WFM_ENOTFOUND);
	assert_non_null(strstr(wfm_error_last(), "cannot read workflow 'sub/none.js'"));
	assert_null(out);
	wfm_test_rmtree(dir);
	free(dir);
}

/* The rubric's path, or the error's message, as a string to compare (free()). */
static char *find_rubric(const char *name, const struct wfm_workflow_where *where, int want)
{
	char *out = NULL;
	int rc = wfm_rubric_find(&out, name, where);

	assert_int_equal(rc, want);
	if (rc < 0) {
		assert_null(out);
		return wfm_strdup(wfm_error_last());
	}
	return out;
}

static void test_workflow__rubric_find(void **state)
{
	struct wfm_workflow_where where = WFM_WORKFLOW_WHERE_INIT;
	char *dir = wfm_test_tmpdir(), *data = NULL, *top = NULL, *home = NULL, *got, *want;
	const char *old = getenv("WFMIGRATE_DATADIR");
	char *saved = old ? wfm_strdup(old) : NULL;

	(void)state;
	data = wfm_fs_join(dir, "share");
	top = wfm_fs_join(dir, "repo");
	home = wfm_fs_join(dir, "home");
	free(wfm_test_sh(dir, "mkdir share repo home"));
	wfm_test_write(data, "rubrics/migration.md", "built-in\n");
	wfm_test_write(data, "rubrics/security.md", "built-in\n");
	setenv("WFMIGRATE_DATADIR", data, 1);
	where.top = top;
	where.cwd = top;
	where.home = home;

	/* the built-in one, from the data directory */
	got = find_rubric("migration", &where, 0);
	want = wfm_fs_join(data, "rubrics/migration.md");
	assert_string_equal(got, want);
	free(got);
	free(want);
	/* overridden as workflows are: ~/.claude, then .wfmigrate, then .claude win */
	wfm_test_write(home, ".claude/rubrics/migration.md", "home\n");
	got = find_rubric("migration", &where, 0);
	assert_non_null(strstr(got, "/home/.claude/rubrics/migration.md"));
	free(got);
	wfm_test_write(top, ".wfmigrate/rubrics/migration.md", "own\n");
	got = find_rubric("migration", &where, 0);
	assert_non_null(strstr(got, "/repo/.wfmigrate/rubrics/migration.md"));
	free(got);
	wfm_test_write(top, ".claude/rubrics/migration.md", "repo\n");
	got = find_rubric("migration", &where, 0);
	assert_non_null(strstr(got, "/repo/.claude/rubrics/migration.md"));
	free(got);

	/* an unknown name says where it looked and what there is, with a hint */
	got = find_rubric("migraton", &where, WFM_ENOTFOUND);
	assert_non_null(strstr(got, "no rubric named 'migraton'; did you mean 'migration'?"));
	assert_non_null(strstr(got, "looked for migraton.md in "));
	assert_non_null(strstr(got, "/repo/.claude/rubrics, "));
	assert_non_null(strstr(got, "the built-ins); there are: migration ("));
	assert_non_null(strstr(got, "security (built-in)"));
	free(got);

	/* a name is a file name without .md */
	for (const char *const *bad = (const char *const[]){ "../x", "a/b", ".hidden",
							     "migration.md", "", "a b", NULL };
	     *bad; bad++) {
		got = find_rubric(*bad, &where, WFM_EINVALID);
		assert_non_null(strstr(got, "is not a rubric name"));
		free(got);
	}

	if (saved)
		setenv("WFMIGRATE_DATADIR", saved, 1);
	else
		unsetenv("WFMIGRATE_DATADIR");
	free(saved);
	wfm_test_rmtree(dir);
	free(data);
	free(top);
	free(home);
	free(dir);
}

/* The saved workflows' files, repository's first, then the user's, then the built-ins. */
static void test_workflow__list(void **state)
{
	struct wfm_workflow_where where = WFM_WORKFLOW_WHERE_INIT;
	struct wfm_workflow_info *list = NULL;
	size_t nr = 0;
	char *dir = wfm_test_tmpdir();
	struct wfm_buf want = WFM_BUF_INIT, all = WFM_BUF_INIT;

	(void)state;
	free(wfm_test_sh(dir, "mkdir -p top/.claude/workflows top/.wfmigrate/workflows "
			      "home/.claude/workflows && touch top/.claude/workflows/b.js "
			      "top/.claude/workflows/a.js top/.claude/workflows/notes.md "
			      "top/.wfmigrate/workflows/c.js home/.claude/workflows/d.js"));
	where.top = wfm_fs_join(dir, "top");
	where.home = wfm_fs_join(dir, "home");
	assert_int_equal(wfm_workflow_list(&list, &nr, &where), 0);
	for (size_t i = 0; i < nr; i++) {
		if (list[i].place == WFM_WORKFLOW_BUILTIN)
			continue;
		/* empty files: listed with why they do not load */
		assert_non_null(list[i].error);
		wfm_buf_addf(&all, "%s\n", list[i].path);
	}
	wfm_buf_addf(&want,
		     "%s/top/.claude/workflows/a.js\n%s/top/.claude/workflows/b.js\n"
		     "%s/top/.wfmigrate/workflows/c.js\n%s/home/.claude/workflows/d.js\n",
		     dir, dir, dir, dir);
	assert_string_equal(all.ptr, want.ptr);
	wfm_workflow_info_free(list, nr);
	free((char *)where.top);
	free((char *)where.home);
	wfm_buf_release(&want);
	wfm_buf_release(&all);
	wfm_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workflow__is_path),
		cmocka_unit_test(test_workflow__find_takes_a_path_as_it_is),
		cmocka_unit_test(test_workflow__rubric_find),
		cmocka_unit_test(test_workflow__list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
