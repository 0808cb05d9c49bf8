/* bench_roofline.c: `ampcl bench --kernels --plot FILE.png`: each timed op at its arithmetic
 * intensity and rate, under two roofs: the measured FMA peak with the copy rate (the device's
 * limit) and the measured GEMM with the copy rate (what a large GEMM reaches). */
#include "bench.h"
#include "error.h"
#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The op families drawn as one series each; a record goes to the first whose prefix matches. */
static const struct {
	const char *label, *op, *pass;
} families[] = {
    {"conv2d forward", "conv2d", "forward"},
    {"conv2d backward", "conv2d", "backward"},
    {"batch norm", "bn", NULL},
    {"ReLU, add, amplify, pools", "relu", NULL},
    {NULL, "add", NULL},
    {NULL, "amplify", NULL},
    {NULL, "maxpool2", NULL},
    {NULL, "avgpool", NULL},
    {"linear (+ loss)", "linear", NULL},
    {"SGD step", "sgd", NULL},
    {"GEMM alone", "gemm", NULL},
};
#define NFAMILIES (sizeof(families) / sizeof(families[0]))
#define ROOF_POINTS 64

/* The series a family label of index i belongs to: the last labelled one at or before it. */
static int series_of(size_t i)
{
	while (i > 0 && !families[i].label)
		i--;
	return (int)i;
}

static int family_of(const struct bench_record *r)
{
	for (size_t i = 0; i < NFAMILIES; i++)
		if (!strncmp(r->op, families[i].op, strlen(families[i].op)) &&
		    (!families[i].pass || !strcmp(r->pass, families[i].pass)))
			return series_of(i);
	return -1;
}

ampcl_status bench_plot_roofline(const struct bench *b, const char *path)
{
	if (!(b->peak_gflops > 0) || !(b->peak_gbytes_s > 0))
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "--plot: the GEMM and copy peaks were not measured "
				       "(give --kernels or --gemm-sweep)");
	double *x = calloc((size_t)b->nrecords + ROOF_POINTS, sizeof(double));
	double *y = calloc((size_t)b->nrecords + 2 * ROOF_POINTS, sizeof(double));
	struct ampcl_plot_line lines[NFAMILIES + 2];
	if (!x || !y)
		abort();
	memset(lines, 0, sizeof(lines));
	/* points: family by family, so each series is one run of the arrays */
	double lo = INFINITY, hi = 0;
	int n = 0, nlines = 2;
	for (size_t f = 0; f < NFAMILIES; f++) {
		if (!families[f].label)
			continue;
		int first = n;
		for (int i = 0; i < b->nrecords; i++) {
			const struct bench_record *r = &b->records[i];
			if (family_of(r) != (int)f || !(r->ms > 0) || !(r->flops > 0) ||
			    !(r->bytes > 0))
				continue;
			x[ROOF_POINTS + n] = r->flops / r->bytes;
			y[ROOF_POINTS + n] = r->flops / (r->ms * 1e6);
			lo = fmin(lo, x[ROOF_POINTS + n]);
			hi = fmax(hi, x[ROOF_POINTS + n]);
			n++;
		}
		if (n > first)
			lines[nlines++] = (struct ampcl_plot_line){families[f].label,
								   x + ROOF_POINTS + first,
								   y + ROOF_POINTS + first,
								   n - first,
								   NULL,
								   1,
								   NULL,
								   NULL};
	}
	/* the roof, from a tenth of the lowest intensity to ten times the ridge or the highest */
	double top = fmax(b->peak_fma_gflops, b->peak_gflops);
	double ridge = top / b->peak_gbytes_s;
	lo = n ? lo / 10 : ridge / 100;
	hi = fmax(n ? hi * 2 : 0, ridge * 10);
	/* the FMA roof's y after the points, sharing the roofs' x */
	double *y_fma = y + b->nrecords + ROOF_POINTS;
	for (int i = 0; i < ROOF_POINTS; i++) {
		x[i] = lo * pow(hi / lo, (double)i / (ROOF_POINTS - 1));
		y[i] = fmin(b->peak_gflops, b->peak_gbytes_s * x[i]);
		y_fma[i] = fmin(top, b->peak_gbytes_s * x[i]);
	}
	char roof[96], roof_fma[96], title[300];
	snprintf(roof, sizeof(roof), "roof: GEMM %.0f GFLOP/s, copy %.0f GB/s", b->peak_gflops,
		 b->peak_gbytes_s);
	snprintf(roof_fma, sizeof(roof_fma), "roof: FMA peak %.0f GFLOP/s, copy %.0f GB/s", top,
		 b->peak_gbytes_s);
	lines[0] = (struct ampcl_plot_line){roof_fma, x, y_fma, ROOF_POINTS, NULL, 0, NULL, NULL};
	lines[1] = (struct ampcl_plot_line){roof, x, y, ROOF_POINTS, NULL, 0, NULL, NULL};
	snprintf(title, sizeof(title), "ampcl ops on %s", b->ctx->caps.desc.name);
	struct ampcl_plot_panel panel = {
	    title, "FLOP per byte of nominal traffic", "GFLOP/s", lines, nlines, 0, 1, 1};
	ampcl_status st = ampcl_plot_write_png(path, &panel, 1, 1000, 640);
	free(x);
	free(y);
	return st;
}
