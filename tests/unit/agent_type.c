/*
 * Agent types (src/agent/agent_type.c): Claude Code's subagent files
 * (YAML front matter, then the system prompt), the built-in types,
 * lookup in the repository's .claude/agents before the user's, the
 * listing of an unknown type's error, and what a type makes of an
 * agent's role and tools (src/agent/work.c).
 */
#include "support/test.h"
#include "agent/agent_type.h"
#include "agent/tools.h"
#include "agent/work.h"
#include "base/fs.h"

static struct wfm_agent_type *parse_ok(const char *text)
{
	struct wfm_agent_type *t = NULL;

	assert_wfm_ok(wfm_agent_type_parse(&t, text, strlen(text), "agents/x.md"));
	assert_non_null(t);
	return t;
}

/* parses text, which must fail; returns the message (borrowed) */
static const char *parse_fails(const char *text)
{
	struct wfm_agent_type *t = (struct wfm_agent_type *)1;

	assert_int_equal(wfm_agent_type_parse(&t, text, strlen(text), "agents/x.md"), WFM_EINVALID);
	assert_null(t);
	return wfm_error_last();
}

static void assert_names(const struct wfm_strvec *sv, const char *const *want, size_t nr)
{
	assert_int_equal(sv->nr, nr);
	for (size_t i = 0; i < nr; i++)
		assert_string_equal(sv->v[i], want[i]);
}

static void test_agent_type__string_tools(void **state)
{
	static const char *const tools[] = { "Read", "Grep", "Glob", "Bash" };
	struct wfm_agent_type *t = parse_ok("---\n"
					    "name: code-reviewer\n"
					    "description: Reviews code for quality and security\n"
					    "tools: Read, Grep, Glob, Bash\n"
					    "model: sonnet\n"
					    "color: blue\n"
					    "---\n"
					    "\n"
					    "You are a senior code reviewer.\n"
					    "Check every change.\n\n");

	(void)state;
	assert_string_equal(t->name, "code-reviewer");
	assert_string_equal(t->description, "Reviews code for quality and security");
	assert_false(t->all_tools);
	assert_names(&t->tools, tools, 4);
	assert_int_equal(t->mask, WFM_TOOL_READ | WFM_TOOL_GREP | WFM_TOOL_GLOB | WFM_TOOL_BASH);
	assert_string_equal(t->model, "sonnet");
	assert_string_equal(t->prompt, "You are a senior code reviewer.\nCheck every change.");
	assert_string_equal(t->path, "agents/x.md");
	/* no Write or Edit: read-only, as a reviewer */
	assert_string_equal(t->role->name, "reviewer");
	wfm_agent_type_free(t);
}

static void test_agent_type__list_tools(void **state)
{
	static const char *const block[] = { "Read", "MultiEdit", "WebFetch", "Task" };
	static const char *const flow[] = { "Read", "Write" };
	struct wfm_agent_type *t = parse_ok("---\n"
					    "name: fixer\n"
					    "description: Fixes things\n"
					    "tools:\n"
					    "  - Read\n"
					    "  - MultiEdit\n"
					    "  - WebFetch\n"
					    "  - Task\n"
					    "---\n"
					    "Fix it.\n");

	(void)state;
	/* the list as written; only the tools this project has count: MultiEdit is Edit */
	assert_names(&t->tools, block, 4);
	assert_int_equal(t->mask, WFM_TOOL_READ | WFM_TOOL_EDIT);
	assert_string_equal(t->role->name, "implementer");
	wfm_agent_type_free(t);

	t = parse_ok("---\nname: w\ndescription: d\ntools: [Read, Write]\n---\n");
	assert_names(&t->tools, flow, 2);
	assert_int_equal(t->mask, WFM_TOOL_READ | WFM_TOOL_WRITE);
	assert_null(t->prompt);
	wfm_agent_type_free(t);

	/* only tools we lack: none at all */
	t = parse_ok("---\nname: web\ndescription: d\ntools: WebFetch, WebSearch\n---\nBrowse.\n");
	assert_int_equal(t->mask, 0);
	assert_string_equal(t->role->name, "reviewer");
	wfm_agent_type_free(t);

	/* no tools line: every tool */
	t = parse_ok("---\nname: all\ndescription: d\n---\nDo it.\n");
	assert_true(t->all_tools);
	assert_int_equal(t->mask, WFM_TOOLS_ALL);
	assert_string_equal(t->role->name, "implementer");
	wfm_agent_type_free(t);

	/* neither a string nor a list */
	assert_non_null(
		strstr(parse_fails("---\nname: n\ndescription: d\ntools:\n  Read: yes\n---\n"),
		       "agents/x.md:4: 'tools' must be a comma-separated string or a list"));
}

