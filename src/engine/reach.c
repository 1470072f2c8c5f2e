/*
 * Out of reach: the lines of code a chunk() call with a match leaves in no
 * unit. A run changes only code that is in some unit, so these are what
 * it cannot touch, whatever its agents do; the approval card and the
 * report list them (docs/engine.md, "Out of reach").
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/strvec.h"
#include "chunk/chunk.h"
#include "chunk/lang.h"
#include "engine/engine_priv.h"

const char *wfm_engine_reach_pattern(const cJSON *params)
{
	return wfm_json_get_nonempty(params, "match");
}

int wfm_engine_out_of_reach(cJSON **out, struct wfm_repo *repo, const char *rev,
			    const cJSON *params)
{
	struct wfm_chunk_opts opts = WFM_CHUNK_OPTS_INIT;
	struct wfm_unit_list lines = WFM_UNIT_LIST_INIT;
	struct wfm_strvec paths = WFM_STRVEC_INIT;
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(params, "paths"), *it;
	const char *lang = wfm_json_get_nonempty(params, "lang");
	struct wfm_buf text = WFM_BUF_INIT;
	int rc;

	*out = NULL;
	opts.match = wfm_engine_reach_pattern(params);
	if (!opts.match)
		return 0;
	if (lang && (rc = wfm_lang_from_name(&opts.lang, lang)) < 0)
		return rc;
	if (cJSON_IsString(p))
		wfm_strvec_push(&paths, p->valuestring);
	cJSON_ArrayForEach (it, p) {
		if (cJSON_IsString(it))
			wfm_strvec_push(&paths, it->valuestring);
	}
	opts.rev = rev;
	opts.pathspecs = (const char *const *)paths.v;
	opts.pathspecs_nr = paths.nr;
	opts.uncovered = WFM_CHUNK_UNCOVERED_LINES;
	opts.with_text = 1;
	if ((rc = wfm_chunk_run(&lines, repo, &opts)) < 0)
		goto done;
	*out = wfm_json_array();
	for (size_t i = 0; i < lines.nr; i++) {
		cJSON *o = wfm_json_object();

		wfm_buf_clear(&text);
		wfm_unit_line_text(&text, &lines.v[i], WFM_ENGINE_REACH_TEXT_MAX);
		wfm_json_add_str(o, "path", lines.v[i].path);
		wfm_json_add_num(o, "line", lines.v[i].start_line);
		wfm_json_add_str(o, "text", text.ptr);
		if (lines.v[i].reason)
			wfm_json_add_str(o, "reason", lines.v[i].reason);
		wfm_json_add(*out, NULL, o);
	}
done:
	wfm_unit_list_release(&lines);
	wfm_strvec_clear(&paths);
	wfm_buf_release(&text);
	return rc;
}

void wfm_engine_reach_line(struct wfm_buf *out, const cJSON *line)
{
	const cJSON *path = cJSON_GetObjectItemCaseSensitive(line, "path");
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(line, "line");
	const cJSON *text = cJSON_GetObjectItemCaseSensitive(line, "text");
	const cJSON *reason = cJSON_GetObjectItemCaseSensitive(line, "reason");

	wfm_buf_addf(out, "%s:%lu: %s%s", cJSON_IsString(path) ? path->valuestring : "?",
		     cJSON_IsNumber(n) ? (unsigned long)n->valuedouble : 0UL,
		     cJSON_IsString(reason) ? "(binary file) " : "",
		     cJSON_IsString(text) ? text->valuestring : "");
}

/* " ':/<path>'": a pathspec of chunk() on the command line, wherever it is typed */
static void add_spec(struct wfm_buf *out, const char *path)
{
	struct wfm_buf spec = WFM_BUF_INIT;

	wfm_buf_addf(&spec, ":/%s", path);
	wfm_buf_addch(out, ' ');
	wfm_buf_add_sq(out, spec.ptr);
	wfm_buf_release(&spec);
}

