#ifndef WFM_ORACLE_EXCERPT_H
#define WFM_ORACLE_EXCERPT_H

#include <stddef.h>

struct wfm_strvec;

/*
 * The excerpt of a failed test command's output: the few lines that say
 * what went wrong, most telling first, for a rejection reason or a report
 * row (docs/oracle.md, "Excerpt"). Each line of the output gets a score
 * from a table of patterns (a compiler error with file:line, a failed
 * assertion, an exception, a panic or a crash, a failed test's name, a
 * program's own fatal message, expected and actual values, ... down to a
 * plain "error" word); wrappers that only say that something below failed
 * (make's "make: *** [Makefile:85: test] Error 1", its "Entering
 * directory" lines, ctest's "Errors while running CTest", cargo's "error:
 * test failed, to rerun ...") and source snippets or decoration score
 * below zero and are never picked. The best lines are taken by score, the
 * earlier line first between equals (the first compiler error causes the
 * rest), down to a floor (40: no warning or summary next to an error); a
 * line whose text another picked line already holds is skipped, and one
 * that holds a picked line's text takes its place. When no line scores,
 * the last lines that are not noise are taken, the last first.
 */
#define WFM_EXCERPT_LINES_DEFAULT 5
#define WFM_EXCERPT_WIDTH_DEFAULT 160

struct wfm_excerpt_opts {
	/* lines kept at most; 0: WFM_EXCERPT_LINES_DEFAULT */
	size_t max_lines;
	/* bytes per line at most (cut on a character boundary, "..." added); 0: the default */
	size_t max_width;
	/* a directory whose path is removed where the output names it (the worktree
	 * the command ran in: "/x/pool/wfm-3/src/a.c:4: error" becomes "src/a.c:4:
	 * error"); NULL: none */
	const char *strip_dir;
};
#define WFM_EXCERPT_OPTS_INIT                                                                      \
	{                                                                                          \
		0, 0, NULL                                                                         \
	}

/*
 * Appends the excerpt of text[0..len) to out, most telling line first:
 * each line with its colour codes, carriage-return progress and the blanks
 * around it removed, tabs made spaces. Returns the number of lines
 * appended (0 for an output with nothing but noise), negative on error.
 * opts may be NULL. No state: safe from any thread.
 */
int wfm_excerpt_pick(struct wfm_strvec *out, const char *text, size_t len,
		     const struct wfm_excerpt_opts *opts);

/*
 * The score of one line of output (cleaned as above, not trimmed):
 * negative for noise that is never picked, 0 for a line that says
 * nothing in particular, up to 100 for a compiler error. For tests and
 * for tuning the table.
 */
int wfm_excerpt_score(const char *line, size_t len);

#endif
