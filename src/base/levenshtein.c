#include "base/common.h"
#include "base/levenshtein.h"

/* git's help.c: a distance + 1 below 7 is similar enough */
#define SIMILARITY_FLOOR 7

int wfm_levenshtein(const char *a, const char *b, int swap, int subst, int ins, int del)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	/* three rows: two back (for a swap), the last, the one being filled */
	int *r0 = wfm_calloc(lb + 1, sizeof(int)), *r1 = wfm_calloc(lb + 1, sizeof(int)),
	    *r2 = wfm_calloc(lb + 1, sizeof(int)), *t, d;

	for (j = 0; j <= lb; j++)
		r1[j] = (int)j * ins;
	for (i = 0; i < la; i++) {
		r2[0] = (int)(i + 1) * del;
		for (j = 0; j < lb; j++) {
			int v = r1[j] + (a[i] != b[j] ? subst : 0);

			if (i > 0 && j > 0 && a[i - 1] == b[j] && a[i] == b[j - 1] &&
			    v > r0[j - 1] + swap)
				v = r0[j - 1] + swap;
			if (v > r1[j + 1] + del)
				v = r1[j + 1] + del;
			if (v > r2[j] + ins)
				v = r2[j] + ins;
			r2[j + 1] = v;
		}
		t = r0;
		r0 = r1;
		r1 = r2;
		r2 = t;
	}
	d = r1[lb];
	free(r0);
	free(r1);
	free(r2);
	return d;
}

struct scored {
	const char *name;
	int score;
};

static int cmp_scored(const void *x, const void *y)
{
	const struct scored *a = x, *b = y;

	return a->score != b->score ? (a->score < b->score ? -1 : 1) : strcmp(a->name, b->name);
}

void wfm_similar(struct wfm_strvec *out, const char *word, const char *const *candidates)
{
	struct scored *v;
	size_t nr = 0, n, i;
	int best;

	if (!word || !*word || !candidates)
		return;
	while (candidates[nr])
		nr++;
	if (!nr)
		return;
	v = wfm_calloc(nr, sizeof(*v));
	for (i = 0; i < nr; i++) {
		if (!strcmp(candidates[i], word))
			goto done; /* it is one: nothing to suggest */
		v[i].name = candidates[i];
		/* a prefix match gets the best score; the rest distance + 1 */
		v[i].score = !strncmp(candidates[i], word, strlen(word))
				     ? 0
				     : wfm_levenshtein(word, candidates[i], 0, 2, 1, 3) + 1;
	}
	qsort(v, nr, sizeof(*v), cmp_scored);
	for (n = 0; n < nr && !v[n].score; n++)
		; /* the prefix matches */
	if (n == nr && strcmp(v[0].name, v[nr - 1].name))
		goto done; /* a prefix of every one of several names: too ambiguous */
	if (!n) {
		/* no prefix match: the closest, when close enough */
		best = v[0].score;
		if (best >= SIMILARITY_FLOOR)
			goto done;
		for (n = 1; n < nr && v[n].score == best; n++)
			;
	}
	for (i = 0; i < n; i++)
		if (!i || strcmp(v[i].name, v[i - 1].name)) /* a name given twice is one */
			wfm_strvec_push(out, v[i].name);
done:
	free(v);
}

size_t wfm_similar_hint(struct wfm_buf *out, const char *word, const char *const *candidates,
			const char *prefix)
{
	struct wfm_strvec similar = WFM_STRVEC_INIT;
	size_t n;

	wfm_similar(&similar, word, candidates);
	n = similar.nr;
	if (!prefix)
		prefix = "";
	for (size_t i = 0; i < n; i++)
		wfm_buf_addf(out, "%s'%s%s'",
			     i	     ? ", "
			     : n > 1 ? "did you mean one of "
				     : "did you mean ",
			     prefix, similar.v[i]);
	if (n)
		wfm_buf_addch(out, '?');
	wfm_strvec_clear(&similar);
	return n;
}
