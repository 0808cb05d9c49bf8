/* bench_util.c: the shared machinery of `ampcl bench`: random tensors with host copies, reference
 * checks, timing between profiling markers after a warm-up, the device's measured peaks, output. */
#include "bench.h"
#include "files.h"
#include "rng.h"
#include "clock.h"
#include "eltwise.h"
#include "error.h"
#include "gemm.h"
#include "launch.h"
#include "program.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void bench_set_init(struct bench_set *s)
{
	memset(s, 0, sizeof(*s));
	s->arena = ampcl_arena_create("bench");
}

int bench_set_add(struct bench_set *s, const char *name, int ndim, int d0, int d1, int d2, int d3)
{
	int shape[4] = {d0, d1, d2, d3};
	int i = s->n++;
	if (ampcl_arena_reserve(s->arena, name, ndim, shape, &s->t[i]))
		abort(); /* shapes here are fixed by the benchmark, never user input */
	return i;
}

static void fill_uniform(float *x, size_t n, unsigned long long *state)
{
	uint64_t st = *state;
	for (size_t i = 0; i < n; i++)
		x[i] = (float)(ampcl_uniform01(&st) * 2.0 - 1.0);
	*state = st;
}

ampcl_status bench_set_commit(struct bench *b, struct bench_set *s)
{
	ampcl_status st = ampcl_arena_commit(b->ctx, s->arena);
	for (int i = 0; i < s->n && !st; i++) {
		size_t n = ampcl_tensor_count(&s->t[i]);
		s->host[i] = malloc(n * sizeof(float));
		if (!s->host[i])
			abort();
		fill_uniform(s->host[i], n, &b->seed);
		st = ampcl_tensor_write(b->ctx, &s->t[i], s->host[i]);
	}
	return st;
}

void bench_set_free(struct bench_set *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->host[i]);
	ampcl_arena_free(s->arena);
	memset(s, 0, sizeof(*s));
}

double *bench_to_double(const struct bench_set *s, int i)
{
	size_t n = ampcl_tensor_count(&s->t[i]);
	double *d = malloc(n * sizeof(double));
	if (!d)
		abort();
	for (size_t k = 0; k < n; k++)
		d[k] = s->host[i][k];
	return d;
}

double bench_check(struct bench *b, struct bench_set *s, int i, const double *want, double atol,
		   double rtol)
{
	size_t n = ampcl_tensor_count(&s->t[i]);
	float *got = malloc(n * sizeof(float));
	if (!got)
		abort();
	double worst = INFINITY;
	if (ampcl_tensor_read(b->ctx, &s->t[i], got) == AMPCL_OK) {
		worst = 0;
		for (size_t k = 0; k < n; k++) {
			double e = fabs((double)got[k] - want[k]) / (atol + rtol * fabs(want[k]));
			if (!(e <= worst))
				worst = isnan(e) ? INFINITY : e;
		}
	}
	free(got);
	return worst;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Profiling time of a marker's completion; 0 where the driver does not time markers. */
static cl_ulong marker_end(cl_event ev)
{
	cl_ulong t = 0;
	clWaitForEvents(1, &ev);
	if (clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof(t), &t, NULL) !=
	    CL_SUCCESS)
		t = 0;
	clReleaseEvent(ev);
	return t;
}

double bench_time(struct bench *b, bench_fn fn, void *arg)
{
	for (int i = 0; i < 2; i++)
		if (fn(b, arg))
			return -1;
	clFinish(b->ctx->queue);
	double *ms = malloc((size_t)b->reps * sizeof(double));
	if (!ms)
		abort();
	for (int r = 0; r < b->reps; r++) {
		cl_event before = NULL, after = NULL;
		double w0 = (1e3 * ampcl_now());
		clEnqueueMarkerWithWaitList(b->ctx->queue, 0, NULL, &before);
		if (fn(b, arg)) {
			if (before)
				clReleaseEvent(before);
			free(ms);
			return -1;
		}
		clEnqueueMarkerWithWaitList(b->ctx->queue, 0, NULL, &after);
		clFinish(b->ctx->queue);
		double wall = (1e3 * ampcl_now()) - w0;
		cl_ulong t0 = before ? marker_end(before) : 0, t1 = after ? marker_end(after) : 0;
		/* device time between the markers; the host's clock where markers carry no times */
		ms[r] = t0 && t1 > t0 ? 1e-6 * (double)(t1 - t0) : wall;
	}
	qsort(ms, (size_t)b->reps, sizeof(double), cmp_double);
	double median = ms[b->reps / 2];
	free(ms);
	return median;
}

