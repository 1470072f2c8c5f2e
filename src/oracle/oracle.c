#include "base/common.h"
#include "base/buf.h"
#include "git/pool.h"
#include "oracle/oracle.h"

#include <inttypes.h>

static void result_init(struct wfm_oracle_result *out, const struct wfm_oracle_opts *opts)
{
	memset(out, 0, sizeof(*out));
	wfm_buf_init(&out->proc.output, 0);
	out->proc.exit_code = -1;
	out->timeout_sec = opts->timeout_sec;
}

static int run(struct wfm_oracle_result *out, const char *dir, const struct wfm_oracle_opts *opts)
{
	struct wfm_process_opts po = WFM_PROCESS_OPTS_INIT;
	const struct wfm_process_result *p = &out->proc;
	int rc;

	po.shell = opts->command;
	po.cwd = dir;
	po.flags = WFM_PROCESS_SCRUB_SECRETS | WFM_PROCESS_SCRUB_GIT;
	po.env_set = opts->env_set;
	po.timeout_ms = opts->timeout_sec > ULONG_MAX / 1000 ? ULONG_MAX : opts->timeout_sec * 1000;
	po.kill_grace_ms = opts->kill_grace_ms;
	po.output_cap = opts->output_cap;
	po.cancel = opts->cancel;
	rc = wfm_process_run(&out->proc, &po);
	if (rc < 0)
		return rc;
	out->pass = !p->timed_out && !p->cancelled && !p->signal && p->exit_code == 0;
	/* a summary is a bonus: a pattern that hits its match limit just means none */
	if (wfm_summary_parse(&out->summary, p->output.ptr, p->output.len) < 0)
		memset(&out->summary, 0, sizeof(out->summary));
	return 0;
}

static int check_opts(const struct wfm_oracle_opts *opts)
{
	if (!opts->command || !*opts->command)
		return wfm_error_setc(WFM_EINVALID, "no oracle command given");
	return 0;
}

int wfm_oracle_run_in(struct wfm_oracle_result *out, const char *dir,
		      const struct wfm_oracle_opts *opts)
{
	int rc;

	result_init(out, opts);
	rc = check_opts(opts);
	if (rc < 0)
		return rc;
	return run(out, dir, opts);
}

int wfm_oracle_run(struct wfm_oracle_result *out, struct wfm_pool *pool, const char *ref,
		   const struct wfm_oracle_opts *opts)
{
	struct wfm_slot *slot = NULL;
	char *first_error = NULL;
	int rc, rel;

	result_init(out, opts);
	rc = check_opts(opts);
	if (rc < 0)
		return rc;
	if (opts->cancel && *opts->cancel) {
		out->proc.cancelled = 1;
		return 0;
	}
	rc = wfm_pool_acquire(&slot, pool, ref);
	if (rc < 0)
		return rc;
	snprintf(out->commit, sizeof(out->commit), "%s", wfm_slot_base(slot));
	rc = run(out, wfm_slot_path(slot), opts);
	if (rc < 0)
		first_error = wfm_strdup(wfm_error_last());
	rel = wfm_pool_release(pool, slot);
	if (first_error)
		wfm_error_setc(rc, "%s", first_error);
	else if (rel < 0)
		rc = rel;
	free(first_error);
	return rc;
}

void wfm_oracle_result_release(struct wfm_oracle_result *r)
{
	wfm_process_result_release(&r->proc);
	memset(&r->summary, 0, sizeof(r->summary));
}

