#ifndef WFM_CHUNK_CHUNK_H
#define WFM_CHUNK_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/strvec.h"
#include "chunk/lang.h"

/*
 * The chunker: turns the tracked files of a revision into units, the
 * pieces of work a workflow fans out over. A unit is a top-level
 * definition (function, class, struct, impl...), the code between
 * definitions (Python, JavaScript, TypeScript), a whole file when no
 * definition can be found, a pack of small neighbouring units, or a part
 * of a large one. docs/chunk.md describes the model and the id scheme.
 *
 * The library never prints. Files are parsed on several threads, but the
 * result is the same whatever the thread count: units sorted by path,
 * then by position in the file.
 */
struct wfm_repo;

struct wfm_unit {
	char *id;   /* "path::kind::name", "#2"... for duplicates, "@partN" for parts */
	char *path; /* repository-relative */
	enum wfm_lang lang;
	const char *kind;	       /* "function", "class", "file", "pack"...; a static string */
	char *name;		       /* may be empty for a file unit: "" */
	uint32_t start_line, end_line; /* 1-based, inclusive */
	size_t start_byte, end_byte;   /* [start_byte, end_byte) in the file's blob */
	char *reason;		       /* why a file is a single unit, or NULL */
	struct wfm_strvec members;     /* for a pack: the ids of the units in it */
	char *text; /* when asked for: its end_byte - start_byte bytes (NUL too), then a NUL */
};

struct wfm_unit_list {
	struct wfm_unit *v;
	size_t nr;
	size_t alloc;
};

/* clang-format off */
#define WFM_UNIT_LIST_INIT { NULL, 0, 0 }
/* clang-format on */

/* Frees every unit and the array; the list is empty and reusable afterwards. */
void wfm_unit_list_release(struct wfm_unit_list *list);

struct wfm_chunk_opts {
	const char *rev;	      /* the revision to read; NULL means "HEAD" */
	const char *const *pathspecs; /* top-level-relative, as git's; NULL for all */
	size_t pathspecs_nr;
	enum wfm_lang lang;	   /* only files of this language; WFM_LANG_ANY for all */
	const char *match;	   /* PCRE2: keep units whose text matches; NULL for all */
	const char *query;	   /* tree-sitter query: keep units holding a capture */
	size_t max_bytes;	   /* pack and split units to this size (keeping the parts of
				    * a split unit that match and query select); 0: do not */
	unsigned threads;	   /* 0: one per online core; 1: no threads at all */
	uint64_t timeout_us;	   /* parse time limit per file; 0: none */
	size_t max_file_bytes;	   /* larger files are one unit, unparsed; 0: no limit */
	int with_text;		   /* fill each unit's text */
	int uncovered;		   /* list what no unit covers instead: enum below */
	const char *changed_since; /* keep the units whose lines the diff from this commit
				    * to rev touches (git/diff.h); NULL for all */
};

/* opts.uncovered: what wfm_chunk_run lists instead of the units. */
enum {
	WFM_CHUNK_UNCOVERED_NONE = 0,	/* the units */
	WFM_CHUNK_UNCOVERED_RANGES = 1, /* runs of lines of code in no unit */
	WFM_CHUNK_UNCOVERED_LINES = 2,	/* each line of code in no unit, on its own */
};

#define WFM_CHUNK_TIMEOUT_US_DEFAULT 2000000u
#define WFM_CHUNK_MAX_FILE_BYTES_DEFAULT (4u << 20)

#define WFM_CHUNK_OPTS_INIT                                                                        \
	{                                                                                          \
		.rev = NULL, .pathspecs = NULL, .pathspecs_nr = 0, .lang = WFM_LANG_ANY,           \
		.match = NULL, .query = NULL, .max_bytes = 0, .threads = 0,                        \
		.timeout_us = WFM_CHUNK_TIMEOUT_US_DEFAULT,                                        \
		.max_file_bytes = WFM_CHUNK_MAX_FILE_BYTES_DEFAULT, .with_text = 0,                \
		.uncovered = 0, .changed_since = NULL,                                             \
	}

/*
 * Chunks the files of opts->rev into *out (which must be empty or
 * initialised; units are appended). Errors:
 *   WFM_ENOTFOUND  unknown revision, empty repository, a pathspec that
 *                  matches no file
 *   WFM_EINVALID   a bad --match pattern ("invalid pattern '...' at offset
 *                  N: ..."), a query that compiles for none of the
 *                  selected languages or uses an unsupported predicate
 *   WFM_ERROR      an object that cannot be read
 * With opts->uncovered, *out gets instead the line ranges of parsed files
 * that hold code (not only blank or comment lines) and lie in no unit,
 * as units of kind "uncovered" with an empty id and name; --match keeps
 * the ranges whose text matches, --query and max_bytes do not apply.
 * WFM_CHUNK_UNCOVERED_LINES gives each such line as a range of its own,
 * and --match is looked for in each line alone (without its line break);
 * with --match, the matching lines of binary files, which are in no
 * unit, are listed too, with the reason "binary file". Whole-file units
 * (files without a grammar, too large, or whose parse failed) cover all
 * of their file: nothing of them is listed. docs/chunk.md calls these
 * lines "out of reach".
 * With opts->changed_since, only the units with a line that the diff
 * from that commit to opts->rev touches are kept (WFM_ENOTFOUND for an
 * unknown commit).
 * On failure *out holds no units. repo is only used by the calling thread;
 * worker threads open their own handles on wfm_repo_path(repo).
 */
int wfm_chunk_run(struct wfm_unit_list *out, struct wfm_repo *repo,
		  const struct wfm_chunk_opts *opts);

/*
 * Appends the first line of u's text (with_text) for people: without the
 * blanks around it, each control character and byte that is not UTF-8 as
 * '?' (a binary file's line prints safely), cut at max bytes on a
 * character boundary. Nothing when u has no text.
 */
void wfm_unit_line_text(struct wfm_buf *out, const struct wfm_unit *u, size_t max);

/* The number of threads opts->threads stands for (online cores for 0). */
unsigned wfm_chunk_threads(unsigned threads);

enum {
	WFM_UNIT_JSON_TEXT = 1 << 0, /* include "text" */
};

/*
 * Appends unit u as one JSON object, without a newline:
 * {"id","path","lang","kind","name","start_line","end_line","start_byte",
 *  "end_byte","size"[,"reason"][,"members"][,"text"]}. Strings that are not
 * valid UTF-8 have each bad byte (and NUL) replaced by U+FFFD.
 */
void wfm_unit_json(struct wfm_buf *out, const struct wfm_unit *u, unsigned flags);

/* The same as a new cJSON object (free with cJSON_Delete()). */
struct cJSON *wfm_unit_to_json(const struct wfm_unit *u, unsigned flags);

#endif
