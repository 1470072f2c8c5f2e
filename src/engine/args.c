#include "base/common.h"
#include "base/buf.h"
#include "base/levenshtein.h"
#include "base/strvec.h"
#include "chunk/lang.h"
#include "engine/args.h"

#include <math.h>

const cJSON *wfm_args_declared(const cJSON *meta)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(meta, "args");

	return cJSON_IsObject(d) ? d : NULL;
}

const char *wfm_args_type(const cJSON *decl, const char *name)
{
	return wfm_json_get_str(cJSON_GetObjectItemCaseSensitive(decl, name), "type", "any");
}

static int listing(const char *type)
{
	return !strcmp(type, "strings") || !strcmp(type, "pathspecs");
}

int wfm_args_add(cJSON *args, const cJSON *decl, const char *kv)
{
	const char *eq = strchr(kv, '=');
	const char *type;
	cJSON *v = NULL, *had;
	char *key;

	if (!eq || eq == kv)
		return wfm_error_setc(WFM_EINVALID, "--arg expects <key>=<value>, not '%s'", kv);
	key = wfm_strndup(kv, (size_t)(eq - kv));
	type = wfm_args_type(decl, key);
	if (wfm_json_parse(&v, eq + 1, strlen(eq + 1)) < 0)
		v = NULL;
	/* a list may come as a JSON array; text is text, though it reads as JSON */
	if (v && (!strcmp(type, "string") || (listing(type) && !cJSON_IsArray(v)))) {
		cJSON_Delete(v);
		v = NULL;
	}
	if (!v)
		v = wfm_json_strn(eq + 1, strlen(eq + 1));
	had = cJSON_GetObjectItemCaseSensitive(args, key);
	if (had && listing(type) && cJSON_IsString(v)) {
		if (cJSON_IsString(had)) {
			cJSON *list = wfm_json_array();

			wfm_json_add(list, NULL, cJSON_Duplicate(had, 1));
			cJSON_ReplaceItemInObjectCaseSensitive(args, key, list);
			had = list;
		}
		if (cJSON_IsArray(had)) {
			wfm_json_add(had, NULL, v);
			free(key);
			return 0;
		}
	}
	cJSON_DeleteItemFromObjectCaseSensitive(args, key);
	wfm_json_add(args, key, v);
	free(key);
	return 0;
}

static int of_type(const cJSON *v, const char *type)
{
	const cJSON *it;

	if (!strcmp(type, "string"))
		return cJSON_IsString(v);
	if (!strcmp(type, "number"))
		return cJSON_IsNumber(v);
	if (!strcmp(type, "integer"))
		return cJSON_IsNumber(v) && isfinite(v->valuedouble) &&
		       floor(v->valuedouble) == v->valuedouble;
	if (!strcmp(type, "boolean"))
		return cJSON_IsBool(v);
	if (listing(type)) {
		int paths = !strcmp(type, "pathspecs");

		if (cJSON_IsString(v))
			return !paths || *v->valuestring;
		if (!cJSON_IsArray(v) || (paths && !cJSON_GetArraySize(v)))
			return 0;
		cJSON_ArrayForEach (it, v) {
			if (!cJSON_IsString(it) || (paths && !*it->valuestring))
				return 0;
		}
		return 1;
	}
	if (!strcmp(type, "array"))
		return cJSON_IsArray(v);
	if (!strcmp(type, "object"))
		return cJSON_IsObject(v);
	return 1;
}

static const char *type_phrase(const char *type)
{
	static const struct {
		const char *type, *phrase;
	} phrases[] = {
		{ "string", "a string" },
		{ "number", "a number" },
		{ "integer", "a whole number" },
		{ "boolean", "true or false" },
		{ "strings", "a string or an array of strings" },
		{ "pathspecs", "a pathspec or an array of pathspecs" },
		{ "array", "an array" },
		{ "object", "an object" },
	};

	for (size_t i = 0; i < WFM_ARRAY_SIZE(phrases); i++)
		if (!strcmp(phrases[i].type, type))
			return phrases[i].phrase;
	return "anything";
}

/* v as JSON, at most 80 bytes of it */
static void shown(struct wfm_buf *out, const cJSON *v)
{
	struct wfm_buf b = WFM_BUF_INIT;

	wfm_json_print(&b, v);
	if (b.len > 80)
		wfm_buf_addf(out, "%.77s...", b.ptr);
	else
		wfm_buf_adds(out, b.ptr);
	wfm_buf_release(&b);
}

