/* env.c: the one file that reads environment variables (STYLE.md §8); everything else gets
 * a struct ampcl_env filled here. */
#include "env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void copy_var(char *dst, size_t size, const char *name)
{
	const char *v = getenv(name);
	snprintf(dst, size, "%s", v ? v : "");
}

void ampcl_env_read(struct ampcl_env *env)
{
	memset(env, 0, sizeof(*env));
	copy_var(env->device, sizeof(env->device), "AMPCL_DEVICE");
	copy_var(env->kernel_dir, sizeof(env->kernel_dir), "AMPCL_KERNEL_DIR");
	copy_var(env->gemm, sizeof(env->gemm), "AMPCL_GEMM");
	copy_var(env->profile, sizeof(env->profile), "AMPCL_PROFILE");
	copy_var(env->tune, sizeof(env->tune), "AMPCL_TUNE");
	copy_var(env->conv, sizeof(env->conv), "AMPCL_CONV");
	copy_var(env->verify_break, sizeof(env->verify_break), "AMPCL_VERIFY_BREAK");

	const char *c = getenv("AMPCL_CACHE");
	env->cache_enabled = !(c && (!strcmp(c, "0") || !strcasecmp(c, "off") ||
				     !strcasecmp(c, "no") || !strcasecmp(c, "false")));

	const char *dir = getenv("AMPCL_CACHE_DIR");
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	if (dir && *dir)
		snprintf(env->cache_dir, sizeof(env->cache_dir), "%s", dir);
	else if (xdg && *xdg)
		snprintf(env->cache_dir, sizeof(env->cache_dir), "%s/ampcl", xdg);
	else if (home && *home)
		snprintf(env->cache_dir, sizeof(env->cache_dir), "%s/.cache/ampcl", home);
	else
		env->cache_enabled = 0; /* nowhere sensible to write */
}
