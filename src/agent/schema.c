/*
 * The JSON Schema subset of schema.h: a checker that refuses schemas no
 * value can match (so a script fails fast, before any agent has run) and
 * a validator that names the first violation by its path.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/regex.h"
#include "base/utf8.h"
#include "agent/schema.h"

#include <math.h> /* INFINITY, isfinite: macros; the project does not link libm */

enum {
	T_STRING = 1 << 0,
	T_NUMBER = 1 << 1,
	T_INTEGER = 1 << 2,
	T_BOOLEAN = 1 << 3,
	T_OBJECT = 1 << 4,
	T_ARRAY = 1 << 5,
	T_NULL = 1 << 6,
	T_ALL = (1 << 7) - 1,
};

static const struct {
	const char *name;
	unsigned bit;
} types[] = {
	{ "string", T_STRING },	  { "number", T_NUMBER }, { "integer", T_INTEGER },
	{ "boolean", T_BOOLEAN }, { "object", T_OBJECT }, { "array", T_ARRAY },
	{ "null", T_NULL },
};

/* Assertions we do not implement: refusing them beats dropping a constraint unseen. */
static const char *const refused[] = {
	"$ref",
	"$dynamicRef",
	"$recursiveRef",
	"patternProperties",
	"propertyNames",
	"dependentRequired",
	"dependentSchemas",
	"dependencies",
	"if",
	"then",
	"else",
	"unevaluatedProperties",
	"unevaluatedItems",
	"contains",
	"minContains",
	"maxContains",
	"prefixItems",
	"additionalItems",
};

/* Keywords whose value is a count: a non-negative integer. */
static const char *const counts[] = {
	"minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties",
};

/* rounding down without libm: doubles this large are integers already */
static double floor_d(double d)
{
	double t;

	if (!isfinite(d) || d >= 4503599627370496.0 || d <= -4503599627370496.0)
		return d;
	t = (double)(long long)d;
	return t > d ? t - 1 : t;
}

static double ceil_d(double d)
{
	return -floor_d(-d);
}

static double abs_d(double d)
{
	return d < 0 ? -d : d;
}

static int is_integral(double d)
{
	return isfinite(d) && d == floor_d(d);
}

struct ctx {
	struct wfm_buf *path; /* where we are: in the value (validate) or the schema (check) */
	struct wfm_buf msg;   /* "<path>: <reason>" of the first violation */
};

__attribute__((format(printf, 2, 3))) static int fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	wfm_buf_clear(&c->msg);
	wfm_buf_add(&c->msg, c->path->ptr, c->path->len);
	wfm_buf_adds(&c->msg, ": ");
	va_start(ap, fmt);
	wfm_buf_vaddf(&c->msg, fmt, ap);
	va_end(ap);
	return -1;
}

