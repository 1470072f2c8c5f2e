#include "base/common.h"
#include "base/buf.h"
#include "ui/status.h"

void wfm_ui_add_tokens(struct wfm_buf *out, uint64_t tokens)
{
	if (tokens < 1000)
		wfm_buf_addf(out, "%lu", (unsigned long)tokens);
	else if (tokens < 100000 && tokens % 1000)
		wfm_buf_addf(out, "%.1fk", (double)tokens / 1e3);
	else if (tokens < 999500)
		wfm_buf_addf(out, "%luk",
			     (unsigned long)((tokens + 500) / 1000)); /* as --budget 20k */
	else if (tokens % 1000000 == 0)
		wfm_buf_addf(out, "%luM", (unsigned long)(tokens / 1000000));
	else
		wfm_buf_addf(out, "%.2fM", (double)tokens / 1e6);
}

void wfm_ui_add_usd(struct wfm_buf *out, double usd)
{
	wfm_buf_addf(out, "$%.2f", usd > 0 ? usd : 0.0);
}

void wfm_ui_add_age(struct wfm_buf *out, uint64_t ms)
{
	unsigned long s = (unsigned long)(ms / 1000);

	if (s < 60)
		wfm_buf_addf(out, "%lus", s);
	else if (s < 3600)
		wfm_buf_addf(out, "%lum", s / 60);
	else if (s < 86400)
		wfm_buf_addf(out, "%luh", s / 3600);
	else
		wfm_buf_addf(out, "%lud", s / 86400);
}

void wfm_ui_add_clock(struct wfm_buf *out, uint64_t ms)
{
	unsigned long s = (unsigned long)(ms / 1000);

	if (s >= 3600)
		wfm_buf_addf(out, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
	else
		wfm_buf_addf(out, "%lu:%02lu", s / 60, s % 60);
}
