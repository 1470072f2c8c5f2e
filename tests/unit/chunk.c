#include "support/test.h"

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "base/regex.h"
#include "chunk/chunk.h"
#include "chunk/chunk_priv.h" /* wfm_uncovered_find, on units made up for the test */
#include "git/repo.h"

/* ---- helpers --------------------------------------------------------------- */

static void write_bytes(const char *dir, const char *relpath, const char *data, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	wfm_test_write(dir, relpath, ""); /* makes the directories */
	snprintf(path, sizeof(path), "%s/%s", dir, relpath);
	f = fopen(path, "wb");
	if (!f)
		fail_msg("cannot write %s", path);
	fwrite(data, 1, len, f);
	fclose(f);
}

static void commit(const char *dir, const char *msg)
{
	free(wfm_test_sh(dir, "git add -A && git commit -qm '%s'", msg));
}

static int run(struct wfm_unit_list *out, const char *dir, const struct wfm_chunk_opts *o)
{
	struct wfm_repo *r = NULL;
	int rc;

	assert_wfm_ok(wfm_repo_open(&r, dir));
	rc = wfm_chunk_run(out, r, o);
	wfm_repo_free(r);
	return rc;
}

static const struct wfm_unit *find(const struct wfm_unit_list *l, const char *id)
{
	for (size_t i = 0; i < l->nr; i++)
		if (!strcmp(l->v[i].id, id))
			return &l->v[i];
	return NULL;
}

static const struct wfm_unit *must_find(const struct wfm_unit_list *l, const char *id)
{
	const struct wfm_unit *u = find(l, id);
	if (!u) {
		for (size_t i = 0; i < l->nr; i++)
			print_message("  have %s\n", l->v[i].id);
		fail_msg("no unit '%s'", id);
	}
	return u;
}

static void expect_unit(const struct wfm_unit_list *l, const char *id, const char *kind,
			const char *name, unsigned first, unsigned last)
{
	const struct wfm_unit *u = must_find(l, id);

	assert_string_equal(u->kind, kind);
	assert_string_equal(u->name, name);
	if (u->start_line != first || u->end_line != last)
		fail_msg("%s: lines %u-%u, expected %u-%u", id, u->start_line, u->end_line, first,
			 last);
	assert_true(u->end_byte > u->start_byte);
}

/* The ids of the list, one a line. */
static char *ids_of(const struct wfm_unit_list *l)
{
	struct wfm_buf b = WFM_BUF_INIT;

	for (size_t i = 0; i < l->nr; i++)
		wfm_buf_addf(&b, "%s\n", l->v[i].id);
	return wfm_buf_detach(&b, NULL);
}

/* ---- the languages ------------------------------------------------------------ */

static const char c_src[] = "#include <stdio.h>\n"
			    "\n"
			    "/* Adds. */\n"
			    "int add(int a, int b)\n"
			    "{\n"
			    "\treturn a + b;\n"
			    "}\n"
			    "\n"
			    "struct point {\n"
			    "\tint x, y;\n"
			    "};\n"
			    "typedef unsigned long ulong_t;\n"
			    "static int *get(void) { return 0; }\n"
			    "#define MAX(a, b) ((a) > (b) ? (a) : (b))\n"
			    "union u { int i; float f; };\n"
			    "enum color { RED, GREEN };\n";

static const char cpp_src[] = "namespace ns {\n"
			      "class Widget {\n"
			      "  int w;\n"
			      "};\n"
			      "int helper(int x) { return x; }\n"
			      "}\n"
			      "void ns::Widget::draw() {}\n"
			      "template <typename T> T twice(T v) { return v + v; }\n"
			      "struct Plain { int a; };\n"
			      "using Alias = int;\n";

static const char py_src[] = "import os\n"
			     "\n"
			     "\n"
			     "# Greets.\n"
			     "def hello(name):\n"
			     "    return \"hi \" + name\n"
			     "\n"
			     "\n"
			     "@dataclass\n"
			     "class Point:\n"
			     "    x: int\n"
			     "\n"
			     "    def norm(self):\n"
			     "        return self.x\n"
			     "\n"
			     "async def fetch():\n"
			     "    pass\n";

static const char js_src[] = "function start() { return 1; }\n"
			     "class App { run() {} }\n"
			     "const handler = (e) => e;\n"
			     "export default function () {}\n"
			     "module.exports.extra = function () {};\n"
			     "start();\n";

static const char ts_src[] = "interface User { id: number; }\n"
			     "type Id = string;\n"
			     "enum Color { Red }\n"
			     "export class Store { get(): void {} }\n"
			     "namespace Util { export const x = 1; }\n"
			     "declare function ambient(): void;\n";

static const char tsx_src[] = "export function View() { return <div>hi</div>; }\n"
			      "const Item = () => <li />;\n";

static const char go_src[] = "package main\n"
			     "\n"
			     "type Server struct {\n"
			     "\taddr string\n"
			     "}\n"
			     "\n"
			     "func (s *Server) Start() error { return nil }\n"
			     "\n"
			     "func main() {}\n"
			     "\n"
			     "type (\n"
			     "\tID int\n"
			     "\tRunner interface{ Run() }\n"
			     ")\n";

static const char rust_src[] = "/// A shape.\n"
			       "#[derive(Debug)]\n"
			       "pub struct Shape { w: u32 }\n"
			       "impl Shape { fn area(&self) -> u32 { self.w } }\n"
			       "trait Draw { fn draw(&self); }\n"
			       "impl Draw for Shape { fn draw(&self) {} }\n"
			       "fn main() {}\n"
			       "enum E { A }\n"
			       "mod inner { fn f() {} }\n"
			       "macro_rules! m { () => {} }\n";

static const char java_src[] = "package demo;\n"
			       "\n"
			       "/** The entry point. */\n"
			       "public class Main {\n"
			       "  void run() {}\n"
			       "}\n"
			       "interface Runner { void go(); }\n"
			       "enum Mode { ON }\n"
			       "record Pair(int a, int b) {}\n";

static void write_languages(const char *dir)
{
	wfm_test_write(dir, "src/a.c", c_src);
	wfm_test_write(dir, "src/b.cpp", cpp_src);
	wfm_test_write(dir, "py/m.py", py_src);
	wfm_test_write(dir, "web/app.js", js_src);
	wfm_test_write(dir, "web/types.ts", ts_src);
	wfm_test_write(dir, "web/view.tsx", tsx_src);
	wfm_test_write(dir, "cmd/main.go", go_src);
	wfm_test_write(dir, "src/lib.rs", rust_src);
	wfm_test_write(dir, "src/Main.java", java_src);
	wfm_test_write(dir, "README.md", "# Title\n\ntext\n");
}

static void test_chunk__languages(void **state)
{
	char *dir = wfm_test_repo_new(), *ids;
	struct wfm_unit_list l = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;
	const struct wfm_unit *u;

	write_languages(dir);
	commit(dir, "all languages");
	assert_wfm_ok(run(&l, dir, &o));
	ids = ids_of(&l);
	assert_string_equal(ids, "README.md::file::README.md\n"
				 "cmd/main.go::code::main\n"
				 "cmd/main.go::struct::Server\n"
				 "cmd/main.go::method::Server.Start\n"
				 "cmd/main.go::function::main\n"
				 "cmd/main.go::code::ID\n"
				 "cmd/main.go::type::ID\n"
				 "cmd/main.go::interface::Runner\n"
				 "py/m.py::code::os\n"
				 "py/m.py::function::hello\n"
				 "py/m.py::class::Point\n"
				 "py/m.py::function::fetch\n"
				 "src/Main.java::code::demo\n"
				 "src/Main.java::class::Main\n"
				 "src/Main.java::interface::Runner\n"
				 "src/Main.java::enum::Mode\n"
				 "src/Main.java::record::Pair\n"
				 "src/a.c::code::<stdio.h>\n"
				 "src/a.c::function::add\n"
				 "src/a.c::struct::point\n"
				 "src/a.c::typedef::ulong_t\n"
				 "src/a.c::function::get\n"
				 "src/a.c::macro::MAX\n"
				 "src/a.c::union::u\n"
				 "src/a.c::enum::color\n"
				 "src/b.cpp::code::ns\n"
				 "src/b.cpp::class::ns::Widget\n"
				 "src/b.cpp::function::ns::helper\n"
				 "src/b.cpp::method::ns::Widget::draw\n"
				 "src/b.cpp::function::twice\n"
				 "src/b.cpp::struct::Plain\n"
				 "src/b.cpp::type::Alias\n"
				 "src/lib.rs::struct::Shape\n"
				 "src/lib.rs::impl::Shape\n"
				 "src/lib.rs::trait::Draw\n"
				 "src/lib.rs::impl::Draw for Shape\n"
				 "src/lib.rs::function::main\n"
				 "src/lib.rs::enum::E\n"
				 "src/lib.rs::module::inner\n"
				 "src/lib.rs::macro::m\n"
				 "web/app.js::function::start\n"
				 "web/app.js::class::App\n"
				 "web/app.js::function::handler\n"
				 "web/app.js::function::default\n"
				 "web/app.js::function::module.exports.extra\n"
				 "web/app.js::code::start\n"
				 "web/types.ts::interface::User\n"
				 "web/types.ts::type::Id\n"
				 "web/types.ts::enum::Color\n"
				 "web/types.ts::class::Store\n"
				 "web/types.ts::namespace::Util\n"
				 "web/types.ts::code::ambient\n"
				 "web/view.tsx::function::View\n"
				 "web/view.tsx::function::Item\n");
	free(ids);

	/* lines, with the comments and attributes right above a definition */
	expect_unit(&l, "README.md::file::README.md", "file", "README.md", 1, 3);
	expect_unit(&l, "cmd/main.go::struct::Server", "struct", "Server", 3, 5);
	expect_unit(&l, "cmd/main.go::method::Server.Start", "method", "Server.Start", 7, 7);
	expect_unit(&l, "cmd/main.go::function::main", "function", "main", 9, 9);
	expect_unit(&l, "cmd/main.go::type::ID", "type", "ID", 12, 12);
	/* what only closes a group or a namespace joins the unit above it */
	expect_unit(&l, "cmd/main.go::interface::Runner", "interface", "Runner", 13, 14);
	expect_unit(&l, "cmd/main.go::code::main", "code", "main", 1, 1);
	expect_unit(&l, "src/Main.java::code::demo", "code", "demo", 1, 1);
	expect_unit(&l, "src/a.c::code::<stdio.h>", "code", "<stdio.h>", 1, 1);
	expect_unit(&l, "src/b.cpp::code::ns", "code", "ns", 1, 1);
	expect_unit(&l, "src/b.cpp::function::ns::helper", "function", "ns::helper", 5, 6);
	expect_unit(&l, "py/m.py::function::hello", "function", "hello", 4, 6);
	expect_unit(&l, "py/m.py::class::Point", "class", "Point", 9, 14);
	expect_unit(&l, "py/m.py::function::fetch", "function", "fetch", 16, 17);
	expect_unit(&l, "src/Main.java::class::Main", "class", "Main", 3, 6);
	expect_unit(&l, "src/Main.java::record::Pair", "record", "Pair", 9, 9);
	expect_unit(&l, "src/a.c::function::add", "function", "add", 3, 7);
	expect_unit(&l, "src/a.c::struct::point", "struct", "point", 9, 11);
	expect_unit(&l, "src/a.c::typedef::ulong_t", "typedef", "ulong_t", 12, 12);
	expect_unit(&l, "src/a.c::function::get", "function", "get", 13, 13);
	expect_unit(&l, "src/a.c::macro::MAX", "macro", "MAX", 14, 14);
	expect_unit(&l, "src/b.cpp::class::ns::Widget", "class", "ns::Widget", 2, 4);
	expect_unit(&l, "src/b.cpp::method::ns::Widget::draw", "method", "ns::Widget::draw", 7, 7);
	expect_unit(&l, "src/b.cpp::function::twice", "function", "twice", 8, 8);
	expect_unit(&l, "src/lib.rs::struct::Shape", "struct", "Shape", 1, 3);
	expect_unit(&l, "src/lib.rs::impl::Draw for Shape", "impl", "Draw for Shape", 6, 6);
	expect_unit(&l, "web/app.js::function::default", "function", "default", 4, 4);
	expect_unit(&l, "web/types.ts::namespace::Util", "namespace", "Util", 5, 5);
	expect_unit(&l, "web/view.tsx::function::Item", "function", "Item", 2, 2);

	/* languages, byte ranges and sizes */
	u = must_find(&l, "src/a.c::function::add");
	assert_int_equal(u->lang, WFM_LANG_C);
	assert_int_equal(u->start_byte, strlen("#include <stdio.h>\n\n"));
	assert_int_equal(u->end_byte, strstr(c_src, "struct point") - c_src - 1);
	assert_null(u->reason);
	assert_int_equal(must_find(&l, "src/b.cpp::function::twice")->lang, WFM_LANG_CPP);
	assert_int_equal(must_find(&l, "py/m.py::class::Point")->lang, WFM_LANG_PYTHON);
	assert_int_equal(must_find(&l, "web/app.js::class::App")->lang, WFM_LANG_JAVASCRIPT);
	assert_int_equal(must_find(&l, "web/types.ts::type::Id")->lang, WFM_LANG_TYPESCRIPT);
	assert_int_equal(must_find(&l, "web/view.tsx::function::View")->lang, WFM_LANG_TSX);
	assert_int_equal(must_find(&l, "cmd/main.go::function::main")->lang, WFM_LANG_GO);
	assert_int_equal(must_find(&l, "src/lib.rs::function::main")->lang, WFM_LANG_RUST);
	assert_int_equal(must_find(&l, "src/Main.java::enum::Mode")->lang, WFM_LANG_JAVA);
	u = must_find(&l, "README.md::file::README.md");
	assert_int_equal(u->lang, WFM_LANG_OTHER);
	assert_int_equal(u->start_byte, 0);
	assert_int_equal(u->end_byte, strlen("# Title\n\ntext\n"));
	assert_null(u->reason);

	wfm_unit_list_release(&l);
	wfm_test_rmtree(dir);
	free(dir);
}

