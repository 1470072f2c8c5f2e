#ifndef WFM_UI_STATUS_H
#define WFM_UI_STATUS_H

#include <stdint.h>

struct wfm_buf;

/*
 * How ps, watch, the approval card and a pilot's figures write a run's
 * figures for people: short enough for a column.
 */

/* "950", "12.3k", "20k", "509k", "4.56M", "2M" */
void wfm_ui_add_tokens(struct wfm_buf *out, uint64_t tokens);
/* "$0.42", "$12.50" */
void wfm_ui_add_usd(struct wfm_buf *out, double usd);
/* an age or a duration: "12s", "5m", "3h", "2d" */
void wfm_ui_add_age(struct wfm_buf *out, uint64_t ms);
/* a clock: "4:07", "1:02:33" */
void wfm_ui_add_clock(struct wfm_buf *out, uint64_t ms);

#endif
