#ifndef WFM_ENGINE_ARGS_H
#define WFM_ENGINE_ARGS_H

#include "base/json.h"
#include "base/strvec.h"
#include "chunk/chunk.h"
#include "git/pathspec.h"

/*
 * The arguments of a run (its script's args) against what the workflow
 * declares in meta.args (docs/workflow-api.md, "Declaring arguments"):
 *
 *   args: { <name>: { type, description, default, required, enum, chunk } }
 *
 * types string, number, integer, boolean, strings (a string or an array
 * of strings), pathspecs (the same, each a git pathspec), array, object,
 * any; chunk is true for an argument passed to chunk() as the option of
 * its name, or that option's name (base: {chunk: 'changedSince'}).
 * runtime/meta.mjs has checked the declarations themselves. A
 * workflow without meta.args takes any arguments.
 */

/* meta.args of meta, or NULL when it declares none. Borrowed from meta. */
const cJSON *wfm_args_declared(const cJSON *meta);

/* The type decl gives name: "string", ..., "any" (also for no decl or no such name). */
const char *wfm_args_type(const cJSON *decl, const char *name);

/*
 * Adds "--arg key=value" to the object args. The value is its JSON when
 * it parses as JSON (3, true, [1]), else the text itself; but for a key of
 * type string always the text (--arg match=123 is "123"), and for one of
 * type strings or pathspecs the text unless it is a JSON array. Given
 * again, a key of type strings or pathspecs collects its values in an
 * array; any other is replaced. WFM_EINVALID without a key and '='.
 */
int wfm_args_add(cJSON *args, const cJSON *decl, const char *kv);

/*
 * Checks args against decl (NULL: nothing to check): args an object,
 * every key declared (but "goal" when it is empty: the command line
 * always sets it), every value of its type and among its enum, every
 * required argument given. WFM_EINVALID naming the argument and workflow;
 * an unknown key gets a "did you mean" (base/levenshtein.h) or the list of
 * the workflow's arguments.
 */
int wfm_args_check(const cJSON *args, const cJSON *decl, const char *workflow);

/* Whether args.key holds pathspecs: declared so, or "paths" of a workflow that declares nothing. */
int wfm_args_is_pathspecs(const cJSON *decl, const char *key);

/*
 * Rewrites the pathspec arguments of args (typed relative to base) as
 * pathspecs from the top (wfm_pathspec_canonical()), in place, and adds
 * them as typed to ps: a run saves and later reads them from the top,
 * wherever it is resumed. Errors of wfm_pathspec_add(), prefixed with
 * "args.<key>: ".
 */
int wfm_args_resolve_pathspecs(cJSON *args, const cJSON *decl, const struct wfm_pathspec_base *base,
			       struct wfm_pathspec *ps);

/*
 * The options of chunk() in the object obj (a chunk() request's params, or
 * a run's args): paths (a pathspec or an array of them, from the top:
 * copied into paths, which opts then borrows), match, query, lang,
 * maxBytes, changedSince (a commit); of those, only the names in only (NULL-terminated) unless
 * only is NULL. The rest of opts is left as it is. WFM_EINVALID for an
 * unknown language.
 */
int wfm_args_chunk_opts(struct wfm_chunk_opts *opts, struct wfm_strvec *paths, const cJSON *obj,
			const char *const *only);

/*
 * Appends the options that give a run these args again, for a command
 * line people copy: " --arg 'k=v'" for each value but "goal" and skip
 * (may be NULL), then " '<goal>'" when there is one; args that are not an
 * object, or that hold a value --arg cannot give (an array, an object,
 * null), as " --args-json '<json>'", whole.
 */
struct wfm_buf;
void wfm_args_command_line(struct wfm_buf *out, const cJSON *args, const char *skip);

#endif
