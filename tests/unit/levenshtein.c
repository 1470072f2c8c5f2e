#include "support/test.h"
#include "base/buf.h"
#include "base/levenshtein.h"
#include "base/strvec.h"

static void test_levenshtein__distance(void **state)
{
	/* git's weights for commands: swap 0, substitution 2, insertion 1, deletion 3 */
	assert_int_equal(wfm_levenshtein("run", "run", 0, 2, 1, 3), 0);
	assert_int_equal(wfm_levenshtein("rn", "run", 0, 2, 1, 3), 1);	      /* one insertion */
	assert_int_equal(wfm_levenshtein("runn", "run", 0, 2, 1, 3), 3);      /* one deletion */
	assert_int_equal(wfm_levenshtein("rxn", "run", 0, 2, 1, 3), 2);	      /* one substitution */
	assert_int_equal(wfm_levenshtein("oracel", "oracle", 0, 2, 1, 3), 0); /* a swap */
	assert_int_equal(wfm_levenshtein("", "abc", 0, 2, 1, 3), 3);
	assert_int_equal(wfm_levenshtein("abc", "", 0, 2, 1, 3), 9);
	/* unit weights: the classic edit distance, with transpositions */
	assert_int_equal(wfm_levenshtein("kitten", "sitting", 1, 1, 1, 1), 3);
	assert_int_equal(wfm_levenshtein("mtach", "match", 1, 1, 1, 1), 1);
	assert_int_equal(wfm_levenshtein("flaw", "lawn", 1, 1, 1, 1), 2);
}

static char *similar(const char *word, const char *const *candidates)
{
	struct wfm_strvec out = WFM_STRVEC_INIT;
	struct wfm_buf b = WFM_BUF_INIT;

	wfm_similar(&out, word, candidates);
	for (size_t i = 0; i < out.nr; i++)
		wfm_buf_addf(&b, "%s%s", i ? " " : "", out.v[i]);
	wfm_strvec_clear(&out);
	return wfm_buf_detach(&b, NULL);
}

#define assert_similar(word, cands, want)                                                          \
	do {                                                                                       \
		char *got_ = similar((word), (cands));                                             \
		assert_string_equal(got_, (want));                                                 \
		free(got_);                                                                        \
	} while (0)

static void test_levenshtein__similar(void **state)
{
	const char *commands[] = { "chunk",  "clean", "oracle", "pause",   "ps",
				   "resume", "run",   "stop",	"version", NULL };
	const char *args[] = { "goal",	"match",      "rounds",		"rubric",
			       "paths", "lang",	      "query",		"maxBytes",
			       "scope", "unverified", "allowTestEdits", NULL };

	assert_similar("rn", commands, "run");
	assert_similar("chnuk", commands, "chunk");
	assert_similar("orcale", commands, "oracle");
	assert_similar("stpo", commands, "stop");
	/* a prefix: every command it begins, and only those */
	assert_similar("re", commands, "resume");
	assert_similar("p", commands, "pause ps");
	/* nothing alike */
	assert_similar("frobnicate", commands, "");
	assert_similar("", commands, "");
	/* an existing name is no typo */
	assert_similar("run", commands, "");
	/* a prefix of every candidate is too ambiguous */
	const char *r_words[] = { "run", "resume", NULL };
	assert_similar("r", r_words, "");

	assert_similar("mtach", args, "match");
	assert_similar("path", args, "paths");
	assert_similar("rounsd", args, "rounds");
	assert_similar("lnag", args, "lang");
	assert_similar("maxbytes", args, "maxBytes");
	assert_similar("unrelated", args, "");
	/* ties: every candidate at the best distance, by name */
	const char *ties[] = { "ac", "aa", "zz", NULL };
	assert_similar("ab", ties, "aa ac");
	const char *twice[] = { "migrate", "migrate", "sweep", NULL };
	assert_similar("migrat", twice, "migrate");
	const char *one[] = { "migrate", NULL };
	assert_similar("migr", one, "migrate");
	assert_similar("mgirate", twice, "migrate");
	assert_similar("x", NULL, "");
}

static void test_levenshtein__hint(void **state)
{
	const char *opts[] = { "oracle", "oracle-jobs", "workflow", NULL };
	struct wfm_buf b = WFM_BUF_INIT;

	assert_int_equal(wfm_similar_hint(&b, "oracel", opts, "--"), 1);
	assert_string_equal(b.ptr, "did you mean '--oracle'?");
	wfm_buf_clear(&b);
	assert_int_equal(wfm_similar_hint(&b, "orac", opts, "--"), 2);
	assert_string_equal(b.ptr, "did you mean one of '--oracle', '--oracle-jobs'?");
	wfm_buf_clear(&b);
	assert_int_equal(wfm_similar_hint(&b, "zzzzzz", opts, NULL), 0);
	assert_string_equal(b.ptr, "");
	wfm_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levenshtein__distance),
		cmocka_unit_test(test_levenshtein__similar),
		cmocka_unit_test(test_levenshtein__hint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