static void test_chunk__lang_names_and_extensions(void **state)
{
	enum wfm_lang l;

	assert_int_equal(wfm_lang_of_path("a/b.c"), WFM_LANG_C);
	assert_int_equal(wfm_lang_of_path("b.h"), WFM_LANG_C);
	assert_int_equal(wfm_lang_of_path("x.hh"), WFM_LANG_CPP);
	assert_int_equal(wfm_lang_of_path("x.cxx"), WFM_LANG_CPP);
	assert_int_equal(wfm_lang_of_path("x.mjs"), WFM_LANG_JAVASCRIPT);
	assert_int_equal(wfm_lang_of_path("x.jsx"), WFM_LANG_JAVASCRIPT);
	assert_int_equal(wfm_lang_of_path("x.cts"), WFM_LANG_TYPESCRIPT);
	assert_int_equal(wfm_lang_of_path("x.tsx"), WFM_LANG_TSX);
	assert_int_equal(wfm_lang_of_path("x.rs"), WFM_LANG_RUST);
	assert_int_equal(wfm_lang_of_path("Makefile"), WFM_LANG_OTHER);
	assert_int_equal(wfm_lang_of_path("dir.c/README"), WFM_LANG_OTHER);
	assert_int_equal(wfm_lang_of_path(".c"), WFM_LANG_OTHER);
	assert_int_equal(wfm_lang_of_path("x.C"), WFM_LANG_OTHER);
	assert_wfm_ok(wfm_lang_from_name(&l, "tsx"));
	assert_int_equal(l, WFM_LANG_TSX);
	assert_wfm_ok(wfm_lang_from_name(&l, "other"));
	assert_int_equal(l, WFM_LANG_OTHER);
	assert_int_equal(wfm_lang_from_name(&l, "cobol"), WFM_EINVALID);
	assert_non_null(strstr(wfm_error_last(), "unknown language 'cobol'"));
	assert_non_null(strstr(wfm_error_last(), "c, cpp, python"));
	assert_string_equal(wfm_lang_name(WFM_LANG_JAVA), "java");
	/* every grammar works with the library (git wfmigrate doctor says so) */
	for (int i = WFM_LANG_OTHER + 1; i < WFM_LANG__COUNT; i++)
		assert_wfm_ok(wfm_lang_check((enum wfm_lang)i));
	assert_int_equal(wfm_lang_check(WFM_LANG_OTHER), WFM_ERROR);
	assert_non_null(strstr(wfm_error_last(), "no grammar for 'other'"));
}

/* ---- duplicates, preprocessor branches, comments --------------------------------- */

static void test_chunk__duplicates_and_c_preprocessor(void **state)
{
	char *dir = wfm_test_repo_new();
	struct wfm_unit_list l = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;

	wfm_test_write(dir, "x.c",
		       "#ifdef FOO\n"			     /* 1 */
		       "int foo(void) { return 1; }\n"	     /* 2 */
		       "#elif defined(BAR)\n"		     /* 3 */
		       "int foo(void) { return 2; }\n"	     /* 4 */
		       "#else\n"			     /* 5 */
		       "int foo(void) { return 3; }\n"	     /* 6 */
		       "#endif\n"			     /* 7 */
		       "#if 0\n"			     /* 8 */
		       "static void dead(void) {}\n"	     /* 9 */
		       "#  ifndef X\n"			     /* 10 */
		       "struct foo { int a; };\n"	     /* 11 */
		       "#  endif\n"			     /* 12 */
		       "#endif\n"			     /* 13 */
		       "int bar(void) { return foo(); }\n"); /* 14 */
	commit(dir, "dups");
	assert_wfm_ok(run(&l, dir, &o));
	assert_int_equal(l.nr, 6);
	/* a directive that opens a conditional joins the unit below, others the one above */
	expect_unit(&l, "x.c::function::foo", "function", "foo", 1, 3);
	expect_unit(&l, "x.c::function::foo#2", "function", "foo", 4, 5);
	expect_unit(&l, "x.c::function::foo#3", "function", "foo", 6, 7);
	expect_unit(&l, "x.c::function::dead", "function", "dead", 8, 9);
	/* another kind: no suffix */
	expect_unit(&l, "x.c::struct::foo", "struct", "foo", 10, 13);
	expect_unit(&l, "x.c::function::bar", "function", "bar", 14, 14);
	assert_string_equal(l.v[0].id, "x.c::function::foo");
	assert_string_equal(l.v[2].id, "x.c::function::foo#3");
	wfm_unit_list_release(&l);
	wfm_test_rmtree(dir);
	free(dir);
}

/* The id of the unit whose text is text, or fails. */
static const char *id_of_text(const struct wfm_unit_list *l, const char *text)
{
	for (size_t i = 0; i < l->nr; i++)
		if (!strcmp(l->v[i].text, text))
			return l->v[i].id;
	fail_msg("no unit with text '%s'", text);
	return NULL;
}

/* changedSince: the units whose lines the diff from a commit touches, deletions included */
static void test_chunk__changed_since(void **state)
{
	char *dir = wfm_test_repo_new(), *base, *ids;
	struct wfm_unit_list l = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;

	wfm_test_write(dir, "a.c",
		       "int f(void)\n{\n\treturn 1;\n}\n\n"
		       "int g(void)\n{\n\tint unused = 0;\n\treturn 2;\n}\n\n"
		       "int h(void)\n{\n\treturn 3;\n}\n");
	wfm_test_write(dir, "b.c", "int k(void)\n{\n\treturn 4;\n}\n");
	wfm_test_write(dir, "gone.c", "int z(void)\n{\n\treturn 5;\n}\n");
	commit(dir, "base");
	base = wfm_test_sh_trim(dir, "git rev-parse HEAD");
	/* h changed, a line of g only deleted, b.c and f untouched, gone.c deleted, c.c new */
	wfm_test_write(dir, "a.c",
		       "int f(void)\n{\n\treturn 1;\n}\n\n"
		       "int g(void)\n{\n\treturn 2;\n}\n\n"
		       "int h(void)\n{\n\treturn 33;\n}\n");
	wfm_test_write(dir, "c.c", "int n(void)\n{\n\treturn 6;\n}\n");
	free(wfm_test_sh(dir, "git rm -q gone.c"));
	commit(dir, "change");

	o.changed_since = base;
	assert_wfm_ok(run(&l, dir, &o));
	ids = ids_of(&l);
	assert_string_equal(ids, "a.c::function::g\na.c::function::h\nc.c::function::n\n");
	free(ids);
	wfm_unit_list_release(&l);

	/* from the commit itself: nothing; an unknown commit: an error */
	o.changed_since = "HEAD";
	assert_wfm_ok(run(&l, dir, &o));
	assert_int_equal(l.nr, 0);
	wfm_unit_list_release(&l);
	o.changed_since = "no-such-commit";
	assert_int_equal(run(&l, dir, &o), WFM_ENOTFOUND);
	assert_int_equal(l.nr, 0);
	wfm_unit_list_release(&l);
	free(base);
	wfm_test_rmtree(dir);
	free(dir);
}

static void test_chunk__ids_do_not_shift(void **state)
{
	char *dir = wfm_test_repo_new();
	struct wfm_unit_list before = WFM_UNIT_LIST_INIT, after = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;
	static const char *const old[] = {
		"int f(int a) { return a; }\n",
		"int f(double d) { return 1; }\n",
		"int f(double d) { return 2; }\n",
		"void g(void) {}\n",
		"func init() { a() }\n",
		"func init() { b() }\n",
		"def h(x: int): ...\n",
		"def h(x: str): ...\n",
	};

	wfm_test_write(dir, "o.cpp",
		       "int f(int a) { return a; }\n"
		       "int f(double d) { return 1; }\n"
		       "int f(double d) { return 2; }\n"
		       "void g(void) {}\n");
	wfm_test_write(dir, "i.go",
		       "package p\n"
		       "func init() { a() }\n"
		       "func init() { b() }\n");
	wfm_test_write(dir, "t.py",
		       "def h(x: int): ...\n"
		       "def h(x: str): ...\n");
	commit(dir, "before");
	/* units of other names, and overloads of other signatures, go in above */
	wfm_test_write(dir, "o.cpp",
		       "void e(void) {}\n"
		       "int f(char c) { return c; }\n"
		       "int f(int a) { return a; }\n"
		       "void g(int x) {}\n"
		       "int f(double d) { return 1; }\n"
		       "int f(double d) { return 2; }\n"
		       "void g(void) {}\n");
	wfm_test_write(dir, "i.go",
		       "package p\n"
		       "func other() {}\n"
		       "func init() { a() }\n"
		       "func init() { b() }\n");
	wfm_test_write(dir, "t.py",
		       "def k(): ...\n"
		       "def h(x: int): ...\n"
		       "def h(x: bytes): ...\n"
		       "def h(x: str): ...\n");
	commit(dir, "after");
	o.with_text = 1;
	o.rev = "HEAD~1";
	assert_wfm_ok(run(&before, dir, &o));
	o.rev = "HEAD";
	assert_wfm_ok(run(&after, dir, &o));
	assert_string_equal(id_of_text(&before, old[0]), "o.cpp::function::f");
	assert_string_equal(id_of_text(&before, old[1]), "o.cpp::function::f#(double d)");
	assert_string_equal(id_of_text(&before, old[2]), "o.cpp::function::f#(double d)#2");
	assert_string_equal(id_of_text(&before, old[5]), "i.go::function::init#2");
	assert_string_equal(id_of_text(&before, old[7]), "t.py::function::h#(x: str)");
	for (size_t i = 0; i < WFM_ARRAY_SIZE(old); i++)
		if (i != 0 && i != 3)
			assert_string_equal(id_of_text(&before, old[i]),
					    id_of_text(&after, old[i]));
	/* the documented exception: one of its own name and another signature now comes first */
	assert_string_equal(id_of_text(&after, old[0]), "o.cpp::function::f#(int a)");
	assert_string_equal(id_of_text(&after, "void g(int x) {}\n"), "o.cpp::function::g");
	assert_string_equal(id_of_text(&after, old[3]), "o.cpp::function::g#(void)");
	wfm_unit_list_release(&before);
	wfm_unit_list_release(&after);
	wfm_test_rmtree(dir);
	free(dir);
}

/* Fails unless every line of path with code on it lies in one of l's units. */
static void expect_covered(const struct wfm_unit_list *l, const char *path, const char *src)
{
	unsigned line = 1;

	for (const char *p = src; *p; line++) {
		const char *nl = strchr(p, '\n'), *q = p;
		size_t i;

		while (*q == ' ' || *q == '\t')
			q++;
		for (i = 0; i < l->nr; i++)
			if (!strcmp(l->v[i].path, path) && l->v[i].start_line <= line &&
			    line <= l->v[i].end_line)
				break;
		if (i == l->nr && *q != '\n' && *q && strncmp(q, "//", 2) && *q != '#')
			fail_msg("%s:%u is in no unit", path, line);
		p = nl ? nl + 1 : p + strlen(p);
	}
}

static const char js_top_src[] = "const express = require('express');\n"	   /* 1 */
				 "const app = express();\n"			   /* 2 */
				 "\n"						   /* 3 */
				 "function helper(x) { return x; }\n"		   /* 4 */
				 "\n"						   /* 5 */
				 "app.get('/users', function (req, res) {\n"	   /* 6 */
				 "  res.send(helper(1));\n"			   /* 7 */
				 "});\n"					   /* 8 */
				 "\n"						   /* 9 */
				 "app[method] = function (path) {\n"		   /* 10 */
				 "  return path;\n"				   /* 11 */
				 "};\n"						   /* 12 */
				 "defineGetter(req, 'query', function query() {\n" /* 13 */
				 "  return 1;\n"				   /* 14 */
				 "});\n"					   /* 15 */
				 "// the routes\n"				   /* 16 */
				 "describe('router', () => {\n"			   /* 17 */
				 "  it('lists', () => {\n"			   /* 18 */
				 "    expect(1);\n"				   /* 19 */
				 "  });\n"					   /* 20 */
				 "  it('adds', () => {\n"			   /* 21 */
				 "    expect(2);\n"				   /* 22 */
				 "  });\n"					   /* 23 */
				 "});\n"					   /* 24 */
				 "module.exports = { index: function () {} };\n"   /* 25 */
				 "app.use(json());\n"				   /* 26 */
				 "app.use(function (req, res, next) {\n"	   /* 27 */
				 "  next();\n"					   /* 28 */
				 "});\n";					   /* 29 */

