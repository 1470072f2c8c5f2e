#include "base/common.h"
#include "base/buf.h"
#include "base/json.h"
#include "engine/estimate.h"
#include "ui/pilot.h"
#include "ui/status.h"

int wfm_ui_pilot_stopped(const cJSON *report)
{
	const char *status = wfm_json_get_str(report, "status", "");
	const char *why = wfm_json_get_str(report, "stopReason", "");

	return !strcmp(status, "stopped") && !strcmp(why, "pilot");
}

void wfm_ui_pilot_print(FILE *out, const cJSON *report, int metered)
{
	const cJSON *units = cJSON_GetObjectItemCaseSensitive(report, "units"), *u;
	const cJSON *totals = cJSON_GetObjectItemCaseSensitive(report, "totals");
	struct wfm_estimate_measured m;
	struct wfm_buf b = WFM_BUF_INIT;
	int width = 0;

	if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(report, "pilot")))
		return;
	if (wfm_estimate_measure(&m, report) < 0) {
		fprintf(out, "pilot: no unit was started\n");
		return;
	}
	fprintf(out,
		"pilot: %lu unit%s started: %.0f merged, %.0f rejected, %.0f failed, %.0f "
		"skipped; %lu pending\n",
		m.measured, m.measured == 1 ? "" : "s", wfm_json_get_num(totals, "merged", 0),
		wfm_json_get_num(totals, "rejected", 0), wfm_json_get_num(totals, "failed", 0),
		wfm_json_get_num(totals, "skipped", 0), m.left);
	cJSON_ArrayForEach (u, units) {
		int n = (int)strlen(wfm_json_get_str(u, "id", ""));

		if (wfm_json_get_num(u, "agents", 0) > 0 && n > width)
			width = n;
	}
	cJSON_ArrayForEach (u, units) {
		double agents = wfm_json_get_num(u, "agents", 0);

		if (!(agents > 0))
			continue;
		fprintf(out, "  %-*s  %-8s  %.0f agent%s", width, wfm_json_get_str(u, "id", ""),
			wfm_json_get_str(u, "status", "?"), agents, agents == 1 ? "" : "s");
		if (metered)
			fprintf(out, "  %.0f tokens  $%.4f", wfm_json_get_num(u, "tokens", 0),
				wfm_json_get_num(u, "costUsd", 0));
		fprintf(out, "\n");
	}
	wfm_buf_addf(&b, "all %lu units, extrapolated from the pilot's: %lu", m.measured + m.left,
		     m.agents_low);
	if (m.agents_high != m.agents_low)
		wfm_buf_addf(&b, "-%lu", m.agents_high);
	wfm_buf_adds(&b, " agents");
	if (metered) {
		wfm_buf_adds(&b, ", ");
		wfm_ui_add_tokens(&b, m.tokens_low);
		wfm_buf_adds(&b, "-");
		wfm_ui_add_tokens(&b, m.tokens_high);
		wfm_buf_addf(&b, " tokens, $%.2f-$%.2f", m.usd_low, m.usd_high);
	} else {
		wfm_buf_adds(&b, " (tokens and cost not metered: exec agents)");
	}
	fprintf(out, "%s\n", b.ptr);
	fprintf(out, "  (each unit left as the cheapest to the dearest of the pilot's: %lu",
		m.unit_agents_low);
	if (m.unit_agents_high != m.unit_agents_low)
		fprintf(out, "-%lu", m.unit_agents_high);
	fprintf(out, " agents");
	if (metered) {
		wfm_buf_clear(&b);
		wfm_ui_add_tokens(&b, m.unit_tokens_low);
		wfm_buf_adds(&b, "-");
		wfm_ui_add_tokens(&b, m.unit_tokens_high);
		fprintf(out, ", %s tokens, $%.4f-$%.4f", b.ptr, m.unit_usd_low, m.unit_usd_high);
	}
	fprintf(out, " per unit; %lu left)\n", m.left);
	wfm_buf_release(&b);
}
