/*
 * The language of each file of a revision: by its extension, except that
 * ".h" headers are C++ in a C++ repository (more C++ sources than C
 * ones among the tracked files), and that git config
 * wfmigrate.chunk.lang.<glob> = <lang> decides for the paths it matches.
 */
#include "base/common.h"
#include "base/glob.h"
#include "base/strvec.h"
#include "chunk/chunk_priv.h"
#include "git/repo.h"
#include "git/tree.h"

#define CONFIG_PREFIX "wfmigrate.chunk.lang."

static int is_header(const char *path)
{
	size_t n = strlen(path);
	return n > 2 && !strcmp(path + n - 2, ".h");
}

static int ends_with(const char *path, const char *const *exts)
{
	const char *dot = strrchr(path, '.');

	for (; dot && *exts; exts++)
		if (!strcmp(dot + 1, *exts))
			return 1;
	return 0;
}

/*
 * Whether files are mostly C++: more C++ sources (.cc .cpp .cxx) than C
 * ones (.c); with neither, any C++ header (.hpp .hh .hxx).
 */
static int mostly_cpp(const struct wfm_tree_files *files)
{
	static const char *const cpp_src[] = { "cc", "cpp", "cxx", NULL };
	static const char *const cpp_hdr[] = { "hpp", "hh", "hxx", NULL };
	static const char *const c_src[] = { "c", NULL };
	size_t c = 0, cpp = 0, hdr = 0;

	for (size_t i = 0; i < files->nr; i++) {
		const char *p = files->v[i].path;
		c += ends_with(p, c_src);
		cpp += ends_with(p, cpp_src);
		hdr += ends_with(p, cpp_hdr);
	}
	return cpp > c || (!cpp && !c && hdr);
}

static int needs_headers(const struct wfm_tree_files *files)
{
	for (size_t i = 0; i < files->nr; i++)
		if (is_header(files->v[i].path))
			return 1;
	return 0;
}

/* The "glob=lang" overrides from git config, checked. */
static int load_overrides(struct wfm_lang_map *map, struct wfm_repo *repo)
{
	struct wfm_strvec entries = WFM_STRVEC_INIT;
	int rc = wfm_repo_config_list(&entries, repo, "wfmigrate.chunk.lang");

	for (size_t i = 0; rc >= 0 && i < entries.nr; i++) {
		const char *e = entries.v[i], *eq = strchr(e, '=');
		enum wfm_lang lang;

		if (strncmp(e, CONFIG_PREFIX, strlen(CONFIG_PREFIX)) || !eq)
			continue; /* wfmigrate.chunk.lang itself: no glob */
		if (wfm_lang_from_name(&lang, eq + 1) < 0) {
			/* the message is the last error's own buffer: copy it first */
			char *why = wfm_strdup(wfm_error_last());
			rc = wfm_error_setc(WFM_ECONFIG, "bad config %.*s: %s", (int)(eq - e), e,
					    why);
			free(why);
			break;
		}
		wfm_strvec_push_nodup(&map->globs,
				      wfm_strndup(e + strlen(CONFIG_PREFIX),
						  (size_t)(eq - e) - strlen(CONFIG_PREFIX)));
		WFM_ALLOC_GROW(map->langs, map->globs.nr, map->langs_alloc);
		map->langs[map->globs.nr - 1] = lang;
	}
	wfm_strvec_clear(&entries);
	return rc < 0 ? rc : 0;
}

int wfm_lang_map_load(struct wfm_lang_map *map, struct wfm_repo *repo, const char *rev,
		      const struct wfm_tree_files *files, int all_files)
{
	int rc = load_overrides(map, repo);

	if (rc < 0 || !needs_headers(files))
		return rc;
	if (all_files) {
		map->h_cpp = mostly_cpp(files);
	} else {
		struct wfm_tree_files every = WFM_TREE_FILES_INIT;
		rc = wfm_tree_files_list(&every, repo, rev, NULL, 0);
		if (rc >= 0)
			map->h_cpp = mostly_cpp(&every);
		wfm_tree_files_release(&every);
	}
	return rc < 0 ? rc : 0;
}

enum wfm_lang wfm_lang_map_of(const struct wfm_lang_map *map, const char *path)
{
	/* the last matching entry wins, as later git config does */
	for (size_t i = map->globs.nr; i-- > 0;)
		if (wfm_glob_match(map->globs.v[i], path))
			return map->langs[i];
	if (map->h_cpp && is_header(path))
		return WFM_LANG_CPP;
	return wfm_lang_of_path(path);
}

void wfm_lang_map_release(struct wfm_lang_map *map)
{
	wfm_strvec_clear(&map->globs);
	free(map->langs);
	memset(map, 0, sizeof(*map));
}
