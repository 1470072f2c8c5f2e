#ifndef WFM_EXEC_REMOTE_H
#define WFM_EXEC_REMOTE_H

/*
 * The shared remote of the remote executors (docs/executors.md): a git
 * repository, usually bare, that every node can fetch from and this
 * machine can push to. A job never sees the user's .git: the commit it
 * tests is pushed to the remote first, as
 * refs/wfmigrate/<run>/commits/<commit>, and the job fetches that ref.
 * An agent's job pushes what the agent left back as
 * refs/wfmigrate/<run>/work/<job>, which the engine fetches.
 * Pushing goes through the git program, so any URL git understands works,
 * with the user's own credentials.
 */

/* "refs/wfmigrate/<run>/commits/<commit>" in a new string (free()). */
char *wfm_remote_ref(const char *run, const char *commit);

/* "refs/wfmigrate/<run>/work/<job>", where a job pushes what an agent left. */
char *wfm_remote_work_ref(const char *run, const char *job);

/* Fetches ref from remote into repo_path's repository, as the same ref (forced). */
int wfm_remote_fetch(const char *repo_path, const char *remote, const char *ref);

/*
 * Pushes commit (hex, an object of repo_path's repository) to ref on
 * remote, forced. WFM_ERROR with git's message when the push fails.
 */
int wfm_remote_push(const char *repo_path, const char *remote, const char *commit, const char *ref);

#endif
