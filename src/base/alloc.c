#include "base/common.h"

static void *oom(size_t size)
{
	fprintf(stderr, "fatal: out of memory allocating %zu bytes\n", size);
	abort();
}

void *wfm_malloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	return p ? p : oom(size);
}

void *wfm_calloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	return p ? p : oom(nmemb * size);
}

void *wfm_realloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);
	return p ? p : oom(size);
}

char *wfm_strdup(const char *s)
{
	return wfm_strndup(s, strlen(s));
}

char *wfm_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = wfm_malloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}
