#define _GNU_SOURCE /* memmem */
#include "base/common.h"
#include "base/buf.h"
#include "base/fs.h"
#include "oracle/test_results.h"
#include "oracle/test_results_priv.h"

#include <ctype.h>
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>

/*
 * JUnit XML, by hand: the subset test runners write (elements, attributes
 * in either quote, the five named entities, character references, CDATA),
 * no DTD, no namespaces; libxml2 would be a dependency for this alone.
 */

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

		wfm_test_failure_add_line(f, s, k);
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
		k = wfm_test_results_add(out, full.ptr, full.len, o);
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

/* whether a is at or after b */
static int not_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec >= b->tv_nsec);
}

static int find_junit(struct wfm_test_results *out, const char *dir, const struct timespec *since,
		      int depth, size_t *budget)
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
			   not_before(&st.st_mtim, since) && st.st_size < JUNIT_MAX_BYTES) {
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

int wfm_test_results_find_junit(struct wfm_test_results *out, const char *dir,
				const struct timespec *since)
{
	size_t budget = JUNIT_MAX_ENTRIES;

	return find_junit(out, dir, since, 0, &budget);
}

void wfm_test_results_clock(struct timespec *now)
{
	if (clock_gettime(CLOCK_REALTIME_COARSE, now) < 0) {
		now->tv_sec = time(NULL) - 1;
		now->tv_nsec = 0;
	}
}
