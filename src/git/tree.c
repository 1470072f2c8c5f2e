#include "base/common.h"
#include "base/buf.h"
#include "git/repo_priv.h"
#include "git/tree.h"

struct walk {
	struct wfm_tree_files *out;
	git_pathspec **specs; /* one per pathspec, to tell which matched nothing */
	char *matched;
	size_t nr;
	struct wfm_buf path;
};

static int walk_cb(const char *root, const git_tree_entry *entry, void *payload)
{
	struct walk *w = payload;
	git_filemode_t mode = git_tree_entry_filemode(entry);
	struct wfm_tree_file *f;
	int keep = !w->nr;

	if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE)
		return 0; /* trees are walked into; links and submodules have no text */
	wfm_buf_clear(&w->path);
	wfm_buf_adds(&w->path, root);
	wfm_buf_adds(&w->path, git_tree_entry_name(entry));
	for (size_t i = 0; i < w->nr; i++)
		if (git_pathspec_matches_path(w->specs[i], GIT_PATHSPEC_DEFAULT, w->path.ptr)) {
			w->matched[i] = 1;
			keep = 1;
		}
	if (!keep)
		return 0;
	WFM_ALLOC_GROW(w->out->v, w->out->nr + 1, w->out->alloc);
	f = &w->out->v[w->out->nr++];
	f->path = wfm_strdup(w->path.ptr);
	memcpy(f->oid, git_tree_entry_id(entry)->id, WFM_OID_RAWSZ);
	return 0;
}

static int cmp_path(const void *a, const void *b)
{
	const struct wfm_tree_file *x = a, *y = b;
	return strcmp(x->path, y->path);
}

int wfm_tree_files_list(struct wfm_tree_files *out, struct wfm_repo *repo, const char *rev,
			const char *const *pathspecs, size_t nr)
{
	struct walk w = { out, NULL, NULL, nr, WFM_BUF_INIT };
	git_oid oid;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!rev)
		rev = "HEAD";
	rc = wfm_repo_resolve_commit(out->commit, repo, rev);
	if (rc < 0)
		goto done;
	if (git_oid_fromstr(&oid, out->commit) < 0 ||
	    (rc = git_commit_lookup(&commit, repo->git, &oid)) < 0 ||
	    (rc = git_commit_tree(&tree, commit)) < 0) {
		rc = wfm_git_error(rc < 0 ? rc : -1, "cannot read the tree of '%s'", rev);
		goto done;
	}
	w.specs = wfm_calloc(nr, sizeof(*w.specs));
	w.matched = wfm_calloc(nr, 1);
	for (size_t i = 0; i < nr; i++) {
		char *p = (char *)pathspecs[i];
		git_strarray one = { &p, 1 };

		rc = git_pathspec_new(&w.specs[i], &one);
		if (rc < 0) {
			rc = wfm_git_error(rc, "invalid pathspec '%s'", pathspecs[i]);
			goto done;
		}
	}
	rc = git_tree_walk(tree, GIT_TREEWALK_PRE, walk_cb, &w);
	if (rc < 0) {
		rc = wfm_git_error(rc, "cannot list the files of '%s'", rev);
		goto done;
	}
	for (size_t i = 0; i < nr; i++)
		if (!w.matched[i]) {
			rc = wfm_error_setc(WFM_ENOTFOUND,
					    "pathspec '%s' did not match any file at '%s'",
					    pathspecs[i], rev);
			goto done;
		}
	if (out->nr)
		qsort(out->v, out->nr, sizeof(*out->v), cmp_path);
	rc = 0;
done:
	if (rc < 0)
		wfm_tree_files_release(out);
	for (size_t i = 0; w.specs && i < nr; i++)
		git_pathspec_free(w.specs[i]);
	free(w.specs);
	free(w.matched);
	wfm_buf_release(&w.path);
	git_tree_free(tree);
	git_commit_free(commit);
	return rc;
}

void wfm_tree_files_release(struct wfm_tree_files *files)
{
	for (size_t i = 0; i < files->nr; i++)
		free(files->v[i].path);
	free(files->v);
	files->v = NULL;
	files->nr = files->alloc = 0;
}

int wfm_tree_read_blob(struct wfm_buf *out, struct wfm_repo *repo,
		       const unsigned char oid[WFM_OID_RAWSZ])
{
	git_oid id;
	git_blob *blob = NULL;
	int rc;

	wfm_buf_clear(out);
	git_oid_fromraw(&id, oid);
	rc = git_blob_lookup(&blob, repo->git, &id);
	if (rc < 0) {
		char hex[WFM_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), &id);
		return wfm_git_error(rc, "cannot read blob %s", hex);
	}
	rc = wfm_buf_add(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	return rc;
}
