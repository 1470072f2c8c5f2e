#ifndef WFM_GIT_REPO_H
#define WFM_GIT_REPO_H

/*
 * The repository a command works on. src/git/ is the only place that
 * includes libgit2; everything else sees this opaque handle. A handle is
 * used by one thread at a time: threads open their own (wfm_repo_open on
 * wfm_repo_path()).
 */
struct wfm_repo;

#define WFM_OID_HEXSZ 40

/*
 * Initialises libgit2 (once per process; reference-counted) and sets the
 * process-wide options the project relies on. Call from main before threads.
 */
int wfm_git_init(void);
void wfm_git_shutdown(void);

/*
 * Opens the repository containing path, searching upwards; works from a
 * subdirectory and from a linked worktree. With path NULL it opens the
 * repository of the current directory the way git does, honouring
 * GIT_DIR, GIT_WORK_TREE and GIT_CEILING_DIRECTORIES. Returns
 * WFM_ENOTFOUND with "not a git repository ..." when there is none.
 */
int wfm_repo_open(struct wfm_repo **out, const char *path);
void wfm_repo_free(struct wfm_repo *repo);

/* Absolute paths without a trailing slash; borrowed for the handle's life. */
const char *wfm_repo_commondir(const struct wfm_repo *repo);
const char *wfm_repo_gitdir(const struct wfm_repo *repo);
/* NULL for a bare repository. */
const char *wfm_repo_workdir(const struct wfm_repo *repo);
/* A path wfm_repo_open() reopens the same repository from. */
const char *wfm_repo_path(const struct wfm_repo *repo);

/*
 * Resolves rev (anything git rev-parse takes) to a commit id in hex.
 * WFM_ENOTFOUND with "unknown revision '<rev>'" when it names nothing,
 * or with "'HEAD' has no commits yet" on an empty repository.
 */
int wfm_repo_resolve_commit(char out[WFM_OID_HEXSZ + 1], struct wfm_repo *repo, const char *rev);

/*
 * The best common ancestor of commits a and b (anything
 * wfm_repo_resolve_commit() takes), as git merge-base gives it.
 * WFM_ENOTFOUND when either is unknown or they have no common history.
 */
int wfm_repo_merge_base(char out[WFM_OID_HEXSZ + 1], struct wfm_repo *repo, const char *a,
			const char *b);

/*
 * Reads git config key (e.g. "wfmigrate.oracle"). Returns 0 with a new
 * string in *out (free()), or WFM_ENOTFOUND when unset.
 */
int wfm_repo_config_get(char **out, struct wfm_repo *repo, const char *key);

/*
 * Every git config entry named name or name.<anything> (e.g.
 * "wfmigrate.model" gives wfmigrate.model and wfmigrate.model.verifier),
 * in the order git reads them, appended to out as "<name>=<value>"
 * (names lower-cased as git keeps them). 0 when there is none.
 */
struct wfm_strvec;
int wfm_repo_config_list(struct wfm_strvec *out, struct wfm_repo *repo, const char *name);

/*
 * The full name of the current branch's upstream, as git's @{upstream}
 * finds it: "refs/remotes/origin/main" from branch.<name>.remote and
 * branch.<name>.merge through the remote's fetch refspecs, or the merge
 * ref itself for a remote ".". A new string in *out (free()), or
 * WFM_ENOTFOUND when HEAD is no branch, has no upstream, or no refspec
 * maps it. (Not libgit2's git_branch_upstream(): 1.5.1 looks the remote
 * up for it, which leaks PCRE2 match data on every call.)
 */
int wfm_repo_upstream(char **out, struct wfm_repo *repo);

/*
 * Removes the lock files (<ref>.lock, and its reflog's) that a process
 * killed while it updated a ref under dir (a directory of refs, e.g.
 * "refs/heads/wfmigrate/<run>") left behind: git never removes them, and
 * every later update of that ref fails with "failed to lock file". Only
 * for refs no live process may be updating (a run's own, under its lock).
 * *removed gets the count; errors other than a missing dir are returned.
 */
int wfm_repo_clear_ref_locks(unsigned *removed, struct wfm_repo *repo, const char *dir);

#endif
