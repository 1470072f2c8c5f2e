/*
 * Exporting a workflow as a folder (engine/export.h): the script, a
 * SKILL.md made from its meta, and the rubrics it asks for.
 */
#define _GNU_SOURCE /* strchrnul */
#include "base/common.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/strvec.h"
#include "engine/args.h"
#include "engine/export.h"
#include "engine/workflow.h"

#include <ctype.h>
#include <dirent.h>

#define ARGS_RUBRIC "args-rubric"

static int is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$';
}

void wfm_export_rubric_names(struct wfm_strvec *out, const char *script)
{
	const char *p = script;

	while ((p = strstr(p, "rubric"))) {
		const char *q = p + 6, *end;
		char quote;
		char *name;
		int seen = 0;

		/* rubric( as a call: not a part of a longer name, not a property (x.rubric) */
		if ((p > script && (is_ident(p[-1]) || p[-1] == '.'))) {
			p = q;
			continue;
		}
		p = q;
		while (isspace((unsigned char)*q))
			q++;
		if (*q != '(')
			continue;
		q++;
		while (isspace((unsigned char)*q))
			q++;
		if (*q != '\'' && *q != '"' && *q != '`')
			continue;
		quote = *q++;
		end = strchr(q, quote);
		if (!end || end == q || memchr(q, '\n', (size_t)(end - q)) ||
		    (quote == '`' && memchr(q, '$', (size_t)(end - q))))
			continue;
		name = wfm_strndup(q, (size_t)(end - q));
		for (size_t i = 0; i < out->nr; i++)
			seen |= !strcmp(out->v[i], name);
		if (seen)
			free(name);
		else
			wfm_strvec_push_nodup(out, name);
	}
}

static int dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int empty = 1;

	if (!d)
		return 1;
	while (empty && (de = readdir(d)))
		empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
	closedir(d);
	return empty;
}

static int write_file(struct wfm_strvec *written, const char *dir, const char *name,
		      const char *data, size_t len)
{
	char *path = wfm_fs_join(dir, name);
	FILE *f = fopen(path, "wb");
	int rc = 0;

	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		rc = wfm_error_set("cannot write '%s': %s", path, strerror(errno));
		if (f)
			fclose(f);
	} else {
		wfm_strvec_push(written, name);
	}
	free(path);
	return rc;
}

/* s as a YAML double-quoted scalar */
static void yaml_str(struct wfm_buf *b, const char *s)
{
	wfm_buf_addch(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			wfm_buf_addf(b, "\\%c", *s);
		else if (*s == '\n')
			wfm_buf_adds(b, "\\n");
		else if ((unsigned char)*s < 0x20)
			wfm_buf_addf(b, "\\x%02x", (unsigned char)*s);
		else
			wfm_buf_addch(b, *s);
	}
	wfm_buf_addch(b, '"');
}

/* s in a markdown table cell */
static void cell(struct wfm_buf *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			wfm_buf_adds(b, "\\|");
		else
			wfm_buf_addch(b, *s == '\n' ? ' ' : *s);
	}
}

static void phases_md(struct wfm_buf *md, const cJSON *meta)
{
	const cJSON *phases = cJSON_GetObjectItemCaseSensitive(meta, "phases"), *p;
	int n = 0;

	wfm_buf_adds(md, "## Phases\n\n");
	cJSON_ArrayForEach (p, phases) {
		const char *title =
			cJSON_IsString(p) ? p->valuestring : wfm_json_get_str(p, "title", NULL);
		const char *detail = wfm_json_get_str(p, "detail", NULL);

		if (!title)
			continue;
		wfm_buf_addf(md, "%d. **%s**", ++n, title);
		if (detail)
			wfm_buf_addf(md, ": %s", detail);
		wfm_buf_addch(md, '\n');
	}
	if (!n)
		wfm_buf_adds(md, "The workflow declares no phases.\n");
	wfm_buf_addch(md, '\n');
}

