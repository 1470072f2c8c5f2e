#include "base/common.h"
#include "base/strvec.h"
#include "git/repo_priv.h"
#include "git/rewind.h"
#include "git/squash.h"

/* 1 when c has the trailer and keep() refuses its value */
static int dropped(git_commit *c, const char *key, int (*keep)(const char *, void *), void *data)
{
	struct wfm_strvec values = WFM_STRVEC_INIT;
	const char *message = git_commit_message(c);
	int drop;

	wfm_trailer_values(&values, message ? message : "", key);
	drop = values.nr && !keep(values.v[0], data);
	wfm_strvec_clear(&values);
	return drop;
}

int wfm_branch_rewind(char out[WFM_OID_HEXSZ + 1], struct wfm_repo *repo, const char *refname,
		      const char *key, int (*keep)(const char *value, void *data), void *data)
{
	git_repository *git = repo->git;
	git_reference *ref = NULL, *moved = NULL;
	git_commit *c = NULL, *parent = NULL;
	int rc;

	out[0] = '\0';
	if ((rc = git_reference_lookup(&ref, git, refname)) < 0 ||
	    (rc = git_commit_lookup(&c, git, git_reference_target(ref))) < 0) {
		rc = wfm_git_error(rc, "cannot read '%s'", refname);
		goto done;
	}
	while (git_commit_parentcount(c) && dropped(c, key, keep, data)) {
		if ((rc = git_commit_parent(&parent, c, 0)) < 0) {
			rc = wfm_git_error(rc, "cannot read the history of '%s'", refname);
			goto done;
		}
		git_commit_free(c);
		c = parent;
		parent = NULL;
	}
	if (!git_oid_equal(git_commit_id(c), git_reference_target(ref)) &&
	    (rc = git_reference_set_target(&moved, ref, git_commit_id(c),
					   "wfmigrate: back to the journal's last commit")) < 0) {
		rc = wfm_git_error(rc, "cannot move '%s' back", refname);
		goto done;
	}
	git_oid_tostr(out, WFM_OID_HEXSZ + 1, git_commit_id(c));
done:
	git_reference_free(moved);
	git_reference_free(ref);
	git_commit_free(c);
	return rc;
}
