/* cmd_selftest.c: `ampcl selftest`: builds every shipped kernel on one device (through the
 * program cache) and checks a few kernels against the host, printing the times. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static void help(void)
{
	printf("usage: ampcl selftest [--device N|SUBSTRING]\n\n"
	       "Builds every kernel ampcl ships on the device (the on-disk cache makes the second\n"
	       "run fast) and checks results against a host reference. Exit 0 if all match.\n");
}

int cmd_selftest(int argc, char **argv)
{
	const char *spec = NULL;
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			help();
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
			spec = argv[++i];
		} else {
			return cli_usage_error("selftest", "unknown option '%s'", argv[i]);
		}
	}
	ampcl_context_t *ctx;
	int st = ampcl_context_create(spec, &ctx);
	if (st)
		return cli_fail("selftest", st);
	const struct ampcl_device_desc *d = ampcl_context_device(ctx);
	printf("device %d: %s (%s, %s)\n", d->index, d->name, d->platform, d->driver_version);
	char report[4096];
	st = ampcl_selftest(ctx, report, sizeof(report));
	fputs(report, stdout);
	struct ampcl_build_stats bs;
	ampcl_context_build_stats(ctx, &bs);
	printf("programs: %d compiled, %d from cache, %.2f s\n", bs.programs_built, bs.cache_hits,
	       bs.build_seconds);
	if (st) {
		int code = cli_fail("selftest", st);
		ampcl_context_free(ctx);
		return code;
	}
	printf("selftest passed\n");
	ampcl_context_free(ctx);
	return EXIT_OK;
}
