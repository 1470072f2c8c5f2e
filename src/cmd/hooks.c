/*
 * git wfmigrate hooks: the git hooks that run the security sweep
 * (docs/sweep.md, "Hooks"): list them, install them where git looks
 * (git/hooks.h: core.hooksPath, a hook that was there kept and chained),
 * uninstall them, and `hooks run <name>`, what the installed scripts
 * (hooks/ of the data directory) exec: the chained hook first, then the
 * sweep of what is pushed or merged, which blocks on a finding at or
 * above wfmigrate.hooks.failOn and on an error of the sweep, and lets
 * everything through when no provider is configured.
 */
#include "base/common.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "base/buf.h"
#include "base/datadir.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/process.h"
#include "agent/provider.h"
#include "cmd/cmd.h"
#include "engine/config.h"
#include "git/hooks.h"
#include "git/repo.h"
#include "sweep/base.h"
#include "sweep/rules.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/options.h"
#include "ui/settings.h"

extern char **environ;

static const char *const hooks_usage[] = {
	"git wfmigrate hooks [--json]",
	"git wfmigrate hooks install [--pre-push] [--pre-merge-commit]",
	"git wfmigrate hooks uninstall [--pre-push] [--pre-merge-commit]",
	"git wfmigrate hooks run <hook> [<hook argument>...]",
	NULL,
};

/* the hooks we ship, and how each says it can be bypassed once */
static const struct {
	const char *name;
	const char *what; /* what a failure refuses */
	const char *bypass;
} known[] = {
	{ "pre-push", "the push", "git push --no-verify" },
	{ "pre-merge-commit", "the merge",
	  "git merge --abort, then git merge --no-verify (or git commit: the merge is "
	  "prepared)" },
};

static int known_index(const char *name)
{
	for (size_t i = 0; i < WFM_ARRAY_SIZE(known); i++)
		if (!strcmp(known[i].name, name))
			return (int)i;
	return -1;
}

/*
 * Whether an agent could run a sweep here: 1 when a provider is
 * configured, 0 when none is (why says what is missing), negative for a
 * bad setting, which is an error like any other of the sweep.
 */
static int provider_ready(struct wfm_buf *why, struct wfm_repo *repo)
{
	struct wfm_run_config cfg;
	struct wfm_run_config_given given;
	const char *key;
	int rc, ret = 1;

	wfm_run_config_init(&cfg);
	wfm_run_config_given_init(&given);
	given.str[WFM_CF_WORKFLOW] = "sweep";
	if ((rc = wfm_run_config_resolve(&cfg, repo, &given)) < 0) {
		ret = rc;
		if (!cfg.provider) {
			wfm_error_clear();
			wfm_buf_adds(why, "set ANTHROPIC_API_KEY or OPENAI_API_KEY, or 'git config "
					  "wfmigrate.provider exec' and 'git config "
					  "wfmigrate.agent-cmd <cmd>'");
			ret = 0;
		}
	} else if (!cfg.provider->has_api && (!cfg.agent_cmd || !*cfg.agent_cmd)) {
		wfm_buf_adds(why, "the exec provider needs 'git config wfmigrate.agent-cmd <cmd>'");
		ret = 0;
	} else if (wfm_run_config_api_key(&key, &cfg) < 0) {
		wfm_buf_adds(why, wfm_error_last());
		wfm_error_clear();
		ret = 0;
	}
	wfm_run_config_release(&cfg);
	wfm_run_config_given_release(&given);
	return ret;
}

/* --- listing */

static const char *state_word(const struct wfm_hook *h)
{
	switch (h->state) {
	case WFM_HOOK_OURS:
		return "installed";
	case WFM_HOOK_FOREIGN:
		return "other";
	default:
		return "none";
	}
}

