/* ampcl.h: the public C API of ampcl: status codes, errors, devices and the context handle.
 * No OpenCL types here; include/ampcl_cl.h has the interop calls that need them. */
#ifndef AMPCL_H
#define AMPCL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AMPCL_API __attribute__((visibility("default")))

/* OpenCL's own negative codes pass through unchanged; ampcl's sit at -1000 and below. */
typedef enum ampcl_status {
	AMPCL_OK = 0,
	AMPCL_ERR_INVALID_ARG = -1000,  /* a value out of range: the message names it */
	AMPCL_ERR_NO_DEVICE = -1001,    /* no OpenCL platform or device at all */
	AMPCL_ERR_DEVICE_NOT_FOUND = -1002, /* --device matched nothing */
	AMPCL_ERR_OUT_OF_DEVICE_MEMORY = -1003,
	AMPCL_ERR_BUILD = -1004,        /* a kernel failed to compile: the message has the log */
	AMPCL_ERR_KERNEL_NOT_FOUND = -1005,
	AMPCL_ERR_IO = -1006,           /* a file could not be read or written */
	AMPCL_ERR_BAD_FILE = -1007,     /* a file is truncated or not what it claims */
	AMPCL_ERR_UNSUPPORTED = -1008,
	AMPCL_ERR_CHECK_FAILED = -1009, /* a self-test result did not match its reference */
} ampcl_status;

/* The message of the last failure on this thread: what, with which value or file, what to do. */
AMPCL_API const char *ampcl_last_error(void);
AMPCL_API const char *ampcl_status_name(int status);
AMPCL_API const char *ampcl_version(void);

/* One OpenCL device as discovered, in platform order then device order. */
struct ampcl_device_desc {
	int index;
	char name[256];
	char vendor[128];
	char platform[256];
	char platform_version[128];
	char driver_version[128];
	char opencl_c_version[64];
	char type[16]; /* "GPU", "CPU", "ACCELERATOR" or "OTHER" */
	unsigned vendor_id;
	unsigned compute_units;
	unsigned long long global_mem_bytes;
	unsigned long long max_alloc_bytes;
	unsigned long long local_mem_bytes;
	size_t max_work_group_size;
	int has_fp16;
	int has_fp64;
};

/* Lists every device; *out is malloc'ed, free it with free(). */
AMPCL_API ampcl_status ampcl_devices_list(struct ampcl_device_desc **out, int *count);

/* Picks a device: spec is an index ("0") or a case-insensitive substring of the device or
 * platform name; NULL or "" means the environment variable AMPCL_DEVICE, else the first GPU,
 * else the first device. A spec that matches nothing fails with AMPCL_ERR_DEVICE_NOT_FOUND and
 * a message that lists the devices. */
AMPCL_API ampcl_status ampcl_device_resolve(const char *spec, int *index);

typedef struct ampcl_context ampcl_context_t;

/* One OpenCL context and one in-order, profiling queue on the chosen device. */
AMPCL_API ampcl_status ampcl_context_create(const char *device_spec, ampcl_context_t **out);
AMPCL_API void ampcl_context_free(ampcl_context_t *ctx);
AMPCL_API const struct ampcl_device_desc *ampcl_context_device(const ampcl_context_t *ctx);

/* Program-cache counters since the context was created. */
struct ampcl_build_stats {
	int programs_built;   /* compiled from source */
	int cache_hits;       /* loaded from the on-disk binary cache */
	int cache_misses;     /* looked up, not usable (absent, corrupt, foreign) */
	int cache_writes;
	double build_seconds; /* wall time spent in building or loading programs */
};
AMPCL_API void ampcl_context_build_stats(const ampcl_context_t *ctx, struct ampcl_build_stats *out);

/* Builds every kernel file ampcl ships, with its default options. */
AMPCL_API ampcl_status ampcl_kernels_build_all(ampcl_context_t *ctx);

/* A short check that the device computes: runs the shipped self-test kernels against a host
 * reference. Writes one line per check into report (may be NULL). */
AMPCL_API ampcl_status ampcl_selftest(ampcl_context_t *ctx, char *report, size_t report_size);

#ifdef __cplusplus
}
#endif
#endif
