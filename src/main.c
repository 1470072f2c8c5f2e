/*
 * git-wfmigrate: the command table and the set-up every command shares.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/levenshtein.h"
#include "cmd/cmd.h"
#include "git/repo.h"
#include "llm/client.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/options.h"

enum {
	WFM_NEED_REPO = 1 << 0, /* open the repository around the current directory */
};

struct command {
	const char *name;
	int (*fn)(int argc, const char **argv, struct wfm_cmd_ctx *ctx);
	unsigned flags;
	const char *summary;
};

static const struct command commands[] = {
	{ "apply", cmd_apply, WFM_NEED_REPO, "bring a run's result to the current branch" },
	{ "chunk", cmd_chunk, WFM_NEED_REPO, "split tracked files into units with tree-sitter" },
	{ "clean", cmd_clean, WFM_NEED_REPO, "remove pool worktrees and branches no run needs" },
	{ "doctor", cmd_doctor, 0, "check that this machine and repository can run workflows" },
	{ "export", cmd_export, WFM_NEED_REPO,
	  "write a run's or a workflow's script, SKILL.md and rubrics" },
	{ "hooks", cmd_hooks, WFM_NEED_REPO,
	  "install the git hooks that sweep what is pushed or merged" },
	{ "flaky", cmd_flaky, WFM_NEED_REPO,
	  "find flaky tests by rerunning the test command; --fix hunts fixes" },
	{ "log", cmd_log, WFM_NEED_REPO, "show a run's events or one agent's transcript" },
	{ "oracle", cmd_oracle, WFM_NEED_REPO, "run the test command in a pool worktree" },
	{ "pause", cmd_pause, WFM_NEED_REPO, "pause a run: no new agents start" },
	{ "plan", cmd_plan, WFM_NEED_REPO,
	  "write the harness for a goal and show its card, not run" },
	{ "ps", cmd_ps, WFM_NEED_REPO, "list the runs of this repository" },
	{ "report", cmd_report, WFM_NEED_REPO,
	  "print a run's report, with tokens and USD per unit" },
	{ "resume", cmd_resume, WFM_NEED_REPO, "go on with a paused, stopped or crashed run" },
	{ "run", cmd_run, WFM_NEED_REPO, "run a workflow (the default command)" },
	{ "stop", cmd_stop, WFM_NEED_REPO, "stop a run (resume starts it again)" },
	{ "sweep", cmd_sweep, WFM_NEED_REPO,
	  "review what a branch changes for vulnerabilities; markdown, JSON, SARIF" },
	{ "version", cmd_version, 0, "print the version" },
	{ "watch", cmd_watch, WFM_NEED_REPO,
	  "follow a run live: phases, agents, merge queue, budget" },

	{ "workflows", cmd_workflows, 0, "list the built-in and saved workflows" },
};

static const char *const main_usage[] = {
	"git wfmigrate [--version] [-h] <command> [<args>]",
	"git wfmigrate [run] [<options>] [<goal>...]",
	NULL,
};

static void print_commands(FILE *out)
{
	wfm_usage_print(out, main_usage, NULL);
	fprintf(out, "\ncommands:\n");
	for (size_t i = 0; i < WFM_ARRAY_SIZE(commands); i++)
		fprintf(out, "    %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'git wfmigrate <command> -h' describes a command's options.\n");
}

int cmd_version(int argc, const char **argv, struct wfm_cmd_ctx *ctx)
{
	printf("git-wfmigrate version %s\n", WFM_VERSION);
	return WFM_EXIT_OK;
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < WFM_ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* "'x' is not a git wfmigrate command", and the most similar ones, as git says it */
static int unknown_command(const char *name)
{
	const char *names[WFM_ARRAY_SIZE(commands) + 1];
	struct wfm_buf hint = WFM_BUF_INIT;

	for (size_t i = 0; i < WFM_ARRAY_SIZE(commands); i++)
		names[i] = commands[i].name;
	names[WFM_ARRAY_SIZE(commands)] = NULL;
	wfm_ui_error("'%s' is not a git wfmigrate command. See 'git wfmigrate -h'.", name);
	if (wfm_similar_hint(&hint, name, names, NULL))
		wfm_ui_hint("%s", hint.ptr);
	wfm_buf_release(&hint);
	return WFM_EXIT_USAGE;
}

/* Whether the command line asks for help, which needs no repository. */
static int wants_help(int argc, const char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	return 0;
}

static int run_command(const struct command *cmd, int argc, const char **argv)
{
	struct wfm_cmd_ctx ctx = { 0 };
	int ret;

	if ((cmd->flags & WFM_NEED_REPO) && !wants_help(argc, argv)) {
		int rc = wfm_repo_open(&ctx.repo, NULL);
		if (rc < 0)
			return wfm_ui_error_lib(rc);
	}
	ret = cmd->fn(argc, argv, &ctx);
	wfm_repo_free(ctx.repo);
	return ret;
}

int main(int argc, const char **argv)
{
	const struct command *cmd;
	int ret;

	if (argc < 2) {
		print_commands(stderr);
		return WFM_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))
		return cmd_version(argc - 1, argv + 1, NULL);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		print_commands(stdout);
		return WFM_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help")) {
		if (argc < 3) {
			print_commands(stdout);
			return WFM_EXIT_OK;
		}
		cmd = find_command(argv[2]);
		if (!cmd)
			return unknown_command(argv[2]);
		const char *hargv[] = { cmd->name, "-h", NULL };
		return cmd->fn(2, hargv, &(struct wfm_cmd_ctx){ 0 }) == WFM_EXIT_USAGE
			       ? WFM_EXIT_OK
			       : WFM_EXIT_FATAL;
	}
	/*
	 * run is the default command: `git wfmigrate --oracle ... "<goal>"`.
	 * A first word that is neither an option, a command nor a goal with
	 * spaces is more likely a mistyped command than a one-word goal.
	 */
	cmd = find_command(argv[1]);
	if (!cmd && (argv[1][0] == '-' || strchr(argv[1], ' '))) {
		cmd = find_command("run");
		argc++;
		argv--; /* argv[0] stands for the command's name */
	} else if (!cmd) {
		return unknown_command(argv[1]);
	}
	if ((ret = wfm_git_init()) < 0)
		return wfm_ui_error_lib(ret);
	/* libcurl's global state, once and before any thread */
	if ((ret = wfm_llm_global_init()) < 0) {
		ret = wfm_ui_error_lib(ret);
		wfm_git_shutdown();
		return ret;
	}
	ret = run_command(cmd, argc - 1, argv + 1);
	wfm_llm_global_cleanup();
	wfm_git_shutdown();
	fflush(stdout);
	if (ferror(stdout)) {
		wfm_ui_fatal("cannot write to standard output");
		return WFM_EXIT_FATAL;
	}
	return ret;
}
