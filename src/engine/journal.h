#ifndef WFM_ENGINE_JOURNAL_H
#define WFM_ENGINE_JOURNAL_H

#include <stddef.h>

#include "base/buf.h"
#include "base/json.h"
#include "git/repo.h"

/*
 * The journal of a run: journal.jsonl in its directory, the source of
 * truth for resume (docs/journal.md). One line per finished request,
 *   {"key":"<base>#<n>","method":"agent","result":<any>,"ts":<ms>,"v":1}
 * in canonical JSON, appended with write() and fsync()ed before the
 * append returns. Resume re-runs the script from the top and answers
 * every request whose key is journaled with the recorded result,
 * whatever order the requests arrive in.
 *
 * All functions are safe to call from several threads on one handle.
 * One process writes a journal at a time: the run's lock sees to that.
 */
struct wfm_journal;

/*
 * Opens path (created if missing) and loads its records. A torn last
 * line (no final newline: a crash in the middle of an append) is
 * dropped and the file truncated to the end of the last complete
 * record. Any other bad line is WFM_ECONFIG (a bad saved run) naming the line:
 * "'<path>' line 3: invalid JSON at byte 7". A key recorded twice keeps
 * its first result.
 */
int wfm_journal_open(struct wfm_journal **out, const char *path);
void wfm_journal_free(struct wfm_journal *j);

/*
 * The base key of a request: the hex SHA-1 (a git blob id) of the
 * method, the canonical JSON of params (NULL is null) and extra (what
 * else decides the result: resolved base commits, the model...; NULL
 * is ""), kept apart by NUL bytes behind a scheme version.
 */
void wfm_journal_key(char out[WFM_OID_HEXSZ + 1], const char *method, const cJSON *params,
		     const char *extra);

/*
 * Appends the key of the next occurrence of base in this execution to
 * out: "<base>#1" the first time base is asked for, "<base>#2" the
 * second, and so on. The counts start at zero for every handle (every
 * execution), whatever the file holds.
 */
void wfm_journal_occurrence(struct wfm_buf *out, struct wfm_journal *j, const char *base);

/*
 * 1 with a new copy of the result recorded under key in *out (free with
 * cJSON_Delete()); 0 with *out NULL when key is not journaled.
 */
int wfm_journal_lookup(cJSON **out, struct wfm_journal *j, const char *key);

/*
 * Records result (NULL is null) under key as one line, written and
 * fsync()ed before the call returns. A key is recorded once:
 * WFM_EEXISTS when it is already there. A failed write is cut off the
 * file again; if even that fails, every later append fails.
 */
int wfm_journal_append(struct wfm_journal *j, const char *key, const char *method,
		       const cJSON *result);

/* The number of distinct keys recorded. */
size_t wfm_journal_count(const struct wfm_journal *j);

#endif
