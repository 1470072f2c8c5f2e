#include "base/common.h"
#include "base/buf.h"

#include <fcntl.h>

char wfm_buf_empty[1];

void wfm_buf_init(struct wfm_buf *b, size_t hint)
{
	b->ptr = wfm_buf_empty;
	b->len = b->alloc = b->cap = 0;
	if (hint)
		wfm_buf_grow(b, hint);
}

void wfm_buf_release(struct wfm_buf *b)
{
	size_t cap = b->cap;

	if (b->alloc)
		free(b->ptr);
	wfm_buf_init(b, 0);
	b->cap = cap;
}

void wfm_buf_clear(struct wfm_buf *b)
{
	if (b->alloc)
		wfm_buf_setlen(b, 0);
}

char *wfm_buf_detach(struct wfm_buf *b, size_t *len)
{
	char *p = b->alloc ? b->ptr : wfm_strdup("");

	if (len)
		*len = b->len;
	wfm_buf_init(b, 0);
	return p;
}

void wfm_buf_grow(struct wfm_buf *b, size_t extra)
{
	size_t want = b->len + extra + 1;

	if (want < b->len)
		abort(); /* overflow */
	if (!b->alloc) {
		b->ptr = NULL;
	}
	if (want > b->alloc) {
		size_t n = b->alloc < 64 ? 64 : b->alloc;
		while (n < want)
			n *= 2;
		b->ptr = wfm_realloc(b->ptr, n);
		if (!b->alloc)
			b->ptr[0] = '\0';
		b->alloc = n;
	}
}

void wfm_buf_setlen(struct wfm_buf *b, size_t len)
{
	if (!b->alloc) {
		if (len)
			abort();
		return;
	}
	b->len = len;
	b->ptr[len] = '\0';
}

static int over_cap(const struct wfm_buf *b, size_t extra)
{
	return b->cap && (extra > b->cap || b->len > b->cap - extra);
}

int wfm_buf_add(struct wfm_buf *b, const void *data, size_t len)
{
	if (over_cap(b, len))
		return wfm_error_setc(WFM_EBUDGET, "buffer limit of %zu bytes reached", b->cap);
	if (!len)
		return 0;
	wfm_buf_grow(b, len);
	memmove(b->ptr + b->len, data, len);
	wfm_buf_setlen(b, b->len + len);
	return 0;
}

int wfm_buf_adds(struct wfm_buf *b, const char *s)
{
	return wfm_buf_add(b, s, strlen(s));
}

int wfm_buf_addch(struct wfm_buf *b, int c)
{
	char ch = (char)c;
	return wfm_buf_add(b, &ch, 1);
}

int wfm_buf_vaddf(struct wfm_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return wfm_error_set("cannot format '%s'", fmt);
	if (over_cap(b, (size_t)n))
		return wfm_error_setc(WFM_EBUDGET, "buffer limit of %zu bytes reached", b->cap);
	wfm_buf_grow(b, (size_t)n);
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	wfm_buf_setlen(b, b->len + (size_t)n);
	return 0;
}

int wfm_buf_addf(struct wfm_buf *b, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = wfm_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return ret;
}

void wfm_buf_rtrim(struct wfm_buf *b)
{
	size_t n = b->len;

	while (n && strchr(" \t\r\n", b->ptr[n - 1]))
		n--;
	if (n != b->len)
		wfm_buf_setlen(b, n);
}

void wfm_buf_add_sq(struct wfm_buf *b, const char *s)
{
	const char *p;

	if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			    "_./:@%+=,-") == strlen(s)) {
		wfm_buf_adds(b, s);
		return;
	}
	wfm_buf_addch(b, '\'');
	for (p = s; *p; p++) {
		if (*p == '\'')
			wfm_buf_adds(b, "'\\''");
		else
			wfm_buf_addch(b, *p);
	}
	wfm_buf_addch(b, '\'');
}

int wfm_buf_read_fd(struct wfm_buf *b, int fd, const char *path)
{
	char chunk[65536];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return wfm_error_set("cannot read '%s': %s", path, strerror(errno));
		if (n == 0)
			return 0;
		if (wfm_buf_add(b, chunk, (size_t)n) < 0)
			return wfm_error_setc(WFM_EBUDGET, "'%s' is larger than %zu bytes", path,
					      b->cap);
	}
}

int wfm_buf_read_file(struct wfm_buf *b, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return wfm_error_setc(errno == ENOENT || errno == ENOTDIR ? WFM_ENOTFOUND
									  : WFM_ERROR,
				      "cannot read '%s': %s", path, strerror(errno));
	rc = wfm_buf_read_fd(b, fd, path);
	close(fd);
	return rc;
}
