/*
 * What each request of a harness means: how it is keyed in the journal
 * (wfm_engine_prepare, on the engine thread) and how it is carried out
 * (wfm_engine_execute, on a thread of its own).
 */
#include "base/common.h"
#include "base/json.h"
#include "agent/agent.h"
#include "agent/agent_type.h"
#include "agent/exec.h"
#include "agent/loop.h"
#include "agent/model.h"
#include "agent/role.h"
#include "agent/work.h"
#include "chunk/chunk.h"
#include "chunk/lang.h"
#include "engine/args.h"
#include "engine/engine_priv.h"
#include "engine/merge_queue.h"
#include "engine/rundir.h"
#include "engine/shared.h"
#include "engine/workflow.h"
#include "git/diff.h"
#include "git/hash.h"
#include "git/pool.h"
#include "llm/llm.h"
#include "llm/price.h"
#include "oracle/oracle.h"
#include "oracle/series.h"
#include "sweep/scan.h"

static int resolve(char out[WFM_OID_HEXSZ + 1], struct engine *e, const char *rev, const char *what)
{
	if (!rev) {
		snprintf(out, WFM_OID_HEXSZ + 1, "%s", e->opts->config->base);
		return 0;
	}
	if (wfm_repo_resolve_commit(out, e->repo, rev) < 0)
		return wfm_error_setc(WFM_EINVALID, "%s: unknown branch or commit '%s'", what, rev);
	return 0;
}

