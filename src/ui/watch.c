/*
 * The live view of a run (ui/watch.h): a screen redrawn in place on a
 * terminal, plain lines elsewhere, both from the run's events.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/json.h"
#include "engine/run_status.h"
#include "engine/rundir.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/status.h"
#include "ui/watch.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>

/* the width of an agent's line but its label */
#define AGENT_COLUMNS 62
/* how often the events and the run's state are read, in ms */
#define POLL_MS 250

static volatile sig_atomic_t got_signal, resized, suspended;

static void on_signal(int sig)
{
	got_signal = sig;
}

static void on_tstp(int sig)
{
	(void)sig;
	suspended = 1;
}

static void on_winch(int sig)
{
	(void)sig;
	resized = 1;
}

struct watch {
	struct wfm_rundir *run;
	struct wfm_run_status st;
	enum wfm_run_state state; /* from the lock and the control file: ahead of the events */
	pid_t pid;
	int tty;
	struct termios saved;
	int saved_ok;
	unsigned rows, cols;
	long selected;	  /* the phase shown; -1: follow the current one */
	int confirm_stop; /* s was pressed: y stops */
	char note[160];	  /* the answer to the last key */
};

/* ---- plain lines ---- */

static const char *str(const cJSON *ev, const char *key)
{
	return wfm_json_get_str(ev, key, "");
}

static void plain_event(struct watch *w, const cJSON *ev)
{
	const char *type = str(ev, "type"), *state = str(ev, "state");
	struct wfm_buf line = WFM_BUF_INIT;

	if (!strcmp(type, "start")) {
		wfm_buf_addf(&line, "run %s started (session %u)", w->run->id, w->st.sessions);
	} else if (!strcmp(type, "phase")) {
		wfm_buf_addf(&line, "== %s", str(ev, "title"));
	} else if (!strcmp(type, "log")) {
		wfm_buf_adds(&line, str(ev, "message"));
	} else if (!strcmp(type, "agent") && !strcmp(state, "start")) {
		wfm_buf_addf(&line, "agent %s started", str(ev, "label"));
		if (*str(ev, "role") || *str(ev, "model"))
			wfm_buf_addf(&line, " (%s%s%s)", str(ev, "role"),
				     *str(ev, "role") && *str(ev, "model") ? ", " : "",
				     str(ev, "model"));
	} else if (!strcmp(type, "agent") && !strcmp(state, "end")) {
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "refused")))
			wfm_buf_addf(&line, "agent %s not started: the budget", str(ev, "label"));
		else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "failed")))
			wfm_buf_addf(&line, "agent %s failed: %s", str(ev, "label"),
				     *str(ev, "reason") ? str(ev, "reason") : "no reason given");
		else
			wfm_buf_addf(&line, "agent %s finished", str(ev, "label"));
		if (wfm_json_get_num(ev, "tokens", 0) > 0) {
			wfm_buf_adds(&line, ": ");
			wfm_ui_add_tokens(&line, (uint64_t)wfm_json_get_num(ev, "tokens", 0));
			wfm_buf_adds(&line, " tokens");
		}
	} else if (!strcmp(type, "oracle") && !strcmp(state, "end")) {
		wfm_buf_addf(&line, "oracle %s on %s",
			     cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "pass")) ? "passed"
											: "failed",
			     str(ev, "on"));
	} else if (!strcmp(type, "merge") && !strcmp(str(ev, "step"), "landed")) {
		wfm_buf_addf(
			&line,
			"merge queue: batch %.0f: %.0f merged; the integration branch is at %.7s",
			wfm_json_get_num(ev, "batch", 0), wfm_json_get_num(ev, "branches", 0),
			str(ev, "commit"));
	} else if (!strcmp(type, "merge") && !strcmp(str(ev, "step"), "decided") &&
		   !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "merged")) &&
		   strcmp(str(ev, "reason"), "stopped")) {
		wfm_buf_addf(&line, "merge queue: refused %s: %s", str(ev, "branch"),
			     str(ev, "reason"));
	} else if (!strcmp(type, "pause")) {
		wfm_buf_adds(&line, "paused: running agents finish, no new ones start");
	} else if (!strcmp(type, "resume")) {
		wfm_buf_adds(&line, "resumed");
	} else if (!strcmp(type, "stop")) {
		wfm_buf_addf(&line, "stopping: %s", str(ev, "reason"));
	} else if (!strcmp(type, "end")) {
		wfm_buf_addf(&line, "run %s %s", w->run->id, str(ev, "status"));
	}
	if (line.len) {
		/* one event, one line, no escape sequence */
		for (size_t i = 0; i < line.len; i++)
			if ((unsigned char)line.ptr[i] < 0x20 || line.ptr[i] == 0x7f)
				line.ptr[i] =
					line.ptr[i] == '\n' || line.ptr[i] == '\t' ? ' ' : '?';
		printf("%s\n", line.ptr);
	}
	wfm_buf_release(&line);
}

