#include "base/common.h"
#include "base/buf.h"
#include "base/regex.h"
#include "oracle/lines.h"
#include "oracle/summary.h"

/*
 * The output is cut into cleaned lines first (oracle/lines.h), then read
 * from the end: the first line that anchors a format decides it, and that
 * format's reader looks at the lines around the anchor.
 */

#define PYTEST_WORD "(?:passed|failed|skipped|errors?|xfailed|xpassed|deselected|warnings?|rerun)"

enum {
	RE_CTEST,
	RE_PYTEST,
	RE_CMOCKA_RUN,
	RE_TAP,
	RE_GO,
	RE_PLAIN,
	/* not anchors: read around one */
	RE_CTEST_SKIP,
	RE_PYTEST_ITEM,
	RE_CMOCKA_COUNT,
	RE_TAP_FILE,
	RE_NR,
};

static const struct {
	const char *pattern;
	unsigned flags;
} patterns[RE_NR] = {
	[RE_CTEST] = { "^(\\d+)% tests passed, (\\d+) tests? failed out of (\\d+)$", 0 },
	[RE_PYTEST] = { "^(?:=+ )?((?:\\d+ " PYTEST_WORD ")(?:, \\d+ " PYTEST_WORD
			")*|no tests ran) in \\d+(?:\\.\\d+)?s(?: \\([^)]*\\))?(?: =+)?$",
			0 },
	[RE_CMOCKA_RUN] = { "^\\[==========\\] (?:\\S+: )?(\\d+) test\\(s\\) run\\.$", 0 },
	[RE_TAP] = { "^Files=(\\d+), Tests=(\\d+)(?:,|$)", 0 },
	[RE_GO] = { "^(ok|FAIL|\\?)\\s+\\S+\\s+(?:\\d+(?:\\.\\d+)?s|\\(cached\\)|\\[no test "
		    "files\\]|\\[build failed\\]|\\[setup failed\\])(?:\\s.*)?$",
		    0 },
	[RE_PLAIN] = { "^(?:[\\w-]+:\\s*)?(\\d+) passed, (\\d+) failed(?:, (\\d+) skipped)?\\.?$",
		       WFM_REGEX_CASELESS },
	[RE_CTEST_SKIP] = { "^\\s*\\d+ - .+ \\(Skipped\\)$", 0 },
	[RE_PYTEST_ITEM] = { "(\\d+) (" PYTEST_WORD ")", 0 },
	[RE_CMOCKA_COUNT] = { "^\\[  (PASSED|FAILED|SKIPPED|ERROR) *\\] (\\d+) test\\(s\\)", 0 },
	[RE_TAP_FILE] = { "\\(Wstat: .* Tests: \\d+ Failed: (\\d+)\\)$", 0 },
};

struct parser {
	struct wfm_regex *re[RE_NR];
	struct wfm_out_lines lines;
};

static const char *line_at(const struct parser *p, size_t i)
{
	return wfm_out_line(&p->lines, i);
}

static int match(const struct parser *p, int which, size_t i, size_t offset,
		 struct wfm_regex_match *m)
{
	return wfm_regex_match(p->re[which], line_at(p, i), p->lines.v[i].len, offset, m);
}

static unsigned long group(const char *s, const struct wfm_regex_match *m, int g)
{
	if (m->start[g] < 0)
		return 0;
	return strtoul(s + m->start[g], NULL, 10);
}

static void read_ctest(struct parser *p, size_t at, const struct wfm_regex_match *m,
		       struct wfm_summary *s)
{
	const char *l = line_at(p, at);

	s->failed = group(l, m, 2);
	s->total = group(l, m, 3);
	/* "The following tests did not run:" comes after the summary line */
	for (size_t i = at + 1; i < p->lines.nr; i++)
		if (match(p, RE_CTEST_SKIP, i, 0, NULL) == 1)
			s->skipped++;
	if (s->failed > s->total)
		s->failed = s->total;
	if (s->skipped > s->total - s->failed)
		s->skipped = s->total - s->failed;
	s->passed = s->total - s->failed - s->skipped;
}

static void read_pytest(struct parser *p, size_t at, struct wfm_summary *s)
{
	const char *l = line_at(p, at);
	struct wfm_regex_match m;
	size_t off = 0;

	while (match(p, RE_PYTEST_ITEM, at, off, &m) == 1) {
		unsigned long n = group(l, &m, 1);
		const char *w = l + m.start[2];
		size_t wl = (size_t)(m.end[2] - m.start[2]);

		if (wl == 6 && !memcmp(w, "passed", 6))
			s->passed += n;
		else if (wl == 7 && !memcmp(w, "xpassed", 7))
			s->passed += n;
		else if ((wl == 6 && !memcmp(w, "failed", 6)) ||
			 (wl >= 5 && !memcmp(w, "error", 5)))
			s->failed += n;
		else if (wl == 7 && (!memcmp(w, "skipped", 7) || !memcmp(w, "xfailed", 7)))
			s->skipped += n;
		off = (size_t)m.end[0];
	}
	s->total = s->passed + s->failed + s->skipped;
}

static void read_cmocka(struct parser *p, size_t at, const struct wfm_regex_match *m,
			struct wfm_summary *s)
{
	const char *l = line_at(p, at);
	int have_passed = 0;

