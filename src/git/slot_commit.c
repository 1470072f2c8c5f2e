/*
 * Commits in a slot and the wfmigrate branches that point at them:
 * refs/heads/wfmigrate/<run>/<label>, moved by compare-and-swap.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/crashpoint.h"
#include "git/pool_priv.h"
#include "git/repo_priv.h"
#include "git/worktree.h"

#include <time.h>

#define LABEL_MAX 100

/* label as one valid ref name component (see pool.h). */
static void sanitize_label(struct wfm_buf *out, const char *label)
{
	size_t start = out->len;

	for (const char *p = label; *p; p++) {
		int c = (unsigned char)*p;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
		char prev = out->len > start ? out->ptr[out->len - 1] : '\0';

		if (!ok)
			c = '-';
		if (c == '-' && prev == '-')
			continue;
		if (c == '.' && prev == '.')
			continue;
		/* no component may start with '.', and a leading '-' reads as an option */
		if ((c == '.' || c == '-') && out->len == start)
			continue;
		wfm_buf_addch(out, c);
		if (out->len - start >= LABEL_MAX)
			break;
	}
	while (out->len > start && strchr(".-", out->ptr[out->len - 1]))
		wfm_buf_setlen(out, out->len - 1);
	if (out->len - start >= 5 && !strcmp(out->ptr + out->len - 5, ".lock"))
		out->ptr[out->len - 5] = '-';
	if (out->len == start)
		wfm_buf_adds(out, "unnamed");
}

int wfm_pool_branch_name(char **out, const char *run, const char *label)
{
	struct wfm_buf ref = WFM_BUF_INIT;
	int valid = 0;

	*out = NULL;
	if (!run || !*run || strchr(run, '/'))
		return wfm_error_setc(WFM_EINVALID, "invalid run id '%s'", run ? run : "");
	wfm_buf_addf(&ref, "refs/heads/wfmigrate/%s/", run);
	sanitize_label(&ref, label ? label : "");
	if (git_reference_name_is_valid(&valid, ref.ptr) < 0 || !valid) {
		wfm_buf_release(&ref);
		return wfm_error_setc(WFM_EINVALID, "invalid run id '%s'", run);
	}
	*out = wfm_buf_detach(&ref, NULL);
	return 0;
}

/* ---- the tree of the index ---- */

/* One entry of a tree or of the index: a path and what it holds. */
struct leaf {
	char *path; /* owned for tree leaves, borrowed from the index otherwise */
	const git_oid *id;
	unsigned int mode;
	git_oid tree_id; /* tree leaves: the storage id points at */
};

struct leaves {
	struct leaf *v;
	size_t nr, alloc;
	git_repository *git;
	int odd; /* the tree holds something the fast path does not handle */
};

static int leaf_cmp(const void *a, const void *b)
{
	return strcmp(((const struct leaf *)a)->path, ((const struct leaf *)b)->path);
}

static int collect_leaf(const char *root, const git_tree_entry *e, void *payload)
{
	struct leaves *l = payload;
	struct leaf *lf;

	if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
		git_tree *sub = NULL;

		/* an empty tree has no index entry: write_tree would drop it */
		if (git_tree_lookup(&sub, l->git, git_tree_entry_id(e)) < 0 ||
		    !git_tree_entrycount(sub))
			l->odd = 1;
		git_tree_free(sub);
		return l->odd ? -1 : 0;
	}
	WFM_ALLOC_GROW(l->v, l->nr + 1, l->alloc);
	lf = &l->v[l->nr++];
	{
		struct wfm_buf p = WFM_BUF_INIT;

		wfm_buf_addf(&p, "%s%s", root, git_tree_entry_name(e));
		lf->path = wfm_buf_detach(&p, NULL);
	}
	git_oid_cpy(&lf->tree_id, git_tree_entry_id(e));
	lf->id = NULL;
	lf->mode = (unsigned int)git_tree_entry_filemode_raw(e);
	return 0;
}

/*
 * The tree of the index as git_index_write_tree() would write it, made
 * by applying to base (the tree the index started from) only the entries
 * that differ from it. write_tree checks that every object the index
 * names exists, which costs a read of each object's header (an open()
 * per file of a loose repository) and rewrites trees that did not
 * change; here only the changed paths are checked and only their trees
 * written. Returns 1 when it cannot vouch for the result (conflicts, an
 * entry added with intent, an empty tree in base, a path that changes
 * between file and directory): the caller then uses write_tree.
 */
