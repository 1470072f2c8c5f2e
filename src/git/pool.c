/*
 * The worktree pool: its slots, from the disk to acquire and release
 * (docs/pool.md has the on-disk layout, the lock protocol and the libgit2
 * pitfalls this file works around). Commits and branches are in
 * slot_commit.c, clean in pool_clean.c.
 *
 * Locking, from the outside in:
 *   pool->mu        threads of this process; guards pool->repo
 *   pool.mutex      flock() on <commondir>/wfmigrate/pool.mutex, between
 *                   processes: held while slots are inspected, claimed,
 *                   registered or reclaimed — never during a checkout or
 *                   a removal, which are done under a claim
 *   <name>.lock     the claim on one slot: O_CREAT|O_EXCL, pid and start
 *                   time; the slot belongs to whoever holds it
 *
 * Slots this process released are remembered with their repository
 * handles (pool->idle): the next acquire tries them first, checking only
 * the one it takes, and looks at every slot on disk only when none of
 * them will do.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/crashpoint.h"
#include "base/fs.h"
#include "git/pool_priv.h"
#include "git/repo_priv.h"
#include "git/worktree.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>

#define SLOT_PREFIX "wfm-"
#define REASON_PREFIX "wfmigrate:"

/* A slot this process released, with its repository handle kept open. */
struct idle_slot {
	char *name;
	struct wfm_repo *repo;
};

struct wfm_pool {
	pthread_mutex_t mu;
	struct wfm_repo *repo; /* under mu */
	char *commondir;       /* canonical */
	char *pooldir;	       /* <commondir>/wfmigrate/pool */
	char *mutex_path;      /* <commondir>/wfmigrate/pool.mutex */
	char *run;
	int cold;
	/* whether checking out a tree needs the attribute filters, for recent trees (under mu) */
	struct {
		git_oid tree;
		int needs;
	} filters[8];
	size_t filters_nr, filters_next;
	struct idle_slot *idle; /* under mu */
	size_t idle_nr, idle_alloc;
	/* full checkouts (new slots) running at once: at most one per CPU */
	pthread_mutex_t gate_mu;
	pthread_cond_t gate_cv;
	long gate_free;
};

void wfm_pool_error_save(struct wfm_pool_error *e, int code)
{
	e->code = code;
	snprintf(e->msg, sizeof(e->msg), "%s", wfm_error_last());
}

int wfm_pool_error_restore(const struct wfm_pool_error *e)
{
	return wfm_error_setc(e->code, "%s", e->msg);
}

/* ---- paths and names ---- */

