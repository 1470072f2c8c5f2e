/* pipe2() */
#define _GNU_SOURCE
#include "support/test.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/proc.h"
#include "base/process.h"
#include "base/strvec.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

/* Runs a shell command with the given options; returns the call's result code. */
static int run_sh(struct wfm_process_result *r, const char *cmd, struct wfm_process_opts *o)
{
	o->shell = cmd;
	return wfm_process_run(r, o);
}

/* How many processes have marker in their command line (zombies have none). */
static int count_marked(const char *marker)
{
	/* "[w]fm..." matches the marker but not this shell's own command line */
	char *out = wfm_test_sh("/", "pgrep -f -c -- '[%c]%s' || true", marker[0], marker + 1);
	int n = atoi(out);

	free(out);
	return n;
}

/* Processes die a moment after SIGKILL; give them that moment. */
static void assert_none_marked(const char *marker)
{
	for (int i = 0; i < 50 && count_marked(marker); i++)
		usleep(100 * 1000);
	assert_int_equal(count_marked(marker), 0);
}

static void test_process__exit_codes(void **state)
{
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;

	assert_wfm_ok(run_sh(&r, "echo hello", &o));
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(r.signal, 0);
	assert_false(r.timed_out);
	assert_false(r.cancelled);
	assert_string_equal(r.output.ptr, "hello\n");
	assert_int_equal(r.output_bytes, 6);
	wfm_process_result_release(&r);

	assert_wfm_ok(run_sh(&r, "echo bad; exit 3", &o));
	assert_int_equal(r.exit_code, 3);
	assert_int_equal(r.signal, 0);
	wfm_process_result_release(&r);

	assert_wfm_ok(run_sh(&r, "exit 255", &o));
	assert_int_equal(r.exit_code, 255);
	assert_string_equal(r.output.ptr, "");
	assert_int_equal(r.output_bytes, 0);
	wfm_process_result_release(&r);
}

static void test_process__argv(void **state)
{
	const char *argv[] = { "printf", "%s-%s|", "a b", "c", NULL };
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;

	o.argv = argv;
	assert_wfm_ok(wfm_process_run(&r, &o));
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(r.output.ptr, "a b-c|");
	wfm_process_result_release(&r);
}

static void test_process__stdout_and_stderr_together(void **state)
{
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;

	assert_wfm_ok(run_sh(&r, "echo one; echo two >&2; echo three", &o));
	assert_string_equal(r.output.ptr, "one\ntwo\nthree\n");
	wfm_process_result_release(&r);
}

static void test_process__stdin_is_dev_null(void **state)
{
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;

	/* would block forever if stdin were the test's terminal or a pipe */
	assert_wfm_ok(run_sh(&r, "cat; read x; echo \"read=$?\"", &o));
	assert_string_equal(r.output.ptr, "read=1\n");
	wfm_process_result_release(&r);
}

static void test_process__signal_death(void **state)
{
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;

	assert_wfm_ok(run_sh(&r, "echo before; kill -SEGV $$", &o));
	assert_int_equal(r.exit_code, -1);
	assert_int_equal(r.signal, SIGSEGV);
	assert_false(r.timed_out);
	assert_string_equal(r.output.ptr, "before\n");
	wfm_process_result_release(&r);
	assert_string_equal(wfm_signal_name(SIGSEGV), "SIGSEGV");
	assert_string_equal(wfm_signal_name(SIGTERM), "SIGTERM");
	assert_null(wfm_signal_name(0));
}

static void test_process__own_process_group(void **state)
{
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;
	long pgid, pid;

	/* the shell is the leader of a group of its own, not in ours */
	assert_wfm_ok(run_sh(&r, "echo $(ps -o pgid= -p $$) $$", &o));
	assert_int_equal(sscanf(r.output.ptr, "%ld %ld", &pgid, &pid), 2);
	assert_int_equal(pgid, pid);
	assert_int_not_equal(pgid, (long)getpgrp());
	wfm_process_result_release(&r);
}

