#include "base/common.h"
#include "base/buf.h"
#include "base/levenshtein.h"
#include "base/strvec.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/options.h"

static void vusage_error(const char *const *usage, const struct wfm_option *opts, const char *fmt,
			 va_list ap)
{
	fprintf(stderr, "error: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	wfm_usage_print(stderr, usage, opts);
}

int wfm_ui_usage_error(const char *const *usage, const struct wfm_option *opts, const char *fmt,
		       ...)
{
	va_list ap;

	va_start(ap, fmt);
	vusage_error(usage, opts, fmt, ap);
	va_end(ap);
	return WFM_EXIT_USAGE;
}

int wfm_ui_usage_error_lib(int err, const char *const *usage, const struct wfm_option *opts)
{
	if (err != WFM_EINVALID)
		return wfm_ui_error_lib(err);
	return wfm_ui_usage_error(usage, opts, "%s", wfm_error_last());
}

/* The parser's usage errors: as wfm_ui_usage_error(), returning WFM_PARSE_ERROR. */
__attribute__((format(printf, 3, 4))) static int
opt_error(const char *const *usage, const struct wfm_option *opts, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vusage_error(usage, opts, fmt, ap);
	va_end(ap);
	return WFM_PARSE_ERROR;
}

static void opt_name(char *out, size_t n, const struct wfm_option *o)
{
	if (o->long_name)
		snprintf(out, n, "--%s", o->long_name);
	else
		snprintf(out, n, "-%c", o->short_name);
}

static int set_value(const struct wfm_option *o, const char *arg, int negated,
		     const char *const *usage, const struct wfm_option *opts)
{
	char name[128];
	char *end;
	unsigned long v;

	opt_name(name, sizeof(name), o);
	switch (o->type) {
	case WFM_OPTT_BOOL:
		*(int *)o->value = !negated;
		return 0;
	case WFM_OPTT_STRING:
		*(const char **)o->value = arg;
		return 0;
	case WFM_OPTT_LIST:
		wfm_strvec_push(o->value, arg);
		return 0;
	case WFM_OPTT_UINT:
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (!*arg || *end || errno || *arg == '-')
			return opt_error(usage, opts,
					 "option '%s' expects a non-negative integer, not '%s'",
					 name, arg);
		if (v < o->min || v > o->max)
			return opt_error(usage, opts,
					 "option '%s' must be between %lu and %lu, not %lu", name,
					 o->min, o->max, v);
		*(unsigned long *)o->value = v;
		return 0;
	default:
		return WFM_PARSE_ERROR;
	}
}

static const struct wfm_option *find_long(const struct wfm_option *opts, const char *name,
					  size_t len, int *negated)
{
	const struct wfm_option *o;

	*negated = 0;
	for (o = opts; o->type != WFM_OPTT_END; o++)
		if (o->long_name && strlen(o->long_name) == len &&
		    !strncmp(o->long_name, name, len))
			return o;
	if (len > 3 && !strncmp(name, "no-", 3))
		for (o = opts; o->type != WFM_OPTT_END; o++)
			if (o->type == WFM_OPTT_BOOL && o->long_name &&
			    strlen(o->long_name) == len - 3 &&
			    !strncmp(o->long_name, name + 3, len - 3)) {
				*negated = 1;
				return o;
			}
	return NULL;
}

static const struct wfm_option *find_short(const struct wfm_option *opts, int c)
{
	for (const struct wfm_option *o = opts; o->type != WFM_OPTT_END; o++)
		if (o->short_name && o->short_name == c)
			return o;
	return NULL;
}

/* "unknown option 'x'", with a "did you mean" from the long names of opts (and --no-<bool>) */
static int unknown_long(const char *const *usage, const struct wfm_option *opts, const char *name)
{
	struct wfm_strvec names = WFM_STRVEC_INIT;
	struct wfm_buf hint = WFM_BUF_INIT;
	int rc;

	for (const struct wfm_option *o = opts; o->type != WFM_OPTT_END; o++) {
		if (!o->long_name)
			continue;
		wfm_strvec_push(&names, o->long_name);
		if (o->type == WFM_OPTT_BOOL && strncmp(o->long_name, "no-", 3)) {
			char *no = wfm_calloc(strlen(o->long_name) + 4, 1);

			memcpy(no, "no-", 3);
			memcpy(no + 3, o->long_name, strlen(o->long_name));
			wfm_strvec_push_nodup(&names, no);
		}
	}
	if (wfm_similar_hint(&hint, name, (const char *const *)names.v, "--"))
		rc = opt_error(usage, opts, "unknown option '%s'; %s", name, hint.ptr);
	else
		rc = opt_error(usage, opts, "unknown option '%s'", name);
	wfm_strvec_clear(&names);
	wfm_buf_release(&hint);
	return rc;
}

static int takes_arg(const struct wfm_option *o)
{
	return o->type == WFM_OPTT_STRING || o->type == WFM_OPTT_UINT || o->type == WFM_OPTT_LIST;
}

int wfm_parse_options(int argc, const char **argv, const struct wfm_option *opts,
		      const char *const *usage, unsigned flags)
{
	int nout = 0, i, ret;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct wfm_option *o;
		int negated = 0;

		if (!strcmp(a, "--")) {
			for (i++; i < argc; i++)
				argv[nout++] = argv[i];
			break;
		}
		if (a[0] != '-' || !a[1]) {
			if (flags & WFM_PARSE_STOP_AT_NON_OPTION) {
				for (; i < argc; i++)
					argv[nout++] = argv[i];
				break;
			}
			argv[nout++] = a;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			wfm_usage_print(stdout, usage, opts);
			return WFM_PARSE_HELP;
		}
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			char shown[256];

			snprintf(shown, sizeof(shown), "%.*s", (int)len, name);
			o = find_long(opts, name, len, &negated);
			if (!o)
				return unknown_long(usage, opts, shown);
			if (takes_arg(o)) {
				const char *val = eq ? eq + 1 : NULL;
				if (!val) {
					if (i + 1 >= argc)
						return opt_error(usage, opts,
								 "option '%s' requires a value",
								 shown);
					val = argv[++i];
				}
				ret = set_value(o, val, 0, usage, opts);
			} else {
				if (eq)
					return opt_error(usage, opts, "option '%s' takes no value",
							 shown);
				ret = set_value(o, NULL, negated, usage, opts);
			}
			if (ret < 0)
				return ret;
			continue;
		}
		/* one or more short options: -abc, -ovalue, -o value */
		for (const char *p = a + 1; *p; p++) {
			char shown[3] = { *p, 0, 0 };

			o = find_short(opts, *p);
			if (!o)
				return opt_error(usage, opts, "unknown switch '%s'", shown);
			if (takes_arg(o)) {
				const char *val = p[1] ? p + 1 : NULL;
				if (!val) {
					if (i + 1 >= argc)
						return opt_error(usage, opts,
								 "switch '%s' requires a value",
								 shown);
					val = argv[++i];
				}
				ret = set_value(o, val, 0, usage, opts);
				if (ret < 0)
					return ret;
				break;
			}
			ret = set_value(o, NULL, 0, usage, opts);
			if (ret < 0)
				return ret;
		}
	}
	argv[nout] = NULL;
	if ((flags & WFM_PARSE_NO_ARGUMENTS) && nout > 0)
		return opt_error(usage, opts, "unexpected argument '%s'", argv[0]);
	return nout;
}

