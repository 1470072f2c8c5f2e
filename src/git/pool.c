/*
 * The worktree pool (docs/pool.md has the on-disk layout, the lock
 * protocol and the libgit2 pitfalls this file works around).
 *
 * Locking, from the outside in:
 *   pool->mu        threads of this process; guards pool->repo
 *   pool.mutex      flock() on <commondir>/wfmigrate/pool.mutex, between
 *                   processes: held while slots are inspected, claimed,
 *                   registered or reclaimed — never during a checkout or
 *                   a removal, which are done under a claim
 *   <name>.lock     the claim on one slot: O_CREAT|O_EXCL, pid and start
 *                   time; the slot belongs to whoever holds it
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/strvec.h"
#include "git/pidlock.h"
#include "git/pool.h"
#include "git/repo_priv.h"
#include "git/worktree.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#define SLOT_PREFIX "wfm-"
#define REASON_PREFIX "wfmigrate:"
#define LABEL_MAX 100

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
};

struct wfm_slot {
	struct wfm_repo *repo; /* opened on the slot itself */
	char *name;
	char *path;
	char *lock_path;
	char *run; /* the pool's, for branch names; NULL when it has none */
	char base[WFM_OID_HEXSZ + 1];
};

/* Keeps the first error's message across the clean-up that follows it. */
struct saved_error {
	int code;
	char msg[1024];
};

static void error_save(struct saved_error *e, int code)
{
	e->code = code;
	snprintf(e->msg, sizeof(e->msg), "%s", wfm_error_last());
}

static int error_restore(const struct saved_error *e)
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

