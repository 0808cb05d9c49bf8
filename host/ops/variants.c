/* variants.c: the list of programs the ops may build: each kernel file with its defaults (what
 * launch.c's named launches and ampcl_kernels_build_all build), then each op's -D variants. */
#include "variants.h"
#include "kernel_source.h"

void ampcl_kernel_variants(const struct ampcl_context *ctx, ampcl_kernel_variant_fn fn, void *arg)
{
	for (int i = 0; i < ampcl_kernel_source_count(); i++) {
		struct ampcl_kernel_variant v = {ampcl_kernel_source_name(i), "", "defaults", 1, 1};
		fn(arg, &v);
	}
	ampcl_gemm_own_variants(ctx, fn, arg);
	ampcl_conv2d_implicit_variants(ctx, fn, arg);
	ampcl_gemm_packed_variants(ctx, fn, arg);
	ampcl_bn_variants(ctx, fn, arg);
}
