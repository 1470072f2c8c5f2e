#define _GNU_SOURCE /* strchrnul, memmem */
#include "base/common.h"
#include "agent/tools_priv.h"
#include "base/strvec.h"

#include <sys/stat.h>

/*
 * Confinement of the paths a model names. Three steps, each on its own
 * sufficient to refuse:
 *   1. lexical: the path, taken relative to the worktree (or absolute
 *      under it), is split into components and "." and ".." folded; a
 *      ".." above the worktree is refused. From here on only the folded
 *      components are used, never the model's string, so what the kernel
 *      would make of "link/.." does not matter.
 *   2. ".git": no component may be named .git, before and after links
 *      are resolved.
 *   3. links: the longest prefix that exists is resolved with realpath()
 *      and must be the worktree's own realpath or under it; what follows
 *      it must not exist at all (a dangling link there is refused, since
 *      where it would lead cannot be checked).
 * The answer is an absolute path under realpath(root) with no link in
 * it, which the tools open with O_NOFOLLOW on the last component.
 */

int wfm_tool_is_git_name(const char *name, size_t len)
{
	return len == 4 && !strncasecmp(name, ".git", 4);
}

int wfm_tool_root_real(char **out, const char *root)
{
	char *r = realpath(root, NULL);

	*out = NULL;
	if (!r)
		return wfm_error_set("cannot resolve the worktree '%s': %s", root, strerror(errno));
	*out = wfm_strdup(r); /* from wfm_malloc's world, like every other string */
	free(r);
	return 0;
}

const char *wfm_tool_rel(const char *root_real, const char *path)
{
	size_t n = strlen(root_real);

	if (n == 1 && root_real[0] == '/')
		return path[0] == '/' ? path + 1 : path;
	if (!strncmp(path, root_real, n)) {
		if (path[n] == '/')
			return path + n + 1;
		if (!path[n])
			return path + n;
	}
	return path;
}

/* Whether p (absolute, no links) is dir or under it. */
static int under(const char *p, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return p[0] == '/';
	return !strncmp(p, dir, n) && (p[n] == '/' || !p[n]);
}

/*
 * Splits s on '/' into comps, folding "." and "..". Returns -1 when a
 * ".." would go above the start, when clamp is 0; with clamp (an
 * absolute path) ".." at "/" stays at "/".
 */
static int fold(struct wfm_strvec *comps, const char *s, int clamp)
{
	while (*s) {
		const char *e = strchrnul(s, '/');
		size_t len = (size_t)(e - s);

		if (!len || (len == 1 && s[0] == '.')) {
			/* nothing */
		} else if (len == 2 && s[0] == '.' && s[1] == '.') {
			if (comps->nr) {
				free(comps->v[--comps->nr]);
				comps->v[comps->nr] = NULL;
			} else if (!clamp) {
				return -1;
			}
		} else {
			wfm_strvec_push_nodup(comps, wfm_strndup(s, len));
		}
		s = *e ? e + 1 : e;
	}
	return 0;
}

static char *join_comps(const char *base, char *const *v, size_t nr)
{
	struct wfm_buf b = WFM_BUF_INIT;

	wfm_buf_adds(&b, base);
	for (size_t i = 0; i < nr; i++) {
		if (!b.len || b.ptr[b.len - 1] != '/')
			wfm_buf_addch(&b, '/');
		wfm_buf_adds(&b, v[i]);
	}
	return wfm_buf_detach(&b, NULL);
}

static int has_git(char *const *v, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		if (wfm_tool_is_git_name(v[i], strlen(v[i])))
			return 1;
	return 0;
}

static int git_refusal(const char *path, int for_write)
{
	return wfm_error_setc(WFM_EINVALID,
			      "'%s' is in .git: not %s (use git through Bash, if you have it)",
			      path, for_write ? "writable" : "readable");
}

