#include "support/test.h"
#include "base/buf.h"
#include "base/strvec.h"
#include "oracle/excerpt.h"

/*
 * The excerpt of recorded outputs (tests/fixtures/oracle-output/, one file
 * per tool): which lines come first, in which order, and which never come.
 */

#define MAX_WANT 6

struct sample {
	const char *file;
	/* the excerpt's first lines, in order (NULL-terminated) */
	const char *want[MAX_WANT];
	/* how many lines the excerpt has; 0: not checked */
	size_t nr;
	/* the worktree the output came from, removed from paths; NULL: none */
	const char *strip_dir;
};

/* Lines that say only that something above failed: never in an excerpt. */
static const char *const never[] = {
	"make: ***",
	"make[1]: ***",
	"make[2]: ***",
	"Entering directory",
	"Leaving directory",
	"Errors while running CTest",
	"error: test failed, to rerun",
	"RUST_BACKTRACE",
	"Nothing to be done",
	"^~~",
	"| ",
	"node:internal",
	"Ran all test suites",
};

static char *read_fixture(const char *name, size_t *len)
{
	const char *src = getenv("WFM_SOURCE_DIR");
	struct wfm_buf path = WFM_BUF_INIT, text = WFM_BUF_INIT;

	if (!src)
		src = ".";
	wfm_buf_addf(&path, "%s/tests/fixtures/oracle-output/%s", src, name);
	if (wfm_buf_read_file(&text, path.ptr) < 0)
		fail_msg("cannot read %s: %s", path.ptr, wfm_error_last());
	wfm_buf_release(&path);
	return wfm_buf_detach(&text, len);
}

static void show(const char *file, const struct wfm_strvec *got)
{
	print_message("excerpt of %s:\n", file);
	for (size_t i = 0; i < got->nr; i++)
		print_message("  %zu: %s\n", i + 1, got->v[i]);
}

static void check(const struct sample *s)
{
	struct wfm_excerpt_opts o = WFM_EXCERPT_OPTS_INIT;
	struct wfm_strvec got = WFM_STRVEC_INIT;
	size_t len, want_nr = 0;
	char *text = read_fixture(s->file, &len);
	int rc;

	o.strip_dir = s->strip_dir;
	rc = wfm_excerpt_pick(&got, text, len, &o);
	assert_wfm_ok(rc);
	assert_int_equal((size_t)rc, got.nr);
	while (want_nr < MAX_WANT && s->want[want_nr])
		want_nr++;
	if (got.nr < want_nr || (s->nr && got.nr != s->nr)) {
		show(s->file, &got);
		fail_msg("%s: %zu lines picked, expected %zu", s->file, got.nr,
			 s->nr ? s->nr : want_nr);
	}
	for (size_t i = 0; i < want_nr; i++)
		if (strcmp(got.v[i], s->want[i])) {
			show(s->file, &got);
			fail_msg("%s: line %zu is '%s', expected '%s'", s->file, i + 1, got.v[i],
				 s->want[i]);
		}
	for (size_t i = 0; i < got.nr; i++) {
		assert_true(got.nr <= WFM_EXCERPT_LINES_DEFAULT);
		assert_true(strlen(got.v[i]) <= WFM_EXCERPT_WIDTH_DEFAULT);
		for (size_t k = 0; k < WFM_ARRAY_SIZE(never); k++)
			if (strstr(got.v[i], never[k])) {
				show(s->file, &got);
				fail_msg("%s: line %zu is noise ('%s')", s->file, i + 1, never[k]);
			}
	}
	wfm_strvec_clear(&got);
	free(text);
}

static void test_excerpt__gcc(void **state)
{
	/* the errors, first one first; no warning or note next to them */
	static const struct sample s = {
		"gcc.txt",
		{ "card.c:57:25: error: 'CARD_MAX' undeclared (first use in this function)",
		  "card.c:63:16: error: too few arguments to function 'card_hash'" },
		2,
		NULL,
	};
	(void)state;
	check(&s);
}

static void test_excerpt__clang(void **state)
{
	static const struct sample s = {
		"clang.txt",
		{ "parser.c:118:5: error: use of undeclared identifier 'tok_next'; did you mean "
		  "'tok_peek'?",
		  "parser.c:140:12: error: incompatible integer to pointer conversion returning "
		  "'int' "
		  "from a function with result type 'char *' [-Wint-conversion]" },
		2,
		NULL,
	};
	(void)state;
	check(&s);
}

