/* kernel_source.h: where kernel sources come from: the copies embedded at build time, or the
 * folder named by AMPCL_KERNEL_DIR while developing. */
#ifndef AMPCL_KERNEL_SOURCE_H
#define AMPCL_KERNEL_SOURCE_H

#include "ampcl.h"

struct ampcl_env;

/* The shipped kernel files by name ("relu" for cl/relu.cl), NULL-terminated, "common" excluded. */
int ampcl_kernel_source_count(void);
const char *ampcl_kernel_source_name(int i);

/* AMPCL_OK when the kernels can be had: always when embedded; with AMPCL_KERNEL_DIR set, when
 * that folder holds common.cl. Otherwise AMPCL_ERR_INVALID_ARG naming the variable, checked
 * when a context is made rather than at the first kernel. */
ampcl_status ampcl_kernel_source_check(const struct ampcl_env *env);

/* The full program text for file: common.cl followed by FILE.cl, malloc'ed into *source. */
ampcl_status ampcl_kernel_source_load(const struct ampcl_env *env, const char *file, char **source);

#endif
