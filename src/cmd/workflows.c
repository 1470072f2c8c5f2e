/*
 * git wfmigrate workflows: the built-in and saved workflows a run can
 * name with --workflow, where each comes from and what it does. A file
 * that does not load is listed with its error.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/json.h"
#include "cmd/cmd.h"
#include "engine/workflow.h"
#include "git/repo.h"
#include "ui/exit.h"
#include "ui/message.h"
#include "ui/options.h"

static const char *const workflows_usage[] = {
	"git wfmigrate workflows [--json]",
	NULL,
};

/* the "source" of --json, one word per place */
static const char *const source_key[] = {
	[WFM_WORKFLOW_CLAUDE] = "claude",
	[WFM_WORKFLOW_WFMIGRATE] = "wfmigrate",
	[WFM_WORKFLOW_HOME] = "home",
	[WFM_WORKFLOW_BUILTIN] = "builtin",
};

static void print_json(const struct wfm_workflow_info *w, size_t nr)
{
	cJSON *arr = wfm_json_array();
	struct wfm_buf b = WFM_BUF_INIT;

	for (size_t i = 0; i < nr; i++) {
		cJSON *o = wfm_json_object();

		wfm_json_add_str(o, "name", w[i].name);
		wfm_json_add_str(o, "source", source_key[w[i].place]);
		wfm_json_add_str(o, "path", w[i].path);
		if (w[i].description)
			wfm_json_add_str(o, "description", w[i].description);
		else
			wfm_json_add_null(o, "description");
		if (w[i].error)
			wfm_json_add_str(o, "error", w[i].error);
		else
			wfm_json_add_null(o, "error");
		wfm_json_add_bool(o, "shadowed", w[i].shadowed);
		wfm_json_add(arr, NULL, o);
	}
	wfm_json_print(&b, arr);
	printf("%s\n", b.ptr);
	cJSON_Delete(arr);
	wfm_buf_release(&b);
}

static void print_table(const struct wfm_workflow_info *w, size_t nr)
{
	int namew = 4, srcw = 6;

	for (size_t i = 0; i < nr; i++) {
		if ((int)strlen(w[i].name) > namew)
			namew = (int)strlen(w[i].name);
		if ((int)strlen(wfm_workflow_place_name(w[i].place)) > srcw)
			srcw = (int)strlen(wfm_workflow_place_name(w[i].place));
	}
	printf("%-*s  %-*s  %s\n", namew, "NAME", srcw, "SOURCE", "DESCRIPTION");
	for (size_t i = 0; i < nr; i++) {
		printf("%-*s  %-*s  ", namew, w[i].name, srcw, wfm_workflow_place_name(w[i].place));
		if (w[i].error)
			printf("error: %s", w[i].error);
		else
			printf("%s", w[i].description ? w[i].description : "-");
		if (w[i].shadowed)
			printf(" (shadowed: a file of the same name above is found first)");
		if (w[i].error || w[i].place != WFM_WORKFLOW_BUILTIN)
			printf(" [%s]", w[i].path);
		putchar('\n');
	}
}

int cmd_workflows(int argc, const char **argv, struct wfm_cmd_ctx *ctx)
{
	(void)ctx; /* no repository needed: opened here when there is one */
	struct wfm_workflow_where where = WFM_WORKFLOW_WHERE_INIT;
	struct wfm_workflow_info *list = NULL;
	struct wfm_repo *repo = NULL;
	size_t nr = 0;
	int json = 0, rc;
	const struct wfm_option options[] = {
		WFM_OPT_BOOL(0, "json", &json, "print a JSON array of workflows"),
		WFM_OPT_END(),
	};

	argc = wfm_parse_options(argc, argv, options, workflows_usage, WFM_PARSE_NO_ARGUMENTS);
	if (argc < 0)
		return WFM_EXIT_USAGE;
	/* outside a repository: the home's and the built-in ones */
	if (wfm_repo_open(&repo, NULL) == 0)
		where.top = wfm_repo_workdir(repo);
	where.home = getenv("HOME");
	if ((rc = wfm_workflow_list(&list, &nr, &where)) < 0) {
		wfm_repo_free(repo);
		return wfm_ui_error_lib(rc);
	}
	if (json)
		print_json(list, nr);
	else if (!nr)
		fprintf(stderr, "no workflows: none built in with this install, none saved\n");
	else
		print_table(list, nr);
	wfm_workflow_info_free(list, nr);
	wfm_repo_free(repo);
	return WFM_EXIT_OK;
}
