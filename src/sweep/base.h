#ifndef WFM_SWEEP_BASE_H
#define WFM_SWEEP_BASE_H

#include "git/hash.h"
#include "git/repo.h"

/*
 * The commit a sweep compares head with (docs/sweep.md, "Scope"): the
 * merge base of head and rev, as `git diff rev...head` has it, so that
 * what rev gained since the branch left it is not swept. Without rev,
 * the first of the current branch's upstream (@{upstream}), the default
 * branch (origin/HEAD), main and master that exists and is not head's
 * commit itself. *name is the revision used (rev, or a static string).
 * WFM_ENOTFOUND for an unknown rev, or when no default exists ("give
 * --base <rev> or --all").
 */
int wfm_sweep_base(char out[WFM_OID_HEXSZ + 1], const char **name, struct wfm_repo *repo,
		   const char *rev, const char *head);

#endif
