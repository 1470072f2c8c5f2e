#ifndef WFM_UI_EXIT_H
#define WFM_UI_EXIT_H

/* Exit codes of every subcommand (see docs/git-wfmigrate.1). */
enum {
	WFM_EXIT_OK = 0, /* success */
	WFM_EXIT_FAILURE =
		1, /* the job ran and failed: an oracle failed, findings over threshold */
	WFM_EXIT_FATAL =
		128, /* a git or environment error: not a repository, unknown revision, I/O */
	WFM_EXIT_USAGE = 129, /* bad command line */
};

#endif
