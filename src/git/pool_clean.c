/*
 * git wfmigrate clean: removes what no live process holds, under the
 * pool's lock protocol (pool.c), and the wfmigrate branches no run needs.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/strvec.h"
#include "git/pool_priv.h"
#include "git/repo_priv.h"
#include "git/worktree.h"

__attribute__((format(printf, 5, 6))) static void report_add(struct wfm_clean_report *r,
							     const char *what, const char *name,
							     enum wfm_clean_kept kept,
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
	it->removed = kept == WFM_CLEAN_REMOVED;
	it->kept = kept;
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

static const char branch_prefix[] = "refs/heads/wfmigrate/";

/* Every branch under refs/heads/wfmigrate/, sorted. */
static int list_branches(struct wfm_strvec *out, struct wfm_repo *repo)
{
	git_reference_iterator *it = NULL;
	const char *refname;
	int rc;

	rc = git_reference_iterator_glob_new(&it, repo->git, "refs/heads/wfmigrate/*");
	if (rc < 0)
		return wfm_git_error(rc, "cannot list branches");
	while ((rc = git_reference_next_name(&refname, it)) == 0)
		if (!strncmp(refname, branch_prefix, strlen(branch_prefix)))
			wfm_strvec_push(out, refname);
	git_reference_iterator_free(it);
	if (rc != GIT_ITEROVER)
		return wfm_git_error(rc, "cannot list branches");
	if (out->nr)
		qsort(out->v, out->nr, sizeof(*out->v), str_cmp);
	return 0;
}

/* The run id of a wfmigrate branch (a new string), and its label in *label. */
static char *branch_run(const char *refname, const char **label)
{
	const char *run = refname + strlen(branch_prefix), *slash = strchr(run, '/');

	*label = slash ? slash + 1 : "";
	return slash ? wfm_strndup(run, (size_t)(slash - run)) : wfm_strdup(run);
}

static int is_result(const char *label)
{
	static const char *const labels[] = WFM_RESULT_LABELS;

	for (size_t i = 0; i < WFM_ARRAY_SIZE(labels); i++)
		if (!strcmp(label, labels[i]))
			return 1;
	return 0;
}

/*
 * The runs names (ids or unique prefixes) ask for, among those that have
 * branches: their ids in *out.
 */
static int resolve_results(struct wfm_strvec *out, struct wfm_repo *repo, const char *const *names)
{
	struct wfm_strvec refs = WFM_STRVEC_INIT, ids = WFM_STRVEC_INIT;
	int rc;

	if (!names || !*names)
		return 0;
	if ((rc = list_branches(&refs, repo)) < 0)
		goto done;
	for (size_t i = 0; i < refs.nr; i++) {
		const char *label;
		char *id = branch_run(refs.v[i], &label);

		if (!ids.nr || strcmp(ids.v[ids.nr - 1], id))
			wfm_strvec_push(&ids, id);
		free(id);
	}
	for (; *names; names++) {
		const char *hit = NULL;
		size_t hits = 0, len = strlen(*names);

		for (size_t i = 0; i < ids.nr; i++) {
			if (!strcmp(ids.v[i], *names)) {
				hit = ids.v[i];
				hits = 1;
				break;
			}
			if (len && !strncmp(ids.v[i], *names, len)) {
				hit = ids.v[i];
				hits++;
			}
		}
		if (!hits) {
			rc = wfm_error_setc(WFM_ENOTFOUND,
					    "--results %s: no run of that name has branches",
					    *names);
			goto done;
		}
		if (hits > 1) {
			rc = wfm_error_setc(
				WFM_EAMBIGUOUS,
				"--results %s: %zu runs have branches and an id that starts "
				"so: name one",
				*names, hits);
			goto done;
		}
		wfm_strvec_push(out, hit);
	}
done:
	wfm_strvec_clear(&refs);
	wfm_strvec_clear(&ids);
	return rc;
}

static int asked_for(const struct wfm_strvec *asked, const char *runid)
{
	for (size_t i = 0; i < asked->nr; i++)
		if (!strcmp(asked->v[i], runid))
			return 1;
	return 0;
}