static int unknown(const cJSON *decl, const char *key, const char *workflow)
{
	struct wfm_strvec names = WFM_STRVEC_INIT;
	struct wfm_buf hint = WFM_BUF_INIT;
	const cJSON *d;
	int rc;

	cJSON_ArrayForEach (d, decl) {
		wfm_strvec_push(&names, d->string);
	}
	if (!wfm_similar_hint(&hint, key, (const char *const *)names.v, NULL)) {
		wfm_buf_adds(&hint, names.nr ? "its arguments are " : "it takes no arguments");
		for (size_t i = 0; i < names.nr; i++)
			wfm_buf_addf(&hint, "%s'%s'", i ? ", " : "", names.v[i]);
	}
	rc = wfm_error_setc(WFM_EINVALID, "workflow '%s' has no argument '%s'; %s", workflow, key,
			    hint.ptr);
	wfm_strvec_clear(&names);
	wfm_buf_release(&hint);
	return rc;
}

int wfm_args_check(const cJSON *args, const cJSON *decl, const char *workflow)
{
	struct wfm_buf b = WFM_BUF_INIT;
	const cJSON *v, *d;
	int rc = 0;

	if (!decl)
		return 0;
	if (!cJSON_IsObject(args)) {
		shown(&b, args);
		rc = wfm_error_setc(WFM_EINVALID,
				    "workflow '%s' takes named arguments (a JSON object), not %s",
				    workflow, b.ptr);
		goto done;
	}
	cJSON_ArrayForEach (v, args) {
		const char *type;
		const cJSON *allowed, *e;

		d = cJSON_GetObjectItemCaseSensitive(decl, v->string);
		if (!d) {
			if (!strcmp(v->string, "goal") && cJSON_IsString(v) && !*v->valuestring)
				continue;
			if (!strcmp(v->string, "goal")) {
				rc = wfm_error_setc(
					WFM_EINVALID,
					"workflow '%s' takes no goal (the words after the "
					"options): give its arguments with --arg",
					workflow);
				goto done;
			}
			rc = unknown(decl, v->string, workflow);
			goto done;
		}
		type = wfm_args_type(decl, v->string);
		wfm_buf_clear(&b);
		shown(&b, v);
		if (!of_type(v, type)) {
			rc = wfm_error_setc(WFM_EINVALID,
					    "argument '%s' of workflow '%s' must be %s, not %s",
					    v->string, workflow, type_phrase(type), b.ptr);
			goto done;
		}
		allowed = cJSON_GetObjectItemCaseSensitive(d, "enum");
		if (!cJSON_IsArray(allowed))
			continue;
		cJSON_ArrayForEach (e, allowed) {
			if (cJSON_Compare(e, v, 1))
				break;
		}
		if (!e) {
			struct wfm_buf list = WFM_BUF_INIT;

			cJSON_ArrayForEach (e, allowed) {
				wfm_buf_adds(&list, list.len ? ", " : "");
				shown(&list, e);
			}
			rc = wfm_error_setc(
				WFM_EINVALID,
				"argument '%s' of workflow '%s' must be one of %s, not %s",
				v->string, workflow, list.ptr, b.ptr);
			wfm_buf_release(&list);
			goto done;
		}
	}
	cJSON_ArrayForEach (d, decl) {
		const cJSON *desc = cJSON_GetObjectItemCaseSensitive(d, "description");

		v = cJSON_GetObjectItemCaseSensitive(args, d->string);
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "required")) ||
		    (v && !(cJSON_IsString(v) && !*v->valuestring)))
			continue;
		if (!strcmp(d->string, "goal"))
			rc = wfm_error_setc(
				WFM_EINVALID,
				"workflow '%s' needs a goal: give it as the words after "
				"the options (git wfmigrate run [<options>] \"<goal>\")",
				workflow);
		else
			rc = wfm_error_setc(WFM_EINVALID,
					    "workflow '%s' needs the argument '%s'%s%s%s: give it "
					    "with --arg %s=<value>",
					    workflow, d->string, cJSON_IsString(desc) ? " (" : "",
					    cJSON_IsString(desc) ? desc->valuestring : "",
					    cJSON_IsString(desc) ? ")" : "", d->string);
		goto done;
	}
done:
	wfm_buf_release(&b);
	return rc;
}

int wfm_args_is_pathspecs(const cJSON *decl, const char *key)
{
	if (!decl)
		return !strcmp(key, "paths");
	return !strcmp(wfm_args_type(decl, key), "pathspecs");
}

