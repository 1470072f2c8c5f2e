#ifndef WFM_BASE_ALLOC_H
#define WFM_BASE_ALLOC_H

#include <stddef.h>

/*
 * Allocation that cannot fail. Running out of memory is not an error a
 * caller can handle sensibly, so these abort() with a message instead of
 * returning NULL (as git's xmalloc() does). Everything they return is
 * freed with free().
 */
void *wfm_malloc(size_t size);
void *wfm_calloc(size_t nmemb, size_t size);
void *wfm_realloc(void *ptr, size_t size);
char *wfm_strdup(const char *s);
char *wfm_strndup(const char *s, size_t n);

/* Grows *arr (of *alloc elements of size elem) so it holds at least n. */
#define WFM_ALLOC_GROW(arr, n, alloc)                                                              \
	do {                                                                                       \
		if ((size_t)(n) > (alloc)) {                                                       \
			size_t wfm_new_ = (alloc) < 8 ? 8 : (alloc)*2;                             \
			while (wfm_new_ < (size_t)(n))                                             \
				wfm_new_ *= 2;                                                     \
			(arr) = wfm_realloc((arr), wfm_new_ * sizeof(*(arr)));                     \
			(alloc) = wfm_new_;                                                        \
		}                                                                                  \
	} while (0)

#endif
