/*
 * Scopes: which paths a worktree agent's work may change, as its commits
 * record them, and the changes that fall outside.
 */
#include "base/common.h"
#include "base/glob.h"
#include "git/repo_priv.h"
#include "git/scope.h"

int wfm_scope_check_glob(const char *glob)
{
	size_t n = glob ? strlen(glob) : 0;
	const char *p;

	if (!n)
		return wfm_error_setc(WFM_EINVALID, "a scope glob must be a non-empty string");
	for (p = glob; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return wfm_error_setc(WFM_EINVALID,
					      "scope glob '%s' holds a line break or another "
					      "control character",
					      glob);
	if (strchr(" \t", glob[0]) || strchr(" \t", glob[n - 1]))
		return wfm_error_setc(WFM_EINVALID, "scope glob '%s' starts or ends with a space",
				      glob);
	if (glob[n - 1] == '/')
		return wfm_error_setc(WFM_EINVALID,
				      "scope glob '%s' ends with '/': '%s**' is everything under "
				      "a directory",
				      glob, glob);
	/* components, after the '/' that anchors a glob at the top */
	for (p = glob[0] == '/' ? glob + 1 : glob; *p;) {
		size_t len = strcspn(p, "/");

		if (!len || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return wfm_error_setc(
				WFM_EINVALID,
				"scope glob '%s' has an empty, '.' or '..' component: "
				"globs are paths from the top of the repository",
				glob);
		p += len + (p[len] == '/');
	}
	return 0;
}

static int lookup(git_commit **out, struct wfm_repo *repo, const char *rev)
{
	char hex[WFM_OID_HEXSZ + 1];
	git_oid id;
	int rc;

	*out = NULL;
	if ((rc = wfm_repo_resolve_commit(hex, repo, rev)) < 0)
		return rc;
	if (git_oid_fromstr(&id, hex) < 0 || (rc = git_commit_lookup(out, repo->git, &id)) < 0)
		return wfm_git_error(rc < 0 ? rc : -1, "cannot read '%s'", rev);
	return 0;
}

int wfm_scope_read(struct wfm_strvec *out, struct wfm_repo *repo, const char *from, const char *tip)
{
	git_commit *c = NULL, *parent = NULL, *stop = NULL;
	int rc;

	if ((from && *from && (rc = lookup(&stop, repo, from)) < 0) ||
	    (rc = lookup(&c, repo, tip)) < 0)
		goto done;
	while (!(stop && git_oid_equal(git_commit_id(c), git_commit_id(stop)))) {
		const char *message = git_commit_message(c);
		size_t had = out->nr;

		wfm_trailer_values(out, message ? message : "", WFM_TRAILER_SCOPE);
		if (out->nr > had || !git_commit_parentcount(c))
			break;
		if ((rc = git_commit_parent(&parent, c, 0)) < 0) {
			rc = wfm_git_error(rc, "cannot read the history of '%s'", tip);
			goto done;
		}
		git_commit_free(c);
		c = parent;
		parent = NULL;
	}
done:
	git_commit_free(stop);
	git_commit_free(c);
	return rc;
}

int wfm_scope_outside(struct wfm_changes *out, struct wfm_repo *repo, const char *from,
		      const char *to, const char *const *globs)
{
	struct wfm_changes all = WFM_CHANGES_INIT;
	int rc = wfm_changes_list(&all, repo, from, to);

	for (size_t i = 0; rc == 0 && i < all.nr; i++) {
		if (wfm_glob_first(globs, all.v[i].path))
			continue;
		WFM_ALLOC_GROW(out->v, out->nr + 1, out->alloc);
		out->v[out->nr++] = all.v[i];
		all.v[i].path = NULL;
	}
	wfm_changes_release(&all);
	return rc;
}
