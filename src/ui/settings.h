#ifndef WFM_UI_SETTINGS_H
#define WFM_UI_SETTINGS_H

struct wfm_repo;

/*
 * A setting's value, from the first place that has it:
 *   1. option (the command-line value; NULL when not given),
 *   2. git config "wfmigrate.<key>" (repo may be NULL),
 *   3. the environment variable WFMIGRATE_<KEY> (key upper-cased, '.'
 *      and '-' turned into '_'), e.g. oracle.timeout → WFMIGRATE_ORACLE_TIMEOUT.
 * Returns a new string (free()), or NULL when none has it.
 */
char *wfm_setting_get(struct wfm_repo *repo, const char *option, const char *key);

/*
 * The same for a number: 0 with *out set (left alone when unset). A bad
 * value is WFM_EINVALID when it came from the option (a bad command
 * line), WFM_ECONFIG when from git config or the environment; the
 * message names where it came from.
 */
int wfm_setting_get_ulong(unsigned long *out, struct wfm_repo *repo, const char *option,
			  const char *key);

#endif
