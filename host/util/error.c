/* error.c: keeps the last failure's message per thread (any length: build logs are long)
 * and names OpenCL's error codes. */
#include "error.h"
#include "alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char *last_message;

static char *format_message(const char *fmt, va_list ap)
{
	va_list copy;
	va_copy(copy, ap);
	int len = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (len < 0)
		len = 0;
	char *msg = ampcl_xmalloc((size_t)len + 1);
	vsnprintf(msg, (size_t)len + 1, fmt, ap);
	return msg;
}

AMPCL_API ampcl_status ampcl_error_set(ampcl_status status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = format_message(fmt, ap);
	va_end(ap);
	free(last_message);
	last_message = msg;
	return status;
}

AMPCL_API ampcl_status ampcl_error_wrap(ampcl_status status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *prefix = format_message(fmt, ap);
	va_end(ap);
	const char *old = last_message ? last_message : "";
	size_t len = strlen(prefix) + strlen(old) + 1;
	char *msg = ampcl_xmalloc(len);
	snprintf(msg, len, "%s%s", prefix, old);
	free(prefix);
	free(last_message);
	last_message = msg;
	return status;
}

const char *ampcl_last_error(void)
{
	return last_message ? last_message : "";
}

const char *ampcl_cl_error_name(cl_int err)
{
	switch (err) {
#define NAME(code)                                                                                 \
	case code:                                                                                 \
		return #code;
		NAME(CL_SUCCESS)
		NAME(CL_DEVICE_NOT_FOUND)
		NAME(CL_DEVICE_NOT_AVAILABLE)
		NAME(CL_COMPILER_NOT_AVAILABLE)
		NAME(CL_MEM_OBJECT_ALLOCATION_FAILURE)
		NAME(CL_OUT_OF_RESOURCES)
		NAME(CL_OUT_OF_HOST_MEMORY)
		NAME(CL_PROFILING_INFO_NOT_AVAILABLE)
		NAME(CL_MEM_COPY_OVERLAP)
		NAME(CL_BUILD_PROGRAM_FAILURE)
		NAME(CL_MAP_FAILURE)
		NAME(CL_MISALIGNED_SUB_BUFFER_OFFSET)
		NAME(CL_INVALID_VALUE)
		NAME(CL_INVALID_DEVICE_TYPE)
		NAME(CL_INVALID_PLATFORM)
		NAME(CL_INVALID_DEVICE)
		NAME(CL_INVALID_CONTEXT)
		NAME(CL_INVALID_QUEUE_PROPERTIES)
		NAME(CL_INVALID_COMMAND_QUEUE)
		NAME(CL_INVALID_HOST_PTR)
		NAME(CL_INVALID_MEM_OBJECT)
		NAME(CL_INVALID_BINARY)
		NAME(CL_INVALID_BUILD_OPTIONS)
		NAME(CL_INVALID_PROGRAM)
		NAME(CL_INVALID_PROGRAM_EXECUTABLE)
		NAME(CL_INVALID_KERNEL_NAME)
		NAME(CL_INVALID_KERNEL)
		NAME(CL_INVALID_ARG_INDEX)
		NAME(CL_INVALID_ARG_VALUE)
		NAME(CL_INVALID_ARG_SIZE)
		NAME(CL_INVALID_KERNEL_ARGS)
		NAME(CL_INVALID_WORK_DIMENSION)
		NAME(CL_INVALID_WORK_GROUP_SIZE)
		NAME(CL_INVALID_WORK_ITEM_SIZE)
		NAME(CL_INVALID_GLOBAL_OFFSET)
		NAME(CL_INVALID_EVENT_WAIT_LIST)
		NAME(CL_INVALID_EVENT)
		NAME(CL_INVALID_OPERATION)
		NAME(CL_INVALID_BUFFER_SIZE)
		NAME(CL_INVALID_GLOBAL_WORK_SIZE)
#undef NAME
	default:
		return "unknown OpenCL error";
	}
}

const char *ampcl_status_name(ampcl_status status)
{
	switch ((int)status) {
	case AMPCL_OK:
		return "ok";
	case AMPCL_ERR_INVALID_ARG:
		return "invalid argument";
	case AMPCL_ERR_NO_DEVICE:
		return "no OpenCL device";
	case AMPCL_ERR_DEVICE_NOT_FOUND:
		return "device not found";
	case AMPCL_ERR_OUT_OF_DEVICE_MEMORY:
		return "out of device memory";
	case AMPCL_ERR_BUILD:
		return "kernel build failed";
	case AMPCL_ERR_KERNEL_NOT_FOUND:
		return "kernel not found";
	case AMPCL_ERR_IO:
		return "I/O error";
	case AMPCL_ERR_BAD_FILE:
		return "bad file";
	case AMPCL_ERR_UNSUPPORTED:
		return "unsupported";
	case AMPCL_ERR_CHECK_FAILED:
		return "check failed";
	case AMPCL_ERR_INTERRUPTED:
		return "interrupted";
	case AMPCL_ERR_WRITE_FAILED:
		return "write failed";
	default:
		return status < 0 && status > -1000 ? ampcl_cl_error_name(status)
						    : "unknown status";
	}
}