	s->total = group(l, m, 1);
	for (size_t i = at + 1; i < p->lines.nr; i++) {
		struct wfm_regex_match c;
		const char *li = line_at(p, i);

		if (!strncmp(li, "[==========]", 12))
			break; /* the next group */
		if (match(p, RE_CMOCKA_COUNT, i, 0, &c) != 1)
			continue;
		switch (li[c.start[1]]) {
		case 'P':
			s->passed = group(li, &c, 2);
			have_passed = 1;
			break;
		case 'F':
		case 'E':
			s->failed += group(li, &c, 2);
			break;
		case 'S':
			s->skipped = group(li, &c, 2);
			break;
		}
	}
	if (!have_passed && s->total >= s->failed + s->skipped)
		s->passed = s->total - s->failed - s->skipped;
}

static void read_tap(struct parser *p, size_t at, const struct wfm_regex_match *m,
		     struct wfm_summary *s)
{
	const char *l = line_at(p, at);

	s->total = group(l, m, 2);
	/* the Test Summary Report sits just above, back to the previous run's Files= line */
	for (size_t i = at; i-- > 0;) {
		struct wfm_regex_match f;

		if (match(p, RE_TAP, i, 0, NULL) == 1)
			break;
		if (match(p, RE_TAP_FILE, i, 0, &f) == 1)
			s->failed += group(line_at(p, i), &f, 1);
	}
	if (s->failed > s->total)
		s->failed = s->total;
	s->passed = s->total - s->failed;
}

static void read_go(struct parser *p, struct wfm_summary *s)
{
	/* package lines are scattered among the tests' output: count them all */
	for (size_t i = 0; i < p->lines.nr; i++) {
		struct wfm_regex_match g;
		const char *l;

		if (match(p, RE_GO, i, 0, &g) != 1)
			continue;
		l = line_at(p, i);
		if (l[0] == 'o')
			s->passed++;
		else if (l[0] == 'F')
			s->failed++;
		else
			s->skipped++;
	}
	s->total = s->passed + s->failed + s->skipped;
}

static void read_plain(struct parser *p, size_t at, const struct wfm_regex_match *m,
		       struct wfm_summary *s)
{
	const char *l = line_at(p, at);

	s->passed = group(l, m, 1);
	s->failed = group(l, m, 2);
	s->skipped = group(l, m, 3);
	s->total = s->passed + s->failed + s->skipped;
}

static int find(struct parser *p, struct wfm_summary *s)
{
	static const struct {
		int re;
		enum wfm_summary_format format;
	} anchors[] = {
		{ RE_CTEST, WFM_SUMMARY_CTEST },
		{ RE_PYTEST, WFM_SUMMARY_PYTEST },
		{ RE_CMOCKA_RUN, WFM_SUMMARY_CMOCKA },
		{ RE_TAP, WFM_SUMMARY_TAP },
		{ RE_GO, WFM_SUMMARY_GO },
		{ RE_PLAIN, WFM_SUMMARY_PLAIN },
	};

	for (size_t i = p->lines.nr; i-- > 0;) {
		if (!p->lines.v[i].len)
			continue;
		for (size_t a = 0; a < WFM_ARRAY_SIZE(anchors); a++) {
			struct wfm_regex_match m;
			int rc = match(p, anchors[a].re, i, 0, &m);

			if (rc < 0)
				return rc;
			if (!rc)
				continue;
			s->format = anchors[a].format;
			switch (s->format) {
			case WFM_SUMMARY_CTEST:
				read_ctest(p, i, &m, s);
				break;
			case WFM_SUMMARY_PYTEST:
				read_pytest(p, i, s);
				break;
			case WFM_SUMMARY_CMOCKA:
				read_cmocka(p, i, &m, s);
				break;
			case WFM_SUMMARY_TAP:
				read_tap(p, i, &m, s);
				break;
			case WFM_SUMMARY_GO:
				read_go(p, s);
				break;
			case WFM_SUMMARY_PLAIN:
				read_plain(p, i, &m, s);
				break;
			case WFM_SUMMARY_NONE:
				break;
			}
			return 1;
		}
	}
	return 0;
}

int wfm_summary_parse(struct wfm_summary *out, const char *text, size_t len)
{
	struct parser p = { { NULL }, WFM_OUT_LINES_INIT };
	int ret = 0;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < RE_NR; i++) {
		ret = wfm_regex_compile(&p.re[i], patterns[i].pattern, patterns[i].flags);
		if (ret < 0)
			goto done;
	}
	wfm_out_lines_split(&p.lines, text, len);
	ret = find(&p, out);
	if (ret <= 0)
		memset(out, 0, sizeof(*out));
done:
	for (int i = 0; i < RE_NR; i++)
		wfm_regex_free(p.re[i]);
	wfm_out_lines_release(&p.lines);
	return ret;
}

const char *wfm_summary_format_name(enum wfm_summary_format format)
{
	switch (format) {
	case WFM_SUMMARY_PLAIN:
		return "plain";
	case WFM_SUMMARY_CTEST:
		return "ctest";
	case WFM_SUMMARY_PYTEST:
		return "pytest";
	case WFM_SUMMARY_CMOCKA:
		return "cmocka";
	case WFM_SUMMARY_TAP:
		return "tap";
	case WFM_SUMMARY_GO:
		return "go";
	case WFM_SUMMARY_NONE:
		break;
	}
	return "none";
}

void wfm_summary_describe(struct wfm_buf *out, const struct wfm_summary *s)
{
	wfm_buf_addf(out, "%lu %spassed, %lu failed", s->passed,
		     s->format == WFM_SUMMARY_GO ? "packages " : "", s->failed);
	if (s->skipped)
		wfm_buf_addf(out, ", %lu skipped", s->skipped);
}
