#define _GNU_SOURCE /* memmem */
#include "base/common.h"
#include "base/buf.h"
#include "oracle/lines.h"
#include "oracle/test_results.h"
#include "oracle/test_results_priv.h"

#include <ctype.h>

/* results */

struct wfm_test_result *wfm_test_results_get(const struct wfm_test_results *r, const char *name)
{
	for (size_t i = 0; i < r->nr; i++)
		if (!strcmp(r->v[i].name, name))
			return &r->v[i];
	return NULL;
}

static int rank(enum wfm_test_outcome o)
{
	return o == WFM_TEST_FAILED ? 2 : o == WFM_TEST_PASSED ? 1 : 0;
}

size_t wfm_test_results_add(struct wfm_test_results *out, const char *name, size_t n,
			    enum wfm_test_outcome outcome)
{
	char *s = wfm_strndup(name, n);
	struct wfm_test_result *r = wfm_test_results_get(out, s);

	if (r) {
		free(s);
		if (rank(outcome) > rank(r->outcome))
			r->outcome = outcome;
		return (size_t)(r - out->v);
	}
	WFM_ALLOC_GROW(out->v, out->nr + 1, out->alloc);
	r = &out->v[out->nr];
	memset(r, 0, sizeof(*r));
	r->name = s;
	r->outcome = outcome;
	return out->nr++;
}

