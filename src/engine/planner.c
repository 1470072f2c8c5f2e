/*
 * The planner (planner.h): one agent of role planner, asked through the
 * agent loop without a pool (agent/loop.h), its answer checked as a run
 * would check it, and refused answers sent back with the error.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/datadir.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/strvec.h"
#include "agent/agent.h"
#include "agent/loop.h"
#include "agent/model.h"
#include "agent/provider.h"
#include "agent/role.h"
#include "chunk/chunk.h"
#include "engine/args.h"
#include "engine/config.h"
#include "engine/harness.h"
#include "engine/planner.h"
#include "engine/workflow.h"
#include "git/tree.h"
#include "llm/cache.h"
#include "llm/client.h"
#include "llm/ledger.h"
#include "llm/llm.h"

#include <ctype.h>

/* the name a written script has in the messages the planner and people see */
#define SCRIPT_NAME "workflow.js"

/* ---- the profile ---- */

struct lang_count {
	size_t files, units;
};

static int is_readme(const char *path)
{
	return !strchr(path, '/') && !strncasecmp(path, "readme", 6) &&
	       (!path[6] || path[6] == '.');
}

/* the first n lines of text, each cut at 200 bytes */
static void head_lines(struct wfm_buf *out, const char *text, size_t len, int n)
{
	const char *p = text, *end = text + len;

	for (int i = 0; i < n && p < end; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		wfm_buf_addf(out, "    %.*s\n", (int)(l > 200 ? 200 : l), p);
		p += l + 1;
	}
}

int wfm_planner_profile(struct wfm_buf *out, struct wfm_repo *repo, const char *base,
			const char *oracle)
{
	struct wfm_tree_files files = WFM_TREE_FILES_INIT;
	struct wfm_unit_list units = WFM_UNIT_LIST_INIT;
	struct wfm_chunk_opts copts = WFM_CHUNK_OPTS_INIT;
	struct lang_count count[WFM_LANG__COUNT] = { { 0, 0 } };
	struct wfm_buf readme = WFM_BUF_INIT;
	const char *readme_path = NULL;
	const char *last = NULL;
	int rc, first = 1;

	if ((rc = wfm_tree_files_list(&files, repo, base, NULL, 0)) < 0)
		goto done;
	copts.rev = base;
	if ((rc = wfm_chunk_run(&units, repo, &copts)) < 0)
		goto done;
	for (size_t i = 0; i < units.nr; i++) {
		struct lang_count *c = &count[units.v[i].lang];

		c->units++;
		if (!last || strcmp(last, units.v[i].path))
			c->files++;
		last = units.v[i].path;
	}
	wfm_buf_addf(out, "tracked files: %zu\n", files.nr);
	wfm_buf_adds(out, "languages (files and chunk() units):");
	for (int l = 1; l <= WFM_LANG__COUNT; l++) {
		int lang = l % WFM_LANG__COUNT; /* other last */

		if (!count[lang].files)
			continue;
		wfm_buf_addf(out, "%s %s %zu file%s, %zu unit%s", first ? "" : ";",
			     wfm_lang_name((enum wfm_lang)lang), count[lang].files,
			     count[lang].files == 1 ? "" : "s", count[lang].units,
			     count[lang].units == 1 ? "" : "s");
		first = 0;
	}
	wfm_buf_adds(out, first ? " none\n" : "\n");
	wfm_buf_addf(out, "test command (the oracle): %s\n",
		     oracle ? oracle : "none (oracle() and merge() fail)");
	for (size_t i = 0; i < files.nr && !readme_path; i++)
		if (is_readme(files.v[i].path) &&
		    wfm_tree_read_blob(&readme, repo, files.v[i].oid) == 0)
			readme_path = files.v[i].path;
	if (readme_path) {
		wfm_buf_addf(out, "%s, its first %d lines:\n", readme_path,
			     WFM_PLANNER_README_LINES);
		head_lines(out, readme.ptr, readme.len, WFM_PLANNER_README_LINES);
	} else {
		wfm_buf_adds(out, "README: none at the top\n");
	}
done:
	wfm_tree_files_release(&files);
	wfm_unit_list_release(&units);
	wfm_buf_release(&readme);
	return rc;
}

/* ---- the prompt ---- */

