#ifndef WFM_BASE_JSON_H
#define WFM_BASE_JSON_H

/*
 * JSON: the cJSON adapter. Documents are built as cJSON trees through
 * these helpers, which never fail (running out of memory aborts, as
 * wfm_malloc does) and which make every string valid UTF-8 (invalid
 * bytes and NUL become U+FFFD), so output from test commands, models or
 * arbitrary files always yields valid JSON.
 */
#include <cjson/cJSON.h>
#include <stddef.h>

struct wfm_buf;

/* A new empty object or array; free the root with cJSON_Delete(). */
cJSON *wfm_json_object(void);
cJSON *wfm_json_array(void);

/*
 * Adds key: value to the object obj, or appends value to the array obj
 * when key is NULL. The _n form takes len bytes that may hold anything.
 */
void wfm_json_add_str(cJSON *obj, const char *key, const char *s);
void wfm_json_add_strn(cJSON *obj, const char *key, const char *s, size_t len);
void wfm_json_add_num(cJSON *obj, const char *key, double v);
void wfm_json_add_bool(cJSON *obj, const char *key, int v);
void wfm_json_add_null(cJSON *obj, const char *key);
/* Adds item under key (appends it when key is NULL), taking ownership of it. */
void wfm_json_add(cJSON *obj, const char *key, cJSON *item);

/* Appends item, unformatted, to out. */
void wfm_json_print(struct wfm_buf *out, const cJSON *item);

#endif
