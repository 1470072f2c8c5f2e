#include "base/common.h"

static _Thread_local char last[2048];

static void setv(const char *fmt, va_list ap)
{
	vsnprintf(last, sizeof(last), fmt, ap);
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
