#ifndef WFM_UI_INTERRUPT_H
#define WFM_UI_INTERRUPT_H

#include <signal.h>

/*
 * Ctrl-C for the commands that run the oracle themselves (oracle, flaky):
 * between wfm_ui_interrupt_catch() and wfm_ui_interrupt_restore(),
 * SIGINT, SIGTERM and SIGHUP only set wfm_ui_interrupted to the signal's
 * number, without SA_RESTART so that a wait is cut short; pass its address
 * as the runs' cancel flag (oracle/oracle.h), which kills their command's
 * group, and exit 128 + its value. One command at a time: the flag is a
 * global.
 */
extern volatile sig_atomic_t wfm_ui_interrupted;

#define WFM_UI_INTERRUPT_SIGNALS 3

/* Clears the flag and installs the handlers; old keeps what was there. */
void wfm_ui_interrupt_catch(struct sigaction old[WFM_UI_INTERRUPT_SIGNALS]);

/* Puts back what wfm_ui_interrupt_catch() found. */
void wfm_ui_interrupt_restore(const struct sigaction old[WFM_UI_INTERRUPT_SIGNALS]);

#endif