static int tree_by_update(git_oid *out, git_repository *git, git_index *index, git_tree *base)
{
	struct leaves old = { .git = git }, cur = { 0 };
	git_tree_update *up = NULL;
	size_t n = git_index_entrycount(index), nup = 0, i = 0, j = 0;
	int rc = 1;

	if (git_index_has_conflicts(index))
		return 1;
	if (git_tree_walk(base, GIT_TREEWALK_PRE, collect_leaf, &old) < 0 || old.odd)
		goto done;
	for (size_t k = 0; k < n; k++) {
		const git_index_entry *e = git_index_get_byindex(index, k);

		if (e->flags_extended & GIT_INDEX_ENTRY_INTENT_TO_ADD)
			goto done;
		WFM_ALLOC_GROW(cur.v, cur.nr + 1, cur.alloc);
		cur.v[cur.nr++] = (struct leaf){ (char *)e->path, &e->id, e->mode, { { 0 } } };
	}
	for (size_t k = 0; k < old.nr; k++)
		old.v[k].id = &old.v[k].tree_id;
	qsort(old.v, old.nr, sizeof(old.v[0]), leaf_cmp);
	qsort(cur.v, cur.nr, sizeof(cur.v[0]), leaf_cmp);
	up = wfm_calloc(old.nr + cur.nr + 1, sizeof(*up));
	while (i < old.nr || j < cur.nr) {
		int c = i == old.nr ? 1 : j == cur.nr ? -1 : strcmp(old.v[i].path, cur.v[j].path);

		if (c < 0) {
			up[nup].action = GIT_TREE_UPDATE_REMOVE;
			up[nup++].path = old.v[i++].path;
		} else if (c > 0 || !git_oid_equal(old.v[i].id, cur.v[j].id) ||
			   old.v[i].mode != cur.v[j].mode) {
			up[nup].action = GIT_TREE_UPDATE_UPSERT;
			git_oid_cpy(&up[nup].id, cur.v[j].id);
			up[nup].filemode = (git_filemode_t)cur.v[j].mode;
			up[nup++].path = cur.v[j].path;
			if (c == 0)
				i++;
			j++;
		} else {
			i++;
			j++;
		}
	}
	if (!nup) {
		git_oid_cpy(out, git_tree_id(base));
		rc = 0;
	} else if (git_tree_create_updated(out, git, base, nup, up) == 0) {
		rc = 0;
	}
	git_error_clear();
done:
	for (size_t k = 0; k < old.nr; k++)
		free(old.v[k].path);
	free(old.v);
	free(cur.v);
	free(up);
	return rc;
}

/* The tree of the index, written to the object database. */
static int write_index_tree(git_oid *out, git_repository *git, git_index *index, git_tree *base)
{
	if (base && tree_by_update(out, git, index, base) == 0)
		return 0;
	return git_index_write_tree(out, index);
}

static int default_signature(git_signature **out, git_repository *git)
{
	if (git_signature_default(out, git) == 0)
		return 0;
	return git_signature_now(out, "git wfmigrate", "wfmigrate@localhost");
}

/*
 * Points refname at id by compare-and-swap against the value just read,
 * retrying while another writer holds the ref's lock or moved it between
 * our read and our write (apis.md §1.6).
 */
static int ref_cas(git_repository *git, const char *refname, const git_oid *id, const char *msg)
{
	struct timespec pause = { 0, 0 };
	git_reference *ref = NULL;
	git_oid cur;
	int rc = 0;

	for (int attempt = 0; attempt < 100; attempt++) {
		rc = git_reference_name_to_id(&cur, git, refname);
		if (rc == GIT_ENOTFOUND)
			rc = git_reference_create(&ref, git, refname, id, 0, msg);
		else if (rc == 0 && git_oid_equal(&cur, id))
			return 0;
		else if (rc == 0)
			rc = git_reference_create_matching(&ref, git, refname, id, 1, &cur, msg);
		git_reference_free(ref);
		ref = NULL;
		if (rc != GIT_ELOCKED && rc != GIT_EMODIFIED && rc != GIT_EEXISTS)
			break;
		/* back off 1, 2, 4 … 64 ms, with jitter so contenders spread out */
		pause.tv_nsec = (long)((1L << (attempt < 6 ? attempt : 6)) * 1000000L +
				       (rand() % 1000) * 1000L);
		nanosleep(&pause, NULL);
	}
	if (rc < 0)
		return wfm_git_error(rc, "cannot update '%s'", refname);
	return 0;
}

/*
 * Commits everything in the slot and points refname (a full, valid name)
 * at the result. seal: commit even an unchanged tree when HEAD is past the
 * slot's base.
 */