cJSON *wfm_planner_schema(void)
{
	static const char text[] =
		"{\"type\":\"object\",\"properties\":{"
		"\"workflow\":{\"type\":\"string\",\"description\":\"the name of a built-in or "
		"saved workflow that fits the goal (leave out with script)\"},"
		"\"args\":{\"type\":\"object\",\"description\":\"the chosen workflow's arguments "
		"besides goal, as its meta.args declares them\"},"
		"\"script\":{\"type\":\"string\",\"description\":\"a new harness: the whole file, "
		"starting with export const meta (leave out with workflow)\"},"
		"\"why\":{\"type\":\"string\",\"description\":\"one line: why this workflow or "
		"script fits the goal\"}},"
		"\"required\":[\"why\"],\"additionalProperties\":false}";
	cJSON *s = NULL;

	if (wfm_json_parse(&s, text, sizeof(text) - 1) < 0)
		abort(); /* a constant */
	return s;
}

static const char answer_rules[] =
	"## Your answer\n\n"
	"Submit it with the StructuredOutput tool, one of:\n\n"
	"- `{\"workflow\": \"<name>\", \"args\": {...}, \"why\": \"...\"}` to run a built-in or "
	"saved workflow listed above. Prefer one whenever it fits: a goal that changes code the "
	"same way in many places (replace an API, rename, move callers from one function to "
	"another, a language or library migration) is `migrate`'s; give it `match` (a PCRE2 "
	"pattern that finds the code to change) when the goal names what to look for. `args` "
	"holds only arguments its meta.args declares; the goal is passed as `goal` for you.\n"
	"- `{\"script\": \"<the whole file>\", \"why\": \"...\"}` when no workflow fits: a new "
	"harness written against the API above. It begins with `export const meta = {...}`, a "
	"pure literal with `name` (lower-case words joined by '-'), `description` and `phases` "
	"(each `{title, detail}`, the titles its phase() calls use). It reads the goal from "
	"`args.goal`. It uses only the globals of the API: no `Date.now()`, `Math.random()`, "
	"argument-less `new Date()`, `require`, `import`, `process`, `fetch`, `Buffer`, timers "
	"or file access. Agents that change code get `isolation: 'worktree'`, their branches "
	"go through `merge()`, and it returns a small JSON summary.\n\n"
	"The answer is checked before anyone sees it (the script compiles, its meta is a pure "
	"literal with name, description and phases, it uses no forbidden global; a workflow "
	"exists and takes the arguments): a refused answer comes back to you with the error.\n";

void wfm_planner_prompt_build(struct wfm_buf *out, const struct wfm_planner_prompt *p)
{
	wfm_buf_adds(out, "You choose or write the workflow for a job on a code base: a "
			  "built-in or saved workflow that fits the goal below, or a new "
			  "harness script. The reference of the harness API follows.\n\n");
	wfm_buf_addf(out, "<workflow-api>\n%s\n</workflow-api>\n\n", p->api);
	wfm_buf_addf(out,
		     "## Built-in workflows (run them by name, or read them as examples)\n\n%s\n",
		     p->examples);
	if (p->saved && *p->saved)
		wfm_buf_addf(out, "## Saved workflows of this repository and user\n\n%s\n",
			     p->saved);
	wfm_buf_adds(out, answer_rules);
	wfm_buf_addf(out, "\n## The repository (at the run's base commit)\n\n%s\n", p->profile);
	wfm_buf_addf(out, "## The goal\n\n%s\n", p->goal);
	if (p->refused) {
		wfm_buf_addf(out, "\n## Your previous answer was refused\n\n%s\n", p->refused);
		if (p->previous)
			wfm_buf_addf(out, "\nIt was:\n\n```\n%s\n```\n", p->previous);
		wfm_buf_adds(out, "\nAnswer again, with the error corrected.\n");
	}
	wfm_buf_addf(out, "\nThis is attempt %u of %u.\n", p->attempt, p->attempts);
}

