/*
 * Packing small neighbouring units together and splitting large ones,
 * so that a unit fits a size budget. Neither ever cuts through a line,
 * loses a byte of a unit or repeats one: the parts of a unit tile its
 * range exactly, and a pack covers its members and what lies between
 * them (blank lines, a global, an #include: bytes of no unit).
 */
#include "base/common.h"
#include "base/buf.h"
#include "chunk/chunk_priv.h"

static void push_end(struct wfm_offsets *ends, size_t off)
{
	WFM_ALLOC_GROW(ends->v, ends->nr + 1, ends->alloc);
	ends->v[ends->nr++] = off;
}

/* The end of the next part starting at p (p + max < end). */
static size_t next_cut(const char *text, size_t p, size_t end, const struct wfm_cut *cuts,
		       size_t cuts_nr, size_t *ci, size_t max)
{
	size_t limit = p + max, best = 0;
	unsigned best_depth = UINT_MAX;
	const char *nl;

	while (*ci < cuts_nr && cuts[*ci].off <= p)
		(*ci)++;
	for (size_t i = *ci; i < cuts_nr && cuts[i].off <= limit; i++)
		if (cuts[i].depth <= best_depth) {
			best_depth = cuts[i].depth;
			best = cuts[i].off; /* cuts are sorted: the furthest of the shallowest */
		}
	if (best)
		return best;
	/* the last line start in (p, limit] */
	for (size_t i = limit; i > p; i--)
		if (text[i - 1] == '\n')
			return i;
	/* one line longer than max: it is a part of its own */
	nl = memchr(text + limit, '\n', end - limit);
	return nl && (size_t)(nl - text) + 1 < end ? (size_t)(nl - text) + 1 : end;
}

void wfm_split_range(struct wfm_offsets *ends, const char *text, size_t start, size_t end,
		     const struct wfm_cut *cuts, size_t cuts_nr, size_t max)
{
	size_t p = start, ci = 0;

	while (max && end - p > max) {
		size_t q = next_cut(text, p, end, cuts, cuts_nr, &ci, max);
		if (q <= p || q >= end)
			break;
		push_end(ends, q);
		p = q;
	}
	push_end(ends, end);
}

static void move_unit(struct wfm_unit_list *out, struct wfm_unit *u)
{
	WFM_ALLOC_GROW(out->v, out->nr + 1, out->alloc);
	out->v[out->nr++] = *u;
	memset(u, 0, sizeof(*u));
}

/* Whether [start, end) overlaps one of the ranges (sorted by start). */
static int overlaps(const struct wfm_ranges *r, size_t start, size_t end)
{
	for (size_t i = 0; i < r->nr && r->v[i].start < end; i++)
		if (r->v[i].end > start)
			return 1;
	return 0;
}

/* Whether the part [start, end) of it holds what each filter found in the unit. */
static int part_wanted(const struct wfm_pack_item *it, size_t start, size_t end)
{
	for (unsigned i = 0; i < it->need_nr; i++)
		if (!overlaps(it->need[i], start, end))
			return 0;
	return 1;
}

static void split_unit(struct wfm_unit_list *out, struct wfm_pack_item *it, const char *text,
		       const struct wfm_lines *lines, size_t max)
{
	struct wfm_offsets ends = WFM_OFFSETS_INIT;
	struct wfm_unit *u = &it->unit;
	size_t p = u->start_byte;

	wfm_split_range(&ends, text, u->start_byte, u->end_byte, it->cuts.v, it->cuts.nr, max);
	if (ends.nr < 2) {
		move_unit(out, u);
		goto done;
	}
	for (size_t k = 0; k < ends.nr; p = ends.v[k++]) {
		struct wfm_unit part = { 0 };
		struct wfm_buf id = WFM_BUF_INIT;

		if (!part_wanted(it, p, ends.v[k]))
			continue; /* nothing the filters look for: no work in it */
		wfm_buf_addf(&id, "%s@part%zu", u->id, k + 1);
		part.id = wfm_buf_detach(&id, NULL);
		part.path = wfm_strdup(u->path);
		part.lang = u->lang;
		part.kind = u->kind;
		part.name = wfm_strdup(u->name);
		part.reason = u->reason ? wfm_strdup(u->reason) : NULL;
		part.start_byte = p;
		part.end_byte = ends.v[k];
		wfm_unit_set_lines(&part, lines);
		move_unit(out, &part);
	}
	wfm_unit_release(u);
done:
	free(ends.v);
}

/* The id without "path::": "function::main#2". */
static const char *local_id(const struct wfm_unit *u)
{
	size_t n = strlen(u->path);
	return strncmp(u->id, u->path, n) || strncmp(u->id + n, "::", 2) ? u->id : u->id + n + 2;
}

static void pack_units(struct wfm_unit_list *out, struct wfm_pack_item *items, size_t nr,
		       const struct wfm_lines *lines)
{
	struct wfm_unit pack = { 0 };
	struct wfm_buf s = WFM_BUF_INIT;
	struct wfm_unit *first = &items[0].unit, *last = &items[nr - 1].unit;

	wfm_buf_addf(&s, "%s..%s", local_id(first), local_id(last));
	pack.name = wfm_buf_detach(&s, NULL);
	wfm_buf_addf(&s, "%s::pack::%s", first->path, pack.name);
	pack.id = wfm_buf_detach(&s, NULL);
	pack.path = wfm_strdup(first->path);
	pack.lang = first->lang;
	pack.kind = "pack";
	pack.start_byte = first->start_byte;
	pack.end_byte = last->end_byte;
	wfm_unit_set_lines(&pack, lines);
	for (size_t i = 0; i < nr; i++) {
		wfm_strvec_push(&pack.members, items[i].unit.id);
		wfm_unit_release(&items[i].unit);
	}
	move_unit(out, &pack);
}

void wfm_pack_file(struct wfm_unit_list *out, struct wfm_pack_item *items, size_t nr,
		   const char *text, const struct wfm_lines *lines, size_t max)
{
	size_t i = 0;

	while (i < nr) {
		struct wfm_unit *u = &items[i].unit;
		size_t j = i;

		if (u->end_byte - u->start_byte > max) {
			split_unit(out, &items[i], text, lines, max);
			i++;
			continue;
		}
		while (j + 1 < nr && items[j + 1].follows &&
		       items[j + 1].unit.end_byte - u->start_byte <= max)
			j++;
		if (j == i)
			move_unit(out, u);
		else
			pack_units(out, items + i, j - i + 1, lines);
		i = j + 1;
	}
}
