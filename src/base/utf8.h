#ifndef WFM_BASE_UTF8_H
#define WFM_BASE_UTF8_H

#include <stddef.h>

struct wfm_buf;

/*
 * Length of the valid UTF-8 sequence at s[0..n) (1 to 4), or 0 when
 * there is none: NUL, a stray continuation byte, an overlong form, a
 * surrogate, a code point past U+10FFFF or a sequence cut short.
 */
size_t wfm_utf8_seq(const char *s, size_t n);

/* Whether s[0..len) is valid UTF-8 without NUL. */
int wfm_utf8_valid(const char *s, size_t len);

/*
 * The first non-blank line of text, without the blanks around it, cut at
 * max bytes on a character boundary (a commit subject): *len gets its
 * length; returns where it starts.
 */
const char *wfm_utf8_first_line(size_t *len, const char *text, size_t max);

/*
 * Appends the last `lines` lines of text[0..len) that are not blank, in
 * order, joined by '\n' (no newline at the end), each as a terminal shows
 * it: without what a carriage return overwrote, terminal escapes (colours)
 * and control characters, tabs as spaces, invalid UTF-8 as U+FFFD, no
 * blanks at its end, and cut at line_max bytes on a character boundary
 * with "…" added. The tail of a program's stderr, for people. Returns how
 * many lines it appended.
 */
unsigned wfm_utf8_last_lines(struct wfm_buf *out, const char *text, size_t len, unsigned lines,
			     size_t line_max);

/* Appends s[0..len) with every byte that is not part of valid UTF-8, and NUL, as U+FFFD. */
void wfm_utf8_lossy(struct wfm_buf *out, const char *s, size_t len);

#endif
