#include "base/common.h"
#include "oracle/lines.h"

/* Length of the escape sequence at s[0] == ESC, within n bytes. */
static size_t escape_len(const char *s, size_t n)
{
	size_t i = 2;

	if (n < 2)
		return n;
	if (s[1] == '[') { /* CSI: parameters, intermediates, one final byte */
		while (i < n && (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] <= 0x3f)
			i++;
		return i < n ? i + 1 : n;
	}
	if (s[1] == ']') { /* OSC: up to BEL or ESC \ */
		while (i < n && s[i] != '\a' && s[i] != '\033')
			i++;
		if (i < n && s[i] == '\033')
			i++;
		return i < n ? i + 1 : n;
	}
	return 2;
}

static void add_line(struct wfm_out_lines *ls, const char *s, size_t n)
{
	size_t off = ls->text.len;

	while (n && s[n - 1] == '\r')
		n--;
	/* progress lines: only what the last carriage return left on screen */
	for (size_t i = n; i-- > 0;)
		if (s[i] == '\r') {
			s += i + 1;
			n -= i + 1;
			break;
		}
	for (size_t i = 0; i < n;) {
		if (s[i] == '\033') {
			i += escape_len(s + i, n - i);
			continue;
		}
		wfm_buf_addch(&ls->text, s[i++]);
	}
	while (ls->text.len > off && strchr(" \t", ls->text.ptr[ls->text.len - 1]))
		wfm_buf_setlen(&ls->text, ls->text.len - 1);
	WFM_ALLOC_GROW(ls->v, ls->nr + 1, ls->alloc);
	ls->v[ls->nr].off = off;
	ls->v[ls->nr].len = ls->text.len - off;
	ls->nr++;
	wfm_buf_addch(&ls->text, '\0');
}

void wfm_out_lines_split(struct wfm_out_lines *ls, const char *text, size_t len)
{
	const char *end = text + len;

	wfm_buf_clear(&ls->text);
	wfm_buf_grow(&ls->text, len + 64);
	ls->nr = 0;
	while (text < end) {
		const char *nl = memchr(text, '\n', (size_t)(end - text));
		size_t n = nl ? (size_t)(nl - text) : (size_t)(end - text);

		add_line(ls, text, n);
		text += n + (nl ? 1 : 0);
	}
}

void wfm_out_lines_release(struct wfm_out_lines *ls)
{
	wfm_buf_release(&ls->text);
	free(ls->v);
	ls->v = NULL;
	ls->nr = ls->alloc = 0;
}
