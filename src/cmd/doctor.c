/*
 * git wfmigrate doctor: whether this machine and this repository can run
 * workflows, one check a line, and what to do about each that cannot.
 * Nothing is sent to a provider and no key is printed.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/datadir.h"
#include "base/process.h"
#include "agent/provider.h"
#include "agent/tools.h"
#include "chunk/lang.h"
#include "cmd/cmd.h"
#include "engine/config.h"
#include "engine/harness.h"
#include "exec/executor.h"
#include "git/pool.h"
#include "git/repo.h"
#include "oracle/oracle.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/options.h"
#include "ui/settings.h"

#include <stdarg.h>

static const char *const doctor_usage[] = {
	"git wfmigrate doctor [--oracle <cmd>] [--no-oracle]",
	NULL,
};

enum level { OK, WARN, FAIL };

struct doctor {
	unsigned failed, warned;
};

__attribute__((format(printf, 4, 5))) static void say(struct doctor *d, enum level lv,
						      const char *what, const char *fmt, ...)
{
	static const char *const words[] = { "ok", "warn", "FAIL" };
	va_list ap;

	if (lv == FAIL)
		d->failed++;
	else if (lv == WARN)
		d->warned++;
	printf("%-5s %-11s ", words[lv], what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* what to do, under the line it is for */
