#include "support/test.h"
#include "base/buf.h"
#include "oracle/summary.h"

/* Parses text, expecting a summary of the given format and counts. */
static void expect(const char *text, enum wfm_summary_format format, unsigned long passed,
		   unsigned long failed, unsigned long skipped, unsigned long total)
{
	struct wfm_summary s;
	int rc = wfm_summary_parse(&s, text, strlen(text));

	if (rc < 0)
		fail_msg("wfm_summary_parse: %s", wfm_error_last());
	if (rc != 1)
		fail_msg("no summary found in:\n%s", text);
	assert_string_equal(wfm_summary_format_name(s.format), wfm_summary_format_name(format));
	assert_int_equal(s.passed, passed);
	assert_int_equal(s.failed, failed);
	assert_int_equal(s.skipped, skipped);
	assert_int_equal(s.total, total);
}

static void expect_none(const char *text)
{
	struct wfm_summary s;

	assert_int_equal(wfm_summary_parse(&s, text, strlen(text)), 0);
	assert_int_equal(s.format, WFM_SUMMARY_NONE);
	assert_int_equal(s.total, 0);
}

static void test_summary__plain(void **state)
{
	expect("12 passed, 0 failed\n", WFM_SUMMARY_PLAIN, 12, 0, 0, 12);
	expect("cc -o t t.c\n./t\n3 passed, 1 failed\nmake: *** [Makefile:4: test] Error 1\n",
	       WFM_SUMMARY_PLAIN, 3, 1, 0, 4);
	expect("tests: 3 passed, 1 failed, 2 skipped\n", WFM_SUMMARY_PLAIN, 3, 1, 2, 6);
	expect("Summary: 7 passed, 0 failed.\n", WFM_SUMMARY_PLAIN, 7, 0, 0, 7);
	expect("unit-tests:  10 Passed, 2 Failed", WFM_SUMMARY_PLAIN, 10, 2, 0, 12);
	/* colours, CRLF, carriage-return progress */
	expect("\033[1;32m5 passed, 0 failed\033[0m\n", WFM_SUMMARY_PLAIN, 5, 0, 0, 5);
	expect("5 passed, 1 failed\r\n", WFM_SUMMARY_PLAIN, 5, 1, 0, 6);
	expect("running 1/3\rrunning 3/3\r2 passed, 1 failed\n", WFM_SUMMARY_PLAIN, 2, 1, 0, 3);
	/* more than one word before it, or words after it, is not the summary */
	expect_none("all 3 passed, 0 failed\n");
	expect_none("3 passed, 0 failed so far\n");
}

static void test_summary__ctest(void **state)
{
	/* real CTest 3.25 output, with a failing and a skipped test */
	expect("Test project /tmp/ct/b\n"
	       "    Start 1: ok1\n"
	       "1/5 Test #1: ok1 ..............................   Passed    0.00 sec\n"
	       "    Start 2: ok2\n"
	       "2/5 Test #2: ok2 ..............................   Passed    0.00 sec\n"
	       "    Start 3: bad\n"
	       "3/5 Test #3: bad ..............................***Failed    0.00 sec\n"
	       "    Start 4: skipme\n"
	       "4/5 Test #4: skipme ...........................***Skipped   0.00 sec\n"
	       "    Start 5: ok3\n"
	       "5/5 Test #5: ok3 ..............................   Passed    0.00 sec\n"
	       "\n"
	       "80% tests passed, 1 tests failed out of 5\n"
	       "\n"
	       "Total Test time (real) =   0.04 sec\n"
	       "\n"
	       "The following tests did not run:\n"
	       "\t  4 - skipme (Skipped)\n"
	       "\n"
	       "The following tests FAILED:\n"
	       "\t  3 - bad (Failed)\n"
	       "Errors while running CTest\n"
	       "Output from these tests are in: /tmp/ct/b/Testing/Temporary/LastTest.log\n"
	       "Use \"--rerun-failed --output-on-failure\" to re-run the failed cases verbosely.\n"
	       "make: *** [Makefile:91: test] Error 8\n",
	       WFM_SUMMARY_CTEST, 3, 1, 1, 5);
	expect("100% tests passed, 0 tests failed out of 12\n\nTotal Test time (real) =   3.21 "
	       "sec\n",
	       WFM_SUMMARY_CTEST, 12, 0, 0, 12);
	expect("83% tests passed, 2 tests failed out of 12\n", WFM_SUMMARY_CTEST, 10, 2, 0, 12);
	expect("0% tests passed, 1 test failed out of 1\n", WFM_SUMMARY_CTEST, 0, 1, 0, 1);
}

