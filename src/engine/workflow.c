#include "engine/workflow.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/datadir.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/levenshtein.h"
#include "base/strvec.h"
#include "engine/harness.h"

#define NPLACES 4

static int from_path(char **out, const char *name, const struct wfm_workflow_where *where)
{
	char *joined = NULL;
	const char *path = name;

	if (name[0] != '/' && where->cwd)
		path = joined = wfm_fs_join(where->cwd, name);
	*out = realpath(path, NULL);
	if (!*out || access(*out, R_OK) < 0) {
		int rc = wfm_error_setc(WFM_ENOTFOUND, "cannot read workflow '%s': %s", name,
					strerror(errno));
		free(*out);
		*out = NULL;
		free(joined);
		return rc;
	}
	free(joined);
	return 0;
}

/* meta.name of the script at path, or NULL when it does not pass the check */
static char *meta_name(const char *path, const char *node)
{
	cJSON *meta = NULL;
	const cJSON *name;
	char *ret = NULL;

	if (wfm_harness_check(&meta, path, node) == 0) {
		name = cJSON_GetObjectItemCaseSensitive(meta, "name");
		if (cJSON_IsString(name))
			ret = wfm_strdup(name->valuestring);
	}
	cJSON_Delete(meta);
	return ret;
}

int wfm_workflow_is_path(const char *name)
{
	size_t len = strlen(name);

	return strchr(name, '/') || (len > 3 && !strcmp(name + len - 3, ".js"));
}

/*
 * The places saved files of a kind ("workflows", "rubrics") are found in,
 * in order (docs/workflow-api.md, *Saved workflows*): new strings, NULL for a
 * place not searched.
 */
static void saved_dirs(char *dirs[NPLACES], const char *kind,
		       const struct wfm_workflow_where *where)
{
	struct wfm_buf claude = WFM_BUF_INIT, own = WFM_BUF_INIT;

	wfm_buf_addf(&claude, ".claude/%s", kind);
	wfm_buf_addf(&own, ".wfmigrate/%s", kind);
	if (where->top) {
		dirs[0] = wfm_fs_join(where->top, claude.ptr);
		dirs[1] = wfm_fs_join(where->top, own.ptr);
	}
	if (where->home && *where->home)
		dirs[2] = wfm_fs_join(where->home, claude.ptr);
	if (wfm_datadir_find(&dirs[3], kind) < 0)
		dirs[3] = NULL; /* none built in with this install: not an error here */
	wfm_buf_release(&claude);
	wfm_buf_release(&own);
}