static int commit_to(char out[WFM_OID_HEXSZ + 1], int *changed, struct wfm_slot *slot,
		     const char *message, const char *refname, int seal)
{
	git_repository *git = slot->repo->git;
	git_index *index = NULL;
	git_commit *parent = NULL;
	git_tree *tree = NULL, *parent_tree = NULL;
	git_signature *sig = NULL;
	struct wfm_buf msg = WFM_BUF_INIT;
	char *where = NULL;
	git_oid head, base, tree_id, id;
	int rc;

	/* moving a branch checked out somewhere would make that worktree look dirty */
	if (wfm_worktree_find_checkout(&where, slot->repo->commondir, refname)) {
		rc = wfm_error_setc(WFM_ELOCKED, "branch '%s' is checked out in '%s'",
				    refname + strlen("refs/heads/"), where);
		goto done;
	}
	if ((rc = git_reference_name_to_id(&head, git, "HEAD")) < 0 ||
	    (rc = git_commit_lookup(&parent, git, &head)) < 0) {
		rc = wfm_git_error(rc, "cannot read HEAD of '%s'", slot->path);
		goto done;
	}
	if (git_commit_tree(&parent_tree, parent) < 0)
		parent_tree = NULL; /* unreadable: write_tree finds out on its own */
	if ((rc = git_repository_index(&index, git)) < 0 || (rc = git_index_read(index, 0)) < 0 ||
	    (rc = git_index_add_all(index, NULL, GIT_INDEX_ADD_DEFAULT, NULL, NULL)) < 0 ||
	    (rc = git_index_write(index)) < 0 ||
	    (rc = write_index_tree(&tree_id, git, index, parent_tree)) < 0) {
		rc = wfm_git_error(rc, "cannot stage the changes in '%s'", slot->path);
		goto done;
	}
	wfm_crashpoint("commit-staged");
	if (git_oid_equal(&tree_id, git_commit_tree_id(parent)) &&
	    !(seal && (git_oid_fromstr(&base, slot->base) < 0 || !git_oid_equal(&head, &base)))) {
		git_oid_cpy(&id, &head);
	} else {
		const git_commit *parents[1] = { parent };

		*changed = 1;
		wfm_buf_adds(&msg, message && *message ? message : "wfmigrate: changes");
		if ((rc = git_tree_lookup(&tree, git, &tree_id)) < 0 ||
		    (rc = default_signature(&sig, git)) < 0 ||
		    (rc = git_commit_create(&id, git, NULL, sig, sig, NULL, msg.ptr, tree, 1,
					    parents)) < 0) {
			rc = wfm_git_error(rc, "cannot commit in '%s'", slot->path);
			goto done;
		}
		if ((rc = git_repository_set_head_detached(git, &id)) < 0) {
			rc = wfm_git_error(rc, "cannot move HEAD of '%s'", slot->path);
			goto done;
		}
		wfm_crashpoint("commit-head");
	}
	wfm_buf_clear(&msg);
	wfm_buf_addf(&msg, "wfmigrate: commit_all in %s", slot->name);
	if ((rc = ref_cas(git, refname, &id, msg.ptr)) < 0)
		goto done;
	git_oid_tostr(out, WFM_OID_HEXSZ + 1, &id);
done:
	wfm_buf_release(&msg);
	git_signature_free(sig);
	git_tree_free(tree);
	git_tree_free(parent_tree);
	git_commit_free(parent);
	git_index_free(index);
	free(where);
	return rc;
}

int wfm_slot_commit_all(char out[WFM_OID_HEXSZ + 1], int *changed, struct wfm_slot *slot,
			const char *message, const char *label)
{
	char *refname = NULL;
	int rc;

	out[0] = '\0';
	*changed = 0;
	if (!slot->run)
		return wfm_error_setc(WFM_EINVALID, "the pool has no run id to name branches with");
	if ((rc = wfm_pool_branch_name(&refname, slot->run, label)) < 0)
		return rc;
	rc = commit_to(out, changed, slot, message, refname, 0);
	free(refname);
	return rc;
}

int wfm_pool_branch_ref(char **out, const char *branch)
{
	struct wfm_buf ref = WFM_BUF_INIT;
	int valid = 0;

	*out = NULL;
	if (!branch || !*branch)
		return wfm_error_setc(WFM_EINVALID, "no branch name given");
	if (strncmp(branch, "refs/", 5))
		wfm_buf_adds(&ref, "refs/heads/");
	wfm_buf_adds(&ref, branch);
	/* the user's branches are only ever touched by apply */
	if (strncmp(ref.ptr, "refs/heads/wfmigrate/", strlen("refs/heads/wfmigrate/")) ||
	    ref.len == strlen("refs/heads/wfmigrate/") ||
	    git_reference_name_is_valid(&valid, ref.ptr) < 0 || !valid) {
		wfm_buf_release(&ref);
		return wfm_error_setc(WFM_EINVALID, "invalid branch '%s': %s", branch,
				      "not a valid name under wfmigrate/");
	}
	*out = wfm_buf_detach(&ref, NULL);
	return 0;
}

static int commit_branch(char out[WFM_OID_HEXSZ + 1], int *changed, struct wfm_slot *slot,
			 const char *message, const char *branch, int seal)
{
	char *refname = NULL;
	int rc;

	out[0] = '\0';
	*changed = 0;
	if ((rc = wfm_pool_branch_ref(&refname, branch)) < 0)
		return rc;
	rc = commit_to(out, changed, slot, message, refname, seal);
	free(refname);
	return rc;
}

int wfm_slot_commit_branch(char out[WFM_OID_HEXSZ + 1], int *changed, struct wfm_slot *slot,
			   const char *message, const char *branch)
{
	return commit_branch(out, changed, slot, message, branch, 0);
}

int wfm_slot_commit_branch_sealed(char out[WFM_OID_HEXSZ + 1], int *changed, struct wfm_slot *slot,
				  const char *message, const char *branch)
{
	return commit_branch(out, changed, slot, message, branch, 1);
}