static void test_summary__pytest(void **state)
{
	expect("============================= test session starts ==============================\n"
	       "platform linux -- Python 3.11.2, pytest-7.2.1, pluggy-1.0.0+repack\n"
	       "rootdir: /home/u/proj\n"
	       "collected 14 items\n"
	       "\n"
	       "tests/test_a.py ..F.s.....F..F                                           [100%]\n"
	       "\n"
	       "=================================== FAILURES ===================================\n"
	       "____________________________________ test_x ____________________________________\n"
	       "\n"
	       "    def test_x():\n"
	       ">       assert 1 == 2\n"
	       "E       assert 1 == 2\n"
	       "\n"
	       "tests/test_a.py:3: AssertionError\n"
	       "=========================== short test summary info ============================\n"
	       "FAILED tests/test_a.py::test_x - assert 1 == 2\n"
	       "FAILED tests/test_a.py::test_y - assert 0\n"
	       "FAILED tests/test_a.py::test_z - KeyError: 'k'\n"
	       "=================== 3 failed, 10 passed, 1 skipped in 0.12s ====================\n",
	       WFM_SUMMARY_PYTEST, 10, 3, 1, 14);
	/* -q */
	expect("..... [100%]\n5 passed in 0.01s\n", WFM_SUMMARY_PYTEST, 5, 0, 0, 5);
	/* errors count as failures; warnings and deselected count for nothing */
	expect("=================== 1 passed, 2 errors in 0.05s ===================\n",
	       WFM_SUMMARY_PYTEST, 1, 2, 0, 3);
	expect("!!!!!!!!!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!!!!!!!!!\n"
	       "=============================== 1 error in 0.07s ===============================\n",
	       WFM_SUMMARY_PYTEST, 0, 1, 0, 1);
	expect("==== 120 passed, 3 xfailed, 1 xpassed, 2 warnings, 4 deselected in 62.31s "
	       "(0:01:02) ====\n",
	       WFM_SUMMARY_PYTEST, 121, 0, 3, 124);
	expect("============================ no tests ran in 0.01s =============================\n",
	       WFM_SUMMARY_PYTEST, 0, 0, 0, 0);
	/* --color=yes */
	expect("\033[31m\033[1m= \033[31m\033[1m1 failed\033[0m, \033[32m2 passed\033[0m\033[31m "
	       "in "
	       "0.03s\033[0m\033[31m =\033[0m\n",
	       WFM_SUMMARY_PYTEST, 2, 1, 0, 3);
}

static void test_summary__cmocka(void **state)
{
	/* real cmocka 1.1 output of a failing program */
	expect("[==========] Running 21 test(s).\n"
	       "[ RUN      ] test_process__exit_codes\n"
	       "[       OK ] test_process__exit_codes\n"
	       "[ RUN      ] test_process__signals_reset\n"
	       "[  ERROR   ] --- \"SigIgn: 1\" != \"SigIgn: 0\"\n"
	       "[   LINE   ] --- tests/unit/process.c:140: error: Failure!\n"
	       "[  FAILED  ] test_process__signals_reset\n"
	       "[==========] 21 test(s) run.\n"
	       "[  PASSED  ] 19 test(s).\n"
	       "[  FAILED  ] 2 test(s), listed below:\n"
	       "[  FAILED  ] test_process__signals_reset\n"
	       "[  FAILED  ] test_process__env_scrub\n"
	       "\n"
	       " 2 FAILED TEST(S)\n",
	       WFM_SUMMARY_CMOCKA, 19, 2, 0, 21);
	expect("[==========] Running 5 test(s).\n"
	       "[==========] 5 test(s) run.\n"
	       "[  PASSED  ] 5 test(s).\n",
	       WFM_SUMMARY_CMOCKA, 5, 0, 0, 5);
	expect("[==========] tests: 4 test(s) run.\n"
	       "[  PASSED  ] 2 test(s).\n"
	       "[  SKIPPED ] 1 test(s), listed below:\n"
	       "[  SKIPPED ] test_b\n"
	       "\n"
	       " 1 SKIPPED TEST(S)\n"
	       "[  FAILED  ] 1 test(s), listed below:\n"
	       "[  FAILED  ] test_c\n"
	       "\n"
	       " 1 FAILED TEST(S)\n",
	       WFM_SUMMARY_CMOCKA, 2, 1, 1, 4);
	/* a run cut short has no summary of its own */
	expect_none("[==========] Running 3 test(s).\n[ RUN      ] test_a\n[  FAILED  ] test_a\n");
}

