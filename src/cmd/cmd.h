#ifndef WFM_CMD_CMD_H
#define WFM_CMD_CMD_H

/*
 * The subcommands. Each lives in src/cmd/<name>.c and is listed in the
 * table in src/main.c. main.c does the shared set-up (libgit2, the
 * repository for commands flagged WFM_NEED_REPO) and hands it over in ctx.
 */
struct wfm_repo;

struct wfm_cmd_ctx {
	struct wfm_repo *repo; /* NULL unless the command is flagged WFM_NEED_REPO */
};

int cmd_apply(int argc, const char **argv, struct wfm_cmd_ctx *ctx);
int cmd_chunk(int argc, const char **argv, struct wfm_cmd_ctx *ctx);
int cmd_clean(int argc, const char **argv, struct wfm_cmd_ctx *ctx);
int cmd_doctor(int argc, const char **argv, struct wfm_cmd_ctx *ctx);
int cmd_export(int argc, const char **argv, struct wfm_cmd_ctx *ctx);
int cmd_hooks(int argc, const char **argv, struct wfm_cmd_ctx *ctx);
int cmd_flaky(int argc, const char **argv, struct wfm_cmd_ctx *ctx);
int cmd_log(int argc, const char **argv, struct wfm_cmd_ctx *ctx);
int cmd_oracle(int argc, const char **argv, struct wfm_cmd_ctx *ctx);
int cmd_pause(int argc, const char **argv, struct wfm_cmd_ctx *ctx);
int cmd_plan(int argc, const char **argv, struct wfm_cmd_ctx *ctx);
int cmd_ps(int argc, const char **argv, struct wfm_cmd_ctx *ctx);
int cmd_report(int argc, const char **argv, struct wfm_cmd_ctx *ctx);
int cmd_resume(int argc, const char **argv, struct wfm_cmd_ctx *ctx);
int cmd_run(int argc, const char **argv, struct wfm_cmd_ctx *ctx);
int cmd_stop(int argc, const char **argv, struct wfm_cmd_ctx *ctx);
int cmd_sweep(int argc, const char **argv, struct wfm_cmd_ctx *ctx);
int cmd_version(int argc, const char **argv, struct wfm_cmd_ctx *ctx);
int cmd_watch(int argc, const char **argv, struct wfm_cmd_ctx *ctx);

int cmd_workflows(int argc, const char **argv, struct wfm_cmd_ctx *ctx);

#endif
