#include "base/common.h"
#include "exec/where.h"

void wfm_exec_tally_add(struct wfm_exec_tally *t, const struct wfm_exec_where *w)
{
	if (!w->executor[0])
		return;
	t->jobs++;
	t->lost += w->lost;
	t->wait_ms += w->queue_ms;
	if (w->queue_ms > t->longest_wait_ms)
		t->longest_wait_ms = w->queue_ms;
}

void wfm_exec_where_describe(struct wfm_buf *out, const struct wfm_exec_where *w)
{
	if (!w->executor[0])
		return;
	wfm_buf_addf(out, "%s job %s", w->executor, w->job[0] ? w->job : "?");
	if (w->node[0])
		wfm_buf_addf(out, " on %s", w->node);
	wfm_buf_addf(out, ", %.1f s queued", (double)w->queue_ms / 1000.0);
	if (w->lost)
		wfm_buf_addf(out, ", after %lu lost (%s)", w->lost, w->lost_states);
}

void wfm_exec_where_to_json(cJSON *obj, const struct wfm_exec_where *w)
{
	cJSON *o;

	if (!w->executor[0])
		return;
	o = wfm_json_object();
	wfm_json_add_str(o, "executor", w->executor);
	wfm_json_add_str(o, "job", w->job);
	wfm_json_add_str(o, "node", w->node);
	wfm_json_add_num(o, "queueMs", (double)w->queue_ms);
	if (w->lost) {
		wfm_json_add_num(o, "lost", (double)w->lost);
		wfm_json_add_str(o, "lostStates", w->lost_states);
	}
	wfm_json_add(obj, "ranOn", o);
}

void wfm_exec_where_from_json(struct wfm_exec_where *out, const cJSON *obj)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(obj, "ranOn");
	double ms;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(o))
		return;
	snprintf(out->executor, sizeof(out->executor), "%s", wfm_json_get_str(o, "executor", ""));
	snprintf(out->job, sizeof(out->job), "%s", wfm_json_get_str(o, "job", ""));
	snprintf(out->node, sizeof(out->node), "%s", wfm_json_get_str(o, "node", ""));
	ms = wfm_json_get_num(o, "queueMs", 0);
	out->queue_ms = ms > 0 ? (uint64_t)ms : 0;
	ms = wfm_json_get_num(o, "lost", 0);
	out->lost = ms > 0 ? (unsigned long)ms : 0;
	snprintf(out->lost_states, sizeof(out->lost_states), "%s",
		 wfm_json_get_str(o, "lostStates", ""));
}
