/* context.h: struct ampcl_context, the one place that holds the device, the OpenCL context and
 * queue, the settings read from the environment and the programs built so far. */
#ifndef AMPCL_CONTEXT_H
#define AMPCL_CONTEXT_H

#include "ampcl.h"
#include "device.h"
#include "env.h"
#include "profile.h"
#include "tune.h"

struct ampcl_kernel_entry {
	char *name;
	cl_kernel kernel;
};

/* One built program: a kernel file compiled with one set of -D options. */
struct ampcl_program_entry {
	char *file;
	char *options;
	cl_program program;
	struct ampcl_kernel_entry *kernels;
	int nkernels;
};

/* Batch normalisation over the batches of several processes (mpirun --sync-bn), set by a layer
 * above on the context its net runs on; NULL: each process's batch alone. */
struct ampcl_bn_sync {
	void *user;
	/* per channel (count, mean, M2) of this process's batch, replaced by those of all */
	ampcl_status (*moments)(void *user, double *count_mean_m2, int channels);
	/* per channel (count, sum dy, sum dy * (x - mean)), replaced by the sums over all */
	ampcl_status (*sums)(void *user, double *count_sums, int channels);
};

struct ampcl_context {
	struct ampcl_device_caps caps;
	struct ampcl_device_profile profile; /* every device-dependent choice of the ops */
	cl_context cl;
	cl_command_queue queue;
	int owns_cl; /* 0 for a wrapped caller context */
	struct ampcl_env env;
	struct ampcl_program_entry *programs;
	int nprograms;
	struct ampcl_build_stats stats;
	int gemm_backend; /* enum ampcl_gemm_backend (host/gemm.h); 0 = automatic */
	/* the buffers ampcl allocated, with their sizes: range checks read them here instead of
	 * asking the driver on every call */
	struct ampcl_known_buffer {
		cl_mem mem;
		size_t bytes;
	} * known;
	int nknown;
	size_t known_bytes, known_peak; /* their total now and at most so far (bench --model) */
	/* op workspace (workspace.h): a net's planned view while lent, else the context's own */
	cl_mem ws_lent, ws_own;
	size_t ws_lent_offset, ws_lent_floats, ws_own_floats;
	struct ampcl_kprof *kprof; /* kprof.h: the launches being recorded, NULL when off */
	struct ampcl_tune tune;    /* tune.h: the variants measured fastest here, per shape */
	/* set by a layer above that keeps state tied to this context (CLBlast's program cache):
	 * called before the queue and the context are released */
	void (*before_release)(struct ampcl_context *ctx);
	const struct ampcl_bn_sync *bn_sync; /* training BN over every process's batch */
};

/* Records (or forgets) a buffer ampcl allocated, for ampcl_context_buffer_bytes. */
void ampcl_context_know_buffer(struct ampcl_context *ctx, cl_mem mem, size_t bytes);
/* The key of this device's files beside the program cache (the tuning table, verify's mark):
 * a hash of the device, driver, platform, profile row and ampcl version, as 32 hex digits, so a
 * new driver or ampcl starts them afresh. */
void ampcl_context_cache_key(const struct ampcl_context *ctx, char key[33]);
void ampcl_context_forget_buffer(struct ampcl_context *ctx, cl_mem mem);
/* The size of mem: from the record when ampcl allocated it, else from the driver; 0 when the
 * driver cannot say (a range check then fails loudly). */
size_t ampcl_context_buffer_bytes(const struct ampcl_context *ctx, cl_mem mem);

#endif
