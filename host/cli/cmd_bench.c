/* cmd_bench.c: `ampcl bench` runs the ampcl-bench program, which holds the benchmarks and the
 * double references they check against, so the ampcl program links the shared library alone. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ampcl-bench beside this program (a build tree), or in ../libexec/ampcl (an installation). */
static int find_bench(char *path, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 0;
	self[n] = 0;
	char *slash = strrchr(self, '/');
	if (!slash)
		return 0;
	*slash = 0;
	snprintf(path, size, "%s/ampcl-bench", self);
	if (access(path, X_OK) == 0)
		return 1;
	snprintf(path, size, "%s/../libexec/ampcl/ampcl-bench", self);
	return access(path, X_OK) == 0;
}

int cmd_bench(int argc, char **argv)
{
	char path[PATH_MAX + 64];
	if (!find_bench(path, sizeof(path))) {
		fprintf(stderr,
			"ampcl bench: the benchmark program ampcl-bench is not beside ampcl nor "
			"in ../libexec/ampcl; build or install it with ampcl\n");
		return EXIT_RUNTIME;
	}
	(void)argc;
	fflush(stdout);
	execv(path, argv); /* argv[0] is "bench" */
	fprintf(stderr, "ampcl bench: cannot run '%s': %s\n", path, strerror(errno));
	return EXIT_RUNTIME;
}
