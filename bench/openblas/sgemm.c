/* sgemm.c: OpenBLAS's SGEMM at the shapes `ampcl bench --gemm-sweep` times, for a side-by-side
 * ratio on one machine. Built and run by bench/gemm-vs-openblas.sh; not part of the library. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static const int shapes[][3] = {
	    {256, 256, 256},   {512, 512, 512},   {1024, 1024, 1024}, {64, 32768, 576},
	    {128, 8192, 1152}, {256, 2048, 2304}, {512, 512, 4608},
	};
	int reps = argc > 1 ? atoi(argv[1]) : 5;
	if (reps < 1)
		reps = 1;
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
		float *a = malloc((size_t)m * k * 4), *b = malloc((size_t)k * n * 4);
		float *c = malloc((size_t)m * n * 4);
		double *ms = malloc((size_t)reps * sizeof(double));
		if (!a || !b || !c || !ms)
			return 1;
		for (size_t i = 0; i < (size_t)m * k; i++)
			a[i] = (float)((i * 7919) % 1000) / 500.0f - 1.0f;
		for (size_t i = 0; i < (size_t)k * n; i++)
			b[i] = (float)((i * 104729) % 1000) / 500.0f - 1.0f;
		for (int r = -2; r < reps; r++) { /* two warm-up runs */
			double t0 = now();
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k,
				    b, n, 0.0f, c, n);
			if (r >= 0)
				ms[r] = 1e3 * (now() - t0);
		}
		qsort(ms, (size_t)reps, sizeof(double), cmp);
		double med = ms[reps / 2];
		printf("%dx%dx%d %.3f ms %.1f GFLOP/s\n", m, n, k, med,
		       2.0 * m * (double)n * k / (med * 1e6));
		free(a), free(b), free(c), free(ms);
	}
	return 0;
}
