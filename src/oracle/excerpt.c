#include "base/common.h"
#include "base/buf.h"
#include "base/regex.h"
#include "base/strvec.h"
#include "oracle/excerpt.h"
#include "oracle/lines.h"

#include <pthread.h>

/*
 * The table that scores a line: the first row whose pattern matches
 * decides, so a specific row (make's "Error N" wrapper, "collect2: error:
 * ld returned 1 exit status", a passing test whose name holds "error")
 * stands before the generic one it would otherwise fall into. Scores:
 *
 *   100  compiler and linker errors with file:line
 *    97  panics, crashes, sanitizers
 *    96  exceptions with a message
 *    9x  failed assertions and their location (cmocka, go test, pytest)
 *    8x  a failed test's name (--- FAIL, not ok, ●, ✖, ***Failed, FAILED x::y)
 *    86  a program's own fatal message ("./minigzip: out of memory")
 *    75  expected and actual values
 *    4x  stack frames and other locations
 *    1x  summaries and wrappers that say little
 *     0  nothing in particular: commands echoed, passing tests
 *    <0  noise: never picked
 *
 * next: the next line that is not blank scores at least this much (the
 * message a Rust panic or a JavaScript assertion prints on the line after
 * its header). last: between lines of equal score, the later one first
 * (a traceback's innermost frame).
 */
#define NOISE (-1)
#define CASELESS 1u
#define LAST 2u

struct row {
	const char *pattern;
	int score;
	int next;
	unsigned flags;
};

#define EXC "(?:[\\w$]+\\.)*(?:[A-Z]\\w*)?(?:Error|Exception)(?: \\[\\w+\\])?"
#define MAKE "^\\s*\\S*make(?:\\[\\d+\\])?: "

