#include "base/common.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/utf8.h"

static cJSON *must(cJSON *item)
{
	if (!item) {
		fprintf(stderr, "fatal: out of memory building JSON\n");
		abort();
	}
	return item;
}

cJSON *wfm_json_object(void)
{
	return must(cJSON_CreateObject());
}

cJSON *wfm_json_array(void)
{
	return must(cJSON_CreateArray());
}

void wfm_json_add(cJSON *obj, const char *key, cJSON *item)
{
	if (key)
		cJSON_AddItemToObject(obj, key, must(item));
	else
		cJSON_AddItemToArray(obj, must(item));
}

void wfm_json_add_strn(cJSON *obj, const char *key, const char *s, size_t len)
{
	struct wfm_buf clean = WFM_BUF_INIT;

	if (wfm_utf8_valid(s, len))
		wfm_buf_add(&clean, s, len);
	else
		wfm_utf8_lossy(&clean, s, len);
	wfm_json_add(obj, key, cJSON_CreateString(clean.ptr));
	wfm_buf_release(&clean);
}

void wfm_json_add_str(cJSON *obj, const char *key, const char *s)
{
	wfm_json_add_strn(obj, key, s, strlen(s));
}

void wfm_json_add_num(cJSON *obj, const char *key, double v)
{
	wfm_json_add(obj, key, cJSON_CreateNumber(v));
}

void wfm_json_add_bool(cJSON *obj, const char *key, int v)
{
	wfm_json_add(obj, key, cJSON_CreateBool(v));
}

void wfm_json_add_null(cJSON *obj, const char *key)
{
	wfm_json_add(obj, key, cJSON_CreateNull());
}

void wfm_json_print(struct wfm_buf *out, const cJSON *item)
{
	char *s = cJSON_PrintUnformatted(item);

	if (!s)
		must(NULL);
	wfm_buf_adds(out, s);
	cJSON_free(s);
}
