#include "support/test.h"
#include "base/buf.h"
#include "base/fs.h"
#include "oracle/test_results.h"

#include <fcntl.h>
#include <sys/stat.h>

static struct wfm_test_results parse(const char *text)
{
	struct wfm_test_results r = WFM_TEST_RESULTS_INIT;

	wfm_test_results_parse(&r, text, strlen(text));
	return r;
}

/* The test named name has the outcome, and its failure's first line holds first (NULL: none). */
static void expect(const struct wfm_test_results *r, const char *name,
		   enum wfm_test_outcome outcome, const char *first)
{
	const struct wfm_test_result *t = wfm_test_results_get(r, name);

	if (!t) {
		struct wfm_buf b = WFM_BUF_INIT;

		for (size_t i = 0; i < r->nr; i++)
			wfm_buf_addf(&b, " '%s'", r->v[i].name);
		fail_msg("no test '%s'; found:%s", name, b.len ? b.ptr : " none");
	}
	assert_int_equal(t->outcome, outcome);
	if (!first) {
		assert_int_equal(t->failure.nr, 0);
		return;
	}
	if (!t->failure.nr)
		fail_msg("'%s' has no failure lines, expected '%s'", name, first);
	if (!strstr(t->failure.v[0], first))
		fail_msg("'%s': first failure line '%s', expected '%s'", name, t->failure.v[0],
			 first);
}

static void test_test_results__tap(void **state)
{
	/* tallykit's make test (fixtures/flaky), with prove-like diagnostics */
	struct wfm_test_results r =
		parse("cc -O2 -o build/t tests/t.c src/tally.c\n"
		      "./build/t\n"
		      "1..7\n"
		      "ok 1 - counts start at zero\n"
		      "ok 2 - add increments a key\n"
		      "not ok 3 - the report lists keys by count, then by name\n"
		      "# expected apple banana pear, got apple pear banana\n"
		      "ok 4 # SKIP no network\n"
		      "not ok 5 - merge adds counts # TODO not yet\n"
		      "not ok 6 merge adds the counts of another tally\n"
		      "  ---\n"
		      "  message: 'expected 3, got 1'\n"
		      "  at: tests/t.c:88\n"
		      "  ...\n"
		      "ok 7\n"
		      "make: *** [Makefile:9: test] Error 1\n");

	(void)state;
	assert_int_equal(r.formats, WFM_TESTS_TAP);
	assert_int_equal(r.nr, 7);
	expect(&r, "counts start at zero", WFM_TEST_PASSED, NULL);
	expect(&r, "the report lists keys by count, then by name", WFM_TEST_FAILED,
	       "expected apple banana pear, got apple pear banana");
	assert_int_equal(wfm_test_results_get(&r, "the report lists keys by count, then by name")
				 ->failure.nr,
			 1);
	expect(&r, "test 4", WFM_TEST_SKIPPED, NULL);
	expect(&r, "merge adds counts", WFM_TEST_SKIPPED, NULL);
	expect(&r, "merge adds the counts of another tally", WFM_TEST_FAILED,
	       "message: 'expected 3, got 1'");
	assert_string_equal(
		wfm_test_results_get(&r, "merge adds the counts of another tally")->failure.v[1],
		"at: tests/t.c:88");
	expect(&r, "test 7", WFM_TEST_PASSED, NULL);
	wfm_test_results_release(&r);

	/* go's package lines and prose starting with "ok" are not TAP */
	r = parse("ok  \texample.com/pkg\t0.01s\nok, that worked\nokay 3\n");
	assert_int_equal(r.nr, 0);
	assert_int_equal(r.formats, 0);
	wfm_test_results_release(&r);
}

