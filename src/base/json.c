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

cJSON *wfm_json_strn(const char *s, size_t len)
{
	struct wfm_buf clean = WFM_BUF_INIT;
	cJSON *item;

	if (wfm_utf8_valid(s, len))
		wfm_buf_add(&clean, s, len);
	else
		wfm_utf8_lossy(&clean, s, len);
	item = must(cJSON_CreateString(clean.ptr));
	wfm_buf_release(&clean);
	return item;
}

void wfm_json_add_strn(cJSON *obj, const char *key, const char *s, size_t len)
{
	wfm_json_add(obj, key, wfm_json_strn(s, len));
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

const char *wfm_json_get_str(const cJSON *obj, const char *name, const char *dflt)
{
	const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, name) : NULL;

	return cJSON_IsString(v) ? v->valuestring : dflt;
}

const char *wfm_json_get_nonempty(const cJSON *obj, const char *name)
{
	const char *s = wfm_json_get_str(obj, name, NULL);

	return s && *s ? s : NULL;
}

double wfm_json_get_num(const cJSON *obj, const char *name, double dflt)
{
	const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, name) : NULL;

	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

void wfm_json_print(struct wfm_buf *out, const cJSON *item)
{
	char *s = cJSON_PrintUnformatted(item);

	if (!s)
		must(NULL);
	wfm_buf_adds(out, s);
	cJSON_free(s);
}

/* ---- parsing ---- */

int wfm_json_parse(cJSON **out, const char *s, size_t len)
{
	const char *end = NULL, *nul = memchr(s, '\0', len);
	cJSON *v = NULL;

	*out = NULL;
	if (nul)
		return wfm_error_setc(WFM_EINVALID, "invalid JSON at byte %zu", (size_t)(nul - s));
	v = cJSON_ParseWithLengthOpts(s, len, &end, 0);
	if (!v)
		return wfm_error_setc(WFM_EINVALID, "invalid JSON at byte %zu",
				      end && end >= s ? (size_t)(end - s) : (size_t)0);
	/* cJSON stops after the first value; anything but whitespace after it is an error */
	while (end < s + len && strchr(" \t\r\n", *end))
		end++;
	if (end < s + len) {
		cJSON_Delete(v);
		return wfm_error_setc(WFM_EINVALID, "invalid JSON at byte %zu", (size_t)(end - s));
	}
	*out = v;
	return 0;
}

/* ---- canonical form ---- */

/* each control character with a short escape, followed by its letter */
static const char short_escapes[] = "\bb\ff\nn\rr\tt";

static void canon_string(struct wfm_buf *out, const char *s)
{
	size_t len = strlen(s);

	wfm_buf_addch(out, '"');
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		size_t n;

		if (c == '"' || c == '\\') {
			wfm_buf_addch(out, '\\');
			wfm_buf_addch(out, c);
			i++;
			continue;
		}
		if (c < 0x20) {
			const char *e = strchr(short_escapes, c);

			if (c && e)
				wfm_buf_add(out, (const char[]){ '\\', e[1] }, 2);
			else
				wfm_buf_addf(out, "\\u%04x", c);
			i++;
			continue;
		}
		n = wfm_utf8_seq(s + i, len - i);
		if (n) {
			wfm_buf_add(out, s + i, n);
			i += n;
		} else {
			wfm_buf_add(out, "\xef\xbf\xbd", 3);
			i++;
		}
	}
	wfm_buf_addch(out, '"');
}

static void canon_number(struct wfm_buf *out, double v)
{
	size_t start = out->len;

	if (v != v || v > 1.7976931348623157e308 || v < -1.7976931348623157e308) {
		wfm_buf_adds(out, "null"); /* as cJSON prints them: JSON has no NaN */
		return;
	}
	if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(long long)v) {
		wfm_buf_addf(out, "%lld", (long long)v); /* -0 too becomes 0 */
		return;
	}
	wfm_buf_addf(out, "%.17g", v);
	/* under a locale with a decimal comma, printf would write one */
	for (size_t i = start; i < out->len; i++)
		if (out->ptr[i] == ',')
			out->ptr[i] = '.';
}

struct member {
	const cJSON *item;
	const char *key; /* item->string, or repaired in own */
	size_t len;
	char *own;
};

static int member_cmp(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	struct wfm_buf cx = WFM_BUF_INIT, cy = WFM_BUF_INIT;
	int c = memcmp(x->key, y->key, n);

	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	/* the same key twice: order by value, so input order does not matter either */
	wfm_json_canonical(&cx, x->item);
	wfm_json_canonical(&cy, y->item);
	n = cx.len < cy.len ? cx.len : cy.len;
	c = memcmp(cx.ptr, cy.ptr, n);
	if (!c && cx.len != cy.len)
		c = cx.len < cy.len ? -1 : 1;
	wfm_buf_release(&cx);
	wfm_buf_release(&cy);
	return c;
}

static void canon_object(struct wfm_buf *out, const cJSON *obj)
{
	struct member *m = NULL;
	size_t nr = 0, alloc = 0;

	for (const cJSON *c = obj->child; c; c = c->next) {
		const char *k = c->string ? c->string : "";
		size_t klen = strlen(k);

		WFM_ALLOC_GROW(m, nr + 1, alloc);
		m[nr].item = c;
		m[nr].own = NULL;
		if (wfm_utf8_valid(k, klen)) {
			m[nr].key = k;
			m[nr].len = klen;
		} else {
			struct wfm_buf fixed = WFM_BUF_INIT;

			wfm_utf8_lossy(&fixed, k, klen);
			m[nr].own = wfm_buf_detach(&fixed, &m[nr].len);
			m[nr].key = m[nr].own;
		}
		nr++;
	}
	if (nr > 1)
		qsort(m, nr, sizeof(*m), member_cmp);
	wfm_buf_addch(out, '{');
	for (size_t i = 0; i < nr; i++) {
		if (i)
			wfm_buf_addch(out, ',');
		canon_string(out, m[i].key);
		wfm_buf_addch(out, ':');
		wfm_json_canonical(out, m[i].item);
		free(m[i].own);
	}
	wfm_buf_addch(out, '}');
	free(m);
}

void wfm_json_canonical(struct wfm_buf *out, const cJSON *v)
{
	if (!v) {
		wfm_buf_adds(out, "null");
		return;
	}
	switch (v->type & 0xff) {
	case cJSON_False:
		wfm_buf_adds(out, "false");
		break;
	case cJSON_True:
		wfm_buf_adds(out, "true");
		break;
	case cJSON_NULL:
		wfm_buf_adds(out, "null");
		break;
	case cJSON_Number:
		canon_number(out, v->valuedouble);
		break;
	case cJSON_String:
		canon_string(out, v->valuestring ? v->valuestring : "");
		break;
	case cJSON_Raw:
		wfm_buf_adds(out, v->valuestring ? v->valuestring : "null");
		break;
	case cJSON_Array:
		wfm_buf_addch(out, '[');
		for (const cJSON *c = v->child; c; c = c->next) {
			if (c != v->child)
				wfm_buf_addch(out, ',');
			wfm_json_canonical(out, c);
		}
		wfm_buf_addch(out, ']');
		break;
	case cJSON_Object:
		canon_object(out, v);
		break;
	default:
		wfm_buf_adds(out, "null");
		break;
	}
}
