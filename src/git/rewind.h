#ifndef WFM_GIT_REWIND_H
#define WFM_GIT_REWIND_H

/*
 * Taking a run's branch back to the last commit its journal knows of: a
 * commit written just before a crash, for a request the journal never
 * recorded, must not survive into the resume (the request runs again).
 */
#include "git/repo.h"

/*
 * Walks refname (a full ref name) from its tip along first parents while
 * the commit carries the trailer key with a value keep() refuses (returns
 * 0), and moves the ref back (compare-and-swap) to the first commit it
 * keeps: one without the trailer, or whose value keep() accepts. out gets
 * that commit. WFM_ENOTFOUND when refname does not exist (out is "").
 */
int wfm_branch_rewind(char out[WFM_OID_HEXSZ + 1], struct wfm_repo *repo, const char *refname,
		      const char *key, int (*keep)(const char *value, void *data), void *data);

#endif
