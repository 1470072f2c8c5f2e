#ifndef WFM_BASE_ERROR_H
#define WFM_BASE_ERROR_H

/*
 * Library functions return an int: 0 on success, a negative code on
 * failure. The message that goes with a failure is kept per thread and
 * read with wfm_error_last(). Callers branch on the named codes below;
 * everything else is WFM_ERROR. The code is the error's class, which the
 * command line turns into an exit code (ui/message.h): WFM_EINVALID, a bad
 * command line, is a usage error; every other class is fatal.
 */
enum {
	WFM_OK = 0,
	WFM_ERROR = -1,
	WFM_ENOTFOUND = -3,  /* a revision, file, slot or run does not exist */
	WFM_EEXISTS = -4,    /* something that must be new already exists */
	WFM_EINVALID = -5,   /* bad input from the user or a model */
	WFM_ECONFIG = -6,    /* a bad value in git config, the environment or a saved run */
	WFM_EAMBIGUOUS = -7, /* a name or prefix that matches several runs: name one */
	WFM_ECONFLICT = -13, /* a merge or checkout conflict */
	WFM_ELOCKED = -14,   /* held by another live process */
	WFM_ETIMEOUT = -20,  /* a time limit was reached */
	WFM_EBUDGET = -30,   /* a budget or size limit would be passed */
};

/* Sets the thread's message and returns WFM_ERROR. The arguments may hold wfm_error_last(). */
int wfm_error_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Sets the thread's message and returns code. */
int wfm_error_setc(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The thread's last message; borrowed until the next wfm_error_set*(). Never NULL. */
const char *wfm_error_last(void);

void wfm_error_clear(void);

#endif
