/* clock.h: ampcl's one clock: seconds on the monotonic clock, for throughput, ETA, data-wait and
 * build times (never the wall clock, which can jump). */
#ifndef AMPCL_CLOCK_H
#define AMPCL_CLOCK_H

double ampcl_now(void);

#endif