static int is_slot_name(const char *name)
{
	const char *p = name + strlen(SLOT_PREFIX);

	if (strncmp(name, SLOT_PREFIX, strlen(SLOT_PREFIX)) || !*p)
		return 0;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

/* Orders wfm-2 before wfm-10; other names after, alphabetically. */
static int name_cmp(const char *a, const char *b)
{
	int sa = is_slot_name(a), sb = is_slot_name(b);

	if (sa && sb) {
		size_t la = strlen(a), lb = strlen(b);

		if (la != lb)
			return la < lb ? -1 : 1;
	} else if (sa != sb) {
		return sa ? -1 : 1;
	}
	return strcmp(a, b);
}

int wfm_pool_paths(char **commondir, char **pooldir, char **mutex_path, const char *raw)
{
	char *canon = realpath(raw, NULL);

	if (!canon)
		return wfm_error_set("cannot resolve '%s': %s", raw, strerror(errno));
	*commondir = wfm_strdup(canon);
	free(canon);
	*pooldir = wfm_fs_join(*commondir, "wfmigrate/pool");
	*mutex_path = wfm_fs_join(*commondir, "wfmigrate/pool.mutex");
	return 0;
}

char *wfm_pool_lock_path(const char *pooldir, const char *name)
{
	struct wfm_buf p = WFM_BUF_INIT;

	wfm_buf_addf(&p, "%s/%s.lock", pooldir, name);
	return wfm_buf_detach(&p, NULL);
}

/* ---- the cross-process mutex ---- */

int wfm_pool_flock_take(int *out, const char *path)
{
	int fd;

	*out = -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0)
		return wfm_error_set("cannot open '%s': %s", path, strerror(errno));
	while (flock(fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		close(fd);
		return wfm_error_set("cannot lock '%s': %s", path, strerror(errno));
	}
	*out = fd;
	return 0;
}

void wfm_pool_flock_drop(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

static int pool_lock(int *fd, struct wfm_pool *pool)
{
	int rc;

	pthread_mutex_lock(&pool->mu);
	rc = wfm_pool_flock_take(fd, pool->mutex_path);
	if (rc < 0)
		pthread_mutex_unlock(&pool->mu);
	return rc;
}

static void pool_unlock(int fd, struct wfm_pool *pool)
{
	wfm_pool_flock_drop(fd);
	pthread_mutex_unlock(&pool->mu);
}

/* ---- what is on disk ---- */

void wfm_pool_scan_release(struct wfm_pool_scan *s)
{
	for (size_t i = 0; i < s->nr; i++) {
		free(s->v[i].name);
		free(s->v[i].reason);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static struct wfm_slot_state *scan_get(struct wfm_pool_scan *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->nr; i++)
		if (strlen(s->v[i].name) == len && !strncmp(s->v[i].name, name, len))
			return &s->v[i];
	WFM_ALLOC_GROW(s->v, s->nr + 1, s->alloc);
	memset(&s->v[s->nr], 0, sizeof(s->v[0]));
	s->v[s->nr].name = wfm_strndup(name, len);
	return &s->v[s->nr++];
}

static int state_cmp(const void *a, const void *b)
{
	return name_cmp(((const struct wfm_slot_state *)a)->name,
			((const struct wfm_slot_state *)b)->name);
}

/*
 * Whether <commondir>/worktrees/<name> is one of the pool's, and in
 * what state. An entry is the pool's when its gitdir file points into
 * the pool directory, or — having no gitdir file, so made by an add that
 * failed early — when its name is a slot name.
 */
static enum wfm_entry_state classify_entry(int *ours, const char *commondir, const char *pooldir,
					   const char *name)
{
	struct wfm_buf p = WFM_BUF_INIT, want = WFM_BUF_INIT;
	char *gitdir = NULL;
	enum wfm_entry_state st = WFM_ENTRY_HALF;
	size_t plen = strlen(pooldir);

	*ours = 0;
	wfm_buf_addf(&p, "%s/worktrees/%s/gitdir", commondir, name);
	if (wfm_read_line(&gitdir, p.ptr) < 0) {
		*ours = is_slot_name(name);
		goto done;
	}
	if (strncmp(gitdir, pooldir, plen) || gitdir[plen] != '/')
		goto done;
	*ours = 1;
	wfm_buf_addf(&want, "%s/%s/.git", pooldir, name);
	if (strcmp(gitdir, want.ptr))
		goto done; /* points at another slot's directory: broken */
	wfm_buf_clear(&p);
	wfm_buf_addf(&p, "%s/worktrees/%s/HEAD", commondir, name);
	if (!wfm_fs_exists(p.ptr))
		goto done;
	wfm_buf_clear(&p);
	wfm_buf_addf(&p, "%s/worktrees/%s/commondir", commondir, name);
	if (!wfm_fs_exists(p.ptr))
		goto done;
	if (!wfm_fs_exists(want.ptr)) {
		wfm_buf_setlen(&want, want.len - strlen("/.git"));
		st = wfm_fs_is_dir(want.ptr) ? WFM_ENTRY_HALF : WFM_ENTRY_GONE;
		goto done;
	}
	st = WFM_ENTRY_OK;
done:
	free(gitdir);
	wfm_buf_release(&p);
	wfm_buf_release(&want);
	return st;
}

int wfm_pool_scan_read(struct wfm_pool_scan *out, const char *commondir, const char *pooldir)
{
	struct wfm_buf p = WFM_BUF_INIT;
	struct dirent *de;
	DIR *d;

	memset(out, 0, sizeof(*out));
	wfm_buf_addf(&p, "%s/worktrees", commondir);
	if ((d = opendir(p.ptr))) {
		while ((de = readdir(d))) {
			enum wfm_entry_state st;
			int ours;

			if (de->d_name[0] == '.')
				continue;
			st = classify_entry(&ours, commondir, pooldir, de->d_name);
			if (ours)
				scan_get(out, de->d_name, strlen(de->d_name))->entry = st;
		}
		closedir(d);
	}
	if ((d = opendir(pooldir))) {
		while ((de = readdir(d))) {
			size_t len = strlen(de->d_name);

			if (de->d_name[0] == '.')
				continue;
			if (len > 5 && !strcmp(de->d_name + len - 5, ".lock")) {
				scan_get(out, de->d_name, len - 5);
			} else {
				wfm_buf_clear(&p);
				wfm_buf_addf(&p, "%s/%s", pooldir, de->d_name);
				if (wfm_fs_is_dir(p.ptr))
					scan_get(out, de->d_name, len)->has_dir = 1;
			}
		}
		closedir(d);
	}
	for (size_t i = 0; i < out->nr; i++) {
		struct wfm_slot_state *s = &out->v[i];
		int rc;

		wfm_buf_clear(&p);
		wfm_buf_addf(&p, "%s/%s.lock", pooldir, s->name);
		rc = wfm_pidlock_read(&s->owner, p.ptr);
		if (rc == WFM_ENOTFOUND)
			s->lock = WFM_LOCK_NONE;
		else if (rc == 0 && wfm_pidlock_alive(&s->owner))
			s->lock = WFM_LOCK_LIVE;
		else
			s->lock = WFM_LOCK_STALE;
		if (s->entry != WFM_ENTRY_NONE &&
		    wfm_worktree_lock_reason(&s->reason, commondir, s->name) < 0)
			s->reason = NULL;
	}
	if (out->nr)
		qsort(out->v, out->nr, sizeof(out->v[0]), state_cmp);
	wfm_buf_release(&p);
	return 0;
}

int wfm_pool_user_locked(const struct wfm_slot_state *s)
{
	return s->reason && strncmp(s->reason, REASON_PREFIX, strlen(REASON_PREFIX));
}

int wfm_pool_remove_state(const char *commondir, const char *pooldir,
			  const struct wfm_slot_state *st)
{
	char *dir = wfm_fs_join(pooldir, st->name);
	int rc;

	if (st->entry != WFM_ENTRY_NONE)
		rc = wfm_worktree_remove(commondir, st->name, st->has_dir ? dir : NULL);
	else
		rc = st->has_dir ? wfm_fs_rmtree(dir) : 0;
	free(dir);
	return rc;
}

int wfm_pool_claim(const char *pooldir, const struct wfm_slot_state *s)
{
	struct wfm_buf p = WFM_BUF_INIT;
	unsigned killed;
	int rc;

	wfm_buf_addf(&p, "%s/%s.lock", pooldir, s->name);
	/*
	 * What the dead holder started (agents, Bash commands, oracles) runs
	 * in process groups of its own and survived it: it would go on
	 * writing into the slot under its next holder.
	 */
	if (s->lock == WFM_LOCK_STALE &&
	    (rc = wfm_proc_kill_orphans(&killed, s->owner.pid, s->owner.start,
					WFM_POOL_ORPHAN_WAIT_MS)) < 0)
		goto done;
	if (s->lock == WFM_LOCK_STALE && unlink(p.ptr) < 0 && errno != ENOENT) {
		rc = wfm_error_set("cannot remove stale lock '%s': %s", p.ptr, strerror(errno));
		goto done;
	}
	rc = wfm_pidlock_create(p.ptr);
done:
	wfm_buf_release(&p);
	return rc;
}

static void lock_reason(char *buf, size_t n)
{
	snprintf(buf, n, REASON_PREFIX " in use by pid %ld", (long)getpid());
}

/* ---- slots ---- */

static void slot_free(struct wfm_slot *slot)
{
	if (!slot)
		return;
	wfm_repo_free(slot->repo);
	free(slot->name);
	free(slot->path);
	free(slot->lock_path);
	free(slot->run);
	free(slot);
}

static struct wfm_slot *slot_new(const struct wfm_pool *pool, const char *name)
{
	struct wfm_slot *slot = wfm_calloc(1, sizeof(*slot));

	slot->name = wfm_strdup(name);
	slot->path = wfm_fs_join(pool->pooldir, name);
	slot->lock_path = wfm_pool_lock_path(pool->pooldir, name);
	slot->run = pool->run ? wfm_strdup(pool->run) : NULL;
	return slot;
}

/* Opens the slot's repository: the slot itself, never a search upwards. */
static int slot_open(struct wfm_slot *slot)
{
	git_repository *git = NULL;
	int rc;

	rc = git_repository_open_ext(&git, slot->path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	if (rc < 0)
		return wfm_git_error(rc, "cannot open worktree '%s'", slot->path);
	slot->repo = wfm_repo_wrap(git);
	return 0;
}

/*
 * Whether checkouts must run the .gitattributes filters (eol, ident,
 * filter drivers) or autocrlf. Skipping them when nothing asks for them
 * halves the time of a full checkout (apis.md §1.7).
 */
static int tree_has_attributes(git_repository *git, git_tree *tree, int depth)
{
	size_t n = git_tree_entrycount(tree);
	int found = 0;

	for (size_t i = 0; i < n && !found; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		git_tree *sub = NULL;

		if (!strcmp(git_tree_entry_name(e), ".gitattributes"))
			return 1;
		if (git_tree_entry_type(e) != GIT_OBJECT_TREE || depth > 64)
			continue;
		if (git_tree_lookup(&sub, git, git_tree_entry_id(e)) < 0)
			return 1; /* cannot tell: keep the filters */
		found = tree_has_attributes(git, sub, depth + 1);
		git_tree_free(sub);
	}
	return found;
}

static int needs_filters(git_repository *git, git_tree *tree)
{
	git_config *cfg = NULL;
	git_buf val = GIT_BUF_INIT;
	int b, needs = 0;
	char *info;

	if (git_repository_config_snapshot(&cfg, git) < 0)
		return 1;
	if (git_config_get_bool(&b, cfg, "core.autocrlf") != GIT_ENOTFOUND)
		needs = 1; /* true, input or unreadable */
	else if (git_config_get_string_buf(&val, cfg, "core.attributesfile") == 0 && val.size)
		needs = 1;
	git_buf_dispose(&val);
	git_config_free(cfg);
	if (needs)
		return 1;
	info = wfm_fs_join(git_repository_commondir(git), "info/attributes");
	needs = wfm_fs_exists(info);
	free(info);
	if (!needs) {
		const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
		struct wfm_buf p = WFM_BUF_INIT;

		if (xdg && *xdg)
			wfm_buf_addf(&p, "%s/git/attributes", xdg);
		else if (home && *home)
			wfm_buf_addf(&p, "%s/.config/git/attributes", home);
		needs = (p.len && wfm_fs_exists(p.ptr)) || wfm_fs_exists("/etc/gitattributes");
		wfm_buf_release(&p);
	}
	return needs || tree_has_attributes(git, tree, 0);
}

static void checkout_progress(const char *path, size_t done, size_t total, void *payload)
{
	(void)total;
	(void)payload;
	if (path && done >= 1)
		wfm_crashpoint("checkout");
}

/*
 * Moves the slot to base: a checkout from the slot's current HEAD tree
 * (the baseline: only files that differ, or that someone changed, are
 * written), forced, removing untracked files but not ignored ones, then
 * a detached HEAD. A fresh slot has no index yet and gets everything. A
 * reused one also loses what a git command left half done in it
 * (MERGE_HEAD, a rebase's state, ...).
 */
static int slot_checkout(struct wfm_slot *slot, const git_oid *base, int filters)
{
	git_repository *git = slot->repo->git;
	git_checkout_options co;
	git_commit *commit = NULL, *from = NULL;
	git_tree *tree = NULL, *baseline = NULL;
	git_oid head;
	int rc;

	if ((rc = git_commit_lookup(&commit, git, base)) < 0 ||
	    (rc = git_commit_tree(&tree, commit)) < 0) {
		rc = wfm_git_error(rc, "cannot read commit %s", slot->base);
		goto done;
	}
	if (git_reference_name_to_id(&head, git, "HEAD") == 0 &&
	    git_commit_lookup(&from, git, &head) == 0 && git_commit_tree(&baseline, from) < 0)
		baseline = NULL;
	/*
	 * A torn index (a power cut) would fail the checkout, on a path where
	 * libgit2 1.5.1 leaks the commit; find out first.
	 */
	if (baseline) {
		git_index *index = NULL;

		rc = git_repository_index(&index, git);
		if (rc == 0)
			rc = git_index_read(index, 1);
		git_index_free(index);
		if (rc < 0) {
			rc = wfm_git_error(rc, "cannot read the index of '%s'", slot->path);
			goto done;
		}
	}
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_REMOVE_UNTRACKED;
	co.baseline = baseline;
	co.disable_filters = !filters;
	if (baseline)
		co.progress_cb = checkout_progress;
	if ((rc = git_checkout_tree(git, (git_object *)tree, &co)) < 0) {
		rc = wfm_git_error(rc, "cannot check out %s in '%s'", slot->base, slot->path);
		goto done;
	}
	if ((rc = git_repository_set_head_detached(git, base)) < 0) {
		rc = wfm_git_error(rc, "cannot detach HEAD of '%s'", slot->path);
		goto done;
	}
	if (baseline && (rc = git_repository_state_cleanup(git)) < 0)
		rc = wfm_git_error(rc, "cannot clean up the git state of '%s'", slot->path);
done:
	git_tree_free(baseline);
	git_tree_free(tree);
	git_commit_free(from);
	git_commit_free(commit);
	return rc;
}

/*
 * Whether a reused slot is exactly its base after the checkout: the index
 * is base's tree, every tracked file is as in the index, no conflict, and
 * no untracked file that is not ignored. Whatever the previous holder did
 * (killed while writing, committing or checking out; a power cut), the
 * next one must start from the base and nothing else. libgit2's status on
 * an index whose stat data is fresh reads only the few files the checkout
 * just wrote. WFM_ECONFLICT, naming the first path that differs, when it
 * is not.
 */
static int slot_verify(struct wfm_slot *slot)
{
	git_status_options so;
	git_status_list *list = NULL;
	const git_status_entry *e;
	const git_diff_delta *d;
	int rc;

	git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
	so.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	so.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	if ((rc = git_status_list_new(&list, slot->repo->git, &so)) < 0)
		return wfm_git_error(rc, "cannot read the status of '%s'", slot->path);
	if (git_status_list_entrycount(list) == 0) {
		git_status_list_free(list);
		return 0;
	}
	e = git_status_byindex(list, 0);
	d = e->index_to_workdir ? e->index_to_workdir : e->head_to_index;
	rc = wfm_error_setc(WFM_ECONFLICT,
			    "slot %s is not clean at %.12s after its checkout: '%s'%s", slot->name,
			    slot->base, d ? d->new_file.path : "?",
			    git_status_list_entrycount(list) > 1 ? " and more" : "");
	git_status_list_free(list);
	return rc;
}

/* Reads the commit a slot's HEAD is at, whether detached or not. */
static int slot_head(git_oid *out, struct wfm_pool *pool, const char *name)
{
	struct wfm_buf p = WFM_BUF_INIT;
	char *line = NULL;
	int rc = -1;

	wfm_buf_addf(&p, "%s/worktrees/%s/HEAD", pool->commondir, name);
	if (wfm_read_line(&line, p.ptr) < 0)
		goto done;
	if (!strncmp(line, "ref: ", 5))
		rc = git_reference_name_to_id(out, pool->repo->git, line + 5);
	else
		rc = git_oid_fromstr(out, line);
done:
	free(line);
	wfm_buf_release(&p);
	return rc < 0 ? -1 : 0;
}

/* How far a slot at head is from base: 0 when there, commits apart otherwise. */
static size_t distance(struct wfm_pool *pool, const git_oid *head, const git_oid *base)
{
	size_t ahead = 0, behind = 0;

	if (git_oid_equal(head, base))
		return 0;
	if (git_graph_ahead_behind(&ahead, &behind, pool->repo->git, head, base) < 0)
		return SIZE_MAX / 2;
	return ahead + behind;
}

/*
 * Removes what the pool left broken: half-made entries, entries whose
 * directory is gone, directories without an entry, stale lock files of
 * slots that no longer exist. Under the pool mutex; best effort.
 */
static void sweep_broken(struct wfm_pool *pool, struct wfm_pool_scan *s)
{
	unsigned killed;

	for (size_t i = 0; i < s->nr; i++) {
		struct wfm_slot_state *st = &s->v[i];
		char *lock;

		if (st->lock == WFM_LOCK_LIVE || st->entry == WFM_ENTRY_OK ||
		    wfm_pool_user_locked(st))
			continue;
		/* a new slot may get its name, and its path, at once */
		if (st->lock == WFM_LOCK_STALE &&
		    wfm_proc_kill_orphans(&killed, st->owner.pid, st->owner.start,
					  WFM_POOL_ORPHAN_WAIT_MS) < 0)
			continue;
		if (wfm_pool_remove_state(pool->commondir, pool->pooldir, st) < 0)
			continue;
		lock = wfm_pool_lock_path(pool->pooldir, st->name);
		if (unlink(lock) == 0 || errno == ENOENT) {
			st->entry = WFM_ENTRY_NONE;
			st->has_dir = 0;
			st->lock = WFM_LOCK_NONE;
		}
		free(lock);
	}
}

/*
 * A holder that died in the middle of a checkout or a commit leaves git's
 * own lock files in the slot's entry, and every later checkout there
 * would fail on them ("the index is locked"). Called under the flock,
 * once the dead holder's slot is claimed: nobody else can be writing them.
 */
static void clear_git_locks(struct wfm_pool *pool, const char *name)
{
	static const char *const files[] = { "index.lock", "HEAD.lock" };
	struct wfm_buf p = WFM_BUF_INIT;

	for (size_t i = 0; i < WFM_ARRAY_SIZE(files); i++) {
		wfm_buf_clear(&p);
		wfm_buf_addf(&p, "%s/worktrees/%s/%s", pool->commondir, name, files[i]);
		unlink(p.ptr);
	}
	wfm_buf_release(&p);
}

/* The first free slot name: no entry of anyone's, no directory, no lock file. */
static char *new_name(struct wfm_pool *pool, const struct wfm_pool_scan *s)
{
	struct wfm_buf name = WFM_BUF_INIT;
	char *entries = wfm_fs_join(pool->commondir, "worktrees");

	for (unsigned long n = 1;; n++) {
		char *entry, *dir, *lock;
		int taken = 0;

		wfm_buf_clear(&name);
		wfm_buf_addf(&name, SLOT_PREFIX "%lu", n);
		for (size_t i = 0; i < s->nr && !taken; i++)
			taken = !strcmp(s->v[i].name, name.ptr) &&
				(s->v[i].entry != WFM_ENTRY_NONE || s->v[i].has_dir ||
				 s->v[i].lock != WFM_LOCK_NONE);
		if (taken)
			continue;
		entry = wfm_fs_join(entries, name.ptr);
		dir = wfm_fs_join(pool->pooldir, name.ptr);
		lock = wfm_pool_lock_path(pool->pooldir, name.ptr);
		taken = wfm_fs_exists(entry) || wfm_fs_exists(dir) || wfm_fs_exists(lock);
		free(entry);
		free(dir);
		free(lock);
		if (!taken) {
			free(entries);
			return wfm_buf_detach(&name, NULL);
		}
	}
}

static void idle_drop(struct wfm_pool *pool, size_t i)
{
	free(pool->idle[i].name);
	wfm_repo_free(pool->idle[i].repo);
	pool->idle[i] = pool->idle[--pool->idle_nr];
}

/*
 * Claims the slot this process released that is nearest to base, under
 * the pool mutex. Only that slot is checked: its entry must be intact and
 * the pool's, nobody may have locked it with git, and the claim (an
 * exclusive create) fails if another process holds it now. Slots that
 * fail are forgotten. 1 when no remembered slot will do.
 */
static int pick_idle(struct wfm_slot **out, struct wfm_pool *pool, const git_oid *base,
		     const char *reason)
{
	while (pool->idle_nr) {
		struct wfm_slot_state st = { 0 };
		struct idle_slot it;
		size_t best = SIZE_MAX, best_i = 0;
		int ours, rc;

		for (size_t i = 0; i < pool->idle_nr && best; i++) {
			git_oid head;
			size_t dist = slot_head(&head, pool, pool->idle[i].name) < 0
					      ? SIZE_MAX - 1
					      : distance(pool, &head, base);

			if (dist < best) {
				best = dist;
				best_i = i;
			}
		}
		it = pool->idle[best_i];
		pool->idle[best_i] = pool->idle[--pool->idle_nr];
		st.name = it.name;
		st.entry = classify_entry(&ours, pool->commondir, pool->pooldir, it.name);
		st.lock = WFM_LOCK_NONE;
		if (st.entry == WFM_ENTRY_OK && ours &&
		    wfm_worktree_lock_reason(&st.reason, pool->commondir, it.name) >= 0 &&
		    !wfm_pool_user_locked(&st)) {
			rc = wfm_pool_claim(pool->pooldir, &st);
			if (rc == 0) {
				struct wfm_slot *slot = slot_new(pool, it.name);

				slot->repo = it.repo;
				free(it.name);
				free(st.reason);
				if ((rc = wfm_worktree_lock(slot->repo, slot->name, reason)) < 0) {
					unlink(slot->lock_path);
					slot_free(slot);
					return rc;
				}
				*out = slot;
				return 0;
			}
			if (rc != WFM_EEXISTS) {
				free(st.reason);
				free(it.name);
				wfm_repo_free(it.repo);
				return rc;
			}
		}
		/* gone, broken, locked by the user or held by someone else now */
		free(st.reason);
		free(it.name);
		wfm_repo_free(it.repo);
	}
	return 1;
}

/*
 * Picks and claims a slot for base under the pool mutex: a slot this
 * process released (pick_idle), else the free slot on disk nearest to
 * base, else a newly registered one (*fresh = 1). With want_new (and in
 * cold mode), always a new one.
 */
static int pick(struct wfm_slot **out, int *fresh, struct wfm_pool *pool, const git_oid *base,
		const char *base_hex, int want_new)
{
	struct wfm_pool_scan s;
	struct wfm_slot *slot = NULL;
	char reason[96];
	size_t best = SIZE_MAX, best_i = 0;
	int rc = 0;

	*out = NULL;
	*fresh = 0;
	lock_reason(reason, sizeof(reason));
	want_new |= pool->cold;
	if (!want_new && (rc = pick_idle(out, pool, base, reason)) <= 0)
		return rc;
	rc = 0;
	wfm_pool_scan_read(&s, pool->commondir, pool->pooldir);
	sweep_broken(pool, &s);
	for (size_t i = 0; i < s.nr && !want_new && best; i++) {
		struct wfm_slot_state *st = &s.v[i];
		git_oid head;
		size_t dist;

		if (st->entry != WFM_ENTRY_OK || st->lock == WFM_LOCK_LIVE ||
		    wfm_pool_user_locked(st))
			continue;
		dist = slot_head(&head, pool, st->name) < 0 ? SIZE_MAX - 1
							    : distance(pool, &head, base);
		if (dist < best) {
			best = dist;
			best_i = i;
		}
	}
	if (best != SIZE_MAX) {
		struct wfm_slot_state *st = &s.v[best_i];

		if ((rc = wfm_pool_claim(pool->pooldir, st)) < 0)
			goto done;
		if (st->lock == WFM_LOCK_STALE)
			clear_git_locks(pool, st->name);
		slot = slot_new(pool, st->name);
		if ((rc = wfm_worktree_lock(pool->repo, st->name, reason)) < 0) {
			unlink(slot->lock_path);
			goto done;
		}
	} else {
		char *name = new_name(pool, &s);
		struct wfm_slot_state st = { .name = name, .lock = WFM_LOCK_NONE };

		if ((rc = wfm_fs_mkdir_p(pool->pooldir)) < 0 ||
		    (rc = wfm_pool_claim(pool->pooldir, &st)) < 0) {
			free(name);
			goto done;
		}
		slot = slot_new(pool, name);
		free(name);
		rc = wfm_worktree_add_detached(pool->commondir, slot->name, slot->path, base_hex,
					       reason);
		if (rc < 0) {
			unlink(slot->lock_path);
			goto done;
		}
		*fresh = 1;
	}
done:
	wfm_pool_scan_release(&s);
	if (rc < 0) {
		slot_free(slot);
		return rc;
	}
	*out = slot;
	return 0;
}

/* Gives up a claimed slot that is to be removed: the worktree, then the claim. */
static int slot_remove(struct wfm_pool *pool, struct wfm_slot *slot)
{
	int rc;

	wfm_repo_free(slot->repo);
	slot->repo = NULL;
	rc = wfm_worktree_remove(pool->commondir, slot->name, slot->path);
	if (rc == 0)
		rc = wfm_pidlock_remove_own(slot->lock_path);
	return rc;
}

/*
 * A new slot's checkout writes every file, and that is CPU work: started
 * all at once (the first round of a run starts as many as its
 * concurrency), they share the CPUs and every one of them finishes as late
 * as the last. Let through one per CPU at a time, so the first slots are
 * ready early and their agents start while the others are written.
 */
static void gate_enter(struct wfm_pool *pool)
{
	pthread_mutex_lock(&pool->gate_mu);
	while (pool->gate_free <= 0)
		pthread_cond_wait(&pool->gate_cv, &pool->gate_mu);
	pool->gate_free--;
	pthread_mutex_unlock(&pool->gate_mu);
}

static void gate_leave(struct wfm_pool *pool)
{
	pthread_mutex_lock(&pool->gate_mu);
	pool->gate_free++;
	pthread_cond_signal(&pool->gate_cv);
	pthread_mutex_unlock(&pool->gate_mu);
}

/* ---- the public functions ---- */

int wfm_pool_open(struct wfm_pool **out, const char *repo_path, const struct wfm_pool_opts *opts)
{
	struct wfm_pool *pool;
	struct wfm_repo *repo = NULL;
	int rc;

	*out = NULL;
	if (opts && opts->run && (!*opts->run || strchr(opts->run, '/')))
		return wfm_error_setc(WFM_EINVALID, "invalid run id '%s'", opts->run);
	if ((rc = wfm_repo_open(&repo, repo_path)) < 0)
		return rc;
	pool = wfm_calloc(1, sizeof(*pool));
	pthread_mutex_init(&pool->mu, NULL);
	pthread_mutex_init(&pool->gate_mu, NULL);
	pthread_cond_init(&pool->gate_cv, NULL);
	pool->gate_free = sysconf(_SC_NPROCESSORS_ONLN);
	if (pool->gate_free < 1)
		pool->gate_free = 1;
	pool->repo = repo;
	if (opts) {
		pool->cold = opts->cold;
		pool->run = opts->run ? wfm_strdup(opts->run) : NULL;
	}
	if ((rc = wfm_pool_paths(&pool->commondir, &pool->pooldir, &pool->mutex_path,
				 wfm_repo_commondir(repo))) < 0)
		goto fail;
	/* <commondir>/worktrees too: concurrent adds race to create it (pitfall 2) */
	if ((rc = wfm_fs_mkdir_p(pool->pooldir)) < 0)
		goto fail;
	{
		char *wt = wfm_fs_join(pool->commondir, "worktrees");

		rc = wfm_fs_mkdir_p(wt);
		free(wt);
		if (rc < 0)
			goto fail;
	}
	*out = pool;
	return 0;
fail:
	wfm_pool_free(pool);
	return rc;
}

void wfm_pool_free(struct wfm_pool *pool)
{
	if (!pool)
		return;
	while (pool->idle_nr)
		idle_drop(pool, pool->idle_nr - 1);
	free(pool->idle);
	pthread_cond_destroy(&pool->gate_cv);
	pthread_mutex_destroy(&pool->gate_mu);
	pthread_mutex_destroy(&pool->mu);
	wfm_repo_free(pool->repo);
	free(pool->commondir);
	free(pool->pooldir);
	free(pool->mutex_path);
	free(pool->run);
	free(pool);
}

/* Resolves base and decides about filters, under pool->mu. */
static int resolve_base(git_oid *out, char hex[WFM_OID_HEXSZ + 1], int *filters,
			struct wfm_pool *pool, const char *base)
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	int rc;

	if ((rc = wfm_repo_resolve_commit(hex, pool->repo, base)) < 0)
		return rc;
	git_oid_fromstr(out, hex);
	*filters = 1;
	if (git_commit_lookup(&c, pool->repo->git, out) == 0 && git_commit_tree(&t, c) == 0) {
		size_t i, n = WFM_ARRAY_SIZE(pool->filters);

		for (i = 0; i < pool->filters_nr; i++)
			if (git_oid_equal(&pool->filters[i].tree, git_tree_id(t)))
				break;
		if (i == pool->filters_nr) {
			i = pool->filters_next;
			pool->filters_next = (i + 1) % n;
			if (pool->filters_nr < n)
				pool->filters_nr++;
			git_oid_cpy(&pool->filters[i].tree, git_tree_id(t));
			pool->filters[i].needs = needs_filters(pool->repo->git, t);
		}
		*filters = pool->filters[i].needs;
	}
	git_tree_free(t);
	git_commit_free(c);
	return 0;
}

int wfm_pool_acquire(struct wfm_slot **out, struct wfm_pool *pool, const char *base)
{
	char hex[WFM_OID_HEXSZ + 1];
	struct wfm_slot *slot = NULL;
	struct wfm_pool_error err;
	git_oid oid;
	int fd = -1, fresh = 0, filters = 1, rc;

	*out = NULL;
	for (int retry = 0;; retry++) {
		if ((rc = pool_lock(&fd, pool)) < 0)
			return rc;
		rc = resolve_base(&oid, hex, &filters, pool, base);
		if (rc == 0)
			rc = pick(&slot, &fresh, pool, &oid, hex, retry);
		pool_unlock(fd, pool);
		if (rc < 0)
			return rc;

		memcpy(slot->base, hex, sizeof(hex));
		if (fresh)
			gate_enter(pool);
		if (slot->repo || (rc = slot_open(slot)) == 0)
			rc = slot_checkout(slot, &oid, filters);
		if (fresh)
			gate_leave(pool);
		if (rc == 0 && !fresh)
			rc = slot_verify(slot);
		if (rc == 0) {
			*out = slot;
			return 0;
		}
		if (fresh) {
			/* a new slot that never got its files goes */
			wfm_pool_error_save(&err, rc);
			slot_remove(pool, slot);
			slot_free(slot);
			return wfm_pool_error_restore(&err);
		}
		/*
		 * A reused slot that could not be made exactly the base: nobody
		 * inherits it. Removed (best effort: what cannot be is reclaimed
		 * later, once this process is gone), and a new slot is made.
		 */
		slot_remove(pool, slot);
		slot_free(slot);
		slot = NULL;
	}
}

int wfm_pool_release(struct wfm_pool *pool, struct wfm_slot *slot)
{
	int rc = 0;

	if (!slot)
		return 0;
	if (pool->cold)
		return wfm_pool_discard(pool, slot);
	/*
	 * Whoever used the slot may have checked a branch out: slots hold
	 * none. Best effort: an unborn branch cannot be detached from, and the
	 * next acquire detaches HEAD anyway.
	 */
	if (slot->repo && git_repository_head_detached(slot->repo->git) == 0)
		git_repository_detach_head(slot->repo->git);
	if (slot->repo) {
		rc = wfm_worktree_unlock(slot->repo, slot->name);
	} else {
		pthread_mutex_lock(&pool->mu);
		rc = wfm_worktree_unlock(pool->repo, slot->name);
		pthread_mutex_unlock(&pool->mu);
	}
	if (rc == 0)
		rc = wfm_pidlock_remove_own(slot->lock_path);
	if (rc == 0 && slot->repo) {
		/* the next acquire of this process tries it first, handle and all */
		pthread_mutex_lock(&pool->mu);
		WFM_ALLOC_GROW(pool->idle, pool->idle_nr + 1, pool->idle_alloc);
		pool->idle[pool->idle_nr].name = slot->name;
		pool->idle[pool->idle_nr++].repo = slot->repo;
		pthread_mutex_unlock(&pool->mu);
		slot->name = NULL;
		slot->repo = NULL;
	}
	slot_free(slot);
	return rc;
}

int wfm_pool_discard(struct wfm_pool *pool, struct wfm_slot *slot)
{
	int rc;

	if (!slot)
		return 0;
	rc = slot_remove(pool, slot);
	slot_free(slot);
	return rc;
}

const char *wfm_slot_path(const struct wfm_slot *slot)
{
	return slot->path;
}

const char *wfm_slot_name(const struct wfm_slot *slot)
{
	return slot->name;
}

const char *wfm_slot_base(const struct wfm_slot *slot)
{
	return slot->base;
}

struct wfm_repo *wfm_slot_repo(struct wfm_slot *slot)
{
	return slot->repo;
}