static const char ts_top_src[] = "import { make } from './make';\n"		       /* 1 */
				 "export function parse(x: string): number;\n"	       /* 2 */
				 "export function parse(x: number): number;\n"	       /* 3 */
				 "export function parse(x: any): number {\n"	       /* 4 */
				 "  return 1;\n"				       /* 5 */
				 "}\n"						       /* 6 */
				 "export const Foo = make(\"Foo\", (inst, def) => {\n" /* 7 */
				 "  inst.x = def;\n"				       /* 8 */
				 "});\n"					       /* 9 */
				 "if (require.main === module) {\n"		       /* 10 */
				 "  parse(1);\n"				       /* 11 */
				 "}\n";						       /* 12 */

static const char py_top_src[] = "from typing import TYPE_CHECKING\n"	  /* 1 */
				 "if TYPE_CHECKING:\n"			  /* 2 */
				 "    from x import Y\n"		  /* 3 */
				 "    def typed(a: \"Y\") -> None: ...\n" /* 4 */
				 "try:\n"				  /* 5 */
				 "    import fast\n"			  /* 6 */
				 "    def speed(): return fast.go()\n"	  /* 7 */
				 "except ImportError:\n"		  /* 8 */
				 "    def speed(): return 0\n"		  /* 9 */
				 "    class Slow:\n"			  /* 10 */
				 "        pass\n"			  /* 11 */
				 "if __name__ == \"__main__\":\n"	  /* 12 */
				 "    speed()\n";			  /* 13 */

static void test_chunk__top_level_code(void **state)
{
	char *dir = wfm_test_repo_new();
	struct wfm_unit_list l = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;
	const struct wfm_unit *u;

	wfm_test_write(dir, "app.js", js_top_src);
	wfm_test_write(dir, "p.ts", ts_top_src);
	wfm_test_write(dir, "m.py", py_top_src);
	wfm_test_write(dir, "c.py",
		       "if X:\n"
		       "    def f(): pass\n"
		       "\n"
		       "    # a comment first\n"
		       "    y = 1\n");
	commit(dir, "top-level code");
	assert_wfm_ok(run(&l, dir, &o));
	expect_covered(&l, "app.js", js_top_src);
	expect_covered(&l, "p.ts", ts_top_src);
	expect_covered(&l, "m.py", py_top_src);

	/* small statements packed; one with callbacks on its own, named from what it is */
	expect_unit(&l, "app.js::code::express", "code", "express", 1, 2);
	expect_unit(&l, "app.js::function::helper", "function", "helper", 4, 4);
	expect_unit(&l, "app.js::code::app.get('/users')", "code", "app.get('/users')", 6, 8);
	expect_unit(&l, "app.js::function::app[method]", "function", "app[method]", 10, 12);
	expect_unit(&l, "app.js::code::req.query", "code", "req.query", 13, 15);
	expect_unit(&l, "app.js::code::describe('router')", "code", "describe('router')", 16, 24);
	expect_unit(&l, "app.js::export::module.exports", "export", "module.exports", 25, 25);
	expect_unit(&l, "app.js::code::app.use", "code", "app.use", 26, 26);
	expect_unit(&l, "app.js::code::app.use#(function (req, res, next) { next(); })", "code",
		    "app.use", 27, 29);
	assert_int_equal(l.v[0].start_byte, 0);

	/* overload signatures join the implementation */
	expect_unit(&l, "p.ts::code::./make", "code", "./make", 1, 1);
	expect_unit(&l, "p.ts::function::parse", "function", "parse", 2, 6);
	expect_unit(&l, "p.ts::code::Foo", "code", "Foo", 7, 9);
	expect_unit(&l, "p.ts::code::require.main === module", "code", "require.main === module",
		    10, 12);

	/* definitions under if TYPE_CHECKING: and try: are units; the code around them too */
	expect_unit(&l, "m.py::code::typing", "code", "typing", 1, 3);
	expect_unit(&l, "m.py::function::typed", "function", "typed", 4, 4);
	expect_unit(&l, "m.py::code::fast", "code", "fast", 5, 6);
	expect_unit(&l, "m.py::function::speed", "function", "speed", 7, 7);
	expect_unit(&l, "m.py::code::ImportError", "code", "ImportError", 8, 8);
	expect_unit(&l, "m.py::function::speed#2", "function", "speed", 9, 9);
	expect_unit(&l, "m.py::class::Slow", "class", "Slow", 10, 11);
	expect_unit(&l, "m.py::code::__name__ == \"__main__\"", "code", "__name__ == \"__main__\"",
		    12, 13);
	/* a piece is named after its first statement, not after the comment above it it holds */
	expect_unit(&l, "c.py::code::X", "code", "X", 1, 1);
	expect_unit(&l, "c.py::function::f", "function", "f", 2, 2);
	expect_unit(&l, "c.py::code::y", "code", "y", 4, 5);
	for (size_t i = 0; i < l.nr; i++) {
		assert_null(strstr(l.v[i].id, "::if"));
		assert_null(strstr(l.v[i].id, "::try"));
	}
	wfm_unit_list_release(&l);

	/* split at --max-bytes like any unit: between the it() calls */
	o.max_bytes = 60;
	o.with_text = 1;
	assert_wfm_ok(run(&l, dir, &o));
	u = must_find(&l, "app.js::code::describe('router')@part3");
	assert_string_equal(u->text, "  it('adds', () => {\n    expect(2);\n  });\n});\n");
	u = must_find(&l, "app.js::code::describe('router')@part2");
	assert_string_equal(u->text, "  it('lists', () => {\n    expect(1);\n  });\n");
	wfm_unit_list_release(&l);
	wfm_test_rmtree(dir);
	free(dir);
}

static void test_chunk__uncovered(void **state)
{
	char *dir = wfm_test_repo_new();
	struct wfm_unit_list l = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;

	wfm_test_write(dir, "app.js", js_top_src);
	wfm_test_write(dir, "p.ts", ts_top_src);
	wfm_test_write(dir, "m.py", py_top_src);
	wfm_test_write(dir, "g.c",
		       "/* a file comment\n"		   /* 1 */
		       "   on two lines */\n"		   /* 2 */
		       "#include <a.h>\n"		   /* 3 */
		       "// between\n"			   /* 4 */
		       "int counter;\n"			   /* 5 */
		       "\n"				   /* 6 */
		       "int f(void) { return 0; }\n"	   /* 7 */
		       "static const int k = 1; /* k */\n" /* 8 */
		       "/* trailing */\n");		   /* 9 */
	wfm_test_write(dir, "notes.txt", "text\n");
	commit(dir, "uncovered");
	o.uncovered = 1;
	o.with_text = 1;
	assert_wfm_ok(run(&l, dir, &o));
	/* the code of every language is all in units; other files are whole */
	assert_int_equal(l.nr, 0);
	wfm_unit_list_release(&l);
	o.uncovered = 0;
	o.match = "counter";
	assert_wfm_ok(run(&l, dir, &o));
	expect_unit(&l, "g.c::code::counter", "code", "counter", 4, 5);
	assert_int_equal(l.nr, 1);
	wfm_unit_list_release(&l);
	wfm_test_rmtree(dir);
	free(dir);
}

/* A unit over [s, e) of a file, as wfm_uncovered_find sees units: only the ranges count. */
static struct wfm_unit range_unit(size_t s, size_t e)
{
	struct wfm_unit u = { 0 };

	u.start_byte = s;
	u.end_byte = e;
	return u;
}

/*
 * The library function itself, on made-up units: what it lists does not
 * depend on what the chunker finds in a language, so it stays true as the
 * languages get covered.
 */
static void test_chunk__uncovered_find_made_up_units(void **state)
{
	const char *text = "covered(1)\n"	  /* 1: unit */
			   "old_api(2); x = 1;\n" /* 2 */
			   "\n"			  /* 3: blank */
			   "y = old_api(4)\n"	  /* 4 */
			   "covered(5)\n"	  /* 5: unit */
			   "  old_api(6)  \r\n"	  /* 6 */
			   "end(7)";		  /* 7: no final newline */
	size_t len = strlen(text);
	struct wfm_unit units[2];
	struct wfm_unit_list l = WFM_UNIT_LIST_INIT;
	struct wfm_lines lines = WFM_LINES_INIT;
	struct wfm_regex *re = NULL, *anchored = NULL;
	struct wfm_buf b = WFM_BUF_INIT;

	units[0] = range_unit(0, 11);
	units[1] = range_unit((size_t)(strstr(text, "covered(5)") - text),
			      (size_t)(strstr(text, "  old_api(6)") - text));
	wfm_lines_index(&lines, text, len);
	assert_wfm_ok(wfm_regex_compile(&re, "old_api", WFM_REGEX_MULTILINE));
	assert_wfm_ok(wfm_regex_compile(&anchored, "^y = .*\\)$", WFM_REGEX_MULTILINE));

	/* runs of lines: 2-4 (the blank line between is in the run), then 6-7 */
	assert_wfm_ok(wfm_uncovered_find(&l, "f.x", WFM_LANG_OTHER, units, 2, (TSNode){ 0 }, text,
					 len, &lines, NULL, 0));
	assert_int_equal(l.nr, 2);
	assert_string_equal(l.v[0].kind, "uncovered");
	assert_int_equal(l.v[0].start_line, 2);
	assert_int_equal(l.v[0].end_line, 4);
	assert_int_equal(l.v[1].start_line, 6);
	assert_int_equal(l.v[1].end_line, 7);
	wfm_unit_list_release(&l);

	/* each line on its own; the pattern looked for in each line alone */
	assert_wfm_ok(wfm_uncovered_find(&l, "f.x", WFM_LANG_OTHER, units, 2, (TSNode){ 0 }, text,
					 len, &lines, re, 1));
	assert_int_equal(l.nr, 3);
	assert_int_equal(l.v[0].start_line, 2);
	assert_int_equal(l.v[0].end_line, 2);
	assert_int_equal(l.v[1].start_line, 4);
	assert_int_equal(l.v[2].start_line, 6);
	assert_string_equal(l.v[2].path, "f.x");
	assert_string_equal(l.v[2].id, "");
	/* the text for people: no blanks around it, no line break */
	l.v[2].text = wfm_strndup(text + l.v[2].start_byte, l.v[2].end_byte - l.v[2].start_byte);
	wfm_unit_line_text(&b, &l.v[2], 100);
	assert_string_equal(b.ptr, "old_api(6)");
	wfm_buf_clear(&b);
	wfm_unit_line_text(&b, &l.v[2], 3);
	assert_string_equal(b.ptr, "old");
	wfm_unit_list_release(&l);

	/* $ and ^ hold at the ends of the line: it is matched without its line break */
	assert_wfm_ok(wfm_uncovered_find(&l, "f.x", WFM_LANG_OTHER, units, 2, (TSNode){ 0 }, text,
					 len, &lines, anchored, 1));
	assert_int_equal(l.nr, 1);
	assert_int_equal(l.v[0].start_line, 4);
	wfm_unit_list_release(&l);

	/* a range is kept when the pattern is anywhere in it */
	assert_wfm_ok(wfm_uncovered_find(&l, "f.x", WFM_LANG_OTHER, units, 2, (TSNode){ 0 }, text,
					 len, &lines, re, 0));
	assert_int_equal(l.nr, 2);
	wfm_unit_list_release(&l);

	/* a unit over everything leaves nothing */
	units[0] = range_unit(0, len);
	assert_wfm_ok(wfm_uncovered_find(&l, "f.x", WFM_LANG_OTHER, units, 1, (TSNode){ 0 }, text,
					 len, &lines, NULL, 1));
	assert_int_equal(l.nr, 0);

	wfm_buf_release(&b);
	wfm_lines_release(&lines);
	wfm_regex_free(re);
	wfm_regex_free(anchored);
}

/*
 * opts.uncovered = WFM_CHUNK_UNCOVERED_LINES through wfm_chunk_run: the
 * matching lines of a binary file (in no unit whatever the languages
 * cover), never those of a whole-file unit or of code in units.
 */
static void test_chunk__uncovered_lines(void **state)
{
	static const char bin[] = "BIN\0\x01\n"
				  "\tcall old_api(1)\x1b[0m \n"
				  "nothing\n"
				  "old_api(2)\n";
	char *dir = wfm_test_repo_new();
	struct wfm_unit_list l = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;
	struct wfm_buf b = WFM_BUF_INIT;

	write_bytes(dir, "data/blob.bin", bin, sizeof(bin) - 1);
	wfm_test_write(dir, "notes.txt", "old_api(3) is a whole-file unit\n");
	wfm_test_write(dir, "m.py", "def f():\n    return old_api(4)\n\nX = old_api(5)\n");
	commit(dir, "lines");
	o.uncovered = WFM_CHUNK_UNCOVERED_LINES;
	o.with_text = 1;
	o.match = "old_api\\(";
	assert_wfm_ok(run(&l, dir, &o));
	assert_int_equal(l.nr, 2);
	assert_string_equal(l.v[0].path, "data/blob.bin");
	assert_int_equal(l.v[0].start_line, 2);
	assert_int_equal(l.v[0].end_line, 2);
	assert_string_equal(l.v[0].reason, "binary file");
	assert_int_equal(l.v[1].start_line, 4);
	/* printable: control characters are '?' */
	wfm_unit_line_text(&b, &l.v[0], 200);
	assert_string_equal(b.ptr, "call old_api(1)?[0m");
	wfm_buf_release(&b);
	wfm_unit_list_release(&l);

	/* the lang filter and pathspecs choose the files looked at */
	o.lang = WFM_LANG_PYTHON;
	assert_wfm_ok(run(&l, dir, &o));
	assert_int_equal(l.nr, 0);
	o.lang = WFM_LANG_ANY;
	o.pathspecs = (const char *[]){ "notes.txt", "m.py" };
	o.pathspecs_nr = 2;
	assert_wfm_ok(run(&l, dir, &o));
	assert_int_equal(l.nr, 0);
	o.pathspecs = NULL;
	o.pathspecs_nr = 0;

	/* without a pattern, binary files are left out: every line would be listed */
	o.match = NULL;
	assert_wfm_ok(run(&l, dir, &o));
	for (size_t i = 0; i < l.nr; i++)
		assert_string_not_equal(l.v[i].path, "data/blob.bin");
	wfm_unit_list_release(&l);
	o.uncovered = WFM_CHUNK_UNCOVERED_RANGES;
	o.match = "old_api";
	assert_wfm_ok(run(&l, dir, &o));
	assert_int_equal(l.nr, 0);

	/* a bad pattern is refused before anything is read */
	o.uncovered = WFM_CHUNK_UNCOVERED_LINES;
	o.match = "(unclosed";
	assert_int_equal(run(&l, dir, &o), WFM_EINVALID);
	assert_int_equal(l.nr, 0);
	wfm_unit_list_release(&l);
	wfm_test_rmtree(dir);
	free(dir);
}

