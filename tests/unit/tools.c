#include "support/test.h"
#include "agent/schema.h"
#include "agent/tools.h"
#include "base/clock.h"
#include "base/fs.h"

#include <signal.h>
#include <sys/stat.h>
#include <time.h>

/*
 * The agent tools on real temporary directories, real links and real
 * processes. Layout of each fixture:
 *
 *   <base>/out/secret          outside the worktree ("TOPSECRET")
 *   <base>/wt/                 the worktree, a git repository
 *   <base>/wt/linkdir  -> ../out
 *   <base>/wt/linkfile -> ../out/secret
 */

struct fx {
	char *base, *wt, *wt_real, *out;
	struct wfm_tool_ctx ctx;
};

static int setup(void **state)
{
	struct fx *f = wfm_calloc(1, sizeof(*f));

	f->base = wfm_test_tmpdir();
	f->wt = wfm_fs_join(f->base, "wt");
	f->out = wfm_fs_join(f->base, "out");
	free(wfm_test_sh(f->base,
			 "mkdir -p out wt && echo TOPSECRET > out/secret && cd wt && "
			 "git init -q && ln -s ../out linkdir && ln -s ../out/secret linkfile"));
	f->wt_real = realpath(f->wt, NULL);
	f->ctx.root = f->wt;
	f->ctx.allowed = WFM_TOOLS_ALL;
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

/* Runs tool name with the JSON input; returns the answer (free()). */
static char *run(struct fx *f, const char *name, const char *json, int *is_error)
{
	struct wfm_buf out = WFM_BUF_INIT;
	cJSON *input = NULL;

	assert_wfm_ok(wfm_json_parse(&input, json, strlen(json)));
	assert_wfm_ok(wfm_tool_run(&out, is_error, &f->ctx, name, input));
	cJSON_Delete(input);
	return wfm_buf_detach(&out, NULL);
}

/* Runs and asserts the outcome: is_error as expected and want in the answer. */
static void expect(struct fx *f, const char *name, const char *json, int want_error,
		   const char *want)
{
	int is_error = -1;
	char *ans = run(f, name, json, &is_error);

	if (is_error != want_error || (want && !strstr(ans, want)))
		fail_msg("%s %s: is_error %d (expected %d), answer:\n%s\n(expected to contain "
			 "'%s')",
			 name, json, is_error, want_error, ans, want ? want : "");
	free(ans);
}

static char *slurp(struct fx *f, const char *rel)
{
	return wfm_test_sh(f->wt, "cat '%s'", rel);
}

static void write_file(struct fx *f, const char *rel, const char *content)
{
	wfm_test_write(f->wt, rel, content);
}

/* Dispatch */

static void test_tools__defs(void **state)
{
	const struct wfm_llm_tool *d;
	const char *names[] = { "Read", "Write", "Edit", "Glob", "Grep", "Bash" };
	size_t nr;

	d = wfm_tool_defs(WFM_TOOLS_ALL, &nr);
	assert_int_equal(nr, 6);
	for (size_t i = 0; i < nr; i++) {
		assert_string_equal(d[i].name, names[i]);
		assert_true(strlen(d[i].description) > 20);
		assert_wfm_ok(wfm_schema_check_object(d[i].schema));
		assert_true(cJSON_IsObject(cJSON_GetObjectItem(d[i].schema, "properties")));
		assert_int_equal(wfm_tool_find(names[i]), 1u << i);
	}
	d = wfm_tool_defs(WFM_TOOLS_READ_ONLY, &nr);
	assert_int_equal(nr, 3);
	assert_string_equal(d[0].name, "Read");
	assert_string_equal(d[1].name, "Glob");
	assert_string_equal(d[2].name, "Grep");
	d = wfm_tool_defs(0, &nr);
	assert_int_equal(nr, 0);
	assert_int_equal(wfm_tool_find("read"), 0);
	assert_int_equal(wfm_tool_find("StructuredOutput"), 0);
}

static void test_tools__dispatch_errors(void **state)
{
	struct fx *f = *state;
	static volatile sig_atomic_t cancel;

	f->ctx.allowed = WFM_TOOLS_READ_ONLY;
	expect(f, "Bash", "{\"command\":\"true\"}", 1,
	       "tool 'Bash' is not available to this agent");
	expect(f, "Write", "{\"file_path\":\"x\",\"content\":\"\"}", 1, "not available");
	expect(f, "Frobnicate", "{}", 1, "tool 'Frobnicate' is not available");
	expect(f, "Read", "{}", 1, "Read: missing argument 'file_path'");
	expect(f, "Read", "{\"file_path\":7}", 1, "argument 'file_path' must be a string");
	write_file(f, "a.txt", "a\n");
	expect(f, "Read", "{\"file_path\":\"a.txt\",\"offset\":\"x\"}", 1,
	       "argument 'offset' must be an integer");
	expect(f, "Read", "{\"file_path\":\"a.txt\",\"offset\":1.5}", 1, "must be an integer");
	expect(f, "Read", "{\"file_path\":\"a.txt\",\"limit\":0}", 1,
	       "argument 'limit' must be at least 1");
	/* numbers as strings, as local models send them */
	expect(f, "Read", "{\"file_path\":\"a.txt\",\"offset\":\"1\",\"limit\":\"5\"}", 0, "\ta");
	expect(f, "Grep", "{\"pattern\":\"a\",\"-i\":3}", 1, "argument '-i' must be true or false");
	expect(f, "Grep", "{\"pattern\":\"a\",\"output_mode\":\"lines\"}", 1, "output_mode");
	f->ctx.allowed = WFM_TOOLS_ALL;
	expect(f, "Edit", "{\"file_path\":\"a.txt\",\"old_string\":\"a\"}", 1,
	       "missing argument 'new_string'");
	expect(f, "Bash", "{\"command\":[\"ls\"]}", 1, "argument 'command' must be a string");
	expect(f, "Bash", "{\"command\":\"  \"}", 1, "empty");
	cancel = 1;
	f->ctx.cancel = &cancel;
	expect(f, "Read", "{\"file_path\":\"a.txt\"}", 1, "cancelled");
	f->ctx.cancel = NULL;
}

/* The answer appends to what out holds, and a failure replaces only its own part. */
static void test_tools__appends(void **state)
{
	struct fx *f = *state;
	struct wfm_buf out = WFM_BUF_INIT;
	cJSON *in = cJSON_Parse("{\"file_path\":\"nope\"}");
	int is_error;

	wfm_buf_adds(&out, "before|");
	assert_wfm_ok(wfm_tool_run(&out, &is_error, &f->ctx, "Read", in));
	assert_true(is_error);
	assert_string_equal(out.ptr, "before|'nope' does not exist");
	cJSON_Delete(in);
	wfm_buf_release(&out);
}

/* Escapes through every tool */

static void test_tools__escapes(void **state)
{
	struct fx *f = *state;
	char *s, *abs;

	expect(f, "Read", "{\"file_path\":\"../out/secret\"}", 1,
	       "'../out/secret' is outside the worktree");
	expect(f, "Read", "{\"file_path\":\"linkfile\"}", 1, "outside the worktree");
	expect(f, "Read", "{\"file_path\":\"linkdir/secret\"}", 1, "outside the worktree");
	expect(f, "Read", "{\"file_path\":\"/etc/passwd\"}", 1, "outside the worktree");
	expect(f, "Read", "{\"file_path\":\".git/config\"}", 1, "in .git: not readable");
	expect(f, "Read", "{\"file_path\":\".git\"}", 1, "in .git");
	expect(f, "Write", "{\"file_path\":\"../out/new\",\"content\":\"x\"}", 1,
	       "outside the worktree");
	expect(f, "Write", "{\"file_path\":\"linkdir/new\",\"content\":\"x\"}", 1, "outside");
	expect(f, "Write", "{\"file_path\":\"linkfile\",\"content\":\"x\"}", 1, "outside");
	expect(f, "Write", "{\"file_path\":\".git/config\",\"content\":\"[core]\\n\"}", 1,
	       "'.git/config' is in .git: not writable");
	expect(f, "Write", "{\"file_path\":\".git/hooks/pre-commit\",\"content\":\"x\"}", 1,
	       "in .git");
	expect(f, "Edit",
	       "{\"file_path\":\"linkfile\",\"old_string\":\"TOP\",\"new_string\":\"X\"}", 1,
	       "outside");
	expect(f, "Edit",
	       "{\"file_path\":\".git/config\",\"old_string\":\"[core]\",\"new_string\":\"x\"}", 1,
	       "in .git");
	expect(f, "Glob", "{\"pattern\":\"*\",\"path\":\"linkdir\"}", 1, "outside");
	expect(f, "Glob", "{\"pattern\":\"../out/*\"}", 1, "'..' is not allowed");
	expect(f, "Glob", "{\"pattern\":\"/etc/*\"}", 1, "outside the worktree");
	expect(f, "Grep", "{\"pattern\":\"TOPSECRET\",\"path\":\"linkdir\"}", 1, "outside");
	expect(f, "Grep", "{\"pattern\":\"TOPSECRET\",\"path\":\"../out\"}", 1, "outside");
	expect(f, "Grep", "{\"pattern\":\"core\",\"path\":\".git\"}", 1, "in .git");
	/* searching the root neither follows the links out nor looks into .git */
	expect(f, "Grep", "{\"pattern\":\"TOPSECRET\"}", 0, "no matches");
	expect(f, "Grep", "{\"pattern\":\"repositoryformatversion\"}", 0, "no matches");
	s = run(f, "Glob", "{\"pattern\":\"**\"}", &(int){ 0 });
	assert_null(strstr(s, ".git/"));
	assert_null(strstr(s, "secret"));
	free(s);
	abs = wfm_test_sh(f->base, "printf '{\"file_path\":\"%%s/out/secret\"}' \"$PWD\"");
	expect(f, "Read", abs, 1, "outside the worktree");
	free(abs);

	/* nothing outside or in .git was touched */
	s = wfm_test_sh(f->base,
			"ls out; cat out/secret; grep -c TOPSECRET wt/.git/config || true");
	assert_string_equal(s, "secret\nTOPSECRET\n0\n");
	free(s);
}

/* A link made to point out (by a command the agent ran), then written through. */
static void test_tools__symlink_made_then_written(void **state)
{
	struct fx *f = *state;
	char *s, *path = NULL;

	expect(f, "Bash", "{\"command\":\"ln -s ../out/target t && ln -s ../out/secret s\"}", 0,
	       NULL);
	expect(f, "Write", "{\"file_path\":\"t\",\"content\":\"pwned\"}", 1, "symbolic link");
	expect(f, "Write", "{\"file_path\":\"s\",\"content\":\"pwned\"}", 1, "outside");
	expect(f, "Edit", "{\"file_path\":\"s\",\"old_string\":\"TOP\",\"new_string\":\"X\"}", 1,
	       "outside");
	/* the race: the link appears after the check; the write replaces it */
	assert_wfm_ok(wfm_tool_path(&path, f->wt, "late", 1));
	free(wfm_test_sh(f->wt, "ln -s ../out/late late"));
	expect(f, "Write", "{\"file_path\":\"late\",\"content\":\"x\"}", 1, "symbolic link");
	free(path);
	s = wfm_test_sh(f->base, "ls out; cat out/secret");
	assert_string_equal(s, "secret\nTOPSECRET\n");
	free(s);
}

/* Read */

static void test_tools__read_numbering(void **state)
{
	struct fx *f = *state;
	int is_error;
	char *s;

	write_file(f, "three.txt", "one\ntwo\n\tthree");
	s = run(f, "Read", "{\"file_path\":\"three.txt\"}", &is_error);
	assert_false(is_error);
	assert_string_equal(s, "     1\tone\n     2\ttwo\n     3\t\tthree\n");
	free(s);
	s = run(f, "Read", "{\"file_path\":\"three.txt\",\"offset\":2,\"limit\":1}", &is_error);
	assert_string_equal(s, "     2\ttwo\n[truncated: 1 more lines; use offset/limit]\n");
	free(s);
	s = run(f, "Read", "{\"file_path\":\"./three.txt\",\"offset\":3}", &is_error);
	assert_string_equal(s, "     3\t\tthree\n");
	free(s);
	expect(f, "Read", "{\"file_path\":\"three.txt\",\"offset\":9}", 0,
	       "has 3 lines: offset 9 is past its end");
	write_file(f, "empty", "");
	expect(f, "Read", "{\"file_path\":\"empty\"}", 0, "is empty");
}

static void test_tools__read_limits(void **state)
{
	struct fx *f = *state;
	int is_error;
	char *s;

	/* 2500 lines: 2000 by default */
	free(wfm_test_sh(f->wt, "seq 1 2500 > n.txt"));
	f->ctx.output_cap = 100000;
	s = run(f, "Read", "{\"file_path\":\"n.txt\"}", &is_error);
	assert_non_null(strstr(s, "  2000\t2000\n[truncated: 500 more lines; use offset/limit]\n"));
	assert_null(strstr(s, "\t2001\n"));
	free(s);
	/* the cap: 30000 bytes by default */
	f->ctx.output_cap = 0;
	free(wfm_test_sh(f->wt,
			 "seq 1 5000 | sed 's/$/ some text to make the line longer/' > long.txt"));
	s = run(f, "Read", "{\"file_path\":\"long.txt\"}", &is_error);
	assert_false(is_error);
	assert_true(strlen(s) <= 30000);
	assert_non_null(strstr(s, "more lines; use offset/limit]\n"));
	free(s);
	f->ctx.output_cap = 300;
	s = run(f, "Read", "{\"file_path\":\"n.txt\"}", &is_error);
	assert_true(strlen(s) <= 300);
	assert_non_null(strstr(s, "     1\t1\n"));
	assert_non_null(strstr(s, "more lines; use offset/limit]"));
	free(s);
	f->ctx.output_cap = 0;
	/* a line of 3000 bytes is cut at 2000 */
	free(wfm_test_sh(f->wt,
			 "head -c 3000 /dev/zero | tr '\\0' x > wide.txt; echo >> wide.txt"));
	s = run(f, "Read", "{\"file_path\":\"wide.txt\"}", &is_error);
	assert_non_null(strstr(s, "[line cut: 1000 more bytes]"));
	assert_true(strlen(s) < 2100);
	free(s);
}

static void test_tools__read_refusals(void **state)
{
	struct fx *f = *state;

	free(wfm_test_sh(f->wt, "printf 'ab\\0cd' > bin.dat && mkdir d && mkfifo fifo"));
	expect(f, "Read", "{\"file_path\":\"bin.dat\"}", 1, "'bin.dat' is a binary file (5 bytes)");
	expect(f, "Read", "{\"file_path\":\"d\"}", 1, "'d' is a directory");
	expect(f, "Read", "{\"file_path\":\"fifo\"}", 1, "not a regular file");
	expect(f, "Read", "{\"file_path\":\"nope.c\"}", 1, "'nope.c' does not exist");
}

/* Write and Edit */

static void test_tools__write(void **state)
{
	struct fx *f = *state;
	struct stat st;
	char *s, *p;

	expect(f, "Write", "{\"file_path\":\"new/dir/x.c\",\"content\":\"int x;\\n\"}", 0,
	       "created 'new/dir/x.c' (1 lines, 7 bytes)");
	s = slurp(f, "new/dir/x.c");
	assert_string_equal(s, "int x;\n");
	free(s);
	/* replacing keeps the mode */
	free(wfm_test_sh(f->wt, "printf '#!/bin/sh\\n' > run.sh && chmod 751 run.sh"));
	expect(f, "Write", "{\"file_path\":\"run.sh\",\"content\":\"#!/bin/sh\\necho hi\\n\"}", 0,
	       "wrote 'run.sh'");
	p = wfm_fs_join(f->wt, "run.sh");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0751);
	free(p);
	s = slurp(f, "run.sh");
	assert_string_equal(s, "#!/bin/sh\necho hi\n");
	free(s);
	/* no temporary file left behind */
	s = wfm_test_sh(f->wt, "ls -A | grep -c wfm- || true");
	assert_string_equal(s, "0\n");
	free(s);
	free(wfm_test_sh(f->wt, "mkdir adir"));
	expect(f, "Write", "{\"file_path\":\"adir\",\"content\":\"x\"}", 1,
	       "'adir' is a directory");
}