static const struct row rows[] = {
	/* ---- noise: wrappers of a failure shown above them, decoration, snippets ---- */
	{ MAKE "\\*\\*\\* (?:\\[.*\\] Error \\d+|Waiting for unfinished jobs)", NOISE, 0, 0 },
	{ MAKE "(?:Entering|Leaving) directory ", NOISE, 0, 0 },
	{ MAKE "(?:Nothing to be done for |\\[.*\\] Error \\d+ \\(ignored\\))", NOISE, 0, 0 },
	{ "^\\S*[Mm]akefile[\\w.-]*:\\d+: recipe for target .* failed$", NOISE, 0, 0 },
	{ "^(?:\\*\\*\\* Error code \\d+|Stop\\.|\\S*make(?:\\[\\d+\\])?: stopped in )", NOISE, 0,
	  0 },
	{ "^ninja: build stopped: ", NOISE, 0, 0 },
	{ "^(?:Errors while running CTest|Output from these tests are in: |Use \"--rerun-failed "
	  "|Total Test time \\(real\\))",
	  NOISE, 0, 0 },
	{ "^(?:error: test failed, to rerun pass |note: run with .RUST_BACKTRACE=)", NOISE, 0, 0 },
	{ "^Ran all test suites", NOISE, 0, 0 },
	/* source snippets and carets (gcc, clang, rustc, jest) */
	{ "^\\s*(?:>\\s*)?\\d+\\s*\\|", NOISE, 0, 0 },
	{ "^\\s*\\|", NOISE, 0, 0 },
	{ "^E\\s*[^\\w\\s]*$", NOISE, 0, 0 },
	{ "^\\s*\\?\\?\\?$", NOISE, 0, 0 },
	/* stack frames inside the runtime */
	{ "^\\s*at (?:.*\\((?:node:|<anonymous>\\))|node:|new Promise |async Promise)", NOISE, 0,
	  0 },
	{ "^\\s*at .*[/(]node_modules/", NOISE, 0, 0 },
	/* ---- say little ---- */
	{ "^npm (?:ERR!|error) ", 5, 0, 0 },
	{ "^\\s*(?:generatedMessage|code|operator|failureType|duration_ms|exitCode|timeout|command|"
	  "compare|severity|args|env|stack|source|type|name):",
	  5, 0, 0 },
	{ "^<frozen ", 5, 0, 0 },
	/* ---- nothing in particular: commands echoed, passing tests, progress ---- */
	{ "^\\s*(?:\\+ )?(?:\\S*/)?(?:gcc|g\\+\\+|c\\+\\+|cc|clang|clang\\+\\+|ld|ar|ranlib|"
	  "libtool|install|mkdir|cp|rm|mv|ln|sed|javac|rustc|cmake|ctest)(?:-[\\d.]+)?\\s",
	  0, 0, 0 },
	{ "^(?:libtool: (?:link|compile|install): |/bin/(?:ba)?sh \\S*libtool |\\[\\s*\\d+%\\] )",
	  0, 0, 0 },
	{ "^\\s*(?:ok \\d+|--- (?:PASS|SKIP): |=== (?:RUN|PAUSE|CONT|NAME) |✔ |PASS(?:ED)?\\b|"
	  "\\[\\s*(?:OK|PASSED|RUN|SKIPPED|==========|----------)\\s*\\])",
	  0, 0, 0 },
	{ "^test .* \\.\\.\\. (?:ok|ignored)$", 0, 0, 0 },
	{ "\\s+Passed\\s+[\\d.]+ sec$", 0, 0, 0 },
	{ "^ok\\s+\\S+\\s+(?:[\\d.]+s|\\(cached\\))", 0, 0, 0 },
	{ "^\\s*(?:Start\\s+\\d+: |Compiling |Finished |Running |Doc-tests |running \\d+ tests?$)",
	  0, 0, 0 },
	/* ---- test runners: failed tests and assertions ---- */
	{ "\\*\\*\\*(?:Failed|Exception|Timeout|Not Run)\\b", 84, 0, 0 },
	{ "^\\s*\\d+ - \\S.* \\((?:Failed|SEGFAULT|Timeout|Subprocess aborted|Child "
	  "aborted|Exception|"
	  "OTHER_FAULT|ILLEGAL|INTERRUPT|NUMERICAL|BUS_ERROR|Not Run)\\)$",
	  78, 0, 0 },
	{ "\\d+% tests passed, \\d+ tests? failed|^The following tests FAILED:$", 20, 0, 0 },
	/* the summary the oracle reports anyway (summary.h) */
	{ "^(?:[\\w-]+:\\s*)?\\d+ passed, \\d+ failed(?:, \\d+ skipped)?\\.?$", 15, 0, CASELESS },
	{ "^\\[\\s*ERROR\\s*\\] --- ", 94, 0, 0 },
	{ "^\\[\\s*LINE\\s*\\] --- ", 90, 0, 0 },
	{ "^\\[\\s*FAILED\\s*\\] .*\\d+ test\\(s\\)|^\\s*\\d+ FAILED TEST\\(S\\)$", 20, 0, 0 },
	{ "^\\[\\s*FAILED\\s*\\] \\S", 82, 0, 0 },
	{ "^\\s*not ok \\d+.*#\\s*(?:TODO|SKIP)", 10, 0, CASELESS },
	{ "^\\s*not ok \\d+", 88, 0, 0 },
	{ "^\\s*#\\s+Failed test\\b", 88, 0, 0 },
	{ "^\\s*#\\s+at .* line \\d+\\.$", 60, 0, 0 },
	{ "^\\s*# ?(?:failed \\d+|Looks like you failed|tests \\d+|pass \\d+|fail \\d+)", 20, 0,
	  0 },
	{ "^\\s*message: \\S", 80, 0, 0 },
	{ "^\\s*error: [|>]-?$", 10, 80, 0 },
	{ "^\\s*error: '.*'$", 60, 0, 0 },
	{ "^\\s*location: '", 45, 0, 0 },
	{ "^\\s+\\S+_test\\.go:\\d+: \\S", 92, 0, 0 },
	{ "^\\s*--- FAIL: ", 88, 0, 0 },
	{ "^FAIL\\s+\\S+\\s+(?:[\\d.]+s|\\[build failed\\]|\\[setup failed\\])$", 40, 0, 0 },
	{ "^FAIL$", 10, 0, 0 },
	{ "^test .* \\.\\.\\. FAILED$", 86, 0, 0 },
	{ "^test result: FAILED\\.|^---- .* stdout ----$", 30, 0, 0 },
	{ "^error: (?:could not compile |\\d+ targets? failed)", 15, 0, 0 },
	{ "^\\s*● Test suite failed to run", 80, 92, 0 },
	{ "^\\s*● ", 88, 0, 0 },
	{ "^\\s*FAIL\\s+\\S+$", 70, 0, 0 },
	{ "^(?:Test Suites|Tests|Snapshots|Time):\\s", 20, 0, 0 },
	{ "^\\s*✖ failing tests:", 10, 0, 0 },
	{ "^\\s*✖ ", 86, 0, 0 },
	{ "^\\s*ℹ ", 10, 0, 0 },
	{ "^(?:FAILED|ERROR) \\S+ - \\S", 93, 0, 0 },
	{ "^(?:FAILED|ERROR) \\S+$", 80, 0, 0 },
	{ "^_{3,} .* _{3,}$", 40, 0, 0 },
	{ "^=+ .* =+$", 15, 0, 0 },
	{ "^!+ .* !+$", 20, 0, 0 },
	{ "^E\\s+File \".*\", line \\d+", 82, 0, 0 },
	{ "^E\\s+assert\\b", 94, 0, 0 },
	{ "^\\S+:\\d+: (?:[\\w.]*(?:Error|Exception)|Failed)$", 60, 0, 0 },
	{ "^\\S+:\\d+: in \\S+$", 35, 0, LAST },
	{ "^>\\s{3,}\\S", 50, 0, 0 },
	{ "^collected \\d+ items?\\b", 15, 0, 0 },
	/* ---- panics and crashes ---- */
	{ "\\bpanicked at .*:$", 97, 95, 0 },
	{ "\\bpanicked at\\b|^panic: |^fatal error: |^Exception in thread |: runtime error: ", 97,
	  0, 0 },
	{ "\\b(?:segmentation fault|segfault|bus error|illegal instruction|floating point "
	  "exception|"
	  "core dumped|stack smashing detected|double free or corruption|AddressSanitizer|"
	  "LeakSanitizer|ThreadSanitizer|MemorySanitizer|UndefinedBehaviorSanitizer)\\b",
	  97, 0, CASELESS },
	{ "^(?:Aborted|Killed|Terminated)(?: \\(core dumped\\))?$", 90, 0, 0 },
	/* ---- compilers and linkers ---- */
	{ ": undefined reference to |: multiple definition of |\\bcannot find -l\\S|"
	  "^Undefined symbols for architecture ",
	  99, 0, 0 },
	{ "^\\s*[^\\s:][^:]*:\\d+(?::\\d+)?: (?:fatal )?error\\b", 100, 0, 0 },
	{ "^\\S+\\(\\d+(?:,\\d+)?\\): (?:fatal )?error\\b", 100, 0, 0 },
	{ "^\\S+\\.go:\\d+:\\d+: \\S", 95, 0, 0 },
	{ "^error(?:\\[E\\d+\\])?: ", 95, 0, 0 },
	{ "^\\s*--> \\S+:\\d+:\\d+$", 60, 0, 0 },
	{ "^\\S+: In (?:function|member function|constructor|destructor|instantiation) ", 30, 0,
	  0 },
	{ "^In file included from |^\\s+from \\S+:\\d+[,:]$", 10, 0, 0 },
	{ ":\\d+(?::\\d+)?: warning\\b", 35, 0, 0 },
	{ ":\\d+(?::\\d+)?: note\\b", 20, 0, 0 },
	{ "^\\S*ld: .*: in function ", 50, 0, 0 },
	{ "^collect2: error: ld returned ", 15, 0, 0 },
	{ "^cc1\\w*: all warnings being treated as errors", 30, 0, 0 },
	{ "^\\d+ (?:warnings? and \\d+ )?errors? generated\\.$", 10, 0, 0 },
	{ "^\\d+ warnings? generated\\.$", 5, 0, 0 },
	{ MAKE "\\*\\*\\* ", 80, 0, 0 },
	{ "^\\S*[Mm]akefile[\\w.-]*:\\d+: \\*\\*\\* ", 80, 0, 0 },
	/* ---- exceptions and assertions ---- */
	{ "^\\s*(?:E\\s+)?(?:Uncaught )?" EXC ": .*:$", 96, 95, 0 },
	{ "^\\s*(?:E\\s+)?(?:Uncaught )?" EXC ": \\S", 96, 0, 0 },
	{ "^\\s*(?:E\\s+)?(?:[\\w$]+\\.)*[A-Z]\\w*(?:Error|Exception)$", 70, 0, 0 },
	{ "\\bAssertion [`'\"].*[`'\"] failed\\.?$", 95, 0, 0 },
	{ "^\\s*assertion\\b.*\\bfailed\\b", 94, 0, CASELESS },
	/* ---- a program's own fatal message: "./minigzip: out of memory" ---- */
	{ "^\\s*(?:\\S*/)?[\\w.+-]+:(?: line \\d+:| \\d+:)? (?:[^:]*: )?(?:out of memory|cannot "
	  "|can't |"
	  "could not |couldn't |unable to |no such |permission denied|not found|fatal|killed|"
	  "aborted|error|failed|failure|invalid |bad |illegal |unexpected |undefined |mismatch|"
	  "missing |refused|timed out|timeout|overflow|corrupt)",
	  86, 0, CASELESS },
	/* ---- expected and actual values ---- */
	{ "^\\s*(?:#\\s*)?(?:expected|received|actual|got|wanted|want|found|left|right)"
	  "(?: [\\w ]+)?\\s*:\\s*\\S",
	  75, 0, CASELESS },
	{ "^\\s*(?:'.*'|\".*\"|-?[\\d.]+|true|false|null|undefined) !==? "
	  "(?:'.*'|\".*\"|-?[\\d.]+|true|false|null|undefined)$",
	  75, 0, 0 },
	/* ---- locations ---- */
	{ "^\\s*File \".*\", line \\d+", 40, 0, LAST },
	{ "^\\s*at .*:\\d+:\\d+\\)?$", 45, 0, 0 },
	{ "^E\\s+\\S", 45, 0, 0 },
	{ "^Traceback \\(most recent call last\\):", 25, 0, 0 },
	/* ---- words ---- */
	{ "\\bFAIL(?:ED|URE)?:\\s*\\S", 75, 0, 0 },
	{ "\\b(?:FAIL|FAILED|FAILURE|ERROR|FATAL|PANIC)\\b", 60, 0, 0 },
	{ "\\b(?:error|errors|fatal|failed|failure|fail|fails|cannot|can't|could not|unable to|"
	  "not found|no such file|denied|refused|exception|abort|aborted|crash|crashed|timed out|"
	  "timeout|mismatch|unexpected|invalid)\\b",
	  50, 0, CASELESS },
	{ "\\bwarning\\b", 20, 0, CASELESS },
};

