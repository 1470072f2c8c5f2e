/*
 * Squash merges in memory, changed paths, integration trailers and
 * compare-and-swap ref updates: the libgit2 half of the merge queue.
 */
#include "base/common.h"
#include "base/buf.h"
#include "git/repo_priv.h"
#include "git/squash.h"
#include "git/worktree.h"

#include <time.h>

/* conflicting paths named in a message; the rest are counted */
#define CONFLICT_PATHS_MAX 20

static int lookup_commit(git_commit **out, git_repository *git, const char *rev)
{
	git_object *obj = NULL;
	int rc;

	*out = NULL;
	rc = git_revparse_single(&obj, git, rev);
	if (rc == 0) {
		rc = git_object_peel((git_object **)out, obj, GIT_OBJECT_COMMIT);
		git_object_free(obj);
	}
	if (rc == GIT_ENOTFOUND || rc == GIT_EAMBIGUOUS || rc == GIT_EINVALIDSPEC ||
	    rc == GIT_EPEEL)
		return wfm_error_setc(WFM_ENOTFOUND, "unknown revision '%s'", rev);
	if (rc < 0)
		return wfm_git_error(rc, "cannot read '%s'", rev);
	return 0;
}

static int lookup_tree(git_tree **out, git_repository *git, const char *rev)
{
	git_commit *c = NULL;
	int rc;

	*out = NULL;
	if ((rc = lookup_commit(&c, git, rev)) < 0)
		return rc;
	rc = git_commit_tree(out, c);
	git_commit_free(c);
	if (rc < 0)
		return wfm_git_error(rc, "cannot read the tree of '%s'", rev);
	return 0;
}

static int default_signature(git_signature **out, git_repository *git)
{
	if (git_signature_default(out, git) == 0)
		return 0;
	return git_signature_now(out, "git wfmigrate", "wfmigrate@localhost");
}

static void short_id(char out[8], const git_oid *id)
{
	git_oid_tostr(out, 8, id);
}

/* The paths of the conflicts in index, as "'a.c', 'b.c'" (at most CONFLICT_PATHS_MAX). */
static void describe_conflicts(struct wfm_buf *out, git_index *index)
{
	git_index_conflict_iterator *it = NULL;
	const git_index_entry *anc, *ours, *theirs;
	const char *last = NULL;
	size_t n = 0;

	if (git_index_conflict_iterator_new(&it, index) < 0)
		return;
	while (git_index_conflict_next(&anc, &ours, &theirs, it) == 0) {
		const char *path = ours ? ours->path : theirs ? theirs->path : anc->path;

		if (last && !strcmp(last, path))
			continue;
		last = path;
		if (n < CONFLICT_PATHS_MAX)
			wfm_buf_addf(out, "%s'%s'", n ? ", " : "", path);
		n++;
	}
	if (n > CONFLICT_PATHS_MAX)
		wfm_buf_addf(out, " and %zu more", n - CONFLICT_PATHS_MAX);
	git_index_conflict_iterator_free(it);
}