static void test_tools__edit(void **state)
{
	struct fx *f = *state;
	struct stat st;
	char *s, *p;

	free(wfm_test_sh(f->wt, "printf 'foo(1);\\nbar(2);\\nfoo(3);\\n' > e.c && chmod 640 e.c"));
	expect(f, "Edit", "{\"file_path\":\"e.c\",\"old_string\":\"baz\",\"new_string\":\"x\"}", 1,
	       "old_string not found in 'e.c'");
	expect(f, "Edit", "{\"file_path\":\"e.c\",\"old_string\":\"foo\",\"new_string\":\"qux\"}",
	       1, "old_string occurs 2 times in 'e.c'; give more context or set replace_all");
	expect(f, "Edit", "{\"file_path\":\"e.c\",\"old_string\":\"foo\",\"new_string\":\"foo\"}",
	       1, "the same");
	expect(f, "Edit", "{\"file_path\":\"e.c\",\"old_string\":\"\",\"new_string\":\"x\"}", 1,
	       "use Write");
	s = slurp(f, "e.c");
	assert_string_equal(s, "foo(1);\nbar(2);\nfoo(3);\n");
	free(s);
	expect(f, "Edit",
	       "{\"file_path\":\"e.c\",\"old_string\":\"bar(2)\",\"new_string\":\"baz(2, 3)\"}", 0,
	       "edited 'e.c': 1 replacement");
	expect(f, "Edit",
	       "{\"file_path\":\"e.c\",\"old_string\":\"foo(\",\"new_string\":\"f(\",\"replace_"
	       "all\":true}",
	       0, "edited 'e.c': 2 replacements");
	s = slurp(f, "e.c");
	assert_string_equal(s, "f(1);\nbaz(2, 3);\nf(3);\n");
	free(s);
	p = wfm_fs_join(f->wt, "e.c");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	free(p);
	/* an empty old_string on a file that does not exist creates it */
	expect(f, "Edit",
	       "{\"file_path\":\"fresh.txt\",\"old_string\":\"\",\"new_string\":\"hi\\n\"}", 0,
	       "created 'fresh.txt'");
	expect(f, "Edit", "{\"file_path\":\"nope.txt\",\"old_string\":\"a\",\"new_string\":\"b\"}",
	       1, "'nope.txt' does not exist");
}

