/* clock.c: ampcl_now, seconds since an arbitrary start on CLOCK_MONOTONIC. */
#include "clock.h"

#include <time.h>

double ampcl_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