static void test_process__signals_reset(void **state)
{
	const char *argv[] = { "grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status", NULL };
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;
	sigset_t block, old;

	/* what the caller ignores or blocks, the command must not inherit */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	/* no shell in between: it would block signals of its own while it forks */
	o.argv = argv;
	assert_wfm_ok(wfm_process_run(&r, &o));
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	{
		unsigned long long blk = 1, ign = 1;
		assert_int_equal(sscanf(r.output.ptr, "SigBlk: %llx SigIgn: %llx", &blk, &ign), 2);
		/* signals 1..31; glibc keeps its own real-time ones (32, 33) as it likes */
		assert_int_equal(blk & 0x7fffffffULL, 0);
		assert_int_equal(ign & 0x7fffffffULL, 0);
	}
	wfm_process_result_release(&r);
}

static void test_process__timeout_kills_the_group(void **state)
{
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;
	uint64_t t0 = wfm_clock_mono_ms();

	o.timeout_ms = 300;
	o.kill_grace_ms = 300;
	assert_wfm_ok(run_sh(&r,
			     "echo started; sh -c 'sleep 1001; echo wfm-test-marker-tk1' & "
			     "sleep 1002; echo wfm-test-marker-tk2",
			     &o));
	assert_true(wfm_clock_mono_ms() - t0 < 20000);
	assert_true(r.timed_out);
	assert_false(r.cancelled);
	assert_int_equal(r.exit_code, -1);
	assert_int_equal(r.signal, SIGTERM);
	assert_string_equal(r.output.ptr, "started\n");
	assert_true(r.duration_ms >= 250);
	wfm_process_result_release(&r);
	assert_none_marked("wfm-test-marker-tk");
}

static void test_process__timeout_term_ignoring_grandchild(void **state)
{
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;
	uint64_t t0 = wfm_clock_mono_ms();

	o.timeout_ms = 300;
	o.kill_grace_ms = 500;
	/* the grandchild (and the sleep it runs, which inherits the ignored TERM) survive SIGTERM
	 */
	assert_wfm_ok(run_sh(
		&r, "sh -c 'trap \"\" TERM; sleep 1000; : wfm-test-marker-ti'; echo after", &o));
	assert_true(wfm_clock_mono_ms() - t0 < 20000);
	assert_true(r.timed_out);
	assert_int_equal(r.exit_code, -1);
	assert_true(r.signal == SIGTERM || r.signal == SIGKILL);
	wfm_process_result_release(&r);
	assert_none_marked("wfm-test-marker-ti");

	/* the leader itself ignores TERM: SIGKILL after the grace */
	assert_wfm_ok(run_sh(&r, "trap '' TERM; sleep 1000; : wfm-test-marker-tj", &o));
	assert_true(r.timed_out);
	assert_int_equal(r.signal, SIGKILL);
	wfm_process_result_release(&r);
	assert_none_marked("wfm-test-marker-tj");
}

static void test_process__stopped_command(void **state)
{
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;
	uint64_t t0 = wfm_clock_mono_ms();

	/* stopped (as by SIGTTIN): SIGTERM must still end it, without waiting for SIGKILL */
	o.timeout_ms = 300;
	o.kill_grace_ms = 10000;
	assert_wfm_ok(run_sh(&r, "kill -STOP $$; echo continued", &o));
	assert_true(wfm_clock_mono_ms() - t0 < 5000);
	assert_true(r.timed_out);
	assert_int_equal(r.signal, SIGTERM);
	wfm_process_result_release(&r);
}

static void test_process__background_child_holding_the_pipe(void **state)
{
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;
	uint64_t t0 = wfm_clock_mono_ms();

	/* no timeout at all: the call must still return once the shell exits */
	assert_wfm_ok(run_sh(&r, "(sh -c 'sleep 1000; : wfm-test-marker-bg' &); echo done", &o));
	assert_true(wfm_clock_mono_ms() - t0 < 20000);
	assert_int_equal(r.exit_code, 0);
	assert_false(r.timed_out);
	assert_string_equal(r.output.ptr, "done\n");
	wfm_process_result_release(&r);
	assert_none_marked("wfm-test-marker-bg");

	/* one that ignores TERM too */
	o.kill_grace_ms = 300;
	assert_wfm_ok(
		run_sh(&r, "(trap '' TERM; sleep 1000; : wfm-test-marker-bh) & echo done", &o));
	assert_int_equal(r.exit_code, 0);
	wfm_process_result_release(&r);
	assert_none_marked("wfm-test-marker-bh");
}

