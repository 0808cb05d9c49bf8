/* cmd_tune.c: `ampcl tune`: measures, on one device, the fastest variant of every GEMM a model's
 * training step runs and stores the choices where later runs on that device read them. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
	printf("usage: ampcl tune [--model resnet18|resnet34|vgg19|FILE.onnx] [--width W] [--batch B]\n"
	       "                  [--input CxHxW] [--classes N] [--level quick|full]\n"
	       "                  [--device N|SUBSTRING]\n\n"
	       "Runs one training pass of the model on random images, in which every GEMM shape\n"
	       "not yet in this device's tuning table times its variants; the fastest is stored\n"
	       "beside the program cache (AMPCL_CACHE_DIR) and used by every later run on this\n"
	       "device. `ampcl train` and `ampcl bench --model` do the same for their own shapes,\n"
	       "so this only moves the wait ahead. AMPCL_TUNE=off turns tuning off everywhere.\n"
	       "  --model    default resnet18; --width 64, --batch 128, --input CxHxW (default\n"
	       "             3x32x32, or the ONNX model's input), --classes 10 (the shapes of\n"
	       "             the run to tune for)\n"
	       "  --level    quick (default): only variants that keep the untuned results bit for\n"
	       "             bit (the CPU GEMM's panel height); full: also ones that sum k in\n"
	       "             other runs (work-groups per compute unit, split-k slices), whose\n"
	       "             results differ from untuned ones in the last bits but are the same\n"
	       "             from run to run\n");
}

struct tune_args {
	const char *model, *level, *spec;
	int width, batch, classes, c, h, w;
};

static int tune_option(void *user, const char *name, const char *v)
{
	struct tune_args *a = user;
	if (!strcmp(name, "model"))
		a->model = v;
	else if (!strcmp(name, "level"))
		a->level = v;
	else if (!strcmp(name, "device"))
		a->spec = v;
	else if (!strcmp(name, "width"))
		return cli_parse_int("tune", "--width", v, 1, 1024, &a->width);
	else if (!strcmp(name, "batch"))
		return cli_parse_int("tune", "--batch", v, 1, 65536, &a->batch);
	else if (!strcmp(name, "classes"))
		return cli_parse_int("tune", "--classes", v, 2, 100000, &a->classes);
	else if (!strcmp(name, "input")) {
		char tail;
		if (sscanf(v, "%dx%dx%d%c", &a->c, &a->h, &a->w, &tail) != 3 || a->c < 1 ||
		    a->c > 4096 || a->h < 1 || a->h > 4096 || a->w < 1 || a->w > 4096)
			return cli_usage_error("tune",
					       "--input '%s': give CxHxW, each from 1 to 4096 "
					       "(3x32x32 for CIFAR-10)",
					       v);
	}
	return 0;
}

int cmd_tune(int argc, char **argv)
{
	static const struct cli_option opts[] = {{"model", 1},  {"width", 1},   {"batch", 1},
						 {"input", 1},  {"classes", 1}, {"level", 1},
						 {"device", 1}, {NULL, 0}};
	struct tune_args a = {"resnet18", "quick", NULL, 64, 128, 10, 0, 0, 0};
	int rc = cli_parse("tune", argc, argv, opts, tune_option, &a);
	if (rc == CLI_HELP) {
		help();
		return EXIT_OK;
	}
	if (rc)
		return rc;
	if (strcmp(a.level, "quick") && strcmp(a.level, "full"))
		return cli_usage_error("tune", "--level '%s': the valid values are quick and full",
				       a.level);
	if (cli_check_model("tune", a.model))
		return 2;
	ampcl_status st;
	int mc, mh, mw; /* without --input: the model's own (3x32x32 for the built-in ones) */
	if (!a.c && (st = ampcl_model_input_shape(a.model, &mc, &mh, &mw)))
		return cli_fail("tune", st);
	if (!a.c && (!mc || !mh || !mw))
		return cli_usage_error("tune", "ONNX model '%s' leaves its input size open: give "
					       "--input CxHxW",
					       a.model);
	if (!a.c)
		a.c = mc, a.h = mh, a.w = mw;
	setenv("AMPCL_TUNE", a.level, 1); /* read when the context is made */
	ampcl_context_t *ctx;
	st = ampcl_context_create(a.spec, &ctx);
	if (st)
		return cli_fail("tune", st);
	ampcl_net_t *net = NULL;
	struct ampcl_tune_report rep;
	if (!(st = ampcl_net_create(ctx, a.c, a.h, a.w, &net)) &&
	    !(st = ampcl_model_build(net, a.model, a.width, a.classes)))
		st = ampcl_net_tune(net, a.batch, &rep);
	ampcl_net_free(net);
	if (!st)
		printf("ampcl tune on %s: %s width %d, batch %d, input %dx%dx%d, level %s: %d GEMM "
		       "shapes timed, %d faster than the default, %.1f s; %d choices stored for "
		       "this device in %s\n",
		       ampcl_context_device(ctx)->name, a.model, a.width, a.batch, a.c, a.h, a.w,
		       a.level, rep.measured, rep.changed, rep.seconds, rep.stored,
		       rep.table[0] ? rep.table : "memory only (AMPCL_CACHE is off)");
	if (!st && rep.warning[0])
		fprintf(stderr, "ampcl tune: warning: %s\n", rep.warning);
	int code = st ? cli_fail("tune", st) : EXIT_OK;
	ampcl_context_free(ctx);
	return code;
}
