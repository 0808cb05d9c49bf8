/* program.h: builds OpenCL programs from kernel files with -D options, through the on-disk
 * binary cache, and hands out cl_kernel objects that the context owns. */
#ifndef AMPCL_PROGRAM_H
#define AMPCL_PROGRAM_H

#include "context.h"

/* The kernel `name` of cl/FILE.cl built with `options` ("" for the defaults); built on first use,
 * then reused. The context owns the kernel: do not release it. */
ampcl_status ampcl_kernel_get(struct ampcl_context *ctx, const char *file, const char *options,
			      const char *name, cl_kernel *kernel);
ampcl_status ampcl_program_get(struct ampcl_context *ctx, const char *file, const char *options,
			       cl_program *program);
/* The options a program is built with: the op's -D options after what every program takes;
 * malloc'ed. */
char *ampcl_program_options(const char *options);
/* Builds `source` (already complete) through the cache; label names it in messages. The caller
 * owns the returned program. */
ampcl_status ampcl_program_build_source(struct ampcl_context *ctx, const char *label,
					const char *source, const char *options,
					cl_program *program);
void ampcl_program_release_all(struct ampcl_context *ctx);

/* program_cache.c: the on-disk binary cache. */
void ampcl_program_cache_key(const struct ampcl_context *ctx, const char *source,
			     const char *options, char key[33]);
/* AMPCL_OK and a built program on a hit; any failure is a miss (nonzero, no message kept). */
int ampcl_program_cache_load(struct ampcl_context *ctx, const char *key, const char *options,
			     cl_program *program);
/* Writes the program's binary to a temporary file and renames it; failures are ignored,
 * since the cache is an optimisation. Returns 1 if an entry was written. */
int ampcl_program_cache_store(struct ampcl_context *ctx, const char *key, cl_program program);

#endif
