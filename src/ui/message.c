#include "base/common.h"
#include "ui/exit.h"
#include "ui/message.h"

static void vreport(const char *prefix, const char *fmt, va_list ap)
{
	char msg[4096];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "%s%s\n", prefix, msg);
}

void wfm_ui_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("error: ", fmt, ap);
	va_end(ap);
}

void wfm_ui_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

void wfm_ui_hint(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("hint: ", fmt, ap);
	va_end(ap);
}

void wfm_ui_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("fatal: ", fmt, ap);
	va_end(ap);
}

int wfm_ui_exit_code(int err)
{
	if (err == WFM_EINVALID)
		return WFM_EXIT_USAGE;
	return WFM_EXIT_FATAL;
}

int wfm_ui_error_lib(int err)
{
	const char *msg = wfm_error_last();
	int code = wfm_ui_exit_code(err);

	fprintf(stderr, "%s%s\n",
		code == WFM_EXIT_USAGE ? "error: " : "fatal: ", *msg ? msg : "unknown error");
	return code;
}