int wfm_squash(char out[WFM_OID_HEXSZ + 1], int *empty, struct wfm_repo *repo, const char *onto,
	       const char *branch_tip, const char *from, const char *message)
{
	git_repository *git = repo->git;
	git_merge_options mopts;
	git_commit *ours = NULL, *theirs = NULL, *anc = NULL;
	git_tree *ours_tree = NULL, *theirs_tree = NULL, *anc_tree = NULL, *tree = NULL;
	git_index *index = NULL;
	git_signature *committer = NULL;
	struct wfm_buf msg = WFM_BUF_INIT;
	git_oid tree_id, id, base;
	char a[8], b[8];
	int rc;

	out[0] = '\0';
	*empty = 0;
	git_merge_options_init(&mopts, GIT_MERGE_OPTIONS_VERSION);
	if ((rc = lookup_commit(&ours, git, onto)) < 0 ||
	    (rc = lookup_commit(&theirs, git, branch_tip)) < 0)
		goto done;
	if (from && *from) {
		rc = lookup_commit(&anc, git, from);
	} else {
		rc = git_merge_base(&base, git, git_commit_id(ours), git_commit_id(theirs));
		if (rc == 0)
			rc = git_commit_lookup(&anc, git, &base);
		if (rc < 0 && rc != GIT_ENOTFOUND)
			rc = wfm_git_error(rc, "cannot find the merge base of '%s' and '%s'",
					   branch_tip, onto);
		else
			rc = 0;
	}
	if (rc < 0)
		goto done;
	if ((rc = git_commit_tree(&ours_tree, ours)) < 0 ||
	    (rc = git_commit_tree(&theirs_tree, theirs)) < 0 ||
	    (anc && (rc = git_commit_tree(&anc_tree, anc)) < 0)) {
		rc = wfm_git_error(rc, "cannot read the trees to squash");
		goto done;
	}

	if (anc_tree && git_oid_equal(git_tree_id(anc_tree), git_tree_id(theirs_tree))) {
		git_oid_cpy(&tree_id, git_tree_id(ours_tree)); /* the branch changed nothing */
	} else if (anc_tree && git_oid_equal(git_tree_id(anc_tree), git_tree_id(ours_tree))) {
		git_oid_cpy(&tree_id, git_tree_id(theirs_tree)); /* onto is where it started */
	} else {
		rc = git_merge_trees(&index, git, anc_tree, ours_tree, theirs_tree, &mopts);
		if (rc < 0) {
			rc = wfm_git_error(rc, "cannot merge '%s' onto '%s'", branch_tip, onto);
			goto done;
		}
		if (git_index_has_conflicts(index)) {
			short_id(a, git_commit_id(theirs));
			short_id(b, git_commit_id(ours));
			describe_conflicts(&msg, index);
			rc = wfm_error_setc(WFM_ECONFLICT,
					    "%s does not apply onto %s: conflict in %s", a, b,
					    msg.ptr);
			goto done;
		}
		if ((rc = git_index_write_tree_to(&tree_id, index, git)) < 0) {
			rc = wfm_git_error(rc, "cannot write the squashed tree");
			goto done;
		}
	}

	if (git_oid_equal(&tree_id, git_tree_id(ours_tree))) {
		*empty = 1;
		git_oid_tostr(out, WFM_OID_HEXSZ + 1, git_commit_id(ours));
		goto done;
	}
	{
		const git_commit *parents[1] = { ours };

		wfm_buf_adds(&msg, message && *message ? message : "wfmigrate: squash");
		if ((rc = git_tree_lookup(&tree, git, &tree_id)) < 0 ||
		    (rc = default_signature(&committer, git)) < 0 ||
		    (rc = git_commit_create(&id, git, NULL, git_commit_author(theirs), committer,
					    NULL, msg.ptr, tree, 1, parents)) < 0) {
			rc = wfm_git_error(rc, "cannot commit the squash of '%s'", branch_tip);
			goto done;
		}
	}
	git_oid_tostr(out, WFM_OID_HEXSZ + 1, &id);
done:
	wfm_buf_release(&msg);
	git_signature_free(committer);
	git_index_free(index);
	git_tree_free(tree);
	git_tree_free(anc_tree);
	git_tree_free(theirs_tree);
	git_tree_free(ours_tree);
	git_commit_free(anc);
	git_commit_free(theirs);
	git_commit_free(ours);
	return rc;
}

static int add_change(const git_diff_delta *delta, float progress, void *payload)
{
	struct wfm_changes *out = payload;
	struct wfm_change *c;

	WFM_ALLOC_GROW(out->v, out->nr + 1, out->alloc);
	c = &out->v[out->nr++];
	switch (delta->status) {
	case GIT_DELTA_ADDED:
		c->kind = WFM_CHANGE_ADDED;
		c->path = wfm_strdup(delta->new_file.path);
		break;
	case GIT_DELTA_DELETED:
		c->kind = WFM_CHANGE_DELETED;
		c->path = wfm_strdup(delta->old_file.path);
		break;
	default:
		c->kind = WFM_CHANGE_MODIFIED;
		c->path = wfm_strdup(delta->new_file.path);
		break;
	}
	return 0;
}

