#ifndef WFM_UI_OPTIONS_H
#define WFM_UI_OPTIONS_H

#include <stdio.h>

/*
 * Command-line options, declared as a table that both the parser and
 * -h read (after git's parse-options). Each entry points at the variable
 * it fills:
 *   BOOL   int *            --name sets 1, --no-name sets 0
 *   STRING const char **   --name <v>, --name=<v>; borrowed from argv
 *   UINT   unsigned long * decimal, checked against [min, max]
 *   LIST   struct wfm_strvec *  repeatable; each use appends a copy
 */
enum wfm_opt_type {
	WFM_OPTT_END,
	WFM_OPTT_GROUP,
	WFM_OPTT_BOOL,
	WFM_OPTT_STRING,
	WFM_OPTT_UINT,
	WFM_OPTT_LIST,
};

struct wfm_option {
	enum wfm_opt_type type;
	int short_name;
	const char *long_name;
	void *value;
	const char *argh;
	const char *help;
	unsigned long min, max;
};

/* clang-format off */
#define WFM_OPT_END() { WFM_OPTT_END, 0, NULL, NULL, NULL, NULL, 0, 0 }
#define WFM_OPT_GROUP(h) { WFM_OPTT_GROUP, 0, NULL, NULL, NULL, (h), 0, 0 }
#define WFM_OPT_BOOL(s, l, v, h) { WFM_OPTT_BOOL, (s), (l), (v), NULL, (h), 0, 0 }
#define WFM_OPT_STRING(s, l, v, a, h) { WFM_OPTT_STRING, (s), (l), (v), (a), (h), 0, 0 }
#define WFM_OPT_UINT(s, l, v, a, h, lo, hi) { WFM_OPTT_UINT, (s), (l), (v), (a), (h), (lo), (hi) }
#define WFM_OPT_LIST(s, l, v, a, h) { WFM_OPTT_LIST, (s), (l), (v), (a), (h), 0, 0 }
/* clang-format on */

enum {
	WFM_PARSE_STOP_AT_NON_OPTION = 1 << 0, /* leave everything from the first argument on */
	WFM_PARSE_NO_ARGUMENTS = 1 << 1,       /* options only: an argument is a usage error */
};

enum {
	WFM_PARSE_ERROR = -1, /* message and usage were printed on stderr (wfm_ui_usage_error()) */
	WFM_PARSE_HELP = -2,  /* -h: usage was printed on stdout */
};

/*
 * Parses argv[1..argc). Options and arguments may be mixed unless
 * WFM_PARSE_STOP_AT_NON_OPTION; "--" ends the options. On success the
 * remaining arguments are moved to argv[0..n) and n is returned. Callers
 * exit with WFM_EXIT_USAGE on either negative return, as git does.
 */
int wfm_parse_options(int argc, const char **argv, const struct wfm_option *opts,
		      const char *const *usage, unsigned flags);

/* Prints "usage: ..." lines then the option table. */
void wfm_usage_print(FILE *out, const char *const *usage, const struct wfm_option *opts);

/*
 * A bad command line, as git reports it: "error: <fmt...>" then the usage
 * text, on stderr. Returns WFM_EXIT_USAGE. Every usage error goes through
 * here: an unknown option, a bad option value, a wrong number of arguments.
 */
int wfm_ui_usage_error(const char *const *usage, const struct wfm_option *opts, const char *fmt,
		       ...) __attribute__((format(printf, 3, 4)));

/*
 * wfm_ui_error_lib() for a library error met while taking in a value of
 * the command line: a usage error (err WFM_EINVALID) gets the usage text.
 */
int wfm_ui_usage_error_lib(int err, const char *const *usage, const struct wfm_option *opts);

#endif
