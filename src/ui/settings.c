#include "base/common.h"
#include "base/buf.h"
#include "engine/config.h"
#include "ui/settings.h"

/* the precedence is engine/config.h's: option, git config wfmigrate.<key>, WFMIGRATE_<KEY> */
static char *lookup(struct wfm_repo *repo, const char *option, const char *key,
		    enum wfm_config_from *from)
{
	struct wfm_buf name = WFM_BUF_INIT, env = WFM_BUF_INIT;
	char *val;

	wfm_buf_addf(&name, "wfmigrate.%s", key);
	wfm_config_env_name(&env, key);
	val = wfm_config_lookup(from, repo, option, name.ptr, env.ptr);
	wfm_buf_release(&name);
	wfm_buf_release(&env);
	return val;
}

char *wfm_setting_get(struct wfm_repo *repo, const char *option, const char *key)
{
	enum wfm_config_from from;

	return lookup(repo, option, key, &from);
}

int wfm_setting_get_ulong(unsigned long *out, struct wfm_repo *repo, const char *option,
			  const char *key)
{
	enum wfm_config_from from = WFM_FROM_DEFAULT;
	char *val = lookup(repo, option, key, &from), *end;
	unsigned long v;
	int rc = 0;

	if (!val)
		return 0;
	errno = 0;
	v = strtoul(val, &end, 10);
	/* a bad option is a bad command line; a bad git config or environment, a bad setting */
	if (!*val || *end || errno || *val == '-')
		rc = wfm_error_setc(from == WFM_FROM_OPTION ? WFM_EINVALID : WFM_ECONFIG,
				    "bad value '%s' for '%s' (from %s): expected a number", val,
				    key, wfm_config_from_name(from));
	else
		*out = v;
	free(val);
	return rc;
}
