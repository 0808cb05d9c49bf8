/* fuzz_util.c: the libFuzzer targets' private folder and input files. */
#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64];

void fuzz_path(char *path, size_t size, const char *name)
{
	if (!root[0]) {
		snprintf(root, sizeof(root), "/tmp/ampcl-fuzz-%ld", (long)getpid());
		mkdir(root, 0700);
	}
	snprintf(path, size, "%s/%s", root, name);
}

const char *fuzz_write(const char *name, const uint8_t *data, size_t size)
{
	static char path[4][512];
	static int next;
	char *p = path[next++ % 4];
	fuzz_path(p, 512, name);
	/* the folders on the way */
	for (char *s = strchr(p + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		mkdir(p, 0700);
		*s = '/';
	}
	FILE *f = fopen(p, "wb");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	return p;
}