static void test_test_results__pytest(void **state)
{
	/* pytest -v -rA, with a FAILURES section */
	struct wfm_test_results r = parse(
		"============================= test session starts ==============================\n"
		"platform linux -- Python 3.11.2, pytest-7.2.1, pluggy-1.0.0 -- /usr/bin/python3\n"
		"collected 5 items\n"
		"\n"
		"tests/test_cache.py::test_put PASSED                                     [ 20%]\n"
		"tests/test_cache.py::test_evict FAILED                                   [ 40%]\n"
		"tests/test_cache.py::TestTtl::test_expiry PASSED                         [ 60%]\n"
		"tests/test_cache.py::test_param[a b] SKIPPED (no redis)                  [ 80%]\n"
		"tests/test_cache.py::test_db ERROR                                       [100%]\n"
		"\n"
		"==================================== ERRORS ====================================\n"
		"__________________________ ERROR at setup of test_db ___________________________\n"
		"    @pytest.fixture\n"
		"    def db():\n"
		">       raise RuntimeError('no database')\n"
		"E       RuntimeError: no database\n"
		"\n"
		"tests/conftest.py:5: RuntimeError\n"
		"=================================== FAILURES ===================================\n"
		"__________________________________ test_evict __________________________________\n"
		"\n"
		"    def test_evict():\n"
		"        c = Cache(2)\n"
		">       assert c.get('a') is None\n"
		"E       AssertionError: assert 1 is None\n"
		"E        +  where 1 = <bound method Cache.get>('a')\n"
		"\n"
		"tests/test_cache.py:14: AssertionError\n"
		"=========================== short test summary info ============================\n"
		"PASSED tests/test_cache.py::test_put\n"
		"PASSED tests/test_cache.py::TestTtl::test_expiry\n"
		"SKIPPED [1] tests/test_cache.py:20: no redis\n"
		"FAILED tests/test_cache.py::test_evict - AssertionError: assert 1 is None\n"
		"ERROR tests/test_cache.py::test_db - RuntimeError: no database\n"
		"============= 1 failed, 2 passed, 1 skipped, 1 error in 0.05s ==============\n");

	(void)state;
	assert_int_equal(r.formats, WFM_TESTS_PYTEST);
	assert_int_equal(r.nr, 5);
	expect(&r, "tests/test_cache.py::test_put", WFM_TEST_PASSED, NULL);
	expect(&r, "tests/test_cache.py::test_evict", WFM_TEST_FAILED,
	       "AssertionError: assert 1 is None");
	{
		const struct wfm_test_result *t =
			wfm_test_results_get(&r, "tests/test_cache.py::test_evict");

		assert_int_equal(t->failure.nr, 3);
		assert_string_equal(t->failure.v[2], "tests/test_cache.py:14: AssertionError");
	}
	expect(&r, "tests/test_cache.py::TestTtl::test_expiry", WFM_TEST_PASSED, NULL);
	expect(&r, "tests/test_cache.py::test_param[a b]", WFM_TEST_SKIPPED, NULL);
	expect(&r, "tests/test_cache.py::test_db", WFM_TEST_FAILED, "RuntimeError: no database");
	wfm_test_results_release(&r);

	/* the short summary alone (pytest -q), and xdist's verbose lines */
	r = parse("..F\n"
		  "FAILED t/test_x.py::test_b - assert 2 == 3\n"
		  "[gw1] [ 50%] PASSED t/test_x.py::test_a\n"
		  "1 failed, 2 passed in 0.01s\n");
	expect(&r, "t/test_x.py::test_b", WFM_TEST_FAILED, "assert 2 == 3");
	expect(&r, "t/test_x.py::test_a", WFM_TEST_PASSED, NULL);
	assert_int_equal(r.nr, 2);
	wfm_test_results_release(&r);
}

static void test_test_results__ctest(void **state)
{
	/* ctest --output-on-failure */
	struct wfm_test_results r = parse(
		"Test project /home/u/proj/build\n"
		"    Start 1: unit_buf\n"
		"1/5 Test #1: unit_buf .........................   Passed    0.01 sec\n"
		"    Start 2: unit_json\n"
		"2/5 Test #2: unit_json ........................***Failed    0.02 sec\n"
		"[==========] Running 3 test(s).\n"
		"json.c:40: error: expected 3, got 2\n"
		"    Start 3: e2e_run\n"
		"3/5 Test #3: e2e_run ..........................***Exception: SegFault  0.10 sec\n"
		"    Start 4: e2e_skip\n"
		"4/5 Test #4: e2e_skip .........................***Skipped   0.00 sec\n"
		"    Start 5: a_test_with_a_very_long_name_that_fills_the_column\n"
		"5/5 Test #5: a_test_with_a_very_long_name_that_fills_the_column ...   Passed    "
		"1.00 sec\n"
		"\n"
		"50% tests passed, 2 tests failed out of 5\n"
		"\n"
		"The following tests FAILED:\n"
		"\t  2 - unit_json (Failed)\n");

	(void)state;
	assert_int_equal(r.formats, WFM_TESTS_CTEST);
	assert_int_equal(r.nr, 5);
	expect(&r, "unit_buf", WFM_TEST_PASSED, NULL);
	expect(&r, "unit_json", WFM_TEST_FAILED, "[==========] Running 3 test(s).");
	assert_int_equal(wfm_test_results_get(&r, "unit_json")->failure.nr, 2);
	expect(&r, "e2e_run", WFM_TEST_FAILED, "Exception: SegFault");
	expect(&r, "e2e_skip", WFM_TEST_SKIPPED, NULL);
	expect(&r, "a_test_with_a_very_long_name_that_fills_the_column", WFM_TEST_PASSED, NULL);
	wfm_test_results_release(&r);
}

