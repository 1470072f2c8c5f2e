/*
 * Units as JSON, for `chunk --json` and for the workflow engine. The
 * only file of the chunker that includes cJSON.
 */
#include "base/common.h"
#include "base/buf.h"
#include "chunk/chunk_priv.h"

#include <cjson/cJSON.h>

static cJSON *must(cJSON *item)
{
	if (!item) {
		fprintf(stderr, "fatal: out of memory building JSON\n");
		abort();
	}
	return item;
}

/* JSON strings must be UTF-8: invalid bytes and NUL become U+FFFD. */
static void add_string(cJSON *obj, const char *key, const char *s, size_t len)
{
	struct wfm_buf clean = WFM_BUF_INIT;

	if (!wfm_utf8_valid(s, len)) {
		wfm_utf8_lossy(&clean, s, len);
		s = clean.ptr;
	}
	cJSON_AddItemToObject(obj, key, must(cJSON_CreateString(s)));
	wfm_buf_release(&clean);
}

static void add_number(cJSON *obj, const char *key, double v)
{
	cJSON_AddItemToObject(obj, key, must(cJSON_CreateNumber(v)));
}

void wfm_unit_json(struct wfm_buf *out, const struct wfm_unit *u, unsigned flags)
{
	cJSON *obj = must(cJSON_CreateObject());
	char *s;

	add_string(obj, "id", u->id, strlen(u->id));
	add_string(obj, "path", u->path, strlen(u->path));
	add_string(obj, "lang", wfm_lang_name(u->lang), strlen(wfm_lang_name(u->lang)));
	add_string(obj, "kind", u->kind, strlen(u->kind));
	add_string(obj, "name", u->name, strlen(u->name));
	add_number(obj, "start_line", u->start_line);
	add_number(obj, "end_line", u->end_line);
	add_number(obj, "start_byte", (double)u->start_byte);
	add_number(obj, "end_byte", (double)u->end_byte);
	add_number(obj, "size", (double)(u->end_byte - u->start_byte));
	if (u->reason)
		add_string(obj, "reason", u->reason, strlen(u->reason));
	if (u->members.nr) {
		cJSON *arr = must(cJSON_CreateArray());
		for (size_t i = 0; i < u->members.nr; i++) {
			struct wfm_buf clean = WFM_BUF_INIT;
			const char *m = u->members.v[i];
			if (!wfm_utf8_valid(m, strlen(m))) {
				wfm_utf8_lossy(&clean, m, strlen(m));
				m = clean.ptr;
			}
			cJSON_AddItemToArray(arr, must(cJSON_CreateString(m)));
			wfm_buf_release(&clean);
		}
		cJSON_AddItemToObject(obj, "members", arr);
	}
	if ((flags & WFM_UNIT_JSON_TEXT) && u->text)
		add_string(obj, "text", u->text, u->end_byte - u->start_byte);
	s = cJSON_PrintUnformatted(obj);
	if (!s)
		must(NULL);
	wfm_buf_adds(out, s);
	cJSON_free(s);
	cJSON_Delete(obj);
}