static void args_md(struct wfm_buf *md, const cJSON *meta)
{
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(meta, "args"), *a;

	wfm_buf_adds(md, "## Arguments\n\n");
	if (!cJSON_GetArraySize(args)) {
		wfm_buf_adds(md, "The workflow declares none (`args` is whatever the run is "
				 "given).\n\n");
		return;
	}
	wfm_buf_adds(md, "| name | type | required | default | description |\n"
			 "|---|---|---|---|---|\n");
	cJSON_ArrayForEach (a, args) {
		const cJSON *dflt = cJSON_GetObjectItemCaseSensitive(a, "default");
		const cJSON *values = cJSON_GetObjectItemCaseSensitive(a, "enum");
		struct wfm_buf d = WFM_BUF_INIT;

		wfm_buf_adds(md, "| `");
		cell(md, a->string);
		wfm_buf_adds(md, "` | ");
		cell(md, wfm_json_get_str(a, "type", "any"));
		if (cJSON_IsArray(values)) {
			wfm_json_print(&d, values);
			wfm_buf_adds(md, " of ");
			cell(md, d.ptr);
			wfm_buf_clear(&d);
		}
		wfm_buf_addf(md, " | %s | ",
			     cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "required")) ? "yes"
											   : "no");
		if (dflt) {
			wfm_json_print(&d, dflt);
			wfm_buf_adds(md, "`");
			cell(md, d.ptr);
			wfm_buf_adds(md, "`");
		}
		wfm_buf_adds(md, " | ");
		cell(md, wfm_json_get_str(a, "description", ""));
		wfm_buf_adds(md, " |\n");
		wfm_buf_release(&d);
	}
	wfm_buf_adds(md, "\nGive them as `--arg name=value` (repeatable), the goal as the words "
			 "after the options, or all at once with `--args-json`.\n\n");
}

/*
 * The options a run of this workflow is given: the run's own (oracle,
 * args) when it is an exported run, placeholders otherwise.
 */
static void command_line(struct wfm_buf *b, const struct wfm_export_source *src, int args_rubric)
{
	const char *oracle = wfm_json_get_str(src->run_json, "oracle", NULL);

	wfm_buf_adds(b, "git wfmigrate run --workflow ./workflow.js --oracle ");
	if (oracle)
		wfm_buf_add_sq(b, oracle);
	else
		wfm_buf_adds(b, "'<your test command>'");
	if (!src->run && !cJSON_IsObject(src->args))
		wfm_buf_adds(b, " [--arg <name>=<value>]... '<goal>'");
	wfm_args_command_line(b, src->args, args_rubric ? "rubric" : NULL);
	if (args_rubric && cJSON_IsObject(src->args))
		wfm_buf_adds(b, " --arg rubric=\"$(cat rubrics/" ARGS_RUBRIC ".md)\"");
}

/* The additions to Claude Code's harness API the script calls: it needs git wfmigrate for them. */
static void additions(struct wfm_strvec *out, const char *script)
{
	static const char *const calls[] = { "oracle", "merge",	 "chunk",     "scan",
					     "diff",   "rubric", "worktreeOf" };

	for (size_t i = 0; i < WFM_ARRAY_SIZE(calls); i++) {
		const char *p = script;
		size_t n = strlen(calls[i]);

		while ((p = strstr(p, calls[i]))) {
			const char *q = p + n;

			if ((p == script || (!is_ident(p[-1]) && p[-1] != '.')) && *q == '(') {
				wfm_strvec_push(out, calls[i]);
				break;
			}
			p = q;
		}
	}
}

