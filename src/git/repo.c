#include "base/common.h"
#include "base/buf.h"
#include "base/strvec.h"
#include "git/repo_priv.h"

#include <dirent.h>
#include <sys/stat.h>

int wfm_git_init(void)
{
	if (git_libgit2_init() < 0)
		return wfm_error_set("cannot initialise libgit2");
	return 0;
}

void wfm_git_shutdown(void)
{
	git_libgit2_shutdown();
}

int wfm_git_error(int git_rc, const char *fmt, ...)
{
	const git_error *e = git_error_last();
	struct wfm_buf msg = WFM_BUF_INIT;
	va_list ap;
	int code;

	va_start(ap, fmt);
	wfm_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	if (e && e->message && *e->message)
		wfm_buf_addf(&msg, ": %s", e->message);
	switch (git_rc) {
	case GIT_ENOTFOUND:
		code = WFM_ENOTFOUND;
		break;
	case GIT_EEXISTS:
		code = WFM_EEXISTS;
		break;
	case GIT_ELOCKED:
	case GIT_EMODIFIED:
		code = WFM_ELOCKED;
		break;
	case GIT_ECONFLICT:
	case GIT_EMERGECONFLICT:
	case GIT_EUNMERGED:
		code = WFM_ECONFLICT;
		break;
	default:
		code = WFM_ERROR;
	}
	wfm_error_setc(code, "%s", msg.ptr);
	wfm_buf_release(&msg);
	return code;
}

char *wfm_git_path_dup(const char *path)
{
	size_t len = strlen(path);

	while (len > 1 && path[len - 1] == '/')
		len--;
	return wfm_strndup(path, len);
}

/*
 * Whether the directories a and b are the same. libgit2 1.5.1's
 * git_repository_set_workdir() leaks when given the current one.
 */
static int same_dir(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];

	return a && b && realpath(a, ra) && realpath(b, rb) && !strcmp(ra, rb);
}

/*
 * What git does for GIT_DIR and GIT_WORK_TREE, which libgit2 1.5's
 * GIT_REPOSITORY_OPEN_FROM_ENV gets wrong: it searches upwards when
 * GIT_DIR names no repository, and refuses GIT_WORK_TREE outright.
 */
