#include "base/common.h"
#include "sweep/scan.h"

cJSON *wfm_sweep_finding_to_json(const struct wfm_sweep_finding *f)
{
	cJSON *o = wfm_json_object();

	wfm_json_add_str(o, "rule", f->rule->id);
	wfm_json_add_str(o, "severity", f->rule->severity);
	wfm_json_add_str(o, "file", f->file);
	wfm_json_add_num(o, "startLine", f->start_line);
	wfm_json_add_num(o, "endLine", f->end_line);
	wfm_json_add_num(o, "startColumn", f->start_column);
	wfm_json_add_num(o, "endColumn", f->end_column);
	wfm_json_add_str(o, "evidence", f->evidence);
	wfm_json_add_str(o, "explanation", f->rule->full_desc);
	wfm_json_add_str(o, "source", "rule");
	return o;
}

int wfm_sweep_scan_units(cJSON **out, const cJSON *units)
{
	struct wfm_sweep_scanner *s = NULL;
	struct wfm_sweep_findings f = WFM_SWEEP_FINDINGS_INIT;
	const cJSON *u;
	int rc = 0, i = 0;

	*out = NULL;
	if (!cJSON_IsArray(units))
		return wfm_error_setc(WFM_EINVALID, "scan(): give an array of units");
	if ((rc = wfm_sweep_scanner_new(&s)) < 0)
		return rc;
	cJSON_ArrayForEach (u, units) {
		const char *path = wfm_json_get_nonempty(u, "path");
		const cJSON *text = cJSON_GetObjectItemCaseSensitive(u, "text");
		const char *lang_name = wfm_json_get_str(u, "lang", "other");
		double line = wfm_json_get_num(u, "start_line", 1);
		enum wfm_lang lang = WFM_LANG_OTHER;

		if (!path || !cJSON_IsString(text)) {
			rc = wfm_error_setc(WFM_EINVALID,
					    "scan(): unit %d (%s) has no %s: chunk() gives it with "
					    "{text: true}",
					    i, wfm_json_get_str(u, "id", "?"),
					    path ? "text" : "path");
			goto done;
		}
		if (wfm_lang_from_name(&lang, lang_name) < 0)
			lang = WFM_LANG_OTHER;
		if ((rc = wfm_sweep_scan(&f, s, path, lang, line >= 1 ? (uint32_t)line : 1,
					 text->valuestring, strlen(text->valuestring))) < 0)
			goto done;
		i++;
	}
	*out = wfm_json_array();
	for (size_t k = 0; k < f.nr; k++)
		wfm_json_add(*out, NULL, wfm_sweep_finding_to_json(&f.v[k]));
done:
	wfm_sweep_findings_release(&f);
	wfm_sweep_scanner_free(s);
	return rc;
}
