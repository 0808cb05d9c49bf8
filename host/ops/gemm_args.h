/* gemm_args.h: one validated strided-batched product as gemm.c hands it to a back end or to
 * split-k, below both so that neither needs the other's header for it. */
#ifndef AMPCL_GEMM_ARGS_H
#define AMPCL_GEMM_ARGS_H

#include <CL/cl.h>
#include <stddef.h>

/* One strided-batched GEMM, arguments as ampcl_gemm_batched, already validated, m, n, batch
 * >= 1 and k >= 0. */
struct ampcl_gemm_args {
	int trans_a, trans_b, m, n, k;
	float alpha, beta;
	cl_mem a, b, c;
	size_t a_off, b_off, c_off;
	int lda, ldb, ldc;
	size_t stride_a, stride_b, stride_c;
	int batch;
};

#endif