__attribute__((format(printf, 1, 2))) static void fix(const char *fmt, ...)
{
	va_list ap;

	fputs("                  fix: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void check_git(struct doctor *d)
{
	const char *argv[] = { "git", "--version", NULL };
	struct wfm_process_opts o = WFM_PROCESS_OPTS_INIT;
	struct wfm_process_result r;

	o.argv = argv;
	o.flags = WFM_PROCESS_SCRUB_SECRETS;
	o.timeout_ms = 10000;
	if (wfm_process_run(&r, &o) < 0 || r.exit_code != 0) {
		say(d, FAIL, "git", "cannot run 'git --version'");
		fix("install git (Debian: apt install git)");
	} else {
		wfm_buf_rtrim(&r.output);
		say(d, OK, "git", "%s", r.output.ptr);
	}
	wfm_process_result_release(&r);
}

/* 0 with *commit set to HEAD's id; the repository stays open in *repo when it is one */
static int check_repo(struct doctor *d, struct wfm_repo **repo, char *commit)
{
	const char *top;

	if (wfm_repo_open(repo, NULL) < 0) {
		say(d, FAIL, "repository", "%s", wfm_error_last());
		fix("run git wfmigrate inside the git repository it is to work on");
		return -1;
	}
	top = wfm_repo_workdir(*repo);
	if (wfm_repo_resolve_commit(commit, *repo, "HEAD") < 0) {
		say(d, FAIL, "repository", "%s: %s", top ? top : wfm_repo_path(*repo),
		    wfm_error_last());
		fix("a run starts from a commit: commit the code first");
		return -1;
	}
	say(d, OK, "repository", "%s at %.7s", top ? top : wfm_repo_path(*repo), commit);
	return 0;
}

/* node, the harness runtime and a built-in workflow that it checks */
static void check_node(struct doctor *d)
{
	char *script = NULL;
	cJSON *meta = NULL;
	int major, minor;

	if (wfm_harness_node_version(&major, &minor, NULL) < 0) {
		say(d, FAIL, "node", "%s", wfm_error_last());
		fix("install Node.js 18 or later (Debian: apt install nodejs)");
		return;
	}
	if (wfm_datadir_find(&script, "workflows/migrate.js") < 0 ||
	    wfm_harness_check(&meta, script, NULL) < 0) {
		say(d, FAIL, "node", "Node.js %d.%d, but the workflow runtime does not start: %s",
		    major, minor, wfm_error_last());
		fix("reinstall git wfmigrate (its runtime/ and workflows/ belong under "
		    "share/git-wfmigrate), or set WFMIGRATE_DATADIR");
	} else {
		say(d, OK, "node", "Node.js %d.%d runs the built-in workflows (%s)", major, minor,
		    script);
	}
	cJSON_Delete(meta);
	free(script);
}

static void check_grammars(struct doctor *d)
{
	struct wfm_buf bad = WFM_BUF_INIT, good = WFM_BUF_INIT;

	for (int l = WFM_LANG_OTHER + 1; l < WFM_LANG__COUNT; l++) {
		if (wfm_lang_check((enum wfm_lang)l) < 0)
			wfm_buf_addf(&bad, "%s%s", bad.len ? "; " : "", wfm_error_last());
		else
			wfm_buf_addf(&good, "%s%s", good.len ? ", " : "",
				     wfm_lang_name((enum wfm_lang)l));
	}
	if (bad.len) {
		say(d, FAIL, "grammars", "%s", bad.ptr);
		fix("rebuild git wfmigrate against the tree-sitter library it runs with");
	} else {
		say(d, OK, "grammars", "%s", good.ptr);
	}
	wfm_buf_release(&bad);
	wfm_buf_release(&good);
}

/* The provider a run would use, as run resolves it: where it is, whether its key is set. */
static void check_provider(struct doctor *d, struct wfm_repo *repo)
{
	struct wfm_run_config cfg;
	struct wfm_run_config_given given;
	const char *key = NULL;
	const struct wfm_provider *p;

	wfm_run_config_init(&cfg);
	wfm_run_config_given_init(&given);
	if (wfm_run_config_resolve(&cfg, repo, &given) < 0) {
		say(d, FAIL, "provider", "%s", wfm_error_last()); /* it says what to set */
		goto done;
	}
	p = cfg.provider;
	if (!p->has_api) {
		if (wfm_run_config_check(&cfg) < 0) {
			say(d, FAIL, "provider", "%s", wfm_error_last());
			fix("git config wfmigrate.agent-cmd '<cmd>', or set an API key");
		} else {
			say(d, OK, "provider", "exec: agents are '%s'", cfg.agent_cmd);
		}
		goto done;
	}
	if (wfm_run_config_api_key(&key, &cfg) < 0) {
		say(d, FAIL, "provider", "%s", wfm_error_last());
		fix("export %s=<key>", p->key_env);
		goto done;
	}
	/* the key's presence only: never a character of it */
	say(d, OK, "provider", "%s at %s (not contacted), %s %s; models: %s, %s", p->name,
	    cfg.base_url, p->key_env, key ? "is set" : "is not needed there",
	    p->models[WFM_TIER_STRONG], p->models[WFM_TIER_FAST]);
	if (!cfg.budget_tokens && cfg.max_cost <= 0) {
		say(d, WARN, "budget", "none set: a run's spending has no cap");
		fix("git config wfmigrate.budget <tokens> or wfmigrate.max-cost <usd>");
	}
done:
	wfm_run_config_given_release(&given);
	wfm_run_config_release(&cfg);
}

static void check_sandbox(struct doctor *d)
{
	if (wfm_sandbox_available()) {
		say(d, OK, "sandbox",
		    "bubblewrap works: --sandbox bwrap confines agents' commands");
		return;
	}
	say(d, WARN, "sandbox",
	    "bubblewrap is not installed or cannot make its namespaces here: --sandbox bwrap "
	    "is refused");
	fix("apt install bubblewrap (and allow unprivileged user namespaces)");
}

/* Runs argv (stdout and stderr together); 0 with its output, or a line for the doctor. */
static int try_cmd(struct wfm_buf *why, struct wfm_process_result *r, const char *const *argv)
{
	struct wfm_process_opts po = WFM_PROCESS_OPTS_INIT;
	int rc;

	po.argv = argv;
	po.flags = WFM_PROCESS_SCRUB_SECRETS | WFM_PROCESS_SCRUB_GIT;
	po.timeout_ms = 30 * 1000;
	po.output_cap = 4096;
	rc = wfm_process_run(r, &po);
	wfm_buf_rtrim(&r->output);
	if (rc == WFM_ENOTFOUND)
		wfm_buf_addf(why, "%s not found", argv[0]);
	else if (rc < 0)
		wfm_buf_adds(why, wfm_error_last());
	else if (r->exit_code != 0)
		wfm_buf_addf(why, "'%s' failed: %s", argv[0],
			     r->output.len ? r->output.ptr : "no message");
	return why->len ? -1 : 0;
}

/*
 * Where a run's oracle runs happen (docs/executors.md): for slurm, the
 * commands on PATH, the cluster answering and the shared remote readable.
 */
static void check_executor(struct doctor *d, struct wfm_repo *repo)
{
	static const char *const commands[] = { "sbatch", "squeue", "scontrol", "scancel" };
	struct wfm_process_result r = WFM_PROCESS_RESULT_INIT;
	struct wfm_buf why = WFM_BUF_INIT, parts = WFM_BUF_INIT;
	const char *sinfo[] = { "sinfo", "-h", "-o", "%P %a %D", NULL };
	char *name = wfm_setting_get(repo, NULL, "executor");
	char *remote = wfm_setting_get(repo, NULL, "remote");

	if (!name || !strcmp(name, "local")) {
		say(d, OK, "executor", "local: test runs in the worktree pool of this machine");
		goto done;
	}
	if (!wfm_executor_known(name)) {
		say(d, FAIL, "executor", "unknown executor '%s' (known: %s)", name,
		    wfm_executor_names());
		fix("git config wfmigrate.executor local");
		goto done;
	}
	if (!remote || !*remote) {
		say(d, FAIL, "executor", "%s: no shared remote to push the commits to", name);
		fix("git config wfmigrate.remote <a bare repository every node can fetch from>");
		goto done;
	}
	for (size_t i = 0; i < WFM_ARRAY_SIZE(commands); i++) {
		const char *argv[] = { commands[i], "--version", NULL };

		wfm_process_result_release(&r);
		if (try_cmd(&why, &r, argv) < 0) {
			say(d, FAIL, "executor", "%s: %s", name, why.ptr);
			fix("apt install slurm-client (and a SLURM_CONF or /etc/slurm/slurm.conf)");
			goto done;
		}
	}
	wfm_process_result_release(&r);
	if (try_cmd(&why, &r, sinfo) < 0) {
		say(d, FAIL, "executor", "%s: the cluster does not answer: %s", name, why.ptr);
		goto done;
	}
	for (char *p = r.output.ptr; *p; p++)
		wfm_buf_addch(&parts, *p == '\n' ? ',' : *p);
	{
		const char *ls[] = { "git", "ls-remote", "-q", "--heads", remote, NULL };

		wfm_process_result_release(&r);
		if (try_cmd(&why, &r, ls) < 0) {
			say(d, FAIL, "executor", "%s: cannot read the remote '%s': %s", name,
			    remote, why.ptr);
			fix("git init --bare <path on the shared file system>, or a URL the nodes "
			    "reach");
			goto done;
		}
	}
	say(d, OK, "executor", "%s: partitions %s; remote %s (readable)", name, parts.ptr, remote);
done:
	wfm_process_result_release(&r);
	wfm_buf_release(&why);
	wfm_buf_release(&parts);
	free(name);
	free(remote);
}

/* One run of the oracle at HEAD in a pool worktree, as a run's baseline makes it. */
static void check_oracle(struct doctor *d, struct wfm_repo *repo, const char *commit,
			 const char *oracle_opt)
{
	struct wfm_oracle_opts opts = WFM_ORACLE_OPTS_INIT;
	struct wfm_pool_opts pool_opts = WFM_POOL_OPTS_INIT;
	struct wfm_oracle_result r;
	struct wfm_pool *pool = NULL;
	struct wfm_buf b = WFM_BUF_INIT;
	unsigned long timeout = WFM_ORACLE_TIMEOUT_DEFAULT;
	char *command = wfm_setting_get(repo, oracle_opt, "oracle");

	if (!command || !*command) {
		say(d, WARN, "oracle", "none set: runs need --oracle <cmd>");
		fix("git config wfmigrate.oracle '<test command>'");
		goto done;
	}
	if (wfm_setting_get_ulong(&timeout, repo, NULL, "oracle.timeout") < 0 ||
	    wfm_pool_open(&pool, wfm_repo_path(repo), &pool_opts) < 0) {
		say(d, FAIL, "oracle", "%s", wfm_error_last());
		goto done;
	}
	opts.command = command;
	opts.timeout_sec = timeout;
	if (wfm_oracle_run(&r, pool, commit, &opts) < 0) {
		say(d, FAIL, "oracle", "'%s' could not run: %s", command, wfm_error_last());
		wfm_oracle_result_release(&r);
		goto done;
	}
	wfm_buf_addf(&b, "'%s' %s on %.7s in %.1fs (", command, r.pass ? "passed" : "failed",
		     commit, (double)r.proc.duration_ms / 1000.0);
	wfm_oracle_describe_end(&b, &r);
	wfm_buf_addch(&b, ')');
	if (r.pass) {
		say(d, OK, "oracle", "%s", b.ptr);
	} else {
		if (r.excerpt.nr)
			wfm_buf_addf(&b, ": %s", r.excerpt.v[0]);
		say(d, FAIL, "oracle", "%s", b.ptr);
		fix("a run refuses a base its oracle fails on: 'git wfmigrate oracle' shows the "
		    "output");
	}
	wfm_oracle_result_release(&r);
done:
	if (pool)
		wfm_pool_free(pool);
	wfm_buf_release(&b);
	free(command);
}

int cmd_doctor(int argc, const char **argv, struct wfm_cmd_ctx *ctx)
{
	const char *oracle_opt = NULL;
	int no_oracle = 0;
	const struct wfm_option options[] = {
		WFM_OPT_STRING(0, "oracle", &oracle_opt, "cmd",
			       "the test command to try at HEAD (default: wfmigrate.oracle)"),
		WFM_OPT_BOOL(0, "no-oracle", &no_oracle, "do not run the oracle"),
		WFM_OPT_END(),
	};
	struct doctor d = { 0 };
	struct wfm_repo *repo = NULL;
	char commit[WFM_OID_HEXSZ + 1];
	int have_repo;

	(void)ctx;
	if (wfm_parse_options(argc, argv, options, doctor_usage, WFM_PARSE_NO_ARGUMENTS) < 0)
		return WFM_EXIT_USAGE;
	check_git(&d);
	have_repo = check_repo(&d, &repo, commit) == 0;
	check_node(&d);
	check_grammars(&d);
	check_provider(&d, repo);
	check_sandbox(&d);
	check_executor(&d, repo);
	if (no_oracle)
		;
	else if (have_repo)
		check_oracle(&d, repo, commit, oracle_opt);
	else
		say(&d, WARN, "oracle", "not tried: no repository with a commit");
	printf("%u problem%s, %u warning%s\n", d.failed, d.failed == 1 ? "" : "s", d.warned,
	       d.warned == 1 ? "" : "s");
	wfm_repo_free(repo);
	return d.failed ? WFM_EXIT_FAILURE : WFM_EXIT_OK;
}