#define ROWS_NR WFM_ARRAY_SIZE(rows)

static struct wfm_regex *compiled[ROWS_NR];
static int compile_rc;
static char *compile_error;
static pthread_once_t compile_once = PTHREAD_ONCE_INIT;

static void compile_rows(void)
{
	for (size_t i = 0; i < ROWS_NR; i++) {
		unsigned f = rows[i].flags & CASELESS ? WFM_REGEX_CASELESS : 0;

		compile_rc = wfm_regex_compile(&compiled[i], rows[i].pattern, f);
		if (compile_rc < 0) {
			compile_error = wfm_strdup(wfm_error_last());
			return;
		}
	}
}

static int compile(void)
{
	pthread_once(&compile_once, compile_rows);
	if (compile_rc < 0)
		return wfm_error_setc(compile_rc, "%s", compile_error);
	return 0;
}

static int has_alnum(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80 || (s[i] >= '0' && s[i] <= '9') ||
		    ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z'))
			return 1;
	return 0;
}

/* The row that decides line, or NULL: blank, or no row matches (score 0). */
static const struct row *row_of(const char *line, size_t len, int *blank)
{
	*blank = !has_alnum(line, len);
	if (*blank)
		return NULL;
	for (size_t i = 0; i < ROWS_NR; i++)
		/* a match limit hit is no match: the line just scores lower */
		if (wfm_regex_match(compiled[i], line, len, 0, NULL) == 1)
			return &rows[i];
	return NULL;
}