static void test_process__escaped_child_holding_the_pipe(void **state)
{
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;
	uint64_t t0 = wfm_clock_mono_ms();

	/* setsid leaves the group: it is not ours to kill, but it must not hang us */
	assert_wfm_ok(run_sh(&r, "setsid sh -c 'sleep 3; : wfm-test-marker-es' & echo done", &o));
	assert_true(wfm_clock_mono_ms() - t0 < 2500);
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(r.output.ptr, "done\n");
	wfm_process_result_release(&r);
	assert_none_marked("wfm-test-marker-es"); /* it ends on its own after 3 s */
}

static void test_process__output_tail_cap(void **state)
{
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;
	struct wfm_buf all = WFM_BUF_INIT;
	const size_t caps[] = { 1, 7, 1000, 4096, 65536, 70000, 200000 };

	for (int i = 1; i <= 30000; i++)
		wfm_buf_addf(&all, "%d\n", i);
	for (size_t c = 0; c < WFM_ARRAY_SIZE(caps); c++) {
		size_t cap = caps[c], keep = cap < all.len ? cap : all.len;

		o.output_cap = cap;
		assert_wfm_ok(run_sh(&r, "seq 1 30000", &o));
		assert_int_equal(r.output_bytes, all.len);
		assert_int_equal(r.output.len, keep);
		assert_memory_equal(r.output.ptr, all.ptr + all.len - keep, keep);
		assert_int_equal(r.output.ptr[r.output.len], '\0');
		wfm_process_result_release(&r);
	}
	wfm_buf_release(&all);

	/* many small writes, a cap that is not a multiple of anything */
	o.output_cap = 10;
	assert_wfm_ok(run_sh(&r, "for i in 1 2 3 4 5 6 7 8 9; do printf 'ab%sc' $i; done", &o));
	assert_int_equal(r.output_bytes, 36);
	assert_string_equal(r.output.ptr, "7cab8cab9c");
	wfm_process_result_release(&r);
}

static void test_process__endless_output(void **state)
{
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;
	uint64_t t0 = wfm_clock_mono_ms();

	/* a pipe that is never empty must not keep the deadline from being seen */
	o.timeout_ms = 500;
	o.output_cap = 1000;
	assert_wfm_ok(run_sh(&r, "yes wfm-output", &o));
	assert_true(wfm_clock_mono_ms() - t0 < 20000);
	assert_true(r.timed_out);
	assert_int_equal(r.output.len, 1000);
	assert_true(r.output_bytes > 1000);
	assert_non_null(strstr(r.output.ptr, "\nwfm-output\n"));
	wfm_process_result_release(&r);
}

static void test_process__default_cap(void **state)
{
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;

	assert_wfm_ok(run_sh(&r, "head -c 200000 /dev/zero | tr '\\0' x; echo END", &o));
	assert_int_equal(r.output_bytes, 200004);
	assert_int_equal(r.output.len, WFM_PROCESS_OUTPUT_CAP_DEFAULT);
	assert_string_equal(r.output.ptr + r.output.len - 5, "xEND\n");
	wfm_process_result_release(&r);
}