static void test_chunk__functions_across_preprocessor_branches(void **state)
{
	char *dir = wfm_test_repo_new(), *ids;
	struct wfm_unit_list l = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;

	wfm_test_write(dir, "z.c",
		       "#include <z.h>\n"			  /* 1 */
		       "\n"					  /* 2 */
		       "static int before(void) { return 0; }\n"  /* 3 */
		       "\n"					  /* 4 */
		       "int inflate_fast(int x, int y)\n"	  /* 5 */
		       "{\n"					  /* 6 */
		       "    int r = 0;\n"			  /* 7 */
		       "#ifdef UNALIGNED_OK\n"			  /* 8 */
		       "    if (x > y) {\n"			  /* 9 */
		       "#else\n"				  /* 10 */
		       "    if (x >= y) {\n"			  /* 11 */
		       "#endif\n"				  /* 12 */
		       "        r = x;\n"			  /* 13 */
		       "    }\n"				  /* 14 */
		       "#if defined(A) && \\\n"			  /* 15 */
		       "    defined(B)\n"			  /* 16 */
		       "    r += helper(y);\n"			  /* 17 */
		       "#endif\n"				  /* 18 */
		       "    return r;\n"			  /* 19 */
		       "}\n"					  /* 20 */
		       "\n"					  /* 21 */
		       "#ifdef WIN32\n"				  /* 22 */
		       "int platform(void) { return 1; }\n"	  /* 23 */
		       "#else\n"				  /* 24 */
		       "int platform(void) { return 2; }\n"	  /* 25 */
		       "#endif\n"				  /* 26 */
		       "static int after(void) { return 1; }\n"); /* 27 */
	commit(dir, "preprocessor");
	o.with_text = 1;
	assert_wfm_ok(run(&l, dir, &o));
	ids = ids_of(&l);
	/* one function, whole, not fragments named after keywords; the #else one kept */
	assert_string_equal(ids, "z.c::code::<z.h>\n"
				 "z.c::function::before\n"
				 "z.c::function::inflate_fast\n"
				 "z.c::function::platform\n"
				 "z.c::function::platform#2\n"
				 "z.c::function::after\n");
	free(ids);
	expect_unit(&l, "z.c::function::inflate_fast", "function", "inflate_fast", 5, 20);
	/* the text is the file's, not the blanked copy that was parsed */
	assert_non_null(strstr(must_find(&l, "z.c::function::inflate_fast")->text,
			       "#else\n    if (x >= y) {\n#endif\n"));
	expect_unit(&l, "z.c::function::platform", "function", "platform", 22, 24);
	expect_unit(&l, "z.c::function::platform#2", "function", "platform", 25, 26);
	wfm_unit_list_release(&l);
	wfm_test_rmtree(dir);
	free(dir);
}

static void test_chunk__headers_of_a_cpp_repository(void **state)
{
	char *dir = wfm_test_repo_new();
	struct wfm_unit_list l = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;
	const char *one[] = { "inc/w.h" };

	wfm_test_write(dir, "a.cpp", "int a() { return 0; }\n");
	wfm_test_write(dir, "b.cc", "int b() { return 0; }\n");
	wfm_test_write(dir, "c.c", "int c(void) { return 0; }\n");
	wfm_test_write(dir, "inc/w.h", "class Widget {\n  int w;\n};\n");
	wfm_test_write(dir, "legacy/old.h", "struct old { int a; };\n");
	commit(dir, "mostly C++");
	assert_wfm_ok(run(&l, dir, &o));
	/* more C++ sources than C ones: headers are C++ */
	expect_unit(&l, "inc/w.h::class::Widget", "class", "Widget", 1, 3);
	assert_int_equal(must_find(&l, "inc/w.h::class::Widget")->lang, WFM_LANG_CPP);
	assert_int_equal(must_find(&l, "c.c::function::c")->lang, WFM_LANG_C);
	wfm_unit_list_release(&l);

	/* decided from the revision, not from the pathspecs */
	o.pathspecs = one;
	o.pathspecs_nr = 1;
	assert_wfm_ok(run(&l, dir, &o));
	assert_int_equal(l.nr, 1);
	assert_int_equal(l.v[0].lang, WFM_LANG_CPP);
	wfm_unit_list_release(&l);
	o.pathspecs = NULL;
	o.pathspecs_nr = 0;

	/* git config wfmigrate.chunk.lang.<glob> decides for what it matches; the last wins */
	free(wfm_test_sh(dir, "git config wfmigrate.chunk.lang.legacy/*.h cpp && "
			      "git config --add wfmigrate.chunk.lang.legacy/*.h c"));
	assert_wfm_ok(run(&l, dir, &o));
	assert_int_equal(must_find(&l, "legacy/old.h::struct::old")->lang, WFM_LANG_C);
	assert_int_equal(must_find(&l, "inc/w.h::class::Widget")->lang, WFM_LANG_CPP);
	wfm_unit_list_release(&l);
	free(wfm_test_sh(dir, "git config wfmigrate.chunk.lang.*.cc cobol"));
	assert_int_equal(run(&l, dir, &o), WFM_ECONFIG);
	assert_non_null(strstr(wfm_error_last(), "bad config wfmigrate.chunk.lang.*.cc"));
	assert_non_null(strstr(wfm_error_last(), "unknown language 'cobol'"));
	assert_int_equal(l.nr, 0);
	free(wfm_test_sh(dir, "git config --unset-all wfmigrate.chunk.lang.*.cc && "
			      "git rm -q a.cpp b.cc && git commit -qm 'C now'"));

	/* mostly C: headers are C */
	assert_wfm_ok(run(&l, dir, &o));
	for (size_t i = 0; i < l.nr; i++)
		if (!strcmp(l.v[i].path, "inc/w.h"))
			assert_int_equal(l.v[i].lang, WFM_LANG_C);
	assert_null(find(&l, "inc/w.h::class::Widget"));
	wfm_unit_list_release(&l);
	wfm_test_rmtree(dir);
	free(dir);
}

/* ---- annotation macros and macro-defined tests (C, C++) ------------------------- */

/* Replaces the first what in s, after from, by spaces (newlines kept), as the chunker does. */
static void blank_in(char *s, const char *from, const char *what)
{
	char *p = strstr(strstr(s, from), what);

	assert_non_null(p);
	for (size_t i = 0; i < strlen(what); i++)
		if (p[i] != '\n')
			p[i] = ' ';
}

static void test_chunk__macros_blanked(void **state)
{
	static const char src[] = "#define FMT_API __declspec(dllexport) \\\n"
				  "  FMT_INLINE\n"
				  "#  define GTEST_API_ /* FMT_API */ FMT_API\n"
				  "FMT_API int f(const char *s = \"FMT_API\", char c = 'F');\n"
				  "/* FMT_API */ // FMT_INLINE \\\n"
				  "   FMT_INLINE still a comment\n"
				  "auto r = R\"x(FMT_API)\" FMT_API)x\"; auto w = L\"FMT_API\";\n"
				  "switch (k) { case X_DEPRECATED: v = Y_DEPRECATED; }\n"
				  "enum { A_INLINE = 1, B_INLINE };\n"
				  "void g() GTEST_LOCK_EXCLUDED_(mu_(\"(\", ')')) {}\n"
				  "int n = 1'000; FMT_NODISCARD int m();\n"
				  "obj.FMT_API; ns::FMT_API x; FMT_APIX y; Fmt_API z;\n"
				  "FMT_DEPRECATED(\"old\",\n"
				  "               \"use g\") void h();\n"
				  "X_DEPRECATED(\n"
				  "#if A\n"
				  ") void k();\n"
				  "class Q { Q_OBJECT public Q_SLOTS: void s(); };\n"
				  "FMT_BEGIN_NAMESPACE\n";
	struct wfm_macros m = WFM_MACROS_INIT;
	struct wfm_buf out = WFM_BUF_INIT;
	char *want = wfm_strdup(src);

	assert_wfm_ok(wfm_macros_load(&m, NULL));
	/* directives, comments, literals and values are left; the rest is blanked */
	blank_in(want, "FMT_API int f", "FMT_API");
	blank_in(want, "void g()", "GTEST_LOCK_EXCLUDED_(mu_(\"(\", ')'))");
	blank_in(want, "int n", "FMT_NODISCARD");
	blank_in(want, "FMT_DEPRECATED(\"old\"",
		 "FMT_DEPRECATED(\"old\",\n               \"use g\")");
	blank_in(want, "X_DEPRECATED(\n#if", "X_DEPRECATED");
	blank_in(want, "class Q", "Q_OBJECT");
	blank_in(want, "class Q", "Q_SLOTS");
	blank_in(want, "FMT_BEGIN_NAMESPACE\n", "FMT_BEGIN_NAMESPACE");
	assert_int_equal(wfm_macros_blank(&out, &m, src, strlen(src)), 1);
	assert_int_equal(out.len, strlen(src));
	assert_string_equal(out.ptr, want);

	/* nothing to blank */
	assert_int_equal(wfm_macros_blank(&out, &m, "int main() {}\n", 14), 0);
	assert_string_equal(out.ptr, "int main() {}\n");
	wfm_buf_release(&out);
	wfm_macros_release(&m);
	free(want);
}

static const char annotated_hpp[] =
	"#define FMT_API __attribute__((visibility(\"default\")))\n" /* 1 */
	"#define FMT_BEGIN_NAMESPACE \\\n"			     /* 2 */
	"  namespace fmt {\n"					     /* 3 */
	"FMT_BEGIN_NAMESPACE\n"					     /* 4 */
	"// Formats points.\n"					     /* 5 */
	"template <> struct formatter<Point> {\n"		     /* 6 */
	"  FMT_CONSTEXPR auto parse(int x) -> int { return x; }\n"   /* 7 */
	"};\n"							     /* 8 */
	"FMT_END_NAMESPACE\n"					     /* 9 */
	"\n"							     /* 10 */
	"class GTEST_API_ Registry {\n"				     /* 11 */
	" public:\n"						     /* 12 */
	"  void Add() GTEST_LOCK_EXCLUDED_(mutex_);\n"		     /* 13 */
	"};\n"							     /* 14 */
	"\n"							     /* 15 */
	"void Registry::Add()\n"				     /* 16 */
	"    GTEST_EXCLUSIVE_LOCK_REQUIRED_(lock_(\"a)\", ')')) {\n" /* 17 */
	"  count_++;\n"						     /* 18 */
	"}\n"							     /* 19 */
	"\n"							     /* 20 */
	"FMT_API int twice(int x) { return 2 * x; }\n"		     /* 21 */
	"\n"							     /* 22 */
	"class MY_DECOR_V2 Thing {\n"				     /* 23 */
	"  int x;\n"						     /* 24 */
	"};\n"							     /* 25 */
	"thing_attr int helper() { return 1; }\n";		     /* 26 */