int wfm_workflow_find(char **out, const char *name, const struct wfm_workflow_where *where)
{
	char *dirs[NPLACES] = { NULL };
	struct wfm_strvec files[NPLACES] = { WFM_STRVEC_INIT, WFM_STRVEC_INIT, WFM_STRVEC_INIT,
					     WFM_STRVEC_INIT };
	struct wfm_buf file = WFM_BUF_INIT, known = WFM_BUF_INIT, places = WFM_BUF_INIT;
	struct wfm_buf hint = WFM_BUF_INIT;
	struct wfm_strvec names = WFM_STRVEC_INIT;
	int rc = 0, i;
	size_t j;

	*out = NULL;
	if (!*name)
		return wfm_error_setc(WFM_EINVALID, "a workflow name cannot be empty");
	if (wfm_workflow_is_path(name))
		return from_path(out, name, where);

	saved_dirs(dirs, "workflows", where);
	wfm_buf_addf(&file, "%s.js", name);
	for (i = 0; i < NPLACES; i++) {
		wfm_fs_list(&files[i], dirs[i], ".js");
		for (j = 0; j < files[i].nr; j++)
			if (!strcmp(files[i].v[j], file.ptr)) {
				*out = wfm_fs_join(dirs[i], file.ptr);
				goto done;
			}
	}
	/* no file of that name: meta.name, read by the same check a run makes */
	for (i = 0; i < NPLACES; i++)
		for (j = 0; j < files[i].nr; j++) {
			char *path = wfm_fs_join(dirs[i], files[i].v[j]);
			char *mname = meta_name(path, where->node);
			size_t stem = strlen(files[i].v[j]) - 3;

			if (mname && !strcmp(mname, name)) {
				free(mname);
				*out = path;
				goto done;
			}
			wfm_buf_addf(&known, "%s%.*s", known.len ? ", " : "", (int)stem,
				     files[i].v[j]);
			wfm_strvec_push_nodup(&names, wfm_strndup(files[i].v[j], stem));
			if (mname)
				wfm_strvec_push(&names, mname);
			if (mname && (strlen(mname) != stem || strncmp(mname, files[i].v[j], stem)))
				wfm_buf_addf(&known, " (meta.name '%s')", mname);
			wfm_buf_addf(&known, " (%s)", i == 3 ? "built-in" : path);
			free(mname);
			free(path);
		}
	for (i = 0; i < NPLACES - 1; i++)
		if (dirs[i])
			wfm_buf_addf(&places, "%s, ", dirs[i]);
	wfm_similar_hint(&hint, name, (const char *const *)names.v, NULL);
	rc = wfm_error_setc(
		WFM_ENOTFOUND,
		"no workflow named '%s'%s%s (looked for %s.js and meta.name '%s' in %sthe "
		"built-ins); %s%s",
		name, hint.len ? "; " : "", hint.ptr, name, name, places.ptr,
		known.len ? "there are: " : "there are none", known.ptr);
done:
	for (i = 0; i < NPLACES; i++) {
		free(dirs[i]);
		wfm_strvec_clear(&files[i]);
	}
	wfm_buf_release(&file);
	wfm_buf_release(&known);
	wfm_buf_release(&places);
	wfm_buf_release(&hint);
	wfm_strvec_clear(&names);
	return rc;
}

/* A rubric name is a file name without ".md": [A-Za-z0-9._-], no leading '.'. */
static int rubric_name_ok(const char *name)
{
	size_t len = strlen(name);

	if (!len || name[0] == '.' || (len > 3 && !strcmp(name + len - 3, ".md")))
		return 0;
	for (; *name; name++)
		if (!isalnum((unsigned char)*name) && !strchr("._-", *name))
			return 0;
	return 1;
}

int wfm_rubric_find(char **out, const char *name, const struct wfm_workflow_where *where)
{
	char *dirs[NPLACES] = { NULL };
	struct wfm_strvec names = WFM_STRVEC_INIT;
	struct wfm_buf file = WFM_BUF_INIT, known = WFM_BUF_INIT, looked = WFM_BUF_INIT;
	struct wfm_buf hint = WFM_BUF_INIT;
	int rc = 0, i;

	*out = NULL;
	if (!rubric_name_ok(name))
		return wfm_error_setc(WFM_EINVALID,
				      "'%s' is not a rubric name: give the name of a rubric file "
				      "without '.md' ('migration' for rubrics/migration.md)",
				      name);
	saved_dirs(dirs, "rubrics", where);
	wfm_buf_addf(&file, "%s.md", name);
	for (i = 0; i < NPLACES; i++) {
		struct wfm_strvec files = WFM_STRVEC_INIT;

		wfm_fs_list(&files, dirs[i], ".md");
		for (size_t j = 0; j < files.nr; j++) {
			size_t stem = strlen(files.v[j]) - 3;

			if (!*out && !strcmp(files.v[j], file.ptr))
				*out = wfm_fs_join(dirs[i], file.ptr);
			wfm_strvec_push_nodup(&names, wfm_strndup(files.v[j], stem));
			wfm_buf_addf(&known, "%s%.*s (%s)", known.len ? ", " : "", (int)stem,
				     files.v[j], i == NPLACES - 1 ? "built-in" : dirs[i]);
		}
		wfm_strvec_clear(&files);
		if (*out)
			goto done;
		if (dirs[i] && i < NPLACES - 1)
			wfm_buf_addf(&looked, "%s, ", dirs[i]);
	}
	wfm_similar_hint(&hint, name, (const char *const *)names.v, NULL);
	rc = wfm_error_setc(WFM_ENOTFOUND,
			    "no rubric named '%s'%s%s (looked for %s in %sthe built-ins); %s%s",
			    name, hint.len ? "; " : "", hint.ptr, file.ptr, looked.ptr,
			    known.len ? "there are: " : "there are none", known.ptr);
done:
	for (i = 0; i < NPLACES; i++)
		free(dirs[i]);
	wfm_strvec_clear(&names);
	wfm_buf_release(&file);
	wfm_buf_release(&known);
	wfm_buf_release(&looked);
	wfm_buf_release(&hint);
	return rc;
}