/* The built-in workflows' sources, each fenced; their names in *names. */
static int read_examples(struct wfm_buf *out, struct wfm_strvec *names)
{
	struct wfm_strvec files = WFM_STRVEC_INIT;
	struct wfm_buf src = WFM_BUF_INIT;
	char *dir = NULL;
	int rc;

	if ((rc = wfm_datadir_find(&dir, "workflows")) < 0)
		return rc;
	wfm_fs_list(&files, dir, ".js");
	for (size_t i = 0; i < files.nr; i++) {
		char *path = wfm_fs_join(dir, files.v[i]);

		wfm_buf_clear(&src);
		rc = wfm_buf_read_file(&src, path);
		free(path);
		if (rc < 0)
			goto done;
		wfm_strvec_push_nodup(names, wfm_strndup(files.v[i], strlen(files.v[i]) - 3));
		wfm_buf_addf(out, "### %s (workflows/%s)\n\n````js\n%s%s````\n\n",
			     names->v[names->nr - 1], files.v[i], src.ptr,
			     src.len && src.ptr[src.len - 1] == '\n' ? "" : "\n");
	}
done:
	wfm_buf_release(&src);
	wfm_strvec_clear(&files);
	free(dir);
	return rc;
}

/* "- <name>: <description> (<path>)" for each saved workflow that passes the check */
static void list_saved(struct wfm_buf *out, const struct wfm_workflow_where *where)
{
	struct wfm_workflow_info *list = NULL;
	size_t nr = 0;

	if (wfm_workflow_list(&list, &nr, where) < 0) {
		wfm_error_clear(); /* the prompt goes on without them */
		return;
	}
	for (size_t i = 0; i < nr; i++)
		if (list[i].place != WFM_WORKFLOW_BUILTIN && !list[i].error && !list[i].shadowed)
			wfm_buf_addf(out, "- %s: %s (%s)\n", list[i].name,
				     list[i].description ? list[i].description : "", list[i].path);
	wfm_workflow_info_free(list, nr);
}

/* ---- checking an answer ---- */

/* the check's message with the temporary file's path replaced by SCRIPT_NAME */
static void plain_message(struct wfm_buf *out, const char *msg, const char *path)
{
	size_t n = strlen(path);
	const char *at;

	while ((at = strstr(msg, path))) {
		wfm_buf_add(out, msg, (size_t)(at - msg));
		wfm_buf_adds(out, SCRIPT_NAME);
		msg = at + n;
	}
	wfm_buf_adds(out, msg);
}

/*
 * What the planner's own workflows need beyond the harness check:
 * phases, and a goal they take. Fills why (for the planner) and returns
 * 0 when fine, 1 when refused.
 */
static int check_meta(struct wfm_buf *why, const cJSON *meta, const cJSON *args, int written)
{
	const cJSON *phases = cJSON_GetObjectItemCaseSensitive(meta, "phases");
	const char *name = wfm_json_get_str(meta, "name", "?");

	if (written && (!cJSON_IsArray(phases) || !cJSON_GetArraySize(phases))) {
		wfm_buf_addf(why,
			     "%s: meta.phases is missing: list the script's phases as "
			     "[{title, detail}, ...], the titles its phase() calls use",
			     SCRIPT_NAME);
		return 1;
	}
	if (wfm_args_check(args, wfm_args_declared(meta), name) < 0) {
		wfm_buf_addf(why, "%s", wfm_error_last());
		return 1;
	}
	return 0;
}

/*
 * Checks the answer; 0 with out's workflow, script, meta and args set,
 * 1 when refused (why says why), negative when the check itself could not
 * run (node missing, ...).
 */
