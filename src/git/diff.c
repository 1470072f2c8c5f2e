#include "base/common.h"
#include "git/diff.h"
#include "git/pathspec.h"
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

/* Leaves out the deltas no pathspec takes (libgit2 knows no pathspec magic). */
static int keep_delta(const git_diff *so_far, const git_diff_delta *delta, const char *matched,
		      void *payload)
{
	const struct wfm_pathspec *ps = payload;

	(void)so_far;
	(void)matched;
	if ((delta->old_file.path && wfm_pathspec_match(ps, delta->old_file.path, NULL)) ||
	    (delta->new_file.path && wfm_pathspec_match(ps, delta->new_file.path, NULL)))
		return 0;
	return 1;
}

int wfm_git_diff(struct wfm_buf *out, struct wfm_repo *repo, const char *from, const char *to,
		 const char *const *paths, size_t nr)
{
	git_diff_options opts;
	git_tree *a = NULL, *b = NULL;
	git_diff *diff = NULL;
	struct wfm_pathspec ps = WFM_PATHSPEC_INIT;
	int rc = 0;

	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	for (size_t i = 0; paths && i < nr && rc == 0; i++)
		rc = wfm_pathspec_add(&ps, paths[i], NULL);
	if (rc < 0 || (rc = commit_tree(&a, repo, from)) < 0 ||
	    (rc = commit_tree(&b, repo, to)) < 0)
		goto done;
	if (ps.nr) {
		opts.notify_cb = keep_delta;
		opts.payload = &ps;
	}
	rc = git_diff_tree_to_tree(&diff, repo->git, a, b, &opts);
	if (rc < 0) {
		rc = wfm_git_error(rc, "cannot diff '%s' and '%s'", from, to);
		goto done;
	}
	rc = git_diff_print(diff, GIT_DIFF_FORMAT_PATCH, add_line, out);
	if (rc < 0)
		rc = wfm_git_error(rc, "cannot format the diff of '%s' and '%s'", from, to);
done:
	wfm_pathspec_release(&ps);
	git_diff_free(diff);
	git_tree_free(a);
	git_tree_free(b);
	return rc;
}