/* Glob */

static void make_tree(struct fx *f)
{
	free(wfm_test_sh(
		f->wt, "mkdir -p src/deep lib && echo 'int a;' > a.c && "
		       "echo 'int b; // TODO fix' > src/b.c && echo 'int Todo;' > src/deep/c.c && "
		       "echo '#define D' > src/d.h && echo 'todo: x' > lib/x.js && "
		       "printf 'TODO\\0bin' > lib/bin.c && echo notes > README"));
}

static void test_tools__glob(void **state)
{
	struct fx *f = *state;

	make_tree(f);
	expect(f, "Glob", "{\"pattern\":\"*.c\"}", 0, NULL);
	{
		int e;
		char *s = run(f, "Glob", "{\"pattern\":\"*.c\"}", &e);

		assert_string_equal(s, "a.c\n");
		free(s);
		s = run(f, "Glob", "{\"pattern\":\"**/*.c\"}", &e);
		assert_string_equal(s, "a.c\nlib/bin.c\nsrc/b.c\nsrc/deep/c.c\n");
		free(s);
		s = run(f, "Glob", "{\"pattern\":\"src/*.{c,h}\"}", &e);
		assert_string_equal(s, "src/b.c\nsrc/d.h\n");
		free(s);
		s = run(f, "Glob", "{\"pattern\":\"*.c\",\"path\":\"src\"}", &e);
		assert_string_equal(s, "src/b.c\n");
		free(s);
		s = run(f, "Glob", "{\"pattern\":\"**/[bc].?\",\"path\":\"./src/\"}", &e);
		assert_string_equal(s, "src/b.c\nsrc/deep/c.c\n");
		free(s);
		s = run(f, "Glob", "{\"pattern\":\"src/**\"}", &e);
		assert_string_equal(s, "src/b.c\nsrc/d.h\nsrc/deep/c.c\n");
		free(s);
	}
	expect(f, "Glob", "{\"pattern\":\"*.rs\"}", 0, "no files match '*.rs'");
	expect(f, "Glob", "{\"pattern\":\"*\",\"path\":\"a.c\"}", 1, "not a directory");
	/* absolute patterns under the worktree are taken relative to it */
	{
		char *in = wfm_test_sh(f->wt, "printf '{\"pattern\":\"%%s/src/*.h\"}' \"$PWD\"");
		int e;
		char *s = run(f, "Glob", in, &e);

		assert_false(e);
		assert_string_equal(s, "src/d.h\n");
		free(s);
		free(in);
	}
}

