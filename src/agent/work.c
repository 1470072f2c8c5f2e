#include "base/common.h"
#include "base/buf.h"
#include "base/utf8.h"
#include "agent/agent_type.h"
#include "agent/schema.h"
#include "agent/tools.h"
#include "agent/work.h"
#include "git/pool.h"
#include "git/scope.h"

/* bytes of the prompt's first line in a commit message */
#define SUBJECT_MAX 72

int wfm_agent_work_check_scope(const cJSON *scope, int writes)
{
	const cJSON *glob;
	size_t i = 0;
	int rc;

	if (!scope || cJSON_IsNull(scope))
		return 0;
	if (!cJSON_IsArray(scope) || !cJSON_GetArraySize(scope))
		return wfm_error_setc(WFM_EINVALID, "'scope' must be a non-empty array of globs");
	cJSON_ArrayForEach (glob, scope) {
		if (!cJSON_IsString(glob) || !*glob->valuestring)
			return wfm_error_setc(WFM_EINVALID, "scope[%zu] must be a non-empty string",
					      i);
		if ((rc = wfm_scope_check_glob(glob->valuestring)) < 0)
			return rc;
		i++;
	}
	if (!writes)
		return wfm_error_setc(WFM_EINVALID,
				      "'scope' is for agents whose work is committed: isolation "
				      "'worktree' and a role that writes");
	return 0;
}

int wfm_agent_work_init(struct wfm_agent_work *w, const struct wfm_agent_env *env,
			const struct wfm_agent_request *req)
{
	int rc;

	memset(w, 0, sizeof(*w));
	if (!req->prompt)
		return wfm_error_setc(WFM_EINVALID, "an agent needs a prompt");
	if (req->role)
		w->role = wfm_role_find(req->role);
	else
		w->role = req->type ? req->type->role : wfm_role_default();
	if (!w->role)
		return wfm_error_setc(WFM_EINVALID, "unknown role '%s'", req->role);
	w->tools = w->role->tools;
	w->bash = w->role->bash;
	/* a type narrows a role the call named; without one its tools are the ceiling */
	if (req->type && req->role) {
		w->tools &= req->type->mask;
	} else if (req->type) {
		w->tools = req->type->mask;
		w->bash = (req->type->mask & WFM_TOOL_BASH) != 0;
	}
	if (req->schema && (rc = wfm_schema_check_object(req->schema)) < 0)
		return rc;
	if (req->worktree && (!req->base || !*req->base))
		return wfm_error_setc(WFM_EINVALID, "a worktree agent needs a base commit");
	w->writes = req->worktree && w->role->may_write;
	if ((rc = wfm_agent_work_check_scope(req->scope, w->writes)) < 0)
		return rc;
	if (!w->writes)
		return 0;
	if (req->scope) {
		const cJSON *glob;

		cJSON_ArrayForEach (glob, req->scope)
			wfm_strvec_push(&w->scope, glob->valuestring);
	}
	if (req->branch) {
		rc = wfm_pool_branch_ref(&w->refname, req->branch);
	} else {
		if (!env->run)
			return wfm_error_setc(WFM_EINVALID,
					      "a worktree agent needs a branch or a run id");
		rc = wfm_pool_branch_name(&w->refname, env->run, req->label ? req->label : "agent");
	}
	if (rc < 0)
		return rc;
	w->branch = wfm_strdup(w->refname + strlen("refs/heads/"));
	return 0;
}

void wfm_agent_work_release(struct wfm_agent_work *w)
{
	free(w->branch);
	free(w->refname);
	wfm_strvec_clear(&w->scope);
	memset(w, 0, sizeof(*w));
}

/* "<label>: <first line of the prompt>", the line cut at SUBJECT_MAX bytes on a character. */
static void commit_message(struct wfm_buf *msg, const struct wfm_agent_work *w,
			   const struct wfm_agent_env *env, const struct wfm_agent_request *req)
{
	const char *label = req->label, *p, *slash;
	size_t n;

	if (!label || !*label) {
		slash = strrchr(w->branch, '/');
		label = slash ? slash + 1 : w->branch;
	}
	p = wfm_utf8_first_line(&n, req->prompt, SUBJECT_MAX);
	wfm_buf_adds(msg, label);
	if (n) {
		wfm_buf_adds(msg, ": ");
		wfm_buf_add(msg, p, n);
	}
	wfm_buf_adds(msg, "\n\n");
	if (env->run)
		wfm_buf_addf(msg, "Wfmigrate-Run: %s\n", env->run);
	wfm_buf_addf(msg, "Wfmigrate-Role: %s\n", w->role->name);
	for (size_t i = 0; i < w->scope.nr; i++)
		wfm_buf_addf(msg, "%s: %s\n", WFM_TRAILER_SCOPE, w->scope.v[i]);
}

/* The paths the work changed (base..commit) that its scope does not cover. */
static int find_out_of_scope(struct wfm_agent_result *out, const struct wfm_agent_work *w,
			     struct wfm_slot *slot)
{
	struct wfm_changes outside = WFM_CHANGES_INIT;
	int rc;

	out->scoped = 1;
	rc = wfm_scope_outside(&outside, wfm_slot_repo(slot), wfm_slot_base(slot), out->commit,
			       (const char *const *)w->scope.v);
	for (size_t i = 0; rc == 0 && i < outside.nr; i++) {
		wfm_strvec_push_nodup(&out->out_of_scope, outside.v[i].path);
		outside.v[i].path = NULL;
	}
	wfm_changes_release(&outside);
	return rc;
}

int wfm_agent_work_commit(struct wfm_agent_result *out, const struct wfm_agent_work *w,
			  struct wfm_slot *slot, const struct wfm_agent_env *env,
			  const struct wfm_agent_request *req)
{
	struct wfm_buf msg = WFM_BUF_INIT;
	int changed = 0, rc;

	commit_message(&msg, w, env, req);
	if (w->scope.nr)
		rc = wfm_slot_commit_branch_sealed(out->commit, &changed, slot, msg.ptr,
						   w->refname);
	else
		rc = wfm_slot_commit_branch(out->commit, &changed, slot, msg.ptr, w->refname);
	wfm_buf_release(&msg);
	if (rc < 0)
		return rc;
	/* commits the agent made itself count too: changed means "past base" */
	out->changed = strcmp(out->commit, wfm_slot_base(slot)) != 0;
	out->branch = wfm_strdup(w->branch);
	if (w->scope.nr)
		return find_out_of_scope(out, w, slot);
	return 0;
}
