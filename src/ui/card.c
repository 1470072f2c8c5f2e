#include "base/common.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/process.h"
#include "base/strvec.h"
#include "agent/model.h"
#include "agent/provider.h"
#include "agent/role.h"
#include "chunk/chunk.h"
#include "engine/args.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/harness.h"
#include "git/pathspec.h"
#include "git/repo.h"
#include "git/status.h"
#include "git/tree.h"
#include "ui/card.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/pager.h"
#include "ui/run.h"
#include "ui/status.h"

#include <ctype.h>

void wfm_ui_card_init(struct wfm_ui_card *c, struct wfm_repo *repo,
		      const struct wfm_run_config *cfg, const char *goal, const char *base_opt)
{
	memset(c, 0, sizeof(*c));
	c->repo = repo;
	c->cfg = cfg;
	c->goal = goal;
	c->base_opt = base_opt;
	wfm_pathspec_base_here(&c->here, repo);
	c->units = -1;
}

/* What load finds: cleared for another load. */
static void clear_found(struct wfm_ui_card *c)
{
	wfm_pathspec_release(&c->paths);
	wfm_strvec_clear(&c->chunked);
	wfm_strvec_clear(&c->files);
	wfm_strvec_clear(&c->dirty);
	free(c->unit_bytes);
	c->unit_bytes = NULL;
	wfm_estimate_release(&c->estimate);
	c->units = -1;
}

