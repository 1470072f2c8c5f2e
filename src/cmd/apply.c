/*
 * git wfmigrate apply: brings a run's result to the current branch. The
 * result is the run's integration branch (what the merge queue merged)
 * and, for a workflow whose agents worked without isolation, the branch
 * of its shared checkout; both start at the run's base, so on a branch
 * still at the base the result is a fast-forward (with a merge commit of
 * the two first when both hold work). Anything else is refused before a
 * file or ref changes, with what to do instead.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/strvec.h"
#include "cmd/cmd.h"
#include "engine/rundir.h"
#include "git/fastforward.h"
#include "git/repo.h"
#include "git/squash.h"
#include "git/status.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/named_run.h"
#include "ui/options.h"
#include "ui/run.h"

static const char *const apply_usage[] = {
	"git wfmigrate apply [--dry-run] [<run>]",
	NULL,
};

/* A branch of the run: its short name, and its tip when it exists and holds work. */
struct result_branch {
	char name[256];
	char tip[WFM_OID_HEXSZ + 1];
	int has_work;
};

static int read_branch(struct result_branch *b, struct wfm_repo *repo, const char *run,
		       const char *which, const char *base)
{
	char ref[300];
	int rc;

	snprintf(b->name, sizeof(b->name), "wfmigrate/%s/%s", run, which);
	snprintf(ref, sizeof(ref), "refs/heads/%s", b->name);
	rc = wfm_repo_resolve_commit(b->tip, repo, ref);
	if (rc == WFM_ENOTFOUND) {
		b->tip[0] = '\0';
		return 0;
	}
	if (rc < 0)
		return rc;
	b->has_work = strcmp(b->tip, base) != 0;
	return 0;
}

/* The base the run started from: run.json's, else (a run older than run.json) the report's. */
static int run_base(char out[WFM_OID_HEXSZ + 1], struct wfm_rundir *run)
{
	static const char *const files[] = { "run.json", "report.json" };

	for (size_t i = 0; i < WFM_ARRAY_SIZE(files); i++) {
		cJSON *j = NULL;
		const char *base;

		if (wfm_run_json_load(&j, run, files[i]) < 0)
			continue;
		base = wfm_json_get_str(j, "base", NULL);
		if (base && strlen(base) == WFM_OID_HEXSZ) {
			memcpy(out, base, WFM_OID_HEXSZ + 1);
			cJSON_Delete(j);
			return 0;
		}
		cJSON_Delete(j);
	}
	return wfm_error_setc(WFM_ECONFIG, "run %s records no base commit (no run.json)", run->id);
}

static const char *short_ref(const char *refname)
{
	return !strncmp(refname, "refs/heads/", 11) ? refname + 11 : refname;
}

/* The hint under a refusal: how to land the result by hand, or run again. */
static void hint_by_hand(const struct result_branch *integ, const struct result_branch *shared,
			 const char *run)
{
	struct wfm_buf b = WFM_BUF_INIT;

	if (integ->has_work)
		wfm_buf_addf(&b, "git merge %s", integ->name);
	if (shared->has_work)
		wfm_buf_addf(&b, "%sgit merge %s", b.len ? " && " : "", shared->name);
	wfm_ui_hint("merge the result by hand and test it: %s && git wfmigrate oracle --ref HEAD",
		    b.ptr);
	wfm_ui_hint("or run the workflow again on this branch's tip (its script: "
		    "'git wfmigrate export %s -o <dir>', then 'git wfmigrate run --workflow "
		    "<dir>/workflow.js')",
		    run);
	wfm_buf_release(&b);
}

