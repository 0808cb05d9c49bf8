/* bench_gemm.c: `ampcl bench --gemm`: GEMM throughput of both back ends at square sizes and at
 * the im2col shapes of ResNet-18's convolutions, each result spot-checked in double first. */
#include "bench.h"
#include "gemm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* m x n x k, row-major NN: C(m,n) = A(m,k) B(k,n). The conv rows are ResNet-18's forward
 * products at batch 32: W(K, C*R*S) x col(C*R*S, 32*P*Q). */
static const int gemm_shapes[][3] = {
    {256, 256, 256},   {512, 512, 512},   {1024, 1024, 1024}, {64, 32768, 576},
    {128, 8192, 1152}, {256, 2048, 2304}, {512, 512, 4608},
};

struct gemm_run {
	int m, n, k;
	struct bench_set set; /* 0 A, 1 B, 2 C */
};

static ampcl_status gemm_run(struct bench *b, void *arg)
{
	struct gemm_run *g = arg;
	struct ampcl_tensor *t = g->set.t;
	return ampcl_gemm(b->ctx, 0, 0, g->m, g->n, g->k, 1.0f, ampcl_tensor_mem(&t[0]),
			  ampcl_tensor_off(&t[0]), g->k, ampcl_tensor_mem(&t[1]),
			  ampcl_tensor_off(&t[1]), g->n, 0.0f, ampcl_tensor_mem(&t[2]),
			  ampcl_tensor_off(&t[2]), g->n);
}

/* 257 entries of C recomputed in double: a wrong tile or edge shows up without an O(mnk) check */
static double spot_check(struct bench *b, struct gemm_run *g)
{
	size_t count = (size_t)g->m * g->n;
	float *c = malloc(count * sizeof(float));
	if (!c)
		abort();
	double worst = INFINITY;
	if (ampcl_tensor_read(b->ctx, &g->set.t[2], c) == AMPCL_OK) {
		worst = 0;
		const float *A = g->set.host[0], *B = g->set.host[1];
		for (int s = 0; s < 257; s++) {
			size_t idx = s == 256 ? count - 1 : (size_t)s * 2654435761u % count;
			int i = (int)(idx / (size_t)g->n), j = (int)(idx % (size_t)g->n);
			double want = 0;
			for (int p = 0; p < g->k; p++)
				want += (double)A[(size_t)i * g->k + p] * B[(size_t)p * g->n + j];
			/* k products of values in [-1, 1): float error grows like sqrt(k) */
			double e =
			    fabs(c[idx] - want) / (1e-5 * sqrt((double)g->k) + 1e-5 * fabs(want));
			if (!(e <= worst))
				worst = isnan(e) ? INFINITY : e;
		}
	}
	free(c);
	return worst;
}

ampcl_status bench_gemm(struct bench *b, const char *backends)
{
	char list[64];
	snprintf(list, sizeof(list), "%s", backends);
	for (char *name = strtok(list, ","); name; name = strtok(NULL, ",")) {
		ampcl_status st = ampcl_gemm_set_backend(b->ctx, name);
		if (st)
			return st;
		for (size_t i = 0; i < sizeof(gemm_shapes) / sizeof(gemm_shapes[0]); i++) {
			struct gemm_run g = {
			    .m = gemm_shapes[i][0], .n = gemm_shapes[i][1], .k = gemm_shapes[i][2]};
			bench_set_init(&g.set);
			bench_set_add(&g.set, "A", 2, g.m, g.k, 0, 0);
			bench_set_add(&g.set, "B", 2, g.k, g.n, 0, 0);
			bench_set_add(&g.set, "C", 2, g.m, g.n, 0, 0);
			char shape[72];
			snprintf(shape, sizeof(shape), "%dx%dx%d", g.m, g.n, g.k);
			double err = INFINITY, ms = -1;
			if (bench_set_commit(b, &g.set) == AMPCL_OK &&
			    gemm_run(b, &g) == AMPCL_OK) {
				err = spot_check(b, &g);
				ms = bench_time(b, gemm_run, &g);
			}
			bench_add(b, "gemm", ampcl_gemm_backend_name(b->ctx), shape, 0, ms,
				  2.0 * g.m * (double)g.n * g.k,
				  4.0 * ((double)g.m * g.k + (double)g.k * g.n + (double)g.m * g.n),
				  err);
			bench_set_free(&g.set);
		}
	}
	return ampcl_gemm_set_backend(b->ctx, "auto");
}
