#include "base/common.h"
#include "base/buf.h"
#include "git/pathspec.h"
#include "git/repo_priv.h"
#include "git/tree.h"

struct walk {
	struct wfm_tree_files *out; /* NULL: count only */
	size_t count;
	const struct wfm_pathspec *specs;
	char *matched; /* one per pathspec, to tell which matched nothing */
	struct wfm_buf path;
};

static int walk_cb(const char *root, const git_tree_entry *entry, void *payload)
{
	struct walk *w = payload;
	git_filemode_t mode = git_tree_entry_filemode(entry);
	struct wfm_tree_file *f;

	wfm_buf_clear(&w->path);
	wfm_buf_adds(&w->path, root);
	wfm_buf_adds(&w->path, git_tree_entry_name(entry));
	if (mode == GIT_FILEMODE_TREE) {
		/* walked into only when a pathspec may match beneath it */
		wfm_buf_addch(&w->path, '/');
		return !wfm_pathspec_may_match_under(w->specs, w->path.ptr);
	}
	if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE)
		return 0; /* links and submodules have no text */
	if (!wfm_pathspec_match(w->specs, w->path.ptr, w->matched))
		return 0;
	w->count++;
	if (!w->out)
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

/*
 * Walks the tree of rev (resolved into commit) for the files ps takes,
 * into out when not NULL, counted in *count; the first pathspec that
 * matches nothing is an error, named as it was typed.
 */
static int walk(struct wfm_tree_files *out, size_t *count, char commit_hex[WFM_OID_HEXSZ + 1],
		struct wfm_repo *repo, const char *rev, const struct wfm_pathspec *ps)
{
	struct walk w = { out, 0, ps, NULL, WFM_BUF_INIT };
	git_oid oid;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	int rc;

	if (!rev)
		rev = "HEAD";
	rc = wfm_repo_resolve_commit(commit_hex, repo, rev);
	if (rc < 0)
		goto done;
	if (git_oid_fromstr(&oid, commit_hex) < 0 ||
	    (rc = git_commit_lookup(&commit, repo->git, &oid)) < 0 ||
	    (rc = git_commit_tree(&tree, commit)) < 0) {
		rc = wfm_git_error(rc < 0 ? rc : -1, "cannot read the tree of '%s'", rev);
		goto done;
	}
	w.matched = wfm_calloc(ps->nr ? ps->nr : 1, 1);
	rc = git_tree_walk(tree, GIT_TREEWALK_PRE, walk_cb, &w);
	if (rc < 0) {
		rc = wfm_git_error(rc, "cannot list the files of '%s'", rev);
		goto done;
	}
	for (size_t i = 0; i < ps->nr; i++)
		if (!w.matched[i] && !(ps->v[i].magic & WFM_PATHSPEC_EXCLUDE)) {
			rc = wfm_error_setc(WFM_ENOTFOUND,
					    "pathspec '%s' did not match any file at '%s'",
					    ps->v[i].typed, rev);
			goto done;
		}
	if (count)
		*count = w.count;
	rc = 0;
done:
	free(w.matched);
	wfm_buf_release(&w.path);
	git_tree_free(tree);
	git_commit_free(commit);
	return rc;
}

int wfm_tree_files_list(struct wfm_tree_files *out, struct wfm_repo *repo, const char *rev,
			const char *const *pathspecs, size_t nr)
{
	struct wfm_pathspec ps = WFM_PATHSPEC_INIT;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < nr && rc == 0; i++)
		rc = wfm_pathspec_add(&ps, pathspecs[i], NULL);
	if (rc == 0)
		rc = walk(out, NULL, out->commit, repo, rev, &ps);
	if (rc < 0)
		wfm_tree_files_release(out);
	else if (out->nr)
		qsort(out->v, out->nr, sizeof(*out->v), cmp_path);
	wfm_pathspec_release(&ps);
	return rc;
}

int wfm_tree_pathspec_check(size_t *count, struct wfm_repo *repo, const char *rev,
			    const struct wfm_pathspec *ps)
{
	char hex[WFM_OID_HEXSZ + 1];

	return walk(NULL, count, hex, repo, rev, ps);
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
