#include "support/test.h"
#include "agent/schema.h"
#include "engine/planner.h"
#include "git/repo.h"

static void commit(const char *dir, const char *msg)
{
	free(wfm_test_sh(dir, "git add -A && git commit -qm '%s'", msg));
}

static char *profile(const char *dir, const char *oracle)
{
	struct wfm_buf out = WFM_BUF_INIT;
	struct wfm_repo *r = NULL;
	char base[WFM_OID_HEXSZ + 1];

	assert_wfm_ok(wfm_repo_open(&r, dir));
	assert_wfm_ok(wfm_repo_resolve_commit(base, r, "HEAD"));
	assert_wfm_ok(wfm_planner_profile(&out, r, base, oracle));
	wfm_repo_free(r);
	return wfm_buf_detach(&out, NULL);
}

/* The profile reads the base commit: counts, languages and units, the oracle, the README's head. */
static void test_planner__profile(void **state)
{
	char *dir = wfm_test_repo_new(), *got;
	struct wfm_buf readme = WFM_BUF_INIT;

	(void)state;
	for (int i = 1; i <= 50; i++)
		wfm_buf_addf(&readme, "readme line %d\n", i);
	wfm_test_write(dir, "README.md", readme.ptr);
	wfm_test_write(dir, "src/a.c", "int f(void) { return 1; }\nint g(void) { return 2; }\n");
	wfm_test_write(dir, "tools/b.py", "def h():\n    return 3\n");
	wfm_test_write(dir, "notes.txt", "notes\n");
	commit(dir, "one");
	/* not committed: the profile does not see it */
	wfm_test_write(dir, "src/c.c", "int k(void) { return 4; }\n");
	wfm_test_write(dir, "README.md", "changed\n");

	got = profile(dir, "make test");
	assert_non_null(strstr(got, "tracked files: 4\n"));
	assert_non_null(strstr(got, "languages (files and chunk() units): c 1 file, 2 units; "
				    "python 1 file, 1 unit; other 2 files, 2 units\n"));
	assert_non_null(strstr(got, "test command (the oracle): make test\n"));
	assert_non_null(strstr(got, "README.md, its first 40 lines:\n    readme line 1\n"));
	assert_non_null(strstr(got, "    readme line 40\n"));
	assert_null(strstr(got, "readme line 41"));
	assert_null(strstr(got, "changed"));
	free(got);

	free(wfm_test_sh(dir, "git rm -qf README.md && git commit -qm two"));
	got = profile(dir, NULL);
	assert_non_null(strstr(got, "README: none at the top\n"));
	assert_non_null(strstr(got, "test command (the oracle): none"));
	free(got);

	wfm_buf_release(&readme);
	wfm_test_rmtree(dir);
	free(dir);
}

static const char *after(const char *s, const char *what, const char *from)
{
	const char *at = strstr(from, what);

	if (!at)
		fail_msg("'%s' is not in the prompt (after offset %td):\n%s", what, from - s, s);
	return at + strlen(what);
}

/* The shared parts first (cacheable), in order; then the repository, the goal, the retry. */
static void test_planner__prompt(void **state)
{
	struct wfm_planner_prompt p = { 0 };
	struct wfm_buf first = WFM_BUF_INIT, second = WFM_BUF_INIT;
	const char *at;
	size_t shared;

	(void)state;
	p.api = "# The workflow API\nAPI TEXT";
	p.examples = "### migrate (workflows/migrate.js)\nEXAMPLE\n";
	p.saved = "- mine: my workflow (/x/mine.js)\n";
	p.profile = "tracked files: 3\n";
	p.goal = "do the thing";
	p.attempt = 1;
	p.attempts = 3;
	wfm_planner_prompt_build(&first, &p);
	at = after(first.ptr, "You choose or write the workflow", first.ptr);
	at = after(first.ptr, "<workflow-api>\n# The workflow API\nAPI TEXT\n</workflow-api>", at);
	at = after(first.ptr, "## Built-in workflows", at);
	at = after(first.ptr, "EXAMPLE", at);
	at = after(first.ptr, "## Saved workflows of this repository and user\n\n- mine:", at);
	at = after(first.ptr, "## Your answer", at);
	at = after(first.ptr, "StructuredOutput", at);
	at = after(first.ptr, "## The repository (at the run's base commit)\n\ntracked files: 3",
		   at);
	at = after(first.ptr, "## The goal\n\ndo the thing\n", at);
	at = after(first.ptr, "This is attempt 1 of 3.\n", at);
	assert_int_equal(*at, '\0');
	assert_null(strstr(first.ptr, "Your previous answer"));

	p.attempt = 2;
	p.refused = "workflow.js:3:9: SyntaxError: Unexpected token";
	p.previous = "export const meta = {";
	wfm_planner_prompt_build(&second, &p);
	at = after(second.ptr, "## The goal\n\ndo the thing\n", second.ptr);
	at = after(second.ptr,
		   "## Your previous answer was refused\n\nworkflow.js:3:9: SyntaxError", at);
	at = after(second.ptr, "```\nexport const meta = {\n```", at);
	at = after(second.ptr, "This is attempt 2 of 3.\n", at);
	/* everything up to the repository is the same bytes: the provider's prompt cache */
	shared = (size_t)(strstr(first.ptr, "## The repository") - first.ptr);
	assert_int_equal(memcmp(first.ptr, second.ptr, shared), 0);

	p.saved = NULL;
	wfm_buf_clear(&first);
	wfm_planner_prompt_build(&first, &p);
	assert_null(strstr(first.ptr, "## Saved workflows"));
	wfm_buf_release(&first);
	wfm_buf_release(&second);
}

static void test_planner__schema(void **state)
{
	cJSON *s = wfm_planner_schema();
	cJSON *ok = wfm_test_json(
		"{\"workflow\":\"migrate\",\"args\":{\"match\":\"x\"},\"why\":\"y\"}");
	cJSON *bad = wfm_test_json("{\"workflow\":\"migrate\",\"reason\":\"y\"}");

	(void)state;
	assert_wfm_ok(wfm_schema_check_object(s));
	assert_wfm_ok(wfm_schema_validate(s, ok));
	assert_int_equal(wfm_schema_validate(s, bad), WFM_EINVALID);
	cJSON_Delete(s);
	cJSON_Delete(ok);
	cJSON_Delete(bad);
}

static int setup(void **state)
{
	(void)state;
	wfm_git_init();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	wfm_git_shutdown();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_planner__profile),
		cmocka_unit_test(test_planner__prompt),
		cmocka_unit_test(test_planner__schema),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
