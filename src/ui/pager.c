#include "base/common.h"
#include "ui/pager.h"

#include <signal.h>
#include <sys/wait.h>

static pid_t pager_pid;

void wfm_ui_pager_start(void)
{
	const char *pager = getenv("GIT_PAGER");
	int fds[2];
	pid_t pid;

	if (pager_pid || !isatty(STDOUT_FILENO))
		return;
	if (!pager)
		pager = getenv("PAGER");
	if (!pager)
		pager = "less";
	if (!*pager || !strcmp(pager, "cat"))
		return;
	if (pipe(fds) < 0)
		return;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		dup2(fds[0], STDIN_FILENO);
		close(fds[0]);
		close(fds[1]);
		setenv("LESS", getenv("LESS") ? getenv("LESS") : "FRX", 1);
		execl("/bin/sh", "sh", "-c", pager, (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	dup2(fds[1], STDOUT_FILENO);
	close(fds[1]);
	/* a pager quit early: our writes fail quietly instead of killing us */
	signal(SIGPIPE, SIG_IGN);
	pager_pid = pid;
}

void wfm_ui_pager_finish(void)
{
	int status;

	if (!pager_pid)
		return;
	fflush(stdout);
	clearerr(stdout);
	close(STDOUT_FILENO);
	while (waitpid(pager_pid, &status, 0) < 0 && errno == EINTR)
		;
	pager_pid = 0;
}