int wfm_excerpt_score(const char *line, size_t len)
{
	const struct row *r;
	int blank;

	if (compile() < 0)
		return 0;
	r = row_of(line, len, &blank);
	return blank ? NOISE : r ? r->score : 0;
}

struct cand {
	size_t line;
	int score;
	int last;
};

/* By score; between equals the earlier line first, but the later one for rows marked LAST. */
static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (x->last != y->last)
		return x->last ? 1 : -1;
	if (x->last)
		return x->line > y->line ? -1 : x->line < y->line;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* line as shown: blanks around it gone, tabs made spaces, strip_dir removed. */
static char *display(const char *line, size_t len, const char *strip_dir)
{
	struct wfm_buf b = WFM_BUF_INIT;
	size_t dl = strip_dir ? strlen(strip_dir) : 0;

	while (dl && strip_dir[dl - 1] == '/')
		dl--;
	while (len && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	for (size_t i = 0; i < len;) {
		if (dl && i + dl < len && !memcmp(line + i, strip_dir, dl) && line[i + dl] == '/') {
			i += dl + 1;
			continue;
		}
		wfm_buf_addch(&b, line[i] == '\t' ? ' ' : line[i]);
		i++;
	}
	return wfm_buf_detach(&b, NULL);
}

/* What two lines are compared on: the text without pytest's "E" marker. */
static const char *core(const char *s)
{
	if (s[0] == 'E' && (s[1] == ' ' || s[1] == '\t')) {
		s++;
		while (*s == ' ' || *s == '\t')
			s++;
	}
	return s;
}

/* Shorter lines are not looked for inside others: "FAIL" is in many. */
#define CONTAINED_MIN 12

/*
 * Adds s to picked unless a picked line holds it already; a picked line
 * that s holds is replaced by s. Takes s over. Returns 1 when it added a
 * line.
 */
static int add_pick(struct wfm_strvec *picked, char *s)
{
	const char *c = core(s);
	size_t cl = strlen(c);

	for (size_t i = 0; i < picked->nr; i++) {
		const char *p = core(picked->v[i]);
		size_t pl = strlen(p);

		if (!strcmp(p, c) || (cl >= CONTAINED_MIN && strstr(p, c))) {
			free(s);
			return 0;
		}
		if (pl >= CONTAINED_MIN && strstr(c, p)) {
			free(picked->v[i]);
			picked->v[i] = s;
			return 0;
		}
	}
	wfm_strvec_push_nodup(picked, s);
	return 1;
}

static void truncate_line(struct wfm_buf *out, const char *s, size_t width)
{
	size_t n = strlen(s);

	if (n <= width) {
		wfm_buf_add(out, s, n);
		return;
	}
	n = width > 3 ? width - 3 : 0;
	while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	wfm_buf_add(out, s, n);
	wfm_buf_adds(out, "...");
}

/* Lines taken from the end of an output in which no line scores. */
#define FALLBACK_LINES 3
/*
 * When a line scores this much, lines below it are not picked: a warning
 * or a summary says little next to an error.
 */
#define FLOOR 40

int wfm_excerpt_pick(struct wfm_strvec *out, const char *text, size_t len,
		     const struct wfm_excerpt_opts *opts)
{
	struct wfm_excerpt_opts o = opts ? *opts : (struct wfm_excerpt_opts)WFM_EXCERPT_OPTS_INIT;
	struct wfm_out_lines ls = WFM_OUT_LINES_INIT;
	struct wfm_strvec picked = WFM_STRVEC_INIT;
	struct cand *cands = NULL;
	int *score = NULL, pending = 0, rc;
	size_t nr = 0;

	if (!o.max_lines)
		o.max_lines = WFM_EXCERPT_LINES_DEFAULT;
	if (!o.max_width)
		o.max_width = WFM_EXCERPT_WIDTH_DEFAULT;
	if ((rc = compile()) < 0)
		return rc;
	wfm_out_lines_split(&ls, text, len);
	score = wfm_calloc(ls.nr ? ls.nr : 1, sizeof(*score));
	cands = wfm_calloc(ls.nr ? ls.nr : 1, sizeof(*cands));
	for (size_t i = 0; i < ls.nr; i++) {
		int blank;
		const struct row *r = row_of(wfm_out_line(&ls, i), ls.v[i].len, &blank);

		if (blank) {
			score[i] = NOISE;
			continue;
		}
		score[i] = r ? r->score : 0;
		if (pending && score[i] >= 0 && score[i] < pending)
			score[i] = pending;
		pending = r ? r->next : 0;
		if (score[i] > 0)
			cands[nr++] = (struct cand){ i, score[i], r && (r->flags & LAST) };
	}
	qsort(cands, nr, sizeof(*cands), cand_cmp);
	for (size_t k = 0; k < nr && picked.nr < o.max_lines; k++) {
		size_t i = cands[k].line;

		if (cands[k].score < FLOOR && cands[0].score >= FLOOR)
			break;
		add_pick(&picked, display(wfm_out_line(&ls, i), ls.v[i].len, o.strip_dir));
	}
	for (size_t i = ls.nr;
	     !nr && i-- > 0 && picked.nr < FALLBACK_LINES && picked.nr < o.max_lines;)
		if (score[i] == 0)
			add_pick(&picked, display(wfm_out_line(&ls, i), ls.v[i].len, o.strip_dir));
	for (size_t i = 0; i < picked.nr; i++) {
		struct wfm_buf b = WFM_BUF_INIT;

		truncate_line(&b, picked.v[i], o.max_width);
		wfm_strvec_push_nodup(out, wfm_buf_detach(&b, NULL));
	}
	rc = (int)picked.nr;
	wfm_strvec_clear(&picked);
	free(cands);
	free(score);
	wfm_out_lines_release(&ls);
	return rc;
}