static int check_answer(struct wfm_plan *out, struct wfm_buf *why, const cJSON *answer,
			const struct wfm_planner_opts *opts)
{
	const cJSON *wf = cJSON_GetObjectItemCaseSensitive(answer, "workflow");
	const cJSON *script = cJSON_GetObjectItemCaseSensitive(answer, "script");
	const cJSON *given = cJSON_GetObjectItemCaseSensitive(answer, "args");
	cJSON *meta = NULL, *args = NULL;
	char *path = NULL;
	int written = 0, rc;

	if (!!cJSON_IsString(wf) == !!cJSON_IsString(script)) {
		wfm_buf_adds(why,
			     "give either \"workflow\" (a name) or \"script\" (a new harness), "
			     "not both and not neither");
		return 1;
	}
	if (given && (!cJSON_IsObject(given) || cJSON_IsString(script))) {
		wfm_buf_adds(why, "\"args\" is an object, and only for a named workflow (a script "
				  "reads args.goal)");
		return 1;
	}
	if (cJSON_IsString(wf)) {
		if (!*wf->valuestring || wfm_workflow_is_path(wf->valuestring)) {
			wfm_buf_addf(why,
				     "'%s' is not a workflow name: give the name of a "
				     "built-in or saved workflow, or write a script",
				     wf->valuestring);
			return 1;
		}
		rc = wfm_workflow_find(&path, wf->valuestring, opts->where);
		if (rc == WFM_ENOTFOUND) {
			wfm_buf_adds(why, wfm_error_last());
			return 1;
		}
		if (rc < 0)
			return rc;
	} else {
		if ((rc = wfm_fs_write_temp(&path, "wfmigrate-plan-", ".js", script->valuestring,
					    strlen(script->valuestring))) < 0)
			return rc;
		written = 1;
	}
	rc = wfm_harness_check(&meta, path, opts->where->node);
	if (rc == WFM_EINVALID) {
		plain_message(why, wfm_error_last(), path);
		rc = 1;
		goto done;
	}
	if (rc < 0)
		goto done;
	args = given ? cJSON_Duplicate(given, 1) : wfm_json_object();
	cJSON_DeleteItemFromObjectCaseSensitive(args, "goal");
	wfm_json_add_str(args, "goal", opts->goal);
	if ((rc = check_meta(why, meta, args, written)) != 0)
		goto done;
	cJSON_DeleteItemFromObjectCaseSensitive(args, "goal");
	out->workflow = written ? NULL : wfm_strdup(wf->valuestring);
	out->source = written ? wfm_strdup(script->valuestring) : NULL;
	out->temporary = written;
	out->script = path;
	out->meta = meta;
	out->args = args;
	return 0;
done:
	if (written)
		unlink(path);
	free(path);
	cJSON_Delete(meta);
	cJSON_Delete(args);
	return rc;
}

/* ---- asking ---- */

struct asking {
	struct wfm_llm_client *client;
	struct wfm_ledger *ledger;
	struct wfm_llm_cache *cache;
	cJSON *schema;
	struct wfm_buf api, examples, saved, profile;
	struct wfm_strvec builtins;
};

static void asking_release(struct asking *a)
{
	wfm_llm_client_free(a->client);
	wfm_ledger_free(a->ledger);
	wfm_llm_cache_free(a->cache);
	cJSON_Delete(a->schema);
	wfm_buf_release(&a->api);
	wfm_buf_release(&a->examples);
	wfm_buf_release(&a->saved);
	wfm_buf_release(&a->profile);
	wfm_strvec_clear(&a->builtins);
}

static int prepare(struct asking *a, const struct wfm_planner_opts *opts)
{
	const struct wfm_run_config *cfg = opts->config;
	struct wfm_llm_client_opts copts = WFM_LLM_CLIENT_OPTS_INIT;
	char *doc = NULL;
	int rc;

	if ((rc = wfm_datadir_find(&doc, "docs/workflow-api.md")) < 0 ||
	    (rc = wfm_buf_read_file(&a->api, doc)) < 0)
		goto done;
	if ((rc = read_examples(&a->examples, &a->builtins)) < 0)
		goto done;
	list_saved(&a->saved, opts->where);
	if ((rc = wfm_planner_profile(&a->profile, opts->repo, cfg->base, cfg->oracle)) < 0)
		goto done;
	copts.api = cfg->provider->api;
	copts.base_url = cfg->base_url;
	copts.api_key = opts->api_key;
	copts.max_in_flight = 1;
	if ((rc = wfm_llm_client_new(&a->client, &copts)) < 0)
		goto done;
	a->ledger = wfm_ledger_new(cfg->budget_tokens, cfg->max_cost, 0, 0);
	if (!cfg->no_cache)
		a->cache = wfm_llm_cache_new();
	a->schema = wfm_planner_schema();
done:
	free(doc);
	return rc;
}

