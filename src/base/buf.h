#ifndef WFM_BASE_BUF_H
#define WFM_BASE_BUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * The one growable byte buffer. ptr is never NULL and always
 * NUL-terminated, so it can be passed as a C string at any time.
 * A non-zero cap bounds len: an append past it fails with WFM_EBUDGET
 * and leaves the buffer unchanged (for input from the network or from
 * child processes).
 */
struct wfm_buf {
	char *ptr;
	size_t len;
	size_t alloc;
	size_t cap;
};

extern char wfm_buf_empty[];
/* clang-format off */
#define WFM_BUF_INIT { wfm_buf_empty, 0, 0, 0 }
/* clang-format on */

void wfm_buf_init(struct wfm_buf *b, size_t hint);
/* Frees the contents; the buffer is empty and reusable afterwards. */
void wfm_buf_release(struct wfm_buf *b);
/* Empties the buffer, keeping its memory. */
void wfm_buf_clear(struct wfm_buf *b);
/* Returns the contents as a string owned by the caller (free()); the buffer is left empty. */
char *wfm_buf_detach(struct wfm_buf *b, size_t *len);

void wfm_buf_grow(struct wfm_buf *b, size_t extra);
void wfm_buf_setlen(struct wfm_buf *b, size_t len);

int wfm_buf_add(struct wfm_buf *b, const void *data, size_t len);
int wfm_buf_adds(struct wfm_buf *b, const char *s);
int wfm_buf_addch(struct wfm_buf *b, int c);
int wfm_buf_addf(struct wfm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int wfm_buf_vaddf(struct wfm_buf *b, const char *fmt, va_list ap);

/*
 * Appends the whole file at path (git's strbuf_read_file()).
 * WFM_ENOTFOUND "cannot read '<path>': ..." when it does not exist (or a
 * directory on its way is a file), WFM_ERROR when it cannot be opened or
 * read otherwise. A capped buffer stops at its cap: WFM_EBUDGET, b
 * holding the bytes read before the read that would have passed it.
 * b keeps what was read before a failure.
 */
int wfm_buf_read_file(struct wfm_buf *b, const char *path);

/*
 * Appends what fd holds from its offset to the end of file, going on
 * after EINTR; path names it in messages. Errors as wfm_buf_read_file()'s
 * (the descriptor is the caller's: left open).
 */
int wfm_buf_read_fd(struct wfm_buf *b, int fd, const char *path);

/* Removes trailing whitespace. */
void wfm_buf_rtrim(struct wfm_buf *b);

/*
 * Appends s as one word for sh: as it is when it holds only letters,
 * digits and "_./:@%+=,-" (and is not empty), else in single quotes with
 * each ' as '\'' (git's sq_quote_buf()).
 */
void wfm_buf_add_sq(struct wfm_buf *b, const char *s);

#endif
