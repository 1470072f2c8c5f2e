#ifndef WFM_ORACLE_FLAKINESS_H
#define WFM_ORACLE_FLAKINESS_H

/*
 * How flaky a test is, from how often it failed in runs at one commit
 * (docs/flaky.md, "Statistics"): its class, and a 95% confidence
 * interval for its failure rate.
 */
enum wfm_flaky_class {
	WFM_FLAKY_STABLE = 0, /* passed every run */
	WFM_FLAKY_FLAKY,      /* passed and failed at the same commit */
	WFM_FLAKY_BROKEN,     /* failed every run */
};

/* failures of runs; runs 0 is stable (nothing failed) */
enum wfm_flaky_class wfm_flaky_classify(unsigned long failures, unsigned long runs);

/* "stable", "flaky", "broken" */
const char *wfm_flaky_class_name(enum wfm_flaky_class c);

/*
 * The Wilson score interval at 95% (z = 1.959964) for a failure rate of
 * failures out of runs: [*low, *high] within [0, 1]. Chosen over
 * Clopper-Pearson because it needs no beta quantiles, is not as
 * conservative at the small run counts a hunt uses, and still never
 * collapses to a point at 0 or n failures (0 of 20 gives [0, 0.161]).
 * runs 0 gives [0, 1].
 */
void wfm_flaky_interval(double *low, double *high, unsigned long failures, unsigned long runs);

#endif