static int open_from_env(git_repository **git)
{
	const char *gitdir = getenv("GIT_DIR");
	const char *worktree = getenv("GIT_WORK_TREE");
	const char *ceiling = getenv("GIT_CEILING_DIRECTORIES");
	int rc;

	if (gitdir && *gitdir) {
		rc = git_repository_open_ext(git, gitdir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
		if (rc == GIT_ENOTFOUND)
			return wfm_error_setc(WFM_ENOTFOUND, "not a git repository: '%s'", gitdir);
	} else {
		rc = git_repository_open_ext(git, ".", 0, ceiling);
		if (rc == GIT_ENOTFOUND)
			return wfm_error_setc(
				WFM_ENOTFOUND,
				"not a git repository (or any of the parent directories)");
	}
	if (rc < 0)
		return wfm_git_error(rc, "cannot open repository");
	if (worktree && *worktree && !same_dir(git_repository_workdir(*git), worktree)) {
		rc = git_repository_set_workdir(*git, worktree, 0);
		if (rc < 0) {
			git_repository_free(*git);
			*git = NULL;
			return wfm_git_error(rc, "cannot use GIT_WORK_TREE '%s'", worktree);
		}
	}
	return 0;
}

int wfm_repo_open(struct wfm_repo **out, const char *path)
{
	git_repository *git = NULL;
	int rc;

	*out = NULL;
	if (!path) {
		rc = open_from_env(&git);
		if (rc < 0)
			return rc;
	} else {
		rc = git_repository_open_ext(&git, path, 0, NULL);
		if (rc == GIT_ENOTFOUND)
			return wfm_error_setc(
				WFM_ENOTFOUND,
				"not a git repository (or any of the parent directories): '%s'",
				path);
		if (rc < 0)
			return wfm_git_error(rc, "cannot open repository at '%s'", path);
	}
	*out = wfm_repo_wrap(git);
	return 0;
}

struct wfm_repo *wfm_repo_wrap(git_repository *git)
{
	struct wfm_repo *repo = wfm_calloc(1, sizeof(*repo));

	repo->git = git;
	repo->commondir = wfm_git_path_dup(git_repository_commondir(git));
	repo->gitdir = wfm_git_path_dup(git_repository_path(git));
	if (git_repository_workdir(git))
		repo->workdir = wfm_git_path_dup(git_repository_workdir(git));
	return repo;
}

void wfm_repo_free(struct wfm_repo *repo)
{
	if (!repo)
		return;
	git_repository_free(repo->git);
	free(repo->commondir);
	free(repo->gitdir);
	free(repo->workdir);
	free(repo);
}

const char *wfm_repo_commondir(const struct wfm_repo *repo)
{
	return repo->commondir;
}

const char *wfm_repo_gitdir(const struct wfm_repo *repo)
{
	return repo->gitdir;
}

const char *wfm_repo_workdir(const struct wfm_repo *repo)
{
	return repo->workdir;
}

const char *wfm_repo_path(const struct wfm_repo *repo)
{
	return repo->workdir ? repo->workdir : repo->gitdir;
}

int wfm_repo_resolve_commit(char out[WFM_OID_HEXSZ + 1], struct wfm_repo *repo, const char *rev)
{
	git_object *obj = NULL;
	git_object *commit = NULL;
	int rc;

	out[0] = '\0';
	rc = git_revparse_single(&obj, repo->git, rev);
	if (rc < 0) {
		if (git_repository_head_unborn(repo->git) == 1 && !strcmp(rev, "HEAD"))
			return wfm_error_setc(WFM_ENOTFOUND, "'HEAD' has no commits yet");
		if (rc == GIT_ENOTFOUND || rc == GIT_EAMBIGUOUS || rc == GIT_EINVALIDSPEC)
			return wfm_error_setc(WFM_ENOTFOUND, "unknown revision '%s'", rev);
		return wfm_git_error(rc, "cannot resolve '%s'", rev);
	}
	rc = git_object_peel(&commit, obj, GIT_OBJECT_COMMIT);
	if (rc < 0) {
		git_object_free(obj);
		return wfm_error_setc(WFM_ENOTFOUND, "'%s' does not name a commit", rev);
	}
	git_oid_tostr(out, WFM_OID_HEXSZ + 1, git_object_id(commit));
	git_object_free(commit);
	git_object_free(obj);
	return 0;
}

int wfm_repo_config_get(char **out, struct wfm_repo *repo, const char *key)
{
	git_config *cfg = NULL;
	git_buf val = GIT_BUF_INIT;
	int rc;

	*out = NULL;
	rc = git_repository_config_snapshot(&cfg, repo->git);
	if (rc < 0)
		return wfm_git_error(rc, "cannot read git config");
	rc = git_config_get_string_buf(&val, cfg, key);
	git_config_free(cfg);
	if (rc == GIT_ENOTFOUND)
		return wfm_error_setc(WFM_ENOTFOUND, "config '%s' is not set", key);
	if (rc < 0)
		return wfm_git_error(rc, "cannot read config '%s'", key);
	*out = wfm_strdup(val.ptr);
	git_buf_dispose(&val);
	return 0;
}

/*
 * Not git_config_iterator_glob_new(): libgit2 1.5.1's regexec (PCRE2
 * backend) leaks its match data for every entry that does not match.
 */
int wfm_repo_upstream(char **out, struct wfm_repo *repo)
{
	git_reference *head = NULL;
	struct wfm_strvec fetch = WFM_STRVEC_INIT;
	struct wfm_buf key = WFM_BUF_INIT;
	char *remote = NULL, *merge = NULL;
	const char *branch;
	int rc;

	*out = NULL;
	rc = git_repository_head(&head, repo->git);
	if (rc < 0 && rc != GIT_EUNBORNBRANCH && rc != GIT_ENOTFOUND)
		return wfm_git_error(rc, "cannot read HEAD");
	if (rc < 0 || !git_reference_is_branch(head))
		goto done;
	branch = git_reference_shorthand(head);
	wfm_buf_addf(&key, "branch.%s.remote", branch);
	if ((rc = wfm_repo_config_get(&remote, repo, key.ptr)) < 0)
		goto done;
	wfm_buf_clear(&key);
	wfm_buf_addf(&key, "branch.%s.merge", branch);
	if ((rc = wfm_repo_config_get(&merge, repo, key.ptr)) < 0)
		goto done;
	if (!strcmp(remote, ".")) {
		*out = wfm_strdup(merge);
		goto done;
	}
	wfm_buf_clear(&key);
	wfm_buf_addf(&key, "remote.%s.fetch", remote);
	if ((rc = wfm_repo_config_list(&fetch, repo, key.ptr)) < 0)
		goto done;
	for (size_t i = 0; i < fetch.nr && !*out; i++) {
		git_refspec *spec = NULL;
		git_buf dst = { 0 };

		if (git_refspec_parse(&spec, strchr(fetch.v[i], '=') + 1, 1) < 0) {
			git_error_clear();
			continue;
		}
		if (git_refspec_src_matches(spec, merge) &&
		    git_refspec_transform(&dst, spec, merge) == 0)
			*out = wfm_strdup(dst.ptr);
		git_buf_dispose(&dst);
		git_refspec_free(spec);
	}
done:
	git_reference_free(head);
	wfm_strvec_clear(&fetch);
	wfm_buf_release(&key);
	free(remote);
	free(merge);
	if (*out)
		return 0;
	if (rc < 0 && rc != WFM_ENOTFOUND && rc != GIT_EUNBORNBRANCH && rc != GIT_ENOTFOUND)
		return rc; /* config could not be read: its message is set */
	return wfm_error_setc(WFM_ENOTFOUND, "the current branch has no upstream");
}

int wfm_repo_config_list(struct wfm_strvec *out, struct wfm_repo *repo, const char *name)
{
	git_config *cfg = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *entry;
	struct wfm_buf line = WFM_BUF_INIT;
	size_t len = strlen(name);
	int rc;

	rc = git_repository_config_snapshot(&cfg, repo->git);
	if (rc < 0)
		return wfm_git_error(rc, "cannot read git config");
	rc = git_config_iterator_new(&it, cfg);
	if (rc < 0) {
		git_config_free(cfg);
		return wfm_git_error(rc, "cannot read git config");
	}
	while ((rc = git_config_next(&entry, it)) == 0) {
		if (strncmp(entry->name, name, len) ||
		    (entry->name[len] && entry->name[len] != '.'))
			continue;
		wfm_buf_clear(&line);
		wfm_buf_addf(&line, "%s=%s", entry->name, entry->value ? entry->value : "");
		wfm_strvec_push(out, line.ptr);
	}
	git_config_iterator_free(it);
	git_config_free(cfg);
	wfm_buf_release(&line);
	if (rc != GIT_ITEROVER)
		return wfm_git_error(rc, "cannot read git config");
	return 0;
}

/* Unlinks the *.lock files under path, recursively; a missing path is fine. */
static int clear_locks(unsigned *removed, struct wfm_buf *path, int depth)
{
	size_t len = path->len;
	struct dirent *d;
	DIR *dir = opendir(path->ptr);
	int rc = 0;

	if (!dir)
		return errno == ENOENT || errno == ENOTDIR
			       ? 0
			       : wfm_error_set("cannot read '%s': %s", path->ptr, strerror(errno));
	while (rc == 0 && (d = readdir(dir))) {
		size_t n = strlen(d->d_name);
		struct stat st;

		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		wfm_buf_setlen(path, len);
		wfm_buf_addf(path, "/%s", d->d_name);
		if (lstat(path->ptr, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth < 64) {
			rc = clear_locks(removed, path, depth + 1);
		} else if (S_ISREG(st.st_mode) && n > 5 && !strcmp(d->d_name + n - 5, ".lock")) {
			if (unlink(path->ptr) == 0)
				(*removed)++;
			else if (errno != ENOENT)
				rc = wfm_error_set("cannot remove '%s': %s", path->ptr,
						   strerror(errno));
		}
	}
	closedir(dir);
	wfm_buf_setlen(path, len);
	return rc;
}

int wfm_repo_clear_ref_locks(unsigned *removed, struct wfm_repo *repo, const char *dir)
{
	static const char *const roots[] = { "", "logs/" };
	struct wfm_buf path = WFM_BUF_INIT;
	int rc = 0;

	*removed = 0;
	for (size_t i = 0; rc == 0 && i < WFM_ARRAY_SIZE(roots); i++) {
		wfm_buf_clear(&path);
		wfm_buf_addf(&path, "%s/%s%s", repo->commondir, roots[i], dir);
		rc = clear_locks(removed, &path, 0);
	}
	wfm_buf_release(&path);
	return rc;
}

int wfm_repo_merge_base(char out[WFM_OID_HEXSZ + 1], struct wfm_repo *repo, const char *a,
			const char *b)
{
	char ha[WFM_OID_HEXSZ + 1], hb[WFM_OID_HEXSZ + 1];
	git_oid oa, ob, base;
	int rc;

	out[0] = '\0';
	if ((rc = wfm_repo_resolve_commit(ha, repo, a)) < 0 ||
	    (rc = wfm_repo_resolve_commit(hb, repo, b)) < 0)
		return rc;
	git_oid_fromstr(&oa, ha);
	git_oid_fromstr(&ob, hb);
	rc = git_merge_base(&base, repo->git, &oa, &ob);
	if (rc == GIT_ENOTFOUND)
		return wfm_error_setc(WFM_ENOTFOUND, "'%s' and '%s' have no common history", a, b);
	if (rc < 0)
		return wfm_git_error(rc, "cannot find the merge base of '%s' and '%s'", a, b);
	git_oid_tostr(out, WFM_OID_HEXSZ + 1, &base);
	return 0;
}
