/* gemm_clblast.c: the CLBlast back end, the only file that includes clblast_c.h: Sgemm and
 * SgemmStridedBatched on the context's queue, and CLBlast's status codes mapped to ampcl's. */
#include "gemm.h"
#include "error.h"
#include "kprof.h"

#include <clblast_c.h>
#include <stdlib.h>

/* CLBlast's own codes that messages name; OpenCL's codes are named by ampcl_cl_error_name. */
static const struct {
	CLBlastStatusCode code;
	const char *name;
} clblast_codes[] = {
    {CLBlastOpenCLCompilerNotAvailable, "OpenCLCompilerNotAvailable"},
    {CLBlastTempBufferAllocFailure, "TempBufferAllocFailure"},
    {CLBlastOpenCLOutOfResources, "OpenCLOutOfResources"},
    {CLBlastOpenCLOutOfHostMemory, "OpenCLOutOfHostMemory"},
    {CLBlastOpenCLBuildProgramFailure, "OpenCLBuildProgramFailure"},
    {CLBlastNotImplemented, "NotImplemented"},
    {CLBlastInvalidMatrixA, "InvalidMatrixA"},
    {CLBlastInvalidMatrixB, "InvalidMatrixB"},
    {CLBlastInvalidMatrixC, "InvalidMatrixC"},
    {CLBlastInvalidDimension, "InvalidDimension"},
    {CLBlastInvalidLeadDimA, "InvalidLeadDimA"},
    {CLBlastInvalidLeadDimB, "InvalidLeadDimB"},
    {CLBlastInvalidLeadDimC, "InvalidLeadDimC"},
    {CLBlastInsufficientMemoryA, "InsufficientMemoryA"},
    {CLBlastInsufficientMemoryB, "InsufficientMemoryB"},
    {CLBlastInsufficientMemoryC, "InsufficientMemoryC"},
    {CLBlastInsufficientMemoryTemp, "InsufficientMemoryTemp"},
    {CLBlastInvalidBatchCount, "InvalidBatchCount"},
    {CLBlastInvalidLocalMemUsage, "InvalidLocalMemUsage"},
    {CLBlastDatabaseError, "DatabaseError"},
    {CLBlastUnknownError, "UnknownError"},
    {CLBlastUnexpectedError, "UnexpectedError"},
};

static const char *clblast_code_name(CLBlastStatusCode code)
{
	for (size_t i = 0; i < sizeof(clblast_codes) / sizeof(clblast_codes[0]); i++)
		if (clblast_codes[i].code == code)
			return clblast_codes[i].name;
	return code > -100 ? ampcl_cl_error_name((cl_int)code) : "unlisted code";
}

/* CLBlast's own codes (-1024 and below) overlap ampcl's range, so each gets an ampcl status:
 * the ones that say CLBlast cannot work on this device become BUILD or UNSUPPORTED (gemm.c
 * may then fall back to the own kernels); OpenCL's codes pass through, as elsewhere. */
static ampcl_status clblast_status(CLBlastStatusCode code)
{
	switch (code) {
	case CLBlastOpenCLBuildProgramFailure:
	case CLBlastInvalidBinary:
	case CLBlastInvalidBuildOptions:
	case CLBlastInvalidProgram:
	case CLBlastInvalidProgramExecutable:
	case CLBlastInvalidKernelName:
	case CLBlastInvalidKernelDefinition:
		return AMPCL_ERR_BUILD;
	case CLBlastOpenCLCompilerNotAvailable:
	case CLBlastNotImplemented:
	case CLBlastInvalidLocalMemUsage:
	case CLBlastInvalidLocalThreadsTotal:
	case CLBlastInvalidLocalThreadsDim:
	case CLBlastDatabaseError:
		return AMPCL_ERR_UNSUPPORTED;
	case CLBlastTempBufferAllocFailure:
	case CLBlastOpenCLOutOfResources:
	case CLBlastInsufficientMemoryTemp:
		return AMPCL_ERR_OUT_OF_DEVICE_MEMORY;
	case CLBlastInvalidMatrixA:
	case CLBlastInvalidMatrixB:
	case CLBlastInvalidMatrixC:
	case CLBlastInvalidDimension:
	case CLBlastInvalidLeadDimA:
	case CLBlastInvalidLeadDimB:
	case CLBlastInvalidLeadDimC:
	case CLBlastInsufficientMemoryA:
	case CLBlastInsufficientMemoryB:
	case CLBlastInsufficientMemoryC:
	case CLBlastInvalidBatchCount:
		return AMPCL_ERR_INVALID_ARG;
	default:
		return code > -100 ? (ampcl_status)code : AMPCL_ERR_UNSUPPORTED;
	}
}

