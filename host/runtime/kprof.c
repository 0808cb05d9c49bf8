/* kprof.c: the launch recorder behind `ampcl bench --profile`: events kept while it is on, read
 * after the window ends, summed per kernel name. */
#include "kprof.h"
#include "error.h"
#include "alloc.h"

#include <stdio.h>

#include <stdlib.h>
#include <string.h>

struct ampcl_kprof {
	struct {
		char name[64];
		cl_event event;
	} * items;
	int n, cap;
};

static void drop(struct ampcl_kprof *p)
{
	for (int i = 0; i < p->n; i++)
		clReleaseEvent(p->items[i].event);
	free(p->items);
	free(p);
}

void ampcl_kprof_start(struct ampcl_context *ctx)
{
	ampcl_kprof_discard(ctx);
	ctx->kprof = ampcl_xcalloc(1, sizeof(*ctx->kprof));
}

void ampcl_kprof_record(struct ampcl_context *ctx, const char *name, cl_event event)
{
	struct ampcl_kprof *p = ctx->kprof;
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 256;
		p->items = ampcl_xrealloc(p->items, (size_t)p->cap * sizeof(*p->items));
	}
	snprintf(p->items[p->n].name, sizeof(p->items[p->n].name), "%s", name);
	p->items[p->n++].event = event;
}

void ampcl_kprof_discard(struct ampcl_context *ctx)
{
	if (ctx->kprof)
		drop(ctx->kprof);
	ctx->kprof = NULL;
}

static int by_time(const void *a, const void *b)
{
	double x = ((const struct ampcl_kprof_row *)a)->seconds;
	double y = ((const struct ampcl_kprof_row *)b)->seconds;
	return (x < y) - (x > y);
}

ampcl_status ampcl_kprof_stop(struct ampcl_context *ctx, struct ampcl_kprof_row **rows, int *nrows,
			      double *total_s)
{
	struct ampcl_kprof *p = ctx->kprof;
	*rows = NULL, *nrows = 0, *total_s = 0;
	if (!p)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "no kernel recording is on");
	ctx->kprof = NULL;
	cl_int err = clFinish(ctx->queue);
	struct ampcl_kprof_row *out = ampcl_xcalloc((size_t)p->n + 1, sizeof(*out));
	int n = 0;
	for (int i = 0; i < p->n && err == CL_SUCCESS; i++) {
		cl_ulong start = 0, end = 0;
		err = clGetEventProfilingInfo(p->items[i].event, CL_PROFILING_COMMAND_START,
					      sizeof(start), &start, NULL);
		if (err == CL_SUCCESS)
			err = clGetEventProfilingInfo(p->items[i].event, CL_PROFILING_COMMAND_END,
						      sizeof(end), &end, NULL);
		double s = end > start ? 1e-9 * (double)(end - start) : 0.0;
		int r = 0;
		while (r < n && strcmp(out[r].name, p->items[i].name))
			r++;
		if (r == n)
			memcpy(out[n++].name, p->items[i].name, sizeof(out[0].name));
		out[r].calls++;
		out[r].seconds += s;
		*total_s += s;
	}
	drop(p);
	if (err != CL_SUCCESS) {
		free(out);
		return ampcl_error_set(err, "reading the kernels' profiling times failed: %s",
				       ampcl_cl_error_name(err));
	}
	qsort(out, (size_t)n, sizeof(*out), by_time);
	*rows = out, *nrows = n;
	return AMPCL_OK;
}
