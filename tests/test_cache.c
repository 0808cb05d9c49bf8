/* test_cache.c: the on-disk program cache: a miss that writes an entry, a hit in a fresh
 * context, a corrupt entry and a foreign entry (both misses, rebuilt, never a crash), and off. */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/ampcl-cache-test-XXXXXX";

/* Path of the one entry in the cache folder; returns the number of entries. */
static int entries(char *path, size_t size)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (strstr(e->d_name, ".bin") && !strstr(e->d_name, ".tmp")) {
			snprintf(path, size, "%s/%s", dir, e->d_name);
			n++;
		}
	if (d)
		closedir(d);
	return n;
}

/* Builds eltwise in a fresh context, checks a kernel from it computes, returns the stats. */
static struct ampcl_build_stats build_once(const char *what)
{
	struct ampcl_context *ctx = tu_context();
	struct tu_arena a;
	tu_arena_init(&a, "cache");
	int shape[1] = {33};
	struct ampcl_tensor t = tu_reserve(&a, "t", 1, shape);
	tu_arena_commit(ctx, &a);
	cl_kernel k;
	tu_ok(ampcl_kernel_get(ctx, "eltwise", "", "fill_forward", &k), what);
	size_t g = 33;
	struct ampcl_karg args[] = {AMPCL_KARG_MEM(ampcl_tensor_mem(&t)),
				    AMPCL_KARG_UINT(ampcl_tensor_off(&t)), AMPCL_KARG_FLOAT(2.5f),
				    AMPCL_KARG_UINT(33)};
	tu_ok(ampcl_launch(ctx, k, 1, &g, NULL, 4, args, NULL), what);
	float got[33];
	double want[33];
	tu_ok(ampcl_tensor_read(ctx, &t, got), what);
	for (int i = 0; i < 33; i++)
		want[i] = 2.5;
	char name[128];
	snprintf(name, sizeof(name), "%s: the program computes", what);
	tu_compare(name, got, want, 33, 0, 0);
	struct ampcl_build_stats s;
	ampcl_context_build_stats(ctx, &s);
	tu_arena_free(&a);
	ampcl_context_free(ctx);
	return s;
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	setenv("AMPCL_CACHE_DIR", dir, 1);
	unsetenv("AMPCL_CACHE");
	char path[4096];

	struct ampcl_build_stats s = build_once("cold");
	tu_check(s.programs_built == 1 && s.cache_misses == 1 && s.cache_writes == 1 &&
		     entries(path, sizeof(path)) == 1,
		 "empty cache: a miss, a build and one entry written", "built %d miss %d writes %d",
		 s.programs_built, s.cache_misses, s.cache_writes);

	s = build_once("warm");
	tu_check(s.cache_hits == 1 && s.programs_built == 0, "full cache: a hit, nothing compiled",
		 "hits %d built %d (%.3f s)", s.cache_hits, s.programs_built, s.build_seconds);

	/* corrupt: flip bytes in the middle of the binary */
	FILE *f = fopen(path, "r+b");
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, size / 2, SEEK_SET);
	fwrite("garbage!", 1, 8, f);
	fclose(f);
	s = build_once("corrupt");
	tu_check(s.cache_hits == 0 && s.cache_misses == 1 && s.programs_built == 1 &&
		     s.cache_writes == 1,
		 "corrupt entry: a miss, rebuilt and rewritten", "hits %d miss %d built %d",
		 s.cache_hits, s.cache_misses, s.programs_built);
	s = build_once("after rewrite");
	tu_check(s.cache_hits == 1, "the rewritten entry hits", "hits %d", s.cache_hits);

	/* truncated */
	tu_check(truncate(path, size / 3) == 0, "truncate entry", "%s", path);
	s = build_once("truncated");
	tu_check(s.cache_hits == 0 && s.programs_built == 1, "truncated entry: a miss",
		 "hits %d built %d", s.cache_hits, s.programs_built);

	/* foreign: a valid-looking file from another key under this key's name */
	f = fopen(path, "r+b");
	fseek(f, 12, SEEK_SET); /* the key field of the header */
	fwrite("0123456789abcdef0123456789abcdef", 1, 32, f);
	fclose(f);
	s = build_once("foreign");
	tu_check(s.cache_hits == 0 && s.programs_built == 1, "foreign entry: a miss",
		 "hits %d built %d", s.cache_hits, s.programs_built);

	/* not a cache file at all */
	f = fopen(path, "wb");
	fputs("hello", f);
	fclose(f);
	s = build_once("junk");
	tu_check(s.cache_hits == 0 && s.programs_built == 1, "junk file: a miss",
		 "hits %d built %d", s.cache_hits, s.programs_built);

	/* a FIFO at the entry's name: a miss at once, never waited on */
	unlink(path);
	tu_check(mkfifo(path, 0644) == 0, "plant a FIFO", "%s", path);
	s = build_once("fifo");
	tu_check(s.cache_hits == 0 && s.programs_built == 1, "a FIFO entry: a miss",
		 "hits %d built %d", s.cache_hits, s.programs_built);

	/* off */
	setenv("AMPCL_CACHE", "0", 1);
	unlink(path);
	s = build_once("disabled");
	tu_check(s.programs_built == 1 && s.cache_hits == 0 && s.cache_misses == 0 &&
		     s.cache_writes == 0 && entries(path, sizeof(path)) == 0,
		 "AMPCL_CACHE=0: compiled, nothing read or written", "built %d writes %d",
		 s.programs_built, s.cache_writes);

	/* an unwritable cache folder is a miss, not a failure */
	unsetenv("AMPCL_CACHE");
	setenv("AMPCL_CACHE_DIR", "/proc/ampcl-cannot-write-here", 1);
	s = build_once("unwritable");
	tu_check(s.programs_built == 1 && s.cache_writes == 0, "unwritable folder: still builds",
		 "built %d writes %d", s.programs_built, s.cache_writes);

	tu_remove_tree(dir);
	return tu_finish();
}
