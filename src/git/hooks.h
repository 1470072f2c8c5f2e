#ifndef WFM_GIT_HOOKS_H
#define WFM_GIT_HOOKS_H

#include "git/repo.h"

/*
 * The git hooks git wfmigrate installs (docs/sweep.md, "Hooks"): where
 * git looks for a hook, whether the file there is ours, and installing
 * ours so that a hook already there keeps running.
 *
 * A hook is ours when its text holds WFM_HOOK_MARK. Installing over
 * somebody else's hook renames it to <path>WFM_HOOK_CHAINED_SUFFIX
 * (content and mode untouched), which ours runs first; uninstalling
 * renames it back.
 */
#define WFM_HOOK_MARK "git-wfmigrate-hook:"
#define WFM_HOOK_CHAINED_SUFFIX ".wfmigrate-chained"

enum wfm_hook_state {
	WFM_HOOK_NONE,	  /* nothing at path */
	WFM_HOOK_OURS,	  /* a hook git wfmigrate installed */
	WFM_HOOK_FOREIGN, /* somebody else's */
};

struct wfm_hook {
	char *name;    /* "pre-push" */
	char *path;    /* absolute: where git runs it from */
	char *chained; /* path WFM_HOOK_CHAINED_SUFFIX */
	enum wfm_hook_state state;
	int has_chained; /* something is at chained */
};

/*
 * Finds hook name as git would run it: `git rev-parse --git-path
 * hooks/<name>` in the repository, so core.hooksPath and linked
 * worktrees are honoured as git honours them. Fills *out (release with
 * wfm_hook_release(), also after a failure). WFM_ERROR when git cannot
 * be run or says nothing.
 */
int wfm_hook_find(struct wfm_hook *out, struct wfm_repo *repo, const char *name);
void wfm_hook_release(struct wfm_hook *h);

/*
 * Writes script (len bytes) to h->path, mode 0755, creating the hooks
 * directory when it is missing. Ours is replaced (installing twice
 * changes nothing); somebody else's is first renamed to h->chained,
 * unless something is there already: WFM_EEXISTS then, and nothing is
 * touched. h is updated to what is on disk.
 */
int wfm_hook_install(struct wfm_hook *h, const char *script, size_t len);

/*
 * Removes our hook and renames the chained one, if any, back to
 * h->path. WFM_ENOTFOUND when no hook is there, WFM_ECONFLICT when it
 * is not ours (it is left alone). h is updated to what is on disk.
 */
int wfm_hook_uninstall(struct wfm_hook *h);

#endif
