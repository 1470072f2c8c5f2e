#include "base/common.h"
#include "git/diff.h"
#include "git/repo_priv.h"

static int commit_tree(git_tree **out, struct wfm_repo *repo, const char *rev)
{
	char hex[WFM_OID_HEXSZ + 1];
	git_oid oid;
	git_commit *commit = NULL;
	int rc;

	if ((rc = wfm_repo_resolve_commit(hex, repo, rev)) < 0)
		return rc;
	git_oid_fromstr(&oid, hex);
	if ((rc = git_commit_lookup(&commit, repo->git, &oid)) < 0)
		return wfm_git_error(rc, "cannot read commit %s", hex);
	rc = git_commit_tree(out, commit);
	git_commit_free(commit);
	return rc < 0 ? wfm_git_error(rc, "cannot read the tree of %s", hex) : 0;
}

static int add_line(const git_diff_delta *delta, const git_diff_hunk *hunk,
		    const git_diff_line *line, void *payload)
{
	struct wfm_buf *out = payload;

	if (line->origin == GIT_DIFF_LINE_CONTEXT || line->origin == GIT_DIFF_LINE_ADDITION ||
	    line->origin == GIT_DIFF_LINE_DELETION)
		wfm_buf_addch(out, line->origin);
	wfm_buf_add(out, line->content, line->content_len);
	return 0;
}

int wfm_git_diff(struct wfm_buf *out, struct wfm_repo *repo, const char *from, const char *to,
		 const char *const *paths, size_t nr)
{
	git_diff_options opts;
	git_tree *a = NULL, *b = NULL;
	git_diff *diff = NULL;
	int rc;

	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	if ((rc = commit_tree(&a, repo, from)) < 0 || (rc = commit_tree(&b, repo, to)) < 0)
		goto done;
	opts.pathspec.strings = (char **)paths;
	opts.pathspec.count = paths ? nr : 0;
	rc = git_diff_tree_to_tree(&diff, repo->git, a, b, &opts);
	if (rc < 0) {
		rc = wfm_git_error(rc, "cannot diff '%s' and '%s'", from, to);
		goto done;
	}
	rc = git_diff_print(diff, GIT_DIFF_FORMAT_PATCH, add_line, out);
	if (rc < 0)
		rc = wfm_git_error(rc, "cannot format the diff of '%s' and '%s'", from, to);
done:
	git_diff_free(diff);
	git_tree_free(a);
	git_tree_free(b);
	return rc;
}
