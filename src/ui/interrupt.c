#include "base/common.h"
#include "ui/interrupt.h"

volatile sig_atomic_t wfm_ui_interrupted;

static const int caught[WFM_UI_INTERRUPT_SIGNALS] = { SIGINT, SIGTERM, SIGHUP };

static void on_signal(int sig)
{
	wfm_ui_interrupted = sig;
}

void wfm_ui_interrupt_catch(struct sigaction old[WFM_UI_INTERRUPT_SIGNALS])
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	wfm_ui_interrupted = 0;
	for (size_t i = 0; i < WFM_UI_INTERRUPT_SIGNALS; i++)
		sigaction(caught[i], &sa, &old[i]);
}

void wfm_ui_interrupt_restore(const struct sigaction old[WFM_UI_INTERRUPT_SIGNALS])
{
	for (size_t i = 0; i < WFM_UI_INTERRUPT_SIGNALS; i++)
		sigaction(caught[i], &old[i], NULL);
}