static char *extra(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *extra(const char *fmt, ...)
{
	struct wfm_buf b = WFM_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	wfm_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	return wfm_buf_detach(&b, NULL);
}

/* refs/heads/<x> → <x> */
static char *short_branch(char *full)
{
	const char *prefix = "refs/heads/";

	if (!strncmp(full, prefix, strlen(prefix)))
		memmove(full, full + strlen(prefix), strlen(full) - strlen(prefix) + 1);
	return full;
}

/*
 * What a new item is assumed to cost before any has ended (sched.h): the
 * worst case the ledger would reserve for this agent's first call (its
 * prompt and a full reply), or --agent-tokens when that is more.
 */
static void first_estimate(struct engine *e, struct job *job, const char *model)
{
	const char *prompt = wfm_json_get_nonempty(job->params, "prompt");
	uint64_t in = wfm_llm_estimate_tokens(prompt ? strlen(prompt) : 0);
	struct wfm_price price;

	job->first_tokens = in + WFM_AGENT_OUTPUT_TOKENS_DEFAULT;
	if (e->opts->config->agent_tokens > job->first_tokens)
		job->first_tokens = e->opts->config->agent_tokens;
	if (model &&
	    wfm_price_find(&price, model, (const char *const *)e->opts->config->prices.v) == 0 &&
	    price.known)
		job->first_usd = wfm_price_worst(&price, in, WFM_AGENT_OUTPUT_TOKENS_DEFAULT);
}

/* The agent's agentType, into job->type. */
static int find_type(struct engine *e, struct job *job, const char *name)
{
	struct wfm_agent_type_where where = WFM_AGENT_TYPE_WHERE_INIT;
	char why[2048];
	int rc;

	where.top = wfm_repo_workdir(e->repo);
	where.home = getenv("HOME");
	if ((rc = wfm_agent_type_find(&job->type, name, &where)) == 0)
		return 0;
	snprintf(why, sizeof(why), "%s", wfm_error_last());
	/* agentType named a role before it named Claude Code's types */
	if (rc == WFM_ENOTFOUND && wfm_role_find(name))
		return wfm_error_setc(rc, "agent(): %s; '%s' is a role: {role: '%s'}", why, name,
				      name);
	return wfm_error_setc(rc, "agent(): %s", why);
}

/*
 * ";agentType=<hash>" of what in the type decides the agent's work (all
 * but where its file is), or "" without one: an edited agent file reruns
 * the agents of its type on resume instead of replaying their answers.
 */
static void type_key(char out[WFM_OID_HEXSZ + 16], const struct wfm_agent_type *t)
{
	struct wfm_buf canon = WFM_BUF_INIT;
	char hash[WFM_OID_HEXSZ + 1];
	cJSON *j;

	out[0] = '\0';
	if (!t)
		return;
	j = wfm_agent_type_to_json(t);
	cJSON_DeleteItemFromObjectCaseSensitive(j, "path");
	wfm_json_canonical(&canon, j);
	wfm_hash_hex(hash, canon.ptr, canon.len);
	snprintf(out, WFM_OID_HEXSZ + 16, ";agentType=%s", hash);
	cJSON_Delete(j);
	wfm_buf_release(&canon);
}

static int prepare_agent(struct engine *e, struct job *job)
{
	const char *isolation = wfm_json_get_nonempty(job->params, "isolation");
	const char *label = wfm_json_get_nonempty(job->params, "label");
	const char *model = wfm_json_get_nonempty(job->params, "model");
	const char *role_name = wfm_json_get_nonempty(job->params, "role");
	const char *type_name = wfm_json_get_nonempty(job->params, "agentType");
	const struct wfm_role *role;
	char tkey[WFM_OID_HEXSZ + 16];
	const cJSON *unit = cJSON_GetObjectItemCaseSensitive(job->params, "unit");
	/* a unit object from chunk(), or its id */
	const cJSON *uid =
		cJSON_IsString(unit) ? unit : cJSON_GetObjectItemCaseSensitive(unit, "id");
	int rc;

	job->kind = JOB_AGENT;
	if (type_name && (rc = find_type(e, job, type_name)) < 0)
		return rc;
	if (role_name)
		role = wfm_role_find(role_name);
	else
		role = job->type ? job->type->role : wfm_role_default();
	if (!role)
		return wfm_error_setc(WFM_EINVALID, "agent(): unknown role '%s'", role_name);
	job->role = role;
	if (e->opts->config->provider->has_api)
		job->model = model =
			wfm_model_resolve((const char *const *)e->opts->config->models.v, model,
					  job->type ? job->type->model : NULL,
					  (const char *const *)e->opts->config->config_models.v,
					  role, e->opts->config->provider);
	if (isolation && strcmp(isolation, "worktree"))
		return wfm_error_setc(WFM_EINVALID, "agent(): unknown isolation '%s'", isolation);
	if ((rc = wfm_agent_work_check_scope(cJSON_GetObjectItemCaseSensitive(job->params, "scope"),
					     isolation && role->may_write)) < 0) {
		char why[1024];

		snprintf(why, sizeof(why), "%s", wfm_error_last());
		return wfm_error_setc(rc, "agent(): %s", why);
	}
	if ((rc = resolve(job->base, e, wfm_json_get_nonempty(job->params, "base"),
			  "agent(): base")) < 0)
		return rc;
	if (cJSON_IsString(uid))
		job->unit_id = wfm_strdup(uid->valuestring);
	if (label)
		job->label = wfm_strdup(label);
	if (isolation) {
		const char *branch = wfm_json_get_nonempty(job->params, "branch");
		char *name = NULL;

		if (branch) {
			job->branch = wfm_strdup(branch);
		} else {
			struct wfm_buf canon = WFM_BUF_INIT;
			char hash[WFM_OID_HEXSZ + 1], fallback[32];

			if (!label) {
				wfm_json_canonical(&canon, job->params);
				wfm_hash_hex(hash, canon.ptr, canon.len);
				snprintf(fallback, sizeof(fallback), "agent-%.8s", hash);
				wfm_buf_release(&canon);
			}
			rc = wfm_pool_branch_name(&name, e->opts->run->id,
						  label ? label : fallback);
			if (rc < 0)
				return rc;
			job->branch = short_branch(name);
		}
	}
	type_key(tkey, job->type);
	job->extra = extra("base=%s;model=%s;provider=%s%s", job->base, model ? model : "",
			   e->opts->config->provider->name, tkey);
	if (e->ledger)
		first_estimate(e, job, model);
	return 0;
}

/*
 * The run's known failures (flaky --fix), NULL-terminated, or NULL: for the
 * merge queue's verdicts only; oracle() reports every run as it went, its
 * tests for the script to judge.
 */
static const char *const *known_failures(const struct engine *e)
{
	const struct wfm_strvec *k = &e->opts->config->known_failures;

	return k->nr ? (const char *const *)k->v : NULL;
}

static const char *oracle_command(struct engine *e, const struct job *job)
{
	const char *cmd = wfm_json_get_nonempty(job->params, "cmd");

	return cmd ? cmd : e->opts->config->oracle;
}

int wfm_engine_prepare(struct engine *e, struct job *job)
{
	const char *m = job->method;
	char a[WFM_OID_HEXSZ + 1], b[WFM_OID_HEXSZ + 1];
	int rc;

	if (!strcmp(m, "agent"))
		return prepare_agent(e, job);
	if (!strcmp(m, "oracle")) {
		const char *ref = wfm_json_get_nonempty(job->params, "branch");

		job->kind = JOB_ORACLE;
		if (!ref)
			ref = wfm_json_get_nonempty(job->params, "ref");
		if (!oracle_command(e, job))
			return wfm_error_setc(WFM_EINVALID,
					      "oracle(): no test command: run with --oracle <cmd>");
		if ((rc = resolve(a, e, ref, "oracle()")) < 0)
			return rc;
		memcpy(job->base, a, sizeof(a));
		job->extra = extra("commit=%s;cmd=%s", a, oracle_command(e, job));
		return 0;
	}
	if (!strcmp(m, "merge")) {
		const char *branch = wfm_json_get_nonempty(job->params, "branch");
		const cJSON *allow =
			cJSON_GetObjectItemCaseSensitive(job->params, "allowOutOfScope");

		job->kind = JOB_MERGE;
		if (!branch)
			return wfm_error_setc(WFM_EINVALID, "merge(): 'branch' is required");
		if (allow && !cJSON_IsBool(allow) && !cJSON_IsNull(allow))
			return wfm_error_setc(WFM_EINVALID,
					      "merge(): 'allowOutOfScope' must be true or false");
		if (!e->opts->config->oracle)
			return wfm_error_setc(
				WFM_EINVALID,
				"merge(): no test command to gate it: run with --oracle <cmd>");
		if ((rc = resolve(a, e, branch, "merge()")) < 0)
			return rc;
		job->branch = wfm_strdup(branch);
		job->extra = extra("tip=%s", a);
		return 0;
	}
	if (!strcmp(m, "chunk")) {
		job->kind = JOB_QUICK;
		if ((rc = resolve(a, e, wfm_json_get_nonempty(job->params, "rev"),
				  "chunk(): rev")) < 0)
			return rc;
		memcpy(job->base, a, sizeof(a));
		if (wfm_json_get_nonempty(job->params, "changedSince")) {
			/* the commit, not its name: a branch that moves must not replay */
			if ((rc = resolve(b, e, wfm_json_get_nonempty(job->params, "changedSince"),
					  "chunk(): changedSince")) < 0)
				return rc;
			job->extra = extra("rev=%s;changedSince=%s", a, b);
			return 0;
		}
		job->extra = extra("rev=%s", a);
		return 0;
	}
	if (!strcmp(m, "diff")) {
		const char *to = wfm_json_get_nonempty(job->params, "to");

		job->kind = JOB_QUICK;
		if (!to)
			to = wfm_json_get_nonempty(job->params, "branch");
		if (!to)
			return wfm_error_setc(WFM_EINVALID, "diff(): give 'branch' or 'to'");
		if ((rc = resolve(a, e, wfm_json_get_nonempty(job->params, "from"),
				  "diff(): from")) < 0 ||
		    (rc = resolve(b, e, to, "diff()")) < 0)
			return rc;
		job->extra = extra("from=%s;to=%s", a, b);
		return 0;
	}
	if (!strcmp(m, "scan")) {
		job->kind = JOB_QUICK;
		if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(job->params, "units")))
			return wfm_error_setc(WFM_EINVALID, "scan(): give an array of units");
		job->extra = wfm_strdup("");
		return 0;
	}
	if (!strcmp(m, "workflow_source")) {
		job->kind = JOB_QUICK;
		if (!wfm_json_get_nonempty(job->params, "name"))
			return wfm_error_setc(WFM_EINVALID,
					      "workflow(): a name or path is required");
		job->extra = wfm_strdup("");
		return 0;
	}
	if (!strcmp(m, "rubric")) {
		job->kind = JOB_QUICK;
		if (!wfm_json_get_nonempty(job->params, "name"))
			return wfm_error_setc(WFM_EINVALID, "rubric(): a name is required");
		job->extra = wfm_strdup("");
		return 0;
	}
	return wfm_error_setc(WFM_EINVALID, "unknown request '%s'", m);
}