static void trim(const char **s, size_t *n)
{
	while (*n && isspace((unsigned char)**s))
		(*s)++, (*n)--;
	while (*n && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

void wfm_test_failure_add_line(struct wfm_strvec *f, const char *s, size_t n)
{
	struct wfm_buf b = WFM_BUF_INIT;

	trim(&s, &n);
	if (!n || f->nr >= WFM_TEST_FAILURE_LINES)
		return;
	if (n > WFM_TEST_FAILURE_WIDTH) {
		n = WFM_TEST_FAILURE_WIDTH;
		/* not in the middle of a UTF-8 sequence */
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++)
		wfm_buf_addch(&b, s[i] == '\t' ? ' ' : s[i]);
	if (n < strlen(s) && n == WFM_TEST_FAILURE_WIDTH)
		wfm_buf_adds(&b, "...");
	wfm_strvec_push_nodup(f, wfm_buf_detach(&b, NULL));
}

static int starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* TAP */

/*
 * "ok 3 - name # SKIP why", "not ok 4 name": 1 with the name and outcome,
 * 0 for any other line. A line without a number needs the " - " before
 * its name, so that go's "ok  example.com/pkg 0.1s" is not taken for TAP.
 */
static int tap_line(const char *l, struct wfm_buf *name, enum wfm_test_outcome *outcome)
{
	const char *p, *num, *desc, *hash = NULL;
	int ok;
	size_t numlen, n;

	if (starts_with(l, "ok"))
		ok = 1, p = l + 2;
	else if (starts_with(l, "not ok"))
		ok = 0, p = l + 6;
	else
		return 0;
	if (*p && *p != ' ' && *p != '\t')
		return 0;
	while (*p == ' ' || *p == '\t')
		p++;
	num = p;
	while (isdigit((unsigned char)*p))
		p++;
	numlen = (size_t)(p - num);
	if (numlen && *p && *p != ' ' && *p != '\t')
		return 0;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '-' && (p[1] == ' ' || p[1] == '\t' || !p[1])) {
		p++;
	} else if (!numlen && *p && *p != '#') {
		return 0;
	}
	desc = p;
	for (const char *q = desc; *q; q++) {
		if (*q == '\\' && q[1]) {
			q++;
		} else if (*q == '#') {
			hash = q;
			break;
		}
	}
	*outcome = ok ? WFM_TEST_PASSED : WFM_TEST_FAILED;
	if (hash) {
		const char *d = hash + 1;

		while (*d == ' ' || *d == '\t')
			d++;
		if (!strncasecmp(d, "skip", 4) || !strncasecmp(d, "todo", 4))
			*outcome = WFM_TEST_SKIPPED;
		n = (size_t)(hash - desc);
	} else {
		n = strlen(desc);
	}
	trim(&desc, &n);
	wfm_buf_clear(name);
	if (n)
		wfm_buf_add(name, desc, n);
	else
		wfm_buf_addf(name, "test %.*s", (int)(numlen ? numlen : 1), numlen ? num : "?");
	return 1;
}

/* A diagnostic line of TAP after a test line: "# ...", or a YAML block (indented). */
static int tap_diagnostic(const char *l, const char **text, size_t *n)
{
	if (*l == '#') {
		*text = l + 1;
	} else if (*l == ' ' || *l == '\t') {
		*text = l;
	} else {
		return 0;
	}
	*n = strlen(*text);
	trim(text, n);
	/* the YAML block's fences say nothing */
	if ((*n == 3 && (!strncmp(*text, "---", 3) || !strncmp(*text, "...", 3))))
		*n = 0;
	return 1;
}

/* pytest */

static const struct {
	const char *word;
	enum wfm_test_outcome outcome;
} pytest_words[] = {
	{ "PASSED", WFM_TEST_PASSED }, { "FAILED", WFM_TEST_FAILED },
	{ "ERROR", WFM_TEST_FAILED },  { "SKIPPED", WFM_TEST_SKIPPED },
	{ "XFAIL", WFM_TEST_SKIPPED }, { "XPASS", WFM_TEST_PASSED },
};

static int pytest_word(const char *s, size_t n, enum wfm_test_outcome *outcome)
{
	for (size_t i = 0; i < WFM_ARRAY_SIZE(pytest_words); i++)
		if (strlen(pytest_words[i].word) == n && !strncmp(s, pytest_words[i].word, n)) {
			*outcome = pytest_words[i].outcome;
			return 1;
		}
	return 0;
}

/* A node id: "path::test[...]", no blank before its first "::". */
static int pytest_nodeid(const char *s, size_t n)
{
	const char *sep = memmem(s, n, "::", 2);

	if (!sep || sep == s)
		return 0;
	for (const char *p = s; p < sep; p++)
		if (isspace((unsigned char)*p))
			return 0;
	return 1;
}

/*
 * "tests/t.py::test_a PASSED  [ 50%]" (-v), "FAILED tests/t.py::test_a - msg"
 * (the short summary, -rA), "[gw0] [ 50%] PASSED tests/t.py::test_a" (xdist).
 * 1 with the node id in id[0..*idn) and the message (short summary) in
 * msg[0..*msgn).
 */
static int pytest_line(const char *l, const char **id, size_t *idn, const char **msg, size_t *msgn,
		       enum wfm_test_outcome *outcome)
{
	const char *p = l, *end = l + strlen(l), *w;
	size_t n = (size_t)(end - p);

	*msg = NULL;
	*msgn = 0;
	/* xdist's worker and progress prefixes */
	while (*p == '[') {
		const char *close = strchr(p, ']');

		if (!close)
			return 0;
		p = close + 1;
		while (*p == ' ')
			p++;
	}
	/* "WORD nodeid[ - msg]" */
	w = p;
	while (*p && *p != ' ')
		p++;
	if (*p == ' ' && pytest_word(w, (size_t)(p - w), outcome)) {
		const char *dash;

		p++;
		n = (size_t)(end - p);
		dash = strstr(p, " - ");
		if (dash) {
			*msg = dash + 3;
			*msgn = strlen(*msg);
			n = (size_t)(dash - p);
		}
		trim(&p, &n);
		if (!pytest_nodeid(p, n))
			return 0;
		*id = p;
		*idn = n;
		return 1;
	}
	/* "nodeid WORD[ (reason)][ [ 50%]]": the rightmost such word */
	p = l;
	n = (size_t)(end - p);
	trim(&p, &n);
	for (w = p + n; w > p; w--) {
		const char *we = w, *rest;
		size_t k;

		if (w[-1] != ' ')
			continue;
		while (we < p + n && *we != ' ')
			we++;
		if (!pytest_word(w, (size_t)(we - w), outcome))
			continue;
		rest = we;
		while (rest < p + n && *rest == ' ')
			rest++;
		if (rest < p + n && *rest != '(' && *rest != '[')
			continue;
		k = (size_t)(w - p);
		*id = p;
		trim(id, &k);
		if (!pytest_nodeid(*id, k))
			return 0;
		*idn = k;
		return 1;
	}
	return 0;
}

/* "____ test_a ____", "____ ERROR at setup of test_a ____": the name, or 0. */
static int pytest_section(const char *l, const char **name, size_t *n)
{
	size_t len = strlen(l);
	const char *p = l, *e = l + len;

	if (len < 5 || l[0] != '_' || l[len - 1] != '_')
		return 0;
	while (p < e && *p == '_')
		p++;
	while (e > p && e[-1] == '_')
		e--;
	*name = p;
	*n = (size_t)(e - p);
	trim(name, n);
	if (*n > 12 && !strncmp(*name, "ERROR at ", 9)) {
		const char *of = memmem(*name, *n, " of ", 4);

		if (of) {
			*n -= (size_t)(of + 4 - *name);
			*name = of + 4;
		}
	}
	return *n > 0 && !memchr(*name, ' ', *n);
}

/* "=== FAILURES ===" and its kin: a line of '=' with words in the middle. */
static int equals_rule(const char *l)
{
	size_t len = strlen(l);

	return len >= 6 && !strncmp(l, "===", 3) && !strncmp(l + len - 3, "===", 3);
}

struct section {
	char *name;
	struct wfm_strvec lines;
};

/* Whether the node id (after its file) names the test of a "___ name ___" section. */
static int section_matches(const char *nodeid, const char *name)
{
	const char *p = strstr(nodeid, "::");
	struct wfm_buf key = WFM_BUF_INIT;
	size_t kn, nn = strlen(name);
	int match;

	if (!p)
		return 0;
	for (p += 2; *p; p++) {
		if (p[0] == ':' && p[1] == ':') {
			wfm_buf_addch(&key, '.');
			p++;
		} else {
			wfm_buf_addch(&key, *p);
		}
	}
	kn = key.len;
	match = (kn == nn && !strcmp(key.ptr, name)) ||
		(kn > nn && key.ptr[kn - nn - 1] == '.' && !strcmp(key.ptr + kn - nn, name));
	wfm_buf_release(&key);
	return match;
}

/*
 * The failure of a section: its "E   " lines (what pytest shows of the
 * assertion) then the "path:12: AssertionError" line; else its first lines.
 */
static void section_failure(struct wfm_strvec *f, const struct wfm_strvec *lines)
{
	const char *where = NULL;

	for (size_t i = 0; i < lines->nr; i++) {
		const char *l = lines->v[i];

		if (l[0] == 'E' && (l[1] == ' ' || !l[1]) && f->nr < WFM_TEST_FAILURE_LINES - 1)
			wfm_test_failure_add_line(f, l + 1, strlen(l + 1));
		else if (!where && l[0] != ' ' && strstr(l, ".py:"))
			where = l;
	}
	if (f->nr && where)
		wfm_test_failure_add_line(f, where, strlen(where));
	for (size_t i = 0; !f->nr && i < lines->nr; i++)
		wfm_test_failure_add_line(f, lines->v[i], strlen(lines->v[i]));
	/* nothing but blank lines: leave f empty */
}

/* CTest */

/*
 * "  3/12 Test  #3: name ..........   Passed    0.01 sec",
 * "  4/12 Test  #4: name ..........***Failed    0.02 sec",
 * "  5/12 Test  #5: name ..........***Exception: SegFault  0.01 sec".
 * 1 with the name, the outcome and the status words in status[0..*sn).
 */
static int ctest_line(const char *l, const char **name, size_t *nn, const char **status, size_t *sn,
		      enum wfm_test_outcome *outcome)
{
	const char *p = l, *q, *dots, *end;

	while (*p == ' ')
		p++;
	q = p;
	while (isdigit((unsigned char)*p))
		p++;
	if (p == q || *p++ != '/')
		return 0;
	q = p;
	while (isdigit((unsigned char)*p))
		p++;
	if (p == q || strncmp(p, " Test", 5))
		return 0;
	p += 5;
	while (*p == ' ')
		p++;
	if (*p++ != '#')
		return 0;
	q = p;
	while (isdigit((unsigned char)*p))
		p++;
	if (p == q || *p++ != ':' || *p++ != ' ')
		return 0;
	/* the name ends where the dots begin: " ....", or "***" straight after it */
	dots = strstr(p, " .");
	q = strstr(p, "***");
	if (!dots || (q && q < dots))
		dots = q;
	if (!dots) {
		/* a name long enough to leave no room for dots: "name   Passed" */
		dots = strstr(p, "   ");
		if (!dots)
			return 0;
	}
	*name = p;
	*nn = (size_t)(dots - p);
	trim(name, nn);
	if (!*nn)
		return 0;
	p = dots;
	while (*p == ' ' || *p == '.')
		p++;
	while (*p == '*')
		p++;
	*status = p;
	/* up to the duration: "   0.01 sec" */
	end = strstr(p, " sec");
	if (end) {
		while (end > p && (end[-1] == '.' || isdigit((unsigned char)end[-1])))
			end--;
	} else {
		end = p + strlen(p);
	}
	*sn = (size_t)(end - p);
	trim(status, sn);
	if (!*sn)
		return 0;
	if (*sn == 6 && !strncmp(*status, "Passed", 6))
		*outcome = WFM_TEST_PASSED;
	else if (!strncmp(*status, "Skipped", 7) || !strncmp(*status, "Not Run (Disabled)", 18))
		*outcome = WFM_TEST_SKIPPED;
	else
		*outcome = WFM_TEST_FAILED;
	return 1;
}

/* "    Start  3: name", "100% tests passed, ...", "The following tests FAILED:" */
static int ctest_boundary(const char *l)
{
	const char *p = l;

	while (*p == ' ')
		p++;
	if (starts_with(p, "Start ") || starts_with(l, "The following tests") ||
	    starts_with(l, "Total Test time") || strstr(l, "% tests passed"))
		return 1;
	return 0;
}

/* cmocka */

/* "[  FAILED  ] name": the word in the brackets and the name after them. */
static int cmocka_line(const char *l, const char **word, size_t *wn, const char **name, size_t *nn)
{
	const char *close;

	if (l[0] != '[')
		return 0;
	close = strchr(l, ']');
	if (!close || close - l < 8)
		return 0;
	*word = l + 1;
	*wn = (size_t)(close - *word);
	trim(word, wn);
	*name = close + 1;
	*nn = strlen(*name);
	trim(name, nn);
	/* GoogleTest's "[       OK ] Suite.Test (3 ms)" */
	if (*nn > 5 && !strncmp(*name + *nn - 4, " ms)", 4)) {
		const char *open = *name + *nn - 4;

		while (open > *name && isdigit((unsigned char)open[-1]))
			open--;
		if (open - *name >= 2 && open[-1] == '(' && open[-2] == ' ') {
			*nn = (size_t)(open - 2 - *name);
			trim(name, nn);
		}
	}
	return 1;
}

static int is_word(const char *w, size_t n, const char *word)
{
	return strlen(word) == n && !strncmp(w, word, n);
}

/* "5 test(s).", "2 test(s), listed below:": the counts, not a test */
static int cmocka_count(const char *name, size_t n)
{
	size_t i = 0;
	const char *colon = memchr(name, ':', n);

	/* "tests: 1 test(s), listed below:" names its group first */
	if (colon && colon[1] == ' ') {
		n -= (size_t)(colon + 2 - name);
		name = colon + 2;
	}

	while (i < n && isdigit((unsigned char)name[i]))
		i++;
	return i > 0 && i < n && !strncmp(name + i, " test", 5);
}

/* the parser */

enum collect {
	COLLECT_NONE,
	COLLECT_TAP,   /* "#" lines and YAML after "not ok" */
	COLLECT_CTEST, /* --output-on-failure after "***Failed" */
};

int wfm_test_results_parse(struct wfm_test_results *out, const char *text, size_t len)
{
	struct wfm_out_lines ls = WFM_OUT_LINES_INIT;
	struct wfm_buf name = WFM_BUF_INIT, running = WFM_BUF_INIT;
	struct wfm_strvec run_lines = WFM_STRVEC_INIT;
	struct section *sections = NULL;
	size_t nr_sections = 0, alloc_sections = 0, cur = 0;
	enum collect collect = COLLECT_NONE;
	int in_failures = 0, found = 0, in_run = 0;
	struct section *sec = NULL;

	wfm_out_lines_split(&ls, text, len);
	for (size_t i = 0; i < ls.nr; i++) {
		const char *l = wfm_out_line(&ls, i), *a, *b;
		size_t an, bn;
		enum wfm_test_outcome o;

		/* the failure lines of the test before */
		if (collect == COLLECT_TAP) {
			if (tap_diagnostic(l, &a, &an)) {
				if (an)
					wfm_test_failure_add_line(&out->v[cur].failure, a, an);
				continue;
			}
			collect = COLLECT_NONE;
		} else if (collect == COLLECT_CTEST) {
			if (!ctest_line(l, &a, &an, &b, &bn, &o) && !ctest_boundary(l)) {
				wfm_test_failure_add_line(&out->v[cur].failure, l, strlen(l));
				continue;
			}
			collect = COLLECT_NONE;
		}

		if (tap_line(l, &name, &o)) {
			cur = wfm_test_results_add(out, name.ptr, name.len, o);
			out->formats |= WFM_TESTS_TAP;
			found++;
			if (o == WFM_TEST_FAILED && !out->v[cur].failure.nr)
				collect = COLLECT_TAP;
			continue;
		}
		if (ctest_line(l, &a, &an, &b, &bn, &o)) {
			cur = wfm_test_results_add(out, a, an, o);
			out->formats |= WFM_TESTS_CTEST;
			found++;
			if (o == WFM_TEST_FAILED && !out->v[cur].failure.nr) {
				if (!(bn == 6 && !strncmp(b, "Failed", 6)))
					wfm_test_failure_add_line(&out->v[cur].failure, b, bn);
				collect = COLLECT_CTEST;
			}
			continue;
		}
		if (cmocka_line(l, &a, &an, &b, &bn)) {
			int known = 1;

			if (is_word(a, an, "RUN")) {
				wfm_buf_clear(&running);
				wfm_buf_add(&running, b, bn);
				wfm_strvec_clear(&run_lines);
				in_run = 1;
				continue;
			}
			if (is_word(a, an, "OK"))
				o = WFM_TEST_PASSED;
			else if (is_word(a, an, "FAILED") || is_word(a, an, "ERROR"))
				o = WFM_TEST_FAILED;
			else if (is_word(a, an, "SKIPPED"))
				o = WFM_TEST_SKIPPED;
			else
				known = 0;
			if (known && bn && !cmocka_count(b, bn) && strncmp(b, "---", 3)) {
				cur = wfm_test_results_add(out, b, bn, o);
				out->formats |= WFM_TESTS_CMOCKA;
				found++;
				if (o == WFM_TEST_FAILED && in_run && running.len == bn &&
				    !strncmp(running.ptr, b, bn) && !out->v[cur].failure.nr) {
					for (size_t k = 0; k < run_lines.nr; k++)
						wfm_test_failure_add_line(&out->v[cur].failure,
									  run_lines.v[k],
									  strlen(run_lines.v[k]));
				}
				if (in_run && running.len == bn && !strncmp(running.ptr, b, bn))
					in_run = 0;
				continue;
			}
		}
		if (in_run) {
			if (run_lines.nr < WFM_TEST_FAILURE_LINES)
				wfm_strvec_push(&run_lines, l);
		}
		if (pytest_line(l, &a, &an, &b, &bn, &o)) {
			cur = wfm_test_results_add(out, a, an, o);
			out->formats |= WFM_TESTS_PYTEST;
			found++;
			if (o == WFM_TEST_FAILED && b && !out->v[cur].failure.nr)
				wfm_test_failure_add_line(&out->v[cur].failure, b, bn);
			sec = NULL;
			continue;
		}
		if (equals_rule(l)) {
			in_failures = strstr(l, " FAILURES ") || strstr(l, " ERRORS ");
			sec = NULL;
			continue;
		}
		if (in_failures && pytest_section(l, &a, &an)) {
			WFM_ALLOC_GROW(sections, nr_sections + 1, alloc_sections);
			sec = &sections[nr_sections++];
			sec->name = wfm_strndup(a, an);
			memset(&sec->lines, 0, sizeof(sec->lines));
			continue;
		}
		if (sec && sec->lines.nr < 200)
			wfm_strvec_push(&sec->lines, l);
	}

	/* pytest's sections hold more than the short summary's message */
	for (size_t s = 0; s < nr_sections; s++) {
		for (size_t k = 0; k < out->nr; k++) {
			struct wfm_test_result *r = &out->v[k];
			struct wfm_strvec f = WFM_STRVEC_INIT;

			if (r->outcome != WFM_TEST_FAILED ||
			    !section_matches(r->name, sections[s].name))
				continue;
			section_failure(&f, &sections[s].lines);
			if (f.nr) {
				wfm_strvec_clear(&r->failure);
				r->failure = f;
			}
			break;
		}
		free(sections[s].name);
		wfm_strvec_clear(&sections[s].lines);
	}
	free(sections);
	wfm_strvec_clear(&run_lines);
	wfm_buf_release(&running);
	wfm_buf_release(&name);
	wfm_out_lines_release(&ls);
	return found;
}

void wfm_test_results_release(struct wfm_test_results *r)
{
	for (size_t i = 0; i < r->nr; i++) {
		free(r->v[i].name);
		wfm_strvec_clear(&r->v[i].failure);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static const struct {
	unsigned bit;
	const char *name;
} format_names[] = { { WFM_TESTS_TAP, "tap" },
		     { WFM_TESTS_PYTEST, "pytest" },
		     { WFM_TESTS_CTEST, "ctest" },
		     { WFM_TESTS_CMOCKA, "cmocka" },
		     { WFM_TESTS_JUNIT, "junit" } };

const char *wfm_test_format_name(unsigned format)
{
	for (size_t i = 0; i < WFM_ARRAY_SIZE(format_names); i++)
		if (format == format_names[i].bit)
			return format_names[i].name;
	return NULL;
}

void wfm_test_formats_describe(struct wfm_buf *out, unsigned formats)
{
	int any = 0;

	for (size_t i = 0; i < WFM_ARRAY_SIZE(format_names); i++)
		if (formats & format_names[i].bit) {
			wfm_buf_addf(out, "%s%s", any ? ", " : "", format_names[i].name);
			any = 1;
		}
	if (!any)
		wfm_buf_adds(out, "none");
}