void wfm_usage_print(FILE *out, const char *const *usage, const struct wfm_option *opts)
{
	const char *lead = "usage: ";

	for (; usage && *usage; usage++) {
		fprintf(out, "%s%s\n", lead, *usage);
		lead = "   or: ";
	}
	if (!opts || opts->type == WFM_OPTT_END)
		return;
	fputc('\n', out);
	for (const struct wfm_option *o = opts; o->type != WFM_OPTT_END; o++) {
		char left[128];
		int n = 0;

		if (o->type == WFM_OPTT_GROUP) {
			fprintf(out, "\n%s\n", o->help);
			continue;
		}
		if (o->short_name && o->long_name)
			n = snprintf(left, sizeof(left), "-%c, --%s", o->short_name, o->long_name);
		else if (o->short_name)
			n = snprintf(left, sizeof(left), "-%c", o->short_name);
		else
			n = snprintf(left, sizeof(left), "--%s", o->long_name);
		if (takes_arg(o) && n > 0 && (size_t)n < sizeof(left))
			snprintf(left + n, sizeof(left) - (size_t)n, " <%s>",
				 o->argh ? o->argh : "value");
		if (strlen(left) > 24)
			fprintf(out, "    %s\n%30s%s\n", left, "", o->help);
		else
			fprintf(out, "    %-24s  %s\n", left, o->help);
	}
	fputc('\n', out);
}