/* The wfmigrate branches no run needs and no one asked to keep (see pool.h and docs/pool.md). */
static int clean_branches(struct wfm_clean_report *out, struct wfm_repo *repo,
			  const char *commondir, const struct wfm_clean_opts *opts,
			  const struct wfm_strvec *asked)
{
	struct wfm_strvec refs = WFM_STRVEC_INIT;
	struct wfm_pool_error first = { 0 };
	int rc;

	if ((rc = list_branches(&refs, repo)) < 0) {
		wfm_strvec_clear(&refs);
		return rc;
	}
	for (size_t i = 0; i < refs.nr; i++) {
		const char *name = refs.v[i], *shortname = name + strlen("refs/heads/"), *label;
		struct wfm_buf rundir = WFM_BUF_INIT, why = WFM_BUF_INIT;
		char *where = NULL, *runid = branch_run(name, &label);
		enum wfm_clean_kept keep = WFM_CLEAN_REMOVED;
		struct wfm_pidlock_owner owner;
		int exists;

		wfm_buf_addf(&rundir, "%s/wfmigrate/runs/%s", commondir, runid);
		exists = wfm_fs_is_dir(rundir.ptr);
		wfm_buf_adds(&rundir, "/lock");
		if (wfm_worktree_find_checkout(&where, commondir, name)) {
			keep = WFM_CLEAN_KEPT_CHECKED_OUT;
			wfm_buf_addf(&why, "checked out in '%s'", where);
		} else if (exists && wfm_pidlock_read(&owner, rundir.ptr) == 0 &&
			   wfm_pidlock_alive(&owner)) {
			keep = WFM_CLEAN_KEPT_RUNNING;
			wfm_buf_addf(&why, "run '%s' is running (pid %ld)", runid, (long)owner.pid);
		} else if (asked_for(asked, runid)) {
			wfm_buf_addf(&why, "--results %s", runid);
		} else if (is_result(label)) {
			keep = WFM_CLEAN_KEPT_RESULT;
			wfm_buf_addf(&why, "the result of run '%s' (--results %s removes it)",
				     runid, runid);
		} else if (exists && !opts->all) {
			keep = WFM_CLEAN_KEPT_RUN;
			wfm_buf_addf(&why, "run '%s' exists (use --all)", runid);
		} else if (exists) {
			wfm_buf_addf(&why, "run '%s' is not running", runid);
		} else {
			wfm_buf_addf(&why, "no run '%s'", runid);
		}
		if (keep == WFM_CLEAN_REMOVED && !opts->dry_run) {
			git_reference *ref = NULL;

			/* a CAS too: the ref is deleted only if it did not move since the lookup */
			rc = git_reference_lookup(&ref, repo->git, name);
			if (rc == 0)
				rc = git_reference_delete(ref);
			git_reference_free(ref);
			if (rc < 0 && rc != GIT_ENOTFOUND) {
				rc = wfm_git_error(rc, "cannot delete branch '%s'", shortname);
				if (!first.code)
					wfm_pool_error_save(&first, rc);
				keep = WFM_CLEAN_KEPT_ERROR;
				wfm_buf_clear(&why);
				wfm_buf_adds(&why, wfm_error_last());
			} else {
				drop_branch_config(repo->git, shortname);
			}
		}
		report_add(out, "branch", name, keep, "%s", why.ptr);
		free(runid);
		free(where);
		wfm_buf_release(&rundir);
		wfm_buf_release(&why);
	}
	wfm_strvec_clear(&refs);
	return first.code ? wfm_pool_error_restore(&first) : 0;
}

