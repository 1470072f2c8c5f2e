#include "base/common.h"
#include "sweep/rules.h"
#include "sweep/summary.h"

size_t wfm_sweep_count_at_least(const cJSON *result, int min_rank)
{
	const cJSON *f;
	size_t n = 0;

	if (min_rank <= 0)
		return 0;
	cJSON_ArrayForEach (f, cJSON_GetObjectItemCaseSensitive(result, "findings")) {
		const char *verdict = wfm_json_get_str(f, "verdict", "confirmed");

		if (strcmp(verdict, "refuted") &&
		    wfm_sweep_severity_rank(wfm_json_get_str(f, "severity", "")) >= min_rank)
			n++;
	}
	return n;
}

/* text for a table cell: one line, no pipes */
static void cell(struct wfm_buf *out, const char *s)
{
	for (; s && *s; s++)
		if (*s == '|')
			wfm_buf_adds(out, "\\|");
		else if (*s == '\n' || *s == '\r' || *s == '\t')
			wfm_buf_addch(out, ' ');
		else
			wfm_buf_addch(out, *s);
}

static void place(struct wfm_buf *out, const cJSON *f)
{
	int start = (int)wfm_json_get_num(f, "startLine", 0),
	    end = (int)wfm_json_get_num(f, "endLine", 0);

	cell(out, wfm_json_get_str(f, "file", "?"));
	wfm_buf_addf(out, ":%d", start);
	if (end > start)
		wfm_buf_addf(out, "-%d", end);
}

/* "Also reported as `a`, `b`." for a finding that others found the same (workflows/sweep.js) */
static void also(struct wfm_buf *out, const cJSON *ids)
{
	const cJSON *id;
	int n = 0;

	cJSON_ArrayForEach (id, ids) {
		if (!cJSON_IsString(id))
			continue;
		wfm_buf_adds(out, n++ ? ", `" : "Also reported as `");
		cell(out, id->valuestring);
		wfm_buf_addch(out, '`');
	}
	if (n)
		wfm_buf_adds(out, ".\n\n");
}

static void votes(struct wfm_buf *out, const cJSON *f)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(f, "votes");

	if (!strcmp(wfm_json_get_str(f, "source", ""), "rule")) {
		wfm_buf_adds(out, "rule");
		return;
	}
	wfm_buf_addf(out, "%d confirmed, %d refuted, %d failed",
		     (int)wfm_json_get_num(v, "confirmed", 0),
		     (int)wfm_json_get_num(v, "refuted", 0), (int)wfm_json_get_num(v, "failed", 0));
}

void wfm_sweep_markdown(struct wfm_buf *out, const cJSON *result, const char *run_id)
{
	const cJSON *scope = cJSON_GetObjectItemCaseSensitive(result, "scope");
	const cJSON *findings = cJSON_GetObjectItemCaseSensitive(result, "findings");
	const cJSON *refuted = cJSON_GetObjectItemCaseSensitive(result, "refuted");
	const cJSON *unreviewed = cJSON_GetObjectItemCaseSensitive(result, "unreviewed");
	const char *base = wfm_json_get_str(scope, "base", NULL);
	const char *head = wfm_json_get_str(scope, "head", NULL);
	int units = (int)wfm_json_get_num(scope, "units", 0), n = 0;
	const cJSON *f;

	wfm_buf_adds(out, "# Security sweep\n\n");
	if (base)
		wfm_buf_addf(out, "Scope: %d unit%s changed in %.12s..%.12s", units,
			     units == 1 ? "" : "s", base, head ? head : "HEAD");
	else
		wfm_buf_addf(out, "Scope: every unit (%d)", units);
	if (run_id)
		wfm_buf_addf(out, "; run %s", run_id);
	wfm_buf_adds(out, ".\n\n");

	n = cJSON_GetArraySize(findings);
	if (!n) {
		wfm_buf_adds(out, "No findings.\n");
	} else {
		wfm_buf_addf(out, "%d finding%s:\n\n", n, n == 1 ? "" : "s");
		wfm_buf_adds(out, "| severity | rule | where | verdict | votes |\n"
				  "| --- | --- | --- | --- | --- |\n");
		cJSON_ArrayForEach (f, findings) {
			wfm_buf_adds(out, "| ");
			cell(out, wfm_json_get_str(f, "severity", "?"));
			wfm_buf_adds(out, " | `");
			cell(out, wfm_json_get_str(f, "rule", "?"));
			wfm_buf_adds(out, "` | ");
			place(out, f);
			wfm_buf_adds(out, " | ");
			cell(out, wfm_json_get_str(f, "verdict", "?"));
			wfm_buf_adds(out, " | ");
			votes(out, f);
			wfm_buf_adds(out, " |\n");
		}
		wfm_buf_addch(out, '\n');
		cJSON_ArrayForEach (f, findings) {
			wfm_buf_adds(out, "## ");
			cell(out, wfm_json_get_str(f, "rule", "?"));
			wfm_buf_adds(out, " at ");
			place(out, f);
			wfm_buf_addf(out, "\n\n%s\n\n```\n%s\n```\n\n",
				     wfm_json_get_str(f, "explanation", ""),
				     wfm_json_get_str(f, "evidence", ""));
			also(out, cJSON_GetObjectItemCaseSensitive(f, "also"));
		}
	}
	if (cJSON_GetArraySize(refuted)) {
		wfm_buf_addf(out, "\nRefuted by the verifiers (%d):\n\n",
			     cJSON_GetArraySize(refuted));
		cJSON_ArrayForEach (f, refuted) {
			wfm_buf_adds(out, "- `");
			cell(out, wfm_json_get_str(f, "rule", "?"));
			wfm_buf_adds(out, "` at ");
			place(out, f);
			wfm_buf_adds(out, " (");
			votes(out, f);
			wfm_buf_adds(out, ")\n");
		}
	}
	if (cJSON_GetArraySize(unreviewed)) {
		wfm_buf_addf(out, "\nNot reviewed, the agent failed (%d):\n\n",
			     cJSON_GetArraySize(unreviewed));
		cJSON_ArrayForEach (f, unreviewed) {
			wfm_buf_adds(out, "- ");
			cell(out, wfm_json_get_str(f, "unit", "?"));
			wfm_buf_adds(out, " for ");
			cell(out, wfm_json_get_str(f, "category", "?"));
			wfm_buf_addch(out, '\n');
		}
	}
}
