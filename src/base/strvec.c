#include "base/common.h"
#include "base/strvec.h"

void wfm_strvec_push_nodup(struct wfm_strvec *sv, char *s)
{
	WFM_ALLOC_GROW(sv->v, sv->nr + 2, sv->alloc);
	sv->v[sv->nr++] = s;
	sv->v[sv->nr] = NULL;
}

void wfm_strvec_push(struct wfm_strvec *sv, const char *s)
{
	wfm_strvec_push_nodup(sv, wfm_strdup(s));
}

void wfm_strvec_clear(struct wfm_strvec *sv)
{
	for (size_t i = 0; i < sv->nr; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->nr = sv->alloc = 0;
}