void wfm_oracle_describe_end(struct wfm_buf *out, const struct wfm_oracle_result *r)
{
	const struct wfm_process_result *p = &r->proc;
	const char *name;

	if (p->cancelled) {
		wfm_buf_adds(out, "was interrupted");
	} else if (p->timed_out) {
		wfm_buf_addf(out, "timed out after %lus", r->timeout_sec);
	} else if (p->signal) {
		name = wfm_signal_name(p->signal);
		if (name)
			wfm_buf_addf(out, "was killed by %s", name);
		else
			wfm_buf_addf(out, "was killed by signal %d", p->signal);
	} else {
		wfm_buf_addf(out, "exited %d", p->exit_code);
	}
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp, min;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2, cp = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, cp = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4, cp = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void json_string(struct wfm_buf *out, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;

	wfm_buf_addch(out, '"');
	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		size_t n;

		switch (c) {
		case '"':
			wfm_buf_adds(out, "\\\"");
			i++;
			continue;
		case '\\':
			wfm_buf_adds(out, "\\\\");
			i++;
			continue;
		case '\n':
			wfm_buf_adds(out, "\\n");
			i++;
			continue;
		case '\r':
			wfm_buf_adds(out, "\\r");
			i++;
			continue;
		case '\t':
			wfm_buf_adds(out, "\\t");
			i++;
			continue;
		}
		if (c < 0x20) {
			wfm_buf_addf(out, "\\u%04x", c);
			i++;
			continue;
		}
		n = utf8_len(s + i, len - i);
		if (!n) {
			wfm_buf_adds(out, "\\ufffd");
			i++;
			continue;
		}
		wfm_buf_add(out, s + i, n);
		i += n;
	}
	wfm_buf_addch(out, '"');
}

static void json_key_string(struct wfm_buf *out, const char *key, const char *val)
{
	wfm_buf_addf(out, "\"%s\":", key);
	json_string(out, val, strlen(val));
}

void wfm_oracle_result_json(struct wfm_buf *out, const struct wfm_oracle_result *r,
			    const char *ref, const char *command)
{
	const struct wfm_process_result *p = &r->proc;
	const struct wfm_summary *s = &r->summary;

	wfm_buf_addf(out, "{\"pass\":%s,", r->pass ? "true" : "false");
	if (p->signal || p->exit_code < 0)
		wfm_buf_adds(out, "\"exitCode\":null,");
	else
		wfm_buf_addf(out, "\"exitCode\":%d,", p->exit_code);
	if (p->signal) {
		const char *name = wfm_signal_name(p->signal);
		if (name)
			wfm_buf_addf(out, "\"signal\":\"%s\",", name);
		else
			wfm_buf_addf(out, "\"signal\":\"SIG%d\",", p->signal);
	}
	wfm_buf_addf(out, "\"timedOut\":%s,\"cancelled\":%s,\"durationMs\":%" PRIu64 ",",
		     p->timed_out ? "true" : "false", p->cancelled ? "true" : "false",
		     p->duration_ms);
	if (s->format != WFM_SUMMARY_NONE)
		wfm_buf_addf(out,
			     "\"summary\":{\"passed\":%lu,\"failed\":%lu,\"skipped\":%lu,"
			     "\"total\":%lu,\"format\":\"%s\"},",
			     s->passed, s->failed, s->skipped, s->total,
			     wfm_summary_format_name(s->format));
	wfm_buf_adds(out, "\"outputTail\":");
	json_string(out, p->output.ptr, p->output.len);
	wfm_buf_addf(out, ",\"outputBytes\":%" PRIu64 ",", p->output_bytes);
	json_key_string(out, "ref", ref ? ref : "");
	wfm_buf_addch(out, ',');
	json_key_string(out, "commit", r->commit);
	wfm_buf_addch(out, ',');
	json_key_string(out, "command", command ? command : "");
	wfm_buf_addch(out, '}');
}

void wfm_oracle_runs_json(struct wfm_buf *out, const struct wfm_oracle_result *runs, size_t nr,
			  const char *ref, const char *command)
{
	size_t passed = 0;

	wfm_buf_adds(out, "{\"runs\":[");
	for (size_t i = 0; i < nr; i++) {
		if (i)
			wfm_buf_addch(out, ',');
		wfm_oracle_result_json(out, &runs[i], ref, command);
		passed += runs[i].pass ? 1 : 0;
	}
	wfm_buf_addf(out, "],\"passedRuns\":%zu,\"failedRuns\":%zu,\"pass\":%s,", passed,
		     nr - passed, nr && passed == nr ? "true" : "false");
	json_key_string(out, "ref", ref ? ref : "");
	wfm_buf_addch(out, ',');
	json_key_string(out, "commit", nr ? runs[0].commit : "");
	wfm_buf_addch(out, ',');
	json_key_string(out, "command", command ? command : "");
	wfm_buf_addch(out, '}');
}