static int hooks_status(struct wfm_repo *repo, int json)
{
	struct wfm_hook h[WFM_ARRAY_SIZE(known)];
	struct wfm_buf why = WFM_BUF_INIT, b = WFM_BUF_INIT;
	int rc = 0, ready, ret = WFM_EXIT_OK;

	memset(h, 0, sizeof(h));
	for (size_t i = 0; i < WFM_ARRAY_SIZE(known) && rc == 0; i++)
		rc = wfm_hook_find(&h[i], repo, known[i].name);
	if (rc < 0 || (ready = provider_ready(&why, repo)) < 0) {
		ret = wfm_ui_error_lib(rc < 0 ? rc : ready);
		goto done;
	}
	if (json) {
		cJSON *o = wfm_json_object(), *arr = wfm_json_array();

		for (size_t i = 0; i < WFM_ARRAY_SIZE(known); i++) {
			cJSON *e = wfm_json_object();

			wfm_json_add_str(e, "name", h[i].name);
			wfm_json_add_str(e, "path", h[i].path);
			wfm_json_add_str(e, "state", state_word(&h[i]));
			if (h[i].has_chained)
				wfm_json_add_str(e, "chained", h[i].chained);
			else
				wfm_json_add_null(e, "chained");
			wfm_json_add(arr, NULL, e);
		}
		wfm_json_add(o, "hooks", arr);
		wfm_json_add_bool(o, "provider", ready);
		wfm_json_print(&b, o);
		printf("%s\n", b.ptr);
		cJSON_Delete(o);
		goto done;
	}
	for (size_t i = 0; i < WFM_ARRAY_SIZE(known); i++) {
		printf("%-17s %-10s %s", h[i].name, state_word(&h[i]), h[i].path);
		if (h[i].has_chained)
			printf(" (runs %s first)", h[i].chained);
		printf("\n");
	}
	if (!ready)
		wfm_ui_warning("no provider configured: the hooks let everything through (%s)",
			       why.ptr);
done:
	for (size_t i = 0; i < WFM_ARRAY_SIZE(known); i++)
		wfm_hook_release(&h[i]);
	wfm_buf_release(&why);
	wfm_buf_release(&b);
	return ret;
}

/* --- install, uninstall */

static int hooks_change(struct wfm_repo *repo, int install, const int *want)
{
	int any = 0, ret = WFM_EXIT_OK, rc;

	for (size_t i = 0; i < WFM_ARRAY_SIZE(known); i++)
		any |= want[i];
	for (size_t i = 0; i < WFM_ARRAY_SIZE(known); i++) {
		struct wfm_hook h;
		struct wfm_buf script = WFM_BUF_INIT, rel = WFM_BUF_INIT;
		char *src = NULL;
		enum wfm_hook_state was;

		if (any && !want[i])
			continue;
		if ((rc = wfm_hook_find(&h, repo, known[i].name)) < 0)
			goto next;
		was = h.state;
		if (install) {
			wfm_buf_addf(&rel, "hooks/%s", known[i].name);
			if ((rc = wfm_datadir_find(&src, rel.ptr)) < 0 ||
			    (rc = wfm_buf_read_file(&script, src)) < 0 ||
			    (rc = wfm_hook_install(&h, script.ptr, script.len)) < 0)
				goto next;
			if (was == WFM_HOOK_OURS)
				fprintf(stderr, "%s: updated %s\n", h.name, h.path);
			else if (was == WFM_HOOK_FOREIGN)
				fprintf(stderr,
					"%s: installed %s; the hook that was there runs first, "
					"from %s\n",
					h.name, h.path, h.chained);
			else
				fprintf(stderr, "%s: installed %s\n", h.name, h.path);
		} else {
			/* without names, only ours: somebody else's is left alone */
			if (!any && was != WFM_HOOK_OURS) {
				if (was == WFM_HOOK_FOREIGN)
					fprintf(stderr,
						"%s: %s is not git wfmigrate's: left alone\n",
						h.name, h.path);
				goto next;
			}
			if ((rc = wfm_hook_uninstall(&h)) < 0)
				goto next;
			if (h.state != WFM_HOOK_NONE)
				fprintf(stderr,
					"%s: removed; the hook that was there is back at %s\n",
					h.name, h.path);
			else
				fprintf(stderr, "%s: removed %s\n", h.name, h.path);
		}
	next:
		if (rc < 0)
			ret = wfm_ui_error_lib(rc);
		rc = 0;
		wfm_hook_release(&h);
		wfm_buf_release(&script);
		wfm_buf_release(&rel);
		free(src);
	}
	return ret;
}

/* --- run */

/* the process group of the chained hook while it runs, for the handler */
static volatile sig_atomic_t chained_pgid;

static void forward_signal(int sig)
{
	if (chained_pgid > 0)
		killpg((pid_t)chained_pgid, sig);
}