static void test_tools__glob_cap(void **state)
{
	struct fx *f = *state;
	int e;
	char *s;

	free(wfm_test_sh(f->wt,
			 "mkdir many && cd many && seq -f 'f%%04g.txt' 1 1500 | xargs touch"));
	s = run(f, "Glob", "{\"pattern\":\"many/*\"}", &e);
	assert_non_null(strstr(s, "many/f0001.txt\n"));
	assert_non_null(strstr(s, "many/f1000.txt\n"));
	assert_null(strstr(s, "many/f1001.txt\n"));
	assert_non_null(strstr(s, "[truncated: 500 more paths"));
	free(s);
	f->ctx.output_cap = 500;
	s = run(f, "Glob", "{\"pattern\":\"many/*\"}", &e);
	assert_true(strlen(s) <= 500);
	assert_non_null(strstr(s, "more paths"));
	free(s);
}

/* Grep */

static void test_tools__grep_modes(void **state)
{
	struct fx *f = *state;
	int e;
	char *s;

	make_tree(f);
	s = run(f, "Grep", "{\"pattern\":\"TODO\"}", &e);
	assert_false(e);
	assert_string_equal(s, "src/b.c\n"); /* lib/bin.c is binary */
	free(s);
	s = run(f, "Grep", "{\"pattern\":\"todo\",\"-i\":true}", &e);
	assert_string_equal(s, "lib/x.js\nsrc/b.c\nsrc/deep/c.c\n");
	free(s);
	s = run(f, "Grep", "{\"pattern\":\"todo\",\"-i\":true,\"glob\":\"*.c\"}", &e);
	assert_string_equal(s, "src/b.c\nsrc/deep/c.c\n");
	free(s);
	s = run(f, "Grep", "{\"pattern\":\"todo\",\"-i\":true,\"glob\":\"*.{js,h}\"}", &e);
	assert_string_equal(s, "lib/x.js\n");
	free(s);
	s = run(f, "Grep", "{\"pattern\":\"int\",\"path\":\"src\",\"output_mode\":\"count\"}", &e);
	assert_string_equal(s, "src/b.c:1\nsrc/deep/c.c:1\n");
	free(s);
	s = run(f, "Grep", "{\"pattern\":\"^int \\\\w+;\",\"output_mode\":\"content\"}", &e);
	assert_string_equal(
		s, "a.c:1:int a;\nsrc/b.c:1:int b; // TODO fix\nsrc/deep/c.c:1:int Todo;\n");
	free(s);
	s = run(f, "Grep",
		"{\"pattern\":\"int\",\"path\":\"a.c\",\"output_mode\":\"content\",\"-n\":false}",
		&e);
	assert_string_equal(s, "a.c:int a;\n");
	free(s);
	expect(f, "Grep", "{\"pattern\":\"nothing-here\"}", 0, "no matches for 'nothing-here'");
	expect(f, "Grep", "{\"pattern\":\"(unclosed\"}", 1, "invalid pattern");
	expect(f, "Grep", "{\"pattern\":\"x\",\"path\":\"nope\"}", 1, "'nope' does not exist");
}