static void test_test_results__cmocka(void **state)
{
	struct wfm_test_results r = parse("[==========] tests: Running 4 test(s).\n"
					  "[ RUN      ] test_add\n"
					  "[       OK ] test_add\n"
					  "[ RUN      ] test_sub\n"
					  "[  ERROR   ] --- 0x1 != 0x2\n"
					  "[   LINE   ] --- calc.c:12: error: Failure!\n"
					  "[  FAILED  ] test_sub\n"
					  "[ RUN      ] test_div\n"
					  "[  SKIPPED ] test_div\n"
					  "[ RUN      ] test_mul\n"
					  "[       OK ] test_mul\n"
					  "[==========] tests: 4 test(s) run.\n"
					  "[  PASSED  ] 2 test(s).\n"
					  "[  FAILED  ] tests: 1 test(s), listed below:\n"
					  "[  FAILED  ] test_sub\n"
					  "\n"
					  " 1 FAILED TEST(S)\n");

	(void)state;
	assert_int_equal(r.formats, WFM_TESTS_CMOCKA);
	expect(&r, "test_add", WFM_TEST_PASSED, NULL);
	expect(&r, "test_sub", WFM_TEST_FAILED, "[  ERROR   ] --- 0x1 != 0x2");
	assert_int_equal(wfm_test_results_get(&r, "test_sub")->failure.nr, 2);
	expect(&r, "test_div", WFM_TEST_SKIPPED, NULL);
	expect(&r, "test_mul", WFM_TEST_PASSED, NULL);
	/* "tests: 1 test(s), listed below:" is the count, not a test */
	assert_int_equal(r.nr, 4);
	wfm_test_results_release(&r);
}

/* GoogleTest prints the same brackets as cmocka, with durations */
static void test_test_results__gtest(void **state)
{
	struct wfm_test_results r =
		parse("[==========] Running 3 tests from 1 test suite.\n"
		      "[----------] 3 tests from Tally\n"
		      "[ RUN      ] Tally.Add\n"
		      "[       OK ] Tally.Add (0 ms)\n"
		      "[ RUN      ] Tally.Report\n"
		      "tally_test.cc:41: Failure\n"
		      "Expected equality of these values:\n"
		      "  report()\n"
		      "[  FAILED  ] Tally.Report (1 ms)\n"
		      "[ RUN      ] Tally.Clear\n"
		      "[  SKIPPED ] Tally.Clear (0 ms)\n"
		      "[----------] 3 tests from Tally (1 ms total)\n"
		      "[==========] 3 tests from 1 test suite ran. (1 ms total)\n"
		      "[  PASSED  ] 1 test.\n"
		      "[  FAILED  ] 1 test, listed below:\n"
		      "[  FAILED  ] Tally.Report\n"
		      "\n"
		      " 1 FAILED TEST\n");

	(void)state;
	assert_int_equal(r.nr, 3);
	expect(&r, "Tally.Add", WFM_TEST_PASSED, NULL);
	expect(&r, "Tally.Report", WFM_TEST_FAILED, "tally_test.cc:41: Failure");
	assert_int_equal(wfm_test_results_get(&r, "Tally.Report")->failure.nr, 3);
	expect(&r, "Tally.Clear", WFM_TEST_SKIPPED, NULL);
	wfm_test_results_release(&r);
}

static const char junit_xml[] =
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	"<testsuites><testsuite name=\"pytest\" errors=\"0\" failures=\"1\" skipped=\"1\" "
	"tests=\"4\">\n"
	"<testcase classname=\"tests.test_cache\" name=\"test_put\" time=\"0.001\" />\n"
	"<testcase classname=\"tests.test_cache\" name=\"test_evict\" time=\"0.002\">"
	"<failure message=\"AssertionError: assert 1 is None&#10;+  where 1 = get('a')\">"
	"def test_evict():\n"
	">       assert c.get('a') is None\n"
	"E       AssertionError: assert 1 &lt; 0 &amp; more"
	"</failure></testcase>\n"
	"<testcase classname=\"\" name=\"lone &quot;quoted&quot;\" time=\"0\">"
	"<skipped type=\"pytest.skip\" message=\"no redis\">skip</skipped></testcase>\n"
	"<testcase name=\"test_cdata\" classname=\"T\"><error message='boom'>"
	"<![CDATA[Traceback <here>\n  line 2]]></error><system-out>x</system-out></testcase>\n"
	"</testsuite></testsuites>\n";