void bench_add(struct bench *b, const char *op, const char *pass, const char *shape, int batch,
	       double ms, double flops, double bytes, double check_err)
{
	b->records = realloc(b->records, (size_t)(b->nrecords + 1) * sizeof(*b->records));
	if (!b->records)
		abort();
	struct bench_record *r = &b->records[b->nrecords++];
	memset(r, 0, sizeof(*r));
	snprintf(r->op, sizeof(r->op), "%s", op);
	snprintf(r->pass, sizeof(r->pass), "%s", pass);
	snprintf(r->shape, sizeof(r->shape), "%s", shape);
	r->batch = batch;
	if (ms < 0) /* the op itself failed: keep the message in the table's check column */
		check_err = INFINITY;
	r->ms = ms;
	int compute = flops > 0 && flops >= bytes; /* at least one FLOP per byte */
	r->gflops = compute && ms > 0 ? flops / (ms * 1e6) : 0;
	r->gbytes_s = !compute && bytes > 0 && ms > 0 ? bytes / (ms * 1e6) : 0;
	r->flops = flops > 0 ? flops : 0;
	r->bytes = bytes > 0 ? bytes : 0;
	r->check_err = check_err;
	if (!(check_err < 1))
		b->failed++;
	if (ms < 0)
		fprintf(stderr, "ampcl bench: %s %s %s batch %d failed: %s\n", op, pass, shape,
			batch, ampcl_last_error());
	else if (b->verbose)
		fprintf(stderr, "  %-10s %-9s %-34s b=%-3d %9.3f ms  check %.3g\n", op, pass, shape,
			batch, ms, check_err);
}

struct peak_gemm {
	struct bench_set *s;
	int n;
};

static ampcl_status run_peak_gemm(struct bench *b, void *arg)
{
	struct peak_gemm *g = arg;
	struct ampcl_tensor *a = &g->s->t[0], *bb = &g->s->t[1], *c = &g->s->t[2];
	return ampcl_gemm(b->ctx, 0, 0, g->n, g->n, g->n, 1.0f, ampcl_tensor_mem(a),
			  ampcl_tensor_off(a), g->n, ampcl_tensor_mem(bb), ampcl_tensor_off(bb),
			  g->n, 0.0f, ampcl_tensor_mem(c), ampcl_tensor_off(c), g->n);
}

struct peak_copy {
	struct bench_set *s;
};

/* the copy is ampcl's own element-wise kernel (dx = dy with beta 0), which uses every compute
 * unit; clEnqueueCopyBuffer is a single-threaded memcpy on some CPU drivers */
static ampcl_status run_peak_copy(struct bench *b, void *arg)
{
	struct peak_copy *p = arg;
	return ampcl_add_backward(b->ctx, &p->s->t[1], &p->s->t[0], 0.0f);
}

struct peak_fma {
	struct bench_set *s;
	cl_kernel k;
	size_t items, local;
	unsigned iters;
};

static ampcl_status run_peak_fma(struct bench *b, void *arg)
{
	struct peak_fma *p = arg;
	/* x -> 0.5 x + 0.25 settles at 0.5: no overflow, no subnormals */
	struct ampcl_karg args[] = {AMPCL_KARG_VIEW(&p->s->t[0]), AMPCL_KARG_FLOAT(0.5f),
				    AMPCL_KARG_FLOAT(0.25f), AMPCL_KARG_UINT(p->iters)};
	size_t local = p->local;
	return ampcl_launch(b->ctx, p->k, 1, &p->items, &local, AMPCL_NARGS(args), args, NULL);
}

/* The FMA peak: every compute unit running a full group's worth of work-items of independent
 * FMA chains (cl/selftest.cl); 2 * 16 * 8 FLOP per work-item and step. */