void wfm_ui_card_release(struct wfm_ui_card *c)
{
	clear_found(c);
	if (c->copy)
		unlink(c->copy);
	free(c->copy);
	free(c->script);
	c->copy = c->script = NULL;
	cJSON_Delete(c->meta);
	cJSON_Delete(c->given);
	cJSON_Delete(c->args);
	wfm_pathspec_base_release(&c->here);
	c->meta = c->given = c->args = NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The units chunk() will make of the arguments the workflow marks with
 * chunk: true (or chunk: '<option>', an argument passed to chunk() as
 * that option), at base; none marked, the count stays unknown.
 */
static int count_units(struct wfm_ui_card *c, const cJSON *args, const cJSON *decl)
{
	struct wfm_chunk_opts opts = WFM_CHUNK_OPTS_INIT;
	struct wfm_unit_list units = WFM_UNIT_LIST_INIT;
	struct wfm_strvec only = WFM_STRVEC_INIT, paths = WFM_STRVEC_INIT;
	cJSON *options = wfm_json_object(); /* the arguments under the names of chunk()'s options */
	const cJSON *d, *v;
	int rc = 0;

	cJSON_ArrayForEach (d, decl) {
		const cJSON *as = cJSON_GetObjectItemCaseSensitive(d, "chunk");
		const char *option = cJSON_IsString(as) ? as->valuestring : d->string;

		if (!cJSON_IsTrue(as) && !cJSON_IsString(as))
			continue;
		wfm_strvec_push(&only, option);
		if ((v = cJSON_GetObjectItemCaseSensitive(args, d->string))) {
			wfm_strvec_push(&c->chunked, d->string);
			wfm_json_add(options, option, cJSON_Duplicate(v, 1));
		}
	}
	if (!only.nr)
		goto done;
	opts.rev = c->cfg->base;
	if ((rc = wfm_args_chunk_opts(&opts, &paths, options, (const char *const *)only.v)) < 0 ||
	    (rc = wfm_chunk_run(&units, c->repo, &opts)) < 0)
		goto done;
	c->units = (long)units.nr;
	c->unit_bytes = wfm_calloc(units.nr + 1, sizeof(*c->unit_bytes));
	for (size_t i = 0; i < units.nr; i++)
		c->unit_bytes[i] = units.v[i].end_byte - units.v[i].start_byte;
	for (size_t i = 0; i < units.nr; i++)
		if (!c->files.nr || strcmp(c->files.v[c->files.nr - 1], units.v[i].path))
			wfm_strvec_push(&c->files, units.v[i].path);
	if (c->files.nr)
		qsort(c->files.v, c->files.nr, sizeof(*c->files.v), cmp_str);
done:
	wfm_unit_list_release(&units);
	wfm_strvec_clear(&only);
	wfm_strvec_clear(&paths);
	cJSON_Delete(options);
	return rc;
}

/* The files of the run (its units' files, else its paths, else all) that git status lists. */
static int find_dirty(struct wfm_ui_card *c)
{
	struct wfm_strvec changed = WFM_STRVEC_INIT;
	int rc = wfm_status_changed(&changed, c->repo);

	for (size_t i = 0; rc == 0 && i < changed.nr; i++) {
		const char *f = changed.v[i];
		int in;

		if (c->units >= 0)
			in = !!bsearch(&f, c->files.v, c->files.nr, sizeof(*c->files.v), cmp_str);
		else
			in = wfm_pathspec_match(&c->paths, f, NULL);
		if (in)
			wfm_strvec_push(&c->dirty, f);
	}
	wfm_strvec_clear(&changed);
	return rc;
}

static void estimate(struct wfm_ui_card *c)
{
	struct wfm_estimate_opts o = { 0 };

	o.meta = c->meta;
	o.args = c->args;
	o.cfg = c->cfg;
	o.units = c->units;
	o.unit_bytes = c->unit_bytes;
	wfm_estimate_release(&c->estimate);
	wfm_estimate_run(&c->estimate, &o);
}

int wfm_ui_card_load(struct wfm_ui_card *c, const char *script, const cJSON *meta,
		     const cJSON *args)
{
	const cJSON *decl = wfm_args_declared(meta);
	const cJSON *wname = cJSON_GetObjectItemCaseSensitive(meta, "name");
	cJSON *resolved = cJSON_Duplicate(args, 1);
	int rc;

	clear_found(c);
	/* the arguments, checked against meta.args before anything runs */
	if ((rc = wfm_args_check(resolved, decl,
				 cJSON_IsString(wname) ? wname->valuestring : c->cfg->workflow)) <
	    0)
		goto done;
	/* paths as git means them: from here, checked against the base */
	if ((rc = wfm_args_resolve_pathspecs(resolved, decl, &c->here, &c->paths)) < 0 ||
	    (c->paths.nr &&
	     (rc = wfm_tree_pathspec_check(NULL, c->repo, c->base_opt, &c->paths)) < 0) ||
	    (rc = count_units(c, resolved, decl)) < 0)
		goto done;
	if (find_dirty(c) < 0)
		wfm_ui_warning("%s", wfm_error_last()); /* the card goes on without it */
	if (script != c->script) {
		free(c->script);
		c->script = wfm_strdup(script);
	}
	if (meta != c->meta) {
		cJSON_Delete(c->meta);
		c->meta = cJSON_Duplicate(meta, 1);
	}
	if (args != c->given) {
		cJSON_Delete(c->given);
		c->given = cJSON_Duplicate(args, 1);
	}
	cJSON_Delete(c->args);
	c->args = resolved;
	resolved = NULL;
	estimate(c);
done:
	if (rc < 0)
		clear_found(c);
	cJSON_Delete(resolved);
	return rc;
}

/* an argument's value on one line: a string as it is, anything else as JSON; at most 60 bytes */
static void arg_value(struct wfm_buf *out, const cJSON *v)
{
	struct wfm_buf b = WFM_BUF_INIT;
	size_t n;

	if (cJSON_IsString(v) && !strpbrk(v->valuestring, "\n\r"))
		wfm_buf_adds(&b, v->valuestring);
	else
		wfm_json_print(&b, v);
	n = b.len > 60 ? 57 : b.len;
	wfm_buf_add(out, b.ptr, n);
	if (n < b.len)
		wfm_buf_adds(out, "...");
	wfm_buf_release(&b);
}

/* "arguments:": those given, and the declared ones that have a default */
static void print_args(const cJSON *args, const cJSON *decl)
{
	struct wfm_buf line = WFM_BUF_INIT;
	const cJSON *v, *d;
	int width = 0, header = 0;

	if (!cJSON_IsObject(args))
		return;
	cJSON_ArrayForEach (v, args) {
		if (strcmp(v->string, "goal") && (int)strlen(v->string) > width)
			width = (int)strlen(v->string);
	}
	cJSON_ArrayForEach (d, decl) {
		if ((int)strlen(d->string) > width)
			width = (int)strlen(d->string);
	}
	/* in the order the workflow declares them, then the others */
	cJSON_ArrayForEach (d, decl) {
		const cJSON *def = cJSON_GetObjectItemCaseSensitive(d, "default");

		if (!strcmp(d->string, "goal"))
			continue;
		v = cJSON_GetObjectItemCaseSensitive(args, d->string);
		if (!v && !def)
			continue;
		wfm_buf_clear(&line);
		arg_value(&line, v ? v : def);
		fprintf(stderr, "%s  %-*s  %s%s\n", header++ ? "" : "arguments:\n", width,
			d->string, line.ptr, v ? "" : " (default)");
	}
	cJSON_ArrayForEach (v, args) {
		if (!strcmp(v->string, "goal") || cJSON_GetObjectItemCaseSensitive(decl, v->string))
			continue;
		wfm_buf_clear(&line);
		arg_value(&line, v);
		fprintf(stderr, "%s  %-*s  %s\n", header++ ? "" : "arguments:\n", width, v->string,
			line.ptr);
	}
	wfm_buf_release(&line);
}

#define DIRTY_SHOWN 10

static void print_plan(const struct wfm_ui_card *c)
{
	if (c->units >= 0) {
		fprintf(stderr, "units: %ld", c->units);
		for (size_t i = 0; i < c->chunked.nr; i++)
			fprintf(stderr, "%s%s", i ? ", " : " (chunk() with ", c->chunked.v[i]);
		fprintf(stderr, "%s\n", c->chunked.nr ? ")" : " (chunk() of the whole tree)");
	}
	if (!c->dirty.nr)
		return;
	wfm_ui_warning("%zu file%s the run works on %s uncommitted changes; the run starts from "
		       "%s (%.12s) and does not see them:",
		       c->dirty.nr, c->dirty.nr == 1 ? "" : "s", c->dirty.nr == 1 ? "has" : "have",
		       c->base_opt, c->cfg->base);
	for (size_t i = 0; i < c->dirty.nr && i < DIRTY_SHOWN; i++)
		fprintf(stderr, "  %s\n", c->dirty.v[i]);
	if (c->dirty.nr > DIRTY_SHOWN)
		fprintf(stderr, "  ... and %zu more (git status lists them)\n",
			c->dirty.nr - DIRTY_SHOWN);
}

/*
 * With a match in args (migrate's --arg match=<re>): the lines of code it
 * finds in no unit at the base, for the paths and lang of args, which no
 * agent will see (chunk() is given the same args by migrate).
 */
static void print_reach(struct wfm_repo *repo, const char *base, const cJSON *args)
{
	const cJSON *match = cJSON_GetObjectItemCaseSensitive(args, "match"), *l;
	struct wfm_buf b = WFM_BUF_INIT;
	cJSON *lines = NULL;
	int total, shown = 0;

	if (wfm_engine_out_of_reach(&lines, repo, base, args) < 0) {
		fprintf(stderr, "out of reach: cannot list the lines matching /%s/: %s\n",
			match->valuestring, wfm_error_last());
		return;
	}
	if (!lines)
		return;
	total = cJSON_GetArraySize(lines);
	if (!total) {
		fprintf(stderr,
			"out of reach: none (every line of code matching /%s/ is in a unit)\n",
			match->valuestring);
		cJSON_Delete(lines);
		return;
	}
	fprintf(stderr,
		"out of reach: %d line%s matching /%s/ in no unit, which no agent will see:\n",
		total, total == 1 ? "" : "s", match->valuestring);
	cJSON_ArrayForEach (l, lines) {
		if (shown++ == WFM_UI_REACH_SHOWN)
			break;
		wfm_buf_clear(&b);
		wfm_engine_reach_line(&b, l);
		fprintf(stderr, "  %s\n", b.ptr);
	}
	wfm_buf_clear(&b);
	wfm_engine_reach_hint(&b, base, args);
	if (total > WFM_UI_REACH_SHOWN)
		fprintf(stderr, "  ... and %d more: %s\n", total - WFM_UI_REACH_SHOWN, b.ptr);
	else
		fprintf(stderr, "  (%s lists them)\n", b.ptr);
	wfm_buf_release(&b);
	cJSON_Delete(lines);
}

/* " (4 agents)", " (4-16 agents)", " (agents per unit: units not counted)", "" */
static void phase_agents(struct wfm_buf *out, const struct wfm_estimate_phase *ph)
{
	if (!ph->role)
		return;
	if (ph->unless)
		wfm_buf_addf(out, " (no %s agents: %s is given)", ph->role, ph->unless);
	else if (!ph->known)
		wfm_buf_addf(out, " (%s agents: not counted before the run)", ph->role);
	else if (ph->low == ph->high)
		wfm_buf_addf(out, " (%lu %s agent%s)", ph->low, ph->role, ph->low == 1 ? "" : "s");
	else
		wfm_buf_addf(out, " (%lu-%lu %s agents)", ph->low, ph->high, ph->role);
}

static void usd(struct wfm_buf *out, double v)
{
	wfm_buf_addf(out, v < 10 ? "$%.2f" : "$%.0f", v);
}

/*
 * "estimate: 8-32 agents, 48k-610k tokens, $0.21-$2.90" and its
 * assumptions, then the warnings: a large run, a budget below the
 * estimate.
 */
static void print_estimate(const struct wfm_ui_card *c)
{
	const struct wfm_estimate *e = &c->estimate;
	const struct wfm_run_config *cfg = c->cfg;
	struct wfm_buf b = WFM_BUF_INIT;

	if (!e->any) {
		fprintf(stderr, "estimate: not known (the workflow's phases do not say their "
				"agents: docs/workflow-api.md, \"Planned agents\")\n");
		return;
	}
	if (!e->known) {
		fprintf(stderr,
			"estimate: not known (the units are counted before the run only for "
			"arguments marked chunk: true, and each phase's agents need known "
			"bounds)\n");
		return;
	}
	wfm_buf_addf(&b, "estimate: %lu", e->agents_low);
	if (e->agents_high != e->agents_low)
		wfm_buf_addf(&b, "-%lu", e->agents_high);
	wfm_buf_addf(&b, " agent%s", e->agents_high == 1 ? "" : "s");
	if (!e->metered) {
		fprintf(stderr, "%s; tokens and cost not metered (exec agents)\n", b.ptr);
		wfm_buf_release(&b);
		if (e->agents_low > WFM_ESTIMATE_LARGE_AGENTS)
			wfm_ui_warning("a large run: at least %lu agents (over %d); try it on a "
				       "few units first with --pilot <n>",
				       e->agents_low, WFM_ESTIMATE_LARGE_AGENTS);
		return;
	}
	wfm_buf_adds(&b, ", ");
	wfm_ui_add_tokens(&b, e->tokens_low);
	wfm_buf_adds(&b, "-");
	wfm_ui_add_tokens(&b, e->tokens_high);
	wfm_buf_adds(&b, " tokens, ");
	usd(&b, e->usd_low);
	wfm_buf_adds(&b, "-");
	usd(&b, e->usd_high);
	fprintf(stderr, "%s\n  (%s)\n", b.ptr, e->assumptions.ptr);
	if (!e->priced)
		fprintf(stderr,
			"  (no price for model %s: its tokens count as $0; git config --add "
			"wfmigrate.price '<model>=<in>,<out>' gives one)\n",
			e->unpriced);
	if (e->agents_low > WFM_ESTIMATE_LARGE_AGENTS ||
	    e->tokens_low > WFM_ESTIMATE_LARGE_TOKENS) {
		wfm_buf_clear(&b);
		wfm_ui_add_tokens(&b, e->tokens_low);
		wfm_ui_warning("a large run: at least %lu agents and %s tokens (over %d agents or "
			       "1.5M tokens); try it on a few units first with --pilot <n>",
			       e->agents_low, b.ptr, WFM_ESTIMATE_LARGE_AGENTS);
	}
	if (cfg->budget_tokens && cfg->budget_tokens < e->tokens_high) {
		wfm_buf_clear(&b);
		wfm_ui_add_tokens(&b, cfg->budget_tokens);
		wfm_ui_warning("the budget of %s tokens is below the estimate's %s end: %s", b.ptr,
			       cfg->budget_tokens < e->tokens_low ? "low" : "high",
			       cfg->budget_tokens < e->tokens_low
				       ? "units will be left undone"
				       : "some units may be left undone");
	}
	if (cfg->max_cost > 0 && cfg->max_cost < e->usd_high)
		wfm_ui_warning("the cost limit of $%.2f is below the estimate's %s end: %s",
			       cfg->max_cost, cfg->max_cost < e->usd_low ? "low" : "high",
			       cfg->max_cost < e->usd_low ? "units will be left undone"
							  : "some units may be left undone");
	wfm_buf_release(&b);
}

void wfm_ui_card_print(const struct wfm_ui_card *c)
{
	const struct wfm_run_config *cfg = c->cfg;
	const cJSON *phases = cJSON_GetObjectItemCaseSensitive(c->meta, "phases"), *p;
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(c->meta, "name");
	const cJSON *desc = cJSON_GetObjectItemCaseSensitive(c->meta, "description");
	const char *const *models = (const char *const *)cfg->models.v;
	const char *const *config_models = (const char *const *)cfg->config_models.v;
	struct wfm_buf settings = WFM_BUF_INIT;

	fprintf(stderr, "workflow: %s\n", cJSON_IsString(name) ? name->valuestring : "?");
	fprintf(stderr, "  %s\n", cJSON_IsString(desc) ? desc->valuestring : "");
	if (cJSON_GetArraySize(phases)) {
		size_t i = 0;

		fprintf(stderr, "phases:\n");
		cJSON_ArrayForEach (p, phases) {
			const cJSON *t = cJSON_GetObjectItemCaseSensitive(p, "title");
			const cJSON *d = cJSON_GetObjectItemCaseSensitive(p, "detail");
			struct wfm_buf agents = WFM_BUF_INIT;

			if (i < c->estimate.nr)
				phase_agents(&agents, &c->estimate.phases[i++]);
			fprintf(stderr, "  - %s%s%s%s\n", cJSON_IsString(t) ? t->valuestring : "?",
				agents.ptr, cJSON_IsString(d) ? ": " : "",
				cJSON_IsString(d) ? d->valuestring : "");
			wfm_buf_release(&agents);
		}
	}
	if (c->goal && *c->goal)
		fprintf(stderr, "goal: %s\n", c->goal);
	print_args(c->args, wfm_args_declared(c->meta));
	fprintf(stderr, "base: %.12s  oracle: %s\n", cfg->base,
		cfg->oracle ? cfg->oracle : "(none)");
	print_plan(c);
	if (!cfg->provider->has_api) {
		fprintf(stderr, "agents: exec %s, up to %lu at once, %lu in all\n", cfg->agent_cmd,
			cfg->concurrency, cfg->max_agents);
	} else {
		fprintf(stderr, "agents: %s at %s, up to %lu at once, %lu in all\n",
			cfg->provider->name, cfg->base_url, cfg->concurrency, cfg->max_agents);
		fprintf(stderr,
			"models: %s (implementer), %s (classifier), unless the workflow names "
			"others\n",
			wfm_model_resolve(models, NULL, NULL, config_models,
					  wfm_role_find("implementer"), cfg->provider),
			wfm_model_resolve(models, NULL, NULL, config_models,
					  wfm_role_find("classifier"), cfg->provider));
		if (cfg->budget_tokens || cfg->max_cost > 0) {
			fprintf(stderr, "budget:");
			if (cfg->budget_tokens)
				fprintf(stderr, " %llu tokens",
					(unsigned long long)cfg->budget_tokens);
			if (cfg->max_cost > 0)
				fprintf(stderr, "%s $%.2f", cfg->budget_tokens ? "," : "",
					cfg->max_cost);
			fprintf(stderr, "\n");
		} else {
			fprintf(stderr, "budget: none (--budget <tokens>, --max-cost <usd>)\n");
		}
	}
	/* the other settings that are not their default (engine/config.c's table) */
	wfm_run_config_card(&settings, cfg);
	if (settings.len)
		fprintf(stderr, "settings: %s\n", settings.ptr);
	wfm_buf_release(&settings);
	print_estimate(c);
	if (cfg->pilot && c->units >= 0)
		fprintf(stderr,
			"pilot: agents start for %lu of the %ld units, then the run stops; "
			"'git wfmigrate resume' runs the rest\n",
			cfg->pilot, c->units);
	else if (cfg->pilot)
		fprintf(stderr,
			"pilot: agents start for %lu unit%s, then the run stops; 'git wfmigrate "
			"resume' runs the rest\n",
			cfg->pilot, cfg->pilot == 1 ? "" : "s");
	print_reach(c->repo, cfg->base, c->args);
}

static void view(struct wfm_ui_card *c)
{
	char *pager = wfm_ui_pager_program(c->repo);
	int code;

	if (!*pager || !strcmp(pager, "cat")) {
		free(pager);
		pager = wfm_strdup("cat"); /* no pager: the script is printed */
	}
	wfm_ui_pager_env();
	fflush(stderr);
	if (wfm_process_run_terminal(&code, pager, NULL, c->script) < 0)
		wfm_ui_error("%s", wfm_error_last());
	else if (code)
		wfm_ui_error("the pager '%s' exited %d", pager, code);
	free(pager);
}

/* A copy of the script to edit, made once: the script as found stays as it is. */
static int make_copy(struct wfm_ui_card *c)
{
	struct wfm_buf text = WFM_BUF_INIT;
	int rc;

	if (c->copy)
		return 0;
	if ((rc = wfm_buf_read_file(&text, c->script)) == 0)
		rc = wfm_fs_write_temp(&c->copy, "wfmigrate-workflow-", ".js", text.ptr, text.len);
	wfm_buf_release(&text);
	return rc;
}

/*
 * Edits the copy; 1 when it passes the checks and is loaded (its card
 * printed), 0 when it does not (the errors printed).
 */
static int edit(struct wfm_ui_card *c)
{
	char *editor = wfm_ui_editor_program(c->repo);
	cJSON *meta = NULL;
	int code, rc, ok = 0;

	if ((rc = make_copy(c)) < 0 ||
	    (rc = wfm_process_run_terminal(&code, editor, c->copy, NULL)) < 0) {
		wfm_ui_error("%s", wfm_error_last());
		goto done;
	}
	if (code) {
		wfm_ui_error("the editor '%s' exited %d; the script to run is unchanged", editor,
			     code);
		goto done;
	}
	if ((rc = wfm_harness_check(&meta, c->copy, NULL)) < 0 ||
	    (rc = wfm_ui_card_load(c, c->copy, meta, c->given)) < 0) {
		wfm_ui_error("%s", wfm_error_last());
		fprintf(stderr, "the edited script cannot run: edit it again, or abort\n");
		goto done;
	}
	fprintf(stderr, "\nthe edited script:\n");
	wfm_ui_card_print(c);
	ok = 1;
done:
	cJSON_Delete(meta);
	free(editor);
	return ok;
}

/*
 * The question: run, view, edit (when can_edit), abort. 1 to run, 0 not,
 * -WFM_EXIT_USAGE without a terminal.
 */
static int ask(struct wfm_ui_card *c, int yes, const char *question, int can_edit)
{
	char answer[64];
	int broken = 0;

	if (yes)
		return 1;
	if (!isatty(0) || !isatty(2)) {
		wfm_ui_error(
			"no terminal to ask for approval on: pass --yes to run without asking");
		return -WFM_EXIT_USAGE;
	}
	for (;;) {
		char a;

		fprintf(stderr, "%s [r]un, [v]iew the script, %s[a]bort: ", question,
			can_edit ? "[e]dit it, " : "");
		fflush(stderr);
		if (!fgets(answer, sizeof(answer), stdin))
			break;
		a = (char)tolower((unsigned char)answer[strspn(answer, " \t")]);
		if (a == 'r' || a == 'y') {
			if (!broken)
				return 1;
			fprintf(stderr, "the edited script cannot run: edit it again, or abort\n");
		} else if (a == 'v') {
			view(c);
		} else if (a == 'e' && can_edit) {
			broken = !edit(c);
		} else if (a == 'a' || a == 'n' || a == 'q') {
			break;
		} else {
			fprintf(stderr, "answer r, v, %sor a\n", can_edit ? "e " : "");
		}
	}
	fprintf(stderr, "not run\n");
	return 0;
}

int wfm_ui_card_approve(struct wfm_ui_card *c, int yes)
{
	return ask(c, yes, "Run this workflow?", 1);
}

int wfm_ui_card_confirm(struct wfm_repo *repo, const char *script, const char *question, int yes)
{
	struct wfm_ui_card c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.repo = repo;
	c.script = (char *)script; /* borrowed: only viewed */
	rc = ask(&c, yes, question, 0);
	return rc;
}