static void test_tools__grep_context(void **state)
{
	struct fx *f = *state;
	int e;
	char *s;

	free(wfm_test_sh(f->wt, "seq 1 20 > n.txt"));
	s = run(f, "Grep", "{\"pattern\":\"^(5|7|15)$\",\"output_mode\":\"content\",\"-C\":1}", &e);
	assert_string_equal(s, "n.txt-4-4\nn.txt:5:5\nn.txt-6-6\nn.txt:7:7\nn.txt-8-8\n--\n"
			       "n.txt-14-14\nn.txt:15:15\nn.txt-16-16\n");
	free(s);
	s = run(f, "Grep", "{\"pattern\":\"^1$\",\"output_mode\":\"content\",\"-B\":3,\"-A\":1}",
		&e);
	assert_string_equal(s, "n.txt:1:1\nn.txt-2-2\n");
	free(s);
	s = run(f, "Grep", "{\"pattern\":\"^20$\",\"output_mode\":\"content\",\"-C\":2}", &e);
	assert_string_equal(s, "n.txt-18-18\nn.txt-19-19\nn.txt:20:20\n");
	free(s);
	/* the cap */
	free(wfm_test_sh(f->wt, "seq 1 100000 > big.txt"));
	f->ctx.output_cap = 1000;
	s = run(f, "Grep", "{\"pattern\":\"1\",\"output_mode\":\"content\"}", &e);
	assert_false(e);
	assert_true(strlen(s) <= 1000);
	assert_non_null(strstr(s, "[truncated:"));
	free(s);
}

