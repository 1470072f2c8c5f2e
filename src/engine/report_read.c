/*
 * Reading a run's report back. The markdown is made again from
 * report.json, so a report written by an older version reads as a new
 * one does; the per-unit figures it lacks come from the journal.
 */
#define _GNU_SOURCE /* strchrnul */
#include "base/common.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/json.h"
#include "engine/report.h"
#include "engine/rundir.h"

struct unit_sum {
	double tokens, usd;
};

/* The tokens and USD of the agents the journal records for unit id. */
static struct unit_sum journal_sum(const struct wfm_buf *journal, const char *id)
{
	struct unit_sum sum = { 0, 0 };
	const char *line = journal->ptr, *end;

	for (; *line; line = *end ? end + 1 : end) {
		cJSON *rec = NULL;
		const cJSON *res;

		end = strchrnul(line, '\n');
		if (end == line || wfm_json_parse(&rec, line, (size_t)(end - line)) < 0)
			continue;
		res = cJSON_GetObjectItemCaseSensitive(rec, "result");
		if (!strcmp(wfm_json_get_str(rec, "method", ""), "agent") &&
		    !strcmp(wfm_json_get_str(res, "unit", ""), id)) {
			sum.tokens += wfm_json_get_num(res, "tokens", 0);
			sum.usd += wfm_json_get_num(res, "cost_usd", 0);
		}
		cJSON_Delete(rec);
	}
	return sum;
}

static void fill_units(cJSON *report, struct wfm_rundir *run)
{
	cJSON *u;
	struct wfm_buf journal = WFM_BUF_INIT;
	char *path = NULL;
	int read = 0;

	cJSON_ArrayForEach (u, cJSON_GetObjectItemCaseSensitive(report, "units")) {
		struct unit_sum sum;
		const char *id = wfm_json_get_str(u, "id", NULL);

		if (!cJSON_IsObject(u) || !id ||
		    (cJSON_HasObjectItem(u, "costUsd") && cJSON_HasObjectItem(u, "tokens")))
			continue;
		if (!read++) {
			path = wfm_rundir_file(run, "journal.jsonl");
			if (wfm_buf_read_file(&journal, path) < 0)
				wfm_buf_clear(&journal); /* no journal: the figures stay unknown */
		}
		if (!journal.len)
			break;
		sum = journal_sum(&journal, id);
		if (!cJSON_HasObjectItem(u, "tokens"))
			wfm_json_add_num(u, "tokens", sum.tokens);
		if (!cJSON_HasObjectItem(u, "costUsd"))
			wfm_json_add_num(u, "costUsd", sum.usd);
	}
	wfm_buf_release(&journal);
	free(path);
}

int wfm_report_load(cJSON **out, struct wfm_rundir *run)
{
	struct wfm_buf text = WFM_BUF_INIT;
	char *path = wfm_rundir_file(run, "report.json");
	cJSON *report = NULL;
	int rc = 0;

	*out = NULL;
	if (!wfm_fs_exists(path)) {
		rc = wfm_error_setc(WFM_ENOTFOUND, "run %s has no report yet", run->id);
		goto done;
	}
	if ((rc = wfm_buf_read_file(&text, path)) < 0)
		goto done;
	if (wfm_json_parse(&report, text.ptr, text.len) < 0 || !cJSON_IsObject(report)) {
		rc = wfm_error_setc(WFM_ECONFIG, "'%s' is not a report: not a JSON object", path);
		goto done;
	}
	fill_units(report, run);
	*out = report;
	report = NULL;
done:
	cJSON_Delete(report);
	wfm_buf_release(&text);
	free(path);
	return rc;
}
