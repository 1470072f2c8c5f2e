#include "support/test.h"
#include "base/buf.h"
#include "base/json.h"
#include "agent/provider.h"

#include <sys/stat.h>
#include <sys/wait.h>

char *wfm_test_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char tmpl[PATH_MAX];

	snprintf(tmpl, sizeof(tmpl), "%s/wfm-test-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tmpl))
		fail_msg("mkdtemp: %s", strerror(errno));
	return wfm_strdup(tmpl);
}

void wfm_test_rmtree(const char *path)
{
	if (path && *path)
		wfm_test_sh_status("/", "rm -rf '%s'", path);
}

static int vrun(struct wfm_buf *out, const char *dir, const char *fmt, va_list ap)
{
	struct wfm_buf cmd = WFM_BUF_INIT;
	FILE *p;
	char chunk[4096];
	size_t n;
	int status;

	wfm_buf_addf(&cmd, "cd '%s' && { ", dir);
	wfm_buf_vaddf(&cmd, fmt, ap);
	wfm_buf_adds(&cmd, "\n}");
	p = popen(cmd.ptr, "r");
	if (!p)
		fail_msg("popen: %s", strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		if (out)
			wfm_buf_add(out, chunk, n);
	status = pclose(p);
	wfm_buf_release(&cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

char *wfm_test_sh(const char *dir, const char *fmt, ...)
{
	struct wfm_buf out = WFM_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vrun(&out, dir, fmt, ap);
	va_end(ap);
	if (rc)
		fail_msg("command in '%s' exited %d: %s", dir, rc, fmt);
	return wfm_buf_detach(&out, NULL);
}

int wfm_test_sh_status(const char *dir, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vrun(NULL, dir, fmt, ap);
	va_end(ap);
	return rc;
}

char *wfm_test_repo_new(void)
{
	char *dir = wfm_test_tmpdir();

	free(wfm_test_sh(dir, "git init -q -b main . && git config user.name Test && "
			      "git config user.email test@example.com"));
	return dir;
}

void wfm_test_write(const char *dir, const char *relpath, const char *content)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, relpath);
	free(wfm_test_sh(dir, "mkdir -p \"$(dirname '%s')\"", relpath));
	f = fopen(path, "wb");
	if (!f)
		fail_msg("cannot write %s: %s", path, strerror(errno));
	fputs(content, f);
	fclose(f);
}

char *wfm_test_trim(char *s)
{
	size_t n = strlen(s);

	while (n && strchr("\r\n ", s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* The command fmt makes, run in dir: its output trimmed, and the command (free() both). */
static char *vsh_trim(char **cmd, const char *dir, const char *fmt, va_list ap)
{
	struct wfm_buf b = WFM_BUF_INIT;

	wfm_buf_vaddf(&b, fmt, ap);
	*cmd = wfm_buf_detach(&b, NULL);
	return wfm_test_trim(wfm_test_sh(dir, "%s", *cmd));
}

char *wfm_test_sh_trim(const char *dir, const char *fmt, ...)
{
	char *cmd, *out;
	va_list ap;

	va_start(ap, fmt);
	out = vsh_trim(&cmd, dir, fmt, ap);
	va_end(ap);
	free(cmd);
	return out;
}

void wfm_test_assert_sh(enum wfm_test_sh_check how, const char *dir, const char *s, const char *fmt,
			...)
{
	char *cmd, *got;
	va_list ap;

	va_start(ap, fmt);
	got = vsh_trim(&cmd, dir, fmt, ap);
	va_end(ap);
	if (how == WFM_TEST_SH_EQUAL && strcmp(got, s))
		fail_msg("'%s' printed '%s', expected '%s'", cmd, got, s);
	if (how == WFM_TEST_SH_CONTAINS && !strstr(got, s))
		fail_msg("'%s' printed '%s', expected it to contain '%s'", cmd, got, s);
	if (how == WFM_TEST_SH_LACKS && strstr(got, s))
		fail_msg("'%s' printed '%s', which contains '%s'", cmd, got, s);
	free(got);
	free(cmd);
}

char *wfm_test_read(const char *path)
{
	struct wfm_buf b = WFM_BUF_INIT;

	if (wfm_buf_read_file(&b, path) < 0)
		fail_msg("%s", wfm_error_last());
	return wfm_buf_detach(&b, NULL);
}

cJSON *wfm_test_json(const char *text)
{
	cJSON *v = NULL;

	if (wfm_json_parse(&v, text, strlen(text)) < 0)
		fail_msg("bad JSON in the test: %s: %s", wfm_error_last(), text);
	return v;
}

void wfm_test_unset_provider_env(void)
{
	for (size_t i = 0; i < wfm_providers_nr; i++) {
		if (wfm_providers[i].key_env)
			unsetenv(wfm_providers[i].key_env);
		if (wfm_providers[i].url_env)
			unsetenv(wfm_providers[i].url_env);
	}
}