static void test_chunk__annotation_macros(void **state)
{
	char *dir = wfm_test_repo_new(), *ids;
	struct wfm_unit_list l = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;

	wfm_test_write(dir, "lib/annotated.hpp", annotated_hpp);
	commit(dir, "annotated");
	o.with_text = 1;
	assert_wfm_ok(run(&l, dir, &o));
	/*
	 * nothing named after a macro; lines as in the file, with the comment
	 * above and the lines of nothing but a blanked macro (4 and 9)
	 */
	expect_unit(&l, "lib/annotated.hpp::struct::formatter<Point>", "struct", "formatter<Point>",
		    4, 9);
	expect_unit(&l, "lib/annotated.hpp::class::Registry", "class", "Registry", 11, 14);
	expect_unit(&l, "lib/annotated.hpp::method::Registry::Add", "method", "Registry::Add", 16,
		    19);
	expect_unit(&l, "lib/annotated.hpp::function::twice", "function", "twice", 21, 21);
	/* texts are the file's */
	assert_non_null(strstr(must_find(&l, "lib/annotated.hpp::class::Registry")->text,
			       "class GTEST_API_ Registry {\n"));
	assert_non_null(strstr(must_find(&l, "lib/annotated.hpp::method::Registry::Add")->text,
			       "GTEST_EXCLUSIVE_LOCK_REQUIRED_(lock_(\"a)\", ')')) {"));
	assert_null(find(&l, "lib/annotated.hpp::class::Thing"));
	for (size_t i = 0; i < l.nr; i++)
		if (strcmp(l.v[i].kind, "code")) /* the #define lines are code named FMT_API */
			assert_null(strstr(l.v[i].name, "_API"));
	wfm_unit_list_release(&l);

	/* every line is in a unit, those of a blanked macro alone too */
	o.uncovered = 1;
	assert_wfm_ok(run(&l, dir, &o));
	assert_int_equal(l.nr, 0);
	o.uncovered = 0;

	/* --match and query predicates read the file, not the blanked copy */
	o.with_text = 0;
	o.match = "GTEST_API_ Registry";
	assert_wfm_ok(run(&l, dir, &o));
	ids = ids_of(&l);
	assert_string_equal(ids, "lib/annotated.hpp::class::Registry\n");
	free(ids);
	wfm_unit_list_release(&l);
	o.match = NULL;
	o.query = "((class_specifier) @c (#match? @c \"^class GTEST_API_\"))";
	assert_wfm_ok(run(&l, dir, &o));
	ids = ids_of(&l);
	assert_string_equal(ids, "lib/annotated.hpp::class::Registry\n");
	free(ids);
	wfm_unit_list_release(&l);
	o.query = NULL;

	/* git config wfmigrate.chunk.ignoreMacro adds names and globs */
	free(wfm_test_sh(dir, "git config wfmigrate.chunk.ignoreMacro 'MY_DECOR*' && "
			      "git config --add wfmigrate.chunk.ignoreMacro thing_attr"));
	assert_wfm_ok(run(&l, dir, &o));
	expect_unit(&l, "lib/annotated.hpp::class::Thing", "class", "Thing", 23, 25);
	expect_unit(&l, "lib/annotated.hpp::function::helper", "function", "helper", 26, 26);
	wfm_unit_list_release(&l);
	free(wfm_test_sh(dir, "git config --add wfmigrate.chunk.ignoreMacro 'NOT A NAME'"));
	assert_int_equal(run(&l, dir, &o), WFM_ECONFIG);
	assert_non_null(strstr(wfm_error_last(), "bad config wfmigrate.chunk.ignoreMacro: "
						 "'NOT A NAME' is not a macro name"));
	assert_int_equal(l.nr, 0);
	/* globs are only tried on macro-style names: a lower-case one would never match */
	free(wfm_test_sh(dir, "git config --unset-all wfmigrate.chunk.ignoreMacro && "
			      "git config wfmigrate.chunk.ignoreMacro '*_api'"));
	assert_int_equal(run(&l, dir, &o), WFM_ECONFIG);
	assert_non_null(strstr(wfm_error_last(), "'*_api' is not a macro name or an upper-case"));
	wfm_test_rmtree(dir);
	free(dir);
}

static const char tests_cc[] =
	"#include <gtest/gtest.h>\n"						       /* 1 */
	"\n"									       /* 2 */
	"#if GTEST_HAS_DEATH_TEST\n"						       /* 3 */
	"int only_with_death() { return 1; }\n"					       /* 4 */
	"#endif\n"								       /* 5 */
	"\n"									       /* 6 */
	"// Adds.\n"								       /* 7 */
	"TEST(MathTest, Adds) {\n"						       /* 8 */
	"  EXPECT_EQ(2, 1 + 1);\n"						       /* 9 */
	"}\n"									       /* 10 */
	"\n"									       /* 11 */
	"TEST_F(StackTest, enum) {\n"						       /* 12 */
	"  EXPECT_TRUE(true);\n"						       /* 13 */
	"}\n"									       /* 14 */
	"TEST_P(ParamTest, Works) {}\n"						       /* 15 */
	"TYPED_TEST(TypedTest, Works) {}\n"					       /* 16 */
	"BOOST_AUTO_TEST_CASE(boost_case) {}\n"					       /* 17 */
	"TEST_CASE(\"adds numbers\", \"[math]\") {\n"				       /* 18 */
	"  REQUIRE(1 + 1 == 2);\n"						       /* 19 */
	"}\n"									       /* 20 */
	"TEST_CASE_METHOD(Fixture, \"uses it\") {}\n"				       /* 21 */
	"ACTION_P(Add, n) { return arg0 + n; }\n"				       /* 22 */
	"\n"									       /* 23 */
	"namespace {\n"								       /* 24 */
	"TEST(ThrowTest, InArgs) {\n"						       /* 25 */
	"  int n = 0;\n"							       /* 26 */
	"  EXPECT_SYSTEM_ERROR(throw system_error(EDOM, \"a\"), EDOM, \"a\");\n"       /* 27 */
	"  EXPECT_NONFATAL_FAILURE(EXPECT_SYSTEM_ERROR(throw 1, EDOM, \"\"), \"\");\n" /* 28 */
	"}\n"									       /* 29 */
	"\n"									       /* 30 */
	"// After the throws.\n"						       /* 31 */
	"TEST(ThrowTest, After) {\n"						       /* 32 */
	"  if (AlwaysFalse())\n"						       /* 33 */
	"    EXPECT_SYSTEM_ERROR(do_nothing(), EDOM, \"\");\n"			       /* 34 */
	"}\n"									       /* 35 */
	"}  // namespace\n";							       /* 36 */

static void test_chunk__macro_defined_tests(void **state)
{
	char *dir = wfm_test_repo_new(), *ids;
	struct wfm_unit_list l = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;
	struct wfm_buf more = WFM_BUF_INIT;

	wfm_test_write(dir, "t.cc", tests_cc);
	wfm_test_write(dir, "t.c",
		       "TEST(CSuite, Works) {\n"
		       "  assert(1);\n"
		       "}\n"
		       "BOOST_AUTO_TEST_CASE(c_case) { }\n"
		       "static int plain(void) { return 0; }\n");
	commit(dir, "tests");
	assert_wfm_ok(run(&l, dir, &o));
	ids = ids_of(&l);
	assert_string_equal(ids, "t.c::test::CSuite.Works\n"
				 "t.c::test::c_case\n"
				 "t.c::function::plain\n"
				 "t.cc::code::<gtest/gtest.h>\n"
				 "t.cc::function::only_with_death\n"
				 "t.cc::test::MathTest.Adds\n"
				 "t.cc::test::StackTest.enum\n"
				 "t.cc::test::ParamTest.Works\n"
				 "t.cc::test::TypedTest.Works\n"
				 "t.cc::test::boost_case\n"
				 "t.cc::test::adds numbers\n"
				 "t.cc::test::Fixture.uses it\n"
				 "t.cc::function::Add\n"
				 "t.cc::test::ThrowTest.InArgs\n"
				 "t.cc::test::ThrowTest.After\n");
	free(ids);
	expect_unit(&l, "t.c::test::CSuite.Works", "test", "CSuite.Works", 1, 3);
	expect_unit(&l, "t.cc::test::MathTest.Adds", "test", "MathTest.Adds", 7, 10);
	expect_unit(&l, "t.cc::test::StackTest.enum", "test", "StackTest.enum", 12, 14);
	expect_unit(&l, "t.cc::test::adds numbers", "test", "adds numbers", 18, 20);
	assert_string_equal(must_find(&l, "t.cc::function::Add")->kind, "function");
	/* a "throw" among a macro's arguments breaks the parse: the blocks are found again */
	expect_unit(&l, "t.cc::test::ThrowTest.InArgs", "test", "ThrowTest.InArgs", 25, 29);
	/* with the "}  // namespace" below, as code that closes what holds a unit */
	expect_unit(&l, "t.cc::test::ThrowTest.After", "test", "ThrowTest.After", 31, 36);
	wfm_unit_list_release(&l);

	/* a test added above changes no other id */
	wfm_buf_adds(&more, "TEST(MathTest, First) {}\n");
	wfm_buf_adds(&more, tests_cc);
	wfm_test_write(dir, "t.cc", more.ptr);
	commit(dir, "one more");
	assert_wfm_ok(run(&l, dir, &o));
	expect_unit(&l, "t.cc::test::MathTest.First", "test", "MathTest.First", 1, 1);
	expect_unit(&l, "t.cc::test::MathTest.Adds", "test", "MathTest.Adds", 8, 11);
	expect_unit(&l, "t.cc::test::ThrowTest.After", "test", "ThrowTest.After", 32, 37);
	wfm_buf_release(&more);
	wfm_unit_list_release(&l);
	wfm_test_rmtree(dir);
	free(dir);
}

static void test_chunk__extern_c_in_a_c_header(void **state)
{
	char *dir = wfm_test_repo_new(), *ids;
	struct wfm_unit_list l = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;

	/* the C grammar parses extern "C" { too: what it holds are units of C */
	wfm_test_write(dir, "ext.h",
		       "#ifdef __cplusplus\n"	     /* 1 */
		       "extern \"C\" {\n"	     /* 2 */
		       "#endif\n"		     /* 3 */
		       "\n"			     /* 4 */
		       "int f(void) { return 0; }\n" /* 5 */
		       "struct s { int a; };\n"	     /* 6 */
		       "\n"			     /* 7 */
		       "#ifdef __cplusplus\n"	     /* 8 */
		       "}\n"			     /* 9 */
		       "#endif\n");		     /* 10 */
	commit(dir, "extern C");
	assert_wfm_ok(run(&l, dir, &o));
	expect_unit(&l, "ext.h::function::f", "function", "f", 5, 5);
	expect_unit(&l, "ext.h::struct::s", "struct", "s", 6, 6);
	assert_int_equal(must_find(&l, "ext.h::function::f")->lang, WFM_LANG_C);
	wfm_unit_list_release(&l);
	o.uncovered = 1;
	assert_wfm_ok(run(&l, dir, &o));
	ids = ids_of(&l);
	assert_string_equal(ids, "");
	free(ids);
	wfm_unit_list_release(&l);
	wfm_test_rmtree(dir);
	free(dir);
}

static void test_chunk__comments_attached(void **state)
{
	char *dir = wfm_test_repo_new();
	struct wfm_unit_list l = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;

	wfm_test_write(dir, "c.c",
		       "int x1; // trailing on x1\n"				 /* 1 */
		       "// doc for f\n"						 /* 2 */
		       "int f(void) { return 0; }\n"				 /* 3 */
		       "\n"							 /* 4 */
		       "// detached by a blank line\n"				 /* 5 */
		       "\n"							 /* 6 */
		       "int g(void) { return 0; }\n"				 /* 7 */
		       "/* a */\n"						 /* 8 */
		       "/* b */\n"						 /* 9 */
		       "int h(void) { return 0; } /* after h */\n"		 /* 10 */
		       "int i(void) { return 0; } int j(void) { return 1; }\n"); /* 11 */
	commit(dir, "comments");
	o.with_text = 1;
	assert_wfm_ok(run(&l, dir, &o));
	expect_unit(&l, "c.c::function::f", "function", "f", 2, 3);
	expect_unit(&l, "c.c::function::g", "function", "g", 7, 7);
	expect_unit(&l, "c.c::function::h", "function", "h", 8, 10);
	assert_string_equal(must_find(&l, "c.c::function::h")->text,
			    "/* a */\n/* b */\nint h(void) { return 0; } /* after h */\n");
	/* two definitions on one line share it without overlapping */
	assert_string_equal(must_find(&l, "c.c::function::i")->text, "int i(void) { return 0; }");
	assert_string_equal(must_find(&l, "c.c::function::j")->text, "int j(void) { return 1; }\n");
	expect_unit(&l, "c.c::function::j", "function", "j", 11, 11);
	wfm_unit_list_release(&l);
	wfm_test_rmtree(dir);
	free(dir);
}

/* ---- revisions, working tree, pathspecs, languages ---------------------------- */

static void test_chunk__reads_the_revision_not_the_worktree(void **state)
{
	char *dir = wfm_test_repo_new(), *ids;
	struct wfm_unit_list l = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;

	wfm_test_write(dir, "a.py", "def one():\n    pass\n");
	commit(dir, "one");
	wfm_test_write(dir, "a.py", "def one():\n    pass\n\ndef two():\n    pass\n");
	commit(dir, "two");
	/* uncommitted: an edit, a staged file and an untracked one */
	wfm_test_write(dir, "a.py",
		       "def one():\n    pass\n\ndef two():\n    pass\n\n"
		       "def three():\n    pass\n");
	wfm_test_write(dir, "staged.py", "def staged():\n    pass\n");
	free(wfm_test_sh(dir, "git add staged.py"));
	wfm_test_write(dir, "untracked.py", "def untracked():\n    pass\n");

	assert_wfm_ok(run(&l, dir, &o));
	ids = ids_of(&l);
	assert_string_equal(ids, "a.py::function::one\na.py::function::two\n");
	free(ids);
	wfm_unit_list_release(&l);

	o.rev = "HEAD~1";
	assert_wfm_ok(run(&l, dir, &o));
	ids = ids_of(&l);
	assert_string_equal(ids, "a.py::function::one\n");
	free(ids);
	wfm_unit_list_release(&l);

	/* a commit id and a tag work as well */
	free(wfm_test_sh(dir, "git tag v1 HEAD~1"));
	o.rev = "v1";
	assert_wfm_ok(run(&l, dir, &o));
	assert_int_equal(l.nr, 1);
	wfm_unit_list_release(&l);

	o.rev = "no-such-rev";
	assert_int_equal(run(&l, dir, &o), WFM_ENOTFOUND);
	assert_string_equal(wfm_error_last(), "unknown revision 'no-such-rev'");
	assert_int_equal(l.nr, 0);
	wfm_test_rmtree(dir);
	free(dir);
}