/* Bash */

static void test_tools__bash(void **state)
{
	struct fx *f = *state;
	int e;
	char *s;

	s = run(f, "Bash", "{\"command\":\"echo out; echo err >&2\"}", &e);
	assert_false(e);
	assert_string_equal(s, "out\nerr\n");
	free(s);
	s = run(f, "Bash", "{\"command\":\"pwd\"}", &e);
	assert_true(!strncmp(s, f->wt_real, strlen(f->wt_real)));
	free(s);
	s = run(f, "Bash", "{\"command\":\"echo failing; exit 2\",\"description\":\"fail\"}", &e);
	assert_false(e); /* a non-zero exit is output for the model */
	assert_string_equal(s, "failing\nexit status 2");
	free(s);
	s = run(f, "Bash", "{\"command\":\"printf x; exit 3\"}", &e);
	assert_string_equal(s, "x\nexit status 3");
	free(s);
	s = run(f, "Bash", "{\"command\":\"true\"}", &e);
	assert_string_equal(s, "(no output)");
	free(s);
	s = run(f, "Bash", "{\"command\":\"kill -9 $$\"}", &e);
	assert_false(e);
	assert_string_equal(s, "killed by SIGKILL");
	free(s);
	/* the worktree is where files land */
	expect(f, "Bash", "{\"command\":\"echo made > made.txt\"}", 0, NULL);
	expect(f, "Read", "{\"file_path\":\"made.txt\"}", 0, "\tmade");
}