static void skill_md(struct wfm_buf *md, const struct wfm_export_source *src, const char *script,
		     const struct wfm_strvec *rubrics, int args_rubric)
{
	const cJSON *meta = src->meta;
	const char *name = wfm_json_get_str(meta, "name", "workflow");
	const char *desc = wfm_json_get_str(meta, "description", NULL);
	const char *when = wfm_json_get_str(meta, "whenToUse", NULL);
	struct wfm_strvec extra = WFM_STRVEC_INIT;
	struct wfm_buf cmd = WFM_BUF_INIT;

	wfm_buf_adds(md, "---\nname: ");
	yaml_str(md, name);
	wfm_buf_adds(md, "\ndescription: ");
	yaml_str(md, desc ? desc : name);
	wfm_buf_adds(md, "\n---\n\n");
	wfm_buf_addf(md, "# %s\n\n%s\n\n", name, desc ? desc : "");
	if (src->run)
		wfm_buf_addf(md,
			     "Exported from git wfmigrate run `%s`: `workflow.js` is the "
			     "script that run ran.\n\n",
			     src->run);
	wfm_buf_addf(md, "## When to use it\n\n%s\n\n",
		     when ? when : "The workflow does not say (its meta has no whenToUse).");
	phases_md(md, meta);
	args_md(md, meta);

	wfm_buf_adds(md, "## How to run it\n\n### With git wfmigrate\n\nIn the repository to "
			 "change, with the path of this folder's `workflow.js`:\n\n```sh\n");
	command_line(&cmd, src, args_rubric);
	wfm_buf_addf(md, "%s\n```\n\n", cmd.ptr);
	if (src->run)
		wfm_buf_adds(md,
			     "(the oracle and the arguments of the run it was exported from).\n\n");
	wfm_buf_addf(md,
		     "It shows the approval card (phases, agents) and asks before anything "
		     "runs; `--yes` approves. To run it by name (`--workflow %s`), copy "
		     "`workflow.js` to `.wfmigrate/workflows/%s.js` or `.claude/workflows/%s.js` "
		     "in the repository (or `~/.claude/workflows/`)",
		     name, name, name);
	if (rubrics->nr)
		wfm_buf_adds(md, ", and the files of `rubrics/` to `.wfmigrate/rubrics/` or "
				 "`.claude/rubrics/` next to it");
	wfm_buf_adds(md, ". The result lands on `wfmigrate/<run>/integration`; `git wfmigrate "
			 "apply <run>` brings it to your branch.\n\n");

	wfm_buf_addf(md,
		     "### With Claude Code\n\nPut this folder at `.claude/skills/%s/` and ask "
		     "Claude to run `workflow.js` with the Workflow tool (`scriptPath`, with "
		     "the arguments above as `args`), or copy `workflow.js` to "
		     "`.claude/workflows/%s.js` and run `/%s`.",
		     name, name, name);
	additions(&extra, script);
	if (extra.nr) {
		wfm_buf_adds(md, " The script calls ");
		for (size_t i = 0; i < extra.nr; i++)
			wfm_buf_addf(md, "%s`%s()`", i ? i + 1 == extra.nr ? " and " : ", " : "",
				     extra.v[i]);
		wfm_buf_adds(md, ", which git wfmigrate adds to Claude Code's harness API: "
				 "there, run it with git wfmigrate, or treat it as a template "
				 "to adapt.");
	}
	wfm_buf_adds(md, "\n\n");

	if (rubrics->nr || args_rubric) {
		wfm_buf_adds(md, "## Rubrics\n\n");
		for (size_t i = 0; i < rubrics->nr; i++)
			wfm_buf_addf(md, "- `rubrics/%s.md`: what `rubric('%s')` returns\n",
				     rubrics->v[i], rubrics->v[i]);
		if (args_rubric)
			wfm_buf_adds(md, "- `rubrics/" ARGS_RUBRIC ".md`: the rubric the run was "
					 "given as `args.rubric`\n");
		wfm_buf_addch(md, '\n');
	}
	wfm_strvec_clear(&extra);
	wfm_buf_release(&cmd);
}