/* CLBlast caches its compiled programs and kernels for the process; they hold this context, so
 * they are dropped before it is released (a strict OpenCL implementation otherwise finds them
 * outliving it and aborts at exit). */
static void clear_clblast(struct ampcl_context *ctx, void *value)
{
	(void)ctx;
	(void)value;
	CLBlastClearCache();
}

/* the key (and the value) under which a context that ran CLBlast holds clear_clblast */
static char clblast_used;

/* The same at exit, for a program that never releases its context: CLBlast's cache would
 * otherwise be torn down by its static destructors after the OpenCL implementation's own
 * (Oclgrind then aborted in test_linear). Registered after both libraries were loaded, it runs
 * before their destructors. */
static void clear_clblast_at_exit(void)
{
	CLBlastClearCache();
}

ampcl_status ampcl_gemm_clblast_run(struct ampcl_context *ctx, const struct ampcl_gemm_args *g)
{
	static int at_exit;
	if (!at_exit)
		at_exit = atexit(clear_clblast_at_exit) == 0;
	ampcl_context_attach(ctx, &clblast_used, &clblast_used, clear_clblast);
	CLBlastTranspose ta = g->trans_a ? CLBlastTransposeYes : CLBlastTransposeNo;
	CLBlastTranspose tb = g->trans_b ? CLBlastTransposeYes : CLBlastTransposeNo;
	CLBlastStatusCode code;

	if (g->beta == 0.0f) {
		/* BLAS leaves C unread when beta == 0, but CLBlast does not promise it: its 1.5
		 * kernels happen to skip C then (test_gemm passes without this), other builds may
		 * compute 0*C, which keeps a NaN. One write pass over C buys the guarantee. */
		ampcl_status st = ampcl_gemm_own_clear(ctx, g);
		if (st)
			return st;
	}
	cl_event ev = NULL, *evp = ctx->kprof ? &ev : NULL; /* bench --profile */
	if (g->batch == 1)
		code = CLBlastSgemm(CLBlastLayoutRowMajor, ta, tb, (size_t)g->m, (size_t)g->n,
				    (size_t)g->k, g->alpha, g->a, g->a_off, (size_t)g->lda, g->b,
				    g->b_off, (size_t)g->ldb, g->beta, g->c, g->c_off,
				    (size_t)g->ldc, &ctx->queue, evp);
	else
		code = CLBlastSgemmStridedBatched(
		    CLBlastLayoutRowMajor, ta, tb, (size_t)g->m, (size_t)g->n, (size_t)g->k,
		    g->alpha, g->a, g->a_off, (size_t)g->lda, g->stride_a, g->b, g->b_off,
		    (size_t)g->ldb, g->stride_b, g->beta, g->c, g->c_off, (size_t)g->ldc,
		    g->stride_c, (size_t)g->batch, &ctx->queue, evp);
	if (code == CLBlastSuccess && ev)
		ampcl_kprof_record(
		    ctx, g->batch == 1 ? "CLBlast Sgemm" : "CLBlast SgemmStridedBatched", ev);
	if (code == CLBlastSuccess)
		return AMPCL_OK;
	return ampcl_error_set(clblast_status(code),
			       "CLBlast %s (%c%c m=%d n=%d k=%d batch=%d) failed on %s: %s (%d)%s",
			       g->batch == 1 ? "Sgemm" : "SgemmStridedBatched",
			       g->trans_a ? 'T' : 'N', g->trans_b ? 'T' : 'N', g->m, g->n, g->k,
			       g->batch, ctx->caps.desc.name, clblast_code_name(code), (int)code,
			       clblast_status(code) == AMPCL_ERR_BUILD ||
				       clblast_status(code) == AMPCL_ERR_UNSUPPORTED
				   ? "; AMPCL_GEMM=own uses ampcl's own kernels instead"
				   : "");
}
