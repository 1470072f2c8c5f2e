/*
 * Agent results: what the script sees, and what the journal keeps.
 */
#include "base/common.h"
#include "base/json.h"
#include "agent/agent.h"

void wfm_agent_result_release(struct wfm_agent_result *r)
{
	free(r->reason);
	free(r->stderr_tail);
	free(r->branch);
	wfm_strvec_clear(&r->out_of_scope);
	cJSON_Delete(r->output);
	memset(r, 0, sizeof(*r));
}

static cJSON *paths_json(const struct wfm_strvec *paths)
{
	cJSON *arr = wfm_json_array();

	for (size_t i = 0; i < paths->nr; i++)
		wfm_json_add_str(arr, NULL, paths->v[i]);
	return arr;
}

static cJSON *dup_or_null(const cJSON *v)
{
	cJSON *d = v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull();

	if (!d) {
		fprintf(stderr, "fatal: out of memory copying JSON\n");
		abort();
	}
	return d;
}

cJSON *wfm_agent_result_value(const struct wfm_agent_result *r, int worktree)
{
	cJSON *v;

	if (!r->ok)
		return dup_or_null(NULL);
	if (!worktree)
		return dup_or_null(r->output);
	v = wfm_json_object();
	wfm_json_add(v, "output", dup_or_null(r->output));
	if (r->branch)
		wfm_json_add_str(v, "branch", r->branch);
	else
		wfm_json_add_null(v, "branch");
	wfm_json_add_str(v, "commit", r->commit);
	wfm_json_add_bool(v, "changed", r->changed);
	if (r->scoped)
		wfm_json_add(v, "outOfScope", paths_json(&r->out_of_scope));
	return v;
}

cJSON *wfm_agent_result_to_json(const struct wfm_agent_result *r)
{
	cJSON *j = wfm_json_object();

	wfm_json_add_bool(j, "ok", r->ok);
	if (r->reason)
		wfm_json_add_str(j, "reason", r->reason);
	else
		wfm_json_add_null(j, "reason");
	if (r->stderr_tail)
		wfm_json_add_str(j, "stderr_tail", r->stderr_tail);
	wfm_json_add(j, "output", dup_or_null(r->output));
	wfm_json_add_bool(j, "changed", r->changed);
	wfm_json_add_str(j, "commit", r->commit);
	if (r->branch)
		wfm_json_add_str(j, "branch", r->branch);
	else
		wfm_json_add_null(j, "branch");
	if (r->scoped)
		wfm_json_add(j, "out_of_scope", paths_json(&r->out_of_scope));
	wfm_json_add_num(j, "duration_ms", (double)r->duration_ms);
	wfm_exec_where_to_json(j, &r->where);
	wfm_json_add_num(j, "tokens_in", (double)r->tokens_in);
	wfm_json_add_num(j, "tokens_out", (double)r->tokens_out);
	if (r->turns) {
		wfm_json_add_num(j, "cache_read", (double)r->cache_read);
		wfm_json_add_num(j, "cache_write", (double)r->cache_write);
		wfm_json_add_num(j, "cost_usd", r->cost_usd);
		wfm_json_add_num(j, "turns", r->turns);
		wfm_json_add_num(j, "tool_calls", r->tool_calls);
	}
	return j;
}

static int bad(struct wfm_agent_result *out, const char *what)
{
	wfm_agent_result_release(out);
	return wfm_error_setc(WFM_EINVALID, "invalid agent result: %s", what);
}

/* A count as JSON holds it: a non-negative integer below 2^53. */
static int get_count(uint64_t *out, const cJSON *j, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);

	*out = 0;
	if (!v)
		return 0; /* absent: 0, for journals written before the field */
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || v->valuedouble > 9007199254740992.0 ||
	    v->valuedouble != (double)(uint64_t)v->valuedouble)
		return -1;
	*out = (uint64_t)v->valuedouble;
	return 0;
}

static int is_hex_oid(const char *s)
{
	size_t n = strlen(s);

	if (n != 0 && n != WFM_OID_HEXSZ)
		return 0;
	return strspn(s, "0123456789abcdef") == n;
}

