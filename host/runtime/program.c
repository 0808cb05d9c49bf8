/* program.c: turns (kernel file, -D options) into a built cl_program, through the binary cache,
 * keeps them in the context, and looks kernels up by name. */
#include "program.h"
#include "clock.h"
#include "alloc.h"
#include "error.h"
#include "kernel_source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *build_log(struct ampcl_context *ctx, cl_program p)
{
	size_t size = 0;
	clGetProgramBuildInfo(p, ctx->caps.device, CL_PROGRAM_BUILD_LOG, 0, NULL, &size);
	char *log = ampcl_xcalloc(size + 1, 1);
	if (size)
		clGetProgramBuildInfo(p, ctx->caps.device, CL_PROGRAM_BUILD_LOG, size, log, NULL);
	return log;
}

char *ampcl_program_options(const char *options)
{
	size_t olen = strlen(options) + 32;
	char *full = ampcl_xmalloc(olen);
	/* OpenCL C 1.2 everywhere (STYLE.md §7) */
	snprintf(full, olen, "-cl-std=CL1.2 %s", options);
	return full;
}

ampcl_status ampcl_program_build_source(struct ampcl_context *ctx, const char *label,
					const char *source, const char *options,
					cl_program *program)
{
	double t0 = ampcl_now();
	char *full = ampcl_program_options(options);

	char key[33];
	ampcl_status st = AMPCL_OK;
	if (ctx->env.cache_enabled) {
		ampcl_program_cache_key(ctx, source, full, key);
		if (ampcl_program_cache_load(ctx, key, full, program) == 0) {
			ctx->stats.cache_hits++;
			goto done;
		}
		ctx->stats.cache_misses++;
	}

	cl_int err;
	cl_program p = clCreateProgramWithSource(ctx->cl, 1, &source, NULL, &err);
	if (err != CL_SUCCESS) {
		st = ampcl_error_set(err, "cannot create program %s: %s", label,
				     ampcl_cl_error_name(err));
		goto done;
	}
	err = clBuildProgram(p, 1, &ctx->caps.device, full, NULL, NULL);
	if (err != CL_SUCCESS) {
		char *log = build_log(ctx, p);
		st = ampcl_error_set(AMPCL_ERR_BUILD,
				     "building %s for %s (%s) failed: %s\noptions: %s\n"
				     "--- build log ---\n%s--- end of build log ---",
				     label, ctx->caps.desc.name, ctx->caps.desc.driver_version,
				     ampcl_cl_error_name(err), full, log);
		free(log);
		clReleaseProgram(p);
		goto done;
	}
	ctx->stats.programs_built++;
	if (ctx->env.cache_enabled)
		ctx->stats.cache_writes += ampcl_program_cache_store(ctx, key, p);
	*program = p;
done:
	free(full);
	ctx->stats.build_seconds += ampcl_now() - t0;
	return st;
}

static struct ampcl_program_entry *find_entry(struct ampcl_context *ctx, const char *file,
					      const char *options)
{
	for (int i = 0; i < ctx->nprograms; i++)
		if (!strcmp(ctx->programs[i].file, file) &&
		    !strcmp(ctx->programs[i].options, options))
			return &ctx->programs[i];
	return NULL;
}

static ampcl_status get_entry(struct ampcl_context *ctx, const char *file, const char *options,
			      struct ampcl_program_entry **out)
{
	if (!options)
		options = "";
	struct ampcl_program_entry *e = find_entry(ctx, file, options);
	if (e) {
		*out = e;
		return AMPCL_OK;
	}
	char *source = NULL;
	ampcl_status st = ampcl_kernel_source_load(&ctx->env, file, &source);
	if (st)
		return st;
	char label[128];
	snprintf(label, sizeof(label), "cl/%s.cl", file);
	cl_program program;
	st = ampcl_program_build_source(ctx, label, source, options, &program);
	free(source);
	if (st)
		return st;
	ctx->programs =
	    ampcl_xrealloc(ctx->programs, (size_t)(ctx->nprograms + 1) * sizeof(*ctx->programs));
	e = &ctx->programs[ctx->nprograms++];
	memset(e, 0, sizeof(*e));
	e->file = ampcl_xstrdup(file);
	e->options = ampcl_xstrdup(options);
	e->program = program;
	*out = e;
	return AMPCL_OK;
}

ampcl_status ampcl_program_get(struct ampcl_context *ctx, const char *file, const char *options,
			       cl_program *program)
{
	struct ampcl_program_entry *e;
	ampcl_status st = get_entry(ctx, file, options, &e);
	if (!st)
		*program = e->program;
	return st;
}

ampcl_status ampcl_kernel_get(struct ampcl_context *ctx, const char *file, const char *options,
			      const char *name, cl_kernel *kernel)
{
	struct ampcl_program_entry *e;
	ampcl_status st = get_entry(ctx, file, options, &e);
	if (st)
		return st;
	for (int i = 0; i < e->nkernels; i++)
		if (!strcmp(e->kernels[i].name, name)) {
			*kernel = e->kernels[i].kernel;
			return AMPCL_OK;
		}
	cl_int err;
	cl_kernel k = clCreateKernel(e->program, name, &err);
	if (err != CL_SUCCESS)
		return ampcl_error_set(AMPCL_ERR_KERNEL_NOT_FOUND,
				       "no kernel '%s' in cl/%s.cl (options '%s'): %s", name, file,
				       e->options, ampcl_cl_error_name(err));
	e->kernels = ampcl_xrealloc(e->kernels, (size_t)(e->nkernels + 1) * sizeof(*e->kernels));
	e->kernels[e->nkernels].name = ampcl_xstrdup(name);
	e->kernels[e->nkernels].kernel = k;
	e->nkernels++;
	*kernel = k;
	return AMPCL_OK;
}

void ampcl_program_release_all(struct ampcl_context *ctx)
{
	for (int i = 0; i < ctx->nprograms; i++) {
		struct ampcl_program_entry *e = &ctx->programs[i];
		for (int k = 0; k < e->nkernels; k++) {
			clReleaseKernel(e->kernels[k].kernel);
			free(e->kernels[k].name);
		}
		free(e->kernels);
		clReleaseProgram(e->program);
		free(e->file);
		free(e->options);
	}
	free(ctx->programs);
	ctx->programs = NULL;
	ctx->nprograms = 0;
}

ampcl_status ampcl_kernels_build_all(ampcl_context_t *ctx)
{
	for (int i = 0; i < ampcl_kernel_source_count(); i++) {
		cl_program p;
		ampcl_status st = ampcl_program_get(ctx, ampcl_kernel_source_name(i), "", &p);
		if (st)
			return st;
	}
	return AMPCL_OK;
}