static ampcl_status bench_peak_fma(struct bench *b)
{
	const struct ampcl_device_desc *d = &b->ctx->caps.desc;
	/* groups of 64 (8 to 64 measured alike on PoCL; the launch's default of 256 gave half) */
	struct peak_fma p = {NULL, NULL, (size_t)(d->compute_units ? d->compute_units : 1) * 1024,
			     64, 4096};
	struct bench_set s;
	bench_set_init(&s);
	bench_set_add(&s, "fma out", 1, (int)p.items, 0, 0, 0);
	ampcl_status st = bench_set_commit(b, &s);
	if (!st)
		st = ampcl_kernel_get(b->ctx, "selftest", "", "selftest_fma_peak", &p.k);
	if (st) {
		bench_set_free(&s);
		return st;
	}
	p.s = &s;
	p.local = ampcl_launch_group_size(b->ctx, p.k, p.local);
	double ms = bench_time(b, run_peak_fma, &p);
	bench_set_free(&s);
	if (ms < 0)
		return AMPCL_ERR_CHECK_FAILED;
	double flops = 2.0 * 16 * 8 * (double)p.iters * (double)p.items;
	b->peak_fma_gflops = flops / (ms * 1e6);
	char shape[72];
	snprintf(shape, sizeof(shape), "%zu items x %u steps x 8 float16 FMA chains", p.items,
		 p.iters);
	bench_add(b, "peak-fma", "-", shape, 0, ms, flops, 4.0 * (double)p.items, 0);
	return AMPCL_OK;
}

ampcl_status bench_peaks(struct bench *b)
{
	ampcl_status fst = bench_peak_fma(b);
	if (fst)
		return fst;
	/* a GEMM large enough to fill a GPU, small enough for a 2-core CPU to finish in a second */
	int n = b->ctx->profile.bench_gemm_n;
	struct bench_set s;
	bench_set_init(&s);
	for (int i = 0; i < 3; i++)
		bench_set_add(&s, "peak", 2, n, n, 0, 0);
	ampcl_status st = bench_set_commit(b, &s);
	if (st) {
		bench_set_free(&s);
		return st;
	}
	struct peak_gemm g = {&s, n};
	double ms = bench_time(b, run_peak_gemm, &g);
	bench_set_free(&s);
	if (ms < 0)
		return AMPCL_ERR_CHECK_FAILED;
	b->peak_gflops = 2.0 * n * (double)n * n / (ms * 1e6);
	b->peak_gemm_backend = ampcl_gemm_backend_name(b->ctx);
	char shape[72];
	snprintf(shape, sizeof(shape), "%dx%dx%d (%s)", n, n, n, b->peak_gemm_backend);
	bench_add(b, "peak-gemm", "-", shape, 0, ms, 2.0 * n * (double)n * n, 12.0 * n * (double)n,
		  0);

	size_t bytes = b->ctx->profile.bench_copy_bytes;
	if (bytes > b->ctx->caps.desc.max_alloc_bytes / 2)
		bytes = (size_t)(b->ctx->caps.desc.max_alloc_bytes / 2);
	bench_set_init(&s);
	bench_set_add(&s, "src", 1, (int)(bytes / 4), 0, 0, 0);
	bench_set_add(&s, "dst", 1, (int)(bytes / 4), 0, 0, 0);
	if ((st = bench_set_commit(b, &s))) {
		bench_set_free(&s);
		return st;
	}
	struct peak_copy p = {&s};
	ms = bench_time(b, run_peak_copy, &p);
	bench_set_free(&s);
	if (ms < 0)
		return AMPCL_ERR_CHECK_FAILED;
	b->peak_gbytes_s = 2.0 * (double)bytes / (ms * 1e6);
	snprintf(shape, sizeof(shape), "%zu MiB read + write", bytes >> 20);
	bench_add(b, "peak-copy", "-", shape, 0, ms, 0, 2.0 * (double)bytes, 0);
	return AMPCL_OK;
}

