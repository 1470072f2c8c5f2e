/*
 * git's pathspecs (pathspec.h): the magic git reads (pathspec.c of git),
 * the normalisation of prefix_path(), and the matching of dir.c, with a
 * wildmatch of our own that follows git's wildmatch.c.
 */
#include "base/common.h"
#include "base/buf.h"
#include "git/pathspec.h"

#include <ctype.h>

/* ---- wildmatch ------------------------------------------------------------------ */

enum { WM_MATCH = 0, WM_NOMATCH = 1, WM_ABORT_ALL = -1, WM_ABORT_TO_STARSTAR = -2 };

#define WM_PATHNAME 1u /* '*' and '?' stop at '/'; "**" spans directories */
#define WM_CASEFOLD 2u

static int fold(int c, unsigned flags)
{
	return (flags & WM_CASEFOLD) && c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int glob_special(int c)
{
	return c == '*' || c == '?' || c == '[' || c == '\\';
}

/* Whether c is in the POSIX class name[0..n) ("alpha"); -1 for an unknown class. */
static int in_class(const unsigned char *name, size_t n, int c, unsigned flags)
{
	static const struct {
		const char *name;
		int (*fn)(int);
	} classes[] = {
		{ "alnum", isalnum }, { "alpha", isalpha }, { "blank", isblank },
		{ "cntrl", iscntrl }, { "digit", isdigit }, { "graph", isgraph },
		{ "lower", islower }, { "print", isprint }, { "punct", ispunct },
		{ "space", isspace }, { "upper", isupper }, { "xdigit", isxdigit },
	};

	for (size_t i = 0; i < WFM_ARRAY_SIZE(classes); i++) {
		if (strlen(classes[i].name) != n || memcmp(classes[i].name, name, n))
			continue;
		if (c >= 0x80)
			return 0; /* ASCII classes, whatever the locale */
		if ((flags & WM_CASEFOLD) && (classes[i].fn == islower || classes[i].fn == isupper))
			return isalpha(c) != 0;
		return classes[i].fn(c) != 0;
	}
	return -1;
}

/*
 * One bracket expression at p (on the '['); *pp is left on its ']'.
 * Returns whether t matches it, or WM_ABORT_ALL for an unterminated one.
 */
static int bracket(const unsigned char **pp, int t, unsigned flags)
{
	const unsigned char *p = *pp;
	int c = *++p, prev = 0, negated = 0, matched = 0;

	if (c == '!' || c == '^') {
		negated = 1;
		c = *++p;
	}
	do {
		if (!c)
			return WM_ABORT_ALL;
		if (c == '\\') {
			c = *++p;
			if (!c)
				return WM_ABORT_ALL;
			if (fold(c, flags) == t)
				matched = 1;
		} else if (c == '-' && prev && p[1] && p[1] != ']') {
			c = *++p;
			if (c == '\\' && !(c = *++p))
				return WM_ABORT_ALL;
			if ((t >= prev && t <= c) || ((flags & WM_CASEFOLD) && islower(t) &&
						      toupper(t) >= prev && toupper(t) <= c))
				matched = 1;
			c = 0; /* a range is no start of the next one */
		} else if (c == '[' && p[1] == ':') {
			const unsigned char *name = p + 2, *end = name;
			int r;

			while (*end && *end != ']')
				end++;
			if (!*end)
				return WM_ABORT_ALL;
			if (end - name < 1 || end[-1] != ':') {
				/* no ":]": a plain '[' */
				if (t == '[')
					matched = 1;
			} else {
				r = in_class(name, (size_t)(end - name - 1), t, flags);
				if (r < 0)
					return WM_ABORT_ALL;
				if (r)
					matched = 1;
				p = end;
				c = 0;
			}
		} else if (fold(c, flags) == t) {
			matched = 1;
		}
		prev = c;
		c = *++p;
	} while (c != ']');
	*pp = p;
	return matched != negated;
}

/* git's dowild(): start is the whole pattern, for "**" at its beginning */
static int wild(const unsigned char *start, const unsigned char *p, const unsigned char *text,
		unsigned flags)
{
	int pc;

	for (; (pc = *p) != '\0'; text++, p++) {
		int tc = *text, match_slash, r;

		if (tc == '\0' && pc != '*')
			return WM_ABORT_ALL;
		tc = fold(tc, flags);
		switch (pc) {
		case '\\':
			/* the next character as it is (a trailing '\' matches nothing) */
			pc = *++p;
			if (fold(pc, flags) != tc)
				return WM_NOMATCH;
			if (!pc)
				return WM_NOMATCH;
			continue;
		case '?':
			if ((flags & WM_PATHNAME) && tc == '/')
				return WM_NOMATCH;
			continue;
		case '[':
			r = bracket(&p, tc, flags);
			if (r < 0)
				return r;
			if (!r || ((flags & WM_PATHNAME) && tc == '/'))
				return WM_NOMATCH;
			continue;
		case '*':
			if (*++p == '*') {
				const unsigned char *before = p - 2;

				while (*++p == '*')
					;
				if ((flags & WM_PATHNAME) && (before < start || *before == '/') &&
				    (*p == '\0' || *p == '/' || (p[0] == '\\' && p[1] == '/'))) {
					/* "**" as a component: "a/ **" + "/b" matches a/b too */
					if (p[0] == '/' &&
					    wild(start, p + 1, text, flags) == WM_MATCH)
						return WM_MATCH;
					match_slash = 1;
				} else {
					match_slash = !(flags & WM_PATHNAME);
				}
			} else {
				match_slash = !(flags & WM_PATHNAME);
			}
			if (*p == '\0') {
				if (!match_slash && strchr((const char *)text, '/'))
					return WM_NOMATCH;
				return WM_MATCH;
			}
			if (!match_slash && *p == '/') {
				/* one '*' then '/': the rest of this component */
				const char *slash = strchr((const char *)text, '/');

				if (!slash)
					return WM_NOMATCH;
				text = (const unsigned char *)slash;
				break; /* the loop steps over both slashes */
			}
			for (;;) {
				if (tc == '\0')
					break;
				if (!glob_special(*p)) {
					/* skip to where the literal after the '*' can match */
					int want = fold(*p, flags);

					while ((tc = *text) != '\0' && (match_slash || tc != '/')) {
						tc = fold(tc, flags);
						if (tc == want)
							break;
						text++;
					}
					if (tc != want)
						return WM_NOMATCH;
				}
				r = wild(start, p, text, flags);
				if (r != WM_NOMATCH) {
					if (!match_slash || r != WM_ABORT_TO_STARSTAR)
						return r;
				} else if (!match_slash && tc == '/') {
					return WM_ABORT_TO_STARSTAR;
				}
				tc = fold(*++text, flags);
			}
			return WM_ABORT_ALL;
		default:
			if (fold(pc, flags) != tc)
				return WM_NOMATCH;
			continue;
		}
	}
	return *text ? WM_NOMATCH : WM_MATCH;
}

static int wildmatch(const char *pattern, const char *text, unsigned flags)
{
	const unsigned char *p = (const unsigned char *)pattern;

	return wild(p, p, (const unsigned char *)text, flags) == WM_MATCH;
}

/* ---- parsing ------------------------------------------------------------------- */

static const struct {
	const char *name;
	unsigned bit;
} magic_words[] = {
	{ "top", WFM_PATHSPEC_TOP },	     { "literal", WFM_PATHSPEC_LITERAL },
	{ "glob", WFM_PATHSPEC_GLOB },	     { "icase", WFM_PATHSPEC_ICASE },
	{ "exclude", WFM_PATHSPEC_EXCLUDE },
};

/* ":(a,b)rest": the magic words; *rest is set after the ')' */
static int long_magic(unsigned *magic, size_t *prefix, const char **rest, const char *spec)
{
	const char *p = spec + 2, *end = strchr(p, ')');

	if (!end)
		return wfm_error_setc(WFM_EINVALID,
				      "missing ')' at the end of pathspec magic in '%s'", spec);
	while (p < end) {
		size_t n = strcspn(p, ",)");
		size_t i;

		if (n == 0) {
			p++;
			continue;
		}
		for (i = 0; i < WFM_ARRAY_SIZE(magic_words); i++)
			if (strlen(magic_words[i].name) == n && !strncmp(p, magic_words[i].name, n))
				break;
		if (i < WFM_ARRAY_SIZE(magic_words)) {
			*magic |= magic_words[i].bit;
		} else if (n > 7 && !strncmp(p, "prefix:", 7)) {
			char *stop;
			unsigned long v;

			errno = 0;
			v = strtoul(p + 7, &stop, 10);
			if (errno || stop != p + n || !isdigit((unsigned char)p[7]))
				return wfm_error_setc(WFM_EINVALID,
						      "invalid parameter for pathspec "
						      "magic 'prefix' in '%s'",
						      spec);
			*prefix = v;
		} else if (n >= 4 && !strncmp(p, "attr", 4) && (n == 4 || p[4] == ':')) {
			return wfm_error_setc(WFM_EINVALID,
					      "pathspec magic 'attr' is not supported here: '%s'",
					      spec);
		} else {
			return wfm_error_setc(WFM_EINVALID, "invalid pathspec magic '%.*s' in '%s'",
					      (int)n, p, spec);
		}
		p += n;
	}
	*rest = end + 1;
	return 0;
}

/* ":/!rest", ":^rest", ":/:rest": the short form */
static int short_magic(unsigned *magic, const char **rest, const char *spec)
{
	/* the characters git reserves for magic signatures */
	static const char reserved[] = "!\"#%&',-/;<=>@_`~^";
	const char *p = spec + 1;

	for (; *p && *p != ':'; p++) {
		if (*p == '/')
			*magic |= WFM_PATHSPEC_TOP;
		else if (*p == '!' || *p == '^')
			*magic |= WFM_PATHSPEC_EXCLUDE;
		else if (strchr(reserved, *p))
			return wfm_error_setc(WFM_EINVALID,
					      "unimplemented pathspec magic '%c' in '%s'", *p,
					      spec);
		else
			break;
	}
	if (*p == ':')
		p++;
	*rest = p;
	return 0;
}

/*
 * An absolute path inside the work tree top as a path from the top (a new
 * string), or NULL when it is outside: compared as written, then with the
 * symbolic links of its longest existing leading directory resolved.
 */
static char *inside_top(const char *path, const char *top)
{
	size_t n = top ? strlen(top) : 0;
	struct wfm_buf dir = WFM_BUF_INIT;
	char *real = NULL, *ret = NULL;
	const char *rest;

	if (!top)
		return NULL;
	if (!strncmp(path, top, n) && (path[n] == '/' || !path[n]))
		return wfm_strdup(path[n] ? path + n + 1 : "");
	/* the longest leading part that exists, resolved, and what follows it */
	wfm_buf_adds(&dir, path);
	for (;;) {
		char *slash;

		real = realpath(dir.ptr, NULL);
		if (real || !dir.len)
			break;
		slash = strrchr(dir.ptr, '/');
		wfm_buf_setlen(&dir, slash ? (size_t)(slash - dir.ptr) : 0);
	}
	if (real) {
		rest = path + dir.len;
		if (!strncmp(real, top, n) && (real[n] == '/' || !real[n])) {
			struct wfm_buf b = WFM_BUF_INIT;

			wfm_buf_adds(&b, real[n] ? real + n + 1 : "");
			if (*rest && *rest != '/' && b.len)
				wfm_buf_addch(&b, '/');
			wfm_buf_adds(&b, b.len ? rest : rest + (*rest == '/'));
			ret = wfm_buf_detach(&b, NULL);
		}
	}
	free(real);
	wfm_buf_release(&dir);
	return ret;
}

/*
 * prefix + pattern with "", "." and ".." components resolved; a trailing
 * '/' is kept. *kept gets the bytes at the start of the result that are
 * prefix components none of the ".." took away. WFM_EINVALID when ".."
 * leaves the top.
 */
static int normalise(char **out, size_t *kept, const char *prefix, const char *pattern,
		     const char *typed)
{
	struct wfm_buf in = WFM_BUF_INIT, res = WFM_BUF_INIT;
	size_t plen = strlen(prefix), len;
	size_t prefix_end = 0; /* bytes of res that came from prefix, at most */
	int in_prefix = 1, dir;
	const char *p;

	wfm_buf_addf(&in, "%s%s", prefix, pattern);
	len = in.len;
	dir = len && in.ptr[len - 1] == '/';
	for (p = in.ptr; *p;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (in_prefix && (size_t)(p - in.ptr) >= plen) {
			in_prefix = 0;
			prefix_end = res.len;
		}
		if (n == 2 && !strncmp(p, "..", 2)) {
			char *last;

			if (!res.len) {
				wfm_buf_release(&in);
				wfm_buf_release(&res);
				return wfm_error_setc(WFM_ENOTFOUND,
						      "'%s' is outside the repository", typed);
			}
			last = strrchr(res.ptr, '/');
			wfm_buf_setlen(&res, last ? (size_t)(last - res.ptr) : 0);
			if (res.len < prefix_end)
				prefix_end = res.len;
		} else if (n && !(n == 1 && *p == '.')) {
			if (res.len)
				wfm_buf_addch(&res, '/');
			wfm_buf_add(&res, p, n);
		}
		/* "a/." and "a/b/.." name a directory: "a/" */
		if (!slash && ((n == 1 && *p == '.') || (n == 2 && !strncmp(p, "..", 2))))
			dir = 1;
		p += n + (slash ? 1 : 0);
	}
	if (in_prefix)
		prefix_end = res.len;
	if (res.len && dir)
		wfm_buf_addch(&res, '/');
	/* a prefix part ends at a component boundary: with its '/' */
	if (prefix_end && prefix_end < res.len && res.ptr[prefix_end] == '/')
		prefix_end++;
	*kept = prefix_end;
	wfm_buf_release(&in);
	*out = wfm_buf_detach(&res, NULL);
	return 0;
}

int wfm_pathspec_add(struct wfm_pathspec *ps, const char *spec,
		     const struct wfm_pathspec_base *base)
{
	struct wfm_pathspec_item it = { 0 };
	const char *pattern = spec, *prefix = base && base->prefix ? base->prefix : "";
	char *abs = NULL;
	size_t given_prefix = 0, kept = 0;
	int rc;

	if (!*spec)
		return wfm_error_setc(WFM_EINVALID, "an empty string is not a valid pathspec: use "
						    "'.' to mean every path");
	if (spec[0] == ':') {
		rc = spec[1] == '(' ? long_magic(&it.magic, &given_prefix, &pattern, spec)
				    : short_magic(&it.magic, &pattern, spec);
		if (rc < 0)
			return rc;
	}
	if ((it.magic & WFM_PATHSPEC_LITERAL) && (it.magic & WFM_PATHSPEC_GLOB))
		return wfm_error_setc(WFM_EINVALID,
				      "'literal' and 'glob' are incompatible pathspec magic: '%s'",
				      spec);
	if (it.magic & WFM_PATHSPEC_TOP)
		prefix = "";
	if (pattern[0] == '/') {
		abs = inside_top(pattern, base ? base->top : NULL);
		if (!abs)
			return wfm_error_setc(WFM_ENOTFOUND, "'%s' is outside the repository",
					      spec);
		pattern = abs;
		prefix = "";
	}
	rc = normalise(&it.match, &kept, prefix, pattern, spec);
	free(abs);
	if (rc < 0)
		return rc;
	it.typed = wfm_strdup(spec);
	if (given_prefix > kept)
		kept = given_prefix;
	if (kept > strlen(it.match))
		kept = strlen(it.match);
	it.prefix = kept;
	it.literal = strlen(it.match);
	if (!(it.magic & WFM_PATHSPEC_LITERAL))
		it.literal = strcspn(it.match, "*?[\\");
	if (it.literal < kept)
		it.literal = kept;
	WFM_ALLOC_GROW(ps->v, ps->nr + 1, ps->alloc);
	ps->v[ps->nr++] = it;
	if (!(it.magic & WFM_PATHSPEC_EXCLUDE))
		ps->includes++;
	return 0;
}

/* ---- matching ------------------------------------------------------------------ */

/* Compares n bytes of the pattern and the path: the prefix exactly, the rest as magic says. */
static int differ(const struct wfm_pathspec_item *it, const char *pattern, const char *path,
		  size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int a = (unsigned char)pattern[i], b = (unsigned char)path[i];

		if (i >= it->prefix && (it->magic & WFM_PATHSPEC_ICASE)) {
			a = fold(a, WM_CASEFOLD);
			b = fold(b, WM_CASEFOLD);
		}
		if (a != b)
			return 1;
		if (!a)
			break;
	}
	return 0;
}

