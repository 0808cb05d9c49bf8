/* report_alloc.h: the report's one allocation, shared by the renderer and the reports: the
 * report links the public library alone, so it aborts on exhaustion as ampcl's own does. */
#ifndef AMPCL_REPORT_ALLOC_H
#define AMPCL_REPORT_ALLOC_H

#include <stdlib.h>

static inline void *report_alloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		abort();
	return p;
}

#endif
