#ifndef WFM_UI_SETTINGS_H
#define WFM_UI_SETTINGS_H

struct wfm_repo;

/*
 * A setting's value, from the first place that has it (engine/config.h
 * writes the rule: wfm_config_lookup):
 *   1. option (the command-line value; NULL when not given),
 *   2. git config "wfmigrate.<key>" (repo may be NULL),
 *   3. the environment variable WFMIGRATE_<KEY> (key upper-cased, '.'
 *      and '-' turned into '_'), e.g. oracle.timeout → WFMIGRATE_ORACLE_TIMEOUT.
 * Returns a new string (free()), or NULL when none has it.
 */
char *wfm_setting_get(struct wfm_repo *repo, const char *option, const char *key);

/*
 * The same for a number: 0 with *out set (left alone when unset); a bad
 * value is WFM_EINVALID from the option, WFM_ECONFIG from git config or
 * the environment, with a message naming where it came from.
 */
int wfm_setting_get_ulong(unsigned long *out, struct wfm_repo *repo, const char *option,
			  const char *key);

#endif