static void test_excerpt__make_recursive(void **state)
{
	/* the linker's error, not the three levels of make wrapping it */
	static const struct sample s = {
		"make-recursive.txt",
		{ "tests/parse_test.c:31: undefined reference to `foo_parse_header'",
		  "/usr/bin/ld: parse_test.o: in function `main':" },
		2,
		"/build/libfoo-1.4",
	};
	(void)state;
	check(&s);
}

static void test_excerpt__minigzip(void **state)
{
	/* a program failing at run time under make test (issue 11): its message first */
	static const struct sample s = {
		"minigzip.txt",
		{ "./minigzip: out of memory", "*** zlib test FAILED ***" },
		2,
		NULL,
	};
	(void)state;
	check(&s);
}

static void test_excerpt__pytest_collection(void **state)
{
	/* the SyntaxError and where it is, not "ERROR collecting" above it */
	static const struct sample s = {
		"pytest-collection.txt",
		{ "E   SyntaxError: unmatched ')'", "E     File \"webkit/static.py\", line 41",
		  "ERROR tests/test_static.py", "E       return \"%s/%s\" % (root, name))",
		  "_________________________ ERROR collecting tests/test_static.py "
		  "_________________________" },
		5,
		"/home/ana/webkit/.git/wfmigrate/pool/wfm-3",
	};
	(void)state;
	check(&s);
}

static void test_excerpt__pytest_assert(void **state)
{
	/*
	 * the failed tests with their assertions: each "FAILED x - msg" takes
	 * the place of the "E ..." line it repeats; then where they failed
	 */
	static const struct sample s = {
		"pytest-assert.txt",
		{ "FAILED tests/test_format.py::test_format_price - AssertionError: assert '3.5 "
		  "EUR' "
		  "== '3.50 EUR'",
		  "FAILED tests/test_format.py::test_round_cents - assert 200 == 201",
		  "tests/test_format.py:27: AssertionError",
		  "tests/test_format.py:33: AssertionError",
		  ">       assert format_price(3.5) == \"3.50 EUR\"" },
		5,
		NULL,
	};
	(void)state;
	check(&s);
}

static void test_excerpt__ctest(void **state)
{
	/* the failed assertion inside the failing test's output, then the failed tests */
	static const struct sample s = {
		"ctest.txt",
		{ "[  ERROR   ] --- \"\\u00e9\" != \"é\"",
		  "[   LINE   ] --- /home/ana/kvstore/tests/unit/json.c:88: error: Failure!",
		  "2/6 Test  #2: unit_json ........................***Failed    0.02 sec",
		  "4/6 Test  #4: unit_compact .....................***Exception: SegFault  0.03 "
		  "sec",
		  "[  FAILED  ] test_json__unicode" },
		5,
		NULL,
	};
	(void)state;
	check(&s);
}

static void test_excerpt__go_test(void **state)
{
	static const struct sample s = {
		"go-test.txt",
		{ "parse_test.go:27: Parse(\"a=1\"): got map[a:2], want map[a:1]",
		  "--- FAIL: TestParse (0.00s)", "--- FAIL: TestParse/one_pair (0.00s)",
		  "FAIL example.com/kv/parse 0.004s" },
		4,
		NULL,
	};
	(void)state;
	check(&s);
}

static void test_excerpt__cargo_test(void **state)
{
	/* the panic, the message on the line after it, the test, the values */
	static const struct sample s = {
		"cargo-test.txt",
		{ "thread 'tests::parse_header' panicked at src/lib.rs:142:9:",
		  "assertion `left == right` failed: header length",
		  "test tests::parse_header ... FAILED", "left: 3", "right: 4" },
		5,
		NULL,
	};
	(void)state;
	check(&s);
}

static void test_excerpt__jest(void **state)
{
	static const struct sample s = {
		"jest.txt",
		{ "● formatPrice › pads cents to two digits", "Expected: \"3.50 EUR\"",
		  "Received: \"3.5 EUR\"", "FAIL src/price.test.js",
		  "at Object.toBe (src/price.test.js:5:30)" },
		5,
		NULL,
	};
	(void)state;
	check(&s);
}