static void test_process__env_scrub(void **state)
{
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;
	const char *unset[] = { "*_ME_TOO", NULL };
	const char *set[] = { "KEEP_ME=2", "ADDED=yes", NULL };

	setenv("ANTHROPIC_API_KEY", "sekrit-a", 1);
	setenv("ANTHROPIC_AUTH_TOKEN", "sekrit-b", 1);
	setenv("OPENAI_API_KEY", "sekrit-c", 1);
	setenv("SOME_VENDOR_API_KEY", "sekrit-d", 1);
	setenv("GIT_DIR", "/nonexistent/.git", 1);
	setenv("GIT_WORK_TREE", "/nonexistent", 1);
	setenv("GIT_INDEX_FILE", "/nonexistent/index", 1);
	setenv("GIT_COMMON_DIR", "/nonexistent/common", 1);
	setenv("GIT_OBJECT_DIRECTORY", "/nonexistent/objects", 1);
	setenv("GIT_PREFIX", "sub/", 1);
	setenv("KEEP_ME", "1", 1);
	setenv("DROP_ME_TOO", "1", 1);
	setenv("API_KEY_NOT_A_SUFFIX", "visible", 1);

	o.flags = WFM_PROCESS_SCRUB_SECRETS | WFM_PROCESS_SCRUB_GIT;
	o.env_unset = unset;
	o.env_set = set;
	assert_wfm_ok(run_sh(&r, "env", &o));
	assert_null(strstr(r.output.ptr, "sekrit"));
	assert_null(strstr(r.output.ptr, "GIT_DIR="));
	assert_null(strstr(r.output.ptr, "GIT_WORK_TREE="));
	assert_null(strstr(r.output.ptr, "GIT_INDEX_FILE="));
	assert_null(strstr(r.output.ptr, "GIT_COMMON_DIR="));
	assert_null(strstr(r.output.ptr, "GIT_OBJECT_DIRECTORY="));
	assert_null(strstr(r.output.ptr, "GIT_PREFIX="));
	assert_null(strstr(r.output.ptr, "DROP_ME_TOO"));
	assert_non_null(strstr(r.output.ptr, "\nKEEP_ME=2\n"));
	assert_null(strstr(r.output.ptr, "KEEP_ME=1"));
	assert_non_null(strstr(r.output.ptr, "\nADDED=yes\n"));
	assert_non_null(strstr(r.output.ptr, "API_KEY_NOT_A_SUFFIX=visible"));
	assert_non_null(strstr(r.output.ptr, "PATH="));
	wfm_process_result_release(&r);

	/* without the flags, nothing is removed */
	o.flags = 0;
	o.env_unset = NULL;
	o.env_set = NULL;
	assert_wfm_ok(run_sh(&r, "env", &o));
	assert_non_null(strstr(r.output.ptr, "ANTHROPIC_API_KEY=sekrit-a"));
	assert_non_null(strstr(r.output.ptr, "GIT_DIR=/nonexistent/.git"));
	wfm_process_result_release(&r);

	unsetenv("ANTHROPIC_API_KEY");
	unsetenv("ANTHROPIC_AUTH_TOKEN");
	unsetenv("OPENAI_API_KEY");
	unsetenv("SOME_VENDOR_API_KEY");
	unsetenv("GIT_DIR");
	unsetenv("GIT_WORK_TREE");
	unsetenv("GIT_INDEX_FILE");
	unsetenv("GIT_COMMON_DIR");
	unsetenv("GIT_OBJECT_DIRECTORY");
	unsetenv("GIT_PREFIX");
	unsetenv("KEEP_ME");
	unsetenv("DROP_ME_TOO");
	unsetenv("API_KEY_NOT_A_SUFFIX");
}

static void test_process__env_build(void **state)
{
	char *base[] = { "A=1", "PWD=/old", "X_API_KEY=k",   "GIT_DIR=d",
			 "B=2", "ODD",	    "WFM_OWNER=1.2", NULL };
	const char *set[] = { "B=3", NULL };
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_strvec env = WFM_STRVEC_INIT;
	struct wfm_buf owner = WFM_BUF_INIT;
	unsigned long long start;

	o.flags = WFM_PROCESS_SCRUB_SECRETS | WFM_PROCESS_SCRUB_GIT;
	o.env_set = set;
	o.cwd = "/new/dir";
	wfm_process_env(&env, base, &o);
	assert_int_equal(env.nr, 5);
	assert_string_equal(env.v[0], "A=1");
	assert_string_equal(env.v[1], "ODD");
	assert_string_equal(env.v[2], "PWD=/new/dir");
	/* the mark of this process replaces an outer one (base/proc.h) */
	assert_wfm_ok(wfm_proc_start_time(&start, getpid()));
	wfm_buf_addf(&owner, "WFM_OWNER=%ld.%llu", (long)getpid(), start);
	assert_string_equal(env.v[3], owner.ptr);
	assert_string_equal(env.v[4], "B=3");
	assert_null(env.v[5]);
	wfm_strvec_clear(&env);
	wfm_buf_release(&owner);

	/* a relative cwd: PWD is dropped rather than wrong */
	o.cwd = "rel";
	o.flags = 0;
	o.env_set = NULL;
	wfm_process_env(&env, base, &o);
	assert_int_equal(env.nr, 6);
	for (size_t i = 0; i < env.nr; i++)
		assert_null(strstr(env.v[i], "PWD="));
	wfm_strvec_clear(&env);
}

