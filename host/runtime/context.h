/* context.h: struct ampcl_context, the one place that holds the device, the OpenCL context and
 * queue, the settings read from the environment and the programs built so far. */
#ifndef AMPCL_CONTEXT_H
#define AMPCL_CONTEXT_H

#include "ampcl.h"
#include "device.h"
#include "env.h"
#include "profile.h"
#include "tune_table.h"

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

struct ampcl_context;

/* State a layer above keeps for one context (CLBlast's program cache, the --sync-bn hook), under
 * a key of its own (the address of one of its statics), so the context holds it knowing neither
 * its type nor its layer. */
struct ampcl_context_slot {
	const void *key;
	void *value;
	/* NULL, or called as the context is freed, before its programs, queue and OpenCL context
	 * are released (the slot attached last first) */
	void (*release)(struct ampcl_context *ctx, void *value);
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
	int gemm_backend; /* enum ampcl_gemm_backend (host/ops/gemm.h); 0 = automatic */
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
	struct ampcl_context_slot *slots; /* what layers above attached (ampcl_context_attach) */
	int nslots;
};

/* Attaches value to the context under key, replacing what key held (its release is not called);
 * value NULL detaches it. release: as in struct ampcl_context_slot. */
void ampcl_context_attach(struct ampcl_context *ctx, const void *key, void *value,
			  void (*release)(struct ampcl_context *ctx, void *value));
/* The value attached under key, NULL when none. */
void *ampcl_context_attached(const struct ampcl_context *ctx, const void *key);

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
