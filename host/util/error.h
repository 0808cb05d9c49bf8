/* error.h: the per-thread last-error message behind ampcl_last_error(), and OpenCL code names.
 * Library code returns statuses; it never prints or exits. */
#ifndef AMPCL_ERROR_H
#define AMPCL_ERROR_H

#include "ampcl.h"
#include <CL/cl.h>

/* ampcl_error_set and ampcl_error_wrap are declared in ampcl.h (public: models and programs use
 * them too). */

const char *ampcl_cl_error_name(cl_int err);

#endif
