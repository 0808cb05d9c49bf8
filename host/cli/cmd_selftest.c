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

static int selftest_option(void *user, const char *name, const char *v)
{
	(void)name; /* --device, the only option */
	*(const char **)user = v;
	return 0;
}

int cmd_selftest(int argc, char **argv)
{
	static const struct cli_option opts[] = {{"device", 1}, {NULL, 0}};
	const char *spec = NULL;
	int rc = cli_parse("selftest", argc, argv, opts, selftest_option, &spec);
	if (rc == CLI_HELP) {
		help();
		return EXIT_OK;
	}
	if (rc)
		return rc;
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