static void test_test_results__junit(void **state)
{
	struct wfm_test_results r = WFM_TEST_RESULTS_INIT;
	const struct wfm_test_result *t;

	(void)state;
	assert_int_equal(wfm_test_results_parse_junit(&r, junit_xml, strlen(junit_xml)), 4);
	assert_int_equal(r.formats, WFM_TESTS_JUNIT);
	expect(&r, "tests.test_cache.test_put", WFM_TEST_PASSED, NULL);
	expect(&r, "tests.test_cache.test_evict", WFM_TEST_FAILED,
	       "AssertionError: assert 1 is None");
	t = wfm_test_results_get(&r, "tests.test_cache.test_evict");
	assert_string_equal(t->failure.v[1], "+  where 1 = get('a')");
	assert_string_equal(t->failure.v[2], "def test_evict():");
	assert_string_equal(t->failure.v[4], "E       AssertionError: assert 1 < 0 & more");
	expect(&r, "lone \"quoted\"", WFM_TEST_SKIPPED, NULL);
	expect(&r, "T.test_cdata", WFM_TEST_FAILED, "boom");
	t = wfm_test_results_get(&r, "T.test_cdata");
	assert_string_equal(t->failure.v[1], "Traceback <here>");
	assert_string_equal(t->failure.v[2], "line 2");
	wfm_test_results_release(&r);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_wfm_ok(wfm_fs_write_all(fd, text, strlen(text)));
	close(fd);
}

static void test_test_results__find_junit(void **state)
{
	char *dir = wfm_test_tmpdir(), *sub = wfm_fs_join(dir, "build/reports"), *p;
	struct wfm_test_results r = WFM_TEST_RESULTS_INIT;
	struct timespec old[2] = { { 1000000, 0 }, { 1000000, 0 } }, since;

	(void)state;
	wfm_test_results_clock(&since);
	assert_wfm_ok(wfm_fs_mkdir_p(sub));
	p = wfm_fs_join(sub, "junit.xml");
	write_file(p, junit_xml);
	free(p);
	/* not JUnit, and an old report: neither is read */
	p = wfm_fs_join(dir, "pom.xml");
	write_file(p, "<project><testcase name=\"no\"/></project>");
	free(p);
	p = wfm_fs_join(dir, "old.xml");
	write_file(p, "<testsuite><testcase name=\"stale\"/></testsuite>");
	assert_int_equal(utimensat(AT_FDCWD, p, old, 0), 0);
	free(p);
	assert_int_equal(wfm_test_results_find_junit(&r, dir, &since), 4);
	assert_null(wfm_test_results_get(&r, "stale"));
	assert_null(wfm_test_results_get(&r, "no"));
	expect(&r, "tests.test_cache.test_evict", WFM_TEST_FAILED,
	       "AssertionError: assert 1 is None");
	wfm_test_results_release(&r);
	wfm_test_rmtree(dir);
	free(sub);
	free(dir);
}

static void test_test_results__none(void **state)
{
	struct wfm_test_results r = parse("cc -o t t.c\n./t\n12 passed, 1 failed\n"
					  "make: *** [Makefile:4: test] Error 1\n");
	struct wfm_buf b = WFM_BUF_INIT;

	(void)state;
	assert_int_equal(r.nr, 0);
	wfm_test_formats_describe(&b, r.formats);
	assert_string_equal(b.ptr, "none");
	wfm_buf_clear(&b);
	wfm_test_formats_describe(&b, WFM_TESTS_TAP | WFM_TESTS_JUNIT);
	assert_string_equal(b.ptr, "tap, junit");
	assert_string_equal(wfm_test_format_name(WFM_TESTS_CTEST), "ctest");
	assert_null(wfm_test_format_name(WFM_TESTS_TAP | WFM_TESTS_CTEST));
	wfm_buf_release(&b);
	wfm_test_results_release(&r);
}

static void test_test_results__failure_lines_capped(void **state)
{
	struct wfm_buf text = WFM_BUF_INIT;
	struct wfm_test_results r;
	const struct wfm_test_result *t;

	(void)state;
	wfm_buf_adds(&text, "not ok 1 - long\n");
	for (int i = 0; i < 30; i++)
		wfm_buf_addf(&text, "# line %d\n", i);
	wfm_buf_adds(&text, "# ");
	for (int i = 0; i < 500; i++)
		wfm_buf_addch(&text, 'x');
	r = parse(text.ptr);
	t = wfm_test_results_get(&r, "long");
	assert_non_null(t);
	assert_int_equal(t->failure.nr, WFM_TEST_FAILURE_LINES);
	assert_string_equal(t->failure.v[9], "line 9");
	wfm_test_results_release(&r);
	wfm_buf_release(&text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_test_results__tap),
		cmocka_unit_test(test_test_results__pytest),
		cmocka_unit_test(test_test_results__ctest),
		cmocka_unit_test(test_test_results__cmocka),
		cmocka_unit_test(test_test_results__gtest),
		cmocka_unit_test(test_test_results__junit),
		cmocka_unit_test(test_test_results__find_junit),
		cmocka_unit_test(test_test_results__none),
		cmocka_unit_test(test_test_results__failure_lines_capped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
