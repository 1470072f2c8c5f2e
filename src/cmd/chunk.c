/*
 * git wfmigrate chunk: prints the units the chunker makes of the tracked
 * files of a revision, as a table or as JSON.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/strvec.h"
#include "chunk/chunk.h"
#include "cmd/cmd.h"
#include "git/pathspec.h"
#include "git/repo.h"
#include "git/tree.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/options.h"

static const char *const chunk_usage[] = {
	"git wfmigrate chunk [--json] [--text] [--lang <lang>] [--match <pcre2>]\n"
	"                           [--query <query>] [--max-bytes <n>] [--rev <rev>]\n"
	"                           [--] [<pathspec>...]",
	"git wfmigrate chunk --uncovered [--json] [--text] [--lang <lang>] [--match <pcre2>]\n"
	"                           [--rev <rev>] [--] [<pathspec>...]",
	NULL,
};

/*
 * The pathspecs of the command line (relative to the current directory,
 * with git's magic), checked against the files of rev, as pathspecs from
 * the top for the chunker. Without any, or with exclusions only, the
 * current directory, like git grep.
 */
static int resolve_pathspecs(struct wfm_strvec *out, struct wfm_repo *repo, const char *rev,
			     const char **specs, int n)
{
	struct wfm_pathspec_base base = WFM_PATHSPEC_BASE_INIT;
	struct wfm_pathspec ps = WFM_PATHSPEC_INIT;
	int rc = 0;

	wfm_pathspec_base_here(&base, repo);
	for (int i = 0; i < n && rc == 0; i++)
		rc = wfm_pathspec_add(&ps, specs[i], &base);
	if (rc == 0 && !ps.includes && *base.prefix)
		rc = wfm_pathspec_add(&ps, ".", &base);
	if (rc == 0 && ps.nr)
		rc = wfm_tree_pathspec_check(NULL, repo, rev, &ps);
	for (size_t i = 0; rc == 0 && i < ps.nr; i++)
		wfm_strvec_push_nodup(out, wfm_pathspec_canonical(&ps.v[i]));
	wfm_pathspec_release(&ps);
	wfm_pathspec_base_release(&base);
	return rc;
}

static void print_json(const struct wfm_unit_list *units, int text)
{
	struct wfm_buf b = WFM_BUF_INIT;

	fputs("[", stdout);
	for (size_t i = 0; i < units->nr; i++) {
		wfm_buf_clear(&b);
		wfm_buf_adds(&b, i ? ",\n" : "\n");
		wfm_unit_json(&b, &units->v[i], text ? WFM_UNIT_JSON_TEXT : 0);
		fwrite(b.ptr, 1, b.len, stdout);
	}
	fputs(units->nr ? "\n]\n" : "]\n", stdout);
	wfm_buf_release(&b);
}

static void lines_of(char *buf, size_t n, const struct wfm_unit *u)
{
	snprintf(buf, n, "%u-%u", u->start_line, u->end_line);
}