void bench_print_table(const struct bench *b, FILE *out)
{
	const struct ampcl_device_desc *d = &b->ctx->caps.desc;
	fprintf(out, "device: %s (%s, driver %s), GEMM back end %s\n", d->name, d->platform,
		d->driver_version, ampcl_gemm_backend_name(b->ctx));
	fprintf(out,
		"measured peaks: FMA %.1f GFLOP/s, GEMM %.1f GFLOP/s, copy %.1f GB/s; times are "
		"medians of %d runs after 2 warm-up runs; %% of peak is of the GEMM's for "
		"compute, of the copy's for memory-bound ops\n\n",
		b->peak_fma_gflops, b->peak_gflops, b->peak_gbytes_s, b->reps);
	fprintf(out, "| op | pass | shape (C×H×W → K) | batch | ms | GFLOP/s | GB/s | %% of peak | "
		     "%% of FMA peak | check |\n");
	fprintf(out, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int i = 0; i < b->nrecords; i++) {
		const struct bench_record *r = &b->records[i];
		double pct = r->gflops > 0 && b->peak_gflops > 0 ? 100 * r->gflops / b->peak_gflops
			     : r->gbytes_s > 0 && b->peak_gbytes_s > 0
				 ? 100 * r->gbytes_s / b->peak_gbytes_s
				 : 0;
		char gf[16] = "", gb[16] = "", pc[16] = "", pf[16] = "", bt[16] = "-", ck[16] = "-";
		if (r->gflops > 0 && b->peak_fma_gflops > 0 && strcmp(r->op, "peak-fma"))
			snprintf(pf, sizeof(pf), "%.0f%%", 100 * r->gflops / b->peak_fma_gflops);
		if (r->gflops > 0)
			snprintf(gf, sizeof(gf), "%.1f", r->gflops);
		if (r->gbytes_s > 0)
			snprintf(gb, sizeof(gb), "%.1f", r->gbytes_s);
		if (pct > 0 && strncmp(r->op, "peak", 4))
			snprintf(pc, sizeof(pc), "%.0f%%", pct);
		if (r->batch)
			snprintf(bt, sizeof(bt), "%d", r->batch);
		if (strncmp(r->op, "peak", 4))
			snprintf(ck, sizeof(ck), r->check_err < 1 ? "ok" : "FAIL");
		fprintf(out, "| %s | %s | %s | %s | %.3f | %s | %s | %s | %s | %s |\n", r->op,
			r->pass, r->shape, bt, r->ms, gf, gb, pc, pf, ck);
	}
}

/* A string member, or null for bytes that are not UTF-8 (JSON strings must be). */
static json_t *str(const char *s)
{
	json_t *v = json_string(s);
	return v ? v : json_null();
}

int bench_write_json(const struct bench *b, const char *path)
{
	const struct ampcl_device_desc *d = &b->ctx->caps.desc;
	json_t *o = json_object();
	json_object_set_new(o, "device", str(d->name));
	json_object_set_new(o, "platform", str(d->platform));
	json_object_set_new(o, "driver_version", str(d->driver_version));
	json_object_set_new(o, "gemm_backend", str(ampcl_gemm_backend_name(b->ctx)));
	json_object_set_new(o, "profile", str(b->ctx->profile.row));
	json_object_set_new(o, "ampcl_version", str(ampcl_version()));
	json_object_set_new(o, "reps", json_integer(b->reps));
	json_object_set_new(o, "peak_gflops", json_real(b->peak_gflops));
	json_object_set_new(o, "peak_fma_gflops", json_real(b->peak_fma_gflops));
	json_object_set_new(o, "peak_gbytes_s", json_real(b->peak_gbytes_s));
	if (b->rss_peak_mib > 0) {
		json_object_set_new(o, "device_buffers_peak_mib", json_real(b->device_peak_mib));
		json_object_set_new(o, "process_peak_rss_mib", json_real(b->rss_peak_mib));
	}
	json_t *records = json_array();
	for (int i = 0; i < b->nrecords; i++) {
		const struct bench_record *r = &b->records[i];
		json_t *e = json_object();
		json_object_set_new(e, "op", str(r->op));
		json_object_set_new(e, "pass", str(r->pass));
		json_object_set_new(e, "shape", str(r->shape));
		json_object_set_new(e, "batch", json_integer(r->batch));
		json_object_set_new(e, "ms", json_real(r->ms));
		json_object_set_new(e, "gflops", json_real(r->gflops));
		json_object_set_new(e, "gbytes_s", json_real(r->gbytes_s));
		json_object_set_new(e, "flops", json_real(r->flops));
		json_object_set_new(e, "bytes", json_real(r->bytes));
		json_object_set_new(e, "check_err",
				    isfinite(r->check_err) ? json_real(r->check_err) : json_null());
		json_object_set_new(e, "check_ok", json_boolean(r->check_err < 1));
		json_array_append_new(records, e);
	}
	json_object_set_new(o, "records", records);
	struct ampcl_atomic a;
	ampcl_status st = ampcl_atomic_open(&a, path);
	if (!st && json_dumpf(o, a.f, JSON_INDENT(2) | JSON_REAL_PRECISION(7)) != 0) {
		ampcl_atomic_abort(&a);
		st = ampcl_error_set(AMPCL_ERR_IO, "cannot write '%s'", path);
	} else if (!st) {
		fputc('\n', a.f);
		st = ampcl_atomic_commit(&a);
	}
	json_decref(o);
	return st;
}