static void test_excerpt__node_test(void **state)
{
	/* node's assertion, the values on the line after it, the test; each once */
	static const struct sample s = {
		"node-test.txt",
		{ "AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:",
		  "'3.5 EUR' !== '3.50 EUR'", "✖ pads cents to two digits (1.203ms)",
		  "actual: '3.5 EUR',", "expected: '3.50 EUR'," },
		5,
		NULL,
	};
	(void)state;
	check(&s);
}

static void test_excerpt__node_test_tap(void **state)
{
	/* node 20's test runner without a terminal: TAP, the error's message in YAML */
	static const struct sample s = {
		"node-test-tap.txt",
		{ "not ok 2 - pads cents to two digits", "not ok 1 - formatPrice",
		  "Expected values to be strictly equal:", "expected: '3.50 EUR'",
		  "actual: '3.5 EUR'" },
		5,
		NULL,
	};
	(void)state;
	check(&s);
}

static void test_excerpt__tap(void **state)
{
	/* the failed tests and the YAML diagnostics' values */
	static const struct sample s = {
		"tap.txt",
		{ "not ok 2 - parses a header with a continuation line",
		  "not ok 1 - test/header.js # time=31.2ms", "found: 3", "wanted: 4" },
		4,
		NULL,
	};
	(void)state;
	check(&s);
}

static void test_excerpt__scores(void **state)
{
	(void)state;
	/* noise */
	assert_true(wfm_excerpt_score("make: *** [Makefile:85: teststatic] Error 1", 43) < 0);
	assert_true(wfm_excerpt_score("make[3]: Leaving directory '/x'", 31) < 0);
	assert_true(wfm_excerpt_score("   42 |         safe_copy(a, b);", 32) < 0);
	assert_true(wfm_excerpt_score("      |         ^~~~~~~~~", 25) < 0);
	assert_true(wfm_excerpt_score("=====", 5) < 0);
	assert_true(wfm_excerpt_score("", 0) < 0);
	/* nothing in particular: passing tests whose names hold "error", commands */
	assert_int_equal(wfm_excerpt_score("ok 3 - keeps the error message", 30), 0);
	assert_int_equal(wfm_excerpt_score("test tests::error_on_missing ... ok", 35), 0);
	assert_int_equal(wfm_excerpt_score("gcc -Wno-error=unused -c a.c", 28), 0);
	/* make's own errors are not its wrapper */
	assert_true(wfm_excerpt_score("make: *** No rule to make target 'x.o'.  Stop.", 46) > 50);
	/* a crash reported by make is kept */
	assert_true(
		wfm_excerpt_score("make: *** [Makefile:3: test] Segmentation fault (core dumped)",
				  61) > 90);
	/* the order of kinds */
	assert_true(wfm_excerpt_score("a.c:1:2: error: x", 17) >
		    wfm_excerpt_score("./t: out of memory", 18));
	assert_true(wfm_excerpt_score("./t: out of memory", 18) >
		    wfm_excerpt_score("*** test FAILED ***", 19));
	assert_true(wfm_excerpt_score("*** test FAILED ***", 19) >
		    wfm_excerpt_score("a.c:1:2: warning: x", 19));
	assert_true(wfm_excerpt_score("KeyError: 'name'", 16) > 90);
	assert_true(wfm_excerpt_score("panic: runtime error: index out of range", 40) > 90);
	assert_true(wfm_excerpt_score("t: t.c:9: main: Assertion `n == 3' failed.", 42) > 90);
	assert_true(wfm_excerpt_score("sh: 1: pytest: not found", 24) > 80);
	assert_true(wfm_excerpt_score("==12==ERROR: AddressSanitizer: heap-buffer-overflow", 51) >
		    90);
}

static void pick(struct wfm_strvec *out, const char *text, const struct wfm_excerpt_opts *o)
{
	assert_wfm_ok(wfm_excerpt_pick(out, text, strlen(text), o));
}