int wfm_tool_path(char **out, const char *root, const char *path, int for_write)
{
	struct wfm_strvec comps = WFM_STRVEC_INIT, rootc = WFM_STRVEC_INIT, rest = WFM_STRVEC_INIT;
	char *root_real = NULL, *root_lex = NULL, *prefix = NULL, *real = NULL, *result = NULL;
	size_t i, skip = 0;
	struct stat st;
	int rc = 0;

	*out = NULL;
	if (!path || !*path)
		return wfm_error_setc(WFM_EINVALID, "the path is empty");
	if (!root || root[0] != '/')
		return wfm_error_set("the worktree '%s' is not an absolute path",
				     root ? root : "(null)");
	if ((rc = wfm_tool_root_real(&root_real, root)) < 0)
		goto done;

	/* 1. lexical */
	if (path[0] == '/') {
		fold(&comps, path, 1);
		fold(&rootc, root, 1);
		root_lex = join_comps("/", rootc.v, rootc.nr);
		result = join_comps("/", comps.v, comps.nr);
		if (under(result, root_lex)) {
			skip = rootc.nr;
		} else if (under(result, root_real)) {
			wfm_strvec_clear(&rootc);
			fold(&rootc, root_real, 1);
			skip = rootc.nr;
		} else {
			rc = wfm_error_setc(WFM_EINVALID, "'%s' is outside the worktree (%s)", path,
					    root);
			goto done;
		}
		free(result);
		result = NULL;
	} else if (fold(&comps, path, 0) < 0) {
		rc = wfm_error_setc(WFM_EINVALID, "'%s' is outside the worktree", path);
		goto done;
	}

	/* 2. .git, as named */
	if (has_git(comps.v + skip, comps.nr - skip)) {
		rc = git_refusal(path, for_write);
		goto done;
	}

	/* 3. links: the longest prefix that resolves */
	for (i = comps.nr; i >= skip; i--) {
		free(prefix);
		prefix = join_comps(root_real, comps.v + skip, i - skip);
		real = realpath(prefix, NULL);
		if (real || i == skip)
			break;
	}
	if (!real) {
		rc = wfm_error_set("cannot resolve the worktree '%s': %s", root, strerror(errno));
		goto done;
	}
	if (!under(real, root_real)) {
		rc = wfm_error_setc(WFM_EINVALID,
				    "'%s' is outside the worktree (a symbolic link leads to '%s')",
				    path, real);
		goto done;
	}
	fold(&rest, wfm_tool_rel(root_real, real), 0);
	if (has_git(rest.v, rest.nr)) {
		rc = git_refusal(path, for_write);
		goto done;
	}

	if (i < comps.nr) {
		/* comps[i] is where resolving stopped: it must simply not exist */
		free(prefix);
		prefix = join_comps(real, comps.v + i, 1);
		if (!lstat(prefix, &st)) {
			if (S_ISLNK(st.st_mode)) {
				char target[PATH_MAX];
				ssize_t n = readlink(prefix, target, sizeof(target) - 1);

				target[n < 0 ? 0 : n] = '\0';
				rc = wfm_error_setc(
					WFM_EINVALID,
					"'%s' goes through '%s', a symbolic link to '%s' "
					"that leads nowhere inside the worktree: not followed",
					path, comps.v[i], target);
			} else if (!S_ISDIR(st.st_mode)) {
				rc = wfm_error_setc(WFM_EINVALID, "'%s': '%s' is not a directory",
						    path, comps.v[i]);
			} else {
				rc = wfm_error_setc(WFM_EINVALID, "cannot resolve '%s': %s", path,
						    strerror(EACCES));
			}
			goto done;
		}
		if (errno == ENOTDIR) {
			rc = wfm_error_setc(WFM_EINVALID, "'%s': '%s' is not a directory", path,
					    i > skip ? comps.v[i - 1] : ".");
			goto done;
		}
		if (errno != ENOENT) {
			rc = wfm_error_setc(WFM_EINVALID, "cannot resolve '%s': %s", path,
					    strerror(errno));
			goto done;
		}
		if (!for_write) {
			rc = wfm_error_setc(WFM_ENOTFOUND, "'%s' does not exist", path);
			goto done;
		}
	}
	result = join_comps(real, comps.v + i, comps.nr - i);
	*out = result;
	result = NULL;
done:
	wfm_strvec_clear(&comps);
	wfm_strvec_clear(&rootc);
	wfm_strvec_clear(&rest);
	free(root_real);
	free(root_lex);
	free(prefix);
	free(real);
	free(result);
	return rc;
}
