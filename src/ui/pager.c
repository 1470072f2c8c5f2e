#include "base/common.h"
#include "git/repo.h"
#include "ui/pager.h"

#include <signal.h>
#include <sys/wait.h>

static pid_t pager_pid;

/* An environment variable, a git config key, more variables, else dflt: set and not empty. */
static char *git_program(struct wfm_repo *repo, const char *env, const char *key,
			 const char *const *more, const char *dflt)
{
	const char *v = getenv(env);
	char *conf = NULL;

	if (v)
		return wfm_strdup(v); /* GIT_PAGER= (empty) means no pager, as in git */
	if (repo && wfm_repo_config_get(&conf, repo, key) == 0 && conf)
		return conf;
	free(conf);
	wfm_error_clear();
	for (; *more; more++)
		if ((v = getenv(*more)) && *v)
			return wfm_strdup(v);
	return wfm_strdup(dflt);
}

char *wfm_ui_pager_program(struct wfm_repo *repo)
{
	static const char *const more[] = { "PAGER", NULL };

	return git_program(repo, "GIT_PAGER", "core.pager", more, "less");
}

char *wfm_ui_editor_program(struct wfm_repo *repo)
{
	static const char *const more[] = { "VISUAL", "EDITOR", NULL };
	char *editor = git_program(repo, "GIT_EDITOR", "core.editor", more, "vi");

	if (!*editor) {
		free(editor);
		editor = wfm_strdup("vi");
	}
	return editor;
}

void wfm_ui_pager_env(void)
{
	setenv("LESS", getenv("LESS") ? getenv("LESS") : "FRX", 1);
}

void wfm_ui_pager_start(struct wfm_repo *repo)
{
	char *pager;
	int fds[2];
	pid_t pid;

	if (pager_pid || !isatty(STDOUT_FILENO))
		return;
	pager = wfm_ui_pager_program(repo);
	if (!*pager || !strcmp(pager, "cat") || pipe(fds) < 0) {
		free(pager);
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		free(pager);
		return;
	}
	if (pid == 0) {
		dup2(fds[0], STDIN_FILENO);
		close(fds[0]);
		close(fds[1]);
		wfm_ui_pager_env();
		execl("/bin/sh", "sh", "-c", pager, (char *)NULL);
		_exit(127);
	}
	free(pager);
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