static void test_agent_type__disallowed_tools(void **state)
{
	static const char *const kept[] = { "Read", "Edit" };
	static const char *const off[] = { "Bash", "Write" };
	struct wfm_agent_type *t =
		parse_ok("---\nname: n\ndescription: d\ndisallowedTools: Bash, Write\n---\n");

	(void)state;
	/* every tool but those */
	assert_true(t->all_tools);
	assert_names(&t->disallowed, off, 2);
	assert_int_equal(t->mask, WFM_TOOL_READ | WFM_TOOL_EDIT | WFM_TOOL_GLOB | WFM_TOOL_GREP);
	assert_string_equal(t->role->name, "implementer");
	wfm_agent_type_free(t);

	t = parse_ok("---\nname: n\ndescription: d\ntools: Read, Edit, Bash\n"
		     "disallowedTools:\n  - Bash\n---\n");
	assert_names(&t->tools, kept, 2);
	assert_int_equal(t->mask, WFM_TOOL_READ | WFM_TOOL_EDIT);
	wfm_agent_type_free(t);

	/* taking out Write and Edit makes it read-only */
	t = parse_ok("---\nname: n\ndescription: d\ndisallowedTools: [Write, Edit, Bash]\n---\n");
	assert_int_equal(t->mask, WFM_TOOLS_READ_ONLY);
	assert_string_equal(t->role->name, "reviewer");
	wfm_agent_type_free(t);
}

static void test_agent_type__model(void **state)
{
	static const char *const models[][2] = {
		{ "haiku", "haiku" },
		{ "opus", "opus" },
		{ "sonnet", "sonnet" },
		{ "claude-opus-4-1", "claude-opus-4-1" },
		{ "'gpt-4.1'", "gpt-4.1" },
		{ "inherit", NULL },
		{ "", NULL },
	};

	(void)state;
	for (size_t i = 0; i < WFM_ARRAY_SIZE(models); i++) {
		char text[256];
		struct wfm_agent_type *t;

		snprintf(text, sizeof(text), "---\nname: n\ndescription: d\nmodel: %s\n---\n",
			 models[i][0]);
		t = parse_ok(text);
		if (models[i][1])
			assert_string_equal(t->model, models[i][1]);
		else
			assert_null(t->model);
		wfm_agent_type_free(t);
	}
	assert_non_null(strstr(parse_fails("---\nname: n\ndescription: d\nmodel: [a, b]\n---\n"),
			       "agents/x.md:4: 'model' must be"));
}

static void test_agent_type__body(void **state)
{
	struct wfm_agent_type *t = parse_ok("---\n"
					    "name: writer\n"
					    "description: 'Writes: docs'\n"
					    "---\n"
					    "Intro.\n"
					    "\n"
					    "---\n"
					    "\n"
					    "name: not-this\n"
					    "More after a rule.\n");

	(void)state;
	/* the first '---' line after the front matter ends it; later ones are text */
	assert_string_equal(t->name, "writer");
	assert_string_equal(t->description, "Writes: docs");
	assert_string_equal(t->prompt, "Intro.\n\n---\n\nname: not-this\nMore after a rule.");
	wfm_agent_type_free(t);
}

