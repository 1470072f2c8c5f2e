#include "base/common.h"
#include "base/buf.h"
#include "chunk/chunk_priv.h"

void wfm_lines_index(struct wfm_lines *out, const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	out->nr = 0;
	WFM_ALLOC_GROW(out->start, 1, out->alloc);
	out->start[out->nr++] = 0;
	while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
		p++;
		WFM_ALLOC_GROW(out->start, out->nr + 1, out->alloc);
		out->start[out->nr++] = (size_t)(p - text);
	}
}

void wfm_lines_release(struct wfm_lines *lines)
{
	free(lines->start);
	lines->start = NULL;
	lines->nr = lines->alloc = 0;
}

uint32_t wfm_lines_of(const struct wfm_lines *lines, size_t off)
{
	size_t lo = 0, hi = lines->nr;

	/* the last line whose start is <= off */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (lines->start[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	return (uint32_t)lo;
}

void wfm_unit_set_lines(struct wfm_unit *u, const struct wfm_lines *lines)
{
	u->start_line = wfm_lines_of(lines, u->start_byte) + 1;
	u->end_line = wfm_lines_of(lines, u->end_byte > u->start_byte ? u->end_byte - 1
								     : u->start_byte) +
		      1;
}

size_t wfm_line_start(const char *text, size_t off)
{
	while (off > 0 && text[off - 1] != '\n')
		off--;
	return off;
}

size_t wfm_line_end(const char *text, size_t len, size_t end)
{
	const char *nl;

	if (end == 0 || end >= len || text[end - 1] == '\n')
		return end > len ? len : end;
	nl = memchr(text + end, '\n', len - end);
	return nl ? (size_t)(nl - text) + 1 : len;
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t need;
	uint32_t cp;

	if (c >= 0x01 && c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		need = 2, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3, cp = c & 0x07;
	else
		return 0; /* NUL, a continuation byte, 0xc0/0xc1 or 0xf5.. */
	if (n < need + 1)
		return 0;
	for (size_t i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0; /* overlong, surrogate or out of range */
	return need + 1;
}

int wfm_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(p + i, len - i);
		if (!n)
			return 0;
		i += n;
	}
	return 1;
}

void wfm_utf8_lossy(struct wfm_buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;

	wfm_buf_grow(out, len);
	while (i < len) {
		size_t n = utf8_seq(p + i, len - i);
		if (n) {
			i += n;
			continue;
		}
		wfm_buf_add(out, s + run, i - run);
		wfm_buf_add(out, "\xef\xbf\xbd", 3);
		run = ++i;
	}
	wfm_buf_add(out, s + run, i - run);
}
