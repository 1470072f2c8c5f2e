#include "base/common.h"
#include "base/crashpoint.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char armed[64]; /* the point's name; "" when none */
static unsigned long nth = 1;
static atomic_ulong passes;

static void arm(void)
{
	const char *v = getenv("WFM_TEST_CRASH");
	const char *hash;
	size_t len;

	if (!v || !*v)
		return;
	hash = strchr(v, '#');
	len = hash ? (size_t)(hash - v) : strlen(v);
	if (len >= sizeof(armed))
		return;
	memcpy(armed, v, len);
	armed[len] = '\0';
	if (hash && (nth = strtoul(hash + 1, NULL, 10)) == 0)
		nth = 1;
}

void wfm_crashpoint(const char *name)
{
	pthread_once(&once, arm);
	if (!armed[0] || strcmp(armed, name))
		return;
	if (atomic_fetch_add(&passes, 1) + 1 == nth)
		kill(getpid(), SIGKILL);
}
