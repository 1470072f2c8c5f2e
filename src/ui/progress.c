#include "base/common.h"
#include "base/buf.h"
#include "engine/engine.h"
#include "ui/progress.h"

#include <sys/ioctl.h>

#define CLEAR_LINE "\r\033[K"

void wfm_ui_progress_init(struct wfm_ui_progress *p, FILE *out)
{
	const char *term = getenv("TERM");

	memset(p, 0, sizeof(*p));
	p->out = out;
	p->tty = isatty(fileno(out)) && term && *term && strcmp(term, "dumb");
}

static void draw(struct wfm_ui_progress *p)
{
	if (p->shown[0]) {
		fputs(CLEAR_LINE, p->out);
		fputs(p->shown, p->out);
	}
	fflush(p->out);
}

void wfm_ui_progress_line(void *data, const char *line)
{
	struct wfm_ui_progress *p = data;

	if (p->tty && p->shown[0])
		fputs(CLEAR_LINE, p->out);
	fprintf(p->out, "%s\n", line);
	if (p->tty)
		draw(p);
}

static unsigned columns(FILE *out)
{
	struct winsize ws;

	if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
		return ws.ws_col;
	return 80;
}

static void add_clock(struct wfm_buf *b, uint64_t ms)
{
	unsigned long s = (unsigned long)(ms / 1000);

	if (s >= 3600)
		wfm_buf_addf(b, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
	else
		wfm_buf_addf(b, "%lu:%02lu", s / 60, s % 60);
}

void wfm_ui_progress_status(void *data, const struct wfm_engine_status *st)
{
	struct wfm_ui_progress *p = data;
	struct wfm_buf b = WFM_BUF_INIT;
	size_t width;

	if (!p->tty)
		return;
	wfm_buf_addf(&b, "[%s ", st->phase ? st->phase : "run");
	add_clock(&b, st->elapsed_ms);
	wfm_buf_adds(&b, "]");
	if (st->paused)
		wfm_buf_adds(&b, " paused:");
	if (st->stopping)
		wfm_buf_adds(&b, " stopping:");
	if (st->agents_running || st->agents_waiting) {
		wfm_buf_addf(&b, " agents: %lu running", st->agents_running);
		if (st->agents_waiting)
			wfm_buf_addf(&b, ", %lu waiting", st->agents_waiting);
	}
	if (st->oracles_running || st->oracles_waiting) {
		wfm_buf_addf(&b, "%s oracles: %lu running", b.ptr[b.len - 1] == ']' ? "" : " |",
			     st->oracles_running);
		if (st->oracles_waiting)
			wfm_buf_addf(&b, ", %lu waiting", st->oracles_waiting);
	}
	if (st->merge_testing) {
		wfm_buf_addf(&b, "%s merge queue: %s ", b.ptr[b.len - 1] == ']' ? "" : " |",
			     st->merge_testing);
		add_clock(&b, st->merge_test_ms);
	}
	/* one line, or the next redraw would start on the wrong one */
	width = columns(p->out) - 1;
	if (width >= sizeof(p->shown))
		width = sizeof(p->shown) - 1;
	if (b.len > width) {
		size_t n = width;

		while (n && ((unsigned char)b.ptr[n] & 0xc0) == 0x80)
			n--;
		wfm_buf_setlen(&b, n);
	}
	if (strcmp(b.ptr, p->shown)) {
		memcpy(p->shown, b.ptr, b.len + 1);
		draw(p);
	}
	wfm_buf_release(&b);
}

void wfm_ui_progress_end(struct wfm_ui_progress *p)
{
	if (p->tty && p->shown[0]) {
		fputs(CLEAR_LINE, p->out);
		fflush(p->out);
	}
	p->shown[0] = '\0';
}
