#ifndef WFM_UI_PAGER_H
#define WFM_UI_PAGER_H

/*
 * Standard output through a pager, as git does: only when it is a
 * terminal, the program from GIT_PAGER, else PAGER, else "less" (with
 * LESS=FRX unless LESS is set, so a short text is printed and left);
 * an empty value or "cat" means none. wfm_ui_pager_start() is a no-op
 * otherwise or when the pager cannot be started; wfm_ui_pager_finish()
 * flushes standard output and waits for the pager to exit.
 */
void wfm_ui_pager_start(void);
void wfm_ui_pager_finish(void);

#endif
