#ifndef WFM_BASE_CLOCK_H
#define WFM_BASE_CLOCK_H

/*
 * Clocks. Durations, deadlines and timeouts are measured on the
 * monotonic clock, which never jumps when the system time is set; the
 * wall clock is read only for timestamps that people or other programs
 * read as dates (a report's "started", a journal entry's "ts", a run
 * id). A condition variable waited on with a deadline is made with
 * wfm_clock_cond_init() and given a deadline from wfm_clock_deadline(),
 * both on the monotonic clock.
 *
 * Nothing here fails: clock_gettime() on these clocks cannot fail on
 * Linux.
 */
#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* Milliseconds on the monotonic clock, from an unspecified start: subtract two readings. */
uint64_t wfm_clock_mono_ms(void);

/* Milliseconds since the Unix epoch on the wall clock: for timestamps only. */
uint64_t wfm_clock_wall_ms(void);

/* *out is the monotonic time ms milliseconds from now, for pthread_cond_timedwait(). */
void wfm_clock_deadline(struct timespec *out, unsigned long ms);

/*
 * Initialises *cv (release with pthread_cond_destroy()) to measure
 * pthread_cond_timedwait() deadlines on the monotonic clock.
 */
void wfm_clock_cond_init(pthread_cond_t *cv);

#endif
