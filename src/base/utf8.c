#include "base/common.h"
#include "base/buf.h"
#include "base/utf8.h"

size_t wfm_utf8_seq(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
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
	for (size_t i = 0; i < len;) {
		size_t n = wfm_utf8_seq(s + i, len - i);
		if (!n)
			return 0;
		i += n;
	}
	return 1;
}

void wfm_utf8_lossy(struct wfm_buf *out, const char *s, size_t len)
{
	size_t i = 0, run = 0;

	wfm_buf_grow(out, len);
	while (i < len) {
		size_t n = wfm_utf8_seq(s + i, len - i);
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

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

const char *wfm_utf8_first_line(size_t *len, const char *text, size_t max)
{
	const char *p = text;
	size_t n;

	while (is_blank(*p))
		p++;
	n = strcspn(p, "\r\n");
	if (n > max) {
		n = max;
		while (n && ((unsigned char)p[n] & 0xc0) == 0x80)
			n--;
	}
	while (n && is_blank(p[n - 1]))
		n--;
	*len = n;
	return p;
}

/* line[0..n) as a terminal shows it, into out (emptied first), without trailing blanks */
static void clean_line(struct wfm_buf *out, const char *line, size_t n, size_t max)
{
	struct wfm_buf raw = WFM_BUF_INIT;
	const char *cr = NULL;
	size_t i, cut;

	for (i = 0; i < n; i++) /* what a carriage return overwrote (progress) is gone */
		if (line[i] == '\r' && i + 1 < n)
			cr = line + i;
	if (cr) {
		n -= (size_t)(cr + 1 - line);
		line = cr + 1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == 0x1b && i + 1 < n && line[i + 1] == '[') {
			/* a terminal escape (colours): ESC [ parameters final-byte */
			for (i += 2; i < n && !((unsigned char)line[i] >= 0x40 &&
						(unsigned char)line[i] <= 0x7e);
			     i++)
				;
			continue;
		}
		if (c == '\t')
			wfm_buf_addch(&raw, ' ');
		else if (c >= 0x20 && c != 0x7f)
			wfm_buf_addch(&raw, (char)c);
	}
	wfm_buf_clear(out);
	wfm_utf8_lossy(out, raw.ptr, raw.len);
	wfm_buf_release(&raw);
	while (out->len && out->ptr[out->len - 1] == ' ')
		wfm_buf_setlen(out, out->len - 1);
	if (out->len <= max)
		return;
	cut = max;
	while (cut && ((unsigned char)out->ptr[cut] & 0xc0) == 0x80)
		cut--;
	wfm_buf_setlen(out, cut);
	wfm_buf_adds(out, "\xe2\x80\xa6"); /* ... */
}

unsigned wfm_utf8_last_lines(struct wfm_buf *out, const char *text, size_t len, unsigned lines,
			     size_t line_max)
{
	struct wfm_buf *kept = lines ? wfm_calloc(lines, sizeof(*kept)) : NULL;
	size_t end = len;
	unsigned nr = 0;

	while (end > 0 && nr < lines) {
		size_t start = end;

		while (start > 0 && text[start - 1] != '\n')
			start--;
		wfm_buf_init(&kept[nr], 0);
		clean_line(&kept[nr], text + start, end - start, line_max);
		if (kept[nr].len)
			nr++;
		else
			wfm_buf_release(&kept[nr]);
		end = start ? start - 1 : 0;
	}
	for (unsigned k = nr; k > 0; k--) {
		if (k != nr)
			wfm_buf_addch(out, '\n');
		wfm_buf_add(out, kept[k - 1].ptr, kept[k - 1].len);
		wfm_buf_release(&kept[k - 1]);
	}
	free(kept);
	return nr;
}