int wfm_agent_result_from_json(struct wfm_agent_result *out, const cJSON *j)
{
	const cJSON *ok, *reason, *output, *changed, *commit, *branch, *cost, *outside, *p;
	uint64_t turns, calls;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(j))
		return bad(out, "not an object");
	ok = cJSON_GetObjectItemCaseSensitive(j, "ok");
	reason = cJSON_GetObjectItemCaseSensitive(j, "reason");
	output = cJSON_GetObjectItemCaseSensitive(j, "output");
	changed = cJSON_GetObjectItemCaseSensitive(j, "changed");
	commit = cJSON_GetObjectItemCaseSensitive(j, "commit");
	branch = cJSON_GetObjectItemCaseSensitive(j, "branch");
	if (!cJSON_IsBool(ok))
		return bad(out, "'ok' is not a boolean");
	out->ok = cJSON_IsTrue(ok);
	if (reason && !cJSON_IsNull(reason) && !cJSON_IsString(reason))
		return bad(out, "'reason' is not a string");
	if (cJSON_IsString(reason))
		out->reason = wfm_strdup(reason->valuestring);
	if (!out->ok && !out->reason)
		return bad(out, "a failed agent without a reason");
	{
		const cJSON *tail = cJSON_GetObjectItemCaseSensitive(j, "stderr_tail");

		if (tail && !cJSON_IsString(tail))
			return bad(out, "'stderr_tail' is not a string");
		if (tail)
			out->stderr_tail = wfm_strdup(tail->valuestring);
	}
	if (out->ok && (!output || cJSON_IsNull(output)))
		return bad(out, "an agent that succeeded without an output");
	if (out->ok)
		out->output = dup_or_null(output);
	if (changed && !cJSON_IsBool(changed))
		return bad(out, "'changed' is not a boolean");
	out->changed = cJSON_IsTrue(changed);
	if (commit && !cJSON_IsString(commit))
		return bad(out, "'commit' is not a string");
	if (commit && !is_hex_oid(commit->valuestring))
		return bad(out, "'commit' is not a commit id");
	if (commit)
		memcpy(out->commit, commit->valuestring, strlen(commit->valuestring) + 1);
	if (branch && !cJSON_IsNull(branch) && !cJSON_IsString(branch))
		return bad(out, "'branch' is not a string");
	if (cJSON_IsString(branch))
		out->branch = wfm_strdup(branch->valuestring);
	outside = cJSON_GetObjectItemCaseSensitive(j, "out_of_scope");
	if (outside && !cJSON_IsArray(outside))
		return bad(out, "'out_of_scope' is not an array");
	out->scoped = outside != NULL;
	cJSON_ArrayForEach (p, outside) {
		if (!cJSON_IsString(p))
			return bad(out, "'out_of_scope' holds something else than paths");
		wfm_strvec_push(&out->out_of_scope, p->valuestring);
	}
	if (get_count(&out->duration_ms, j, "duration_ms") < 0 ||
	    get_count(&out->tokens_in, j, "tokens_in") < 0 ||
	    get_count(&out->tokens_out, j, "tokens_out") < 0 ||
	    get_count(&out->cache_read, j, "cache_read") < 0 ||
	    get_count(&out->cache_write, j, "cache_write") < 0 ||
	    get_count(&turns, j, "turns") < 0 || get_count(&calls, j, "tool_calls") < 0 ||
	    turns > UINT_MAX || calls > UINT_MAX)
		return bad(out, "a count that is not a non-negative integer");
	out->turns = (unsigned)turns;
	out->tool_calls = (unsigned)calls;
	cost = cJSON_GetObjectItemCaseSensitive(j, "cost_usd");
	if (cost && (!cJSON_IsNumber(cost) || !(cost->valuedouble >= 0)))
		return bad(out, "'cost_usd' is not a non-negative number");
	out->cost_usd = cost ? cost->valuedouble : 0;
	wfm_exec_where_from_json(&out->where, j);
	return 0;
}
