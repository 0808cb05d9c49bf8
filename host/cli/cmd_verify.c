/* cmd_verify.c: `ampcl verify` (and `ampcl selftest`, its --quick part under the former name):
 * prints the probe and one line per check as it runs, the paths taken, a JSON report on request. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
	printf(
	    "usage: ampcl verify [--device N|SUBSTRING] [--model M --width W --batch B] [--quick]\n"
	    "                    [--json FILE]\n\n"
	    "Checks this device's results against double precision: every op forward and\n"
	    "backward (convolution, general and depthwise convolution, batch norm, pooling,\n"
	    "ReLU, clip, add, concat, slice, dropout, linear, loss, amplification, SGD) on\n"
	    "the paths the device's profile and tuning take here, at each layer's shape of\n"
	    "the model (default resnet18, width 8, batch 8, 32x32 images; an ONNX model at\n"
	    "its input size; a layer type no check covers is named as not checked) and at\n"
	    "odd ones, each against a float32 error bound; 8 training steps of a small\n"
	    "network against a PyTorch float64 trajectory; and a probe of the device (limits,\n"
	    "long loops, local memory and barriers, the profile row and tuning in use).\n\n"
	    "  --quick        the probe, odd shapes and the replay only (a few seconds)\n"
	    "  --json FILE    the whole report, to attach to a bug report\n\n"
	    "Exit 0 when every check passes, 1 naming each check that failed, 2 for bad usage.\n"
	    "A pass is remembered beside the program cache; `ampcl train` suggests verify on a\n"
	    "device, driver or ampcl version that has not passed it. `ampcl selftest` is\n"
	    "`ampcl verify --quick`.\n");
}

struct verify_args {
	const char *device, *model, *json;
	int width, batch, quick;
	int model_given;
};

static int verify_option(void *user, const char *name, const char *v)
{
	struct verify_args *a = user;
	if (!strcmp(name, "device"))
		a->device = v;
	else if (!strcmp(name, "model"))
		a->model = v, a->model_given = 1;
	else if (!strcmp(name, "json"))
		a->json = v;
	else if (!strcmp(name, "quick"))
		a->quick = 1;
	else if (!strcmp(name, "width"))
		return cli_parse_int("verify", "--width", v, 1, 1024, &a->width);
	else if (!strcmp(name, "batch"))
		return cli_parse_int("verify", "--batch", v, 1, 4096, &a->batch);
	return 0;
}

static void on_check(void *user, const struct ampcl_verify_check *c)
{
	(void)user;
	printf("%s  %-14s %-34s %-40s %9.2e %9.2e %9.2e %6.2g\n", c->passed ? "ok  " : "FAIL",
	       c->family, c->op, c->shape, c->max_abs, c->max_rel, c->tol, c->ratio);
	if (!c->passed)
		printf("      path: %s\n      tolerance: %s\n", c->path, c->bound);
	fflush(stdout);
}

/* Each family's distinct paths (kernel sets), once. */
static void print_paths(const struct ampcl_verify_report *r)
{
	printf("\npaths taken (kernels x launches, per op family):\n");
	for (int i = 0; i < r->nchecks; i++) {
		const struct ampcl_verify_check *c = &r->checks[i];
		int dup = !c->path[0];
		for (int j = 0; j < i && !dup; j++)
			dup = !strcmp(r->checks[j].family, c->family) &&
			      !strcmp(r->checks[j].path, c->path);
		if (!dup)
			printf("  %-14s %s\n", c->family, c->path);
	}
}

int cmd_verify(int argc, char **argv)
{
	static const struct cli_option opts[] = {{"device", 1}, {"model", 1}, {"width", 1},
						 {"batch", 1},  {"quick", 0}, {"json", 1},
						 {NULL, 0}};
	struct verify_args a = {0};
	int rc = cli_parse("verify", argc, argv, opts, verify_option, &a);
	if (rc == CLI_HELP) {
		help();
		return EXIT_OK;
	}
	if (rc)
		return rc;
	if (a.quick && (a.model_given || a.width || a.batch))
		return cli_usage_error("verify",
				       "--quick checks odd shapes only: leave out --model, "
				       "--width and --batch, or --quick");
	ampcl_context_t *ctx;
	int st = ampcl_context_create(a.device, &ctx);
	if (st)
		return cli_fail("verify", st);
	const struct ampcl_device_desc *d = ampcl_context_device(ctx);
	printf("device %d: %s (%s, %s)\n", d->index, d->name, d->platform, d->driver_version);
	struct ampcl_verify_config cfg = {a.quick, a.model, a.width, a.batch};
	struct ampcl_verify_report *rep = NULL;
	printf("%s  %-14s %-34s %-40s %9s %9s %9s %6s\n", "    ", "family", "check", "shape",
	       "max abs", "max rel", "tol", "err/tol");
	st = ampcl_verify_run(ctx, &cfg, on_check, NULL, &rep);
	if (st) {
		int code = cli_fail("verify", st);
		ampcl_context_free(ctx);
		return code == EXIT_USAGE ? EXIT_USAGE : EXIT_RUNTIME;
	}
	printf("\nprobe:\n");
	for (int i = 0; i < rep->nfacts; i++)
		printf("  %-30s %s\n", rep->facts[i].name, rep->facts[i].value);
	print_paths(rep);
	struct ampcl_build_stats bs;
	ampcl_context_build_stats(ctx, &bs);
	printf("\nprograms: %d compiled, %d from cache, %.2f s; verify took %.1f s\n",
	       bs.programs_built, bs.cache_hits, bs.build_seconds, rep->seconds);
	int code = EXIT_OK;
	if (a.json && (st = ampcl_verify_write_json(rep, a.json)))
		code = cli_fail("verify", st);
	if (rep->failed) {
		fprintf(stderr, "ampcl verify: %d of %d checks FAILED on %s (profile %s):\n",
			rep->failed, rep->nchecks, d->name, rep->profile);
		for (int i = 0; i < rep->nchecks; i++) {
			const struct ampcl_verify_check *c = &rep->checks[i];
			if (!c->passed)
				fprintf(stderr,
					"  %s: %s at %s: error %.3g > tolerance %.3g; path %s\n",
					c->family, c->op, c->shape, c->max_abs, c->tol, c->path);
		}
		fprintf(stderr, "this device or driver computes wrong results for these ops: "
				"report it with --json FILE attached, or train on another device "
				"(--device)\n");
		code = EXIT_RUNTIME;
	} else if (!code) {
		printf("verify passed: %d checks%s\n", rep->nchecks,
		       rep->quick ? " (quick; run without --quick for the model's shapes)" : "");
	}
	ampcl_verify_report_free(rep);
	ampcl_context_free(ctx);
	return code;
}

/* `ampcl selftest [--device D]`: the former name of verify --quick. */
int cmd_selftest(int argc, char **argv)
{
	char **args = calloc((size_t)argc + 2, sizeof(char *));
	if (!args)
		return EXIT_RUNTIME;
	args[0] = argv[0];
	args[1] = (char *)"--quick";
	for (int i = 1; i < argc; i++)
		args[i + 1] = argv[i];
	int rc = cmd_verify(argc + 1, args);
	free(args);
	return rc;
}
