#ifndef WFM_GIT_REPO_PRIV_H
#define WFM_GIT_REPO_PRIV_H

/* Shared by the files of src/git/ only: the handle's layout and error mapping. */
#include <git2.h>

#include "git/repo.h"

struct wfm_repo {
	git_repository *git;
	char *commondir;
	char *gitdir;
	char *workdir;
};

/*
 * Turns libgit2's last error into ours: "<what>: <libgit2 message>".
 * GIT_ENOTFOUND → WFM_ENOTFOUND, GIT_EEXISTS → WFM_EEXISTS,
 * GIT_ELOCKED / GIT_EMODIFIED → WFM_ELOCKED, conflicts → WFM_ECONFLICT.
 * Returns the mapped code.
 */
int wfm_git_error(int git_rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A handle owning git (freed by wfm_repo_free()). */
struct wfm_repo *wfm_repo_wrap(git_repository *git);

/* Copies path without its trailing slashes. */
char *wfm_git_path_dup(const char *path);

#endif
