#include "base/common.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/utf8.h"
#include "oracle/oracle.h"
#include "oracle/test_tally.h"

#include <math.h>

static struct wfm_test_tally_entry *entry(struct wfm_test_tally *t, const char *name)
{
	struct wfm_test_tally_entry *e;

	for (size_t i = 0; i < t->nr; i++)
		if (!strcmp(t->v[i].name, name))
			return &t->v[i];
	WFM_ALLOC_GROW(t->v, t->nr + 1, t->alloc);
	e = &t->v[t->nr++];
	memset(e, 0, sizeof(*e));
	e->name = wfm_strdup(name);
	return e;
}

/* "run 3 exited 2 and reported no test", then its excerpt */
static void run_failure(struct wfm_strvec *f, const struct wfm_oracle_result *r, size_t i,
			const char *what)
{
	struct wfm_buf b = WFM_BUF_INIT;

	wfm_buf_addf(&b, "run %zu ", i + 1);
	wfm_oracle_describe_end(&b, r);
	wfm_buf_adds(&b, what);
	wfm_strvec_push_nodup(f, wfm_buf_detach(&b, NULL));
	for (size_t k = 0; k < r->excerpt.nr && f->nr < WFM_TEST_FAILURE_LINES; k++)
		wfm_strvec_push(f, r->excerpt.v[k]);
}

static void failed(struct wfm_test_tally_entry *e, const struct wfm_strvec *lines,
		   const struct wfm_oracle_result *r, size_t i, const char *what)
{
	int first = !e->failures++;

	if (!first)
		return;
	if (lines) {
		for (size_t k = 0; k < lines->nr; k++)
			wfm_strvec_push(&e->first_failure, lines->v[k]);
	} else {
		run_failure(&e->first_failure, r, i, what);
	}
}

void wfm_test_tally_build(struct wfm_test_tally *out, const struct wfm_oracle_result *runs,
			  size_t nr, const char *command)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < nr; i++)
		out->runs += runs[i].proc.cancelled ? 0 : 1;
	/* every name, in the order the runs first give them */
	for (size_t i = 0; i < nr; i++) {
		if (runs[i].proc.cancelled)
			continue;
		out->formats |= runs[i].tests.formats;
		for (size_t k = 0; k < runs[i].tests.nr; k++)
			entry(out, runs[i].tests.v[k].name);
	}
	if (!out->nr) {
		struct wfm_test_tally_entry *e;

		if (!command)
			return;
		out->whole = 1;
		e = entry(out, command);
		e->runs = out->runs;
		for (size_t i = 0; i < nr; i++) {
			const struct wfm_oracle_result *r = &runs[i];

			if (r->pass || r->proc.cancelled)
				continue;
			if (!e->failures && !r->excerpt.nr) {
				/* no excerpt: the last lines of its output say more than nothing */
				struct wfm_buf b = WFM_BUF_INIT;

				run_failure(&e->first_failure, r, i, "");
				if (wfm_utf8_last_lines(&b, r->proc.output.ptr, r->proc.output.len,
							WFM_TEST_FAILURE_LINES - 1, 200)) {
					for (char *p = b.ptr, *nl; *p; p = nl + 1) {
						nl = strchr(p, '\n');
						if (!nl) {
							wfm_strvec_push(&e->first_failure, p);
							break;
						}
						*nl = '\0';
						wfm_strvec_push(&e->first_failure, p);
					}
				}
				wfm_buf_release(&b);
				e->failures++;
				continue;
			}
			failed(e, NULL, r, i, "");
		}
		return;
	}
	for (size_t k = 0; k < out->nr; k++) {
		struct wfm_test_tally_entry *e = &out->v[k];

		e->runs = out->runs;
		for (size_t i = 0; i < nr; i++) {
			const struct wfm_oracle_result *r = &runs[i];
			const struct wfm_test_result *t = wfm_test_results_get(&r->tests, e->name);

			if (r->proc.cancelled)
				continue;
			if (t) {
				if (t->outcome == WFM_TEST_FAILED)
					failed(e, &t->failure, r, i, NULL);
			} else if (r->tests.nr) {
				failed(e, NULL, r, i, " and did not report this test");
			} else if (!r->pass) {
				failed(e, NULL, r, i, " and reported no test");
			}
		}
	}
}

void wfm_test_tally_release(struct wfm_test_tally *t)
{
	for (size_t i = 0; i < t->nr; i++) {
		free(t->v[i].name);
		wfm_strvec_clear(&t->v[i].first_failure);
	}
	free(t->v);
	memset(t, 0, sizeof(*t));
}

cJSON *wfm_test_tally_json(const struct wfm_test_tally *t)
{
	cJSON *arr = wfm_json_array();

	for (size_t i = 0; i < t->nr; i++) {
		const struct wfm_test_tally_entry *e = &t->v[i];
		cJSON *o = wfm_json_object(), *iv = wfm_json_array();
		double low, high;

		wfm_flaky_interval(&low, &high, e->failures, e->runs);
		wfm_json_add_str(o, "name", e->name);
		wfm_json_add_str(o, "classification",
				 wfm_flaky_class_name(wfm_flaky_classify(e->failures, e->runs)));
		wfm_json_add_num(o, "runs", (double)e->runs);
		wfm_json_add_num(o, "failures", (double)e->failures);
		wfm_json_add_num(iv, NULL, round(low * 1e4) / 1e4);
		wfm_json_add_num(iv, NULL, round(high * 1e4) / 1e4);
		wfm_json_add(o, "interval", iv);
		if (e->failures) {
			struct wfm_buf b = WFM_BUF_INIT;

			for (size_t k = 0; k < e->first_failure.nr; k++)
				wfm_buf_addf(&b, "%s%s", k ? "\n" : "", e->first_failure.v[k]);
			wfm_json_add_strn(o, "firstFailure", b.ptr, b.len);
			wfm_buf_release(&b);
		} else {
			wfm_json_add_null(o, "firstFailure");
		}
		wfm_json_add(arr, NULL, o);
	}
	return arr;
}
