#ifndef WFM_BASE_LEVENSHTEIN_H
#define WFM_BASE_LEVENSHTEIN_H

#include <stddef.h>

#include "base/buf.h"
#include "base/strvec.h"

/*
 * "Did you mean" for mistyped names (commands, options, a workflow's
 * arguments), as git's help.c suggests a command.
 */

/*
 * The weighted Damerau-Levenshtein distance of git's levenshtein.c: the
 * least cost of turning a into b, at swap per exchange of two neighbouring
 * characters, subst per substitution, ins per insertion and del per
 * deletion (bytes, case-sensitive).
 */
int wfm_levenshtein(const char *a, const char *b, int swap, int subst, int ins, int del);

/*
 * The candidates (NULL-terminated) most like word, appended to out as
 * copies, sorted by name, as git's help.c picks them: those word begins
 * (a prefix match) if there are any, else the ones at the least distance
 * wfm_levenshtein(word, c, 0, 2, 1, 3) when it is below git's similarity
 * floor (distance 5 at most). Nothing for an empty word, for a word that
 * is itself a candidate, or when word begins every candidate of several
 * (too ambiguous).
 */
void wfm_similar(struct wfm_strvec *out, const char *word, const char *const *candidates);

/*
 * Appends "did you mean 'x'?" or "did you mean one of 'x', 'y'?" to out
 * for the candidates similar to word (each written with prefix before it,
 * as "--" for options); nothing when there is none. Returns how many.
 */
size_t wfm_similar_hint(struct wfm_buf *out, const char *word, const char *const *candidates,
			const char *prefix);

#endif
