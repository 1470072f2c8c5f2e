#include "base/common.h"
#include "base/buf.h"
#include "git/fastforward.h"
#include "git/repo_priv.h"

#define PATHS_SHOWN 10

int wfm_head_branch(char **refname, char commit[WFM_OID_HEXSZ + 1], struct wfm_repo *repo)
{
	git_reference *head = NULL;
	int rc;

	*refname = NULL;
	commit[0] = '\0';
	rc = git_repository_head(&head, repo->git);
	if (rc == GIT_EUNBORNBRANCH || rc == GIT_ENOTFOUND)
		return wfm_error_setc(WFM_ENOTFOUND, "the current branch has no commits yet");
	if (rc < 0)
		return wfm_git_error(rc, "cannot read HEAD");
	git_oid_tostr(commit, WFM_OID_HEXSZ + 1, git_reference_target(head));
	if (git_repository_head_detached(repo->git) != 1)
		*refname = wfm_strdup(git_reference_name(head));
	git_reference_free(head);
	return 0;
}

static int lookup(git_commit **out, git_repository *git, const char *rev)
{
	git_oid id;
	int rc;

	if ((rc = git_oid_fromstr(&id, rev)) < 0 || (rc = git_commit_lookup(out, git, &id)) < 0)
		return wfm_git_error(rc, "cannot read commit %s", rev);
	return 0;
}

static void conflict_paths(struct wfm_buf *out, git_index *index)
{
	git_index_conflict_iterator *it = NULL;
	const git_index_entry *anc, *ours, *theirs;
	size_t n = 0;

	if (git_index_conflict_iterator_new(&it, index) < 0)
		return;
	while (git_index_conflict_next(&anc, &ours, &theirs, it) == 0) {
		const char *path = ours ? ours->path : theirs ? theirs->path : anc->path;

		if (n++ < PATHS_SHOWN)
			wfm_buf_addf(out, "%s'%s'", n > 1 ? ", " : "", path);
	}
	if (n > PATHS_SHOWN)
		wfm_buf_addf(out, " and %zu more", n - PATHS_SHOWN);
	git_index_conflict_iterator_free(it);
}

int wfm_merge_commit(char out[WFM_OID_HEXSZ + 1], struct wfm_repo *repo, const char *ours,
		     const char *theirs, const char *message)
{
	git_repository *git = repo->git;
	git_commit *a = NULL, *b = NULL;
	git_index *index = NULL;
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	git_merge_options mopts;
	struct wfm_buf paths = WFM_BUF_INIT;
	git_oid tree_id, id;
	int rc;

	out[0] = '\0';
	if ((rc = lookup(&a, git, ours)) < 0 || (rc = lookup(&b, git, theirs)) < 0)
		goto done;
	git_merge_options_init(&mopts, GIT_MERGE_OPTIONS_VERSION);
	mopts.flags = GIT_MERGE_FIND_RENAMES;
	if ((rc = git_merge_commits(&index, git, a, b, &mopts)) < 0) {
		rc = wfm_git_error(rc, "cannot merge %.7s and %.7s", ours, theirs);
		goto done;
	}
	if (git_index_has_conflicts(index)) {
		conflict_paths(&paths, index);
		rc = wfm_error_setc(WFM_ECONFLICT, "%.7s and %.7s conflict in %s", ours, theirs,
				    paths.ptr);
		goto done;
	}
	if ((rc = git_index_write_tree_to(&tree_id, index, git)) < 0 ||
	    (rc = git_tree_lookup(&tree, git, &tree_id)) < 0) {
		rc = wfm_git_error(rc, "cannot write the merged tree");
		goto done;
	}
	if ((rc = git_signature_default(&sig, git)) < 0) {
		rc = wfm_git_error(rc, "cannot make a merge commit without an identity (git config "
				       "user.name and user.email)");
		goto done;
	}
	{
		const git_commit *parents[] = { a, b };

		rc = git_commit_create(&id, git, NULL, sig, sig, NULL, message, tree, 2, parents);
	}
	if (rc < 0) {
		rc = wfm_git_error(rc, "cannot write the merge commit");
		goto done;
	}
	git_oid_tostr(out, WFM_OID_HEXSZ + 1, &id);
done:
	git_signature_free(sig);
	git_tree_free(tree);
	git_index_free(index);
	git_commit_free(a);
	git_commit_free(b);
	wfm_buf_release(&paths);
	return rc;
}

/* What a safe checkout refused to overwrite, for the message. */
struct refused {
	struct wfm_buf paths;
	size_t n;
};

static int notify_conflict(git_checkout_notify_t why, const char *path,
			   const git_diff_file *baseline, const git_diff_file *target,
			   const git_diff_file *workdir, void *payload)
{
	struct refused *r = payload;

	(void)why;
	(void)baseline;
	(void)target;
	(void)workdir;
	if (r->n++ < PATHS_SHOWN)
		wfm_buf_addf(&r->paths, "%s'%s'", r->n > 1 ? ", " : "", path);
	return 0;
}

int wfm_fast_forward(struct wfm_repo *repo, const char *refname, const char *from, const char *to,
		     const char *log_message)
{
	git_repository *git = repo->git;
	git_commit *old = NULL, *new = NULL;
	git_tree *old_tree = NULL;
	git_reference *moved = NULL;
	git_checkout_options co;
	struct refused refused = { WFM_BUF_INIT, 0 };
	git_oid from_id;
	int rc;

	if ((rc = lookup(&old, git, from)) < 0 || (rc = lookup(&new, git, to)) < 0)
		goto done;
	if ((rc = git_commit_tree(&old_tree, old)) < 0) {
		rc = wfm_git_error(rc, "cannot read the tree of %s", from);
		goto done;
	}
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_SAFE;
	co.baseline = old_tree;
	co.notify_flags = GIT_CHECKOUT_NOTIFY_CONFLICT;
	co.notify_cb = notify_conflict;
	co.notify_payload = &refused;
	rc = git_checkout_tree(git, (git_object *)new, &co);
	if (rc < 0 && refused.n) {
		if (refused.n > PATHS_SHOWN)
			wfm_buf_addf(&refused.paths, " and %zu more", refused.n - PATHS_SHOWN);
		rc = wfm_error_setc(WFM_ECONFLICT,
				    "your working tree has changes the result would overwrite: %s",
				    refused.paths.ptr);
		goto done;
	}
	if (rc < 0) {
		rc = wfm_git_error(rc, "cannot check out %.7s", to);
		goto done;
	}
	git_oid_fromstr(&from_id, from);
	rc = git_reference_create_matching(&moved, git, refname, git_commit_id(new), 1, &from_id,
					   log_message);
	if (rc < 0) {
		git_tree *new_tree = NULL;

		rc = wfm_git_error(rc, "cannot move %s from %.7s to %.7s", refname, from, to);
		/* put the files back as the branch has them: the tree matches the branch again */
		if (git_commit_tree(&new_tree, new) == 0) {
			co.baseline = new_tree;
			co.notify_cb = NULL;
			(void)git_checkout_tree(git, (git_object *)old, &co);
			git_tree_free(new_tree);
		}
	}
done:
	git_reference_free(moved);
	git_tree_free(old_tree);
	git_commit_free(old);
	git_commit_free(new);
	wfm_buf_release(&refused.paths);
	return rc;
}