/* Columns a string takes on a terminal: one per character, not per byte. */
static int width(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* An aligned table, one unit a line, with a header. */
static void print_table(const struct wfm_unit_list *units, int text)
{
	int wid = 2, wlang = 4, wkind = 4, wlines = 5, wbytes = 5;
	char lines[64], bytes[32];

	for (size_t i = 0; i < units->nr; i++) {
		const struct wfm_unit *u = &units->v[i];
		int n;

		if ((n = width(u->id)) > wid)
			wid = n;
		if ((n = (int)strlen(wfm_lang_name(u->lang))) > wlang)
			wlang = n;
		if ((n = (int)strlen(u->kind)) > wkind)
			wkind = n;
		lines_of(lines, sizeof(lines), u);
		if ((n = (int)strlen(lines)) > wlines)
			wlines = n;
		n = snprintf(bytes, sizeof(bytes), "%zu", u->end_byte - u->start_byte);
		if (n > wbytes)
			wbytes = n;
	}
	if (!units->nr)
		return;
	if (!text)
		printf("%-*s  %-*s  %-*s  %-*s  %*s\n", wid, "ID", wlang, "LANG", wkind, "KIND",
		       wlines, "LINES", wbytes, "BYTES");
	for (size_t i = 0; i < units->nr; i++) {
		const struct wfm_unit *u = &units->v[i];
		size_t size = u->end_byte - u->start_byte;

		lines_of(lines, sizeof(lines), u);
		if (text) {
			printf("==> %s (%s %s, lines %s, %zu bytes)%s%s <==\n", u->id,
			       wfm_lang_name(u->lang), u->kind, lines, size, u->reason ? ": " : "",
			       u->reason ? u->reason : "");
			fwrite(u->text, 1, size, stdout);
			if (size && u->text[size - 1] != '\n')
				putchar('\n');
			continue;
		}
		printf("%s%*s  %-*s  %-*s  %-*s  %*zu", u->id, wid - width(u->id), "", wlang,
		       wfm_lang_name(u->lang), wkind, u->kind, wlines, lines, wbytes, size);
		if (u->reason)
			printf("  (%s)", u->reason);
		putchar('\n');
	}
}

/*
 * --uncovered: "path:a-b" a line, or with --match "path:n: <the line>" (the
 * text under a header with --text), or JSON.
 */
static void print_uncovered(const struct wfm_unit_list *ranges, int json, int text, int per_line)
{
	struct wfm_buf b = WFM_BUF_INIT;

	if (json)
		fputs("[", stdout);
	for (size_t i = 0; i < ranges->nr; i++) {
		const struct wfm_unit *u = &ranges->v[i];

		wfm_buf_clear(&b);
		if (json) {
			cJSON *obj = wfm_json_object();

			wfm_json_add_str(obj, "path", u->path);
			wfm_json_add_str(obj, "lang", wfm_lang_name(u->lang));
			wfm_json_add_num(obj, "start_line", u->start_line);
			wfm_json_add_num(obj, "end_line", u->end_line);
			if (u->reason)
				wfm_json_add_str(obj, "reason", u->reason);
			if (text)
				wfm_json_add_strn(obj, "text", u->text,
						  u->end_byte - u->start_byte);
			wfm_buf_adds(&b, i ? ",\n" : "\n");
			wfm_json_print(&b, obj);
			cJSON_Delete(obj);
		} else if (text) {
			wfm_buf_addf(&b, "==> %s:%u-%u <==\n", u->path, u->start_line, u->end_line);
			wfm_buf_add(&b, u->text, u->end_byte - u->start_byte);
		} else if (per_line) {
			wfm_buf_addf(&b, "%s:%u: %s", u->path, u->start_line,
				     u->reason ? "(binary file) " : "");
			wfm_unit_line_text(&b, u, SIZE_MAX);
			wfm_buf_addch(&b, '\n');
		} else {
			wfm_buf_addf(&b, "%s:%u-%u\n", u->path, u->start_line, u->end_line);
		}
		fwrite(b.ptr, 1, b.len, stdout);
	}
	if (json)
		fputs(ranges->nr ? "\n]\n" : "]\n", stdout);
	wfm_buf_release(&b);
}

int cmd_chunk(int argc, const char **argv, struct wfm_cmd_ctx *ctx)
{
	struct wfm_chunk_opts copts = WFM_CHUNK_OPTS_INIT;
	struct wfm_unit_list units = WFM_UNIT_LIST_INIT;
	struct wfm_strvec specs = WFM_STRVEC_INIT;
	const char *lang = NULL, *rev = NULL, *match = NULL, *query = NULL;
	unsigned long max_bytes = 0, threads = 0;
	unsigned long timeout_ms = WFM_CHUNK_TIMEOUT_US_DEFAULT / 1000;
	unsigned long max_file = WFM_CHUNK_MAX_FILE_BYTES_DEFAULT;
	int json = 0, text = 0, uncovered = 0, n, rc, ret = WFM_EXIT_OK;
	const struct wfm_option options[] = {
		WFM_OPT_BOOL(0, "json", &json, "print a JSON array of units"),
		WFM_OPT_BOOL(0, "text", &text, "include the text of each unit"),
		WFM_OPT_STRING(0, "lang", &lang, "lang",
			       "only files of this language: c, cpp, python, javascript, "
			       "typescript, tsx, go, rust, java, or other (no grammar)"),
		WFM_OPT_STRING(0, "match", &match, "pcre2", "keep units whose text matches"),
		WFM_OPT_STRING(0, "query", &query, "query",
			       "keep units holding a capture of this tree-sitter query"),
		WFM_OPT_UINT(0, "max-bytes", &max_bytes, "n",
			     "pack small neighbouring units and split large ones to n bytes", 1,
			     ULONG_MAX),
		WFM_OPT_STRING(0, "rev", &rev, "rev",
			       "read the files of this revision (default HEAD)"),
		WFM_OPT_BOOL(0, "uncovered", &uncovered,
			     "list the lines with code that are in no unit, as path:a-b (with "
			     "--match: each matching line, as path:n: text)"),
		WFM_OPT_GROUP("limits"),
		WFM_OPT_UINT(0, "threads", &threads, "n",
			     "parse on n threads (default 0: one per core)", 0, 1024),
		WFM_OPT_UINT(0, "parse-timeout", &timeout_ms, "ms",
			     "a file whose parse takes longer is one unit (default 2000; 0: none)",
			     0, 86400000),
		WFM_OPT_UINT(0, "max-file-bytes", &max_file, "n",
			     "a larger file is one unit, not parsed (default 4194304; 0: no limit)",
			     0, ULONG_MAX),
		WFM_OPT_END(),
	};

	n = wfm_parse_options(argc, argv, options, chunk_usage, 0);
	if (n < 0)
		return WFM_EXIT_USAGE;
	if (lang && (rc = wfm_lang_from_name(&copts.lang, lang)) < 0)
		return wfm_ui_usage_error_lib(rc, chunk_usage, options);
	if (!ctx->repo) {
		wfm_ui_fatal("not a git repository (or any of the parent directories)");
		return WFM_EXIT_FATAL;
	}
	/* a bad pathspec, --match or --query is a usage error: with the usage text */
	rc = resolve_pathspecs(&specs, ctx->repo, rev, argv, n);
	if (rc < 0) {
		ret = wfm_ui_usage_error_lib(rc, chunk_usage, options);
		goto done;
	}

	copts.rev = rev;
	copts.pathspecs = (const char *const *)specs.v;
	copts.pathspecs_nr = specs.nr;
	copts.match = match;
	copts.query = query;
	copts.max_bytes = max_bytes;
	copts.threads = (unsigned)threads;
	copts.timeout_us = (uint64_t)timeout_ms * 1000;
	copts.max_file_bytes = max_file;
	/* with --match, the lines a --match run could not reach, each on its own */
	copts.uncovered = !uncovered ? WFM_CHUNK_UNCOVERED_NONE
			  : match    ? WFM_CHUNK_UNCOVERED_LINES
				     : WFM_CHUNK_UNCOVERED_RANGES;
	copts.with_text = text || copts.uncovered == WFM_CHUNK_UNCOVERED_LINES;
	rc = wfm_chunk_run(&units, ctx->repo, &copts);
	if (rc < 0) {
		ret = wfm_ui_usage_error_lib(rc, chunk_usage, options);
		goto done;
	}
	if (uncovered)
		print_uncovered(&units, json, text, copts.uncovered == WFM_CHUNK_UNCOVERED_LINES);
	else if (json)
		print_json(&units, text);
	else
		print_table(&units, text);
done:
	wfm_unit_list_release(&units);
	wfm_strvec_clear(&specs);
	return ret;
}
