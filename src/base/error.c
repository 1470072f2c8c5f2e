#include "base/common.h"

static _Thread_local char last[2048];

/* Formatted aside first: the arguments may hold the last message ("...: %s", wfm_error_last()). */
static void setv(const char *fmt, va_list ap)
{
	char msg[sizeof(last)];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	memcpy(last, msg, sizeof(last));
}

int wfm_error_set(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	setv(fmt, ap);
	va_end(ap);
	return WFM_ERROR;
}

int wfm_error_setc(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	setv(fmt, ap);
	va_end(ap);
	return code;
}

const char *wfm_error_last(void)
{
	return last;
}

void wfm_error_clear(void)
{
	last[0] = '\0';
}