static void test_agent_type__crlf(void **state)
{
	static const char *const tools[] = { "Read", "Grep" };
	struct wfm_agent_type *t = parse_ok("---\r\n"
					    "name: dos\r\n"
					    "description: Written on Windows\r\n"
					    "tools: Read, Grep\r\n"
					    "---\r\n"
					    "Line one.\r\n"
					    "Line two.\r\n");

	(void)state;
	assert_string_equal(t->name, "dos");
	assert_string_equal(t->description, "Written on Windows");
	assert_names(&t->tools, tools, 2);
	assert_string_equal(t->prompt, "Line one.\nLine two.");
	wfm_agent_type_free(t);
	/* a line number counts CRLF lines */
	assert_non_null(strstr(parse_fails("---\r\nname: dos\r\n\r\ndescription: d: e\r\n---\r\n"),
			       "agents/x.md:4: bad YAML"));
}

static void test_agent_type__broken(void **state)
{
	(void)state;
	assert_string_equal(parse_fails("---\ndescription: no name\n---\nBody.\n"),
			    "agents/x.md:1: no 'name' in the front matter");
	assert_string_equal(parse_fails("---\nname: lonely\n---\nBody.\n"),
			    "agents/x.md:1: no 'description' in the front matter");
	assert_string_equal(parse_fails("---\nname: ''\ndescription: d\n---\n"),
			    "agents/x.md:2: 'name' must be a non-empty string");
	assert_string_equal(parse_fails("---\ndescription: d\nname: [a]\n---\n"),
			    "agents/x.md:3: 'name' must be a non-empty string");
	assert_string_equal(parse_fails("---\n---\nBody.\n"),
			    "agents/x.md:1: no 'name' in the front matter");
	/* bad YAML: the line in the file */
	assert_string_equal(parse_fails("---\n"
					"name: broken\n"
					"description: d\n"
					"model: a: b\n"
					"---\n"),
			    "agents/x.md:4: bad YAML in the front matter: mapping values are not "
			    "allowed in this context");
	assert_non_null(
		strstr(parse_fails("---\nname: x\ndescription: \"open\n---\n"), "agents/x.md:"));
	assert_non_null(strstr(wfm_error_last(), "bad YAML"));
	assert_string_equal(parse_fails("---\n- a\n- b\n---\n"),
			    "agents/x.md:2: the front matter is not a mapping of keys to values");
	/* no front matter */
	assert_string_equal(
		parse_fails("You are a reviewer.\n"),
		"agents/x.md:1: no front matter: the file must start with a '---' line");
	assert_string_equal(
		parse_fails(""),
		"agents/x.md:1: no front matter: the file must start with a '---' line");
	assert_string_equal(parse_fails("---\nname: n\ndescription: d\n"),
			    "agents/x.md:1: the front matter has no closing '---' line");
}

/* a repository top and a home, each with .claude/agents */
struct fx {
	char *dir, *top, *home;
	struct wfm_agent_type_where where;
};

static int setup(void **state)
{
	struct fx *f = wfm_calloc(1, sizeof(*f));

	f->dir = wfm_test_tmpdir();
	f->top = wfm_fs_join(f->dir, "repo");
	f->home = wfm_fs_join(f->dir, "home");
	assert_wfm_ok(wfm_fs_mkdir_p(f->top));
	assert_wfm_ok(wfm_fs_mkdir_p(f->home));
	f->where.top = f->top;
	f->where.home = f->home;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	wfm_test_rmtree(f->dir);
	free(f->dir);
	free(f->top);
	free(f->home);
	free(f);
	return 0;
}

static void agent_file(const char *root, const char *file, const char *name, const char *desc)
{
	char rel[256], text[512];

	snprintf(rel, sizeof(rel), ".claude/agents/%s", file);
	snprintf(text, sizeof(text), "---\nname: %s\ndescription: %s\ntools: Read\n---\n%s body\n",
		 name, desc, desc);
	wfm_test_write(root, rel, text);
}