static void test_chunk__empty_repository(void **state)
{
	char *dir = wfm_test_repo_new();
	struct wfm_unit_list l = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;

	assert_int_equal(run(&l, dir, &o), WFM_ENOTFOUND);
	assert_string_equal(wfm_error_last(), "'HEAD' has no commits yet");
	assert_int_equal(l.nr, 0);
	wfm_test_rmtree(dir);
	free(dir);
}

static void test_chunk__pathspecs_and_lang(void **state)
{
	char *dir = wfm_test_repo_new(), *ids;
	struct wfm_unit_list l = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;
	const char *one[] = { "src/a.c" }, *glob[] = { "src/*.c" }, *tree[] = { "web" };
	const char *two[] = { "py/m.py", "web/*.tsx" }, *none[] = { "src", "nope/" };

	write_languages(dir);
	wfm_test_write(dir, "src/deep/z.c", "int z(void) { return 0; }\n");
	commit(dir, "files");

	o.pathspecs = one;
	o.pathspecs_nr = 1;
	assert_wfm_ok(run(&l, dir, &o));
	assert_int_equal(l.nr, 8);
	for (size_t i = 0; i < l.nr; i++)
		assert_string_equal(l.v[i].path, "src/a.c");
	wfm_unit_list_release(&l);

	o.pathspecs = glob; /* '*' matches '/' as in git */
	assert_wfm_ok(run(&l, dir, &o));
	assert_int_equal(l.nr, 9);
	assert_string_equal(l.v[8].id, "src/deep/z.c::function::z");
	wfm_unit_list_release(&l);

	o.pathspecs = tree;
	assert_wfm_ok(run(&l, dir, &o));
	for (size_t i = 0; i < l.nr; i++)
		assert_true(!strncmp(l.v[i].path, "web/", 4));
	assert_int_equal(l.nr, 14);
	wfm_unit_list_release(&l);

	o.pathspecs = two;
	o.pathspecs_nr = 2;
	assert_wfm_ok(run(&l, dir, &o));
	ids = ids_of(&l);
	assert_string_equal(ids, "py/m.py::code::os\npy/m.py::function::hello\n"
				 "py/m.py::class::Point\n"
				 "py/m.py::function::fetch\nweb/view.tsx::function::View\n"
				 "web/view.tsx::function::Item\n");
	free(ids);
	wfm_unit_list_release(&l);

	o.pathspecs = none;
	assert_int_equal(run(&l, dir, &o), WFM_ENOTFOUND);
	assert_string_equal(wfm_error_last(), "pathspec 'nope/' did not match any file at 'HEAD'");
	assert_int_equal(l.nr, 0);

	o.pathspecs = NULL;
	o.pathspecs_nr = 0;
	o.lang = WFM_LANG_PYTHON;
	assert_wfm_ok(run(&l, dir, &o));
	assert_int_equal(l.nr, 4);
	for (size_t i = 0; i < l.nr; i++)
		assert_int_equal(l.v[i].lang, WFM_LANG_PYTHON);
	wfm_unit_list_release(&l);

	o.lang = WFM_LANG_OTHER;
	assert_wfm_ok(run(&l, dir, &o));
	assert_int_equal(l.nr, 1);
	assert_string_equal(l.v[0].id, "README.md::file::README.md");
	wfm_unit_list_release(&l);
	wfm_test_rmtree(dir);
	free(dir);
}

/* ---- awkward files ------------------------------------------------------------------ */

static void test_chunk__binary_and_unknown_files(void **state)
{
	char *dir = wfm_test_repo_new(), *ids;
	struct wfm_unit_list l = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;
	static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
	static const char binc[] = "int f(void) { return 0; }\n\0\0\1\2";
	struct wfm_buf json = WFM_BUF_INIT;
	cJSON *obj;
	char late[9100];

	write_bytes(dir, "logo.png", png, sizeof(png) - 1);
	write_bytes(dir, "bin.c", binc, sizeof(binc) - 1);
	/* a NUL after the first 8000 bytes: text, as for git */
	memset(late, 'x', sizeof(late));
	for (size_t i = 79; i < sizeof(late); i += 80)
		late[i] = '\n';
	late[8500] = '\0';
	write_bytes(dir, "late.txt", late, sizeof(late));
	wfm_test_write(dir, "Makefile", "all:\n\tcc -o x x.c\n");
	wfm_test_write(dir, "notes/todo.md", "- one\n- two\n");
	write_bytes(dir, "empty.c", "", 0);
	wfm_test_sh_status(dir, "ln -s Makefile link.c");
	commit(dir, "odd files");

	o.with_text = 1;
	assert_wfm_ok(run(&l, dir, &o));
	ids = ids_of(&l);
	/* no png, no bin.c, no empty file, no symbolic link */
	assert_string_equal(ids, "Makefile::file::Makefile\nlate.txt::file::late.txt\n"
				 "notes/todo.md::file::todo.md\n");
	free(ids);
	expect_unit(&l, "Makefile::file::Makefile", "file", "Makefile", 1, 2);
	assert_int_equal(l.v[0].end_byte, strlen("all:\n\tcc -o x x.c\n"));
	assert_int_equal(l.v[0].lang, WFM_LANG_OTHER);
	assert_int_equal(l.v[1].end_byte, sizeof(late));
	assert_int_equal(l.v[1].end_line, sizeof(late) / 80 + 1);
	/* the text holds every byte, the NUL too; JSON shows it as U+FFFD */
	assert_memory_equal(l.v[1].text, late, sizeof(late));
	wfm_unit_json(&json, &l.v[1], WFM_UNIT_JSON_TEXT);
	obj = cJSON_Parse(json.ptr);
	assert_non_null(obj);
	assert_int_equal(strlen(cJSON_GetObjectItem(obj, "text")->valuestring), sizeof(late) + 2);
	assert_memory_equal(cJSON_GetObjectItem(obj, "text")->valuestring + 8500, "\xef\xbf\xbd",
			    3);
	cJSON_Delete(obj);
	wfm_buf_release(&json);
	wfm_unit_list_release(&l);
	wfm_test_rmtree(dir);
	free(dir);
}

static void test_chunk__invalid_utf8_and_nul(void **state)
{
	char *dir = wfm_test_repo_new();
	struct wfm_unit_list l = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;
	struct wfm_buf src = WFM_BUF_INIT, json = WFM_BUF_INIT;
	static const char bad[] = "int ok(void) { return 1; } /* \xff\xfe */\n"
				  "char *s = \"\xc3\x28\xed\xa0\x80\";\n"
				  "int f\xe9t(void) { return 2; }\n"
				  "int ok2(void) { return 3; }\n";
	const struct wfm_unit *u;
	cJSON *obj;

	write_bytes(dir, "bad.c", bad, sizeof(bad) - 1);
	/* a NUL in the middle of C, after the binary probe */
	wfm_buf_adds(&src, "int first(void) { return 0; }\n/*");
	for (int i = 0; i < 9000; i++)
		wfm_buf_addch(&src, i % 70 ? 'x' : '\n');
	wfm_buf_adds(&src, "*/\n");
	wfm_buf_addch(&src, '\0');
	wfm_buf_adds(&src, "\nint last(void) { return 1; }\n");
	write_bytes(dir, "nul.c", src.ptr, src.len);
	commit(dir, "bad bytes");

	o.with_text = 1;
	assert_wfm_ok(run(&l, dir, &o));
	u = must_find(&l, "bad.c::function::ok");
	assert_int_equal(u->start_line, 1);
	must_find(&l, "bad.c::function::ok2");
	must_find(&l, "nul.c::function::first");
	for (size_t i = 0; i < l.nr; i++) {
		assert_true(l.v[i].end_byte > l.v[i].start_byte);
		if (i && !strcmp(l.v[i].path, l.v[i - 1].path))
			assert_true(l.v[i].start_byte >= l.v[i - 1].end_byte);
		/* names and ids are valid UTF-8 whatever the source holds */
		obj = NULL;
		wfm_buf_clear(&json);
		wfm_unit_json(&json, &l.v[i], WFM_UNIT_JSON_TEXT);
		obj = cJSON_Parse(json.ptr);
		assert_non_null(obj);
		assert_string_equal(cJSON_GetObjectItem(obj, "id")->valuestring, l.v[i].id);
		cJSON_Delete(obj);
	}
	/* the text in JSON is UTF-8: the bad bytes became U+FFFD */
	wfm_buf_clear(&json);
	wfm_unit_json(&json, must_find(&l, "bad.c::function::ok"), WFM_UNIT_JSON_TEXT);
	assert_non_null(strstr(json.ptr, "/* \xef\xbf\xbd\xef\xbf\xbd */"));
	wfm_buf_release(&json);
	wfm_buf_release(&src);
	wfm_unit_list_release(&l);
	wfm_test_rmtree(dir);
	free(dir);
}

static void test_chunk__syntax_errors(void **state)
{
	char *dir = wfm_test_repo_new();
	struct wfm_unit_list l = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;

	wfm_test_write(dir, "e.c",
		       "int good1(void) { return 1; }\n"
		       "int broken(void) { return (; }\n"
		       "int good2(void) { return 2; }\n"
		       "}}} (((\n"
		       "int swallowed(void) { return 3; }\n");
	wfm_test_write(dir, "e.py",
		       "def good():\n    return 1\n\n"
		       "def bad(:\n    pass\n\n"
		       "class Fine:\n    pass\n");
	wfm_test_write(dir, "e.go", "package x\n\nfunc ok() {}\n\nfunc (\n");
	wfm_test_write(dir, "e.rs", "fn ok() {}\nfn nope( {\n");
	wfm_test_write(dir, "e.java", "class A { void m() { } }\nclass {\n");
	wfm_test_write(dir, "junk.ts", "}}}{{{ ))) <<< >>>\n");
	commit(dir, "errors");
	assert_wfm_ok(run(&l, dir, &o));
	expect_unit(&l, "e.c::function::good1", "function", "good1", 1, 1);
	expect_unit(&l, "e.c::function::good2", "function", "good2", 3, 3);
	/* what follows the garbage is part of an ERROR node: not a definition */
	assert_null(find(&l, "e.c::function::swallowed"));
	expect_unit(&l, "e.py::function::good", "function", "good", 1, 2);
	expect_unit(&l, "e.py::class::Fine", "class", "Fine", 7, 8);
	must_find(&l, "e.go::function::ok");
	must_find(&l, "e.rs::function::ok");
	must_find(&l, "e.java::class::A");
	/* nothing well-formed at all: the whole file */
	expect_unit(&l, "junk.ts::file::junk.ts", "file", "junk.ts", 1, 1);
	assert_string_equal(must_find(&l, "junk.ts::file::junk.ts")->reason,
			    "no definitions found");
	wfm_unit_list_release(&l);
	wfm_test_rmtree(dir);
	free(dir);
}

static void test_chunk__no_definitions(void **state)
{
	char *dir = wfm_test_repo_new();
	struct wfm_unit_list l = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;
	const struct wfm_unit *u;

	wfm_test_write(dir, "decl.h", "#include <stddef.h>\nint f(int);\nextern int g;\n");
	commit(dir, "declarations only");
	assert_wfm_ok(run(&l, dir, &o));
	assert_int_equal(l.nr, 1);
	u = &l.v[0];
	assert_string_equal(u->id, "decl.h::file::decl.h");
	assert_int_equal(u->lang, WFM_LANG_C);
	assert_string_equal(u->reason, "no definitions found");
	assert_int_equal(u->end_byte, strlen("#include <stddef.h>\nint f(int);\nextern int g;\n"));
	wfm_unit_list_release(&l);
	wfm_test_rmtree(dir);
	free(dir);
}

/* A file of statements and no definition is cut as the code between definitions is. */
static void test_chunk__statements_only(void **state)
{
	char *dir = wfm_test_repo_new();
	struct wfm_unit_list l = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;

	wfm_test_write(dir, "a.test.js",
		       "import { test, expect } from 'vitest';\n\n"
		       "test('adds', () => {\n  expect(1 + 1).toBe(2);\n});\n\n"
		       "// the other way\ntest('subs', () => {\n  expect(1 - 1).toBe(0);\n});\n");
	wfm_test_write(dir, "run.py",
		       "import sys\n\nif __name__ == '__main__':\n"
		       "    sys.exit(main(\n        sys.argv))\n");
	wfm_test_write(dir, "one.py", "x = 1\n");
	commit(dir, "statements");
	assert_wfm_ok(run(&l, dir, &o));
	assert_int_equal(l.nr, 6);
	expect_unit(&l, "a.test.js::code::vitest", "code", "vitest", 1, 1);
	expect_unit(&l, "a.test.js::code::test('adds')", "code", "test('adds')", 3, 5);
	expect_unit(&l, "a.test.js::code::test('subs')", "code", "test('subs')", 7, 10);
	expect_unit(&l, "run.py::code::sys", "code", "sys", 1, 1);
	expect_unit(&l, "run.py::code::__name__ == '__main__'", "code", "__name__ == '__main__'", 3,
		    5);
	/* one statement: the file is one unit, as a file without code is */
	expect_unit(&l, "one.py::file::one.py", "file", "one.py", 1, 1);
	wfm_unit_list_release(&l);
	wfm_test_rmtree(dir);
	free(dir);
}

