/* test_kernels_build.c: every kernel file ampcl embeds builds on the test device with its
 * default options, and `ampcl verify --quick` (the probe, every op at odd shapes, the replay)
 * passes, each failed check printed. */
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
	struct ampcl_verify_config cfg = {.quick = 1};
	struct ampcl_verify_report *rep = NULL;
	int st = ampcl_verify_run(ctx, &cfg, NULL, NULL, &rep);
	tu_check(st == AMPCL_OK, "verify --quick runs", "%s", st ? ampcl_last_error() : "");
	for (int i = 0; rep && i < rep->nchecks; i++) {
		const struct ampcl_verify_check *c = &rep->checks[i];
		if (!c->passed)
			tu_check(0, c->op, "%s at %s: error %g, tolerance %g (%s), path %s", c->family,
				 c->shape, c->max_abs, c->tol, c->bound, c->path);
	}
	tu_check(rep && rep->failed == 0, "verify --quick", "%d of %d checks passed",
		 rep ? rep->nchecks - rep->failed : 0, rep ? rep->nchecks : 0);
	ampcl_verify_report_free(rep);
	ampcl_context_free(ctx);
	return tu_finish();
}
