#include "base/common.h"
#include "base/buf.h"
#include "git/repo.h"
#include "ui/settings.h"

#include <ctype.h>

static void env_name(struct wfm_buf *out, const char *key)
{
	wfm_buf_adds(out, "WFMIGRATE_");
	for (const char *p = key; *p; p++)
		wfm_buf_addch(out, (*p == '.' || *p == '-') ? '_' : toupper((unsigned char)*p));
}

/* *from says where the value came from: "option", "git config" or "environment" */
static char *lookup(struct wfm_repo *repo, const char *option, const char *key, const char **from)
{
	struct wfm_buf name = WFM_BUF_INIT;
	char *val = NULL;
	const char *env;

	if (option) {
		*from = "option";
		return wfm_strdup(option);
	}
	wfm_buf_addf(&name, "wfmigrate.%s", key);
	if (repo && !wfm_repo_config_get(&val, repo, name.ptr)) {
		*from = "git config";
		goto done;
	}
	wfm_buf_clear(&name);
	env_name(&name, key);
	env = getenv(name.ptr);
	if (env) {
		*from = "environment";
		val = wfm_strdup(env);
	}
done:
	wfm_buf_release(&name);
	return val;
}

char *wfm_setting_get(struct wfm_repo *repo, const char *option, const char *key)
{
	const char *from;

	return lookup(repo, option, key, &from);
}

int wfm_setting_get_ulong(unsigned long *out, struct wfm_repo *repo, const char *option,
			  const char *key)
{
	const char *from = NULL;
	char *val = lookup(repo, option, key, &from), *end;
	unsigned long v;
	int rc = 0;

	if (!val)
		return 0;
	errno = 0;
	v = strtoul(val, &end, 10);
	/* a bad option is a bad command line; a bad git config or environment, a bad setting */
	if (!*val || *end || errno || *val == '-')
		rc = wfm_error_setc(option ? WFM_EINVALID : WFM_ECONFIG,
				    "bad value '%s' for '%s' (from %s): expected a number", val,
				    key, from);
	else
		*out = v;
	free(val);
	return rc;
}
