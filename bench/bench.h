/* bench.h: what the kernel benchmarks share: tensors filled with seeded random data and kept on
 * the host for the reference check, event timing after a warm-up, and the result records. */
#ifndef AMPCL_BENCH_H
#define AMPCL_BENCH_H

#include "arena.h"
#include "context.h"

#include <stdio.h>

/* One timed operation at one shape. */
struct bench_record {
	char op[40];    /* "conv2d", "bn", ... */
	char pass[16];  /* "forward", "backward", "step" */
	char shape[72]; /* human-readable, e.g. "64x32x32 -> 64, 3x3 s1" */
	int batch;
	double ms;        /* median over the timed repetitions */
	double gflops;    /* 0 where not meaningful */
	double gbytes_s;  /* nominal traffic / time, 0 where flops are reported */
	double check_err; /* scaled error of the reference check at a small batch; < 1 passes */
	double flops,
	    bytes; /* one call's work and nominal traffic (the roofline's inputs; 0: none) */
};

struct bench {
	struct ampcl_context *ctx;
	int reps;
	int verbose;
	struct bench_record *records;
	int nrecords;
	double peak_gflops, peak_gbytes_s;
	double peak_fma_gflops; /* the FMA peak (cl/selftest.cl), the roofline's upper roof */
	const char *peak_gemm_backend;
	int failed; /* reference checks that failed */
	/* --model: ampcl's device buffers at their largest, the process's peak RSS (0: not run) */
	double device_peak_mib, rss_peak_mib;
	unsigned long long seed;
};

/* A set of tensors in one arena with host copies of their initial values. */
struct bench_set {
	struct ampcl_arena *arena;
	struct ampcl_tensor t[16];
	float *host[16];
	int n;
};

void bench_set_init(struct bench_set *s);
int bench_set_add(struct bench_set *s, const char *name, int ndim, int d0, int d1, int d2, int d3);
/* Commits the arena and fills every tensor with uniform values in [-1, 1). */
ampcl_status bench_set_commit(struct bench *b, struct bench_set *s);
void bench_set_free(struct bench_set *s);
/* Copies a float tensor's host values into a fresh double array (caller frees). */
double *bench_to_double(const struct bench_set *s, int i);
/* Reads tensor i back and returns max |got - want| / (atol + rtol |want|) (< 1 passes). */
double bench_check(struct bench *b, struct bench_set *s, int i, const double *want, double atol,
		   double rtol);

typedef ampcl_status (*bench_fn)(struct bench *b, void *arg);
/* Runs fn twice to warm up, then b->reps times between profiling markers; returns the median
 * milliseconds, or a negative value if fn failed (the message is in ampcl_last_error()). */
double bench_time(struct bench *b, bench_fn fn, void *arg);

/* Records one timing: flops and bytes are one call's work and nominal memory traffic (0 where
 * unknown). The table shows GFLOP/s for ops that do at least one FLOP per byte, else GB/s. */
void bench_add(struct bench *b, const char *op, const char *pass, const char *shape, int batch,
	       double ms, double flops, double bytes, double check_err);

ampcl_status bench_peaks(struct bench *b);
ampcl_status bench_layers(struct bench *b, const int *batches, int nbatches);
/* Whole-model training steps on random 3x32x32 data (after 2 warm-up steps), with the peak
 * device memory and RSS; profile: then one step's device time per kernel. */
ampcl_status bench_model(struct bench *b, const char *model, int width, int batch, int steps,
			 int profile, double *images_per_s);
/* backends: a comma-separated list of GEMM back ends ("own,clblast") */
ampcl_status bench_gemm(struct bench *b, const char *backends);
void bench_print_table(const struct bench *b, FILE *out);
/* bench_roofline.c: every timed op as a point (FLOP per byte, GFLOP/s) under the roofs of the
 * measured GEMM and copy peaks, log-log, as a PNG at path. */
ampcl_status bench_plot_roofline(const struct bench *b, const char *path);
int bench_write_json(const struct bench *b, const char *path);

#endif