static void fail(struct job *job, const char *msg)
{
	job->ok = 0;
	job->error = wfm_strdup(msg);
}

/* Why an agent failed, and where to read more: its stderr's tail and its transcript. */
static void note_failure(struct job *job, const struct wfm_agent_result *r, const char *transcript)
{
	job->reason = wfm_strdup(r->reason ? r->reason : "failed");
	if (r->stderr_tail)
		job->stderr_tail = wfm_strdup(r->stderr_tail);
	if (transcript && access(transcript, F_OK) == 0)
		job->transcript = wfm_strdup(transcript);
}

static void run_agent(struct job *job)
{
	struct engine *e = job->e;
	struct wfm_agent_request req = { 0 };
	struct wfm_agent_env env = { 0 };
	struct wfm_agent_result r = { 0 };
	char *transcript = NULL, name[96], tip[WFM_OID_HEXSZ + 1];
	unsigned long ticket = 0;
	int rc;

	req.prompt = wfm_json_get_nonempty(job->params, "prompt");
	req.label = wfm_json_get_nonempty(job->params, "label");
	req.phase = wfm_json_get_nonempty(job->params, "phase");
	req.role = wfm_json_get_nonempty(job->params, "role");
	req.type = job->type;
	req.model = job->model ? job->model : wfm_json_get_nonempty(job->params, "model");
	req.effort = wfm_json_get_nonempty(job->params, "effort");
	req.schema = cJSON_GetObjectItemCaseSensitive(job->params, "schema");
	req.worktree = job->branch != NULL;
	req.branch = job->branch;
	req.base = job->base;
	req.unit = cJSON_GetObjectItemCaseSensitive(job->params, "unit");
	req.args = e->opts->args;
	req.tools = cJSON_GetObjectItemCaseSensitive(job->params, "tools");
	req.scope = cJSON_GetObjectItemCaseSensitive(job->params, "scope");
	if (cJSON_IsNull(req.scope))
		req.scope = NULL;

	/* the key with its occurrence: identical requests get transcripts of their own */
	snprintf(name, sizeof(name), "agents/%.40s-%s.jsonl", job->key,
		 strchr(job->key, '#') ? strchr(job->key, '#') + 1 : "1");
	transcript = wfm_rundir_file(e->opts->run, name);
	env.run = e->opts->run->id;
	env.pool = e->pool;
	env.agent_cmd = e->opts->config->agent_cmd;
	env.timeout_sec = e->opts->config->agent_timeout;
	env.cancel = &e->cancel;
	env.transcript_path = transcript;
	env.executor = e->executor;

	/* without isolation: writers work in the shared checkout, the others start at its tip */
	if (!req.worktree && job->role->may_write) {
		if (wfm_shared_enter(&env.slot, &ticket, e->shared) < 0) {
			fail(job, wfm_error_last());
			free(transcript);
			return;
		}
	} else if (!req.worktree && !wfm_json_get_nonempty(job->params, "base")) {
		if (wfm_shared_tip(tip, e->shared) < 0) {
			fail(job, wfm_error_last());
			free(transcript);
			return;
		}
		req.base = tip;
	}

	if (e->client) {
		env.client = e->client;
		env.api = wfm_llm_api(e->opts->config->provider->api);
		env.ledger = e->ledger;
		env.prompt_cache = e->prompt_cache;
		env.prices = (const char *const *)e->opts->config->prices.v;
		env.oracle_cmd = e->opts->config->oracle;
		env.sandbox = e->opts->config->sandbox;
		env.cache = !e->opts->config->no_cache;
		env.max_turns = e->opts->config->max_turns;
		env.max_tokens = e->opts->config->agent_tokens;
		env.on_turn = wfm_engine_agent_turn;
		env.on_turn_data = job;
		rc = wfm_agent_loop_run(&r, &env, &req);
	} else {
		rc = wfm_agent_exec_run(&r, &env, &req);
	}
	/* its edits are kept unless a stop cut it short: then it runs again on resume */
	if (env.slot) {
		char *first = rc < 0 ? wfm_strdup(wfm_error_last()) : NULL;
		int left = wfm_shared_leave(e->shared, ticket, rc >= 0 && (r.ok || !e->cancel),
					    job->key, req.label, req.prompt);

		if (first)
			wfm_error_setc(rc, "%s", first);
		else if (left < 0)
			rc = left;
		free(first);
	}
	if (rc < 0) {
		fail(job, wfm_error_last());
	} else if (!r.ok && r.budget && !r.turns) {
		/* refused before its first call: it did nothing, the script sees a refusal */
		fail(job, r.reason);
		job->budget_refused = 1;
	} else {
		job->ok = 1;
		job->value = wfm_agent_result_value(&r, req.worktree);
		job->agent_failed = !r.ok;
		if (!r.ok)
			note_failure(job, &r, transcript);
		job->budget_cut = !r.ok && r.budget;
		job->tokens = r.tokens_in + r.tokens_out;
		job->cost_usd = r.cost_usd;
		job->cache_read = r.cache_read;
		job->turns = r.turns;
		job->tool_calls = r.tool_calls;
		job->duration_ms = r.duration_ms;
		job->where = r.where;
		/* a stopped agent runs again on resume; a failed one does not */
		job->journal = r.ok || !e->cancel;
	}
	wfm_agent_result_release(&r);
	free(transcript);
}