int cmd_apply(int argc, const char **argv, struct wfm_cmd_ctx *ctx)
{
	int dry_run = 0, rc, ret;
	const struct wfm_option options[] = {
		WFM_OPT_BOOL('n', "dry-run", &dry_run, "say what would be applied, change nothing"),
		WFM_OPT_END(),
	};
	struct wfm_rundir *run = NULL;
	struct result_branch integ = { { 0 }, { 0 }, 0 }, shared = { { 0 }, { 0 }, 0 };
	struct wfm_strvec dirty = WFM_STRVEC_INIT;
	struct wfm_buf msg = WFM_BUF_INIT;
	char base[WFM_OID_HEXSZ + 1], head[WFM_OID_HEXSZ + 1], target[WFM_OID_HEXSZ + 1];
	char *branch = NULL;
	enum wfm_run_state state;
	pid_t pid;

	argc = wfm_parse_options(argc, argv, options, apply_usage, 0);
	if (argc < 0)
		return WFM_EXIT_USAGE;
	if (argc > 1)
		return wfm_ui_usage_error(apply_usage, options, "too many arguments");
	if (!wfm_repo_workdir(ctx->repo)) {
		wfm_ui_fatal("apply needs a working tree: this repository is bare");
		return WFM_EXIT_FATAL;
	}
	if ((ret = wfm_ui_named_run(&run, argc ? argv[0] : NULL, wfm_repo_commondir(ctx->repo))))
		return ret;

	state = wfm_rundir_state(run, &pid);
	if (wfm_run_state_live(state)) {
		wfm_ui_error("run %s is %s (pid %ld): its result is not final", run->id,
			     wfm_run_state_name(state), (long)pid);
		wfm_ui_hint("wait for it to end, or stop it first ('git wfmigrate stop --wait %s')",
			    run->id);
		ret = WFM_EXIT_FAILURE;
		goto done;
	}
	if ((rc = run_base(base, run)) < 0 ||
	    (rc = read_branch(&integ, ctx->repo, run->id, "integration", base)) < 0 ||
	    (rc = read_branch(&shared, ctx->repo, run->id, "shared", base)) < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	}
	if (!integ.has_work && !shared.has_work) {
		wfm_ui_error("run %s has nothing to apply: %s", run->id,
			     integ.tip[0] ? "its integration branch is still at its base (no unit "
					    "was merged)"
					  : "it has no integration branch");
		ret = WFM_EXIT_FAILURE;
		goto done;
	}

	/* the current branch: on one, clean, and at the run's base */
	if ((rc = wfm_head_branch(&branch, head, ctx->repo)) < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	}
	if (!branch) {
		wfm_ui_fatal("HEAD is detached at %.7s: check out the branch to apply run %s to",
			     head, run->id);
		ret = WFM_EXIT_FATAL;
		goto done;
	}
	if ((!integ.has_work || wfm_is_ancestor(ctx->repo, integ.tip, head) == 1) &&
	    (!shared.has_work || wfm_is_ancestor(ctx->repo, shared.tip, head) == 1)) {
		fprintf(stderr, "run %s is applied already: %s contains its result\n", run->id,
			short_ref(branch));
		ret = WFM_EXIT_OK;
		goto done;
	}
	if ((rc = wfm_status_changed(&dirty, ctx->repo)) < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	}
	if (dirty.nr) {
		wfm_ui_fatal("your working tree has changes to tracked files ('%s'%s): commit or "
			     "stash them, then apply run %s",
			     dirty.v[0], dirty.nr > 1 ? " and more" : "", run->id);
		ret = WFM_EXIT_FATAL;
		goto done;
	}
	if (strcmp(head, base)) {
		int moved_on = wfm_is_ancestor(ctx->repo, base, head) == 1;

		if (moved_on)
			wfm_ui_fatal("%s has moved on since run %s started from %.7s (it is at "
				     "%.7s): the result is not a fast-forward",
				     short_ref(branch), run->id, base, head);
		else
			wfm_ui_fatal("%s is at %.7s, not at run %s's base %.7s: the run started "
				     "from another commit",
				     short_ref(branch), head, run->id, base);
		hint_by_hand(&integ, &shared, run->id);
		ret = WFM_EXIT_FATAL;
		goto done;
	}

	/* the result: one branch, or both merged */
	if (integ.has_work && shared.has_work) {
		wfm_buf_addf(&msg,
			     "Merge %s into %s\n\nThe edits of run %s's agents without "
			     "isolation, with what its merge queue merged.\n",
			     shared.name, integ.name, run->id);
		if (dry_run) {
			printf("would merge %s into %s, then fast-forward %s from %.7s to the "
			       "merge\n",
			       shared.name, integ.name, short_ref(branch), head);
			ret = WFM_EXIT_OK;
			goto done;
		}
		if ((rc = wfm_merge_commit(target, ctx->repo, integ.tip, shared.tip, msg.ptr)) <
		    0) {
			ret = wfm_ui_error_lib(rc);
			hint_by_hand(&integ, &shared, run->id);
			goto done;
		}
	} else {
		memcpy(target, integ.has_work ? integ.tip : shared.tip, sizeof(target));
		if (dry_run) {
			printf("would fast-forward %s from %.7s to %.7s (%s)\n", short_ref(branch),
			       head, target, integ.has_work ? integ.name : shared.name);
			ret = WFM_EXIT_OK;
			goto done;
		}
	}
	if (wfm_is_ancestor(ctx->repo, head, target) != 1) {
		/* a result branch that does not start at the base: not the run's own any more */
		wfm_ui_fatal("%.7s does not descend from run %s's base %.7s: not a fast-forward",
			     target, run->id, head);
		hint_by_hand(&integ, &shared, run->id);
		ret = WFM_EXIT_FATAL;
		goto done;
	}
	wfm_buf_clear(&msg);
	wfm_buf_addf(&msg, "wfmigrate apply %s: fast-forward", run->id);
	if ((rc = wfm_fast_forward(ctx->repo, branch, head, target, msg.ptr)) < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	}
	if (state != WFM_RUN_STATE_DONE)
		wfm_ui_warning("run %s is %s: what it merged is applied, the rest of its work is "
			       "not done ('git wfmigrate resume %s' goes on with it)",
			       run->id, wfm_run_state_name(state), run->id);
	printf("Updating %.7s..%.7s\nFast-forward %s to run %s's result (%s%s%s)\n", head, target,
	       short_ref(branch), run->id, integ.has_work ? integ.name : "",
	       integ.has_work && shared.has_work ? " merged with " : "",
	       shared.has_work ? shared.name : "");
	ret = WFM_EXIT_OK;
done:
	free(branch);
	wfm_strvec_clear(&dirty);
	wfm_buf_release(&msg);
	wfm_rundir_free(run);
	return ret;
}
