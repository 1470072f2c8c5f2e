#include "base/common.h"
#include "cmd/cmd.h"
#include "ui/exit.h"
#include "ui/message.h"

int cmd_chunk(int argc, const char **argv, struct wfm_cmd_ctx *ctx)
{
	wfm_ui_error("'chunk' is being written");
	return WFM_EXIT_FATAL;
}