/* ---- the screen ---- */

static void size(struct watch *w)
{
	struct winsize ws;

	w->rows = 24;
	w->cols = 80;
	if (ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 4 && ws.ws_col > 20) {
		w->rows = ws.ws_row;
		w->cols = ws.ws_col;
	}
}

/*
 * What the script named (labels, phases, logs, models) as it may be shown:
 * its control characters, escape sequences' first byte included, as '?'.
 * Returns buf, holding at most size - 1 bytes of s.
 */
static const char *printable(char *buf, size_t size, const char *s)
{
	size_t i;

	for (i = 0; s && s[i] && i + 1 < size; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

/*
 * Ends the line being built in frame at line_start: cut to the width (our
 * escape sequences take no column; one cut short ends with a reset), then
 * cleared to its end.
 */
static void end_line(struct watch *w, struct wfm_buf *frame, size_t line_start, unsigned *row)
{
	size_t n = frame->len - line_start, cols = 0, i;
	int styled = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)frame->ptr[line_start + i];

		if (c == 0x1b) {
			/* ESC [ parameters, then a final byte in @..~ */
			styled = 1;
			for (i += 2; i < n && ((unsigned char)frame->ptr[line_start + i] < 0x40 ||
					       (unsigned char)frame->ptr[line_start + i] > 0x7e);
			     i++)
				;
			continue;
		}
		if ((c & 0xc0) != 0x80 && cols++ == w->cols)
			break;
	}
	if (i < n) {
		wfm_buf_setlen(frame, line_start + i);
		if (styled)
			wfm_buf_adds(frame, "\033[0m");
	}
	wfm_buf_adds(frame, "\033[K");
	(*row)++;
	if (*row < w->rows)
		wfm_buf_adds(frame, "\r\n");
}

#define LINE(...)                                                                                  \
	do {                                                                                       \
		if (row >= w->rows)                                                                \
			break;                                                                     \
		start = frame.len;                                                                 \
		wfm_buf_addf(&frame, __VA_ARGS__);                                                 \
		end_line(w, &frame, start, &row);                                                  \
	} while (0)

static long shown_phase(const struct watch *w)
{
	if (w->selected >= 0 && (size_t)w->selected < w->st.phases_nr)
		return w->selected;
	for (size_t i = 0; i < w->st.phases_nr; i++)
		if (w->st.current_phase && !strcmp(w->st.phases[i].title, w->st.current_phase))
			return (long)i;
	return w->st.phases_nr ? (long)w->st.phases_nr - 1 : -1;
}

static uint64_t elapsed(uint64_t from, uint64_t to, uint64_t now)
{
	if (!from)
		return 0;
	if (!to)
		to = now;
	return to > from ? to - from : 0;
}

/* The agents of the phase, running ones first, then the latest ended: at most max. */
static size_t pick_agents(const struct watch *w, const char *phase, size_t *out, size_t max)
{
	size_t n = 0;

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = w->st.agents_nr; i-- > 0 && n < max;) {
			const struct wfm_run_agent *a = &w->st.agents[i];
			int running = a->state == WFM_RUN_AGENT_RUNNING;

			if (running != !pass || a->state == WFM_RUN_AGENT_REFUSED)
				continue;
			if (phase ? !a->phase || strcmp(a->phase, phase) : a->phase != NULL)
				continue;
			out[n++] = i;
		}
	return n;
}