int wfm_pool_clean(struct wfm_clean_report *out, const char *repo_path,
		   const struct wfm_clean_opts *opts)
{
	struct wfm_clean_opts defaults = WFM_CLEAN_OPTS_INIT;
	struct wfm_repo *repo = NULL;
	char *commondir = NULL, *pooldir = NULL, *mutex_path = NULL, *here = NULL, *wfmdir = NULL;
	char *entries = NULL;
	struct wfm_pool_scan s = { 0 };
	unsigned char *claimed = NULL;
	struct wfm_pool_error first = { 0 };
	struct wfm_strvec asked = WFM_STRVEC_INIT;
	int fd = -1, rc;

	memset(out, 0, sizeof(*out));
	if (!opts)
		opts = &defaults;
	if ((rc = wfm_repo_open(&repo, repo_path)) < 0)
		return rc;
	/* a name that means nothing stops clean before it removes anything */
	if ((rc = resolve_results(&asked, repo, opts->results)) < 0)
		goto done;
	if ((rc = wfm_pool_paths(&commondir, &pooldir, &mutex_path, wfm_repo_commondir(repo))) < 0)
		goto done;
	here = realpath(wfm_repo_gitdir(repo), NULL);
	wfmdir = wfm_fs_join(commondir, "wfmigrate");
	entries = wfm_fs_join(commondir, "worktrees");
	if (wfm_fs_is_dir(wfmdir) && (rc = wfm_pool_flock_take(&fd, mutex_path)) < 0)
		goto done;

	wfm_pool_scan_read(&s, commondir, pooldir);
	claimed = wfm_calloc(s.nr ? s.nr : 1, 1);
	for (size_t i = 0; i < s.nr; i++) {
		struct wfm_slot_state *st = &s.v[i];
		char *entry = wfm_fs_join(entries, st->name);
		const char *what = st->entry == WFM_ENTRY_OK || st->entry == WFM_ENTRY_NONE
					   ? "slot"
					   : "worktree";
		struct wfm_buf why = WFM_BUF_INIT;
		enum wfm_clean_kept keep = WFM_CLEAN_REMOVED;

		if (st->lock == WFM_LOCK_LIVE) {
			keep = WFM_CLEAN_KEPT_IN_USE;
			wfm_buf_addf(&why, "in use by pid %ld", (long)st->owner.pid);
		} else if (wfm_pool_user_locked(st)) {
			keep = WFM_CLEAN_KEPT_LOCKED;
			wfm_buf_addf(&why, "locked: %s", st->reason);
		} else if (here && st->entry != WFM_ENTRY_NONE && !strcmp(here, entry)) {
			keep = WFM_CLEAN_KEPT_CURRENT;
			wfm_buf_adds(&why, "it is the current worktree");
		} else if (st->entry == WFM_ENTRY_HALF) {
			wfm_buf_adds(&why, "half-made worktree entry");
		} else if (st->entry == WFM_ENTRY_GONE) {
			wfm_buf_adds(&why, "its directory is gone");
		} else if (st->entry == WFM_ENTRY_NONE && st->has_dir) {
			wfm_buf_adds(&why, "not a registered worktree");
		} else if (st->entry == WFM_ENTRY_OK && st->lock == WFM_LOCK_STALE &&
			   st->owner.pid) {
			wfm_buf_addf(&why, "its holder, pid %ld, is gone", (long)st->owner.pid);
		} else if (st->entry == WFM_ENTRY_OK) {
			wfm_buf_adds(&why, "free");
		}
		free(entry);
		if (!keep && !opts->dry_run) {
			rc = wfm_pool_claim(pooldir, st);
			if (rc < 0) {
				if (!first.code)
					wfm_pool_error_save(&first, rc);
				keep = WFM_CLEAN_KEPT_ERROR;
				wfm_buf_clear(&why);
				wfm_buf_adds(&why, wfm_error_last());
			} else {
				claimed[i] = 1;
			}
		}
		/* a lone stale lock file is removed without a word */
		if (why.len)
			report_add(out, what, st->name, keep, "%s", why.ptr);
		wfm_buf_release(&why);
	}
	/* the claims keep everyone else off: the removals need no mutex */
	wfm_pool_flock_drop(fd);
	fd = -1;
	for (size_t i = 0; i < s.nr; i++) {
		struct wfm_slot_state *st = &s.v[i];
		char *lock;

		if (!claimed[i])
			continue;
		lock = wfm_pool_lock_path(pooldir, st->name);
		rc = wfm_pool_remove_state(commondir, pooldir, st);
		if (rc == 0)
			rc = wfm_pidlock_remove_own(lock);
		if (rc < 0) {
			if (!first.code)
				wfm_pool_error_save(&first, rc);
			for (size_t j = 0; j < out->nr; j++)
				if (!strcmp(out->items[j].name, st->name)) {
					out->items[j].removed = 0;
					out->items[j].kept = WFM_CLEAN_KEPT_ERROR;
				}
		}
		free(lock);
	}

	rc = clean_branches(out, repo, commondir, opts, &asked);
	if (first.code)
		rc = wfm_pool_error_restore(&first);
done:
	wfm_pool_flock_drop(fd);
	wfm_pool_scan_release(&s);
	free(claimed);
	free(commondir);
	free(pooldir);
	free(mutex_path);
	free(here);
	free(wfmdir);
	free(entries);
	wfm_strvec_clear(&asked);
	wfm_repo_free(repo);
	return rc;
}
