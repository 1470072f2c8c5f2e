#ifndef WFM_TEST_FAKELLM_H
#define WFM_TEST_FAKELLM_H

/*
 * tests/fakellm/server.mjs for the unit tests: started on a random
 * loopback port with a scenario (JSON text) and a request log, stopped
 * and removed by wfm_test_fake_stop(). tests/fakellm/README.md has the
 * scenario format.
 */
#include <sys/types.h>

#include "base/json.h"

#define WFM_TEST_FAKE_KEY "test-key-0123456789"

struct wfm_test_fake {
	pid_t pid;
	int port;
	char *dir;
	char url[128];	  /* Anthropic base URL */
	char oa_url[128]; /* OpenAI base URL (with /v1) */
	char log[4096];	  /* the request log, JSON lines */
};

void wfm_test_fake_start(struct wfm_test_fake *f, const char *scenario);
void wfm_test_fake_stop(struct wfm_test_fake *f);
/* Stops every server still running (a teardown: a failed test skips its own stop). */
void wfm_test_fake_stop_all(void);

/* The request log so far, as an array of its entries (cJSON_Delete()). */
cJSON *wfm_test_fake_log(const struct wfm_test_fake *f);

#endif