static void test_tools__bash_timeout(void **state)
{
	struct fx *f = *state;
	uint64_t t0 = wfm_clock_mono_ms();
	int e;
	char *s;

	s = run(f, "Bash", "{\"command\":\"echo started; sleep 30\",\"timeout\":300}", &e);
	assert_true(e);
	assert_non_null(strstr(s, "started\n[timed out after 300 ms"));
	assert_true(wfm_clock_mono_ms() - t0 < 10000);
	free(s);
	/* the context's limit bounds the model's */
	f->ctx.bash_timeout_ms = 200;
	t0 = wfm_clock_mono_ms();
	s = run(f, "Bash", "{\"command\":\"sleep 30\",\"timeout\":600000}", &e);
	assert_true(e);
	assert_non_null(strstr(s, "timed out after 200 ms"));
	assert_true(wfm_clock_mono_ms() - t0 < 10000);
	free(s);
}

static void test_tools__bash_cap(void **state)
{
	struct fx *f = *state;
	int e;
	char *s;

	f->ctx.output_cap = 1000;
	s = run(f, "Bash", "{\"command\":\"seq 1 100000; exit 1\"}", &e);
	assert_false(e);
	assert_true(strlen(s) <= 1000);
	assert_non_null(strstr(s, "[truncated: the first "));
	/* the end is kept */
	assert_non_null(strstr(s, "99999\n100000\nexit status 1"));
	free(s);
}