/* A piece of code whose first line is a bare keyword is named after its node instead. */
static void test_chunk__code_never_named_after_a_keyword(void **state)
{
	char *dir = wfm_test_repo_new();
	struct wfm_unit_list l = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;

	wfm_test_write(
		dir, "k.c",
		"struct s {\n\tint x;\n};\n\nstatic\n#ifndef D\nconst\n#endif\nint t[] = { 1 };\n");
	commit(dir, "static, then a conditional");
	assert_wfm_ok(run(&l, dir, &o));
	assert_null(find(&l, "k.c::code::static"));
	expect_unit(&l, "k.c::code::ERROR", "code", "ERROR", 5, 5);
	expect_unit(&l, "k.c::code::t", "code", "t", 9, 9);
	wfm_unit_list_release(&l);
	wfm_test_rmtree(dir);
	free(dir);
}

static void write_big_c(const char *dir, const char *path, int n)
{
	free(wfm_test_sh(dir,
			 "mkdir -p \"$(dirname '%s')\" && awk 'BEGIN { for (i = 0; i < %d; i++) "
			 "printf \"int f%%d(int x)\\n{\\n\\tint y = x * %%d;\\n\\treturn y + 1;"
			 "\\n}\\n\", i, i }' "
			 "> '%s'",
			 path, n, path));
}

static void test_chunk__oversized_and_timeout(void **state)
{
	char *dir = wfm_test_repo_new();
	struct wfm_unit_list l = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;
	const struct wfm_unit *u;

	write_big_c(dir, "a_big.c", 40000); /* ~1.4 MB: far more than 1 ms to parse */
	wfm_test_write(dir, "b_small.c", "int small(void) { return 0; }\n");
	wfm_test_write(dir, "c_medium.py",
		       "def a():\n    return '0123456789012345678901234567890'\n"
		       "def b():\n    pass\n");
	commit(dir, "big");

	/* a size limit: the file is one unit, unparsed */
	o.max_file_bytes = 64;
	assert_wfm_ok(run(&l, dir, &o));
	u = must_find(&l, "a_big.c::file::a_big.c");
	assert_string_equal(u->reason, "file larger than 64 bytes");
	assert_string_equal(u->kind, "file");
	assert_int_equal(u->lang, WFM_LANG_C);
	assert_int_equal(u->start_line, 1);
	assert_int_equal(u->end_line, 40000 * 5);
	u = must_find(&l, "c_medium.py::file::c_medium.py");
	assert_string_equal(u->reason, "file larger than 64 bytes");
	must_find(&l, "b_small.c::function::small"); /* 31 bytes: parsed */
	wfm_unit_list_release(&l);

	/*
	 * A time limit, on one thread: the big file times out, and the parser
	 * is reset, so the next file parses from scratch.
	 */
	o.max_file_bytes = 0;
	o.timeout_us = 1000;
	o.threads = 1;
	assert_wfm_ok(run(&l, dir, &o));
	assert_int_equal(l.nr, 4);
	u = must_find(&l, "a_big.c::file::a_big.c");
	assert_string_equal(u->reason, "parse timed out");
	assert_int_equal(u->end_line, 40000 * 5);
	expect_unit(&l, "b_small.c::function::small", "function", "small", 1, 1);
	expect_unit(&l, "c_medium.py::function::a", "function", "a", 1, 2);
	wfm_unit_list_release(&l);

	/* without limits it parses */
	o.timeout_us = 0;
	o.threads = 0;
	o.pathspecs = (const char *[]){ "a_big.c" };
	o.pathspecs_nr = 1;
	assert_wfm_ok(run(&l, dir, &o));
	assert_int_equal(l.nr, 40000);
	expect_unit(&l, "a_big.c::function::f39999", "function", "f39999", 199996, 200000);
	wfm_unit_list_release(&l);
	wfm_test_rmtree(dir);
	free(dir);
}

/* ---- filters ------------------------------------------------------------------- */

static const char filt_c[] = "int good1(void) { return 1; }\n"
			     "int good2(void) { return 2; }\n"
			     "int other(void) { return good1() + 2; }\n";
static const char filt_py[] = "def good2():\n    return 2\n\ndef other():\n    return 'x'\n";

static void test_chunk__match_filter(void **state)
{
	char *dir = wfm_test_repo_new(), *ids;
	struct wfm_unit_list l = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;

	wfm_test_write(dir, "f.c", filt_c);
	wfm_test_write(dir, "f.py", filt_py);
	wfm_test_write(dir, "notes.txt", "return 2 in prose\n");
	commit(dir, "filters");

	o.match = "return 2\\b";
	assert_wfm_ok(run(&l, dir, &o));
	ids = ids_of(&l);
	assert_string_equal(ids, "f.c::function::good2\nf.py::function::good2\n"
				 "notes.txt::file::notes.txt\n");
	free(ids);
	wfm_unit_list_release(&l);

	/* ^ and $ are line anchors; ids do not change with the filter */
	o.match = "^int other";
	assert_wfm_ok(run(&l, dir, &o));
	ids = ids_of(&l);
	assert_string_equal(ids, "f.c::function::other\n");
	free(ids);
	wfm_unit_list_release(&l);

	o.match = "no such text";
	assert_wfm_ok(run(&l, dir, &o));
	assert_int_equal(l.nr, 0);

	o.match = "good(";
	assert_int_equal(run(&l, dir, &o), WFM_EINVALID);
	assert_string_equal(wfm_error_last(),
			    "invalid pattern 'good(' at offset 5: missing closing parenthesis");
	assert_int_equal(l.nr, 0);
	wfm_test_rmtree(dir);
	free(dir);
}

static void test_chunk__query_filter(void **state)
{
	char *dir = wfm_test_repo_new(), *ids;
	struct wfm_unit_list l = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;

	wfm_test_write(dir, "f.c", filt_c);
	wfm_test_write(dir, "f.py", filt_py);
	wfm_test_write(dir, "notes.txt", "return 2\n");
	commit(dir, "filters");

	/* compiles for C and C++ only: applies to them, Python units drop out */
	o.query = "(function_declarator declarator: (identifier) @name)";
	assert_wfm_ok(run(&l, dir, &o));
	ids = ids_of(&l);
	assert_string_equal(ids, "f.c::function::good1\nf.c::function::good2\n"
				 "f.c::function::other\n");
	free(ids);
	wfm_unit_list_release(&l);

	o.query = "((identifier) @id (#eq? @id \"good1\"))";
	assert_wfm_ok(run(&l, dir, &o));
	ids = ids_of(&l);
	assert_string_equal(ids, "f.c::function::good1\nf.c::function::other\n");
	free(ids);
	wfm_unit_list_release(&l);

	o.query = "((identifier) @id (#match? @id \"^good[0-9]$\") (#not-eq? @id \"good1\"))";
	assert_wfm_ok(run(&l, dir, &o));
	ids = ids_of(&l);
	assert_string_equal(ids, "f.c::function::good2\nf.py::function::good2\n");
	free(ids);
	wfm_unit_list_release(&l);

	o.query = "((string) @s (#any-of? @s \"'x'\" \"'y'\"))";
	assert_wfm_ok(run(&l, dir, &o));
	ids = ids_of(&l);
	assert_string_equal(ids, "f.py::function::other\n");
	free(ids);
	wfm_unit_list_release(&l);

	o.query = "((function_definition name: (identifier) @n) (#not-match? @n \"^good\"))";
	o.lang = WFM_LANG_PYTHON;
	assert_wfm_ok(run(&l, dir, &o));
	ids = ids_of(&l);
	assert_string_equal(ids, "f.py::function::other\n");
	free(ids);
	wfm_unit_list_release(&l);

	/* errors: bad syntax, a node type no selected language has, predicates */
	o.lang = WFM_LANG_ANY;
	o.query = "(function_definition";
	assert_int_equal(run(&l, dir, &o), WFM_EINVALID);
	assert_string_equal(wfm_error_last(), "invalid query: syntax error at offset 20");
	o.lang = WFM_LANG_PYTHON;
	o.query = "(function_declarator) @f";
	assert_int_equal(run(&l, dir, &o), WFM_EINVALID);
	assert_string_equal(wfm_error_last(),
			    "invalid query: invalid node type 'function_declarator' at offset 1");
	o.lang = WFM_LANG_ANY;
	o.query = "((identifier) @i (#set! foo bar))";
	assert_int_equal(run(&l, dir, &o), WFM_EINVALID);
	assert_non_null(strstr(wfm_error_last(), "unsupported query predicate '#set!'"));
	o.query = "((identifier) @i (#eq? @i))";
	assert_int_equal(run(&l, dir, &o), WFM_EINVALID);
	assert_string_equal(wfm_error_last(), "invalid arguments to query predicate '#eq?'");
	o.query = "((identifier) @i (#match? @i \"(\"))";
	assert_int_equal(run(&l, dir, &o), WFM_EINVALID);
	assert_non_null(strstr(wfm_error_last(), "at offset 1: missing closing parenthesis"));
	o.lang = WFM_LANG_OTHER;
	o.query = "(identifier) @i";
	assert_int_equal(run(&l, dir, &o), WFM_EINVALID);
	assert_int_equal(l.nr, 0);
	wfm_test_rmtree(dir);
	free(dir);
}

/* ---- packing and splitting -------------------------------------------------------- */

/*
 * Checks that out covers the bytes of in exactly once, adding only bytes
 * between the members of a pack; that every cut is at a line boundary;
 * and that units stay within max unless they are a single line.
 */
static void check_cover(const struct wfm_unit_list *in, const struct wfm_unit_list *out,
			const char *path, const char *text, size_t max)
{
	size_t len = strlen(text);
	char *had = wfm_calloc(len + 1, 1), *got = wfm_calloc(len + 1, 1);
	char *in_pack = wfm_calloc(len + 1, 1);

	for (size_t i = 0; i < in->nr; i++) {
		if (strcmp(in->v[i].path, path))
			continue;
		for (size_t b = in->v[i].start_byte; b < in->v[i].end_byte; b++)
			had[b]++;
	}
	for (size_t i = 0; i < out->nr; i++) {
		const struct wfm_unit *u = &out->v[i];
		size_t s = u->start_byte, e = u->end_byte;

		if (strcmp(u->path, path))
			continue;
		assert_true(s == 0 || text[s - 1] == '\n');
		assert_true(e == len || text[e - 1] == '\n');
		if (e - s > max && memchr(text + s, '\n', e - s - 1))
			fail_msg("%s: %zu bytes over %zu on several lines", u->id, e - s, max);
		for (size_t b = s; b < e; b++) {
			got[b]++;
			in_pack[b] = !strcmp(u->kind, "pack");
		}
	}
	for (size_t b = 0; b < len; b++) {
		if (got[b] > 1)
			fail_msg("%s: byte %zu is in %d units", path, b, got[b]);
		if (had[b] && !got[b])
			fail_msg("%s: byte %zu was lost", path, b);
		if (got[b] && !had[b] && !in_pack[b])
			fail_msg("%s: byte %zu is new outside a pack", path, b);
	}
	free(had);
	free(got);
	free(in_pack);
}

static const char pack_py[] = "def a():\n    return 1\n"		    /* 1-2 */
			      "def b():\n    return 2\n"		    /* 3-4 */
			      "\n"					    /* 5: a gap */
			      "def c():\n    return 3\n"		    /* 6-7 */
			      "class Big:\n"				    /* 8 */
			      "    def m1(self):\n        return 'one'\n"   /* 9-10 */
			      "    def m2(self):\n        return 'two'\n"   /* 11-12 */
			      "    def m3(self):\n        return 'three'\n" /* 13-14 */
			      "    def m4(self):\n        return 'four'\n"  /* 15-16 */
			      "def d():\n    return 4\n";		    /* 17-18 */