int wfm_pathspec_item_match(const struct wfm_pathspec_item *it, const char *path)
{
	const char *m = it->match;
	size_t mlen = strlen(m), plen = strlen(path);

	if (!mlen)
		return 1;
	/* the path itself, or a directory it is under (dir.c, match_pathspec_item) */
	if (mlen <= plen && !differ(it, m, path, mlen) &&
	    (mlen == plen || m[mlen - 1] == '/' || path[mlen] == '/'))
		return 1;
	if (it->literal >= mlen || plen < it->literal || differ(it, m, path, it->literal))
		return 0;
	return wildmatch(m + it->literal, path + it->literal,
			 ((it->magic & WFM_PATHSPEC_GLOB) ? WM_PATHNAME : 0) |
				 ((it->magic & WFM_PATHSPEC_ICASE) ? WM_CASEFOLD : 0));
}

int wfm_pathspec_match(const struct wfm_pathspec *ps, const char *path, char *matched)
{
	int in = !ps->includes;

	for (size_t i = 0; i < ps->nr; i++) {
		if ((ps->v[i].magic & WFM_PATHSPEC_EXCLUDE) ||
		    !wfm_pathspec_item_match(&ps->v[i], path))
			continue;
		in = 1;
		if (!matched)
			break;
		matched[i] = 1;
	}
	if (!in)
		return 0;
	for (size_t i = 0; i < ps->nr; i++)
		if ((ps->v[i].magic & WFM_PATHSPEC_EXCLUDE) &&
		    wfm_pathspec_item_match(&ps->v[i], path))
			return 0;
	return 1;
}