static void test_tools__bash_env(void **state)
{
	struct fx *f = *state;
	int e;
	char *s;

	setenv("ANTHROPIC_API_KEY", "sk-ant-SECRETVALUE1", 1);
	setenv("OPENAI_API_KEY", "sk-SECRETVALUE2", 1);
	setenv("ANTHROPIC_AUTH_TOKEN", "SECRETVALUE3", 1);
	setenv("MISTRAL_API_KEY", "SECRETVALUE4", 1);
	setenv("GIT_DIR", "/elsewhere", 1);
	setenv("WFM_TOOLS_HARMLESS", "kept", 1);
	s = run(f, "Bash", "{\"command\":\"env; cat /proc/self/environ | tr '\\\\0' '\\\\n'\"}",
		&e);
	assert_false(e);
	assert_null(strstr(s, "SECRETVALUE"));
	assert_null(strstr(s, "ANTHROPIC_API_KEY"));
	assert_null(strstr(s, "GIT_DIR"));
	assert_non_null(strstr(s, "WFM_TOOLS_HARMLESS=kept"));
	free(s);
	unsetenv("ANTHROPIC_API_KEY");
	unsetenv("OPENAI_API_KEY");
	unsetenv("ANTHROPIC_AUTH_TOKEN");
	unsetenv("MISTRAL_API_KEY");
	unsetenv("GIT_DIR");
	unsetenv("WFM_TOOLS_HARMLESS");
}

static void test_tools__bash_only(void **state)
{
	struct fx *f = *state;

	f->ctx.bash_only = "echo oracle ran";
	expect(f, "Bash", "{\"command\":\"  echo oracle ran\\n\"}", 0, "oracle ran\n");
	expect(f, "Bash", "{\"command\":\"echo oracle ran; cat /etc/passwd\"}", 1,
	       "this agent may only run 'echo oracle ran'");
	expect(f, "Bash", "{\"command\":\"echo  oracle ran\"}", 1, "may only run");
}

/* Sandbox: only where bubblewrap can make its namespaces. */
static void test_tools__sandbox(void **state)
{
	struct fx *f = *state;
	int e;
	char *s;

	if (!wfm_sandbox_available()) {
		print_message("[  SKIP    ] bubblewrap is missing or cannot make namespaces here: "
			      "the sandbox is not tested\n");
		skip();
	}
	f->ctx.sandbox = WFM_SANDBOX_BWRAP;
	setenv("ANTHROPIC_API_KEY", "sk-ant-SECRETVALUE1", 1);
	s = run(f, "Bash", "{\"command\":\"echo in > in.txt && cat in.txt && pwd && env\"}", &e);
	assert_false(e);
	assert_non_null(strstr(s, "in\n"));
	assert_non_null(strstr(s, f->wt_real));
	assert_null(strstr(s, "SECRETVALUE"));
	free(s);
	unsetenv("ANTHROPIC_API_KEY");
	s = slurp(f, "in.txt");
	assert_string_equal(s, "in\n");
	free(s);
	/* outside the worktree is read-only, .git too */
	s = run(f, "Bash", "{\"command\":\"echo x > ../out/pwned\"}", &e);
	assert_false(e);
	assert_non_null(strstr(s, "exit status"));
	free(s);
	s = run(f, "Bash", "{\"command\":\"echo '[x]' >> .git/config\"}", &e);
	assert_non_null(strstr(s, "exit status"));
	free(s);
	s = wfm_test_sh(f->base, "ls out; grep -c '^\\[x\\]' wt/.git/config || true");
	assert_string_equal(s, "secret\n0\n");
	free(s);
	/* no network: only the loopback interface */
	s = run(f, "Bash",
		"{\"command\":\"grep -c : /proc/net/dev; grep -o '^ *[a-z0-9]*:' /proc/net/dev\"}",
		&e);
	assert_string_equal(s, "1\n    lo:\n");
	free(s);
	/* the timeout reaches into the sandbox */
	s = run(f, "Bash", "{\"command\":\"sleep 30\",\"timeout\":300}", &e);
	assert_true(e);
	assert_non_null(strstr(s, "timed out"));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tools__defs),
#define T(name) cmocka_unit_test_setup_teardown(test_tools__##name, setup, teardown)
		T(dispatch_errors),
		T(appends),
		T(escapes),
		T(symlink_made_then_written),
		T(read_numbering),
		T(read_limits),
		T(read_refusals),
		T(write),
		T(edit),
		T(glob),
		T(glob_cap),
		T(grep_modes),
		T(grep_context),
		T(bash),
		T(bash_timeout),
		T(bash_cap),
		T(bash_env),
		T(bash_only),
		T(sandbox),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