static void test_chunk__max_bytes_pack_and_split(void **state)
{
	char *dir = wfm_test_repo_new(), *ids;
	struct wfm_unit_list plain = WFM_UNIT_LIST_INIT, l = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;
	struct wfm_buf c = WFM_BUF_INIT, longline = WFM_BUF_INIT;
	const struct wfm_unit *u;

	wfm_test_write(dir, "p.py", pack_py);
	/* a long C function: statements, no nested definitions */
	wfm_buf_adds(&c, "int tiny(void) { return 0; }\nint long_one(int x)\n{\n");
	for (int i = 0; i < 40; i++)
		wfm_buf_addf(&c, "\tx = x * %d + 1;\n", i);
	wfm_buf_adds(&c, "\treturn x;\n}\n");
	wfm_test_write(dir, "l.c", c.ptr);
	/* one line longer than the limit */
	wfm_buf_adds(&longline, "x = '");
	for (int i = 0; i < 300; i++)
		wfm_buf_addch(&longline, 'a' + i % 26);
	wfm_buf_adds(&longline, "'\ny = 1\n");
	wfm_test_write(dir, "long.txt", longline.ptr);
	commit(dir, "sizes");

	assert_wfm_ok(run(&plain, dir, &o));
	o.max_bytes = 60;
	assert_wfm_ok(run(&l, dir, &o));
	ids = ids_of(&l);
	assert_string_equal(ids, "l.c::function::tiny\n"
				 "l.c::function::long_one@part1\n"
				 "l.c::function::long_one@part2\n"
				 "l.c::function::long_one@part3\n"
				 "l.c::function::long_one@part4\n"
				 "l.c::function::long_one@part5\n"
				 "l.c::function::long_one@part6\n"
				 "l.c::function::long_one@part7\n"
				 "l.c::function::long_one@part8\n"
				 "l.c::function::long_one@part9\n"
				 "l.c::function::long_one@part10\n"
				 "l.c::function::long_one@part11\n"
				 "l.c::function::long_one@part12\n"
				 "l.c::function::long_one@part13\n"
				 "l.c::function::long_one@part14\n"
				 "long.txt::file::long.txt@part1\n"
				 "long.txt::file::long.txt@part2\n"
				 "p.py::pack::function::a..function::b\n"
				 "p.py::function::c\n"
				 "p.py::class::Big@part1\n"
				 "p.py::class::Big@part2\n"
				 "p.py::class::Big@part3\n"
				 "p.py::class::Big@part4\n"
				 "p.py::function::d\n");
	free(ids);
	check_cover(&plain, &l, "p.py", pack_py, 60);
	check_cover(&plain, &l, "l.c", c.ptr, 60);
	check_cover(&plain, &l, "long.txt", longline.ptr, 60);

	/* a pack: its members in order */
	u = must_find(&l, "p.py::pack::function::a..function::b");
	assert_string_equal(u->kind, "pack");
	assert_string_equal(u->name, "function::a..function::b");
	assert_int_equal(u->members.nr, 2);
	assert_string_equal(u->members.v[0], "p.py::function::a");
	assert_string_equal(u->members.v[1], "p.py::function::b");
	assert_int_equal(u->start_line, 1);
	assert_int_equal(u->end_line, 4);
	/* a: 22 bytes, b: 22, a blank line, c: 22; a..c would be 67 */
	expect_unit(&l, "p.py::function::c", "function", "c", 6, 7);
	/* parts of a class start at its methods */
	u = must_find(&l, "p.py::class::Big@part1");
	assert_string_equal(u->kind, "class");
	assert_string_equal(u->name, "Big");
	assert_int_equal(u->start_line, 8);
	assert_int_equal(u->end_line, 10);
	expect_unit(&l, "p.py::class::Big@part2", "class", "Big", 11, 12);
	expect_unit(&l, "p.py::class::Big@part4", "class", "Big", 15, 16);
	/* a line longer than the limit is a part of its own */
	u = must_find(&l, "long.txt::file::long.txt@part1");
	assert_int_equal(u->end_byte, 307);
	wfm_unit_list_release(&l);

	/* a generous limit packs the whole file; filtered-out units are never packed over */
	o.max_bytes = 100000;
	o.match = "return [13]";
	o.pathspecs = (const char *[]){ "p.py" };
	o.pathspecs_nr = 1;
	assert_wfm_ok(run(&l, dir, &o));
	ids = ids_of(&l);
	assert_string_equal(ids, "p.py::function::a\np.py::function::c\n");
	free(ids);
	wfm_unit_list_release(&l);

	o.match = NULL;
	assert_wfm_ok(run(&l, dir, &o));
	assert_int_equal(l.nr, 1);
	assert_string_equal(l.v[0].id, "p.py::pack::function::a..function::d");
	assert_int_equal(l.v[0].members.nr, 5);
	wfm_unit_list_release(&l);

	wfm_unit_list_release(&plain);
	wfm_buf_release(&c);
	wfm_buf_release(&longline);
	wfm_test_rmtree(dir);
	free(dir);
}

/* A unit split by max_bytes keeps only the parts that hold what the filters look for. */
static void test_chunk__max_bytes_keeps_matching_parts(void **state)
{
	char *dir = wfm_test_repo_new(), *ids;
	struct wfm_unit_list l = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;
	const char *only_p[] = { "p.py" };
	const struct {
		const char *match, *query, *ids;
	} cases[] = {
		/* a match in one part: that part alone, with the number it has in the whole split
		 */
		{ "'three'", NULL, "p.py::class::Big@part3\n" },
		{ "class Big", NULL, "p.py::class::Big@part1\n" },
		/* a match across a cut: both parts it touches */
		{ "'one'\\n    def m2", NULL, "p.py::class::Big@part1\np.py::class::Big@part2\n" },
		/* an empty match at the very end: the last part */
		{ "'four'\\n\\K", NULL, "p.py::class::Big@part4\n" },
		/* a query: the parts holding a capture */
		{ NULL, "((string) @s (#eq? @s \"'two'\"))", "p.py::class::Big@part2\n" },
		/* both: a part must hold what each finds */
		{ "return", "((string) @s (#match? @s \"t\"))",
		  "p.py::class::Big@part2\np.py::class::Big@part3\n" },
		/* units that are not split are kept whole, as before */
		{ "return [13]", NULL, "p.py::function::a\np.py::function::c\n" },
	};

	wfm_test_write(dir, "p.py", pack_py);
	commit(dir, "parts");
	o.max_bytes = 60;
	o.pathspecs = only_p;
	o.pathspecs_nr = 1;
	for (size_t i = 0; i < WFM_ARRAY_SIZE(cases); i++) {
		o.match = cases[i].match;
		o.query = cases[i].query;
		assert_wfm_ok(run(&l, dir, &o));
		ids = ids_of(&l);
		if (strcmp(ids, cases[i].ids))
			fail_msg("match %s, query %s: got\n%sexpected\n%s", cases[i].match,
				 cases[i].query, ids, cases[i].ids);
		free(ids);
		/* the parts kept are those of the unfiltered split, byte for byte */
		for (size_t k = 0; k < l.nr; k++)
			if (strstr(l.v[k].id, "@part")) {
				struct wfm_unit_list all = WFM_UNIT_LIST_INIT;
				struct wfm_chunk_opts a = o;
				const struct wfm_unit *same;

				a.match = NULL;
				a.query = NULL;
				assert_wfm_ok(run(&all, dir, &a));
				same = must_find(&all, l.v[k].id);
				assert_int_equal(same->start_byte, l.v[k].start_byte);
				assert_int_equal(same->end_byte, l.v[k].end_byte);
				wfm_unit_list_release(&all);
			}
		wfm_unit_list_release(&l);
	}
	wfm_test_rmtree(dir);
	free(dir);
}

/* ---- threads --------------------------------------------------------------------- */

static void same_units(const struct wfm_unit_list *a, const struct wfm_unit_list *b)
{
	assert_int_equal(a->nr, b->nr);
	for (size_t i = 0; i < a->nr; i++) {
		const struct wfm_unit *x = &a->v[i], *y = &b->v[i];
		assert_string_equal(x->id, y->id);
		assert_string_equal(x->path, y->path);
		assert_string_equal(x->kind, y->kind);
		assert_string_equal(x->name, y->name);
		assert_int_equal(x->lang, y->lang);
		assert_int_equal(x->start_byte, y->start_byte);
		assert_int_equal(x->end_byte, y->end_byte);
		assert_int_equal(x->start_line, y->start_line);
		assert_int_equal(x->end_line, y->end_line);
		assert_int_equal(!x->reason, !y->reason);
		assert_int_equal(x->members.nr, y->members.nr);
		assert_string_equal(x->text, y->text);
	}
}

static void test_chunk__threads_give_the_same_result(void **state)
{
	char *dir = wfm_test_repo_new();
	struct wfm_unit_list one = WFM_UNIT_LIST_INIT, many = WFM_UNIT_LIST_INIT;
	struct wfm_unit_list all = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;

	write_languages(dir);
	for (int i = 0; i < 12; i++)
		free(wfm_test_sh(dir, "mkdir -p copy%d && cp -r src py web cmd README.md copy%d/",
				 i, i));
	write_big_c(dir, "big/gen.c", 3000);
	commit(dir, "many files");

	o.with_text = 1;
	o.max_bytes = 200;
	o.threads = 1;
	assert_wfm_ok(run(&one, dir, &o));
	o.threads = 4;
	assert_wfm_ok(run(&many, dir, &o));
	o.threads = 0;
	assert_wfm_ok(run(&all, dir, &o));
	assert_true(one.nr > 1000);
	same_units(&one, &many);
	same_units(&one, &all);
	wfm_unit_list_release(&one);
	wfm_unit_list_release(&many);
	wfm_unit_list_release(&all);

	/* with filters as well */
	o.max_bytes = 0;
	o.match = "return";
	o.query = "(identifier) @i";
	o.threads = 1;
	assert_wfm_ok(run(&one, dir, &o));
	o.threads = 3;
	assert_wfm_ok(run(&many, dir, &o));
	same_units(&one, &many);
	assert_true(one.nr > 100);
	wfm_unit_list_release(&one);
	wfm_unit_list_release(&many);
	assert_true(wfm_chunk_threads(0) >= 1);
	assert_int_equal(wfm_chunk_threads(3), 3);
	wfm_test_rmtree(dir);
	free(dir);
}

/* ---- output ------------------------------------------------------------------------ */

static void test_chunk__json(void **state)
{
	char *dir = wfm_test_repo_new();
	struct wfm_unit_list l = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts o = WFM_CHUNK_OPTS_INIT;
	struct wfm_buf b = WFM_BUF_INIT;
	cJSON *obj;

	wfm_test_write(dir, "p.py", pack_py);
	commit(dir, "json");
	o.with_text = 1;
	o.max_bytes = 60;
	assert_wfm_ok(run(&l, dir, &o));
	wfm_unit_json(&b, &l.v[0], WFM_UNIT_JSON_TEXT);
	obj = cJSON_Parse(b.ptr);
	assert_non_null(obj);
	assert_string_equal(cJSON_GetObjectItem(obj, "id")->valuestring,
			    "p.py::pack::function::a..function::b");
	assert_string_equal(cJSON_GetObjectItem(obj, "path")->valuestring, "p.py");
	assert_string_equal(cJSON_GetObjectItem(obj, "lang")->valuestring, "python");
	assert_string_equal(cJSON_GetObjectItem(obj, "kind")->valuestring, "pack");
	assert_int_equal(cJSON_GetObjectItem(obj, "start_line")->valueint, 1);
	assert_int_equal(cJSON_GetObjectItem(obj, "end_line")->valueint, 4);
	assert_int_equal(cJSON_GetObjectItem(obj, "start_byte")->valueint, 0);
	assert_int_equal(cJSON_GetObjectItem(obj, "size")->valueint,
			 cJSON_GetObjectItem(obj, "end_byte")->valueint);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(obj, "members")), 2);
	assert_null(cJSON_GetObjectItem(obj, "reason"));
	assert_string_equal(cJSON_GetObjectItem(obj, "text")->valuestring,
			    "def a():\n    return 1\ndef b():\n    return 2\n");
	cJSON_Delete(obj);

	/* without the flag, no text */
	wfm_buf_clear(&b);
	wfm_unit_json(&b, &l.v[2], 0);
	obj = cJSON_Parse(b.ptr);
	assert_non_null(obj);
	assert_null(cJSON_GetObjectItem(obj, "text"));
	assert_null(cJSON_GetObjectItem(obj, "members"));
	assert_string_equal(cJSON_GetObjectItem(obj, "name")->valuestring, "Big");
	cJSON_Delete(obj);
	wfm_buf_release(&b);
	wfm_unit_list_release(&l);
	wfm_test_rmtree(dir);
	free(dir);
}

static int setup(void **state)
{
	wfm_git_init();
	return 0;
}

static int teardown(void **state)
{
	wfm_git_shutdown();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chunk__languages),
		cmocka_unit_test(test_chunk__lang_names_and_extensions),
		cmocka_unit_test(test_chunk__duplicates_and_c_preprocessor),
		cmocka_unit_test(test_chunk__changed_since),
		cmocka_unit_test(test_chunk__ids_do_not_shift),
		cmocka_unit_test(test_chunk__top_level_code),
		cmocka_unit_test(test_chunk__uncovered),
		cmocka_unit_test(test_chunk__uncovered_find_made_up_units),
		cmocka_unit_test(test_chunk__uncovered_lines),
		cmocka_unit_test(test_chunk__functions_across_preprocessor_branches),
		cmocka_unit_test(test_chunk__headers_of_a_cpp_repository),
		cmocka_unit_test(test_chunk__macros_blanked),
		cmocka_unit_test(test_chunk__annotation_macros),
		cmocka_unit_test(test_chunk__macro_defined_tests),
		cmocka_unit_test(test_chunk__extern_c_in_a_c_header),
		cmocka_unit_test(test_chunk__comments_attached),
		cmocka_unit_test(test_chunk__reads_the_revision_not_the_worktree),
		cmocka_unit_test(test_chunk__empty_repository),
		cmocka_unit_test(test_chunk__pathspecs_and_lang),
		cmocka_unit_test(test_chunk__binary_and_unknown_files),
		cmocka_unit_test(test_chunk__invalid_utf8_and_nul),
		cmocka_unit_test(test_chunk__syntax_errors),
		cmocka_unit_test(test_chunk__no_definitions),
		cmocka_unit_test(test_chunk__statements_only),
		cmocka_unit_test(test_chunk__code_never_named_after_a_keyword),
		cmocka_unit_test(test_chunk__oversized_and_timeout),
		cmocka_unit_test(test_chunk__match_filter),
		cmocka_unit_test(test_chunk__query_filter),
		cmocka_unit_test(test_chunk__max_bytes_pack_and_split),
		cmocka_unit_test(test_chunk__max_bytes_keeps_matching_parts),
		cmocka_unit_test(test_chunk__threads_give_the_same_result),
		cmocka_unit_test(test_chunk__json),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
