#include "support/test.h"
#include "support/fakellm.h"
#include "base/buf.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

/* the servers started and not stopped, for wfm_test_fake_stop_all() */
static pid_t live[8];

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void wfm_test_fake_start(struct wfm_test_fake *f, const char *scenario)
{
	const char *src = getenv("WFM_SOURCE_DIR");
	char server[4096], scen[4096], portfile[4096];
	uint64_t until = now_ms() + 15000;

	if (!src || !*src)
		src = WFM_SOURCE_DIR;
	memset(f, 0, sizeof(*f));
	f->dir = wfm_test_tmpdir();
	snprintf(server, sizeof(server), "%s/tests/fakellm/server.mjs", src);
	snprintf(scen, sizeof(scen), "%s/scenario.json", f->dir);
	snprintf(portfile, sizeof(portfile), "%s/port", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/log.jsonl", f->dir);
	wfm_test_write(f->dir, "scenario.json", scenario ? scenario : "{}");
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (!f->pid) {
		int null = open("/dev/null", O_WRONLY);

		/* a failed test must not leave the server behind holding its pipes */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(null, 1);
		dup2(null, 2);
		execlp("node", "node", server, "--scenario", scen, "--port-file", portfile, "--log",
		       f->log, "--key", WFM_TEST_FAKE_KEY, (char *)NULL);
		_exit(127);
	}
	while (now_ms() < until) {
		FILE *fp = fopen(portfile, "r");

		if (fp) {
			if (fscanf(fp, "%d", &f->port) != 1)
				f->port = 0;
			fclose(fp);
			if (f->port)
				break;
		}
		if (waitpid(f->pid, NULL, WNOHANG) == f->pid) {
			f->pid = 0;
			fail_msg("the fake server exited at start (scenario %s)", scenario);
		}
		usleep(20 * 1000);
	}
	if (!f->port)
		fail_msg("the fake server did not start");
	for (size_t i = 0; i < WFM_ARRAY_SIZE(live); i++)
		if (!live[i]) {
			live[i] = f->pid;
			break;
		}
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d", f->port);
	snprintf(f->oa_url, sizeof(f->oa_url), "http://127.0.0.1:%d/v1", f->port);
}

static void forget(pid_t pid)
{
	for (size_t i = 0; i < WFM_ARRAY_SIZE(live); i++)
		if (live[i] == pid)
			live[i] = 0;
}

void wfm_test_fake_stop_all(void)
{
	for (size_t i = 0; i < WFM_ARRAY_SIZE(live); i++)
		if (live[i] > 0) {
			kill(live[i], SIGTERM);
			waitpid(live[i], NULL, 0);
			live[i] = 0;
		}
}

void wfm_test_fake_stop(struct wfm_test_fake *f)
{
	forget(f->pid);
	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		waitpid(f->pid, NULL, 0);
	}
	f->pid = 0;
	if (f->dir)
		wfm_test_rmtree(f->dir);
	free(f->dir);
	f->dir = NULL;
}

cJSON *wfm_test_fake_log(const struct wfm_test_fake *f)
{
	cJSON *all = cJSON_CreateArray();
	FILE *fp = fopen(f->log, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while (fp && (n = getline(&line, &cap, fp)) > 0) {
		cJSON *e = cJSON_ParseWithLength(line, (size_t)n);

		if (!e)
			fail_msg("a line of the fake's log is not JSON: %.80s", line);
		cJSON_AddItemToArray(all, e);
	}
	free(line);
	if (fp)
		fclose(fp);
	return all;
}
