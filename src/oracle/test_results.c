#define _GNU_SOURCE /* memmem */
#include "base/common.h"
#include "base/buf.h"
#include "base/fs.h"
#include "oracle/lines.h"
#include "oracle/test_results.h"

#include <ctype.h>
#include <dirent.h>
#include <sys/stat.h>

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

/*
 * The index of the result named name[0..n), added or updated: a failure
 * wins over a pass, a pass over a skip.
 */
static size_t add(struct wfm_test_results *out, const char *name, size_t n,
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

/* Adds one line to a failure, trimmed, tabs as spaces, cut at WFM_TEST_FAILURE_WIDTH. */
static void add_failure_line(struct wfm_strvec *f, const char *s, size_t n)
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
			add_failure_line(f, l + 1, strlen(l + 1));
		else if (!where && l[0] != ' ' && strstr(l, ".py:"))
			where = l;
	}
	if (f->nr && where)
		add_failure_line(f, where, strlen(where));
	for (size_t i = 0; !f->nr && i < lines->nr; i++)
		add_failure_line(f, lines->v[i], strlen(lines->v[i]));
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
					add_failure_line(&out->v[cur].failure, a, an);
				continue;
			}
			collect = COLLECT_NONE;
		} else if (collect == COLLECT_CTEST) {
			if (!ctest_line(l, &a, &an, &b, &bn, &o) && !ctest_boundary(l)) {
				add_failure_line(&out->v[cur].failure, l, strlen(l));
				continue;
			}
			collect = COLLECT_NONE;
		}

		if (tap_line(l, &name, &o)) {
			cur = add(out, name.ptr, name.len, o);
			out->formats |= WFM_TESTS_TAP;
			found++;
			if (o == WFM_TEST_FAILED && !out->v[cur].failure.nr)
				collect = COLLECT_TAP;
			continue;
		}
		if (ctest_line(l, &a, &an, &b, &bn, &o)) {
			cur = add(out, a, an, o);
			out->formats |= WFM_TESTS_CTEST;
			found++;
			if (o == WFM_TEST_FAILED && !out->v[cur].failure.nr) {
				if (!(bn == 6 && !strncmp(b, "Failed", 6)))
					add_failure_line(&out->v[cur].failure, b, bn);
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
				cur = add(out, b, bn, o);
				out->formats |= WFM_TESTS_CMOCKA;
				found++;
				if (o == WFM_TEST_FAILED && in_run && running.len == bn &&
				    !strncmp(running.ptr, b, bn) && !out->v[cur].failure.nr) {
					for (size_t k = 0; k < run_lines.nr; k++)
						add_failure_line(&out->v[cur].failure,
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
			cur = add(out, a, an, o);
			out->formats |= WFM_TESTS_PYTEST;
			found++;
			if (o == WFM_TEST_FAILED && b && !out->v[cur].failure.nr)
				add_failure_line(&out->v[cur].failure, b, bn);
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

/* JUnit XML */

static const char *find(const char *p, const char *end, const char *s)
{
	size_t n = strlen(s);

	if (p >= end)
		return NULL;
	return memmem(p, (size_t)(end - p), s, n);
}

/* Appends text[0..n) with XML's entities and CDATA sections decoded. */
static void xml_text(struct wfm_buf *out, const char *p, const char *end)
{
	while (p < end) {
		if (*p == '<' && end - p >= 9 && !strncmp(p, "<![CDATA[", 9)) {
			const char *close = find(p + 9, end, "]]>");

			if (!close)
				close = end;
			wfm_buf_add(out, p + 9, (size_t)(close - p - 9));
			p = close == end ? end : close + 3;
		} else if (*p == '<') {
			/* a tag inside the text (rare): dropped */
			const char *close = memchr(p, '>', (size_t)(end - p));

			p = close ? close + 1 : end;
		} else if (*p == '&') {
			const char *semi =
				memchr(p, ';', (size_t)(end - p) < 12 ? (size_t)(end - p) : 12);
			static const struct {
				const char *name;
				char c;
			} ents[] = { { "lt", '<' },
				     { "gt", '>' },
				     { "amp", '&' },
				     { "quot", '"' },
				     { "apos", '\'' } };
			size_t n;
			int done = 0;

			if (!semi) {
				wfm_buf_addch(out, *p++);
				continue;
			}
			n = (size_t)(semi - p - 1);
			for (size_t i = 0; i < WFM_ARRAY_SIZE(ents); i++)
				if (strlen(ents[i].name) == n && !strncmp(p + 1, ents[i].name, n)) {
					wfm_buf_addch(out, ents[i].c);
					done = 1;
				}
			if (!done && p[1] == '#') {
				unsigned long cp = p[2] == 'x' || p[2] == 'X'
							   ? strtoul(p + 3, NULL, 16)
							   : strtoul(p + 2, NULL, 10);

				/* as UTF-8 */
				if (cp && cp < 0x80) {
					wfm_buf_addch(out, (int)cp);
				} else if (cp && cp < 0x800) {
					wfm_buf_addch(out, (int)(0xc0 | (cp >> 6)));
					wfm_buf_addch(out, (int)(0x80 | (cp & 0x3f)));
				} else if (cp && cp < 0x10000) {
					wfm_buf_addch(out, (int)(0xe0 | (cp >> 12)));
					wfm_buf_addch(out, (int)(0x80 | ((cp >> 6) & 0x3f)));
					wfm_buf_addch(out, (int)(0x80 | (cp & 0x3f)));
				} else if (cp && cp < 0x110000) {
					wfm_buf_addch(out, (int)(0xf0 | (cp >> 18)));
					wfm_buf_addch(out, (int)(0x80 | ((cp >> 12) & 0x3f)));
					wfm_buf_addch(out, (int)(0x80 | ((cp >> 6) & 0x3f)));
					wfm_buf_addch(out, (int)(0x80 | (cp & 0x3f)));
				}
				done = 1;
			}
			if (!done) {
				wfm_buf_addch(out, *p++);
				continue;
			}
			p = semi + 1;
		} else {
			wfm_buf_addch(out, *p++);
		}
	}
}

/*
 * The end of the tag that starts at p ("<name ...>"): the '>', quotes
 * respected; NULL when the document ends first.
 */
static const char *tag_end(const char *p, const char *end)
{
	char quote = 0;

	for (; p < end; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '"' || *p == '\'') {
			quote = *p;
		} else if (*p == '>') {
			return p;
		}
	}
	return NULL;
}

/* The value of attribute attr in the tag tag[0..end), decoded, into out; 0 when absent. */
static int xml_attr(struct wfm_buf *out, const char *tag, const char *end, const char *attr)
{
	size_t an = strlen(attr);

	wfm_buf_clear(out);
	for (const char *p = tag; p + an + 2 < end; p++) {
		const char *v, *close;
		char quote;

		if (*p == '"' || *p == '\'') {
			/* skip a value: its text is not an attribute name */
			close = memchr(p + 1, *p, (size_t)(end - p - 1));
			if (!close)
				return 0;
			p = close;
			continue;
		}
		if (!isspace((unsigned char)*p) || strncmp(p + 1, attr, an))
			continue;
		v = p + 1 + an;
		while (v < end && isspace((unsigned char)*v))
			v++;
		if (v >= end || *v != '=')
			continue;
		v++;
		while (v < end && isspace((unsigned char)*v))
			v++;
		if (v >= end || (*v != '"' && *v != '\''))
			continue;
		quote = *v++;
		close = memchr(v, quote, (size_t)(end - v));
		if (!close)
			return 0;
		xml_text(out, v, close);
		return 1;
	}
	return 0;
}

/* Each line of text[0..n) to f. */
static void add_failure_text(struct wfm_strvec *f, const char *s, size_t n)
{
	const char *end = s + n;

	while (s < end && f->nr < WFM_TEST_FAILURE_LINES) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t k = nl ? (size_t)(nl - s) : (size_t)(end - s);

		add_failure_line(f, s, k);
		s += k + 1;
	}
}

/* <failure message="...">text</failure> or <error ...>: its message, then its text. */
static void junit_failure(struct wfm_strvec *f, const char *el, const char *end, const char *tag)
{
	const char *te = tag_end(el, end), *close;
	struct wfm_buf b = WFM_BUF_INIT;
	char closing[16];

	if (!te)
		return;
	if (xml_attr(&b, el, te, "message") && b.len)
		add_failure_text(f, b.ptr, b.len);
	if (te[-1] != '/') {
		snprintf(closing, sizeof(closing), "</%s", tag);
		close = find(te + 1, end, closing);
		wfm_buf_clear(&b);
		xml_text(&b, te + 1, close ? close : end);
		/* the text often repeats the message on its first line */
		if (f->nr && b.len >= strlen(f->v[0]) &&
		    !strncmp(b.ptr, f->v[0], strlen(f->v[0]))) {
			const char *nl = memchr(b.ptr, '\n', b.len);

			if (nl)
				add_failure_text(f, nl + 1, b.len - (size_t)(nl + 1 - b.ptr));
		} else {
			add_failure_text(f, b.ptr, b.len);
		}
	}
	wfm_buf_release(&b);
}

int wfm_test_results_parse_junit(struct wfm_test_results *out, const char *xml, size_t len)
{
	const char *p = xml, *end = xml + len;
	struct wfm_buf name = WFM_BUF_INIT, cls = WFM_BUF_INIT, full = WFM_BUF_INIT;
	int found = 0;

	while ((p = find(p, end, "<testcase"))) {
		const char *te, *body_end, *el;
		enum wfm_test_outcome o = WFM_TEST_PASSED;
		const char *tag = NULL;
		size_t k;

		p += 9;
		if (p >= end || !(isspace((unsigned char)*p) || *p == '>' || *p == '/'))
			continue;
		te = tag_end(p, end);
		if (!te)
			break;
		xml_attr(&name, p - 1, te, "name");
		xml_attr(&cls, p - 1, te, "classname");
		if (te[-1] == '/') {
			body_end = te;
		} else {
			body_end = find(te, end, "</testcase>");
			if (!body_end)
				body_end = end;
		}
		if ((el = find(te, body_end, "<failure")))
			o = WFM_TEST_FAILED, tag = "failure";
		else if ((el = find(te, body_end, "<error")))
			o = WFM_TEST_FAILED, tag = "error";
		else if (find(te, body_end, "<skipped"))
			o = WFM_TEST_SKIPPED;
		wfm_buf_clear(&full);
		if (cls.len)
			wfm_buf_addf(&full, "%s.", cls.ptr);
		wfm_buf_adds(&full, name.len ? name.ptr : "?");
		k = add(out, full.ptr, full.len, o);
		out->formats |= WFM_TESTS_JUNIT;
		found++;
		if (tag && !out->v[k].failure.nr)
			junit_failure(&out->v[k].failure, el, body_end, tag);
		p = body_end;
	}
	wfm_buf_release(&name);
	wfm_buf_release(&cls);
	wfm_buf_release(&full);
	return found;
}

#define JUNIT_MAX_DEPTH 8
#define JUNIT_MAX_BYTES (16 << 20)
/* directory entries looked at, at most: a huge tree costs a bounded time per run */
#define JUNIT_MAX_ENTRIES 100000

static int find_junit(struct wfm_test_results *out, const char *dir, time_t since, int depth,
		      size_t *budget)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int found = 0;

	if (!d)
		return 0;
	while (*budget && (de = readdir(d))) {
		const char *n = de->d_name;
		size_t nl = strlen(n);
		struct stat st;
		char *path;

		(*budget)--;
		if (n[0] == '.' || !strcmp(n, "node_modules"))
			continue;
		path = wfm_fs_join(dir, n);
		if (lstat(path, &st) < 0) {
			free(path);
			continue;
		}
		if (S_ISDIR(st.st_mode) && depth < JUNIT_MAX_DEPTH) {
			found += find_junit(out, path, since, depth + 1, budget);
		} else if (S_ISREG(st.st_mode) && nl > 4 && !strcmp(n + nl - 4, ".xml") &&
			   st.st_mtime + 1 >= since && st.st_size < JUNIT_MAX_BYTES) {
			struct wfm_buf b = WFM_BUF_INIT;

			if (wfm_buf_read_file(&b, path) == 0 &&
			    memmem(b.ptr, b.len, "<testsuite", 10))
				found += wfm_test_results_parse_junit(out, b.ptr, b.len);
			wfm_buf_release(&b);
		}
		free(path);
	}
	closedir(d);
	return found;
}

int wfm_test_results_find_junit(struct wfm_test_results *out, const char *dir, time_t since)
{
	size_t budget = JUNIT_MAX_ENTRIES;

	return find_junit(out, dir, since, 0, &budget);
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
