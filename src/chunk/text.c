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

void wfm_text_add_squeezed(struct wfm_buf *b, const char *text, size_t start, size_t end,
			   size_t max)
{
	int space = 0;

	for (size_t i = start; i < end && b->len < max; i++) {
		char c = text[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			space = 1;
			continue;
		}
		if (space && b->len)
			wfm_buf_addch(b, ' ');
		space = 0;
		wfm_buf_addch(b, c);
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
	u->end_line =
		wfm_lines_of(lines, u->end_byte > u->start_byte ? u->end_byte - 1 : u->start_byte) +
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