int wfm_pathspec_may_match_under(const struct wfm_pathspec *ps, const char *dir)
{
	size_t dlen = strlen(dir);

	if (!ps->includes)
		return 1;
	for (size_t i = 0; i < ps->nr; i++) {
		const struct wfm_pathspec_item *it = &ps->v[i];

		if (!(it->magic & WFM_PATHSPEC_EXCLUDE) &&
		    !differ(it, it->match, dir, dlen < it->literal ? dlen : it->literal))
			return 1;
	}
	return 0;
}

char *wfm_pathspec_canonical(const struct wfm_pathspec_item *it)
{
	struct wfm_buf b = WFM_BUF_INIT;
	const char *sep = ":(";
	size_t i;

	for (i = 0; i < WFM_ARRAY_SIZE(magic_words); i++)
		if (magic_words[i].bit != WFM_PATHSPEC_TOP && (it->magic & magic_words[i].bit)) {
			wfm_buf_addf(&b, "%s%s", sep, magic_words[i].name);
			sep = ",";
		}
	/* a prefix the parse would not keep literal (or case-sensitive) on its own */
	if (it->prefix &&
	    ((it->magic & WFM_PATHSPEC_ICASE) ||
	     (!(it->magic & WFM_PATHSPEC_LITERAL) && strcspn(it->match, "*?[\\") < it->prefix))) {
		wfm_buf_addf(&b, "%sprefix:%zu", sep, it->prefix);
		sep = ",";
	}
	if (b.len)
		wfm_buf_addch(&b, ')');
	else if (it->match[0] == ':')
		wfm_buf_adds(&b, ":(top)");
	wfm_buf_adds(&b, *it->match || b.len ? it->match : ".");
	return wfm_buf_detach(&b, NULL);
}

void wfm_pathspec_release(struct wfm_pathspec *ps)
{
	for (size_t i = 0; i < ps->nr; i++) {
		free(ps->v[i].typed);
		free(ps->v[i].match);
	}
	free(ps->v);
	ps->v = NULL;
	ps->nr = ps->alloc = ps->includes = 0;
}

void wfm_pathspec_base_here(struct wfm_pathspec_base *out, struct wfm_repo *repo)
{
	const char *wd = wfm_repo_workdir(repo);
	char *cwd = realpath(".", NULL);
	size_t n;

	out->top = wd ? realpath(wd, NULL) : NULL;
	out->prefix = NULL;
	if (out->top && cwd) {
		n = strlen(out->top);
		if (!strncmp(cwd, out->top, n) && cwd[n] == '/') {
			struct wfm_buf b = WFM_BUF_INIT;

			wfm_buf_addf(&b, "%s/", cwd + n + 1);
			out->prefix = wfm_buf_detach(&b, NULL);
		}
	}
	if (!out->prefix)
		out->prefix = wfm_strdup("");
	free(cwd);
}

void wfm_pathspec_base_release(struct wfm_pathspec_base *base)
{
	free(base->prefix);
	free(base->top);
	base->prefix = base->top = NULL;
}
