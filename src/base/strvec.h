#ifndef WFM_BASE_STRVEC_H
#define WFM_BASE_STRVEC_H

#include <stddef.h>

/* A growable NULL-terminated array of owned strings. */
struct wfm_strvec {
	char **v;
	size_t nr;
	size_t alloc;
};

/* clang-format off */
#define WFM_STRVEC_INIT { NULL, 0, 0 }
/* clang-format on */

/* Appends a copy of s. */
void wfm_strvec_push(struct wfm_strvec *sv, const char *s);
/* Appends s, taking ownership. */
void wfm_strvec_push_nodup(struct wfm_strvec *sv, char *s);
void wfm_strvec_clear(struct wfm_strvec *sv);

#endif