/*
 * oracle(): `runs` runs (default 1), one after the other (the engine's
 * oracle_jobs already caps how many oracle jobs run at once), each a fresh
 * process in a slot acquired afresh; docs/workflow-api.md.
 */
static void run_oracle(struct job *job)
{
	struct engine *e = job->e;
	struct wfm_oracle_opts opts = WFM_ORACLE_OPTS_INIT;
	struct wfm_oracle_series_opts so = WFM_ORACLE_SERIES_OPTS_INIT;
	struct wfm_oracle_series s = WFM_ORACLE_SERIES_INIT;
	const cJSON *timeout = cJSON_GetObjectItemCaseSensitive(job->params, "timeout");
	const cJSON *runs = cJSON_GetObjectItemCaseSensitive(job->params, "runs");

	opts.command = oracle_command(e, job);
	opts.timeout_sec = cJSON_IsNumber(timeout) && timeout->valuedouble >= 0
				   ? (unsigned long)timeout->valuedouble
				   : e->opts->config->oracle_timeout;
	opts.cancel = &e->cancel;
	opts.tests = 1;
	so.runs = cJSON_IsNumber(runs) && runs->valuedouble >= 1 && runs->valuedouble <= 1000
			  ? (size_t)runs->valuedouble
			  : 1;
	so.executor = e->executor;
	if (wfm_oracle_series_run(&s, e->pool, job->base, &opts, &so) < 0) {
		fail(job, wfm_error_last());
		goto done;
	}
	job->ok = 1;
	job->value = wfm_oracle_series_json(&s, job->base, opts.command);
	/* an interrupted series runs again on resume */
	job->journal = s.finished == s.nr;
done:
	wfm_oracle_series_release(&s);
}