static void draw(struct watch *w)
{
	struct wfm_buf frame = WFM_BUF_INIT, a = WFM_BUF_INIT, b = WFM_BUF_INIT, c = WFM_BUF_INIT;
	const struct wfm_run_status *st = &w->st;
	uint64_t now = wfm_clock_wall_ms();
	unsigned row = 0, reserved;
	size_t start, *pick, picked, room, all;
	long sel = shown_phase(w);
	const char *phase = sel >= 0 ? st->phases[sel].title : NULL;
	char pid[32] = "", t1[512], t2[128];
	/* the label takes what the other columns leave */
	int lw = w->cols > 16 + AGENT_COLUMNS ? (int)w->cols - AGENT_COLUMNS : 16;
	int has_usd = st->usd > 0 || (st->provider && strcmp(st->provider, "exec"));

	wfm_buf_adds(&frame, "\033[H");
	if (w->pid)
		snprintf(pid, sizeof(pid), "  pid %ld", (long)w->pid);
	wfm_ui_add_clock(&a, elapsed(st->started_ms, st->ended_ms, now));
	LINE("\033[1mrun %s\033[0m  %s  %s%s%s", w->run->id, wfm_run_state_name(w->state), a.ptr,
	     pid, st->sessions > 1 ? "  (resumed)" : "");

	wfm_buf_clear(&a);
	wfm_buf_clear(&b);
	wfm_ui_add_tokens(&a, st->tokens + st->tokens_running);
	if (has_usd)
		wfm_ui_add_usd(&b, st->usd + st->usd_running);
	else
		wfm_buf_adds(&b, "-");
	start = frame.len;
	if (row < w->rows) {
		wfm_buf_addf(&frame, "tokens %s  cost %s  budget: ", a.ptr, b.ptr);
		if (!st->max_tokens && !(st->max_usd > 0))
			wfm_buf_adds(&frame, "none");
		if (st->max_tokens) {
			uint64_t used = st->tokens + st->tokens_running;

			wfm_ui_add_tokens(&frame, used);
			wfm_buf_adds(&frame, " of ");
			wfm_ui_add_tokens(&frame, st->max_tokens);
			wfm_buf_adds(&frame, " tokens, ");
			wfm_ui_add_tokens(&frame,
					  used < st->max_tokens ? st->max_tokens - used : 0);
			wfm_buf_adds(&frame, " left");
		}
		if (st->max_usd > 0) {
			double used = st->usd + st->usd_running;

			wfm_buf_adds(&frame, st->max_tokens ? "; " : "");
			wfm_ui_add_usd(&frame, used);
			wfm_buf_adds(&frame, " of ");
			wfm_ui_add_usd(&frame, st->max_usd);
			wfm_buf_adds(&frame, ", ");
			wfm_ui_add_usd(&frame, used < st->max_usd ? st->max_usd - used : 0);
			wfm_buf_adds(&frame, " left");
		}
		if (st->budget_exhausted)
			wfm_buf_adds(&frame, " (spent: no new work starts)");
		end_line(w, &frame, start, &row);
	}
	wfm_buf_clear(&a);
	wfm_run_status_progress(&a, st);
	LINE("progress: %s", a.ptr);
	LINE("%s", "");

	LINE("\033[1m  %-24s %8s %6s %7s %8s %8s %8s\033[0m", "PHASE", "RUNNING", "DONE", "FAILED",
	     "TOKENS", "COST", "TIME");
	for (size_t i = 0; i < st->phases_nr; i++) {
		const struct wfm_run_phase *p = &st->phases[i];

		wfm_buf_clear(&a);
		wfm_buf_clear(&b);
		wfm_buf_clear(&c);
		wfm_ui_add_tokens(&a, p->tokens);
		if (has_usd)
			wfm_ui_add_usd(&b, p->usd);
		else
			wfm_buf_adds(&b, "-");
		wfm_ui_add_clock(&c, elapsed(p->started_ms, p->ended_ms, now));
		LINE("%s%c %-24.24s %8lu %6lu %7lu %8s %8s %8s%s", (long)i == sel ? "\033[7m" : "",
		     (long)i == sel ? '>' : ' ', printable(t1, sizeof(t1), p->title), p->running,
		     p->done, p->failed, a.ptr, b.ptr, c.ptr, (long)i == sel ? "\033[0m" : "");
	}
	if (!st->phases_nr)
		LINE("  %s", st->ended || st->sessions ? "(no phase yet)" : "(no events yet)");
	LINE("%s", "");

	/* the merge queue and the keys take the last lines; the agents what is left */
	reserved = 5;
	room = row + reserved + 2 < w->rows ? w->rows - row - reserved - 2 : 0;
	/* all of the phase's, to say how many are not listed */
	pick = wfm_calloc(st->agents_nr ? st->agents_nr : 1, sizeof(*pick));
	all = pick_agents(w, phase, pick, st->agents_nr);
	picked = all < room ? all : room;
	LINE("\033[1m  agents of %s\033[0m%s", phase ? printable(t1, sizeof(t1), phase) : "the run",
	     picked < all ? " (the latest; a taller terminal shows more)" : "");
	LINE("\033[1m  %-8s %-*s %-16s %8s %6s %6s %8s\033[0m", "STATE", lw, "LABEL", "MODEL",
	     "TOKENS", "TURNS", "TOOLS", "TIME");
	for (size_t k = 0; k < picked; k++) {
		const struct wfm_run_agent *ag = &st->agents[pick[k]];

		wfm_buf_clear(&a);
		wfm_buf_clear(&b);
		wfm_ui_add_tokens(&a, ag->tokens);
		wfm_ui_add_clock(&b, elapsed(ag->started_ms, ag->ended_ms, now));
		LINE("  %-8s %-*.*s %-16.16s %8s %6u %6u %8s", wfm_run_agent_state_name(ag->state),
		     lw, lw, printable(t1, sizeof(t1), ag->label),
		     printable(t2, sizeof(t2), ag->model ? ag->model : "-"), a.ptr, ag->turns,
		     ag->tool_calls, b.ptr);
	}
	if (!picked)
		LINE("  %s", "(none)");
	free(pick);
	LINE("%s", "");

	wfm_buf_clear(&a);
	if (st->mq_testing) {
		wfm_buf_addf(&a, "; testing %s ", st->mq_testing);
		wfm_ui_add_clock(&a, elapsed(st->mq_test_started, 0, now));
	}
	LINE("merge queue: %lu queued, %lu batch%s, %lu merged, %lu refused%s", st->mq_queued,
	     st->mq_batches, st->mq_batches == 1 ? "" : "es", st->mq_merged, st->mq_refused, a.ptr);
	LINE("last: %s", printable(t1, sizeof(t1), st->last_log ? st->last_log : "-"));
	if (w->note[0])
		LINE("%s", w->note);
	else
		LINE("%s", "");
	LINE("\033[2mkeys: up/down j/k tab phase   p %s   s stop   q quit watch (the run goes "
	     "on)\033[0m",
	     w->state == WFM_RUN_STATE_PAUSED ? "resume" : "pause");
	wfm_buf_adds(&frame, "\033[J");
	fwrite(frame.ptr, 1, frame.len, stdout);
	fflush(stdout);
	wfm_buf_release(&frame);
	wfm_buf_release(&a);
	wfm_buf_release(&b);
	wfm_buf_release(&c);
}