static void test_summary__tap(void **state)
{
	/* real prove 3.44 output */
	expect("t/a.t .. ok\n"
	       "t/b.t .. \n"
	       "Failed 2/4 subtests \n"
	       "t/c.t .. ok\n"
	       "\n"
	       "Test Summary Report\n"
	       "-------------------\n"
	       "t/b.t (Wstat: 0 Tests: 4 Failed: 2)\n"
	       "  Failed tests:  2, 4\n"
	       "Files=3, Tests=9,  0 wallclock secs ( 0.03 usr +  0.00 sys =  0.03 CPU)\n"
	       "Result: FAIL\n",
	       WFM_SUMMARY_TAP, 7, 2, 0, 9);
	expect("t/a.t .. ok\n"
	       "t/c.t .. ok\n"
	       "All tests successful.\n"
	       "Files=2, Tests=5,  0 wallclock secs ( 0.02 usr +  0.00 sys =  0.02 CPU)\n"
	       "Result: PASS\n",
	       WFM_SUMMARY_TAP, 5, 0, 0, 5);
	expect("t2/d.t .. \n"
	       "Dubious, test returned 1 (wstat 256, 0x100)\n"
	       "Failed 1/3 subtests \n"
	       "t2/s.t .. skipped: no network\n"
	       "\n"
	       "Test Summary Report\n"
	       "-------------------\n"
	       "t2/d.t (Wstat: 256 (exited 1) Tests: 2 Failed: 0)\n"
	       "  Non-zero exit status: 1\n"
	       "  Parse errors: Bad plan.  You planned 3 tests but ran 2.\n"
	       "Files=2, Tests=2,  0 wallclock secs ( 0.02 usr +  0.00 sys =  0.02 CPU)\n"
	       "Result: FAIL\n",
	       WFM_SUMMARY_TAP, 2, 0, 0, 2);
	/* two prove runs: only the second one's report counts */
	expect("t/b.t (Wstat: 0 Tests: 4 Failed: 2)\n"
	       "Files=1, Tests=4,  0 wallclock secs\n"
	       "Result: FAIL\n"
	       "t/x.t (Wstat: 0 Tests: 3 Failed: 1)\n"
	       "Files=1, Tests=3,  0 wallclock secs\n"
	       "Result: FAIL\n",
	       WFM_SUMMARY_TAP, 2, 1, 0, 3);
}

static void test_summary__go(void **state)
{
	expect("ok  \texample.com/m/a\t0.002s\n"
	       "--- FAIL: TestB (0.00s)\n"
	       "    b_test.go:8: want 2, got 3\n"
	       "FAIL\n"
	       "FAIL\texample.com/m/b\t0.003s\n"
	       "?   \texample.com/m/cmd\t[no test files]\n"
	       "ok  \texample.com/m/c\t(cached)\n"
	       "ok  \texample.com/m/d\t0.010s\tcoverage: 81.2% of statements\n"
	       "FAIL\texample.com/m/e [build failed]\n"
	       "FAIL\n",
	       WFM_SUMMARY_GO, 3, 2, 1, 6);
	expect("ok  \texample.com/m\t0.001s\n", WFM_SUMMARY_GO, 1, 0, 0, 1);
	/* TAP's own "ok 1 - name" lines are not go packages */
	expect_none("1..2\nok 1 - first\nok 2 - second\n");
}