int wfm_planner_run(struct wfm_plan *out, const struct wfm_planner_opts *opts)
{
	const struct wfm_run_config *cfg = opts->config;
	const struct wfm_role *role = wfm_role_find("planner");
	struct asking a = { 0 };
	struct wfm_buf prompt = WFM_BUF_INIT, why = WFM_BUF_INIT, previous = WFM_BUF_INIT;
	unsigned attempts = 1 + WFM_PLANNER_RETRIES;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!opts->goal || !*opts->goal)
		return wfm_error_setc(WFM_EINVALID, "the planner needs a goal");
	if (!cfg->provider->has_api)
		return wfm_error_setc(
			WFM_EINVALID,
			"the planner needs a provider with an API (anthropic, openai): "
			"with --provider exec, name the workflow with --workflow");
	wfm_buf_init(&a.api, 0);
	wfm_buf_init(&a.examples, 0);
	wfm_buf_init(&a.saved, 0);
	wfm_buf_init(&a.profile, 0);
	if ((rc = prepare(&a, opts)) < 0)
		goto done;
	out->model = wfm_strdup(wfm_model_resolve((const char *const *)cfg->models.v, NULL, NULL,
						  (const char *const *)cfg->config_models.v, role,
						  cfg->provider));

	for (unsigned attempt = 1; attempt <= attempts; attempt++) {
		struct wfm_planner_prompt p = { 0 };
		struct wfm_agent_request req = WFM_AGENT_REQUEST_INIT;
		struct wfm_agent_env env = WFM_AGENT_ENV_INIT;
		struct wfm_agent_result r = WFM_AGENT_RESULT_INIT;
		const cJSON *script;

		p.api = a.api.ptr;
		p.examples = a.examples.ptr;
		p.saved = a.saved.ptr;
		p.profile = a.profile.ptr;
		p.goal = opts->goal;
		p.attempt = attempt;
		p.attempts = attempts;
		p.refused = attempt > 1 ? why.ptr : NULL;
		p.previous = attempt > 1 && previous.len ? previous.ptr : NULL;
		wfm_buf_clear(&prompt);
		wfm_planner_prompt_build(&prompt, &p);

		req.prompt = prompt.ptr;
		req.label = "planner";
		req.role = role->name;
		req.model = out->model;
		req.schema = a.schema;
		env.cancel = opts->cancel;
		env.transcript_path = opts->transcript_path;
		env.timeout_sec = cfg->agent_timeout;
		env.client = a.client;
		env.api = wfm_llm_api(cfg->provider->api);
		env.ledger = a.ledger;
		env.prompt_cache = a.cache;
		env.prices = (const char *const *)cfg->prices.v;
		env.cache = !cfg->no_cache;
		env.max_turns = cfg->max_turns;
		env.max_tokens = cfg->agent_tokens;
		env.max_output_tokens = 16384;
		out->tries = attempt;
		if ((rc = wfm_agent_loop_run(&r, &env, &req)) < 0)
			goto done;
		out->tokens_in += r.tokens_in;
		out->tokens_out += r.tokens_out;
		out->cost_usd += r.cost_usd;
		if (!r.ok) {
			struct wfm_buf reason = WFM_BUF_INIT;

			wfm_buf_addf(&reason, "the planner failed: %s",
				     r.reason ? r.reason : "no answer");
			out->reason = wfm_buf_detach(&reason, NULL);
			wfm_agent_result_release(&r);
			goto done;
		}
		out->why = wfm_strdup(wfm_json_get_str(r.output, "why", ""));
		wfm_buf_clear(&why);
		rc = check_answer(out, &why, r.output, opts);
		wfm_buf_clear(&previous);
		script = cJSON_GetObjectItemCaseSensitive(r.output, "script");
		if (cJSON_IsString(script))
			wfm_buf_adds(&previous, script->valuestring);
		else
			wfm_json_print(&previous, r.output);
		wfm_agent_result_release(&r);
		if (rc < 0)
			goto done;
		if (rc == 0) {
			out->ok = 1;
			goto done;
		}
		rc = 0;
		free(out->why);
		out->why = NULL;
	}
	{
		struct wfm_buf reason = WFM_BUF_INIT;

		wfm_buf_addf(&reason,
			     "the planner's answer was refused %u times; the last time: %s",
			     attempts, why.ptr);
		out->reason = wfm_buf_detach(&reason, NULL);
	}
done:
	asking_release(&a);
	wfm_buf_release(&prompt);
	wfm_buf_release(&why);
	wfm_buf_release(&previous);
	if (rc < 0)
		wfm_plan_release(out);
	return rc;
}

void wfm_plan_release(struct wfm_plan *p)
{
	if (p->temporary && p->script)
		unlink(p->script);
	free(p->reason);
	free(p->workflow);
	free(p->script);
	free(p->source);
	cJSON_Delete(p->meta);
	cJSON_Delete(p->args);
	free(p->why);
	free(p->model);
	memset(p, 0, sizeof(*p));
}