void wfm_engine_reach_hint(struct wfm_buf *out, const char *rev, const cJSON *params)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(params, "paths"), *it;
	const char *match = wfm_engine_reach_pattern(params),
		   *lang = wfm_json_get_nonempty(params, "lang");
	size_t len;

	wfm_buf_adds(out, "git wfmigrate chunk --uncovered --match ");
	wfm_buf_add_sq(out, match ? match : "");
	if (rev)
		wfm_buf_addf(out, " --rev %.12s", rev);
	if (lang) {
		wfm_buf_adds(out, " --lang ");
		wfm_buf_add_sq(out, lang);
	}
	wfm_buf_adds(out, " --");
	len = out->len;
	if (cJSON_IsString(p))
		add_spec(out, p->valuestring);
	cJSON_ArrayForEach (it, p) {
		if (cJSON_IsString(it))
			add_spec(out, it->valuestring);
	}
	if (out->len == len)
		wfm_buf_adds(out, " :/");
}

void wfm_engine_reach_add(struct engine *e, const char *pattern, const cJSON *lines)
{
	const cJSON *l;
	size_t i;

	for (i = 0; i < e->reach_patterns.nr; i++)
		if (!strcmp(e->reach_patterns.v[i], pattern))
			break;
	if (i == e->reach_patterns.nr)
		wfm_strvec_push(&e->reach_patterns, pattern);
	cJSON_ArrayForEach (l, lines) {
		const cJSON *path = cJSON_GetObjectItemCaseSensitive(l, "path");
		const cJSON *line = cJSON_GetObjectItemCaseSensitive(l, "line");
		const cJSON *text = cJSON_GetObjectItemCaseSensitive(l, "text");
		const cJSON *reason = cJSON_GetObjectItemCaseSensitive(l, "reason");
		struct reach_line *r;

		if (!cJSON_IsString(path) || !cJSON_IsNumber(line) || line->valuedouble < 1)
			continue;
		WFM_ALLOC_GROW(e->reach, e->reach_nr + 1, e->reach_alloc);
		r = &e->reach[e->reach_nr++];
		r->path = wfm_strdup(path->valuestring);
		r->line = (unsigned long)line->valuedouble;
		r->text = wfm_strdup(cJSON_IsString(text) ? text->valuestring : "");
		r->reason = cJSON_IsString(reason) ? wfm_strdup(reason->valuestring) : NULL;
	}
}

static int cmp_line(const void *a, const void *b)
{
	const struct reach_line *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	if (!c)
		c = x->line < y->line ? -1 : x->line > y->line;
	if (!c)
		c = strcmp(x->text, y->text);
	return c;
}

static void line_free(struct reach_line *r)
{
	free(r->path);
	free(r->text);
	free(r->reason);
}

cJSON *wfm_engine_reach_report(struct engine *e)
{
	cJSON *o, *patterns, *lines;
	size_t kept = 0;

	if (!e->reach_patterns.nr)
		return cJSON_CreateNull();
	/* in path and line order, each line once: several calls may list it */
	if (e->reach_nr)
		qsort(e->reach, e->reach_nr, sizeof(*e->reach), cmp_line);
	for (size_t i = 0; i < e->reach_nr; i++) {
		if (kept && !cmp_line(&e->reach[kept - 1], &e->reach[i])) {
			line_free(&e->reach[i]);
			continue;
		}
		e->reach[kept++] = e->reach[i];
	}
	e->reach_nr = kept;

	o = wfm_json_object();
	patterns = wfm_json_array();
	for (size_t i = 0; i < e->reach_patterns.nr; i++)
		wfm_json_add_str(patterns, NULL, e->reach_patterns.v[i]);
	wfm_json_add(o, "patterns", patterns);
	wfm_json_add_num(o, "total", (double)e->reach_nr);
	lines = wfm_json_array();
	for (size_t i = 0; i < e->reach_nr && i < WFM_ENGINE_REACH_REPORT_MAX; i++) {
		cJSON *l = wfm_json_object();

		wfm_json_add_str(l, "path", e->reach[i].path);
		wfm_json_add_num(l, "line", (double)e->reach[i].line);
		wfm_json_add_str(l, "text", e->reach[i].text);
		if (e->reach[i].reason)
			wfm_json_add_str(l, "reason", e->reach[i].reason);
		wfm_json_add(lines, NULL, l);
	}
	wfm_json_add(o, "lines", lines);
	return o;
}

void wfm_engine_reach_release(struct engine *e)
{
	for (size_t i = 0; i < e->reach_nr; i++)
		line_free(&e->reach[i]);
	free(e->reach);
	e->reach = NULL;
	e->reach_nr = e->reach_alloc = 0;
	wfm_strvec_clear(&e->reach_patterns);
}