static void test_process__cwd(void **state)
{
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;
	char *dir = wfm_test_tmpdir(), *real = realpath(dir, NULL);
	struct wfm_buf want = WFM_BUF_INIT;

	o.cwd = dir;
	assert_wfm_ok(run_sh(&r, "pwd -P; echo \"$PWD\"", &o));
	wfm_buf_addf(&want, "%s\n%s\n", real, dir);
	assert_string_equal(r.output.ptr, want.ptr);
	wfm_process_result_release(&r);
	wfm_buf_release(&want);
	wfm_test_rmtree(dir);
	free(real);
	free(dir);
}

static void test_process__nonexistent_cwd(void **state)
{
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;

	o.cwd = "/nonexistent/wfm-test-dir";
	assert_int_equal(run_sh(&r, "true", &o), WFM_ENOTFOUND);
	assert_non_null(strstr(wfm_error_last(), "/nonexistent/wfm-test-dir"));
	wfm_process_result_release(&r);

	o.cwd = "/etc/passwd";
	assert_int_equal(run_sh(&r, "true", &o), WFM_ENOTFOUND);
	assert_non_null(strstr(wfm_error_last(), "Not a directory"));
	wfm_process_result_release(&r);
}

static void test_process__nonexistent_program(void **state)
{
	const char *argv[] = { "wfm-no-such-program-anywhere", NULL };
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;

	o.argv = argv;
	assert_int_equal(wfm_process_run(&r, &o), WFM_ENOTFOUND);
	assert_non_null(strstr(wfm_error_last(), "cannot run 'wfm-no-such-program-anywhere'"));
	wfm_process_result_release(&r);
}

static void test_process__bad_options(void **state)
{
	const char *argv[] = { "true", NULL }, *empty[] = { NULL };
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;

	assert_int_equal(wfm_process_run(&r, &o), WFM_EINVALID);
	wfm_process_result_release(&r);
	o.argv = argv;
	o.shell = "true";
	assert_int_equal(wfm_process_run(&r, &o), WFM_EINVALID);
	wfm_process_result_release(&r);
	o.argv = empty;
	o.shell = NULL;
	assert_int_equal(wfm_process_run(&r, &o), WFM_EINVALID);
	wfm_process_result_release(&r);
}

static volatile sig_atomic_t cancel_flag;

static void on_alarm(int sig)
{
	cancel_flag = sig;
}

static void test_process__cancel_flag(void **state)
{
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;
	struct itimerval it = { { 0, 0 }, { 0, 300 * 1000 } };
	struct sigaction sa = { 0 }, old;
	uint64_t t0 = wfm_clock_mono_ms();

	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, &old);
	cancel_flag = 0;
	o.cancel = &cancel_flag;
	o.kill_grace_ms = 300;
	setitimer(ITIMER_REAL, &it, NULL);
	assert_wfm_ok(run_sh(&r, "sleep 1000; : wfm-test-marker-cf", &o));
	sigaction(SIGALRM, &old, NULL);
	assert_true(wfm_clock_mono_ms() - t0 < 20000);
	assert_int_equal(cancel_flag, SIGALRM);
	assert_true(r.cancelled);
	assert_false(r.timed_out);
	assert_int_equal(r.signal, SIGTERM);
	wfm_process_result_release(&r);
	assert_none_marked("wfm-test-marker-cf");

	/* already set: nothing is started */
	assert_wfm_ok(run_sh(&r, "echo ran", &o));
	assert_true(r.cancelled);
	assert_string_equal(r.output.ptr, "");
	wfm_process_result_release(&r);
	cancel_flag = 0;
}

