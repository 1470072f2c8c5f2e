/*
 * bench_chunk [<repository>] [<rounds>]: the chunker against bare
 * tree-sitter, side by side, on the files at HEAD of one repository
 * (default $WFM_SOURCE_DIR, else the current directory).
 *
 *   (a) bare tree-sitter: read each blob, ts_parser_parse_string it,
 *       one thread, nothing else (same size and time limits as the chunker)
 *   (b) wfm_chunk_run, threads = 1
 *   (c) wfm_chunk_run, threads = 0 (one per online core)
 *
 * Each is run <rounds> times (default 3); the best time counts. Goals:
 * b/a <= 1.5 and c/a < 1. See bench/README.md.
 *
 * (a) needs raw tree-sitter, so this file includes the chunker's private
 * header; it is measurement code, not part of the library.
 */
#include "base/common.h"

#include <time.h>

#include "base/buf.h"
#include "chunk/chunk.h"
#include "chunk/chunk_priv.h"
#include "git/repo.h"
#include "git/tree.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct bare {
	double read_s, total_s;
	size_t files, parsed, bytes, timeouts;
};

/* (a): the floor any chunker stands on: read and parse, one thread. */
static int bare_parse(struct bare *out, struct wfm_repo *repo, const struct wfm_tree_files *files)
{
	struct wfm_buf blob = WFM_BUF_INIT;
	TSParser *parser = ts_parser_new();
	double t0 = now(), read_s = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	ts_parser_set_timeout_micros(parser, WFM_CHUNK_TIMEOUT_US_DEFAULT);
	for (size_t i = 0; i < files->nr; i++) {
		enum wfm_lang lang = wfm_lang_of_path(files->v[i].path);
		double r0 = now();
		TSTree *tree;

		rc = wfm_tree_read_blob(&blob, repo, files->v[i].oid);
		read_s += now() - r0;
		if (rc < 0)
			break;
		out->files++;
		out->bytes += blob.len;
		if (lang == WFM_LANG_OTHER || blob.len > WFM_CHUNK_MAX_FILE_BYTES_DEFAULT)
			continue;
		ts_parser_set_language(parser, wfm_lang_grammar(lang));
		tree = ts_parser_parse_string(parser, NULL, blob.ptr, (uint32_t)blob.len);
		if (!tree) {
			ts_parser_reset(parser);
			out->timeouts++;
			continue;
		}
		out->parsed++;
		ts_tree_delete(tree);
	}
	out->read_s = read_s;
	out->total_s = now() - t0;
	ts_parser_delete(parser);
	wfm_buf_release(&blob);
	return rc;
}

static int chunk_once(double *secs, size_t *units, struct wfm_repo *repo, unsigned threads)
{
	struct wfm_chunk_opts opts = WFM_CHUNK_OPTS_INIT;
	struct wfm_unit_list list = WFM_UNIT_LIST_INIT;
	double t0 = now();
	int rc;

	opts.threads = threads;
	rc = wfm_chunk_run(&list, repo, &opts);
	*secs = now() - t0;
	*units = list.nr;
	wfm_unit_list_release(&list);
	return rc;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : getenv("WFM_SOURCE_DIR");
	int rounds = argc > 2 ? atoi(argv[2]) : 3;
	struct wfm_tree_files files = WFM_TREE_FILES_INIT;
	struct wfm_repo *repo = NULL;
	struct bare a, best_a = { 0 };
	double b = 0, c = 0;
	size_t units_b = 0, units_c = 0;
	unsigned cores = wfm_chunk_threads(0);

	if (!path)
		path = ".";
	if (rounds < 1)
		rounds = 1;
	if (wfm_git_init() < 0 || wfm_repo_open(&repo, path) < 0 ||
	    wfm_tree_files_list(&files, repo, "HEAD", NULL, 0) < 0) {
		fprintf(stderr, "fatal: %s\n", wfm_error_last());
		return 128;
	}
	for (int r = 0; r < rounds; r++) {
		double t;
		size_t n;

		/* interleaved, so that drift in the machine's speed hits all three */
		if (bare_parse(&a, repo, &files) < 0 || chunk_once(&t, &n, repo, 1) < 0)
			goto fail;
		if (!r || a.total_s < best_a.total_s)
			best_a = a;
		if (!r || t < b)
			b = t;
		units_b = n;
		if (chunk_once(&t, &n, repo, 0) < 0)
			goto fail;
		if (!r || t < c)
			c = t;
		units_c = n;
	}
	if (units_b != units_c) {
		fprintf(stderr, "fatal: %zu units on one thread, %zu on %u\n", units_b, units_c,
			cores);
		return 1;
	}
	printf("corpus: %s at %.12s: %zu files, %.1f MB, %zu parsed, %zu timed out\n", path,
	       files.commit, best_a.files, (double)best_a.bytes / 1e6, best_a.parsed,
	       best_a.timeouts);
	printf("best of %d rounds, %u online cores, %zu units\n", rounds, cores, units_b);
	printf("(a) bare tree-sitter, 1 thread      %8.3f s  (reading blobs %.3f s)\n",
	       best_a.total_s, best_a.read_s);
	printf("(b) wfm_chunk_run, threads=1        %8.3f s  b/a = %.2f  (goal <= 1.50)\n", b,
	       b / best_a.total_s);
	printf("(c) wfm_chunk_run, threads=%-2u       %8.3f s  c/a = %.2f  (goal <  1.00)\n", cores,
	       c, c / best_a.total_s);
	wfm_tree_files_release(&files);
	wfm_repo_free(repo);
	wfm_git_shutdown();
	return 0;
fail:
	fprintf(stderr, "fatal: %s\n", wfm_error_last());
	return 128;
}