static char *path_join(const char *a, const char *b, const char *c)
{
	struct wfm_buf p = WFM_BUF_INIT;

	wfm_buf_addf(&p, "%s/%s%s", a, b, c ? c : "");
	return wfm_buf_detach(&p, NULL);
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int mkdir_p(const char *path)
{
	struct wfm_buf p = WFM_BUF_INIT;
	const char *s;
	int rc = 0;

	for (s = path + 1;; s++) {
		if (*s != '/' && *s)
			continue;
		wfm_buf_clear(&p);
		wfm_buf_add(&p, path, (size_t)(s - path));
		if (mkdir(p.ptr, 0777) < 0 && errno != EEXIST) {
			rc = wfm_error_set("cannot create '%s': %s", p.ptr, strerror(errno));
			break;
		}
		if (!*s)
			break;
	}
	wfm_buf_release(&p);
	return rc;
}

/* The pool's paths for the repository whose common directory is commondir. */
static int pool_paths(char **commondir, char **pooldir, char **mutex_path, const char *raw)
{
	char *canon = realpath(raw, NULL);

	if (!canon)
		return wfm_error_set("cannot resolve '%s': %s", raw, strerror(errno));
	*commondir = wfm_strdup(canon);
	free(canon);
	*pooldir = path_join(*commondir, "wfmigrate/pool", NULL);
	*mutex_path = path_join(*commondir, "wfmigrate/pool.mutex", NULL);
	return 0;
}

/* ---- the cross-process mutex ---- */

static int flock_take(int *out, const char *path)
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

static void flock_drop(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

static int pool_lock(int *fd, struct wfm_pool *pool)
{
	int rc;

	pthread_mutex_lock(&pool->mu);
	rc = flock_take(fd, pool->mutex_path);
	if (rc < 0)
		pthread_mutex_unlock(&pool->mu);
	return rc;
}

static void pool_unlock(int fd, struct wfm_pool *pool)
{
	flock_drop(fd);
	pthread_mutex_unlock(&pool->mu);
}

/* ---- what is on disk ---- */

enum entry_state {
	ENTRY_NONE, /* no <commondir>/worktrees/<name> of ours */
	ENTRY_OK,   /* registered, working tree present */
	ENTRY_GONE, /* registered, but the working tree was deleted (prunable) */
	ENTRY_HALF, /* files missing: a failed or interrupted add */
};

enum lock_state {
	LOCK_NONE,
	LOCK_LIVE,
	LOCK_STALE, /* the holder died, or the file holds no pid */
};

struct slot_state {
	char *name;
	enum entry_state entry;
	int has_dir; /* <pooldir>/<name> exists */
	enum lock_state lock;
	struct wfm_pidlock_owner owner;
	char *reason; /* git worktree lock reason; NULL when not locked */
};

struct scan {
	struct slot_state *v;
	size_t nr, alloc;
};

static void scan_release(struct scan *s)
{
	for (size_t i = 0; i < s->nr; i++) {
		free(s->v[i].name);
		free(s->v[i].reason);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static struct slot_state *scan_get(struct scan *s, const char *name, size_t len)
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
	return name_cmp(((const struct slot_state *)a)->name, ((const struct slot_state *)b)->name);
}

/*
 * Whether <commondir>/worktrees/<name> is one of the pool's, and in
 * what state. An entry is the pool's when its gitdir file points into
 * the pool directory, or — having no gitdir file, so made by an add that
 * failed early — when its name is a slot name.
 */
static enum entry_state classify_entry(int *ours, const char *commondir, const char *pooldir,
				       const char *name)
{
	struct wfm_buf p = WFM_BUF_INIT, want = WFM_BUF_INIT;
	char *gitdir = NULL;
	enum entry_state st = ENTRY_HALF;
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
	if (!exists(p.ptr))
		goto done;
	wfm_buf_clear(&p);
	wfm_buf_addf(&p, "%s/worktrees/%s/commondir", commondir, name);
	if (!exists(p.ptr))
		goto done;
	if (!exists(want.ptr)) {
		wfm_buf_setlen(&want, want.len - strlen("/.git"));
		st = is_dir(want.ptr) ? ENTRY_HALF : ENTRY_GONE;
		goto done;
	}
	st = ENTRY_OK;
done:
	free(gitdir);
	wfm_buf_release(&p);
	wfm_buf_release(&want);
	return st;
}

/* Everything of the pool's on disk: worktree entries, slot directories and lock files. */
static int scan_pool(struct scan *out, const char *commondir, const char *pooldir)
{
	struct wfm_buf p = WFM_BUF_INIT;
	struct dirent *de;
	DIR *d;

	memset(out, 0, sizeof(*out));
	wfm_buf_addf(&p, "%s/worktrees", commondir);
	if ((d = opendir(p.ptr))) {
		while ((de = readdir(d))) {
			enum entry_state st;
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
				if (is_dir(p.ptr))
					scan_get(out, de->d_name, len)->has_dir = 1;
			}
		}
		closedir(d);
	}
	for (size_t i = 0; i < out->nr; i++) {
		struct slot_state *s = &out->v[i];
		int rc;

		wfm_buf_clear(&p);
		wfm_buf_addf(&p, "%s/%s.lock", pooldir, s->name);
		rc = wfm_pidlock_read(&s->owner, p.ptr);
		if (rc == WFM_ENOTFOUND)
			s->lock = LOCK_NONE;
		else if (rc == 0 && wfm_pidlock_alive(&s->owner))
			s->lock = LOCK_LIVE;
		else
			s->lock = LOCK_STALE;
		if (s->entry != ENTRY_NONE &&
		    wfm_worktree_lock_reason(&s->reason, commondir, s->name) < 0)
			s->reason = NULL;
	}
	if (out->nr)
		qsort(out->v, out->nr, sizeof(out->v[0]), state_cmp);
	wfm_buf_release(&p);
	return 0;
}

/* Locked with `git worktree lock` by someone other than the pool. */
static int user_locked(const struct slot_state *s)
{
	return s->reason && strncmp(s->reason, REASON_PREFIX, strlen(REASON_PREFIX));
}

/*
 * Removes a slot's directory and, if it is the pool's, its worktree
 * entry (an entry of the same name that is not the pool's is the user's).
 */
static int remove_state(const char *commondir, const char *pooldir, const struct slot_state *st)
{
	char *dir = path_join(pooldir, st->name, NULL);
	int rc;

	if (st->entry != ENTRY_NONE)
		rc = wfm_worktree_remove(commondir, st->name, st->has_dir ? dir : NULL);
	else
		rc = st->has_dir ? wfm_rmtree(dir) : 0;
	free(dir);
	return rc;
}

/*
 * Claims slot name for this process: replaces a stale lock file, then
 * creates ours exclusively. Under the pool mutex.
 */
static int claim(const char *pooldir, const struct slot_state *s)
{
	struct wfm_buf p = WFM_BUF_INIT;
	int rc;

	wfm_buf_addf(&p, "%s/%s.lock", pooldir, s->name);
	if (s->lock == LOCK_STALE && unlink(p.ptr) < 0 && errno != ENOENT) {
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
	slot->path = path_join(pool->pooldir, name, NULL);
	slot->lock_path = path_join(pool->pooldir, name, ".lock");
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
	info = path_join(git_repository_commondir(git), "info/attributes", NULL);
	needs = exists(info);
	free(info);
	if (!needs) {
		const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
		struct wfm_buf p = WFM_BUF_INIT;

		if (xdg && *xdg)
			wfm_buf_addf(&p, "%s/git/attributes", xdg);
		else if (home && *home)
			wfm_buf_addf(&p, "%s/.config/git/attributes", home);
		needs = (p.len && exists(p.ptr)) || exists("/etc/gitattributes");
		wfm_buf_release(&p);
	}
	return needs || tree_has_attributes(git, tree, 0);
}

/*
 * Moves the slot to base: a checkout from the slot's current HEAD tree
 * (the baseline: only files that differ, or that someone changed, are
 * written), forced, removing untracked files but not ignored ones, then
 * a detached HEAD. A fresh slot has no index yet and gets everything.
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
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_REMOVE_UNTRACKED;
	co.baseline = baseline;
	co.disable_filters = !filters;
	if ((rc = git_checkout_tree(git, (git_object *)tree, &co)) < 0) {
		rc = wfm_git_error(rc, "cannot check out %s in '%s'", slot->base, slot->path);
		goto done;
	}
	if ((rc = git_repository_set_head_detached(git, base)) < 0)
		rc = wfm_git_error(rc, "cannot detach HEAD of '%s'", slot->path);
done:
	git_tree_free(baseline);
	git_tree_free(tree);
	git_commit_free(from);
	git_commit_free(commit);
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
static void sweep_broken(struct wfm_pool *pool, struct scan *s)
{
	for (size_t i = 0; i < s->nr; i++) {
		struct slot_state *st = &s->v[i];
		char *lock;

		if (st->lock == LOCK_LIVE || st->entry == ENTRY_OK || user_locked(st))
			continue;
		if (remove_state(pool->commondir, pool->pooldir, st) < 0)
			continue;
		lock = path_join(pool->pooldir, st->name, ".lock");
		if (unlink(lock) == 0 || errno == ENOENT) {
			st->entry = ENTRY_NONE;
			st->has_dir = 0;
			st->lock = LOCK_NONE;
		}
		free(lock);
	}
}

/* The first free slot name: no entry of anyone's, no directory, no lock file. */
static char *new_name(struct wfm_pool *pool, const struct scan *s)
{
	struct wfm_buf name = WFM_BUF_INIT;

	for (unsigned long n = 1;; n++) {
		char *entry, *dir, *lock;
		int taken = 0;

		wfm_buf_clear(&name);
		wfm_buf_addf(&name, SLOT_PREFIX "%lu", n);
		for (size_t i = 0; i < s->nr && !taken; i++)
			taken = !strcmp(s->v[i].name, name.ptr) &&
				(s->v[i].entry != ENTRY_NONE || s->v[i].has_dir ||
				 s->v[i].lock != LOCK_NONE);
		if (taken)
			continue;
		entry = path_join(pool->commondir, "worktrees/", name.ptr);
		dir = path_join(pool->pooldir, name.ptr, NULL);
		lock = path_join(pool->pooldir, name.ptr, ".lock");
		taken = exists(entry) || exists(dir) || exists(lock);
		free(entry);
		free(dir);
		free(lock);
		if (!taken)
			return wfm_buf_detach(&name, NULL);
	}
}

/*
 * Picks and claims a slot for base under the pool mutex: the free slot
 * nearest to base, or a newly registered one (*fresh = 1).
 */
static int pick(struct wfm_slot **out, int *fresh, struct wfm_pool *pool, const git_oid *base,
		const char *base_hex)
{
	struct scan s;
	struct wfm_slot *slot = NULL;
	char reason[96];
	size_t best = SIZE_MAX, best_i = 0;
	int rc = 0;

	*out = NULL;
	*fresh = 0;
	lock_reason(reason, sizeof(reason));
	scan_pool(&s, pool->commondir, pool->pooldir);
	sweep_broken(pool, &s);
	for (size_t i = 0; i < s.nr && !pool->cold && best; i++) {
		struct slot_state *st = &s.v[i];
		git_oid head;
		size_t dist;

		if (st->entry != ENTRY_OK || st->lock == LOCK_LIVE || user_locked(st))
			continue;
		dist = slot_head(&head, pool, st->name) < 0 ? SIZE_MAX - 1
							    : distance(pool, &head, base);
		if (dist < best) {
			best = dist;
			best_i = i;
		}
	}
	if (best != SIZE_MAX) {
		struct slot_state *st = &s.v[best_i];

		if ((rc = claim(pool->pooldir, st)) < 0)
			goto done;
		slot = slot_new(pool, st->name);
		if ((rc = wfm_worktree_lock(pool->repo, st->name, reason)) < 0) {
			unlink(slot->lock_path);
			goto done;
		}
	} else {
		char *name = new_name(pool, &s);
		struct slot_state st = { .name = name, .lock = LOCK_NONE };

		if ((rc = mkdir_p(pool->pooldir)) < 0 || (rc = claim(pool->pooldir, &st)) < 0) {
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
	scan_release(&s);
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
	pool->repo = repo;
	if (opts) {
		pool->cold = opts->cold;
		pool->run = opts->run ? wfm_strdup(opts->run) : NULL;
	}
	if ((rc = pool_paths(&pool->commondir, &pool->pooldir, &pool->mutex_path,
			     wfm_repo_commondir(repo))) < 0)
		goto fail;
	/* <commondir>/worktrees too: concurrent adds race to create it (pitfall 2) */
	if ((rc = mkdir_p(pool->pooldir)) < 0)
		goto fail;
	{
		char *wt = path_join(pool->commondir, "worktrees", NULL);

		rc = mkdir_p(wt);
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
	struct saved_error err;
	git_oid oid;
	int fd = -1, fresh = 0, filters = 1, rc;

	*out = NULL;
	if ((rc = pool_lock(&fd, pool)) < 0)
		return rc;
	rc = resolve_base(&oid, hex, &filters, pool, base);
	if (rc == 0)
		rc = pick(&slot, &fresh, pool, &oid, hex);
	pool_unlock(fd, pool);
	if (rc < 0)
		return rc;

	memcpy(slot->base, hex, sizeof(hex));
	if ((rc = slot_open(slot)) == 0)
		rc = slot_checkout(slot, &oid, filters);
	if (rc < 0) {
		/* a new slot that never got its files goes; an old one goes back */
		error_save(&err, rc);
		if (fresh) {
			slot_remove(pool, slot);
			slot_free(slot);
		} else {
			wfm_pool_release(pool, slot);
		}
		return error_restore(&err);
	}
	*out = slot;
	return 0;
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

/* ---- commits and branches ---- */

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

int wfm_slot_commit_all(char out[WFM_OID_HEXSZ + 1], int *changed, struct wfm_slot *slot,
			const char *message, const char *label)
{
	git_repository *git = slot->repo->git;
	git_index *index = NULL;
	git_commit *parent = NULL;
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	struct wfm_buf msg = WFM_BUF_INIT;
	char *refname = NULL, *where = NULL;
	git_oid head, tree_id, id;
	int rc;

	out[0] = '\0';
	*changed = 0;
	if (!slot->run)
		return wfm_error_setc(WFM_EINVALID, "the pool has no run id to name branches with");
	if ((rc = wfm_pool_branch_name(&refname, slot->run, label)) < 0)
		return rc;
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
	if ((rc = git_repository_index(&index, git)) < 0 ||
	    (rc = git_index_read(index, 0)) < 0 ||
	    (rc = git_index_add_all(index, NULL, GIT_INDEX_ADD_DEFAULT, NULL, NULL)) < 0 ||
	    (rc = git_index_write(index)) < 0 || (rc = git_index_write_tree(&tree_id, index)) < 0) {
		rc = wfm_git_error(rc, "cannot stage the changes in '%s'", slot->path);
		goto done;
	}
	if (git_oid_equal(&tree_id, git_commit_tree_id(parent))) {
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
	git_commit_free(parent);
	git_index_free(index);
	free(refname);
	free(where);
	return rc;
}

/* ---- clean ---- */

__attribute__((format(printf, 5, 6))) static void
report_add(struct wfm_clean_report *r, const char *what, const char *name, int removed,
	   const char *fmt, ...)
{
	struct wfm_clean_item *it;
	struct wfm_buf why = WFM_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	wfm_buf_vaddf(&why, fmt, ap);
	va_end(ap);
	WFM_ALLOC_GROW(r->items, r->nr + 1, r->alloc);
	it = &r->items[r->nr++];
	it->what = wfm_strdup(what);
	it->name = wfm_strdup(name);
	it->why = wfm_buf_detach(&why, NULL);
	it->removed = removed;
}

void wfm_clean_report_release(struct wfm_clean_report *report)
{
	for (size_t i = 0; i < report->nr; i++) {
		free(report->items[i].what);
		free(report->items[i].name);
		free(report->items[i].why);
	}
	free(report->items);
	memset(report, 0, sizeof(*report));
}

/* Deletes what `git branch -D` deletes with a branch: its branch.<name>.* settings. */
static void drop_branch_config(git_repository *git, const char *shortname)
{
	git_config *cfg = NULL, *local = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *e;
	struct wfm_strvec names = WFM_STRVEC_INIT;
	struct wfm_buf prefix = WFM_BUF_INIT;

	if (git_repository_config(&cfg, git) < 0 ||
	    git_config_open_level(&local, cfg, GIT_CONFIG_LEVEL_LOCAL) < 0 ||
	    git_config_iterator_new(&it, local) < 0)
		goto done;
	wfm_buf_addf(&prefix, "branch.%s.", shortname);
	while (git_config_next(&e, it) == 0)
		if (!strncmp(e->name, prefix.ptr, prefix.len))
			wfm_strvec_push(&names, e->name);
	for (size_t i = 0; i < names.nr; i++)
		git_config_delete_multivar(local, names.v[i], ".*");
done:
	git_config_iterator_free(it);
	git_config_free(local);
	git_config_free(cfg);
	wfm_strvec_clear(&names);
	wfm_buf_release(&prefix);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The wfmigrate branches no run needs (see pool.h and docs/pool.md). */
static int clean_branches(struct wfm_clean_report *out, struct wfm_repo *repo,
			  const char *commondir, const struct wfm_clean_opts *opts)
{
	static const char prefix[] = "refs/heads/wfmigrate/";
	git_reference_iterator *it = NULL;
	struct wfm_strvec refs = WFM_STRVEC_INIT;
	const char *refname;
	struct saved_error first = { 0 };
	int rc;

	rc = git_reference_iterator_glob_new(&it, repo->git, "refs/heads/wfmigrate/*");
	if (rc < 0)
		return wfm_git_error(rc, "cannot list branches");
	while ((rc = git_reference_next_name(&refname, it)) == 0)
		if (!strncmp(refname, prefix, strlen(prefix)))
			wfm_strvec_push(&refs, refname);
	git_reference_iterator_free(it);
	if (rc != GIT_ITEROVER) {
		wfm_strvec_clear(&refs);
		return wfm_git_error(rc, "cannot list branches");
	}
	if (refs.nr)
		qsort(refs.v, refs.nr, sizeof(*refs.v), str_cmp);

	for (size_t i = 0; i < refs.nr; i++) {
		const char *name = refs.v[i], *shortname = name + strlen("refs/heads/");
		const char *run = name + strlen(prefix), *slash = strchr(run, '/');
		struct wfm_buf rundir = WFM_BUF_INIT, why = WFM_BUF_INIT;
		char *where = NULL, *runid;
		int remove = 0;

		runid = slash ? wfm_strndup(run, (size_t)(slash - run)) : wfm_strdup(run);
		wfm_buf_addf(&rundir, "%s/wfmigrate/runs/%s", commondir, runid);
		if (wfm_worktree_find_checkout(&where, commondir, name)) {
			wfm_buf_addf(&why, "checked out in '%s'", where);
		} else if (is_dir(rundir.ptr)) {
			struct wfm_pidlock_owner owner;

			wfm_buf_adds(&rundir, "/lock");
			if (wfm_pidlock_read(&owner, rundir.ptr) == 0 &&
			    wfm_pidlock_alive(&owner)) {
				wfm_buf_addf(&why, "run '%s' is running (pid %ld)", runid,
					     (long)owner.pid);
			} else if (!opts->all) {
				wfm_buf_addf(&why, "run '%s' exists (use --all)", runid);
			} else {
				remove = 1;
				wfm_buf_addf(&why, "run '%s' is not running", runid);
			}
		} else {
			remove = 1;
			wfm_buf_addf(&why, "no run '%s'", runid);
		}
		if (remove && !opts->dry_run) {
			git_reference *ref = NULL;

			/* a CAS too: the ref is deleted only if it did not move since the lookup */
			rc = git_reference_lookup(&ref, repo->git, name);
			if (rc == 0)
				rc = git_reference_delete(ref);
			git_reference_free(ref);
			if (rc < 0 && rc != GIT_ENOTFOUND) {
				rc = wfm_git_error(rc, "cannot delete branch '%s'", shortname);
				if (!first.code)
					error_save(&first, rc);
				remove = 0;
				wfm_buf_clear(&why);
				wfm_buf_adds(&why, wfm_error_last());
			} else {
				drop_branch_config(repo->git, shortname);
			}
		}
		report_add(out, "branch", name, remove, "%s", why.ptr);
		free(runid);
		free(where);
		wfm_buf_release(&rundir);
		wfm_buf_release(&why);
	}
	wfm_strvec_clear(&refs);
	return first.code ? error_restore(&first) : 0;
}

int wfm_pool_clean(struct wfm_clean_report *out, const char *repo_path,
		   const struct wfm_clean_opts *opts)
{
	struct wfm_clean_opts defaults = WFM_CLEAN_OPTS_INIT;
	struct wfm_repo *repo = NULL;
	char *commondir = NULL, *pooldir = NULL, *mutex_path = NULL, *here = NULL, *wfmdir = NULL;
	struct scan s = { 0 };
	unsigned char *claimed = NULL;
	struct saved_error first = { 0 };
	int fd = -1, rc;

	memset(out, 0, sizeof(*out));
	if (!opts)
		opts = &defaults;
	if ((rc = wfm_repo_open(&repo, repo_path)) < 0)
		return rc;
	if ((rc = pool_paths(&commondir, &pooldir, &mutex_path, wfm_repo_commondir(repo))) < 0)
		goto done;
	here = realpath(wfm_repo_gitdir(repo), NULL);
	wfmdir = path_join(commondir, "wfmigrate", NULL);
	if (is_dir(wfmdir) && (rc = flock_take(&fd, mutex_path)) < 0)
		goto done;

	scan_pool(&s, commondir, pooldir);
	claimed = wfm_calloc(s.nr ? s.nr : 1, 1);
	for (size_t i = 0; i < s.nr; i++) {
		struct slot_state *st = &s.v[i];
		char *entry = path_join(commondir, "worktrees/", st->name);
		const char *what = st->entry == ENTRY_OK || st->entry == ENTRY_NONE ? "slot"
										     : "worktree";
		struct wfm_buf why = WFM_BUF_INIT;
		int keep = 0;

		if (st->lock == LOCK_LIVE) {
			keep = 1;
			wfm_buf_addf(&why, "in use by pid %ld", (long)st->owner.pid);
		} else if (user_locked(st)) {
			keep = 1;
			wfm_buf_addf(&why, "locked: %s", st->reason);
		} else if (here && st->entry != ENTRY_NONE && !strcmp(here, entry)) {
			keep = 1;
			wfm_buf_adds(&why, "it is the current worktree");
		} else if (st->entry == ENTRY_HALF) {
			wfm_buf_adds(&why, "half-made worktree entry");
		} else if (st->entry == ENTRY_GONE) {
			wfm_buf_adds(&why, "its directory is gone");
		} else if (st->entry == ENTRY_NONE && st->has_dir) {
			wfm_buf_adds(&why, "not a registered worktree");
		} else if (st->entry == ENTRY_OK && st->lock == LOCK_STALE && st->owner.pid) {
			wfm_buf_addf(&why, "its holder, pid %ld, is gone", (long)st->owner.pid);
		} else if (st->entry == ENTRY_OK) {
			wfm_buf_adds(&why, "free");
		}
		free(entry);
		if (!keep && !opts->dry_run) {
			rc = claim(pooldir, st);
			if (rc < 0) {
				if (!first.code)
					error_save(&first, rc);
				keep = 1;
				wfm_buf_clear(&why);
				wfm_buf_adds(&why, wfm_error_last());
			} else {
				claimed[i] = 1;
			}
		}
		/* a lone stale lock file is removed without a word */
		if (why.len)
			report_add(out, what, st->name, !keep, "%s", why.ptr);
		wfm_buf_release(&why);
	}
	/* the claims keep everyone else off: the removals need no mutex */
	flock_drop(fd);
	fd = -1;
	for (size_t i = 0; i < s.nr; i++) {
		struct slot_state *st = &s.v[i];
		char *lock;

		if (!claimed[i])
			continue;
		lock = path_join(pooldir, st->name, ".lock");
		rc = remove_state(commondir, pooldir, st);
		if (rc == 0)
			rc = wfm_pidlock_remove_own(lock);
		if (rc < 0) {
			if (!first.code)
				error_save(&first, rc);
			for (size_t j = 0; j < out->nr; j++)
				if (!strcmp(out->items[j].name, st->name))
					out->items[j].removed = 0;
		}
		free(lock);
	}

	rc = clean_branches(out, repo, commondir, opts);
	if (first.code)
		rc = error_restore(&first);
done:
	flock_drop(fd);
	scan_release(&s);
	free(claimed);
	free(commondir);
	free(pooldir);
	free(mutex_path);
	free(here);
	free(wfmdir);
	wfm_repo_free(repo);
	return rc;
}