/* The text of rubric name as the run's journal recorded it (what its agents saw), or NULL. */
static char *journaled_rubric(const char *journal, const char *name)
{
	struct wfm_buf text = WFM_BUF_INIT, file = WFM_BUF_INIT;
	const char *line, *end;
	char *found = NULL;

	if (!journal || wfm_buf_read_file(&text, journal) < 0)
		goto done;
	wfm_buf_addf(&file, "/%s.md", name);
	for (line = text.ptr; *line && !found; line = *end ? end + 1 : end) {
		cJSON *rec = NULL;
		const cJSON *value;
		const char *path;

		end = strchrnul(line, '\n');
		if (end == line || wfm_json_parse(&rec, line, (size_t)(end - line)) < 0)
			continue;
		value = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(rec, "result"), "value");
		path = wfm_json_get_str(value, "path", "");
		if (!strcmp(wfm_json_get_str(rec, "method", ""), "rubric") &&
		    strlen(path) >= file.len && !strcmp(path + strlen(path) - file.len, file.ptr) &&
		    wfm_json_get_str(value, "text", NULL))
			found = wfm_strdup(wfm_json_get_str(value, "text", NULL));
		cJSON_Delete(rec);
	}
done:
	wfm_buf_release(&text);
	wfm_buf_release(&file);
	return found;
}

int wfm_export_write(struct wfm_strvec *written, const char *dir,
		     const struct wfm_export_source *src, int force)
{
	struct wfm_buf script = WFM_BUF_INIT, md = WFM_BUF_INIT, text = WFM_BUF_INIT;
	struct wfm_strvec rubrics = WFM_STRVEC_INIT;
	const char *args_rubric = wfm_json_get_str(src->args, "rubric", NULL);
	char *rdir = NULL;
	int rc;

	if ((rc = wfm_buf_read_file(&script, src->script)) < 0)
		goto done;
	if (wfm_fs_exists(dir) && !wfm_fs_is_dir(dir)) {
		rc = wfm_error_setc(WFM_EEXISTS, "'%s' exists and is not a directory", dir);
		goto done;
	}
	if (!force && !dir_is_empty(dir)) {
		rc = wfm_error_setc(WFM_EEXISTS,
				    "'%s' exists and is not empty (--force writes into it)", dir);
		goto done;
	}
	wfm_export_rubric_names(&rubrics, script.ptr);
	/* every rubric first: nothing is written for an export that would not run */
	for (size_t i = 0; i < rubrics.nr; i++) {
		char *path = NULL, *known = journaled_rubric(src->journal, rubrics.v[i]);

		if (known) {
			free(known);
			continue;
		}
		if ((rc = wfm_rubric_find(&path, rubrics.v[i], src->where)) < 0)
			goto done;
		free(path);
	}
	if ((rc = wfm_fs_mkdir_p(dir)) < 0 ||
	    (rc = write_file(written, dir, "workflow.js", script.ptr, script.len)) < 0)
		goto done;
	skill_md(&md, src, script.ptr, &rubrics, args_rubric != NULL);
	if ((rc = write_file(written, dir, "SKILL.md", md.ptr, md.len)) < 0)
		goto done;
	if (!rubrics.nr && !args_rubric)
		goto done;
	rdir = wfm_fs_join(dir, "rubrics");
	if ((rc = wfm_fs_mkdir_p(rdir)) < 0)
		goto done;
	for (size_t i = 0; i < rubrics.nr; i++) {
		char *from_journal = journaled_rubric(src->journal, rubrics.v[i]);
		char *path = NULL;

		wfm_buf_clear(&text);
		if (from_journal) {
			wfm_buf_adds(&text, from_journal);
			free(from_journal);
		} else if ((rc = wfm_rubric_find(&path, rubrics.v[i], src->where)) < 0 ||
			   (rc = wfm_buf_read_file(&text, path)) < 0) {
			free(path);
			goto done;
		}
		free(path);
		wfm_buf_clear(&md);
		wfm_buf_addf(&md, "rubrics/%s.md", rubrics.v[i]);
		if ((rc = write_file(written, dir, md.ptr, text.ptr, text.len)) < 0)
			goto done;
	}
	if (args_rubric)
		rc = write_file(written, dir, "rubrics/" ARGS_RUBRIC ".md", args_rubric,
				strlen(args_rubric));
done:
	wfm_buf_release(&script);
	wfm_buf_release(&md);
	wfm_buf_release(&text);
	wfm_strvec_clear(&rubrics);
	free(rdir);
	return rc;
}