static void merge_decided(void *data, const struct wfm_merge_decision *d)
{
	struct job *job = data;
	cJSON *v = wfm_json_object();

	wfm_json_add_bool(v, "merged", d->merged);
	if (d->merged)
		wfm_json_add_str(v, "commit", d->commit);
	if (d->reason)
		wfm_json_add_str(v, "reason", d->reason);
	if (d->detail)
		wfm_json_add_str(v, "detail", d->detail);
	if (d->excerpt) {
		cJSON *lines = wfm_json_array();

		for (size_t i = 0; i < d->excerpt->nr; i++)
			wfm_json_add_str(lines, NULL, d->excerpt->v[i]);
		wfm_json_add(v, "excerpt", lines);
	}
	if (d->output_tail)
		wfm_json_add_str(v, "outputTail", d->output_tail);
	if (d->out_of_scope) {
		cJSON *paths = wfm_json_array();

		for (size_t i = 0; i < d->out_of_scope->nr; i++)
			wfm_json_add_str(paths, NULL, d->out_of_scope->v[i]);
		wfm_json_add(v, "outOfScope", paths);
	}
	job->ok = 1;
	job->value = v;
	/* stopped and error (the queue could not decide) are asked again on resume */
	job->journal = !d->reason || (strcmp(d->reason, WFM_MERGE_REASON_STOPPED) &&
				      strcmp(d->reason, WFM_MERGE_REASON_ERROR));
	/* what the queue did since the last journaled decision: a resume counts it from there */
	if (job->journal)
		job->queue_cost = wfm_engine_queue_cost(job->e);
	wfm_engine_finished(job);
}

