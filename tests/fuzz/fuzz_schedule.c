/* fuzz_schedule.c: the --schedule reader on any bytes: phases within their bounds, or an error. */
#include "fuzz_util.h"
#include "schedule.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ampcl_phases p;
	if (ampcl_phases_read(fuzz_write("schedule.txt", data, size), &p) == AMPCL_OK &&
	    (p.n < 1 || ampcl_phases_epochs(&p) > 100000))
		abort(); /* accepted, yet out of the documented bounds */
	return 0;
}
