/*
 * wfm_chunk_run: lists the files of a revision, then parses them on a
 * pool of threads, each with its own repository handle, parser and
 * query cursor. Each file is chunked on its own into a slot of its own,
 * and the slots are joined in path order, so the result does not depend
 * on the number of threads or on which thread took which file.
 */
#include "base/common.h"

#include <pthread.h>
#include <stdatomic.h>

#include "base/buf.h"
#include "base/regex.h"
#include "chunk/chunk_priv.h"
#include "git/repo.h"
#include "git/tree.h"
#include "git/diff.h"

#define BINARY_PROBE 8000 /* as git: a NUL in the first 8000 bytes means binary */

void wfm_unit_release(struct wfm_unit *u)
{
	free(u->id);
	free(u->path);
	free(u->name);
	free(u->reason);
	free(u->text);
	wfm_strvec_clear(&u->members);
	memset(u, 0, sizeof(*u));
}

void wfm_unit_list_release(struct wfm_unit_list *list)
{
	for (size_t i = 0; i < list->nr; i++)
		wfm_unit_release(&list->v[i]);
	free(list->v);
	list->v = NULL;
	list->nr = list->alloc = 0;
}

unsigned wfm_chunk_threads(unsigned threads)
{
	long n;

	if (threads)
		return threads;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

struct job {
	const struct wfm_tree_file *file;
	enum wfm_lang lang;
	struct wfm_unit_list units;
	int rc;
	char *err;
};

struct run {
	const struct wfm_chunk_opts *opts;
	struct job *jobs;
	size_t nr;
	atomic_size_t next;
	atomic_size_t failed; /* lowest index of a failed file; nr when none */
	struct wfm_regex *re;
	struct wfm_query *query;
	struct wfm_macros macros; /* blanked in C and C++ before parsing */
};

struct worker {
	struct run *run;
	struct wfm_repo *repo;
	pthread_t thread;
	TSParser *parser;
	TSQueryCursor *cursor;
	enum wfm_lang parser_lang;
	struct wfm_buf blob;
	struct wfm_lines lines;
	struct wfm_defs defs;
	struct wfm_ranges caps;
	struct wfm_buf neutral;	     /* the file with annotation macros blanked */
	struct wfm_buf pp;	     /* the file with preprocessor branches blanked */
	struct wfm_defs pp_defs;     /* the definitions found in it */
	TSTree *pp_tree;	     /* its tree, which pp_defs' nodes are of */
	struct wfm_ranges pp_ranges; /* what of it is parsed again */
	struct wfm_ranges mb_ranges; /* the heads and ends of macro blocks in ERROR nodes */
	struct wfm_defs mb_defs;     /* the definitions they give */
	TSTree *mb_tree;	     /* their tree */
};

static const char *basename_of(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* "kind::name" of each unit, for finding duplicates. */
struct key {
	const struct wfm_unit *u;
	size_t i;
};

static int cmp_key(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	int c = strcmp(x->u->kind, y->u->kind);

	if (!c)
		c = strcmp(x->u->name, y->u->name);
	if (!c)
		c = x->i < y->i ? -1 : x->i > y->i;
	return c;
}

static int same_key(const struct key *x, const struct key *y)
{
	return !strcmp(x->u->kind, y->u->kind) && !strcmp(x->u->name, y->u->name);
}

static int id_taken(struct wfm_unit *units, const struct key *g, size_t upto, const char *id)
{
	for (size_t k = 0; k < upto; k++)
		if (!strcmp(units[g[k].i].id, id))
			return 1;
	return 0;
}

/*
 * The ids of a group of units of one kind and name (g[0..nr), in file
 * order): the first is plain; another whose signature differs from the
 * first's takes "#<signature>"; identical ones (same signature too) then
 * count "#2", "#3"... among themselves.
 */
static void set_group_ids(struct wfm_unit *units, const struct key *g, size_t nr,
			  const struct wfm_defs *defs, const char *text, size_t len)
{
	struct wfm_buf *sig = wfm_calloc(nr, sizeof(*sig));

	for (size_t k = 0; k < nr; k++) {
		wfm_buf_init(&sig[k], 0);
		if (nr > 1 && defs->nr)
			wfm_def_signature(&sig[k], &defs->v[g[k].i], text, len);
	}
	for (size_t k = 0; k < nr; k++) {
		struct wfm_unit *u = &units[g[k].i];
		struct wfm_buf id = WFM_BUF_INIT;
		size_t ord = 1, base;

		wfm_buf_addf(&id, "%s::%s::%s", u->path, u->kind, u->name);
		if (k && strcmp(sig[k].ptr, sig[0].ptr))
			wfm_buf_addf(&id, "#%s", sig[k].len ? sig[k].ptr : "-");
		for (size_t j = 0; j < k; j++)
			ord += !strcmp(sig[j].ptr, sig[k].ptr);
		base = id.len;
		for (;; ord++) {
			wfm_buf_setlen(&id, base);
			if (ord > 1)
				wfm_buf_addf(&id, "#%zu", ord);
			if (!id_taken(units, g, k, id.ptr))
				break;
		}
		u->id = wfm_buf_detach(&id, NULL);
	}
	for (size_t k = 0; k < nr; k++)
		wfm_buf_release(&sig[k]);
	free(sig);
}

/* Sets each unit's id: "path::kind::name", told apart as set_group_ids says. */
static void set_ids(struct wfm_unit *units, size_t nr, const struct wfm_defs *defs,
		    const char *text, size_t len)
{
	struct key *keys = wfm_calloc(nr, sizeof(*keys));

	for (size_t i = 0; i < nr; i++)
		keys[i] = (struct key){ &units[i], i };
	qsort(keys, nr, sizeof(*keys), cmp_key);
	for (size_t k = 0, n; k < nr; k += n) {
		for (n = 1; k + n < nr && same_key(&keys[k], &keys[k + n]); n++)
			;
		set_group_ids(units, keys + k, n, defs, text, len);
	}
	free(keys);
}

/* Marks the units holding a capture: ranges do not overlap and are sorted. */
static void mark_captures(char *keep, const struct wfm_unit *units, size_t nr,
			  const struct wfm_ranges *caps)
{
	for (size_t c = 0; c < caps->nr; c++) {
		size_t lo = 0, hi = nr;
		const struct wfm_range *r = &caps->v[c];

		while (hi - lo > 1) {
			size_t mid = lo + (hi - lo) / 2;
			if (units[mid].start_byte <= r->start)
				lo = mid;
			else
				hi = mid;
		}
		if (nr && units[lo].start_byte <= r->start && r->end <= units[lo].end_byte)
			keep[lo] |= 2;
	}
	for (size_t i = 0; i < nr; i++)
		keep[i] = keep[i] == 3;
}

/*
 * Parses text[0..len) unless it is too large or times out; then *reason
 * says why (a new string) and *tree is NULL.
 */
static void parse(TSTree **tree, char **reason, struct worker *w, enum wfm_lang lang,
		  const char *text, size_t len)
{
	const struct wfm_chunk_opts *opts = w->run->opts;
	size_t limit = opts->max_file_bytes && opts->max_file_bytes < UINT32_MAX
			       ? opts->max_file_bytes
			       : UINT32_MAX; /* tree-sitter's offsets are 32 bits */

	*tree = NULL;
	*reason = NULL;
	if (len > limit) {
		struct wfm_buf r = WFM_BUF_INIT;
		wfm_buf_addf(&r, "file larger than %zu bytes", limit);
		*reason = wfm_buf_detach(&r, NULL);
		return;
	}
	if (w->parser_lang != lang) {
		ts_parser_set_language(w->parser, wfm_lang_grammar(lang));
		w->parser_lang = lang;
	}
	*tree = ts_parser_parse_string(w->parser, NULL, text, (uint32_t)len);
	if (!*tree) {
		ts_parser_reset(w->parser); /* else the next parse would resume this one */
		*reason = wfm_strdup(opts->timeout_us ? "parse timed out" : "parse failed");
	}
}

/* The file's units, with ids: its definitions, or the whole file. src is what was parsed. */
static struct wfm_unit *make_units(size_t *nr, struct worker *w, const struct job *job,
				   const char *src, size_t len, const TSTree *tree, char *reason)
{
	struct wfm_unit *units;

	*nr = w->defs.nr ? w->defs.nr : 1;
	units = wfm_calloc(*nr, sizeof(*units));
	for (size_t i = 0; i < *nr; i++) {
		struct wfm_unit *u = &units[i];

		u->path = wfm_strdup(job->file->path);
		u->lang = job->lang;
		if (w->defs.nr) {
			u->kind = w->defs.v[i].kind;
			u->name = w->defs.v[i].name;
			w->defs.v[i].name = NULL;
			u->start_byte = w->defs.v[i].start;
			u->end_byte = w->defs.v[i].end;
		} else {
			u->kind = "file";
			u->name = wfm_strdup(basename_of(job->file->path));
			u->start_byte = 0;
			u->end_byte = len;
			u->reason = reason;
			if (!reason && tree)
				u->reason = wfm_strdup("no definitions found");
		}
		wfm_unit_set_lines(u, &w->lines);
	}
	set_ids(units, *nr, &w->defs, src, len);
	return units;
}

/* Sets keep[i] for the units --query and --match keep. */
static int filter(char *keep, struct worker *w, const struct job *job, const TSTree *tree,
		  const struct wfm_unit *units, size_t nr, const char *text)
{
	memset(keep, 1, nr);
	if (w->run->query) {
		if (tree) {
			int rc = wfm_query_captures(&w->caps, w->run->query, job->lang, w->cursor,
						    ts_tree_root_node(tree), text);
			if (rc < 0)
				return rc;
		}
		mark_captures(keep, units, nr, &w->caps);
	}
	for (size_t i = 0; w->run->re && i < nr; i++) {
		int rc;
		if (!keep[i])
			continue;
		rc = wfm_regex_match(w->run->re, text + units[i].start_byte,
				     units[i].end_byte - units[i].start_byte, 0, NULL);
		if (rc < 0)
			return rc;
		keep[i] = (char)rc;
	}
	return 0;
}

/*
 * For a unit over max_bytes that the filters kept: what they found in
 * it, so that its parts without any are dropped (wfm_pack_item.need).
 * hits[0] gets --match's matches (an empty one as the byte at it),
 * hits[1] the --query captures inside it.
 */
static int note_hits(struct wfm_pack_item *it, struct wfm_ranges hits[2], const struct worker *w,
		     const char *text)
{
	const struct wfm_unit *u = &it->unit;
	size_t len = u->end_byte - u->start_byte, off = 0;
	struct wfm_regex_match m;
	int rc = 0;

	while (w->run->re && off <= len &&
	       (rc = wfm_regex_match(w->run->re, text + u->start_byte, len, off, &m)) == 1) {
		size_t s = (size_t)m.start[0], e = (size_t)m.end[0];

		if (e == s) /* empty: the byte it is at, the last one at the end */
			s = s == len && s ? s - 1 : s, e = s + 1;
		WFM_ALLOC_GROW(hits[0].v, hits[0].nr + 1, hits[0].alloc);
		hits[0].v[hits[0].nr++] =
			(struct wfm_range){ u->start_byte + s, u->start_byte + e };
		off = (size_t)m.end[0] > off ? (size_t)m.end[0] : off + 1;
		while (off < len && ((unsigned char)text[u->start_byte + off] & 0xc0) == 0x80)
			off++;
	}
	if (w->run->re && rc < 0)
		return rc;
	if (w->run->re)
		it->need[it->need_nr++] = &hits[0];
	if (w->run->query) {
		for (size_t c = 0; c < w->caps.nr; c++)
			if (w->caps.v[c].start >= u->start_byte &&
			    w->caps.v[c].end <= u->end_byte) {
				WFM_ALLOC_GROW(hits[1].v, hits[1].nr + 1, hits[1].alloc);
				hits[1].v[hits[1].nr++] = w->caps.v[c];
			}
		it->need[it->need_nr++] = &hits[1];
	}
	return 0;
}

/* Fills the text of the file's units. */
static void fill_texts(struct job *job, const char *text)
{
	for (size_t i = 0; i < job->units.nr; i++) {
		struct wfm_unit *u = &job->units.v[i];
		size_t n = u->end_byte - u->start_byte;

		/* not strndup: the text may hold a NUL past the binary probe */
		u->text = wfm_malloc(n + 1);
		memcpy(u->text, text + u->start_byte, n);
		u->text[n] = '\0';
	}
}

/*
 * --uncovered: the file's ranges or lines in no unit (those --match keeps)
 * go to job->units. Without a tree a whole-file unit covers the file,
 * unless it is binary (no units at all): then its lines matching --match.
 */
static int find_uncovered(struct worker *w, struct job *job, const TSTree *tree,
			  const struct wfm_unit *units, size_t nr, const char *text, size_t len)
{
	int per_line = w->run->opts->uncovered == WFM_CHUNK_UNCOVERED_LINES;
	size_t base = job->units.nr;
	int rc;

	if (!tree && nr)
		return 0; /* a whole-file unit covers it */
	if (!tree && !(per_line && w->run->re))
		return 0; /* binary: only the lines --match finds in it are listed */
	rc = wfm_uncovered_find(&job->units, job->file->path, job->lang, units, nr,
				tree ? ts_tree_root_node(tree) : (TSNode){ 0 }, text, len,
				&w->lines, w->run->re, per_line);
	for (size_t i = base; !tree && i < job->units.nr; i++)
		job->units.v[i].reason = wfm_strdup("binary file");
	return rc;
}

/* A tree-sitter range from byte offsets. */
static TSRange to_ts_range(const struct wfm_lines *lines, size_t s, size_t e)
{
	uint32_t rs = wfm_lines_of(lines, s), re = wfm_lines_of(lines, e);

	return (TSRange){ { rs, (uint32_t)(s - lines->start[rs]) },
			  { re, (uint32_t)(e - lines->start[re]) },
			  (uint32_t)s,
			  (uint32_t)e };
}

/*
 * C and C++ with parse errors around a function with an #else inside:
 * parses those constructs again with the preprocessor's later branches
 * blanked, and prefers the definitions found then (a function whose
 * #ifdef branches each open a brace parses whole).
 */
static void recover_preproc(struct worker *w, enum wfm_lang lang, TSNode root, const char *text,
			    size_t len)
{
	TSRange *ranges;

	w->pp_ranges.nr = 0;
	wfm_preproc_ranges(&w->pp_ranges, root, text);
	if (!w->pp_ranges.nr || !wfm_preproc_first_branches(&w->pp, text, len))
		return;
	ranges = wfm_calloc(w->pp_ranges.nr, sizeof(*ranges));
	for (size_t i = 0; i < w->pp_ranges.nr; i++)
		ranges[i] = to_ts_range(&w->lines, w->pp_ranges.v[i].start, w->pp_ranges.v[i].end);
	ts_parser_set_included_ranges(w->parser, ranges, (uint32_t)w->pp_ranges.nr);
	w->pp_tree = ts_parser_parse_string(w->parser, NULL, w->pp.ptr, (uint32_t)len);
	ts_parser_set_included_ranges(w->parser, NULL, 0);
	free(ranges);
	if (!w->pp_tree) {
		ts_parser_reset(w->parser); /* timed out: keep what the first parse found */
		return;
	}
	wfm_defs_find(&w->pp_defs, lang, ts_tree_root_node(w->pp_tree), w->pp.ptr, len);
	wfm_defs_prefer(&w->defs, &w->pp_defs);
}

/*
 * Whether the first definition of defs (sorted) from *j on that ends
 * after s spans the same lines as [s, e): the first parse got it right.
 */
static int has_same_lines(const struct wfm_defs *defs, size_t *j, const struct wfm_lines *lines,
			  size_t s, size_t e)
{
	const struct wfm_def *d;

	while (*j < defs->nr && defs->v[*j].end <= s)
		(*j)++;
	if (*j == defs->nr)
		return 0;
	d = &defs->v[*j];
	return wfm_lines_of(lines, d->end - 1) == wfm_lines_of(lines, e - 1) &&
	       wfm_lines_of(lines, ts_node_start_byte(d->node)) == wfm_lines_of(lines, s);
}

/*
 * C and C++ where the parse broke down into ERROR nodes: "TEST(a, b) {"
 * lines there open macro blocks (a "throw" among a macro's arguments is
 * enough to lose every test below it). Each block's head and closing '}'
 * are parsed alone, which gives its kind and name; those definitions win
 * over the ones they overlap.
 */
static void recover_macro_blocks(struct worker *w, enum wfm_lang lang, TSNode root, const char *src,
				 size_t len)
{
	TSRange *ranges;
	size_t n = 0, j = 0;

	w->mb_ranges.nr = 0;
	wfm_macro_blocks_find(&w->mb_ranges, root, src, len);
	for (size_t i = 0; i + 1 < w->mb_ranges.nr; i += 2)
		if (!has_same_lines(&w->defs, &j, &w->lines, w->mb_ranges.v[i].start,
				    w->mb_ranges.v[i + 1].end)) {
			w->mb_ranges.v[n++] = w->mb_ranges.v[i];
			w->mb_ranges.v[n++] = w->mb_ranges.v[i + 1];
		}
	if (!n)
		return;
	ranges = wfm_calloc(n, sizeof(*ranges));
	for (size_t i = 0; i < n; i++)
		ranges[i] = to_ts_range(&w->lines, w->mb_ranges.v[i].start, w->mb_ranges.v[i].end);
	ts_parser_set_included_ranges(w->parser, ranges, (uint32_t)n);
	w->mb_tree = ts_parser_parse_string(w->parser, NULL, src, (uint32_t)len);
	ts_parser_set_included_ranges(w->parser, NULL, 0);
	free(ranges);
	if (!w->mb_tree) {
		ts_parser_reset(w->parser);
		return;
	}
	wfm_defs_find(&w->mb_defs, lang, ts_tree_root_node(w->mb_tree), src, len);
	wfm_defs_prefer(&w->defs, &w->mb_defs);
}

static int chunk_file(struct worker *w, struct job *job)
{
	const struct wfm_chunk_opts *opts = w->run->opts;
	struct wfm_unit *units = NULL;
	struct wfm_pack_item *items = NULL;
	struct wfm_ranges *hits = NULL; /* two per item (note_hits) */
	char *keep = NULL, *reason = NULL;
	TSTree *tree = NULL;
	const char *text, *src;
	size_t len, nr = 0, kept = 0;
	int rc, c_like = job->lang == WFM_LANG_C || job->lang == WFM_LANG_CPP;

	w->defs.nr = 0;
	w->caps.nr = 0;
	rc = wfm_tree_read_blob(&w->blob, w->repo, job->file->oid);
	if (rc < 0)
		goto done;
	text = w->blob.ptr;
	len = w->blob.len;
	if (!len)
		goto done; /* nothing to chunk */
	if (memchr(text, '\0', len < BINARY_PROBE ? len : BINARY_PROBE)) {
		if (opts->uncovered) { /* binary: in no unit */
			wfm_lines_index(&w->lines, text, len);
			rc = find_uncovered(w, job, NULL, NULL, 0, text, len);
			if (!rc && opts->with_text)
				fill_texts(job, text);
		}
		goto done;
	}
	wfm_lines_index(&w->lines, text, len);
	if (opts->uncovered == WFM_CHUNK_UNCOVERED_LINES && w->run->re &&
	    (rc = wfm_lines_match(w->run->re, text, len, &w->lines)) <= 0)
		goto done; /* no line --match finds: nothing to list, no need to parse */
	/*
	 * src is what is parsed, and what names and signatures are read from;
	 * texts, --match and query predicates read the file (same offsets).
	 */
	src = text;
	if (c_like && wfm_macros_blank(&w->neutral, &w->run->macros, text, len))
		src = w->neutral.ptr;
	if (job->lang != WFM_LANG_OTHER)
		parse(&tree, &reason, w, job->lang, src, len);
	if (tree) {
		wfm_defs_find(&w->defs, job->lang, ts_tree_root_node(tree), src, len);
		if (c_like) {
			recover_preproc(w, job->lang, ts_tree_root_node(tree), src, len);
			recover_macro_blocks(w, job->lang, ts_tree_root_node(tree), src, len);
		}
		wfm_stmts_find(&w->defs, job->lang, ts_tree_root_node(tree), src, len);
		if (src != text)
			wfm_macros_attach(&w->defs, text, src, len);
	}
	units = make_units(&nr, w, job, src, len, tree, reason);
	reason = NULL; /* owned by the file's unit, if any */
	if (opts->uncovered) {
		rc = find_uncovered(w, job, tree, units, nr, text, len);
		if (!rc && opts->with_text)
			fill_texts(job, text);
		goto done;
	}

	keep = wfm_malloc(nr);
	rc = filter(keep, w, job, tree, units, nr, text);
	if (rc < 0)
		goto done;

	/* the units kept, in order, noting which were neighbours before filtering */
	items = wfm_calloc(nr, sizeof(*items));
	hits = wfm_calloc(2 * nr, sizeof(*hits));
	for (size_t i = 0, prev = SIZE_MAX; i < nr; i++) {
		struct wfm_pack_item *it = &items[kept];
		size_t size = units[i].end_byte - units[i].start_byte;

		if (!keep[i])
			continue;
		it->unit = units[i];
		memset(&units[i], 0, sizeof(units[i]));
		it->follows = prev != SIZE_MAX && prev + 1 == i;
		prev = i;
		if (opts->max_bytes && size > opts->max_bytes && tree)
			wfm_cuts_find(&it->cuts, job->lang,
				      w->defs.nr && !w->defs.v[i].packed ? w->defs.v[i].node
									 : ts_tree_root_node(tree),
				      src, len, it->unit.start_byte, it->unit.end_byte,
				      opts->max_bytes);
		/* a split unit keeps only the parts that hold what the filters look for */
		if (opts->max_bytes && size > opts->max_bytes && (w->run->re || w->run->query) &&
		    (rc = note_hits(it, hits + 2 * kept, w, text)) < 0)
			goto done;
		kept++;
	}
	if (opts->max_bytes) {
		wfm_pack_file(&job->units, items, kept, text, &w->lines, opts->max_bytes);
	} else {
		WFM_ALLOC_GROW(job->units.v, job->units.nr + kept, job->units.alloc);
		for (size_t i = 0; i < kept; i++) {
			job->units.v[job->units.nr++] = items[i].unit;
			memset(&items[i].unit, 0, sizeof(items[i].unit));
		}
	}
	if (opts->with_text)
		fill_texts(job, text);
	rc = 0;
done:
	for (size_t i = 0; items && i < nr; i++) {
		wfm_unit_release(&items[i].unit);
		free(items[i].cuts.v);
		free(hits[2 * i].v);
		free(hits[2 * i + 1].v);
	}
	free(hits);
	for (size_t i = 0; units && i < nr; i++)
		wfm_unit_release(&units[i]);
	for (size_t i = 0; i < w->defs.nr; i++)
		free(w->defs.v[i].name);
	w->defs.nr = 0;
	free(items);
	free(units);
	free(keep);
	free(reason);
	if (tree)
		ts_tree_delete(tree);
	if (w->pp_tree)
		ts_tree_delete(w->pp_tree);
	w->pp_tree = NULL;
	if (w->mb_tree)
		ts_tree_delete(w->mb_tree);
	w->mb_tree = NULL;
	return rc;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct run *run = w->run;

	w->parser = ts_parser_new();
	w->cursor = ts_query_cursor_new();
	w->parser_lang = WFM_LANG_OTHER;
	wfm_buf_init(&w->pp, 0);
	wfm_buf_init(&w->neutral, 0);
	ts_parser_set_timeout_micros(w->parser, run->opts->timeout_us);
	for (;;) {
		size_t i = atomic_fetch_add(&run->next, 1);
		struct job *job;

		/* files after a failed one are not needed: the first failure is reported */
		if (i >= run->nr || i > atomic_load(&run->failed))
			break;
		job = &run->jobs[i];
		job->rc = chunk_file(w, job);
		if (job->rc < 0) {
			size_t cur = atomic_load(&run->failed);
			job->err = wfm_strdup(wfm_error_last());
			while (i < cur && !atomic_compare_exchange_weak(&run->failed, &cur, i))
				;
		}
	}
	ts_query_cursor_delete(w->cursor);
	ts_parser_delete(w->parser);
	wfm_buf_release(&w->blob);
	wfm_lines_release(&w->lines);
	wfm_defs_release(&w->defs);
	wfm_defs_release(&w->pp_defs);
	wfm_buf_release(&w->pp);
	wfm_buf_release(&w->neutral);
	free(w->pp_ranges.v);
	wfm_defs_release(&w->mb_defs);
	free(w->mb_ranges.v);
	free(w->caps.v);
	return NULL;
}

/* The languages --query is compiled for. */
static void query_langs(int want[WFM_LANG__COUNT], enum wfm_lang lang)
{
	for (int l = 0; l < WFM_LANG__COUNT; l++)
		want[l] = l != WFM_LANG_OTHER && (lang == WFM_LANG_ANY || lang == (enum wfm_lang)l);
}

/* Drops the units out->v[base..] that the diff from opts->changed_since to opts->rev leaves alone.
 */
static int keep_changed(struct wfm_unit_list *out, size_t base, struct wfm_repo *repo,
			const struct wfm_chunk_opts *opts)
{
	struct wfm_git_changes changes = WFM_GIT_CHANGES_INIT;
	size_t kept = base;
	int rc = wfm_git_changed_lines(&changes, repo, opts->changed_since,
				       opts->rev ? opts->rev : "HEAD");

	if (rc < 0)
		return rc;
	for (size_t i = base; i < out->nr; i++) {
		struct wfm_unit *u = &out->v[i];

		if (wfm_git_changes_touch(&changes, u->path, u->start_line, u->end_line))
			out->v[kept++] = *u;
		else
			wfm_unit_release(u);
	}
	out->nr = kept;
	wfm_git_changes_release(&changes);
	return 0;
}

int wfm_chunk_run(struct wfm_unit_list *out, struct wfm_repo *repo,
		  const struct wfm_chunk_opts *opts)
{
	struct wfm_tree_files files = WFM_TREE_FILES_INIT;
	struct wfm_lang_map map = WFM_LANG_MAP_INIT;
	struct run run = { 0 };
	struct worker *workers = NULL;
	size_t nworkers = 0, started = 0, base = out->nr;
	int rc;

	run.opts = opts;
	if (opts->lang != WFM_LANG_ANY && (opts->lang < 0 || opts->lang >= WFM_LANG__COUNT))
		return wfm_error_setc(WFM_EINVALID, "unknown language %d", (int)opts->lang);
	if (opts->match) {
		rc = wfm_regex_compile(&run.re, opts->match, WFM_REGEX_MULTILINE);
		if (rc < 0)
			goto done;
	}
	if (opts->query) {
		int want[WFM_LANG__COUNT];
		query_langs(want, opts->lang);
		rc = wfm_query_compile(&run.query, opts->query, want);
		if (rc < 0)
			goto done;
	}
	rc = wfm_tree_files_list(&files, repo, opts->rev, opts->pathspecs, opts->pathspecs_nr);
	if (rc < 0)
		goto done;
	rc = wfm_macros_load(&run.macros, repo);
	if (rc < 0)
		goto done;

	rc = wfm_lang_map_load(&map, repo, opts->rev, &files, !opts->pathspecs_nr);
	if (rc < 0)
		goto done;

	run.jobs = wfm_calloc(files.nr ? files.nr : 1, sizeof(*run.jobs));
	for (size_t i = 0; i < files.nr; i++) {
		enum wfm_lang lang = wfm_lang_map_of(&map, files.v[i].path);
		if (opts->lang != WFM_LANG_ANY && lang != opts->lang)
			continue;
		run.jobs[run.nr].file = &files.v[i];
		run.jobs[run.nr].lang = lang;
		run.nr++;
	}
	atomic_init(&run.next, 0);
	atomic_init(&run.failed, run.nr);

	nworkers = wfm_chunk_threads(opts->threads);
	if (nworkers > run.nr)
		nworkers = run.nr ? run.nr : 1;
	workers = wfm_calloc(nworkers, sizeof(*workers));
	for (size_t i = 0; i < nworkers; i++) {
		workers[i].run = &run;
		if (!i) {
			/* the calling thread works too, on the caller's handle */
			workers[i].repo = repo;
			continue;
		}
		rc = wfm_repo_open(&workers[i].repo, wfm_repo_path(repo));
		if (rc < 0)
			goto join;
	}
	for (started = 1; started < nworkers; started++)
		if (pthread_create(&workers[started].thread, NULL, work, &workers[started])) {
			rc = wfm_error_set("cannot start a thread: %s", strerror(errno));
			atomic_store(&run.failed, 0); /* stop the others */
			goto join;
		}
	work(&workers[0]);
join:
	for (size_t i = 1; i < started; i++)
		pthread_join(workers[i].thread, NULL);
	for (size_t i = 1; i < nworkers; i++)
		wfm_repo_free(workers[i].repo);
	if (rc < 0)
		goto done;

	for (size_t i = 0; i < run.nr; i++) {
		struct job *job = &run.jobs[i];
		if (job->rc < 0) {
			rc = wfm_error_setc(job->rc, "%s: %s", job->file->path,
					    job->err ? job->err : "failed");
			goto done;
		}
		if (!job->units.nr)
			continue;
		WFM_ALLOC_GROW(out->v, out->nr + job->units.nr, out->alloc);
		memcpy(out->v + out->nr, job->units.v, job->units.nr * sizeof(*job->units.v));
		out->nr += job->units.nr;
		free(job->units.v);
		memset(&job->units, 0, sizeof(job->units));
	}
	if (opts->changed_since && !opts->uncovered &&
	    (rc = keep_changed(out, base, repo, opts)) < 0)
		goto done;
	rc = 0;
done:
	for (size_t i = 0; run.jobs && i < run.nr; i++) {
		wfm_unit_list_release(&run.jobs[i].units);
		free(run.jobs[i].err);
	}
	if (rc < 0) {
		for (size_t i = base; i < out->nr; i++)
			wfm_unit_release(&out->v[i]);
		out->nr = base;
	}
	free(run.jobs);
	free(workers);
	wfm_regex_free(run.re);
	wfm_query_free(run.query);
	wfm_tree_files_release(&files);
	wfm_lang_map_release(&map);
	wfm_macros_release(&run.macros);
	return rc;
}
