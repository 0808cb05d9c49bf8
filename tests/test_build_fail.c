/* test_build_fail.c: AMPCL_KERNEL_DIR loads kernels from a folder; a kernel that does not compile
 * reports the full build log and the options; a missing file or kernel name is reported too. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0) {
		perror(path);
		exit(1);
	}
	fclose(f);
}

int main(void)
{
	char dir[] = "/tmp/ampcl-kdir-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char path[256];
	snprintf(path, sizeof(path), "%s/constants.h", dir);
	write_file(path, "#define AMPCL_TWO 2.0f\n");
	snprintf(path, sizeof(path), "%s/common.cl", dir);
	write_file(path, "#define TWICE(x) (AMPCL_TWO * (x))\n");
	snprintf(path, sizeof(path), "%s/good.cl", dir);
	write_file(path,
		   "#ifndef SCALE\n#define SCALE 1.0f\n#endif\n"
		   "__kernel void good_forward(__global float *y, uint y_off, uint n)\n"
		   "{ uint i = get_global_id(0); if (i < n) y[y_off + i] = TWICE(SCALE); }\n");
	snprintf(path, sizeof(path), "%s/broken.cl", dir);
	write_file(path, "__kernel void broken_forward(__global float *y)\n"
			 "{\n  y[0] = undeclared_thing_42;\n}\n");
	setenv("AMPCL_KERNEL_DIR", dir, 1);
	setenv("AMPCL_CACHE", "0", 1);

	struct ampcl_context *ctx = tu_context();
	struct tu_arena a;
	tu_arena_init(&a, "kdir");
	int shape[1] = {5};
	struct ampcl_tensor t = tu_reserve(&a, "t", 1, shape);
	tu_arena_commit(ctx, &a);

	cl_kernel k;
	tu_ok(ampcl_kernel_get(ctx, "good", "-DSCALE=3.0f", "good_forward", &k), "good kernel");
	size_t g = 5;
	struct ampcl_karg args[] = {AMPCL_KARG_MEM(ampcl_tensor_mem(&t)),
				    AMPCL_KARG_UINT(ampcl_tensor_off(&t)), AMPCL_KARG_UINT(5)};
	tu_ok(ampcl_launch(ctx, k, 1, &g, NULL, 3, args, NULL), "launch");
	float got[5];
	double want[5] = {6, 6, 6, 6, 6};
	tu_ok(ampcl_tensor_read(ctx, &t, got), "read");
	tu_compare("kernel from AMPCL_KERNEL_DIR with common.cl and a -D option", got, want, 5, 0,
		   0);

	int st = ampcl_kernel_get(ctx, "broken", "-DMARKER_OPTION=1", "broken_forward", &k);
	const char *msg = ampcl_last_error();
	tu_check(st == AMPCL_ERR_BUILD && strstr(msg, "cl/broken.cl") &&
		     strstr(msg, "-DMARKER_OPTION=1") && strstr(msg, "build log") &&
		     strstr(msg, "undeclared_thing_42"),
		 "a failed build reports its log and options", "status %d, message:\n%s", st, msg);

	st = ampcl_kernel_get(ctx, "absent", "", "absent_forward", &k);
	tu_check(st == AMPCL_ERR_KERNEL_NOT_FOUND && strstr(ampcl_last_error(), "absent.cl"),
		 "a missing kernel file is named", "status %d: %s", st, ampcl_last_error());
	st = ampcl_kernel_get(ctx, "good", "-DSCALE=3.0f", "no_such_kernel", &k);
	tu_check(st == AMPCL_ERR_KERNEL_NOT_FOUND && strstr(ampcl_last_error(), "no_such_kernel"),
		 "a missing kernel name is named", "status %d: %s", st, ampcl_last_error());

	tu_arena_free(&a);
	ampcl_context_free(ctx);
	tu_remove_tree(dir);
	return tu_finish();
}
