#include "base/common.h"
#include "oracle/flakiness.h"

#include <math.h>

#define Z95 1.959963984540054

enum wfm_flaky_class wfm_flaky_classify(unsigned long failures, unsigned long runs)
{
	if (!failures || !runs)
		return WFM_FLAKY_STABLE;
	return failures >= runs ? WFM_FLAKY_BROKEN : WFM_FLAKY_FLAKY;
}

const char *wfm_flaky_class_name(enum wfm_flaky_class c)
{
	switch (c) {
	case WFM_FLAKY_FLAKY:
		return "flaky";
	case WFM_FLAKY_BROKEN:
		return "broken";
	case WFM_FLAKY_STABLE:
		break;
	}
	return "stable";
}

void wfm_flaky_interval(double *low, double *high, unsigned long failures, unsigned long runs)
{
	double n = (double)runs, p, z2, denom, center, half;

	if (!runs) {
		*low = 0;
		*high = 1;
		return;
	}
	if (failures > runs)
		failures = runs;
	p = (double)failures / n;
	z2 = Z95 * Z95;
	denom = 1 + z2 / n;
	center = (p + z2 / (2 * n)) / denom;
	half = Z95 * sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom;
	*low = failures ? fmax(0, center - half) : 0;
	*high = failures == runs ? 1 : fmin(1, center + half);
}