/* Appends .key, or ["key"] when key is not an identifier. */
static void path_key(struct wfm_buf *p, const char *key)
{
	int ident = (key[0] >= 'a' && key[0] <= 'z') || (key[0] >= 'A' && key[0] <= 'Z') ||
		    key[0] == '_' || key[0] == '$';

	for (const char *k = key; ident && *k; k++)
		ident = (*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
			(*k >= '0' && *k <= '9') || *k == '_' || *k == '$';
	if (ident) {
		wfm_buf_addf(p, ".%s", key);
		return;
	}
	wfm_buf_adds(p, "[\"");
	for (const char *k = key; *k; k++) {
		unsigned char ch = (unsigned char)*k;
		if (ch == '"' || ch == '\\')
			wfm_buf_addf(p, "\\%c", ch);
		else if (ch < 0x20)
			wfm_buf_addf(p, "\\u%04x", ch);
		else
			wfm_buf_addch(p, ch);
	}
	wfm_buf_adds(p, "\"]");
}

/* Short text of a JSON value for messages. */
static void show(struct wfm_buf *out, const cJSON *v)
{
	struct wfm_buf s = WFM_BUF_INIT;

	wfm_json_print(&s, v);
	if (s.len > 120) {
		wfm_buf_setlen(&s, 117);
		wfm_buf_adds(&s, "...");
	}
	wfm_buf_add(out, s.ptr, s.len);
	wfm_buf_release(&s);
}

static int is_schema(const cJSON *s)
{
	return cJSON_IsObject(s) || cJSON_IsBool(s);
}

static int is_count(const cJSON *v)
{
	return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 1e15 &&
	       is_integral(v->valuedouble);
}

static const cJSON *kw(const cJSON *s, const char *name)
{
	return cJSON_IsObject(s) ? cJSON_GetObjectItemCaseSensitive(s, name) : NULL;
}

/* -1 when the keyword is absent */
static double count_kw(const cJSON *s, const char *name)
{
	const cJSON *v = kw(s, name);

	return is_count(v) ? v->valuedouble : -1;
}

static unsigned type_bit(const char *name)
{
	for (size_t i = 0; i < WFM_ARRAY_SIZE(types); i++)
		if (!strcmp(types[i].name, name))
			return types[i].bit;
	return 0;
}

/* The types the schema allows (T_ALL without "type"). */
static unsigned schema_types(const cJSON *s)
{
	const cJSON *t = kw(s, "type"), *e;
	unsigned mask = 0;

	if (!t)
		return T_ALL;
	if (cJSON_IsString(t))
		return type_bit(t->valuestring);
	cJSON_ArrayForEach (e, t)
		if (cJSON_IsString(e))
			mask |= type_bit(e->valuestring);
	return mask;
}

static unsigned value_type(const cJSON *v)
{
	if (cJSON_IsString(v))
		return T_STRING;
	if (cJSON_IsNumber(v))
		return is_integral(v->valuedouble) ? T_NUMBER | T_INTEGER : T_NUMBER;
	if (cJSON_IsBool(v))
		return T_BOOLEAN;
	if (cJSON_IsObject(v))
		return T_OBJECT;
	if (cJSON_IsArray(v))
		return T_ARRAY;
	return T_NULL;
}

static void type_names(struct wfm_buf *out, unsigned mask)
{
	size_t n = 0, total = 0;

	for (size_t i = 0; i < WFM_ARRAY_SIZE(types); i++)
		if (mask & types[i].bit)
			total++;
	for (size_t i = 0; i < WFM_ARRAY_SIZE(types); i++) {
		if (!(mask & types[i].bit))
			continue;
		if (n)
			wfm_buf_adds(out, n + 1 == total ? " or " : ", ");
		wfm_buf_adds(out, types[i].name);
		n++;
	}
}

static size_t char_count(const char *s)
{
	size_t len = strlen(s), n = 0;

	for (size_t i = 0; i < len; n++) {
		size_t k = wfm_utf8_seq(s + i, len - i);
		i += k ? k : 1;
	}
	return n;
}

/* ---- validation ---- */

enum { SKIP_ENUM = 1, SKIP_CONST = 2 };

static int validate(struct ctx *c, const cJSON *s, const cJSON *v, unsigned skip);

static int validate_number(struct ctx *c, const cJSON *s, double d)
{
	const cJSON *min = kw(s, "minimum"), *max = kw(s, "maximum");
	const cJSON *xmin = kw(s, "exclusiveMinimum"), *xmax = kw(s, "exclusiveMaximum");
	const cJSON *mult = kw(s, "multipleOf");

	if (cJSON_IsNumber(min)) {
		if (cJSON_IsTrue(xmin) && !(d > min->valuedouble))
			return fail(c, "expected a number above %.17g, got %.17g", min->valuedouble,
				    d);
		if (!(d >= min->valuedouble))
			return fail(c, "expected a number >= %.17g, got %.17g", min->valuedouble,
				    d);
	}
	if (cJSON_IsNumber(max)) {
		if (cJSON_IsTrue(xmax) && !(d < max->valuedouble))
			return fail(c, "expected a number below %.17g, got %.17g", max->valuedouble,
				    d);
		if (!(d <= max->valuedouble))
			return fail(c, "expected a number <= %.17g, got %.17g", max->valuedouble,
				    d);
	}
	if (cJSON_IsNumber(xmin) && !(d > xmin->valuedouble))
		return fail(c, "expected a number above %.17g, got %.17g", xmin->valuedouble, d);
	if (cJSON_IsNumber(xmax) && !(d < xmax->valuedouble))
		return fail(c, "expected a number below %.17g, got %.17g", xmax->valuedouble, d);
	if (cJSON_IsNumber(mult) && mult->valuedouble > 0) {
		double q = d / mult->valuedouble;
		/* 0.3 / 0.1 is 2.9999999999999996: a relative tolerance */
		if (!isfinite(q) ||
		    abs_d(q - floor_d(q + 0.5)) > 1e-9 * (abs_d(q) > 1 ? abs_d(q) : 1.0))
			return fail(c, "expected a multiple of %.17g, got %.17g", mult->valuedouble,
				    d);
	}
	return 0;
}

static int validate_string(struct ctx *c, const cJSON *s, const char *str)
{
	double min = count_kw(s, "minLength"), max = count_kw(s, "maxLength");
	const cJSON *pat = kw(s, "pattern");
	size_t n = (min >= 0 || max >= 0) ? char_count(str) : 0;

	if (min >= 0 && (double)n < min)
		return fail(c, "expected at least %.0f characters, got %zu", min, n);
	if (max >= 0 && (double)n > max)
		return fail(c, "expected at most %.0f characters, got %zu", max, n);
	if (cJSON_IsString(pat)) {
		struct wfm_regex *re = NULL;
		int rc = wfm_regex_compile(&re, pat->valuestring, 0);

		if (rc < 0)
			return fail(c, "%s", wfm_error_last());
		rc = wfm_regex_match(re, str, strlen(str), 0, NULL);
		wfm_regex_free(re);
		if (rc == 0)
			return fail(c, "does not match the pattern '%s'", pat->valuestring);
		if (rc < 0)
			return fail(c, "cannot match the pattern '%s': %s", pat->valuestring,
				    wfm_error_last());
	}
	return 0;
}

static int validate_array(struct ctx *c, const cJSON *s, const cJSON *v)
{
	double min = count_kw(s, "minItems"), max = count_kw(s, "maxItems");
	const cJSON *items = kw(s, "items"), *e;
	size_t n = (size_t)cJSON_GetArraySize(v), i = 0;

	if (min >= 0 && (double)n < min)
		return fail(c, "expected at least %.0f items, got %zu", min, n);
	if (max >= 0 && (double)n > max)
		return fail(c, "expected at most %.0f items, got %zu", max, n);
	if (cJSON_IsTrue(kw(s, "uniqueItems"))) {
		size_t a = 0;
		for (const cJSON *x = v->child; x; x = x->next, a++) {
			size_t b = a + 1;
			for (const cJSON *y = x->next; y; y = y->next, b++)
				if (cJSON_Compare(x, y, 1))
					return fail(c, "items %zu and %zu are equal", a, b);
		}
	}
	if (!is_schema(items))
		return 0;
	cJSON_ArrayForEach (e, v) {
		size_t len = c->path->len;
		int rc;

		wfm_buf_addf(c->path, "[%zu]", i++);
		rc = validate(c, items, e, 0);
		wfm_buf_setlen(c->path, len);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* validates v under the member name of the current path */
static int validate_member(struct ctx *c, const char *name, const cJSON *s, const cJSON *v)
{
	size_t len = c->path->len;
	int rc;

	path_key(c->path, name);
	rc = validate(c, s, v, 0);
	wfm_buf_setlen(c->path, len);
	return rc;
}

static int validate_object(struct ctx *c, const cJSON *s, const cJSON *v)
{
	double min = count_kw(s, "minProperties"), max = count_kw(s, "maxProperties");
	const cJSON *req = kw(s, "required"), *props = kw(s, "properties");
	const cJSON *extra = kw(s, "additionalProperties"), *e;
	size_t n = (size_t)cJSON_GetArraySize(v);

	cJSON_ArrayForEach (e, req) {
		if (cJSON_IsString(e) && !cJSON_GetObjectItemCaseSensitive(v, e->valuestring)) {
			size_t len = c->path->len;
			path_key(c->path, e->valuestring);
			fail(c, "missing required property");
			wfm_buf_setlen(c->path, len);
			return -1;
		}
	}
	if (min >= 0 && (double)n < min)
		return fail(c, "expected at least %.0f properties, got %zu", min, n);
	if (max >= 0 && (double)n > max)
		return fail(c, "expected at most %.0f properties, got %zu", max, n);
	cJSON_ArrayForEach (e, v) {
		const char *name = e->string ? e->string : "";
		const cJSON *ps = cJSON_IsObject(props)
					  ? cJSON_GetObjectItemCaseSensitive(props, name)
					  : NULL;

		if (ps && validate_member(c, name, ps, e) < 0)
			return -1;
		if (!ps && cJSON_IsFalse(extra)) {
			size_t len = c->path->len;
			path_key(c->path, name);
			fail(c, "unexpected property");
			wfm_buf_setlen(c->path, len);
			return -1;
		}
		if (!ps && cJSON_IsObject(extra) && validate_member(c, name, extra, e) < 0)
			return -1;
	}
	return 0;
}

/* Tries s on v without touching c->msg; 1 when it matches. why gets the failure, if non-NULL. */
static int matches(struct ctx *c, const cJSON *s, const cJSON *v, struct wfm_buf *why)
{
	struct ctx t = { c->path, WFM_BUF_INIT };
	int ok = validate(&t, s, v, 0) == 0;

	if (!ok && why) {
		/* the reason without the path, which is the caller's own */
		const char *r = t.msg.ptr + (c->path->len <= t.msg.len ? c->path->len : 0);
		if (!strncmp(r, ": ", 2))
			r += 2;
		else
			r = t.msg.ptr;
		wfm_buf_adds(why, r);
	}
	wfm_buf_release(&t.msg);
	return ok;
}

static int validate_combinators(struct ctx *c, const cJSON *s, const cJSON *v)
{
	const cJSON *all = kw(s, "allOf"), *any = kw(s, "anyOf"), *one = kw(s, "oneOf");
	const cJSON *not = kw(s, "not"), *e;

	cJSON_ArrayForEach (e, all)
		if (validate(c, e, v, 0) < 0)
			return -1;
	if (cJSON_IsArray(any) && any->child) {
		struct wfm_buf why = WFM_BUF_INIT;
		int ok = 0;

		cJSON_ArrayForEach (e, any)
			if ((ok = matches(c, e, v, why.len ? NULL : &why)))
				break;
		if (!ok)
			fail(c, "matches no schema of anyOf (the first: %s)", why.ptr);
		wfm_buf_release(&why);
		if (!ok)
			return -1;
	}
	if (cJSON_IsArray(one) && one->child) {
		struct wfm_buf why = WFM_BUF_INIT;
		int n = 0;

		cJSON_ArrayForEach (e, one)
			n += matches(c, e, v, why.len ? NULL : &why);
		if (n == 0)
			fail(c, "matches no schema of oneOf (the first: %s)", why.ptr);
		else if (n > 1)
			fail(c, "matches %d schemas of oneOf, expected exactly one", n);
		wfm_buf_release(&why);
		if (n != 1)
			return -1;
	}
	if (is_schema(not ) && matches(c, not, v, NULL))
		return fail(c, "matches the schema of 'not'");
	return 0;
}

static int validate(struct ctx *c, const cJSON *s, const cJSON *v, unsigned skip)
{
	const cJSON *e, *en = kw(s, "enum"), *cn = kw(s, "const");
	unsigned want, got;

	if (cJSON_IsTrue(s))
		return 0;
	if (!cJSON_IsObject(s))
		return fail(c, "not allowed");
	want = schema_types(s);
	got = value_type(v);
	if (!(want & got)) {
		struct wfm_buf w = WFM_BUF_INIT, g = WFM_BUF_INIT;

		type_names(&w, want);
		type_names(&g, got & T_INTEGER ? T_INTEGER : got);
		fail(c, "expected %s, got %s", w.len ? w.ptr : "nothing", g.ptr);
		wfm_buf_release(&w);
		wfm_buf_release(&g);
		return -1;
	}
	if (!(skip & SKIP_ENUM) && cJSON_IsArray(en)) {
		int found = 0;

		cJSON_ArrayForEach (e, en)
			if ((found = cJSON_Compare(e, v, 1)))
				break;
		if (!found) {
			struct wfm_buf list = WFM_BUF_INIT;
			show(&list, en);
			fail(c, "expected one of %s", list.ptr);
			wfm_buf_release(&list);
			return -1;
		}
	}
	if (!(skip & SKIP_CONST) && cn && !cJSON_Compare(cn, v, 1)) {
		struct wfm_buf want_s = WFM_BUF_INIT;
		show(&want_s, cn);
		fail(c, "expected %s", want_s.ptr);
		wfm_buf_release(&want_s);
		return -1;
	}
	if (cJSON_IsNumber(v) && validate_number(c, s, v->valuedouble) < 0)
		return -1;
	if (cJSON_IsString(v) && validate_string(c, s, v->valuestring) < 0)
		return -1;
	if (cJSON_IsArray(v) && validate_array(c, s, v) < 0)
		return -1;
	if (cJSON_IsObject(v) && validate_object(c, s, v) < 0)
		return -1;
	return validate_combinators(c, s, v);
}

/* ---- checking ---- */

/*
 * Checks s, at c->path in the schema. Returns -1 when it is malformed
 * (c->msg says why); otherwise 0, with *sat telling whether some value
 * can match it and, when none can, c->msg saying why.
 */
static int check(struct ctx *c, const cJSON *s, int *sat);

/* check() of s under the suffix of the current path, e.g. ".items" */
static int check_at(struct ctx *c, const char *suffix, const cJSON *s, int *sat)
{
	size_t len = c->path->len;
	int rc;

	wfm_buf_adds(c->path, suffix);
	rc = check(c, s, sat);
	wfm_buf_setlen(c->path, len);
	return rc;
}

/* Keeps the first reason an alternative is unsatisfiable. */
static void keep_why(struct wfm_buf *why, const struct ctx *c)
{
	if (!why->len)
		wfm_buf_add(why, c->msg.ptr, c->msg.len);
}

__attribute__((format(printf, 3, 4))) static void why_at(struct wfm_buf *why, struct ctx *c,
							 const char *fmt, ...)
{
	va_list ap;

	if (why->len)
		return;
	wfm_buf_add(why, c->path->ptr, c->path->len);
	wfm_buf_adds(why, ": ");
	va_start(ap, fmt);
	wfm_buf_vaddf(why, fmt, ap);
	va_end(ap);
}

static int in_list(const cJSON *arr, const char *name)
{
	const cJSON *e;

	cJSON_ArrayForEach (e, arr)
		if (cJSON_IsString(e) && !strcmp(e->valuestring, name))
			return 1;
	return 0;
}

/* What check_keyword learnt of the subschemas, for type_sat. */
struct facts {
	int extra_ok;	 /* some value matches additionalProperties */
	size_t props_ok; /* properties that some value matches */
};

/*
 * The form of one keyword; -1 (c->msg) when wrong. Clears *sat when a
 * subschema makes s match nothing (a required property that matches
 * nothing, ...), with the reason in why.
 */
static int check_keyword(struct ctx *c, const cJSON *s, const cJSON *k, int *sat,
			 struct wfm_buf *why, struct facts *f)
{
	const char *name = k->string;
	const cJSON *e;
	size_t i = 0;

	for (size_t j = 0; j < WFM_ARRAY_SIZE(refused); j++)
		if (!strcmp(name, refused[j]))
			return fail(c, "'%s' is not supported", name);
	for (size_t j = 0; j < WFM_ARRAY_SIZE(counts); j++)
		if (!strcmp(name, counts[j]) && !is_count(k))
			return fail(c, "'%s' must be a non-negative integer", name);
	if (!strcmp(name, "type")) {
		if (!cJSON_IsString(k) && !cJSON_IsArray(k))
			return fail(c, "'type' must be a type name or a list of them");
		if (cJSON_IsArray(k) && !k->child)
			return fail(c, "'type' is an empty list");
		if (cJSON_IsString(k) && !type_bit(k->valuestring))
			return fail(c, "unknown type '%s'", k->valuestring);
		cJSON_ArrayForEach (e, k) {
			if (!cJSON_IsString(e))
				return fail(c, "'type' must be a type name or a list of them");
			if (!type_bit(e->valuestring))
				return fail(c, "unknown type '%s'", e->valuestring);
		}
	} else if (!strcmp(name, "enum")) {
		if (!cJSON_IsArray(k))
			return fail(c, "'enum' must be a list");
	} else if (!strcmp(name, "required")) {
		if (!cJSON_IsArray(k))
			return fail(c, "'required' must be a list of property names");
		cJSON_ArrayForEach (e, k)
			if (!cJSON_IsString(e))
				return fail(c, "'required' must be a list of property names");
	} else if (!strcmp(name, "properties")) {
		if (!cJSON_IsObject(k))
			return fail(c, "'properties' must be an object");
		cJSON_ArrayForEach (e, k) {
			struct wfm_buf at = WFM_BUF_INIT;
			int ok = 1, rc;

			wfm_buf_adds(&at, ".properties");
			path_key(&at, e->string ? e->string : "");
			rc = check_at(c, at.ptr, e, &ok);
			wfm_buf_release(&at);
			if (rc < 0)
				return rc;
			f->props_ok += ok;
			/* a property nothing matches must be absent: fine unless it is required */
			if (!ok && in_list(kw(s, "required"), e->string ? e->string : "")) {
				keep_why(why, c);
				*sat = 0;
			}
		}
	} else if (!strcmp(name, "additionalProperties") || !strcmp(name, "not")) {
		int ok = 1;
		struct wfm_buf at = WFM_BUF_INIT;
		int rc;

		if (!is_schema(k))
			return fail(c, "'%s' must be a schema", name);
		wfm_buf_addf(&at, ".%s", name);
		rc = check_at(c, at.ptr, k, &ok);
		wfm_buf_release(&at);
		if (rc < 0)
			return rc;
		if (!strcmp(name, "additionalProperties"))
			f->extra_ok = ok; /* false too: check() of false is "matches nothing" */
	} else if (!strcmp(name, "items")) {
		int ok = 1;

		if (cJSON_IsArray(k))
			return fail(c, "'items' as a list is not supported (give one schema for "
				       "every item)");
		if (!is_schema(k))
			return fail(c, "'items' must be a schema");
		if (check_at(c, ".items", k, &ok) < 0)
			return -1;
		if (!ok && count_kw(s, "minItems") > 0) {
			keep_why(why, c);
			*sat = 0;
		}
	} else if (!strcmp(name, "minimum") || !strcmp(name, "maximum")) {
		if (!cJSON_IsNumber(k))
			return fail(c, "'%s' must be a number", name);
	} else if (!strcmp(name, "exclusiveMinimum") || !strcmp(name, "exclusiveMaximum")) {
		if (!cJSON_IsNumber(k) && !cJSON_IsBool(k))
			return fail(c, "'%s' must be a number", name);
	} else if (!strcmp(name, "multipleOf")) {
		if (!cJSON_IsNumber(k) || !(k->valuedouble > 0))
			return fail(c, "'multipleOf' must be a number above 0");
	} else if (!strcmp(name, "uniqueItems")) {
		if (!cJSON_IsBool(k))
			return fail(c, "'uniqueItems' must be a boolean");
	} else if (!strcmp(name, "pattern")) {
		struct wfm_regex *re = NULL;

		if (!cJSON_IsString(k))
			return fail(c, "'pattern' must be a string");
		if (wfm_regex_compile(&re, k->valuestring, 0) < 0)
			return fail(c, "%s", wfm_error_last());
		wfm_regex_free(re);
	} else if (!strcmp(name, "allOf") || !strcmp(name, "anyOf") || !strcmp(name, "oneOf")) {
		int any_ok = 0, all_ok = 1;
		struct wfm_buf first = WFM_BUF_INIT;

		if (!cJSON_IsArray(k) || !k->child)
			return fail(c, "'%s' must be a non-empty list of schemas", name);
		cJSON_ArrayForEach (e, k) {
			struct wfm_buf at = WFM_BUF_INIT;
			int ok = 1, rc;

			if (!is_schema(e))
				return fail(c, "'%s' must be a non-empty list of schemas", name);
			wfm_buf_addf(&at, ".%s[%zu]", name, i++);
			rc = check_at(c, at.ptr, e, &ok);
			wfm_buf_release(&at);
			if (rc < 0) {
				wfm_buf_release(&first);
				return rc;
			}
			if (!ok)
				keep_why(&first, c);
			any_ok |= ok;
			all_ok &= ok;
		}
		if (!strcmp(name, "allOf") ? !all_ok : !any_ok) {
			if (!why->len)
				wfm_buf_add(why, first.ptr, first.len);
			*sat = 0;
		}
		wfm_buf_release(&first);
	}
	return 0;
}

/* Whether some value of type t (one bit) can match the keywords of s; why says why not. */
static int type_sat(struct ctx *c, const cJSON *s, unsigned t, const struct facts *f,
		    struct wfm_buf *why)
{
	if (t == T_NUMBER || t == T_INTEGER) {
		const cJSON *min = kw(s, "minimum"), *max = kw(s, "maximum");
		const cJSON *xmin = kw(s, "exclusiveMinimum"), *xmax = kw(s, "exclusiveMaximum");
		double lo = -INFINITY, hi = INFINITY;
		int lo_x = 0, hi_x = 0;

		if (cJSON_IsNumber(min)) {
			lo = min->valuedouble;
			lo_x = cJSON_IsTrue(xmin);
		}
		if (cJSON_IsNumber(max)) {
			hi = max->valuedouble;
			hi_x = cJSON_IsTrue(xmax);
		}
		if (cJSON_IsNumber(xmin) && xmin->valuedouble >= lo) {
			lo = xmin->valuedouble;
			lo_x = 1;
		}
		if (cJSON_IsNumber(xmax) && xmax->valuedouble <= hi) {
			hi = xmax->valuedouble;
			hi_x = 1;
		}
		if (lo > hi || (lo == hi && (lo_x || hi_x))) {
			why_at(why, c, "no number is %s %.17g and %s %.17g",
			       lo_x ? "above" : "at least", lo, hi_x ? "below" : "at most", hi);
			return 0;
		}
		if (t == T_INTEGER) {
			double a = lo_x ? floor_d(lo) + 1 : ceil_d(lo);
			double b = hi_x ? ceil_d(hi) - 1 : floor_d(hi);
			if (a > b) {
				why_at(why, c, "no integer is %s %.17g and %s %.17g",
				       lo_x ? "above" : "at least", lo, hi_x ? "below" : "at most",
				       hi);
				return 0;
			}
		}
		return 1;
	}
	if (t == T_STRING) {
		double min = count_kw(s, "minLength"), max = count_kw(s, "maxLength");
		if (min >= 0 && max >= 0 && min > max) {
			why_at(why, c, "minLength %.0f is greater than maxLength %.0f", min, max);
			return 0;
		}
		return 1;
	}
	if (t == T_ARRAY) {
		double min = count_kw(s, "minItems"), max = count_kw(s, "maxItems");

		/* items that match nothing with minItems > 0: check_keyword saw to it */
		if (min >= 0 && max >= 0 && min > max) {
			why_at(why, c, "minItems %.0f is greater than maxItems %.0f", min, max);
			return 0;
		}
		return 1;
	}
	if (t == T_OBJECT) {
		double min = count_kw(s, "minProperties"), max = count_kw(s, "maxProperties");
		const cJSON *req = kw(s, "required"), *props = kw(s, "properties");
		const cJSON *extra = kw(s, "additionalProperties"), *e;
		size_t distinct = 0;
		int extra_ok = f->extra_ok;

		if (min >= 0 && max >= 0 && min > max) {
			why_at(why, c, "minProperties %.0f is greater than maxProperties %.0f", min,
			       max);
			return 0;
		}
		cJSON_ArrayForEach (e, req) {
			const cJSON *d;
			int dup = 0;

			for (d = req->child; d != e; d = d->next)
				dup |= !strcmp(d->valuestring, e->valuestring);
			distinct += !dup;
			if (cJSON_IsObject(props) &&
			    cJSON_GetObjectItemCaseSensitive(props, e->valuestring))
				continue; /* its own schema was looked at by check_keyword */
			if (!extra_ok) {
				why_at(why, c,
				       "required property '%s' is excluded by "
				       "additionalProperties: %s",
				       e->valuestring, cJSON_IsFalse(extra) ? "false" : "<schema>");
				return 0;
			}
		}
		if (max >= 0 && (double)distinct > max) {
			why_at(why, c, "%zu properties are required but maxProperties is %.0f",
			       distinct, max);
			return 0;
		}
		if (!extra_ok && min >= 0 && (double)f->props_ok < min) {
			why_at(why, c, "minProperties is %.0f but only %zu properties are allowed",
			       min, f->props_ok);
			return 0;
		}
		return 1;
	}
	return 1; /* null, boolean */
}

/* check(), for values of the types in only (T_ALL: any value) */
static int check_types(struct ctx *c, const cJSON *s, unsigned only, int *sat)
{
	struct wfm_buf why = WFM_BUF_INIT;
	struct facts f = { 1, 0 };
	const cJSON *k, *en, *cn;
	unsigned mask;
	int rc = 0;

	*sat = 1;
	if (cJSON_IsBool(s)) {
		if (cJSON_IsFalse(s)) {
			*sat = 0;
			fail(c, "false matches nothing");
		}
		return 0;
	}
	if (!cJSON_IsObject(s))
		return fail(c, "a schema must be an object or a boolean");
	cJSON_ArrayForEach (k, s)
		if ((rc = check_keyword(c, s, k, sat, &why, &f)) < 0)
			goto done;

	en = kw(s, "enum");
	cn = kw(s, "const");
	if (*sat && cJSON_IsArray(en)) {
		const cJSON *e;
		int found = 0;

		cJSON_ArrayForEach (e, en) {
			struct wfm_buf root = WFM_BUF_INIT;
			struct ctx t = { &root, WFM_BUF_INIT };

			/* a member is a witness when it passes everything else */
			wfm_buf_adds(&root, "$");
			found = (value_type(e) & only) && validate(&t, s, e, SKIP_ENUM) == 0;
			wfm_buf_release(&t.msg);
			wfm_buf_release(&root);
			if (found)
				break;
		}
		if (!en->child)
			why_at(&why, c, "'enum' is empty");
		else if (!found)
			why_at(&why, c, "no value of 'enum' matches the rest of the schema");
		*sat = found;
	} else if (*sat && cn) {
		struct wfm_buf root = WFM_BUF_INIT;
		struct ctx t = { &root, WFM_BUF_INIT };

		wfm_buf_adds(&root, "$");
		if (!(value_type(cn) & only)) {
			*sat = 0;
			why_at(&why, c, "'const' is not an object");
		} else if (validate(&t, s, cn, SKIP_CONST) < 0) {
			*sat = 0;
			why_at(&why, c, "'const' does not match the rest of the schema (%s)",
			       t.msg.ptr);
		}
		wfm_buf_release(&t.msg);
		wfm_buf_release(&root);
	} else if (*sat) {
		/* some type it allows must be able to meet the keywords for that type */
		mask = schema_types(s);
		if (!(mask & only)) {
			struct wfm_buf names = WFM_BUF_INIT;
			type_names(&names, mask);
			why_at(&why, c, "it allows %s only, no object", names.ptr);
			wfm_buf_release(&names);
		}
		mask &= only;
		if (mask & T_NUMBER)
			mask &= ~T_INTEGER;
		*sat = 0;
		for (size_t i = 0; i < WFM_ARRAY_SIZE(types) && !*sat; i++)
			if (mask & types[i].bit)
				*sat = type_sat(c, s, types[i].bit, &f, &why);
		if (*sat) {
			const cJSON *not = kw(s, "not");
			if (cJSON_IsTrue(not ) || (cJSON_IsObject(not ) && !not ->child)) {
				*sat = 0;
				why_at(&why, c, "'not' excludes every value");
			}
		}
	}
	if (!*sat) {
		wfm_buf_clear(&c->msg);
		wfm_buf_add(&c->msg, why.ptr, why.len);
	}
done:
	wfm_buf_release(&why);
	return rc;
}

static int check(struct ctx *c, const cJSON *s, int *sat)
{
	return check_types(c, s, T_ALL, sat);
}

/* only is T_ALL or T_OBJECT: the messages above know no other restriction */
static int check_top(const cJSON *schema, unsigned only)
{
	struct wfm_buf path = WFM_BUF_INIT;
	struct ctx c = { &path, WFM_BUF_INIT };
	int sat = 1, rc;

	wfm_buf_adds(&path, "$");
	if (!schema)
		rc = wfm_error_setc(WFM_EINVALID, "invalid schema: none given");
	else if (check_types(&c, schema, only, &sat) < 0)
		rc = wfm_error_setc(WFM_EINVALID, "invalid schema at %s", c.msg.ptr);
	else if (!sat)
		rc = wfm_error_setc(WFM_EINVALID, "unsatisfiable schema at %s", c.msg.ptr);
	else
		rc = 0;
	wfm_buf_release(&c.msg);
	wfm_buf_release(&path);
	return rc;
}

int wfm_schema_check(const cJSON *schema)
{
	return check_top(schema, T_ALL);
}

int wfm_schema_check_object(const cJSON *schema)
{
	return check_top(schema, T_OBJECT);
}

int wfm_schema_validate(const cJSON *schema, const cJSON *value)
{
	struct wfm_buf path = WFM_BUF_INIT;
	struct ctx c = { &path, WFM_BUF_INIT };
	int sat, rc = 0;

	wfm_buf_adds(&path, "$");
	if (!schema || check(&c, schema, &sat) < 0) {
		rc = wfm_error_setc(WFM_EINVALID, "invalid schema at %s",
				    schema ? c.msg.ptr : "$: none given");
		goto done;
	}
	wfm_buf_clear(&c.msg);
	if (validate(&c, schema, value, 0) < 0)
		rc = wfm_error_setc(WFM_EINVALID, "%s", c.msg.ptr);
done:
	wfm_buf_release(&c.msg);
	wfm_buf_release(&path);
	return rc;
}
