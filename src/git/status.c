#include "base/common.h"
#include "git/repo_priv.h"
#include "git/status.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int wfm_status_changed(struct wfm_strvec *out, struct wfm_repo *repo)
{
	git_status_options opts;
	git_status_list *list = NULL;
	size_t n, had = out->nr;
	int rc;

	if (git_repository_is_bare(repo->git))
		return 0;
	git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);
	opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	/* no untracked scan, no rename detection, no submodule walks: only what is tracked */
	opts.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	rc = git_status_list_new(&list, repo->git, &opts);
	if (rc < 0)
		return wfm_git_error(rc, "cannot read the status of the working tree");
	n = git_status_list_entrycount(list);
	for (size_t i = 0; i < n; i++) {
		const git_status_entry *e = git_status_byindex(list, i);
		const git_diff_delta *d = e->head_to_index ? e->head_to_index : e->index_to_workdir;
		const char *a, *b;

		if (!d || e->status == GIT_STATUS_CURRENT || (e->status & GIT_STATUS_IGNORED))
			continue;
		a = d->old_file.path;
		b = d->new_file.path;
		if (a)
			wfm_strvec_push(out, a);
		if (b && (!a || strcmp(a, b)))
			wfm_strvec_push(out, b);
	}
	git_status_list_free(list);
	if (out->nr > had)
		qsort(out->v + had, out->nr - had, sizeof(*out->v), cmp_str);
	return 0;
}