static void test_process__duration(void **state)
{
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;

	assert_wfm_ok(run_sh(&r, "sleep 0.3", &o));
	assert_true(r.duration_ms >= 250);
	assert_true(r.duration_ms < 20000);
	wfm_process_result_release(&r);
}

/* input bytes 0..255 repeating, so that a lost or shifted byte shows */
static char *pattern_input(size_t len)
{
	char *p = wfm_malloc(len);

	for (size_t i = 0; i < len; i++)
		p[i] = (char)(i * 7 + i / 251);
	return p;
}

static void assert_sigpipe_untouched(void)
{
	sigset_t pending, mask;

	sigpending(&pending);
	assert_false(sigismember(&pending, SIGPIPE));
	sigprocmask(SIG_SETMASK, NULL, &mask);
	assert_false(sigismember(&mask, SIGPIPE));
}

static void test_process__stdin_input(void **state)
{
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;

	o.input = "line one\nline two\n";
	o.input_len = strlen(o.input);
	assert_wfm_ok(run_sh(&r, "cat; echo end", &o));
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(r.output.ptr, "line one\nline two\nend\n");
	assert_int_equal(r.input_written, o.input_len);
	wfm_process_result_release(&r);

	/* empty input: end of file at once, as with /dev/null */
	o.input = "";
	o.input_len = 0;
	assert_wfm_ok(run_sh(&r, "cat; read x; echo \"read=$?\"", &o));
	assert_string_equal(r.output.ptr, "read=1\n");
	wfm_process_result_release(&r);

	/* NUL bytes go through too: input_len, not strlen */
	o.input = "a\0b";
	o.input_len = 3;
	assert_wfm_ok(run_sh(&r, "od -An -c | tr -d ' \n'", &o));
	assert_string_equal(r.output.ptr, "a\\0b");
	wfm_process_result_release(&r);
}

static void test_process__stdin_large_echo(void **state)
{
	const size_t len = 1024 * 1024;
	char *in = pattern_input(len);
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;
	uint64_t t0 = wfm_clock_mono_ms();

	/* cat writes back as it reads: both pipes fill unless we read while we write */
	o.input = in;
	o.input_len = len;
	o.output_cap = 2 * len;
	o.timeout_ms = 60000;
	assert_wfm_ok(run_sh(&r, "cat", &o));
	assert_true(wfm_clock_mono_ms() - t0 < 30000);
	assert_false(r.timed_out);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(r.input_written, len);
	assert_int_equal(r.output_bytes, len);
	assert_int_equal(r.output.len, len);
	assert_memory_equal(r.output.ptr, in, len);
	wfm_process_result_release(&r);

	/* a reader that takes it all before it writes anything */
	assert_wfm_ok(run_sh(&r, "wc -c", &o));
	assert_int_equal(atoi(r.output.ptr), (int)len);
	wfm_process_result_release(&r);
	free(in);
	assert_sigpipe_untouched();
}

static void test_process__stdin_not_read(void **state)
{
	const size_t len = 1024 * 1024;
	char *in = pattern_input(len);
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;

	/* SIGPIPE at its default action: a write to a pipe nobody reads would kill us */
	signal(SIGPIPE, SIG_DFL);
	o.input = in;
	o.input_len = len;
	assert_wfm_ok(run_sh(&r, "echo ignored", &o));
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(r.output.ptr, "ignored\n");
	assert_true(r.input_written < len);
	wfm_process_result_release(&r);
	assert_sigpipe_untouched();

	/* closes stdin, then goes on for a while */
	assert_wfm_ok(run_sh(&r, "head -c 10 >/dev/null; exec 0<&-; sleep 0.2; echo done", &o));
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(r.output.ptr, "done\n");
	assert_true(r.input_written >= 10 && r.input_written < len);
	wfm_process_result_release(&r);
	assert_sigpipe_untouched();

	/* never reads and never ends: the timeout still ends it */
	o.timeout_ms = 300;
	o.kill_grace_ms = 300;
	assert_wfm_ok(run_sh(&r, "sleep 1000; : wfm-test-marker-sn", &o));
	assert_true(r.timed_out);
	wfm_process_result_release(&r);
	assert_none_marked("wfm-test-marker-sn");
	assert_sigpipe_untouched();
	free(in);
}