/* ---- the terminal ---- */

static void screen_enter(struct watch *w)
{
	struct termios raw;

	if (tcgetattr(0, &w->saved) == 0) {
		w->saved_ok = 1;
		raw = w->saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		tcsetattr(0, TCSANOW, &raw);
	}
	/* the alternate screen, the cursor hidden */
	fputs("\033[?1049h\033[?25l\033[H\033[J", stdout);
	fflush(stdout);
}

static void screen_leave(struct watch *w)
{
	fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	if (w->saved_ok)
		tcsetattr(0, TCSANOW, &w->saved);
	w->saved_ok = 0;
}

/* ---- keys ---- */

static void select_phase(struct watch *w, int step)
{
	long n = (long)w->st.phases_nr, cur = shown_phase(w);

	if (!n)
		return;
	cur = cur < 0 ? 0 : cur + step;
	if (cur < 0)
		cur = n - 1;
	if (cur >= n)
		cur = 0;
	w->selected = cur;
}

static void control(struct watch *w, enum wfm_control c, const char *what)
{
	if (wfm_control_set(w->run->commondir, w->run->id, c) < 0)
		snprintf(w->note, sizeof(w->note), "error: %s", wfm_error_last());
	else
		snprintf(w->note, sizeof(w->note), "%s", what);
	w->state = wfm_rundir_state(w->run, &w->pid);
}

