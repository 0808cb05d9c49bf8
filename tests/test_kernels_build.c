/* test_kernels_build.c: every kernel file ampcl embeds builds on the test device with its
 * default options, and the self-test (element-wise kernels, a long loop) passes. */
#include "kernel_source.h"
#include "testutil.h"

#include <stdio.h>

int main(void)
{
	struct ampcl_context *ctx = tu_context();
	int files = ampcl_kernel_source_count();
	for (int i = 0; i < files; i++) {
		cl_program p;
		const char *name = ampcl_kernel_source_name(i);
		int st = ampcl_program_get(ctx, name, "", &p);
		size_t kernels = 0;
		if (!st)
			clGetProgramInfo(p, CL_PROGRAM_NUM_KERNELS, sizeof(kernels), &kernels,
					 NULL);
		tu_check(st == AMPCL_OK && kernels > 0, name, "cl/%s.cl: %zu kernels%s%s", name,
			 kernels, st ? ", " : "", st ? ampcl_last_error() : "");
	}
	char report[4096];
	int st = ampcl_selftest(ctx, report, sizeof(report));
	tu_check(st == AMPCL_OK, "selftest", "\n%s%s", report, st ? ampcl_last_error() : "");
	ampcl_context_free(ctx);
	return tu_finish();
}
