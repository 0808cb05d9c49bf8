/* kernel_source.c: looks kernel files up in the table cmake/embed_kernels.cmake generates, or
 * reads them from AMPCL_KERNEL_DIR, and prepends constants.h and common.cl to each program. */
#include "kernel_source.h"
#include "alloc.h"
#include "env.h"
#include "error.h"
#include "files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ampcl_embedded_kernel {
	const char *name;
	const char *source;
};
extern const struct ampcl_embedded_kernel ampcl_embedded_kernels[];
extern const int ampcl_embedded_kernel_count;

/* constants.h and common.cl open every program; they are no kernel file of their own */
static int prelude(const char *name)
{
	return !strcmp(name, "common") || !strcmp(name, "constants");
}

int ampcl_kernel_source_count(void)
{
	int n = 0;
	for (int i = 0; i < ampcl_embedded_kernel_count; i++)
		n += !prelude(ampcl_embedded_kernels[i].name);
	return n;
}

const char *ampcl_kernel_source_name(int i)
{
	for (int k = 0; k < ampcl_embedded_kernel_count; k++) {
		if (prelude(ampcl_embedded_kernels[k].name))
			continue;
		if (i-- == 0)
			return ampcl_embedded_kernels[k].name;
	}
	return NULL;
}

static const char *embedded(const char *name)
{
	for (int i = 0; i < ampcl_embedded_kernel_count; i++)
		if (!strcmp(ampcl_embedded_kernels[i].name, name))
			return ampcl_embedded_kernels[i].source;
	return NULL;
}

static ampcl_status read_file(const char *dir, const char *name, char **out)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/%s%s", dir, name,
		 strcmp(name, "constants") ? ".cl" : ".h");
	FILE *f = ampcl_open_input(path);
	if (!f)
		return ampcl_error_set(AMPCL_ERR_KERNEL_NOT_FOUND,
				       "cannot read kernel file '%s' (AMPCL_KERNEL_DIR=%s): %s; "
				       "unset AMPCL_KERNEL_DIR to use the embedded kernels",
				       path, dir, strerror(errno));
	size_t cap = 1 << 16, len = 0;
	char *buf = ampcl_xmalloc(cap);
	size_t got;
	while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += got;
		if (len + 1 == cap) {
			cap *= 2;
			buf = ampcl_xrealloc(buf, cap);
		}
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		return ampcl_error_set(AMPCL_ERR_IO, "error reading kernel file '%s'", path);
	}
	buf[len] = 0;
	*out = buf;
	return AMPCL_OK;
}

ampcl_status ampcl_kernel_source_check(const struct ampcl_env *env)
{
	if (!env->kernel_dir[0])
		return AMPCL_OK;
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/common.cl", env->kernel_dir);
	FILE *f = ampcl_open_input(path);
	if (f) {
		fclose(f);
		return AMPCL_OK;
	}
	return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
			       "AMPCL_KERNEL_DIR='%s' holds no kernel files (%s: %s); point it at "
			       "the cl folder of an ampcl source tree, or unset it to use the "
			       "kernels built into ampcl",
			       env->kernel_dir, path, strerror(errno));
}

static ampcl_status load_one(const struct ampcl_env *env, const char *name, char **out)
{
	if (env->kernel_dir[0])
		return read_file(env->kernel_dir, name, out);
	const char *src = embedded(name);
	if (!src)
		return ampcl_error_set(AMPCL_ERR_KERNEL_NOT_FOUND,
				       "no kernel file '%s' is built into this ampcl", name);
	*out = ampcl_xstrdup(src);
	return AMPCL_OK;
}

ampcl_status ampcl_kernel_source_load(const struct ampcl_env *env, const char *file, char **source)
{
	*source = NULL;
	char *constants = NULL, *common = NULL, *body = NULL;
	ampcl_status st = load_one(env, "constants", &constants);
	if (!st)
		st = load_one(env, "common", &common);
	if (!st)
		st = load_one(env, file, &body);
	if (!st) {
		size_t len = strlen(constants) + strlen(common) + strlen(body) + 64;
		*source = ampcl_xmalloc(len);
		/* #line keeps the build log's line numbers those of FILE.cl */
		snprintf(*source, len, "%s\n%s\n#line 1\n%s", constants, common, body);
	}
	free(constants);
	free(common);
	free(body);
	if (st)
		return st;
	return AMPCL_OK;
}