static void test_agent_type__lookup_order(void **state)
{
	struct fx *f = *state;
	struct wfm_agent_type *t = NULL;
	char *want;

	/* the file's name does not matter: the name in it does */
	agent_file(f->top, "a-file.md", "code-reviewer", "project");
	agent_file(f->home, "code-reviewer.md", "code-reviewer", "user");
	agent_file(f->home, "helper.md", "helper", "user helper");
	wfm_test_write(f->top, ".claude/agents/notes.txt", "not an agent");

	assert_wfm_ok(wfm_agent_type_find(&t, "code-reviewer", &f->where));
	assert_string_equal(t->description, "project");
	assert_string_equal(t->prompt, "project body");
	want = wfm_fs_join(f->top, ".claude/agents/a-file.md");
	assert_string_equal(t->path, want);
	free(want);
	wfm_agent_type_free(t);

	/* the user's, when the repository has none */
	assert_wfm_ok(wfm_agent_type_find(&t, "helper", &f->where));
	assert_string_equal(t->description, "user helper");
	wfm_agent_type_free(t);

	/* without a repository, the user's own */
	f->where.top = NULL;
	assert_wfm_ok(wfm_agent_type_find(&t, "code-reviewer", &f->where));
	assert_string_equal(t->description, "user");
	wfm_agent_type_free(t);
	f->where.top = f->top;

	/* the built-ins come first: a file cannot redefine them */
	agent_file(f->top, "explore.md", "Explore", "mine");
	assert_wfm_ok(wfm_agent_type_find(&t, "Explore", &f->where));
	assert_null(t->path);
	assert_string_not_equal(t->description, "mine");
	wfm_agent_type_free(t);
}

static void test_agent_type__unknown_lists_known(void **state)
{
	struct fx *f = *state;
	struct wfm_agent_type *t = (struct wfm_agent_type *)1;
	struct wfm_buf list = WFM_BUF_INIT;

	agent_file(f->top, "code-reviewer.md", "code-reviewer", "reviews");
	agent_file(f->home, "helper.md", "helper", "helps");
	assert_int_equal(wfm_agent_type_find(&t, "code-reviwer", &f->where), WFM_ENOTFOUND);
	assert_null(t);
	assert_string_equal(
		wfm_error_last(),
		"unknown agentType 'code-reviwer'; known: general-purpose, Explore, "
		"Plan, workflow-subagent, code-reviewer (.claude/agents/code-reviewer.md), "
		"helper (~/.claude/agents/helper.md)");
	wfm_agent_type_list(&list, &f->where);
	assert_string_equal(list.ptr, "general-purpose, Explore, Plan, workflow-subagent, "
				      "code-reviewer (.claude/agents/code-reviewer.md), "
				      "helper (~/.claude/agents/helper.md)");
	wfm_buf_release(&list);

	/* nowhere to look: the built-ins only */
	f->where.top = f->where.home = NULL;
	assert_int_equal(wfm_agent_type_find(&t, "x", &f->where), WFM_ENOTFOUND);
	assert_string_equal(wfm_error_last(), "unknown agentType 'x'; known: general-purpose, "
					      "Explore, Plan, workflow-subagent");
}

