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
/* A new string item of len bytes that may hold anything (made valid UTF-8). */
cJSON *wfm_json_strn(const char *s, size_t len);

/* Adds item under key (appends it when key is NULL), taking ownership of it. */
void wfm_json_add(cJSON *obj, const char *key, cJSON *item);

/*
 * Getters that never fail: member name of obj when it has the type asked
 * for, else dflt (obj may be NULL or no object). Strings are borrowed.
 */
const char *wfm_json_get_str(const cJSON *obj, const char *name, const char *dflt);
/* Member name of obj when it is a string that is not empty, else NULL. Borrowed. */
const char *wfm_json_get_nonempty(const cJSON *obj, const char *name);
double wfm_json_get_num(const cJSON *obj, const char *name, double dflt);

/* Appends item, unformatted, to out. */
void wfm_json_print(struct wfm_buf *out, const cJSON *item);

/*
 * Parses s[0..len) (need not be NUL-terminated) into a new tree (free
 * with cJSON_Delete()). The whole input must be one JSON value, with
 * only whitespace around it; a NUL byte anywhere is an error. Safe to
 * call from several threads: the position comes from the parser's
 * return_parse_end, never from cJSON's global error pointer.
 * WFM_EINVALID "invalid JSON at byte N" (N: 0-based offset) on failure,
 * *out NULL.
 */
int wfm_json_parse(cJSON **out, const char *s, size_t len);

/*
 * Appends the canonical form of v to out: the same bytes for the same
 * value whatever order its object members were built or parsed in, and
 * whatever version of cJSON prints it. Keys journal entries (see
 * docs/journal.md), so changing it invalidates every journal.
 *   - no whitespace;
 *   - object members sorted by the bytes of their (repaired) keys;
 *     duplicate keys by their canonical values;
 *   - numbers: integral values of magnitude below 2^53 as integers
 *     ("-0" is "0"), others with %.17g; NaN and infinities as null;
 *   - strings: only '"', '\' and control characters below 0x20 are
 *     escaped (

	, others as \u00xx); everything else,
 *     DEL and non-ASCII included, is copied as UTF-8; bytes that are
 *     not valid UTF-8 become U+FFFD;
 *   - cJSON_Raw items are copied as they are; invalid items are null.
 */
void wfm_json_canonical(struct wfm_buf *out, const cJSON *v);

#endif
