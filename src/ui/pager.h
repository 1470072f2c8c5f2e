#ifndef WFM_UI_PAGER_H
#define WFM_UI_PAGER_H

/*
 * The programs git runs for people, chosen as git chooses them, and
 * standard output through the pager.
 */
struct wfm_repo;

/*
 * The pager: GIT_PAGER, else core.pager, else PAGER, else "less"; the
 * editor: GIT_EDITOR, else core.editor, else VISUAL, else EDITOR, else
 * "vi". repo may be NULL (no git config). A new string; free().
 */
char *wfm_ui_pager_program(struct wfm_repo *repo);
char *wfm_ui_editor_program(struct wfm_repo *repo);

/* LESS=FRX unless LESS is set, as git does: a short text is printed and left. */
void wfm_ui_pager_env(void);

/*
 * Standard output through the pager, only when it is a terminal; an
 * empty value or "cat" means none. wfm_ui_pager_start() is a no-op
 * otherwise or when the pager cannot be started; wfm_ui_pager_finish()
 * flushes standard output and waits for the pager to exit.
 */
void wfm_ui_pager_start(struct wfm_repo *repo);
void wfm_ui_pager_finish(void);

#endif
