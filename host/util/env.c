/* env.c: the one file that reads environment variables (STYLE.md §8); everything else gets
 * a struct ampcl_env filled here. */
#include "env.h"

#include <ctype.h>
#include <stdint.h>
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
	copy_var(env->fuse, sizeof(env->fuse), "AMPCL_FUSE");
	copy_var(env->limits, sizeof(env->limits), "AMPCL_LIMITS");
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

#define LIMITS_KEYS                                                                                \
	"the valid keys are global, alloc and local (bytes, or with a K, M, G or T suffix: "       \
	"powers of 1024), wg, units and vector (counts), each > 0, as in "                         \
	"AMPCL_LIMITS=global=2G,alloc=256M,local=16K,wg=32,units=4,vector=8"

/* "256M" -> 268435456; 0 when the text is not a whole number > 0 with an optional suffix or
 * the value does not fit 64 bits. */
static unsigned long long parse_size(const char *s, size_t len, int suffix_ok)
{
	unsigned long long v = 0;
	size_t i = 0;
	for (; i < len && isdigit((unsigned char)s[i]); i++) {
		if (v > (ULLONG_MAX - 9) / 10)
			return 0;
		v = v * 10 + (unsigned long long)(s[i] - '0');
	}
	if (i == 0)
		return 0;
	if (i == len)
		return v;
	const char *units = "KMGT";
	const char *u =
	    suffix_ok && i + 1 == len ? strchr(units, toupper((unsigned char)s[i])) : NULL;
	if (!u || !s[i])
		return 0;
	for (int shift = (int)(u - units) + 1; shift > 0; shift--) {
		if (v > ULLONG_MAX / 1024)
			return 0;
		v *= 1024;
	}
	return v;
}

ampcl_status ampcl_env_parse_limits(const struct ampcl_env *env, struct ampcl_env_limits *out)
{
	memset(out, 0, sizeof(*out));
	unsigned long long wg = 0, units = 0, vector = 0;
	struct {
		const char *key;
		unsigned long long *value;
		int is_size; /* takes a K, M, G or T suffix */
	} keys[] = {{"global", &out->global_mem_bytes, 1},
		    {"alloc", &out->max_alloc_bytes, 1},
		    {"local", &out->local_mem_bytes, 1},
		    {"wg", &wg, 0},
		    {"units", &units, 0},
		    {"vector", &vector, 0}};
	for (const char *item = env->limits; *item;) {
		const char *end = strchr(item, ',');
		size_t len = end ? (size_t)(end - item) : strlen(item);
		const char *eq = memchr(item, '=', len);
		size_t klen = eq ? (size_t)(eq - item) : len;
		int k = -1;
		for (int i = 0; i < (int)(sizeof(keys) / sizeof(keys[0])); i++)
			if (strlen(keys[i].key) == klen && !strncmp(item, keys[i].key, klen))
				k = i;
		const char *why = NULL;
		unsigned long long v = 0;
		if (k < 0)
			why = "unknown key";
		else if (!eq)
			why = "no value";
		else if (!(v = parse_size(eq + 1, len - klen - 1, keys[k].is_size)))
			why = keys[k].is_size ? "not a size > 0" : "not a whole number > 0";
		else if (!keys[k].is_size && v > UINT32_MAX)
			why = "too large";
		else if (*keys[k].value)
			why = "given twice";
		if (why)
			return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
					       "AMPCL_LIMITS='%s': '%.*s': %s; " LIMITS_KEYS,
					       env->limits, (int)len, item, why);
		*keys[k].value = v;
		item = end ? end + 1 : item + len;
		if (end && !*item)
			return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
					       "AMPCL_LIMITS='%s': ends with ','; " LIMITS_KEYS,
					       env->limits);
	}
	out->max_work_group_size = (size_t)wg;
	out->compute_units = (unsigned)units;
	out->vector_width = (unsigned)vector;
	return AMPCL_OK;
}