/* Returns 1 when the user leaves. */
static int key(struct watch *w, const char *k, size_t n)
{
	int confirm = w->confirm_stop;

	w->confirm_stop = 0;
	if (n >= 3 && k[0] == '\033' && k[1] == '[') {
		if (k[2] == 'A')
			select_phase(w, -1);
		else if (k[2] == 'B')
			select_phase(w, 1);
		else if (k[2] == 'Z')
			select_phase(w, -1);
		return 0;
	}
	switch (k[0]) {
	case 'q':
	case 'Q':
		return 1;
	case 'k':
		select_phase(w, -1);
		break;
	case 'j':
	case '\t':
		select_phase(w, 1);
		break;
	case 'p':
		if (!wfm_run_state_live(w->state))
			snprintf(w->note, sizeof(w->note), "the run is not running");
		else if (w->state == WFM_RUN_STATE_STOPPING)
			snprintf(w->note, sizeof(w->note), "the run is stopping");
		else if (w->state == WFM_RUN_STATE_PAUSED)
			control(w, WFM_CONTROL_RUN, "asked the run to go on");
		else
			control(w, WFM_CONTROL_PAUSE,
				"asked the run to pause: running agents finish, no new ones start");
		break;
	case 's':
		if (!wfm_run_state_live(w->state) || w->state == WFM_RUN_STATE_STOPPING) {
			snprintf(w->note, sizeof(w->note), "the run is %s",
				 wfm_run_state_name(w->state));
			break;
		}
		w->confirm_stop = 1;
		snprintf(
			w->note, sizeof(w->note),
			"stop run %s? y stops it ('git wfmigrate resume' goes on later), any other "
			"key does not",
			w->run->id);
		break;
	case 'y':
	case 'Y':
		if (confirm)
			control(w, WFM_CONTROL_STOP, "asked the run to stop");
		else
			w->note[0] = '\0';
		break;
	default:
		w->note[0] = '\0';
		break;
	}
	return 0;
}

/* ---- the loop ---- */

static int outcome(const struct watch *w)
{
	return w->state == WFM_RUN_STATE_DONE ? WFM_EXIT_OK : WFM_EXIT_FAILURE;
}

static int follow_plain(struct watch *w)
{
	int rc;

	printf("watching run %s (%s)\n", w->run->id, wfm_run_state_name(w->state));
	fflush(stdout);
	for (;;) {
		cJSON *evs = NULL, *ev;
		int live = wfm_run_state_live(w->state);

		if ((rc = wfm_run_status_update(&w->st, &evs)) < 0)
			return wfm_ui_error_lib(rc);
		cJSON_ArrayForEach (ev, evs)
			plain_event(w, ev);
		cJSON_Delete(evs);
		if (fflush(stdout) == EOF || ferror(stdout))
			return WFM_EXIT_FAILURE; /* nobody reads: main says why */
		/* read once more after the process is gone: its last events are in */
		if (!live)
			break;
		if (got_signal)
			return 128 + got_signal;
		poll(NULL, 0, POLL_MS);
		w->state = wfm_rundir_state(w->run, &w->pid);
	}
	if (!w->st.ended)
		printf("run %s %s\n", w->run->id, wfm_run_state_name(w->state));
	return outcome(w);
}

/*
 * What stays on the terminal once the view is gone with the run: its
 * outcome, its figures (its report's, which has the last word) and its
 * phases.
 */
