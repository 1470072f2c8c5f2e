#ifndef WFM_BASE_CRASHPOINT_H
#define WFM_BASE_CRASHPOINT_H

/*
 * Crash points, for the tests that kill a run at a chosen moment (as
 * git's GIT_TEST_* variables do): with WFM_TEST_CRASH=<name> in the
 * environment, the first time the process passes wfm_crashpoint("<name>")
 * it sends itself SIGKILL, exactly as a kill -9 from outside would end
 * it there; WFM_TEST_CRASH=<name>#<n> does so on the n-th pass. Without
 * the variable a crash point costs one getenv() per process.
 *
 * The names, where they are:
 *   checkout        pool: a reused slot's checkout has written a file
 *   commit-staged   pool: an agent's changes are in the slot's index, no commit yet
 *   commit-head     pool: the slot's HEAD is at the agent's commit, its branch not yet
 *   squash          merge queue: a batch is squashed, its oracle not started
 *   shared-commit   engine: an agent's edits in the shared checkout are committed
 *                   on the run's shared branch, the agent not yet journaled
 */
void wfm_crashpoint(const char *name);

#endif