/* Adds one typed pathspec to ps and returns its canonical form as a JSON string. */
static int resolve_one(cJSON **out, struct wfm_pathspec *ps, const char *key, const char *spec,
		       const struct wfm_pathspec_base *base)
{
	int rc = wfm_pathspec_add(ps, spec, base);
	char *c;

	if (rc < 0) {
		char *why = wfm_strdup(wfm_error_last());

		rc = wfm_error_setc(rc, "args.%s: %s", key, why);
		free(why);
		return rc;
	}
	c = wfm_pathspec_canonical(&ps->v[ps->nr - 1]);
	*out = wfm_json_strn(c, strlen(c));
	free(c);
	return 0;
}

int wfm_args_resolve_pathspecs(cJSON *args, const cJSON *decl, const struct wfm_pathspec_base *base,
			       struct wfm_pathspec *ps)
{
	cJSON *v, *it, *c;
	int rc;

	if (!cJSON_IsObject(args))
		return 0;
	cJSON_ArrayForEach (v, args) {
		if (!wfm_args_is_pathspecs(decl, v->string))
			continue;
		if (cJSON_IsString(v)) {
			if ((rc = resolve_one(&c, ps, v->string, v->valuestring, base)) < 0)
				return rc;
			cJSON_SetValuestring(v, c->valuestring);
			cJSON_Delete(c);
			continue;
		}
		cJSON_ArrayForEach (it, v) {
			if (!cJSON_IsString(it))
				continue;
			if ((rc = resolve_one(&c, ps, v->string, it->valuestring, base)) < 0)
				return rc;
			cJSON_SetValuestring(it, c->valuestring);
			cJSON_Delete(c);
		}
	}
	return 0;
}

static const cJSON *option(const cJSON *obj, const char *name, const char *const *only)
{
	if (only) {
		while (*only && strcmp(*only, name))
			only++;
		if (!*only)
			return NULL;
	}
	return cJSON_GetObjectItemCaseSensitive(obj, name);
}

static const char *text_option(const cJSON *obj, const char *name, const char *const *only)
{
	const cJSON *v = option(obj, name, only);

	return cJSON_IsString(v) && *v->valuestring ? v->valuestring : NULL;
}

int wfm_args_chunk_opts(struct wfm_chunk_opts *opts, struct wfm_strvec *paths, const cJSON *obj,
			const char *const *only)
{
	const cJSON *p = option(obj, "paths", only), *max = option(obj, "maxBytes", only), *it;
	const char *lang = text_option(obj, "lang", only);

	opts->match = text_option(obj, "match", only);
	opts->query = text_option(obj, "query", only);
	opts->changed_since = text_option(obj, "changedSince", only);
	if (cJSON_IsNumber(max) && max->valuedouble > 0)
		opts->max_bytes = (size_t)max->valuedouble;
	if (lang && wfm_lang_from_name(&opts->lang, lang) < 0)
		return WFM_EINVALID;
	if (cJSON_IsString(p))
		wfm_strvec_push(paths, p->valuestring);
	else
		cJSON_ArrayForEach (it, p) {
			if (cJSON_IsString(it))
				wfm_strvec_push(paths, it->valuestring);
		}
	opts->pathspecs = (const char *const *)paths->v;
	opts->pathspecs_nr = paths->nr;
	return 0;
}

void wfm_args_command_line(struct wfm_buf *out, const cJSON *args, const char *skip)
{
	struct wfm_buf kv = WFM_BUF_INIT;
	const cJSON *a;
	int scalars = cJSON_IsObject(args);

	for (a = scalars ? args->child : NULL; a; a = a->next)
		scalars &= cJSON_IsString(a) || cJSON_IsNumber(a) || cJSON_IsBool(a);
	if (!scalars) {
		if (args && !cJSON_IsNull(args)) {
			wfm_json_print(&kv, args);
			wfm_buf_adds(out, " --args-json ");
			wfm_buf_add_sq(out, kv.ptr);
		}
		wfm_buf_release(&kv);
		return;
	}
	cJSON_ArrayForEach (a, args) {
		if (!strcmp(a->string, "goal") || (skip && !strcmp(a->string, skip)))
			continue;
		wfm_buf_clear(&kv);
		wfm_buf_addf(&kv, "%s=", a->string);
		if (cJSON_IsString(a))
			wfm_buf_adds(&kv, a->valuestring);
		else
			wfm_json_print(&kv, a);
		wfm_buf_adds(out, " --arg ");
		wfm_buf_add_sq(out, kv.ptr);
	}
	if ((a = cJSON_GetObjectItemCaseSensitive(args, "goal")) && cJSON_IsString(a)) {
		wfm_buf_addch(out, ' ');
		wfm_buf_add_sq(out, a->valuestring);
	}
	wfm_buf_release(&kv);
}