const char *wfm_workflow_place_name(enum wfm_workflow_place place)
{
	static const char *const names[] = {
		[WFM_WORKFLOW_CLAUDE] = "repository .claude/workflows",
		[WFM_WORKFLOW_WFMIGRATE] = "repository .wfmigrate/workflows",
		[WFM_WORKFLOW_HOME] = "home ~/.claude/workflows",
		[WFM_WORKFLOW_BUILTIN] = "built-in",
	};

	return (unsigned)place < NPLACES ? names[place] : "?";
}

/* The first line of s, without trailing blanks: a description's summary. */
static char *first_line(const char *s)
{
	size_t n = strcspn(s, "\r\n");

	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return wfm_strndup(s, n);
}

int wfm_workflow_list(struct wfm_workflow_info **out, size_t *nr,
		      const struct wfm_workflow_where *where)
{
	char *dirs[NPLACES] = { NULL };
	struct wfm_workflow_info *list = NULL;
	size_t n = 0, alloc = 0;

	*out = NULL;
	*nr = 0;
	saved_dirs(dirs, "workflows", where);
	for (int i = 0; i < NPLACES; i++) {
		struct wfm_strvec files = WFM_STRVEC_INIT;

		wfm_fs_list(&files, dirs[i], ".js");
		for (size_t j = 0; j < files.nr; j++) {
			struct wfm_workflow_info *w;
			cJSON *meta = NULL;
			const cJSON *name, *desc;

			WFM_ALLOC_GROW(list, n + 1, alloc);
			w = &list[n++];
			memset(w, 0, sizeof(*w));
			w->path = wfm_fs_join(dirs[i], files.v[j]);
			w->place = (enum wfm_workflow_place)i;
			for (size_t k = 0; k + 1 < n; k++)
				if (list[k].place != w->place &&
				    !strcmp(strrchr(list[k].path, '/'), strrchr(w->path, '/')))
					w->shadowed = 1;
			if (wfm_harness_check(&meta, w->path, where->node) < 0) {
				w->error = wfm_strdup(wfm_error_last());
				w->name = wfm_strndup(files.v[j], strlen(files.v[j]) - 3);
				continue;
			}
			name = cJSON_GetObjectItemCaseSensitive(meta, "name");
			desc = cJSON_GetObjectItemCaseSensitive(meta, "description");
			w->name = cJSON_IsString(name) && *name->valuestring
					  ? wfm_strdup(name->valuestring)
					  : wfm_strndup(files.v[j], strlen(files.v[j]) - 3);
			if (cJSON_IsString(desc) && *desc->valuestring)
				w->description = first_line(desc->valuestring);
			cJSON_Delete(meta);
		}
		wfm_strvec_clear(&files);
		free(dirs[i]);
	}
	*out = list;
	*nr = n;
	return 0;
}

void wfm_workflow_info_free(struct wfm_workflow_info *info, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		free(info[i].name);
		free(info[i].path);
		free(info[i].description);
		free(info[i].error);
	}
	free(info);
}