static void test_summary__last_one_wins(void **state)
{
	expect("100% tests passed, 0 tests failed out of 3\n"
	       "then the integration suite:\n"
	       "4 passed, 1 failed\n",
	       WFM_SUMMARY_PLAIN, 4, 1, 0, 5);
	expect("4 passed, 1 failed\n"
	       "100% tests passed, 0 tests failed out of 3\n"
	       "\n"
	       "Total Test time (real) =   0.01 sec\n",
	       WFM_SUMMARY_CTEST, 3, 0, 0, 3);
	expect("[==========] 2 test(s) run.\n[  PASSED  ] 2 test(s).\n"
	       "=== 1 failed, 1 passed in 0.01s ===\n",
	       WFM_SUMMARY_PYTEST, 1, 1, 0, 2);
	expect("1 passed, 0 failed\n2 passed, 0 failed\n3 passed, 2 failed\n", WFM_SUMMARY_PLAIN, 3,
	       2, 0, 5);
	/* two cmocka programs: the second one's counts */
	expect("[==========] 2 test(s) run.\n[  PASSED  ] 2 test(s).\n"
	       "[==========] Running 3 test(s).\n"
	       "[==========] 3 test(s) run.\n[  PASSED  ] 1 test(s).\n"
	       "[  FAILED  ] 2 test(s), listed below:\n",
	       WFM_SUMMARY_CMOCKA, 1, 2, 0, 3);
}

static void test_summary__none(void **state)
{
	expect_none("");
	expect_none("\n\n\n");
	expect_none(
		"cc -c a.c\na.c:3:1: error: expected ';'\nmake: *** [Makefile:2: a.o] Error 1\n");
	expect_none("everything passed\n");
	expect_none("3 passed\n");
	expect_none("passed, failed\n");
	expect_none("\033[0m\033]0;title\a\r\r\n");
}

static void test_summary__binary_and_long_input(void **state)
{
	struct wfm_buf b = WFM_BUF_INIT;
	struct wfm_summary s;

	/* invalid UTF-8 and NULs around the summary */
	wfm_buf_add(&b, "\xff\xfe\x00garbage\n", 11);
	wfm_buf_adds(&b, "9 passed, 1 failed\n");
	wfm_buf_add(&b, "\x80\x00\n", 3);
	assert_int_equal(wfm_summary_parse(&s, b.ptr, b.len), 1);
	assert_int_equal(s.passed, 9);
	wfm_buf_clear(&b);

	for (int i = 0; i < 20000; i++)
		wfm_buf_addf(&b, "line %d of noise passed failed\n", i);
	wfm_buf_adds(&b, "1 passed, 0 failed"); /* no final newline */
	assert_int_equal(wfm_summary_parse(&s, b.ptr, b.len), 1);
	assert_int_equal(s.total, 1);
	wfm_buf_release(&b);
}

static void test_summary__describe(void **state)
{
	struct wfm_summary s = { WFM_SUMMARY_PLAIN, 12, 1, 0, 13 };
	struct wfm_buf b = WFM_BUF_INIT;

	wfm_summary_describe(&b, &s);
	assert_string_equal(b.ptr, "12 passed, 1 failed");
	wfm_buf_clear(&b);
	s.skipped = 3;
	wfm_summary_describe(&b, &s);
	assert_string_equal(b.ptr, "12 passed, 1 failed, 3 skipped");
	wfm_buf_clear(&b);
	s.format = WFM_SUMMARY_GO;
	s.skipped = 0;
	wfm_summary_describe(&b, &s);
	assert_string_equal(b.ptr, "12 packages passed, 1 failed");
	wfm_buf_release(&b);
	assert_string_equal(wfm_summary_format_name(WFM_SUMMARY_NONE), "none");
	assert_string_equal(wfm_summary_format_name(WFM_SUMMARY_TAP), "tap");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary__plain),
		cmocka_unit_test(test_summary__ctest),
		cmocka_unit_test(test_summary__pytest),
		cmocka_unit_test(test_summary__cmocka),
		cmocka_unit_test(test_summary__tap),
		cmocka_unit_test(test_summary__go),
		cmocka_unit_test(test_summary__last_one_wins),
		cmocka_unit_test(test_summary__none),
		cmocka_unit_test(test_summary__binary_and_long_input),
		cmocka_unit_test(test_summary__describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
