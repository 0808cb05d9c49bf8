/* error.h: the per-thread last-error message behind ampcl_last_error(), and OpenCL code names.
 * Library code returns statuses; it never prints or exits. */
#ifndef AMPCL_ERROR_H
#define AMPCL_ERROR_H

#include "ampcl.h"
#include <CL/cl.h>

/* Records the message and returns status, so a failure path reads `return ampcl_error_set(...)`. */
int ampcl_error_set(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prepends context ("loading 'x': ") to the current message and returns status unchanged. */
int ampcl_error_wrap(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *ampcl_cl_error_name(cl_int err);

#endif