static void test_process__stdin_with_stdio_closed(void **state)
{
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;
	int saved = dup(0);

	/* the pipes' ends land on fd 0: spawning must still put each where it belongs */
	assert_true(saved > 2);
	close(0);
	o.input = "in\n";
	o.input_len = 3;
	o.split_stderr = 1;
	assert_wfm_ok(run_sh(&r, "cat; echo err >&2", &o));
	dup2(saved, 0);
	close(saved);
	assert_string_equal(r.output.ptr, "in\n");
	assert_string_equal(r.err.ptr, "err\n");
	wfm_process_result_release(&r);
}

static void test_process__split_stderr(void **state)
{
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;

	o.split_stderr = 1;
	o.err_cap = 4;
	assert_wfm_ok(run_sh(&r, "echo one; echo two >&2; echo three; echo 123456789 >&2", &o));
	assert_string_equal(r.output.ptr, "one\nthree\n");
	assert_int_equal(r.output_bytes, 10);
	assert_string_equal(r.err.ptr, "789\n");
	assert_int_equal(r.err_bytes, 14);
	wfm_process_result_release(&r);

	/* not split: err stays empty */
	o.split_stderr = 0;
	assert_wfm_ok(run_sh(&r, "echo two >&2", &o));
	assert_string_equal(r.output.ptr, "two\n");
	assert_string_equal(r.err.ptr, "");
	assert_int_equal(r.err_bytes, 0);
	wfm_process_result_release(&r);
}

static void test_process__secret_var(void **state)
{
	assert_true(wfm_process_secret_var("ANTHROPIC_API_KEY=x"));
	assert_true(wfm_process_secret_var("OPENAI_API_KEY"));
	assert_true(wfm_process_secret_var("ANTHROPIC_AUTH_TOKEN=t"));
	assert_true(wfm_process_secret_var("MY_VENDOR_API_KEY=k"));
	assert_false(wfm_process_secret_var("API_KEY_NOT_A_SUFFIX=v"));
	assert_false(wfm_process_secret_var("PATH=/bin"));
}

/* A pipe whose ends are above 2, close-on-exec, as wfm_child wants them. */
static void child_pipe(int fds[2])
{
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	for (int i = 0; i < 2; i++)
		if (fds[i] <= 2) {
			int fd = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
			close(fds[i]);
			fds[i] = fd;
		}
}

