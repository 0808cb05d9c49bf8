/* env.h: every environment variable ampcl reads, read in one place (env.c) so the rest of
 * the library takes settings as values. */
#ifndef AMPCL_ENV_H
#define AMPCL_ENV_H

#include "ampcl.h"

#include <limits.h>
#include <stddef.h>

struct ampcl_env {
	char device[256];          /* AMPCL_DEVICE: index or name substring, "" if unset */
	char kernel_dir[PATH_MAX]; /* AMPCL_KERNEL_DIR: load the .cl files from here, "" = embedded
				    */
	char cache_dir[PATH_MAX];  /* AMPCL_CACHE_DIR, else $XDG_CACHE_HOME/ampcl, else
				      ~/.cache/ampcl */
	int cache_enabled;         /* AMPCL_CACHE=0 (or off/no/false) turns the binary cache off */
	char gemm[32];             /* AMPCL_GEMM: GEMM back end, "" = automatic */
	char profile[32];          /* AMPCL_PROFILE: force a device profile row, "" = by device */
	char tune[32];             /* AMPCL_TUNE: off, quick or full, "" = quick (tune.h) */
	char conv[32];             /* AMPCL_CONV: implicit, im2col, direct or winograd, "" = the profile's choice */
	char fuse[16];             /* AMPCL_FUSE: on or off, "" = on (a net's ReLU fusion) */
	char limits[256];          /* AMPCL_LIMITS: device limits to emulate, "" = none */
	char verify_break[32];     /* AMPCL_VERIFY_BREAK: for ampcl's tests only, the op family
				      whose results `ampcl verify` makes wrong on purpose, "" = none */
};

/* AMPCL_LIMITS parsed: lower bounds the device capabilities are cut to (device.c); 0 = the
 * device's own value. */
struct ampcl_env_limits {
	unsigned long long global_mem_bytes; /* global=: CL_DEVICE_GLOBAL_MEM_SIZE */
	unsigned long long max_alloc_bytes;  /* alloc=: CL_DEVICE_MAX_MEM_ALLOC_SIZE */
	unsigned long long local_mem_bytes;  /* local=: CL_DEVICE_LOCAL_MEM_SIZE */
	size_t max_work_group_size;          /* wg=: CL_DEVICE_MAX_WORK_GROUP_SIZE, kernels' too */
	unsigned compute_units;              /* units=: CL_DEVICE_MAX_COMPUTE_UNITS */
	unsigned vector_width;               /* vector=: CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT */
};

/* Reads the environment now; contexts call it once at creation. */
void ampcl_env_read(struct ampcl_env *env);

/* Parses env->limits ("global=2G,alloc=256M,local=16K,wg=32,units=4": sizes in bytes or with a
 * K, M, G or T suffix, powers of 1024; every value > 0). Malformed: AMPCL_ERR_INVALID_ARG naming
 * AMPCL_LIMITS, the bad item and the valid keys. */
ampcl_status ampcl_env_parse_limits(const struct ampcl_env *env, struct ampcl_env_limits *out);

#endif
