#include "base/common.h"
#include "base/glob.h"

/* One character class at *pp (after the '['); advances *pp past its ']'. -1: not a class. */
static int match_class(const char **pp, unsigned char c)
{
	const char *p = *pp, *start;
	int negate = 0, hit = 0;

	if (*p == '!' || *p == '^') {
		negate = 1;
		p++;
	}
	/* a ']' first is a member, not the end */
	for (start = p; *p && (*p != ']' || p == start);) {
		unsigned char lo, hi;

		if (*p == '\\' && p[1])
			p++;
		lo = hi = (unsigned char)*p++;
		if (p[0] == '-' && p[1] && p[1] != ']') {
			p++;
			if (*p == '\\' && p[1])
				p++;
			hi = (unsigned char)*p++;
		}
		if (c >= lo && c <= hi)
			hit = 1;
	}
	if (*p != ']')
		return -1;
	*pp = p + 1;
	return hit != negate && c != '/';
}

static int match(const char *glob, const char *p, const char *s)
{
	for (;;) {
		/* "**" as a whole component */
		if (p[0] == '*' && p[1] == '*' && (p == glob || p[-1] == '/') &&
		    (p[2] == '/' || p[2] == '\0')) {
			if (p[2] == '\0')
				return 1;
			p += 3;
			for (;;) {
				if (match(glob, p, s))
					return 1;
				s = strchr(s, '/');
				if (!s)
					return 0;
				s++;
			}
		}
		if (*p == '\0')
			return *s == '\0';
		if (*p == '*') {
			while (*p == '*')
				p++;
			for (;;) {
				if (match(glob, p, s))
					return 1;
				if (*s == '\0' || *s == '/')
					return 0;
				s++;
			}
		}
		if (*s == '\0')
			return 0;
		if (*p == '?') {
			if (*s == '/')
				return 0;
		} else if (*p == '[') {
			const char *q = p + 1;
			int r = match_class(&q, (unsigned char)*s);

			if (r == 0)
				return 0;
			if (r == 1) {
				p = q;
				s++;
				continue;
			}
			if (*s != '[') /* no closing ']': a plain '[' */
				return 0;
		} else {
			if (*p == '\\' && p[1])
				p++;
			if (*p != *s)
				return 0;
		}
		p++;
		s++;
	}
}

int wfm_glob_match(const char *glob, const char *path)
{
	if (glob[0] == '/') {
		glob++;
	} else if (!strchr(glob, '/')) {
		const char *slash = strrchr(path, '/');

		if (slash)
			path = slash + 1;
	}
	return match(glob, glob, path);
}

const char *wfm_glob_first(const char *const *globs, const char *path)
{
	for (size_t i = 0; globs && globs[i]; i++)
		if (wfm_glob_match(globs[i], path))
			return globs[i];
	return NULL;
}
