#include "base/common.h"
#include "sweep/base.h"

int wfm_sweep_base(char out[WFM_OID_HEXSZ + 1], const char **name, struct wfm_repo *repo,
		   const char *rev, const char *head)
{
	static const char *const defaults[] = { "@{upstream}", "origin/HEAD", "main", "master" };
	char h[WFM_OID_HEXSZ + 1], c[WFM_OID_HEXSZ + 1];
	int rc;

	*name = NULL;
	out[0] = '\0';
	if ((rc = wfm_repo_resolve_commit(h, repo, head)) < 0)
		return rc;
	if (rev) {
		*name = rev;
		return wfm_repo_merge_base(out, repo, rev, h);
	}
	for (size_t i = 0; i < WFM_ARRAY_SIZE(defaults); i++) {
		char *upstream = NULL;

		/* @{upstream} by hand: libgit2's leaks (git/repo.h) */
		if (!strcmp(defaults[i], "@{upstream}")) {
			rc = wfm_repo_upstream(&upstream, repo);
			if (rc == 0)
				rc = wfm_repo_resolve_commit(c, repo, upstream);
			free(upstream);
		} else {
			rc = wfm_repo_resolve_commit(c, repo, defaults[i]);
		}
		if (rc < 0 || !strcmp(c, h))
			continue;
		if ((rc = wfm_repo_merge_base(out, repo, c, h)) == WFM_ENOTFOUND)
			continue;
		if (rc < 0)
			return rc;
		*name = defaults[i];
		return 0;
	}
	wfm_error_clear();
	return wfm_error_setc(WFM_ENOTFOUND,
			      "no branch to compare with: the current branch has no upstream, and "
			      "neither origin/HEAD, main nor master is another commit; give --base "
			      "<rev> or --all");
}
