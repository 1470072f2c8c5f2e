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

static int changed_file(const git_diff_delta *delta, float progress, void *payload)
{
	struct wfm_git_changes *c = payload;
	struct wfm_git_changed_file *f;

	(void)progress;
	if (delta->status == GIT_DELTA_DELETED || !delta->new_file.path)
		return 0;
	WFM_ALLOC_GROW(c->v, c->nr + 1, c->alloc);
	f = &c->v[c->nr++];
	memset(f, 0, sizeof(*f));
	f->path = wfm_strdup(delta->new_file.path);
	return 0;
}

static void add_range(struct wfm_git_changed_file *f, uint32_t start, uint32_t end)
{
	if (f->nr == f->alloc) {
		f->alloc = f->alloc ? 2 * f->alloc : 8;
		f->start = wfm_realloc(f->start, f->alloc * sizeof(*f->start));
		f->end = wfm_realloc(f->end, f->alloc * sizeof(*f->end));
	}
	f->start[f->nr] = start;
	f->end[f->nr] = end;
	f->nr++;
}

static int changed_hunk(const git_diff_delta *delta, const git_diff_hunk *hunk, void *payload)
{
	struct wfm_git_changes *c = payload;
	struct wfm_git_changed_file *f = c->nr ? &c->v[c->nr - 1] : NULL;

	if (!f || delta->status == GIT_DELTA_DELETED || !delta->new_file.path ||
	    strcmp(f->path, delta->new_file.path))
		return 0;
	if (hunk->new_lines > 0) {
		add_range(f, (uint32_t)hunk->new_start,
			  (uint32_t)(hunk->new_start + hunk->new_lines - 1));
	} else {
		/* lines only deleted: after line new_start (0: at the top) */
		uint32_t at = (uint32_t)hunk->new_start;

		add_range(f, at ? at : 1, at + 1);
	}
	return 0;
}

int wfm_git_changed_lines(struct wfm_git_changes *out, struct wfm_repo *repo, const char *from,
			  const char *to)
{
	git_diff_options opts;
	git_tree *a = NULL, *b = NULL;
	git_diff *diff = NULL;
	int rc;

	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	opts.context_lines = 0;
	opts.interhunk_lines = 0;
	if ((rc = commit_tree(&a, repo, from)) < 0 || (rc = commit_tree(&b, repo, to)) < 0)
		goto done;
	rc = git_diff_tree_to_tree(&diff, repo->git, a, b, &opts);
	if (rc < 0) {
		rc = wfm_git_error(rc, "cannot diff '%s' and '%s'", from, to);
		goto done;
	}
	rc = git_diff_foreach(diff, changed_file, NULL, changed_hunk, NULL, out);
	if (rc < 0)
		rc = wfm_git_error(rc, "cannot read the diff of '%s' and '%s'", from, to);
done:
	git_diff_free(diff);
	git_tree_free(a);
	git_tree_free(b);
	return rc;
}

int wfm_git_changes_touch(const struct wfm_git_changes *c, const char *path, uint32_t start,
			  uint32_t end)
{
	for (size_t i = 0; i < c->nr; i++) {
		const struct wfm_git_changed_file *f = &c->v[i];

		if (strcmp(f->path, path))
			continue;
		if (!f->nr) /* binary, or only its mode changed: all of it */
			return 1;
		for (size_t k = 0; k < f->nr; k++)
			if (f->start[k] <= end && f->end[k] >= start)
				return 1;
		return 0;
	}
	return 0;
}

void wfm_git_changes_release(struct wfm_git_changes *c)
{
	for (size_t i = 0; i < c->nr; i++) {
		free(c->v[i].path);
		free(c->v[i].start);
		free(c->v[i].end);
	}
	free(c->v);
	c->v = NULL;
	c->nr = c->alloc = 0;
}
