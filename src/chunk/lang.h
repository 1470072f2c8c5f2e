#ifndef WFM_CHUNK_LANG_H
#define WFM_CHUNK_LANG_H

/*
 * The languages the chunker knows. A file's language is decided by its
 * extension (wfm_lang_of_path), except for ".h" in a C++ revision and
 * git config overrides (lang_map.c; see docs/chunk.md); WFM_LANG_OTHER
 * is every file without a grammar, chunked as one whole-file unit.
 */
enum wfm_lang {
	WFM_LANG_OTHER = 0,
	WFM_LANG_C,
	WFM_LANG_CPP,
	WFM_LANG_PYTHON,
	WFM_LANG_JAVASCRIPT,
	WFM_LANG_TYPESCRIPT,
	WFM_LANG_TSX,
	WFM_LANG_GO,
	WFM_LANG_RUST,
	WFM_LANG_JAVA,
	WFM_LANG__COUNT,
	WFM_LANG_ANY = -1, /* no restriction (options only) */
};

/* "c", "cpp", ..., "other"; a static string. */
const char *wfm_lang_name(enum wfm_lang lang);

/* The language called name ("c", "python", "other"...); WFM_EINVALID when unknown. */
int wfm_lang_from_name(enum wfm_lang *out, const char *name);

/* The language of a file, by the extension of its path. */
enum wfm_lang wfm_lang_of_path(const char *path);

/* "c, cpp, python, ..., other": for messages; a static string. */
const char *wfm_lang_names(void);

/*
 * Whether the grammar of lang (not WFM_LANG_OTHER) works with the
 * tree-sitter library this binary runs with: its ABI version is one the
 * library loads and a parser takes it and parses a line. WFM_ERROR
 * saying which when not.
 */
int wfm_lang_check(enum wfm_lang lang);

#endif
