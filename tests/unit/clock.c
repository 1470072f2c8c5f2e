#include "support/test.h"
#include "base/clock.h"

#include <pthread.h>
#include <time.h>

static void test_clock__mono_moves_forward(void **state)
{
	uint64_t t0 = wfm_clock_mono_ms(), t1;

	(void)state;
	usleep(20 * 1000);
	t1 = wfm_clock_mono_ms();
	assert_true(t1 >= t0 + 20);
	assert_true(t1 < t0 + 10000);
}

static void test_clock__wall_is_the_date(void **state)
{
	uint64_t ms = wfm_clock_wall_ms();
	uint64_t secs = (uint64_t)time(NULL);

	(void)state;
	/* after 2020-01-01, and within a second or two of time() */
	assert_true(ms > 1577836800000ULL);
	assert_true(ms / 1000 + 2 >= secs && ms / 1000 <= secs + 2);
}

static void test_clock__deadline_normalised(void **state)
{
	struct timespec now, d;

	(void)state;
	for (unsigned long ms = 0; ms < 3000; ms += 333) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		wfm_clock_deadline(&d, ms);
		assert_true(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
		int64_t diff = ((int64_t)d.tv_sec - now.tv_sec) * 1000 +
			       ((int64_t)d.tv_nsec - now.tv_nsec) / 1000000;
		assert_true(diff >= (int64_t)ms - 1 && diff <= (int64_t)ms + 50);
	}
}

static void test_clock__cond_waits_until_the_deadline(void **state)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv;
	struct timespec until;
	uint64_t t0;
	int rc;

	(void)state;
	wfm_clock_cond_init(&cv);
	pthread_mutex_lock(&mu);
	t0 = wfm_clock_mono_ms();
	wfm_clock_deadline(&until, 50);
	do
		rc = pthread_cond_timedwait(&cv, &mu, &until);
	while (rc == 0);
	pthread_mutex_unlock(&mu);
	assert_int_equal(rc, ETIMEDOUT);
	assert_true(wfm_clock_mono_ms() - t0 >= 49);
	assert_true(wfm_clock_mono_ms() - t0 < 5000);
	pthread_cond_destroy(&cv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clock__mono_moves_forward),
		cmocka_unit_test(test_clock__wall_is_the_date),
		cmocka_unit_test(test_clock__deadline_normalised),
		cmocka_unit_test(test_clock__cond_waits_until_the_deadline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
