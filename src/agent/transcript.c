#include "base/common.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/process.h"
#include "agent/transcript.h"

#include <fcntl.h>

extern char **environ;

void wfm_transcript_redact(struct wfm_buf *line)
{
	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		size_t n;
		char *hit;

		if (!eq || !wfm_process_secret_var(*e))
			continue;
		n = strlen(eq + 1);
		if (n < 8) /* too short to be a key, and would blot out ordinary words */
			continue;
		while ((hit = strstr(line->ptr, eq + 1))) {
			struct wfm_buf fixed = WFM_BUF_INIT;

			wfm_buf_add(&fixed, line->ptr, (size_t)(hit - line->ptr));
			wfm_buf_adds(&fixed, "[redacted]");
			wfm_buf_adds(&fixed, hit + n);
			wfm_buf_release(line);
			*line = fixed;
		}
	}
}

static void open_file(struct wfm_transcript *t)
{
	int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;

	t->fd = open(t->path, flags, 0600);
	if (t->fd < 0 && errno == ENOENT) {
		char *dir = wfm_fs_dirname(t->path);

		wfm_fs_mkdir_p(dir);
		free(dir);
		t->fd = open(t->path, flags, 0600);
	}
}

void wfm_transcript_add(struct wfm_transcript *t, cJSON *record)
{
	struct wfm_buf line = WFM_BUF_INIT;

	if (!t->path) {
		cJSON_Delete(record);
		return;
	}
	/* when, for `git wfmigrate log` (the records' order is the file's) */
	if (!cJSON_HasObjectItem(record, "ts"))
		wfm_json_add_num(record, "ts", (double)wfm_clock_wall_ms());
	wfm_json_print(&line, record);
	cJSON_Delete(record);
	wfm_transcript_redact(&line);
	wfm_buf_addch(&line, '\n');
	if (t->fd < 0)
		open_file(t);
	/* one write per record: O_APPEND keeps records whole; errors: see the header */
	if (t->fd >= 0)
		(void)wfm_fs_write_all(t->fd, line.ptr, line.len);
	wfm_buf_release(&line);
}

void wfm_transcript_close(struct wfm_transcript *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}