static void test_agent_type__broken_files(void **state)
{
	struct fx *f = *state;
	struct wfm_agent_type *t = NULL;

	agent_file(f->top, "good.md", "good", "fine");
	/* it says what it defines, but is broken: an error when that is asked for */
	wfm_test_write(f->top, ".claude/agents/half.md", "---\nname: half\n---\nNo description.\n");
	assert_int_equal(wfm_agent_type_find(&t, "half", &f->where), WFM_EINVALID);
	assert_string_equal(wfm_error_last(),
			    ".claude/agents/half.md:1: no 'description' in the front matter");
	/* and no matter when another is */
	assert_wfm_ok(wfm_agent_type_find(&t, "good", &f->where));
	wfm_agent_type_free(t);

	/* what it defines cannot be told: an error for the types looked for after it */
	wfm_test_write(f->home, ".claude/agents/bad.md", "---\nname: [oops\n---\n");
	agent_file(f->home, "later.md", "later", "after the broken one");
	assert_int_equal(wfm_agent_type_find(&t, "later", &f->where), WFM_EINVALID);
	assert_non_null(strstr(wfm_error_last(), "~/.claude/agents/bad.md:"));
	assert_non_null(strstr(wfm_error_last(), "bad YAML"));
	assert_int_equal(wfm_agent_type_find(&t, "missing", &f->where), WFM_EINVALID);
	/* but not for those found before it */
	assert_wfm_ok(wfm_agent_type_find(&t, "good", &f->where));
	wfm_agent_type_free(t);
}

static void test_agent_type__builtins(void **state)
{
	static const char *const read_only[] = { "Read", "Glob", "Grep" };
	struct wfm_agent_type_where none = WFM_AGENT_TYPE_WHERE_INIT;
	struct wfm_agent_type *t = NULL;
	cJSON *j;

	(void)state;
	assert_wfm_ok(wfm_agent_type_find(&t, "general-purpose", &none));
	assert_true(t->all_tools);
	assert_int_equal(t->mask, WFM_TOOLS_ALL);
	assert_string_equal(t->role->name, "implementer");
	assert_null(t->prompt);
	assert_null(t->model);
	j = wfm_agent_type_to_json(t);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "tools")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "path")));
	assert_string_equal(cJSON_GetObjectItem(j, "name")->valuestring, "general-purpose");
	cJSON_Delete(j);
	wfm_agent_type_free(t);

	/* read-only and fast */
	assert_wfm_ok(wfm_agent_type_find(&t, "Explore", &none));
	assert_names(&t->tools, read_only, 3);
	assert_int_equal(t->mask, WFM_TOOLS_READ_ONLY);
	assert_string_equal(t->role->name, "triager");
	assert_int_equal(t->role->tier, WFM_TIER_FAST);
	assert_non_null(t->prompt);
	wfm_agent_type_free(t);

	/* read-only and strong */
	assert_wfm_ok(wfm_agent_type_find(&t, "Plan", &none));
	assert_int_equal(t->mask, WFM_TOOLS_READ_ONLY);
	assert_false(t->role->may_write);
	assert_int_equal(t->role->tier, WFM_TIER_STRONG);
	wfm_agent_type_free(t);

	/* the same as no agentType */
	assert_wfm_ok(wfm_agent_type_find(&t, "workflow-subagent", &none));
	assert_ptr_equal(t->role, wfm_role_default());
	assert_int_equal(t->mask, WFM_TOOLS_ALL);
	assert_null(t->prompt);
	wfm_agent_type_free(t);

	/* names are as Claude Code spells them */
	assert_int_equal(wfm_agent_type_find(&t, "explore", &none), WFM_ENOTFOUND);
}

static void test_agent_type__json(void **state)
{
	struct wfm_agent_type *t =
		parse_ok("---\nname: r\ndescription: d\ntools: Read, WebFetch, Bash\n"
			 "disallowedTools: Bash\nmodel: haiku\n---\nBe brief.\n");
	cJSON *j = wfm_agent_type_to_json(t);
	struct wfm_buf out = WFM_BUF_INIT;

	(void)state;
	wfm_json_canonical(&out, j);
	assert_string_equal(out.ptr, "{\"description\":\"d\",\"disallowedTools\":[\"Bash\"],"
				     "\"model\":\"haiku\",\"name\":\"r\",\"path\":\"agents/x.md\","
				     "\"prompt\":\"Be brief.\",\"tools\":[\"Read\",\"WebFetch\"]}");
	wfm_buf_release(&out);
	cJSON_Delete(j);
	wfm_agent_type_free(t);
}

