#ifndef WFM_ORACLE_LINES_H
#define WFM_ORACLE_LINES_H

#include <stddef.h>

#include "base/buf.h"

/*
 * A test command's output cut into lines as a terminal would show them:
 * ANSI escape sequences (colours, OSC titles) removed, a carriage-return
 * progress line reduced to what its last carriage return left on screen,
 * a CRLF's CR and trailing blanks dropped. Read by the summary parser
 * (summary.h) and the excerpt scorer (excerpt.h).
 */
struct wfm_out_line {
	size_t off, len; /* in text */
};

struct wfm_out_lines {
	struct wfm_buf text; /* the cleaned lines, each followed by a NUL */
	struct wfm_out_line *v;
	size_t nr, alloc;
};
#define WFM_OUT_LINES_INIT                                                                         \
	{                                                                                          \
		WFM_BUF_INIT, NULL, 0, 0                                                           \
	}

/* Cuts text[0..len) into ls (emptied first). */
void wfm_out_lines_split(struct wfm_out_lines *ls, const char *text, size_t len);
void wfm_out_lines_release(struct wfm_out_lines *ls);

/* Line i, NUL-terminated; borrowed from ls. */
static inline const char *wfm_out_line(const struct wfm_out_lines *ls, size_t i)
{
	return ls->text.ptr + ls->v[i].off;
}

#endif
