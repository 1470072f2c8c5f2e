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

/*
 * The error and the exit code in one call, after libgit2's cli_error_git():
 * prints the last library error as git would and returns the exit code of
 * err's class (wfm_ui_exit_code()): "error: ..." for a usage error,
 * "fatal: ..." for the others. Call sites never pick 128 or 129 by hand;
 * 1 (the job ran and failed) is the command's own word, not a library's.
 */
int wfm_ui_error_lib(int err);

/*
 * Exit code for a library error code: WFM_EINVALID (a bad command line)
 * → usage (129); WFM_ECONFIG (a bad setting in git config, the
 * environment or a saved run) and all others → fatal (128).
 */
int wfm_ui_exit_code(int err);

#endif
