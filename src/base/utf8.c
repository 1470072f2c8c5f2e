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
