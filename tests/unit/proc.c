#include "support/test.h"
#include "base/buf.h"
#include "base/proc.h"
#include "base/process.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

static void sleep_ms(long ms)
{
	nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL);
}

/* Waits up to 10 s for path to hold a line; returns it as a number. */
static long read_pid(const char *path)
{
	for (int i = 0; i < 1000; i++) {
		FILE *f = fopen(path, "r");
		long pid = 0;

		if (f) {
			int got = fscanf(f, "%ld", &pid);

			fclose(f);
			if (got == 1 && pid > 0)
				return pid;
		}
		sleep_ms(10);
	}
	fail_msg("nothing in '%s'", path);
	return 0;
}

static int running(long pid)
{
	unsigned long long start;

	return wfm_proc_start_time(&start, (pid_t)pid) == 0;
}

static void test_proc__owner_entry(void **state)
{
	unsigned long long start;
	struct wfm_buf want = WFM_BUF_INIT;

	(void)state;
	assert_wfm_ok(wfm_proc_start_time(&start, getpid()));
	wfm_buf_addf(&want, "WFM_OWNER=%ld.%llu", (long)getpid(), start);
	assert_string_equal(wfm_proc_owner_entry(), want.ptr);
	wfm_buf_release(&want);
}

/*
 * A child (the "owner") runs a command through wfm_process_run() that
 * leaves two processes: one in the command's group and one that left it
 * with setsid. The owner is killed with SIGKILL; both of its leftovers go
 * on running. wfm_proc_kill_orphans() ends them, and no other process:
 * a sleeper of the test's own, unmarked, survives.
 */
static void test_proc__kill_orphans(void **state)
{
	char *dir = wfm_test_tmpdir();
	struct wfm_buf cmd = WFM_BUF_INIT, a = WFM_BUF_INIT, b = WFM_BUF_INIT;
	unsigned long long start;
	long pa, pb;
	pid_t owner, bystander;
	unsigned killed = 0;
	int status;

	(void)state;
	wfm_buf_addf(&a, "%s/a", dir);
	wfm_buf_addf(&b, "%s/b", dir);
	wfm_buf_addf(&cmd,
		     "sh -c 'echo $$ >%s; exec sleep 60' & "
		     "setsid sh -c 'echo $$ >%s; exec sleep 60' & wait",
		     a.ptr, b.ptr);
	bystander = fork();
	assert_true(bystander >= 0);
	if (bystander == 0) {
		execlp("sleep", "sleep", "60", (char *)NULL);
		_exit(127);
	}
	owner = fork();
	assert_true(owner >= 0);
	if (owner == 0) {
		struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
		struct wfm_process_result r;

		o.shell = cmd.ptr;
		wfm_process_run(&r, &o);
		_exit(0);
	}
	pa = read_pid(a.ptr);
	pb = read_pid(b.ptr);
	assert_wfm_ok(wfm_proc_start_time(&start, owner));

	/* while the owner lives, its children are its own business */
	assert_wfm_ok(wfm_proc_kill_orphans(&killed, owner, start, 1000));
	assert_int_equal(killed, 0);
	assert_true(running(pa) && running(pb));

	kill(owner, SIGKILL);
	assert_int_equal(waitpid(owner, &status, 0), owner);
	sleep_ms(100);
	assert_true(running(pa) && running(pb)); /* orphans, still running */

	assert_wfm_ok(wfm_proc_kill_orphans(&killed, owner, start, 5000));
	assert_int_equal(killed, 3); /* the two and the shell waiting for them */
	assert_false(running(pa));
	assert_false(running(pb));
	assert_true(running(bystander));

	/* nothing left: a second call finds nothing */
	assert_wfm_ok(wfm_proc_kill_orphans(&killed, owner, start, 1000));
	assert_int_equal(killed, 0);
	/* an owner with no start time recorded cannot be told apart: nothing is done */
	assert_wfm_ok(wfm_proc_kill_orphans(&killed, owner, 0, 1000));
	assert_int_equal(killed, 0);

	kill(bystander, SIGKILL);
	waitpid(bystander, &status, 0);
	wfm_buf_release(&cmd);
	wfm_buf_release(&a);
	wfm_buf_release(&b);
	wfm_test_rmtree(dir);
	free(dir);
}

static void test_proc__pidfd_readable_once_exited(void **state)
{
	pid_t pid = fork();
	struct pollfd p;
	int fd, status;

	(void)state;
	assert_true(pid >= 0);
	if (pid == 0) {
		usleep(100 * 1000);
		_exit(0);
	}
	fd = wfm_proc_pidfd(pid);
	if (fd < 0) {
		/* no pidfd here: callers poll instead */
		assert_int_equal(errno, ENOSYS);
	} else {
		p.fd = fd;
		p.events = POLLIN;
		assert_int_equal(poll(&p, 1, 0), 0); /* still running */
		assert_int_equal(poll(&p, 1, 10000), 1);
		close(fd);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc__owner_entry),
		cmocka_unit_test(test_proc__kill_orphans),
		cmocka_unit_test(test_proc__pidfd_readable_once_exited),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