static void run_merge(struct job *job)
{
	struct engine *e = job->e;
	const char *message = wfm_json_get_nonempty(job->params, "message");
	struct wfm_buf msg = WFM_BUF_INIT;
	unsigned flags = 0;

	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(job->params, "allowOutOfScope")))
		flags |= WFM_MERGE_ALLOW_OUT_OF_SCOPE;
	if (!e->merge) {
		struct wfm_merge_opts opts = WFM_MERGE_OPTS_INIT;

		opts.repo_path = e->opts->repo_path;
		opts.run = e->opts->run->id;
		opts.base = e->opts->config->base;
		opts.oracle_cmd = e->opts->config->oracle;
		opts.oracle_timeout_sec = e->opts->config->oracle_timeout;
		opts.allow_test_edits = e->opts->config->allow_test_edits ||
					cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
						e->opts->args, "allowTestEdits"));
		opts.cancel = &e->cancel;
		opts.known_failures = known_failures(e);
		opts.progress = wfm_engine_merge_progress;
		opts.progress_data = e;
		opts.executor = e->executor;
		if (wfm_merge_queue_start(&e->merge, e->pool, &opts) < 0) {
			fail(job, wfm_error_last());
			wfm_engine_finished(job);
			return;
		}
	}
	if (!message)
		wfm_buf_addf(&msg, "%s", job->branch);
	if (wfm_merge_queue_submit(e->merge, job->branch, message ? message : msg.ptr, flags,
				   merge_decided, job) < 0) {
		fail(job, wfm_error_last());
		wfm_engine_finished(job);
	}
	wfm_buf_release(&msg);
}

static void run_chunk(struct job *job, struct wfm_repo *repo)
{
	struct wfm_chunk_opts opts = WFM_CHUNK_OPTS_INIT;
	struct wfm_unit_list units = WFM_UNIT_LIST_INIT;
	struct wfm_strvec paths = WFM_STRVEC_INIT;
	cJSON *arr;

	if (job->replayed) /* journaled before the lines out of reach were */
		goto reach;
	opts.rev = job->base;
	opts.with_text = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(job->params, "text"));
	if (wfm_args_chunk_opts(&opts, &paths, job->params, NULL) < 0) {
		fail(job, wfm_error_last());
		goto done;
	}
	if (wfm_chunk_run(&units, repo, &opts) < 0) {
		fail(job, wfm_error_last());
		goto done;
	}
	arr = wfm_json_array();
	for (size_t i = 0; i < units.nr; i++)
		wfm_json_add(
			arr, NULL,
			wfm_unit_to_json(&units.v[i], opts.with_text ? WFM_UNIT_JSON_TEXT : 0));
	job->ok = 1;
	job->value = arr;
	job->journal = 1;
reach:
	/* what it leaves in no unit, for the report: never a reason to fail the call */
	if (wfm_engine_out_of_reach(&job->reach, repo, job->base, job->params) < 0)
		job->warning = extra("chunk(): cannot list the lines out of reach of /%s/: %s",
				     wfm_json_get_nonempty(job->params, "match"), wfm_error_last());
	if (job->replayed)
		job->ok = 1;
done:
	wfm_unit_list_release(&units);
	wfm_strvec_clear(&paths);
}

static void run_diff(struct job *job, struct wfm_repo *repo)
{
	struct wfm_buf out = WFM_BUF_INIT;
	struct wfm_strvec paths = WFM_STRVEC_INIT;
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(job->params, "paths"), *it;
	const char *to = wfm_json_get_nonempty(job->params, "to");
	const char *from = wfm_json_get_nonempty(job->params, "from");

	if (!to)
		to = wfm_json_get_nonempty(job->params, "branch");
	if (cJSON_IsString(p))
		wfm_strvec_push(&paths, p->valuestring);
	cJSON_ArrayForEach (it, p)
		if (cJSON_IsString(it))
			wfm_strvec_push(&paths, it->valuestring);
	if (wfm_git_diff(&out, repo, from ? from : job->e->opts->config->base, to,
			 (const char *const *)paths.v, paths.nr) < 0) {
		fail(job, wfm_error_last());
	} else {
		job->ok = 1;
		job->value = wfm_json_strn(out.ptr, out.len);
		job->journal = 1;
	}
	wfm_buf_release(&out);
	wfm_strvec_clear(&paths);
}