/* What a type makes of an agent's role and tools (work.c), with or without a role. */
static void test_agent_type__work(void **state)
{
	struct wfm_agent_type_where none = WFM_AGENT_TYPE_WHERE_INIT;
	struct wfm_agent_env env = WFM_AGENT_ENV_INIT;
	struct wfm_agent_request req = WFM_AGENT_REQUEST_INIT;
	struct wfm_agent_work w;
	struct wfm_agent_type *explore = NULL, *gp = NULL;
	struct wfm_agent_type *bash_reader =
		parse_ok("---\nname: b\ndescription: d\ntools: Read, Grep, Bash\n---\n");

	(void)state;
	assert_wfm_ok(wfm_agent_type_find(&explore, "Explore", &none));
	assert_wfm_ok(wfm_agent_type_find(&gp, "general-purpose", &none));
	env.run = "r1";
	req.prompt = "p";
	req.base = "HEAD";
	req.worktree = 1;

	/* no role: the type's capabilities */
	req.type = explore;
	assert_wfm_ok(wfm_agent_work_init(&w, &env, &req));
	assert_string_equal(w.role->name, "triager");
	assert_int_equal(w.tools, WFM_TOOLS_READ_ONLY);
	assert_false(w.writes);
	wfm_agent_work_release(&w);

	req.type = gp;
	assert_wfm_ok(wfm_agent_work_init(&w, &env, &req));
	assert_string_equal(w.role->name, "implementer");
	assert_int_equal(w.tools, WFM_TOOLS_ALL);
	assert_true(w.writes && w.bash);
	wfm_agent_work_release(&w);

	/* read-only with Bash: its Bash runs anything, its changes are not kept */
	req.type = bash_reader;
	assert_wfm_ok(wfm_agent_work_init(&w, &env, &req));
	assert_string_equal(w.role->name, "reviewer");
	assert_int_equal(w.tools, WFM_TOOL_READ | WFM_TOOL_GREP | WFM_TOOL_BASH);
	assert_true(w.bash);
	assert_false(w.writes);
	wfm_agent_work_release(&w);

	/* a role: it decides what the agent may do; the type narrows, never widens */
	req.role = "reviewer";
	req.type = gp;
	assert_wfm_ok(wfm_agent_work_init(&w, &env, &req));
	assert_int_equal(w.tools, WFM_TOOLS_READ_ONLY);
	assert_false(w.writes || w.bash);
	wfm_agent_work_release(&w);

	req.role = "implementer";
	req.type = explore;
	assert_wfm_ok(wfm_agent_work_init(&w, &env, &req));
	assert_int_equal(w.tools, WFM_TOOLS_READ_ONLY);
	assert_true(w.writes);
	wfm_agent_work_release(&w);

	req.role = "verifier";
	req.type = bash_reader;
	assert_wfm_ok(wfm_agent_work_init(&w, &env, &req));
	assert_int_equal(w.tools, WFM_TOOL_READ | WFM_TOOL_GREP | WFM_TOOL_BASH);
	assert_false(w.bash); /* the verifier's Bash runs the oracle only */
	wfm_agent_work_release(&w);

	wfm_agent_type_free(explore);
	wfm_agent_type_free(gp);
	wfm_agent_type_free(bash_reader);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agent_type__string_tools),
		cmocka_unit_test(test_agent_type__list_tools),
		cmocka_unit_test(test_agent_type__disallowed_tools),
		cmocka_unit_test(test_agent_type__model),
		cmocka_unit_test(test_agent_type__body),
		cmocka_unit_test(test_agent_type__crlf),
		cmocka_unit_test(test_agent_type__broken),
		cmocka_unit_test_setup_teardown(test_agent_type__lookup_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_agent_type__unknown_lists_known, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_agent_type__broken_files, setup, teardown),
		cmocka_unit_test(test_agent_type__builtins),
		cmocka_unit_test(test_agent_type__json),
		cmocka_unit_test(test_agent_type__work),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
