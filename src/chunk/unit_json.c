/*
 * Units as JSON, for `chunk --json` and for the workflow engine.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/json.h"
#include "chunk/chunk_priv.h"

cJSON *wfm_unit_to_json(const struct wfm_unit *u, unsigned flags)
{
	cJSON *obj = wfm_json_object();

	wfm_json_add_str(obj, "id", u->id);
	wfm_json_add_str(obj, "path", u->path);
	wfm_json_add_str(obj, "lang", wfm_lang_name(u->lang));
	wfm_json_add_str(obj, "kind", u->kind);
	wfm_json_add_str(obj, "name", u->name);
	wfm_json_add_num(obj, "start_line", u->start_line);
	wfm_json_add_num(obj, "end_line", u->end_line);
	wfm_json_add_num(obj, "start_byte", (double)u->start_byte);
	wfm_json_add_num(obj, "end_byte", (double)u->end_byte);
	wfm_json_add_num(obj, "size", (double)(u->end_byte - u->start_byte));
	if (u->reason)
		wfm_json_add_str(obj, "reason", u->reason);
	if (u->members.nr) {
		cJSON *arr = wfm_json_array();
		for (size_t i = 0; i < u->members.nr; i++)
			wfm_json_add_str(arr, NULL, u->members.v[i]);
		wfm_json_add(obj, "members", arr);
	}
	if ((flags & WFM_UNIT_JSON_TEXT) && u->text)
		wfm_json_add_strn(obj, "text", u->text, u->end_byte - u->start_byte);
	return obj;
}

void wfm_unit_json(struct wfm_buf *out, const struct wfm_unit *u, unsigned flags)
{
	cJSON *obj = wfm_unit_to_json(u, flags);

	wfm_json_print(out, obj);
	cJSON_Delete(obj);
}