static int dup_above_2(int fd)
{
	return fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

/*
 * Runs the hook that was there before ours, with our arguments, input
 * (NULL: our standard input) and standard output and error. Its exit
 * code in *code (128 + the signal that killed it).
 */
static int run_chained(int *code, const char *path, int argc, const char **argv,
		       const struct wfm_buf *input)
{
	struct wfm_child c = WFM_CHILD_INIT;
	struct sigaction sa = { 0 }, old[3];
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	const char **args = wfm_calloc((size_t)argc + 2, sizeof(*args));
	FILE *tmp = NULL;
	int rc;

	*code = 0;
	args[0] = path;
	for (int i = 0; i < argc; i++)
		args[i + 1] = argv[i];
	if (input) {
		/* a file, not a pipe: the hook may read none, some or all of it */
		if (!(tmp = tmpfile()) || fwrite(input->ptr, 1, input->len, tmp) != input->len ||
		    fflush(tmp) || fseek(tmp, 0, SEEK_SET)) {
			rc = wfm_error_set("cannot keep the hook's input in a temporary file: %s",
					   strerror(errno));
			goto done;
		}
		c.in = dup_above_2(fileno(tmp));
	} else {
		c.in = dup_above_2(0);
	}
	c.out = dup_above_2(1);
	c.err = dup_above_2(2);
	c.argv = args;
	c.file = path;
	c.env = environ;
	if ((rc = wfm_child_start(&c)) < 0)
		goto done;
	/* it has a process group of its own: ^C at the terminal must reach it */
	sa.sa_handler = forward_signal;
	sigemptyset(&sa.sa_mask);
	chained_pgid = c.pid;
	for (size_t i = 0; i < WFM_ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, &old[i]);
	rc = wfm_child_wait(&c, 1);
	chained_pgid = 0;
	for (size_t i = 0; i < WFM_ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &old[i], NULL);
	if (rc >= 0) {
		rc = 0;
		*code = WIFEXITED(c.status)	? WEXITSTATUS(c.status)
			: WIFSIGNALED(c.status) ? 128 + WTERMSIG(c.status)
						: 1;
	}
done:
	if (c.in >= 0)
		close(c.in);
	if (c.out >= 0)
		close(c.out);
	if (c.err >= 0)
		close(c.err);
	if (tmp)
		fclose(tmp);
	free(args);
	return rc;
}

/* One sweep the hook runs: head, against base, or all of it. */
struct job {
	char head[WFM_OID_HEXSZ + 1];
	char base[WFM_OID_HEXSZ + 1];
	int all;
	char *what; /* in messages: "refs/heads/x", the merged branch's name */
};

/* the end of the line at p: its '\n' or the string's end */
static const char *line_end(const char *p)
{
	const char *e = strchr(p, '\n');

	return e ? e : p + strlen(p);
}

static int is_zero(const char *hex)
{
	return strspn(hex, "0") == strlen(hex);
}

/*
 * The base a pushed commit is swept against: the remote's commit when it
 * has the ref and we have that commit, else its default branch
 * (<remote>/HEAD), else the sweep's own default (sweep/base.h), else
 * nothing: every unit (all). 1 when there is nothing new to sweep.
 */
static int push_base(struct job *j, struct wfm_repo *repo, const char *remote,
		     const char *remote_sha)
{
	struct wfm_buf rev = WFM_BUF_INIT;
	char c[WFM_OID_HEXSZ + 1];
	const char *name;
	int rc = WFM_ENOTFOUND;

	if (!is_zero(remote_sha))
		rc = wfm_repo_merge_base(j->base, repo, remote_sha, j->head);
	if (rc == WFM_ENOTFOUND && remote) {
		wfm_buf_addf(&rev, "refs/remotes/%s/HEAD", remote);
		if (wfm_repo_resolve_commit(c, repo, rev.ptr) == 0)
			rc = wfm_repo_merge_base(j->base, repo, c, j->head);
	}
	if (rc == WFM_ENOTFOUND)
		rc = wfm_sweep_base(j->base, &name, repo, NULL, j->head);
	wfm_buf_release(&rev);
	if (rc == WFM_ENOTFOUND) {
		wfm_error_clear();
		j->all = 1;
		return 0;
	}
	if (rc < 0)
		return rc;
	return !strcmp(j->base, j->head);
}

/* The sweeps of a push, from git's lines "<local ref> <local sha> <remote ref> <remote sha>". */
static int push_jobs(struct job **out, size_t *nr, struct wfm_repo *repo, const char *remote,
		     const struct wfm_buf *input)
{
	const char *p = input->ptr;
	int rc = 0;

	while (*p) {
		const char *eol = line_end(p);
		char lref[1024], lsha[WFM_OID_HEXSZ + 2], rref[1024], rsha[WFM_OID_HEXSZ + 2];
		struct wfm_buf line = WFM_BUF_INIT;
		struct job j = { 0 };
		size_t k;

		wfm_buf_add(&line, p, (size_t)(eol - p));
		p = *eol ? eol + 1 : eol;
		if (!line.len) {
			wfm_buf_release(&line);
			continue;
		}
		if (sscanf(line.ptr, "%1023s %41s %1023s %41s", lref, lsha, rref, rsha) != 4 ||
		    strlen(lsha) != WFM_OID_HEXSZ || strlen(rsha) != WFM_OID_HEXSZ) {
			rc = wfm_error_set("pre-push: cannot read git's line '%s'", line.ptr);
			wfm_buf_release(&line);
			break;
		}
		wfm_buf_release(&line);
		if (is_zero(lsha)) /* a deletion pushes no code */
			continue;
		/* an annotated tag: its commit; a tag of a tree or a blob: no code to sweep */
		if (wfm_repo_resolve_commit(j.head, repo, lsha) < 0) {
			wfm_error_clear();
			continue;
		}
		if ((rc = push_base(&j, repo, remote, rsha)) < 0)
			break;
		if (rc == 1) {
			rc = 0;
			continue;
		}
		/* the same commits under several names are swept once */
		for (k = 0; k < *nr; k++)
			if (!strcmp((*out)[k].head, j.head) && (*out)[k].all == j.all &&
			    !strcmp((*out)[k].base, j.base))
				break;
		if (k < *nr)
			continue;
		j.what = wfm_strdup(rref);
		*out = wfm_realloc(*out, (*nr + 1) * sizeof(**out));
		(*out)[(*nr)++] = j;
	}
	return rc;
}

/* A job for head (hex, WFM_OID_HEXSZ long at least) merged into HEAD, named what. */
static int merge_job(struct job **out, size_t *nr, struct wfm_repo *repo, const char *ours,
		     const char *head, const char *what)
{
	struct job j = { 0 };
	int rc;

	memcpy(j.head, head, WFM_OID_HEXSZ);
	rc = wfm_repo_merge_base(j.base, repo, ours, j.head);
	if (rc == WFM_ENOTFOUND && wfm_repo_resolve_commit(j.base, repo, j.head) == 0) {
		/* unrelated histories: all of it is new */
		wfm_error_clear();
		j.all = 1;
	} else if (rc < 0) {
		return rc;
	}
	if (!j.all && !strcmp(j.base, j.head))
		return 0; /* nothing of it is new */
	j.what = wfm_strdup(what);
	*out = wfm_realloc(*out, (*nr + 1) * sizeof(**out));
	(*out)[(*nr)++] = j;
	return 0;
}

/*
 * The sweeps of a merge: each commit merged against its merge base with
 * HEAD. git names them to pre-merge-commit only in its environment,
 * GITHEAD_<commit>=<name> (MERGE_HEAD is written after the hook); the
 * MERGE_HEAD file is read when there is none (the hook run by hand).
 */
static int merge_jobs(struct job **out, size_t *nr, struct wfm_repo *repo)
{
	char *path = wfm_fs_join(wfm_repo_gitdir(repo), "MERGE_HEAD");
	struct wfm_buf text = WFM_BUF_INIT;
	char ours[WFM_OID_HEXSZ + 1];
	const char *p;
	int rc, found = 0;

	if ((rc = wfm_repo_resolve_commit(ours, repo, "HEAD")) < 0)
		goto done;
	for (char **e = environ; *e && rc == 0; e++) {
		const char *v = *e + strlen("GITHEAD_");

		if (strncmp(*e, "GITHEAD_", strlen("GITHEAD_")) ||
		    strspn(v, "0123456789abcdef") != WFM_OID_HEXSZ || v[WFM_OID_HEXSZ] != '=')
			continue;
		found = 1;
		rc = merge_job(out, nr, repo, ours, v, v + WFM_OID_HEXSZ + 1);
	}
	if (found || rc < 0 || !wfm_fs_exists(path))
		goto done;
	if ((rc = wfm_buf_read_file(&text, path)) < 0)
		goto done;
	for (p = text.ptr; *p && rc == 0;) {
		const char *eol = line_end(p);

		if (eol - p >= WFM_OID_HEXSZ)
			rc = merge_job(out, nr, repo, ours, p, "MERGE_HEAD");
		p = *eol ? eol + 1 : eol;
	}
done:
	free(path);
	wfm_buf_release(&text);
	return rc;
}

/*
 * Runs `git wfmigrate sweep -q` on one job, here: its exit code. Quiet:
 * a hook says what it sweeps, the findings and the verdict; `git
 * wfmigrate watch` and `log` show the run.
 */
static int sweep_one(const struct job *j, const char *fail_on, struct wfm_cmd_ctx *ctx)
{
	const char *argv[10];
	int argc = 0, ret;

	if (j->all)
		fprintf(stderr,
			"git-wfmigrate: sweeping %s (%.12s), all of it: no base to compare it "
			"with\n",
			j->what, j->head);
	else
		fprintf(stderr, "git-wfmigrate: sweeping %s (%.12s) since %.12s\n", j->what,
			j->head, j->base);
	argv[argc++] = "sweep";
	argv[argc++] = "-q";
	argv[argc++] = "--head";
	argv[argc++] = j->head;
	if (j->all) {
		argv[argc++] = "--all";
	} else {
		argv[argc++] = "--base";
		argv[argc++] = j->base;
	}
	argv[argc++] = "--fail-on";
	argv[argc++] = fail_on;
	argv[argc] = NULL;
	ret = cmd_sweep(argc, argv, ctx);
	/* the summary before the verdict under it */
	fflush(stdout);
	return ret;
}

static int hooks_run(int argc, const char **argv, struct wfm_cmd_ctx *ctx)
{
	static const char *const git_vars[] = {
		"GIT_DIR",	  "GIT_WORK_TREE",	  "GIT_INDEX_FILE",
		"GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY", "GIT_PREFIX"
	};
	struct wfm_hook h = { 0 };
	struct wfm_buf input = WFM_BUF_INIT, why = WFM_BUF_INIT;
	struct job *jobs = NULL;
	size_t nr = 0;
	char *fail_on = NULL;
	int k, rc, code, ready, ret = WFM_EXIT_FATAL;

	if (argc < 1) {
		ret = wfm_ui_usage_error(hooks_usage, NULL,
					 "hooks run: which hook? pre-push or pre-merge-commit");
		goto done;
	}
	if ((k = known_index(argv[0])) < 0) {
		ret = wfm_ui_usage_error(hooks_usage, NULL,
					 "hooks run: '%s' is not pre-push or pre-merge-commit",
					 argv[0]);
		goto done;
	}
	if (!strcmp(argv[0], "pre-push") &&
	    (rc = wfm_buf_read_fd(&input, 0, "standard input")) < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	}
	if ((rc = wfm_hook_find(&h, ctx->repo, argv[0])) < 0) {
		ret = wfm_ui_error_lib(rc);
		goto done;
	}
	/* the hook that was there first, as git would have run it: not when it cannot run */
	if (h.has_chained && access(h.chained, X_OK) < 0) {
		wfm_ui_hint("'%s' was ignored because it is not executable", h.chained);
	} else if (h.has_chained) {
		if ((rc = run_chained(&code, h.chained, argc - 1, argv + 1,
				      k == 0 ? &input : NULL)) < 0) {
			ret = wfm_ui_error_lib(rc);
			wfm_ui_hint("to go on without the hooks, this once: %s", known[k].bypass);
			goto done;
		}
		if (code) {
			wfm_ui_error("%s: '%s' exited %d: %s is refused", argv[0], h.chained, code,
				     known[k].what);
			wfm_ui_hint("to go on without the hooks, this once: %s", known[k].bypass);
			ret = code;
			goto done;
		}
	}
	if ((ready = provider_ready(&why, ctx->repo)) == 0) {
		fprintf(stderr,
			"git-wfmigrate: no provider configured; the security sweep was skipped "
			"(%s)\n",
			why.ptr);
		ret = WFM_EXIT_OK;
		goto done;
	}
	fail_on = wfm_setting_get(ctx->repo, NULL, "hooks.failOn");
	if (ready > 0 && fail_on && strcmp(fail_on, "none") && !wfm_sweep_severity_rank(fail_on))
		ready = wfm_error_setc(
			WFM_ECONFIG,
			"wfmigrate.hooks.failOn: '%s' is not none, low, medium, high "
			"or critical",
			fail_on);
	if (ready > 0)
		ready = k == 0 ? push_jobs(&jobs, &nr, ctx->repo, argc > 1 ? argv[1] : NULL, &input)
			       : merge_jobs(&jobs, &nr, ctx->repo);
	if (ready < 0) {
		/* a gate that cannot look lets nothing through */
		ret = wfm_ui_error_lib(ready);
		wfm_ui_error("%s: the security sweep could not be made: %s is refused", argv[0],
			     known[k].what);
		wfm_ui_hint("to go on without it, this once: %s", known[k].bypass);
		goto done;
	}
	/* the sweep works in worktrees of its own: not in the index git has us look at */
	for (size_t i = 0; i < WFM_ARRAY_SIZE(git_vars); i++)
		unsetenv(git_vars[i]);
	/* the summary is a message here: git push --porcelain owns standard output */
	fflush(stdout);
	dup2(2, 1);
	ret = WFM_EXIT_OK;
	for (size_t i = 0; i < nr && ret == WFM_EXIT_OK; i++) {
		ret = sweep_one(&jobs[i], fail_on ? fail_on : "high", ctx);
		if (ret == WFM_EXIT_FAILURE)
			wfm_ui_error("%s: the security sweep of %s (%.12s) found what "
				     "--fail-on %s refuses: %s is refused",
				     argv[0], jobs[i].what, jobs[i].head,
				     fail_on ? fail_on : "high", known[k].what);
		else if (ret != WFM_EXIT_OK)
			wfm_ui_error("%s: the security sweep of %s (%.12s) failed (exit %d): %s is "
				     "refused",
				     argv[0], jobs[i].what, jobs[i].head, ret, known[k].what);
		if (ret != WFM_EXIT_OK)
			wfm_ui_hint("to go on without it, this once: %s", known[k].bypass);
	}
done:
	for (size_t i = 0; i < nr; i++)
		free(jobs[i].what);
	free(jobs);
	free(fail_on);
	wfm_hook_release(&h);
	wfm_buf_release(&input);
	wfm_buf_release(&why);
	return ret;
}

int cmd_hooks(int argc, const char **argv, struct wfm_cmd_ctx *ctx)
{
	int json = 0, want[WFM_ARRAY_SIZE(known)] = { 0 };
	struct wfm_option list_options[] = {
		WFM_OPT_BOOL(0, "json", &json, "print the hooks as JSON"),
		WFM_OPT_END(),
	};
	struct wfm_option change_options[] = {
		WFM_OPT_BOOL(0, "pre-push", &want[0],
			     "the pre-push hook (both when none is named)"),
		WFM_OPT_BOOL(0, "pre-merge-commit", &want[1], "the pre-merge-commit hook"),
		WFM_OPT_END(),
	};
	struct wfm_option all_options[] = {
		WFM_OPT_BOOL(0, "json", &json, "print the hooks as JSON"),
		WFM_OPT_GROUP("install, uninstall"),
		WFM_OPT_BOOL(0, "pre-push", &want[0],
			     "the pre-push hook (both when none is named)"),
		WFM_OPT_BOOL(0, "pre-merge-commit", &want[1], "the pre-merge-commit hook"),
		WFM_OPT_END(),
	};
	const char *sub = argc > 1 ? argv[1] : NULL;
	int n;

	if (!ctx->repo) { /* main.c opens none for -h */
		wfm_usage_print(stdout, hooks_usage, all_options);
		return WFM_EXIT_USAGE;
	}

	if (!sub || sub[0] == '-' || !strcmp(sub, "status")) {
		int skip = sub && !strcmp(sub, "status");

		n = wfm_parse_options(argc - skip, argv + skip, list_options, hooks_usage,
				      WFM_PARSE_NO_ARGUMENTS);
		return n < 0 ? WFM_EXIT_USAGE : hooks_status(ctx->repo, json);
	}
	if (!strcmp(sub, "install") || !strcmp(sub, "uninstall")) {
		n = wfm_parse_options(argc - 1, argv + 1, change_options, hooks_usage,
				      WFM_PARSE_NO_ARGUMENTS);
		return n < 0 ? WFM_EXIT_USAGE : hooks_change(ctx->repo, sub[0] == 'i', want);
	}
	if (!strcmp(sub, "run"))
		/* the hook's arguments are git's, not options of ours */
		return hooks_run(argc - 2, argv + 2, ctx);
	return wfm_ui_usage_error(hooks_usage, NULL,
				  "hooks: '%s' is not install, uninstall, run or status", sub);
}