int wfm_changes_list(struct wfm_changes *out, struct wfm_repo *repo, const char *from,
		     const char *to)
{
	git_diff_options dopts;
	git_tree *a = NULL, *b = NULL;
	git_diff *diff = NULL;
	int rc;

	if ((from && *from && (rc = lookup_tree(&a, repo->git, from)) < 0) ||
	    (rc = lookup_tree(&b, repo->git, to)) < 0)
		goto done;
	git_diff_options_init(&dopts, GIT_DIFF_OPTIONS_VERSION);
	/* a type change (file to link) is one modification, not a delete and an add */
	dopts.flags |= GIT_DIFF_INCLUDE_TYPECHANGE;
	if ((rc = git_diff_tree_to_tree(&diff, repo->git, a, b, &dopts)) < 0 ||
	    (rc = git_diff_foreach(diff, add_change, NULL, NULL, NULL, out)) < 0)
		rc = wfm_git_error(rc, "cannot compare '%s' and '%s'",
				   from && *from ? from : "(empty)", to);
done:
	git_diff_free(diff);
	git_tree_free(a);
	git_tree_free(b);
	return rc;
}

void wfm_changes_release(struct wfm_changes *changes)
{
	for (size_t i = 0; i < changes->nr; i++)
		free(changes->v[i].path);
	free(changes->v);
	changes->v = NULL;
	changes->nr = changes->alloc = 0;
}

int wfm_changed_paths(struct wfm_strvec *out, struct wfm_repo *repo, const char *from,
		      const char *to)
{
	struct wfm_changes changes = WFM_CHANGES_INIT;
	int rc = wfm_changes_list(&changes, repo, from, to);

	for (size_t i = 0; rc == 0 && i < changes.nr; i++) {
		wfm_strvec_push_nodup(out, changes.v[i].path);
		changes.v[i].path = NULL;
	}
	wfm_changes_release(&changes);
	return rc;
}

static int parse_oid(git_oid *out, const char *hex, const char *what)
{
	if (strlen(hex) != GIT_OID_HEXSZ || git_oid_fromstr(out, hex) < 0)
		return wfm_error_setc(WFM_EINVALID, "%s '%s' is not a full commit id", what, hex);
	return 0;
}

int wfm_ref_cas(struct wfm_repo *repo, const char *refname, const char *id, const char *expected,
		const char *log_message)
{
	git_repository *git = repo->git;
	git_reference *ref = NULL;
	git_oid new_id, old_id, cur;
	char *where = NULL;
	int must_create = !expected || !*expected;
	int rc = 0;

	if ((rc = parse_oid(&new_id, id, "new value")) < 0 ||
	    (!must_create && (rc = parse_oid(&old_id, expected, "expected value")) < 0))
		return rc;
	if (!log_message)
		log_message = "wfmigrate: update";
	/* moving a branch checked out somewhere would make that worktree look dirty */
	if (!strncmp(refname, "refs/heads/", 11) &&
	    wfm_worktree_find_checkout(&where, repo->commondir, refname)) {
		rc = wfm_error_setc(WFM_ELOCKED, "branch '%s' is checked out in '%s'", refname + 11,
				    where);
		free(where);
		return rc;
	}
	for (int attempt = 0; attempt < 12; attempt++) {
		struct timespec pause = { 0, 0 };

		if (must_create) {
			rc = git_reference_create(&ref, git, refname, &new_id, 0, log_message);
		} else {
			rc = git_reference_name_to_id(&cur, git, refname);
			if (rc == GIT_ENOTFOUND)
				return wfm_error_setc(WFM_ENOTFOUND, "'%s' does not exist",
						      refname);
			if (rc == 0 && !git_oid_equal(&cur, &old_id)) {
				char c[8], e[8];

				short_id(c, &cur);
				short_id(e, &old_id);
				return wfm_error_setc(WFM_ELOCKED, "'%s' is at %s, not at %s",
						      refname, c, e);
			}
			if (rc == 0 && git_oid_equal(&cur, &new_id))
				return 0;
			if (rc == 0)
				rc = git_reference_create_matching(&ref, git, refname, &new_id, 1,
								   &old_id, log_message);
		}
		git_reference_free(ref);
		ref = NULL;
		if (rc == GIT_EEXISTS)
			return wfm_error_setc(WFM_EEXISTS, "'%s' already exists", refname);
		if (rc == GIT_EMODIFIED)
			return wfm_error_setc(WFM_ELOCKED, "'%s' moved while it was being updated",
					      refname);
		if (rc != GIT_ELOCKED)
			break;
		/* back off 1, 2, 4 … 256 ms: about a second in all */
		pause.tv_nsec = (1L << (attempt < 8 ? attempt : 8)) * 1000000L;
		nanosleep(&pause, NULL);
	}
	if (rc < 0)
		return wfm_git_error(rc, "cannot update '%s'", refname);
	return 0;
}

