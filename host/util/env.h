/* env.h: every environment variable ampcl reads, read in one place (host/env.c) so the rest of
 * the library takes settings as values. */
#ifndef AMPCL_ENV_H
#define AMPCL_ENV_H

#include <limits.h>

struct ampcl_env {
	char device[256];          /* AMPCL_DEVICE: index or name substring, "" if unset */
	char kernel_dir[PATH_MAX]; /* AMPCL_KERNEL_DIR: load the .cl files from here, "" = embedded
				    */
	char cache_dir[PATH_MAX];  /* AMPCL_CACHE_DIR, else $XDG_CACHE_HOME/ampcl, else
				      ~/.cache/ampcl */
	int cache_enabled;         /* AMPCL_CACHE=0 (or off/no/false) turns the binary cache off */
	char gemm[32];             /* AMPCL_GEMM: GEMM back end, "" = automatic */
	char profile[32];          /* AMPCL_PROFILE: force a device profile row, "" = by device */
	char tune[32];             /* AMPCL_TUNE: off, quick or full, "" = quick (tune.h) */
	char conv[32];             /* AMPCL_CONV: implicit or im2col, "" = the profile's choice */
	char verify_break[32];     /* AMPCL_VERIFY_BREAK: for ampcl's tests only, the op family
				      whose results `ampcl verify` makes wrong on purpose, "" = none */
};

/* Reads the environment now; contexts call it once at creation. */
void ampcl_env_read(struct ampcl_env *env);

#endif
