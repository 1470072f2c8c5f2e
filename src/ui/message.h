#ifndef WFM_UI_MESSAGE_H
#define WFM_UI_MESSAGE_H

/*
 * Messages to the user, on stderr, phrased like git's:
 * "error: cannot open 'x'". Only main.c, src/cmd/ and src/ui/ call these.
 */
void wfm_ui_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void wfm_ui_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "hint: ...": advice under an error, as git gives it */
void wfm_ui_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void wfm_ui_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "error: <last library error>" and returns exit_code. */
int wfm_ui_error_last(int exit_code);

/*
 * Exit code for a library error code: WFM_EINVALID (a bad command line)
 * → usage; WFM_ECONFIG (a bad setting in git config or the environment)
 * and all others → fatal.
 */
int wfm_ui_exit_code(int err);

#endif
