#ifndef WFM_GIT_STATUS_H
#define WFM_GIT_STATUS_H

#include "base/strvec.h"
#include "git/repo.h"

/*
 * The tracked files whose index or working-tree copy differs from HEAD
 * (what git status lists as staged or not staged, renames as their two
 * paths, conflicts included; untracked and ignored files and submodules
 * left out, which keeps it to the index's stat data and the HEAD tree),
 * appended to out sorted by path. 0 with nothing in a bare repository.
 */
int wfm_status_changed(struct wfm_strvec *out, struct wfm_repo *repo);

#endif