static void test_excerpt__fallback(void **state)
{
	struct wfm_strvec got = WFM_STRVEC_INIT;

	(void)state;
	/* nothing scores: the last lines that are not noise, the last first */
	pick(&got,
	     "step 1\nstep 2\ncomparing out.txt\nbyte 3 differs\n\n"
	     "make: *** [Makefile:2: check] Error 1\n",
	     NULL);
	assert_int_equal(got.nr, 3);
	assert_string_equal(got.v[0], "byte 3 differs");
	assert_string_equal(got.v[1], "comparing out.txt");
	assert_string_equal(got.v[2], "step 2");
	wfm_strvec_clear(&got);

	/* below an error, no warning; without one, the warning */
	pick(&got, "a.c:1:1: warning: unused x\na.c:2:1: error: y\n", NULL);
	assert_int_equal(got.nr, 1);
	assert_string_equal(got.v[0], "a.c:2:1: error: y");
	wfm_strvec_clear(&got);
	pick(&got, "a.c:1:1: warning: unused x\n", NULL);
	assert_int_equal(got.nr, 1);
	assert_string_equal(got.v[0], "a.c:1:1: warning: unused x");
	wfm_strvec_clear(&got);

	/* nothing but noise, or nothing at all */
	pick(&got, "make: *** [Makefile:2: check] Error 1\n=====\n", NULL);
	assert_int_equal(got.nr, 0);
	pick(&got, "", NULL);
	assert_int_equal(got.nr, 0);
}

static void test_excerpt__lines(void **state)
{
	struct wfm_excerpt_opts o = WFM_EXCERPT_OPTS_INIT;
	struct wfm_strvec got = WFM_STRVEC_INIT;
	struct wfm_buf text = WFM_BUF_INIT;

	(void)state;
	/* colours and progress removed, blanks trimmed, tabs made spaces */
	pick(&got,
	     "\033[31mFAIL:\033[0m\tadd(2, 2)\r\nrunning 1/3\rrunning 3/3\r  ./t: out of memory  "
	     "\n",
	     NULL);
	assert_int_equal(got.nr, 2);
	assert_string_equal(got.v[0], "./t: out of memory");
	assert_string_equal(got.v[1], "FAIL: add(2, 2)");
	wfm_strvec_clear(&got);

	/* at most max_lines, each at most max_width bytes, cut on a character boundary */
	for (int i = 0; i < 20; i++)
		wfm_buf_addf(&text, "t.c:%d:1: error: é%s\n", i + 1,
			     "ééééééééééééééééééééééééééééééééééééééééééééééééé");
	o.max_lines = 3;
	o.max_width = 40;
	pick(&got, text.ptr, &o);
	assert_int_equal(got.nr, 3);
	assert_true(!strncmp(got.v[0], "t.c:1:1: error: é", strlen("t.c:1:1: error: é")));
	for (size_t i = 0; i < got.nr; i++) {
		size_t n = strlen(got.v[i]);

		assert_true(n <= 40);
		assert_string_equal(got.v[i] + n - 3, "...");
		assert_true(((unsigned char)got.v[i][n - 4] & 0xc0) != 0xc0); /* no half é */
	}
	assert_true(!strncmp(got.v[2], "t.c:3:1:", 8));
	wfm_strvec_clear(&got);
	wfm_buf_release(&text);

	/* the same line twice is picked once; the worktree's path is removed */
	o = (struct wfm_excerpt_opts)WFM_EXCERPT_OPTS_INIT;
	o.strip_dir = "/r/pool/wfm-1/";
	pick(&got, "/r/pool/wfm-1/a.c:1:1: error: x\n/r/pool/wfm-1/a.c:1:1: error: x\n", &o);
	assert_int_equal(got.nr, 1);
	assert_string_equal(got.v[0], "a.c:1:1: error: x");
	wfm_strvec_clear(&got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_excerpt__gcc),
		cmocka_unit_test(test_excerpt__clang),
		cmocka_unit_test(test_excerpt__make_recursive),
		cmocka_unit_test(test_excerpt__minigzip),
		cmocka_unit_test(test_excerpt__pytest_collection),
		cmocka_unit_test(test_excerpt__pytest_assert),
		cmocka_unit_test(test_excerpt__ctest),
		cmocka_unit_test(test_excerpt__go_test),
		cmocka_unit_test(test_excerpt__cargo_test),
		cmocka_unit_test(test_excerpt__jest),
		cmocka_unit_test(test_excerpt__node_test),
		cmocka_unit_test(test_excerpt__node_test_tap),
		cmocka_unit_test(test_excerpt__tap),
		cmocka_unit_test(test_excerpt__scores),
		cmocka_unit_test(test_excerpt__fallback),
		cmocka_unit_test(test_excerpt__lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