static void print_summary(struct watch *w)
{
	struct wfm_buf a = WFM_BUF_INIT, b = WFM_BUF_INIT;
	const struct wfm_run_status *st = &w->st;
	char t[128];

	if (wfm_run_status_read_report(&w->st, w->run) < 0)
		wfm_ui_warning("%s", wfm_error_last());
	wfm_run_status_progress(&a, st);
	wfm_buf_adds(&a, ", ");
	wfm_ui_add_tokens(&a, st->tokens);
	wfm_buf_adds(&a, " tokens");
	if (st->usd > 0 || (st->provider && strcmp(st->provider, "exec"))) {
		wfm_buf_adds(&a, ", ");
		wfm_ui_add_usd(&a, st->usd);
	}
	printf("run %s %s: %s\n", w->run->id, wfm_run_state_name(w->state), a.ptr);
	for (size_t i = 0; i < st->phases_nr; i++) {
		const struct wfm_run_phase *p = &st->phases[i];

		wfm_buf_clear(&b);
		wfm_ui_add_clock(&b, elapsed(p->started_ms, p->ended_ms, st->last_ms));
		wfm_buf_adds(&b, ", ");
		wfm_ui_add_tokens(&b, p->tokens);
		printf("  %s: %lu agents done, %lu failed; %s tokens\n",
		       printable(t, sizeof(t), p->title), p->done, p->failed, b.ptr);
	}
	if (st->mq_queued)
		printf("  merge queue: %lu merged, %lu refused in %lu batch%s\n", st->mq_merged,
		       st->mq_refused, st->mq_batches, st->mq_batches == 1 ? "" : "es");
	wfm_buf_release(&a);
	wfm_buf_release(&b);
}

static int follow_screen(struct watch *w)
{
	uint64_t drawn = 0;
	int rc = 0, quit = 0, dirty = 1;

	size(w);
	screen_enter(w);
	for (;;) {
		struct pollfd in = { .fd = 0, .events = POLLIN };
		int live = wfm_run_state_live(w->state);
		uint64_t now;

		if (suspended) {
			/* Ctrl-Z: the terminal as it was, stopped, then the view again */
			struct sigaction dfl = { 0 }, mine;

			suspended = 0;
			screen_leave(w);
			dfl.sa_handler = SIG_DFL;
			sigemptyset(&dfl.sa_mask);
			sigaction(SIGTSTP, &dfl, &mine);
			raise(SIGTSTP);
			sigaction(SIGTSTP, &mine, NULL);
			screen_enter(w);
			size(w);
			dirty = 1;
		}
		if ((rc = wfm_run_status_update(&w->st, NULL)) < 0)
			break;
		dirty |= rc;
		if (resized) {
			resized = 0;
			size(w);
			fputs("\033[H\033[J", stdout);
			dirty = 1;
		}
		now = wfm_clock_mono_ms();
		if (dirty || now - drawn >= 1000) {
			draw(w);
			drawn = now;
			dirty = 0;
		}
		if (!live || quit || got_signal)
			break;
		if (poll(&in, 1, POLL_MS) > 0) {
			char k[16];
			ssize_t n = read(0, k, sizeof(k));

			if (n > 0) {
				quit = key(w, k, (size_t)n);
				dirty = 1;
			} else if (n == 0) {
				quit = 1; /* the terminal is gone */
			}
		}
		w->state = wfm_rundir_state(w->run, &w->pid);
	}
	screen_leave(w);
	if (rc < 0)
		return wfm_ui_error_lib(rc);
	if (got_signal)
		return 128 + got_signal;
	if (quit) {
		fprintf(stderr, "run %s goes on (%s); 'git wfmigrate watch %s' shows it again\n",
			w->run->id, wfm_run_state_name(w->state), w->run->id);
		return WFM_EXIT_OK;
	}
	print_summary(w);
	return outcome(w);
}

int wfm_ui_watch(struct wfm_rundir *run)
{
	struct watch w;
	struct sigaction sa = { 0 }, old_int, old_term, old_hup, old_winch, old_tstp;
	char *events = wfm_rundir_file(run, "events.jsonl");
	const char *term = getenv("TERM");
	int ret;

	memset(&w, 0, sizeof(w));
	w.run = run;
	w.selected = -1;
	wfm_run_status_init(&w.st, events);
	free(events);
	w.state = wfm_rundir_state(run, &w.pid);
	w.tty = isatty(0) && isatty(1) && term && *term && strcmp(term, "dumb");

	got_signal = 0;
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	sa.sa_handler = on_winch;
	sigaction(SIGWINCH, &sa, &old_winch);
	sa.sa_handler = w.tty ? on_tstp : SIG_DFL; /* plain lines: Ctrl-Z as for any program */
	sigaction(SIGTSTP, &sa, &old_tstp);
	signal(SIGPIPE, SIG_IGN);

	ret = w.tty ? follow_screen(&w) : follow_plain(&w);

	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	sigaction(SIGWINCH, &old_winch, NULL);
	sigaction(SIGTSTP, &old_tstp, NULL);
	wfm_run_status_release(&w.st);
	return ret;
}