void wfm_trailer_values(struct wfm_strvec *out, const char *message, const char *key)
{
	size_t len = strlen(message), klen = strlen(key);
	const char *para, *line;

	while (len && strchr(" \t\r\n", message[len - 1]))
		len--;
	for (para = message + len; para > message; para--)
		if (para[-1] == '\n' && para - 1 > message && para[-2] == '\n')
			break;
	for (line = para; line < message + len;) {
		const char *eol = memchr(line, '\n', (size_t)(message + len - line));
		const char *v;

		if (!eol)
			eol = message + len;
		if ((size_t)(eol - line) > klen && !strncasecmp(line, key, klen) &&
		    line[klen] == ':') {
			size_t n;

			for (v = line + klen + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
				;
			for (n = (size_t)(eol - v); n && strchr(" \t\r", v[n - 1]); n--)
				;
			wfm_strvec_push_nodup(out, wfm_strndup(v, n));
		}
		line = eol + 1;
	}
}

/* The last value of trailer key in message, or NULL; a new string. */
static char *trailer(const char *message, const char *key)
{
	struct wfm_strvec values = WFM_STRVEC_INIT;
	char *last = NULL;

	wfm_trailer_values(&values, message, key);
	if (values.nr) {
		last = values.v[values.nr - 1];
		values.v[--values.nr] = NULL;
	}
	wfm_strvec_clear(&values);
	return last;
}

int wfm_squash_log_read(struct wfm_squash_log *out, struct wfm_repo *repo, const char *tip,
			const char *stop)
{
	git_repository *git = repo->git;
	git_commit *c = NULL, *parent = NULL;
	git_oid stop_id;
	int have_stop = 0, rc;

	if (stop && *stop) {
		git_commit *s = NULL;

		if ((rc = lookup_commit(&s, git, stop)) < 0)
			return rc;
		git_oid_cpy(&stop_id, git_commit_id(s));
		git_commit_free(s);
		have_stop = 1;
	}
	if ((rc = lookup_commit(&c, git, tip)) < 0)
		return rc;
	while (c && !(have_stop && git_oid_equal(git_commit_id(c), &stop_id))) {
		const char *message = git_commit_message(c);
		char *branch = trailer(message, WFM_TRAILER_BRANCH);
		char *commit = trailer(message, WFM_TRAILER_COMMIT);
		git_oid tip_id;

		if (branch && commit && strlen(commit) == GIT_OID_HEXSZ &&
		    git_oid_fromstr(&tip_id, commit) == 0) {
			struct wfm_squash_entry *e;

			WFM_ALLOC_GROW(out->v, out->nr + 1, out->alloc);
			e = &out->v[out->nr++];
			git_oid_tostr(e->commit, sizeof(e->commit), git_commit_id(c));
			git_oid_tostr(e->tip, sizeof(e->tip), &tip_id);
			e->branch = branch;
			branch = NULL;
		}
		free(branch);
		free(commit);
		if (git_commit_parentcount(c) == 0)
			break;
		if ((rc = git_commit_parent(&parent, c, 0)) < 0) {
			rc = wfm_git_error(rc, "cannot read the history of '%s'", tip);
			break;
		}
		git_commit_free(c);
		c = parent;
		parent = NULL;
	}
	git_commit_free(c);
	return rc < 0 ? rc : 0;
}

const struct wfm_squash_entry *wfm_squash_log_find(const struct wfm_squash_log *log,
						   const char *branch_tip)
{
	for (size_t i = 0; i < log->nr; i++)
		if (!strcasecmp(log->v[i].tip, branch_tip))
			return &log->v[i];
	return NULL;
}

void wfm_squash_log_release(struct wfm_squash_log *log)
{
	for (size_t i = 0; i < log->nr; i++)
		free(log->v[i].branch);
	free(log->v);
	log->v = NULL;
	log->nr = log->alloc = 0;
}

int wfm_squash_from(char out[WFM_OID_HEXSZ + 1], struct wfm_repo *repo, const char *branch_tip,
		    const char *onto, const struct wfm_squash_log *log)
{
	git_repository *git = repo->git;
	git_commit *tip = NULL, *dest = NULL;
	git_revwalk *walk = NULL;
	git_oid base, id;
	int rc;

	out[0] = '\0';
	if ((rc = lookup_commit(&tip, git, branch_tip)) < 0 ||
	    (rc = lookup_commit(&dest, git, onto)) < 0)
		goto done;
	rc = git_merge_base(&base, git, git_commit_id(tip), git_commit_id(dest));
	if (rc == GIT_ENOTFOUND) {
		rc = 0;
		goto done;
	}
	if (rc < 0) {
		rc = wfm_git_error(rc, "cannot find the merge base of '%s' and '%s'", branch_tip,
				   onto);
		goto done;
	}
	git_oid_tostr(out, WFM_OID_HEXSZ + 1, &base);
	if (!log || !log->nr)
		goto done;
	/* the branch's own commits, newest first: the first one squashed already wins */
	if ((rc = git_revwalk_new(&walk, git)) < 0 ||
	    (rc = git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL)) < 0 ||
	    (rc = git_revwalk_push(walk, git_commit_id(tip))) < 0 ||
	    (rc = git_revwalk_hide(walk, &base)) < 0) {
		rc = wfm_git_error(rc, "cannot walk the history of '%s'", branch_tip);
		goto done;
	}
	while ((rc = git_revwalk_next(&id, walk)) == 0) {
		char hex[WFM_OID_HEXSZ + 1];

		git_oid_tostr(hex, sizeof(hex), &id);
		if (wfm_squash_log_find(log, hex)) {
			memcpy(out, hex, sizeof(hex));
			break;
		}
	}
	if (rc == GIT_ITEROVER)
		rc = 0;
	else if (rc < 0)
		rc = wfm_git_error(rc, "cannot walk the history of '%s'", branch_tip);
done:
	git_revwalk_free(walk);
	git_commit_free(dest);
	git_commit_free(tip);
	return rc;
}

int wfm_is_ancestor(struct wfm_repo *repo, const char *ancestor, const char *commit)
{
	git_commit *a = NULL, *c = NULL;
	int rc;

	if ((rc = lookup_commit(&a, repo->git, ancestor)) < 0 ||
	    (rc = lookup_commit(&c, repo->git, commit)) < 0)
		goto done;
	if (git_oid_equal(git_commit_id(a), git_commit_id(c))) {
		rc = 1;
		goto done;
	}
	rc = git_graph_descendant_of(repo->git, git_commit_id(c), git_commit_id(a));
	if (rc < 0)
		rc = wfm_git_error(rc, "cannot compare the history of '%s' and '%s'", ancestor,
				   commit);
done:
	git_commit_free(a);
	git_commit_free(c);
	return rc;
}
