/* program_cache.c: the on-disk cache of compiled program binaries. An entry is
 * "AMPCLBIN" | format | key | size | checksum | binary; anything that does not check out is a miss.
 */
#include "error.h"
#include "alloc.h"
#include "files.h"
#include "hash.h"
#include "program.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CACHE_MAGIC "AMPCLBIN"
#define CACHE_FORMAT 1u

struct cache_header {
	char magic[8];
	uint32_t format;
	char key[32];
	uint32_t reserved;
	uint64_t size;
	uint64_t checksum;
};

void ampcl_program_cache_key(const struct ampcl_context *ctx, const char *source,
			     const char *options, char key[33])
{
	struct ampcl_hash h;
	ampcl_hash_init(&h);
	ampcl_hash_string(&h, source);
	ampcl_hash_string(&h, options);
	ampcl_hash_string(&h, ctx->caps.desc.name);
	ampcl_hash_string(&h, ctx->caps.desc.driver_version);
	ampcl_hash_string(&h, ctx->caps.desc.platform_version);
	ampcl_hash_string(&h, ampcl_version());
	ampcl_hash_hex(&h, key);
}

static void entry_path(const struct ampcl_context *ctx, const char *key, char *path, size_t size)
{
	snprintf(path, size, "%s/%s.bin", ctx->env.cache_dir, key);
}

int ampcl_program_cache_load(struct ampcl_context *ctx, const char *key, const char *options,
			     cl_program *program)
{
	char path[PATH_MAX + 64];
	entry_path(ctx, key, path, sizeof(path));
	FILE *f = ampcl_open_input(path); /* a FIFO or device planted there is a miss */
	if (!f)
		return -1;
	struct cache_header hdr;
	unsigned char *bin = NULL;
	int miss = -1;
	if (fread(&hdr, sizeof(hdr), 1, f) != 1 || memcmp(hdr.magic, CACHE_MAGIC, 8) ||
	    hdr.format != CACHE_FORMAT || memcmp(hdr.key, key, 32) || hdr.size == 0 ||
	    hdr.size > ((uint64_t)1 << 31))
		goto out;
	bin = ampcl_xmalloc(hdr.size);
	if (fread(bin, 1, hdr.size, f) != hdr.size || fgetc(f) != EOF ||
	    ampcl_hash64(bin, hdr.size) != hdr.checksum)
		goto out;

	size_t size = (size_t)hdr.size;
	const unsigned char *bins[1] = {bin};
	cl_int status = CL_SUCCESS, err;
	cl_program p =
	    clCreateProgramWithBinary(ctx->cl, 1, &ctx->caps.device, &size, bins, &status, &err);
	if (err != CL_SUCCESS || status != CL_SUCCESS) {
		if (p)
			clReleaseProgram(p);
		goto out;
	}
	if (clBuildProgram(p, 1, &ctx->caps.device, options, NULL, NULL) != CL_SUCCESS) {
		clReleaseProgram(p);
		goto out;
	}
	*program = p;
	miss = 0;
out:
	free(bin);
	fclose(f);
	return miss;
}

int ampcl_program_cache_store(struct ampcl_context *ctx, const char *key, cl_program program)
{
	size_t size = 0;
	if (clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizeof(size), &size, NULL) !=
		CL_SUCCESS ||
	    size == 0)
		return 0;
	unsigned char *bin = ampcl_xmalloc(size);
	unsigned char *bins[1] = {bin};
	int written = 0;
	if (clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof(bins), bins, NULL) != CL_SUCCESS)
		goto out;
	if (ampcl_make_dirs(ctx->env.cache_dir))
		goto out;

	struct cache_header hdr = {0};
	memcpy(hdr.magic, CACHE_MAGIC, 8);
	hdr.format = CACHE_FORMAT;
	memcpy(hdr.key, key, 32);
	hdr.size = size;
	hdr.checksum = ampcl_hash64(bin, size);

	char path[PATH_MAX + 64];
	entry_path(ctx, key, path, sizeof(path));
	struct ampcl_atomic a;
	if (ampcl_atomic_open(&a, path))
		goto out; /* an unwritable cache only means no caching */
	fwrite(&hdr, sizeof(hdr), 1, a.f);
	fwrite(bin, 1, size, a.f);
	if (ampcl_atomic_commit(&a))
		goto out;
	written = 1;
out:
	free(bin);
	return written;
}