static void test_process__child_start_and_wait(void **state)
{
	const char *argv[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	char *env[] = { "LC_ALL=C", NULL };
	struct wfm_child c = WFM_CHILD_INIT;
	struct wfm_buf out = WFM_BUF_INIT;
	int fds[2];

	child_pipe(fds);
	c.argv = argv;
	c.env = env;
	c.out = fds[1];
	assert_wfm_ok(wfm_child_start(&c));
	assert_true(c.pid > 0);
	close(fds[1]);
	assert_wfm_ok(wfm_buf_read_fd(&out, fds[0], "the child's output"));
	close(fds[0]);
	/* err -1: stderr goes with stdout */
	assert_string_equal(out.ptr, "out\nerr\n");
	assert_int_equal(wfm_child_wait(&c, 1), 1);
	assert_true(c.reaped);
	assert_true(WIFEXITED(c.status));
	assert_int_equal(WEXITSTATUS(c.status), 3);
	/* once reaped, it stays so */
	assert_int_equal(wfm_child_wait(&c, 0), 1);
	assert_wfm_ok(wfm_child_kill(&c));
	wfm_buf_release(&out);
}

static void test_process__child_runs_in_its_group_and_is_killed(void **state)
{
	const char *argv[] = { "sleep", "30", NULL };
	struct wfm_child c = WFM_CHILD_INIT;
	int fds[2];

	child_pipe(fds);
	c.argv = argv;
	c.out = fds[1];
	assert_wfm_ok(wfm_child_start(&c));
	close(fds[1]);
	assert_int_equal(getpgid(c.pid), c.pid);
	assert_int_equal(wfm_child_wait(&c, 0), 0);
	assert_false(c.reaped);
	assert_wfm_ok(wfm_child_kill(&c));
	assert_true(c.reaped);
	assert_true(WIFSIGNALED(c.status));
	assert_int_equal(WTERMSIG(c.status), SIGKILL);
	close(fds[0]);
}

static void test_process__child_not_found(void **state)
{
	const char *argv[] = { "wfm-no-such-program-anywhere", NULL };
	struct wfm_child c = WFM_CHILD_INIT;
	int fds[2];

	child_pipe(fds);
	c.argv = argv;
	c.out = fds[1];
	assert_int_equal(wfm_child_start(&c), WFM_ENOTFOUND);
	assert_string_equal(wfm_error_last(),
			    "cannot run 'wfm-no-such-program-anywhere': No such file or directory");
	assert_int_equal(c.pid, 0);
	/* nothing started: nothing to kill */
	assert_wfm_ok(wfm_child_kill(&c));
	c.argv = (const char *const[]){ "sh", NULL };
	c.file = "/bin/sh";
	c.cwd = "/nonexistent-wfm-dir";
	assert_int_equal(wfm_child_start(&c), WFM_ENOTFOUND);
	assert_non_null(strstr(wfm_error_last(), "cannot run '/bin/sh' in '/nonexistent-wfm-dir'"));
	close(fds[0]);
	close(fds[1]);
}

static void test_process__child_lost(void **state)
{
	const char *argv[] = { "true", NULL };
	struct wfm_child c = WFM_CHILD_INIT;
	int fds[2], status;

	child_pipe(fds);
	c.argv = argv;
	c.name = "the truth";
	c.out = fds[1];
	assert_wfm_ok(wfm_child_start(&c));
	/* reaped behind its back */
	assert_int_equal(waitpid(c.pid, &status, 0), c.pid);
	assert_int_equal(wfm_child_wait(&c, 1), WFM_ERROR);
	assert_non_null(strstr(wfm_error_last(), "lost track of 'the truth' (pid "));
	assert_true(c.reaped);
	assert_int_equal(wfm_child_wait(&c, 0), 1);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_process__exit_codes),
		cmocka_unit_test(test_process__argv),
		cmocka_unit_test(test_process__stdout_and_stderr_together),
		cmocka_unit_test(test_process__stdin_is_dev_null),
		cmocka_unit_test(test_process__signal_death),
		cmocka_unit_test(test_process__own_process_group),
		cmocka_unit_test(test_process__signals_reset),
		cmocka_unit_test(test_process__timeout_kills_the_group),
		cmocka_unit_test(test_process__timeout_term_ignoring_grandchild),
		cmocka_unit_test(test_process__stopped_command),
		cmocka_unit_test(test_process__background_child_holding_the_pipe),
		cmocka_unit_test(test_process__escaped_child_holding_the_pipe),
		cmocka_unit_test(test_process__output_tail_cap),
		cmocka_unit_test(test_process__endless_output),
		cmocka_unit_test(test_process__default_cap),
		cmocka_unit_test(test_process__env_scrub),
		cmocka_unit_test(test_process__env_build),
		cmocka_unit_test(test_process__cwd),
		cmocka_unit_test(test_process__nonexistent_cwd),
		cmocka_unit_test(test_process__nonexistent_program),
		cmocka_unit_test(test_process__bad_options),
		cmocka_unit_test(test_process__cancel_flag),
		cmocka_unit_test(test_process__duration),
		cmocka_unit_test(test_process__stdin_input),
		cmocka_unit_test(test_process__stdin_large_echo),
		cmocka_unit_test(test_process__stdin_not_read),
		cmocka_unit_test(test_process__stdin_with_stdio_closed),
		cmocka_unit_test(test_process__split_stderr),
		cmocka_unit_test(test_process__secret_var),
		cmocka_unit_test(test_process__child_start_and_wait),
		cmocka_unit_test(test_process__child_runs_in_its_group_and_is_killed),
		cmocka_unit_test(test_process__child_not_found),
		cmocka_unit_test(test_process__child_lost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