/* The sweep's rules over units (sweep/scan.h): journaled like chunk(), whose units they read. */
static void run_scan(struct job *job)
{
	cJSON *found = NULL;

	if (wfm_sweep_scan_units(&found, cJSON_GetObjectItemCaseSensitive(job->params, "units")) <
	    0) {
		fail(job, wfm_error_last());
		return;
	}
	job->ok = 1;
	job->value = found;
	job->journal = 1;
}

/* Where saved workflows and rubrics are looked for (engine/workflow.h). */
static void saved_places(struct wfm_workflow_where *where, struct job *job, struct wfm_repo *repo)
{
	where->top = wfm_repo_workdir(repo);
	where->cwd = where->top;
	where->home = getenv("HOME");
	where->node = job->e->opts->node;
}

static void run_workflow_source(struct job *job, struct wfm_repo *repo)
{
	const char *name = wfm_json_get_nonempty(job->params, "name");
	struct wfm_workflow_where where = WFM_WORKFLOW_WHERE_INIT;
	struct wfm_buf src = WFM_BUF_INIT, rel = WFM_BUF_INIT;
	char *path = NULL;

	saved_places(&where, job, repo);
	if (wfm_workflow_find(&path, name, &where) < 0) {
		wfm_buf_addf(&rel, "workflow(): %s", wfm_error_last());
		fail(job, rel.ptr);
		goto done;
	}
	if (wfm_buf_read_file(&src, path) < 0) {
		fail(job, wfm_error_last());
		goto done;
	}
	job->ok = 1;
	job->value = wfm_json_object();
	wfm_json_add_strn(job->value, "source", src.ptr, src.len);
	wfm_json_add_str(job->value, "path", path);
	job->journal = 0; /* read again on resume: it is cheap and never sent to an agent */
done:
	wfm_buf_release(&src);
	wfm_buf_release(&rel);
	free(path);
}

/*
 * The text of a rubric, by name. Journaled, unlike a workflow's source:
 * it goes into agents' prompts, so a resume must see the text the run
 * started with, or every agent that was given it would run again.
 */
static void run_rubric(struct job *job, struct wfm_repo *repo)
{
	const char *name = wfm_json_get_nonempty(job->params, "name");
	struct wfm_workflow_where where = WFM_WORKFLOW_WHERE_INIT;
	struct wfm_buf text = WFM_BUF_INIT, msg = WFM_BUF_INIT;
	char *path = NULL;

	saved_places(&where, job, repo);
	if (wfm_rubric_find(&path, name, &where) < 0 || wfm_buf_read_file(&text, path) < 0) {
		wfm_buf_addf(&msg, "rubric(): %s", wfm_error_last());
		fail(job, msg.ptr);
		goto done;
	}
	job->ok = 1;
	job->value = wfm_json_object();
	wfm_json_add_strn(job->value, "text", text.ptr, text.len);
	wfm_json_add_str(job->value, "path", path);
	job->journal = 1;
done:
	wfm_buf_release(&text);
	wfm_buf_release(&msg);
	free(path);
}

void wfm_engine_execute(struct job *job)
{
	struct wfm_repo *repo = NULL;

	switch (job->kind) {
	case JOB_AGENT:
		run_agent(job);
		return;
	case JOB_ORACLE:
		run_oracle(job);
		return;
	case JOB_MERGE:
		run_merge(job);
		return;
	case JOB_QUICK:
		break;
	}
	/* a repository handle of this thread's own */
	if (wfm_repo_open(&repo, job->e->opts->repo_path) < 0) {
		fail(job, wfm_error_last());
		return;
	}
	if (!strcmp(job->method, "chunk"))
		run_chunk(job, repo);
	else if (!strcmp(job->method, "diff"))
		run_diff(job, repo);
	else if (!strcmp(job->method, "rubric"))
		run_rubric(job, repo);
	else if (!strcmp(job->method, "scan"))
		run_scan(job);
	else
		run_workflow_source(job, repo);
	wfm_repo_free(repo);
}
