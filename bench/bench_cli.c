/* bench_cli.c: the ampcl-bench program (what `ampcl bench` runs): checks, then times every layer
 * op at ResNet-18's shapes on one device next to its GEMM and copy peaks; Markdown and --json. */
#include "bench.h"
#include "cli.h"
#include "gemm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void help(void)
{
	printf(
	    "usage: ampcl bench [--kernels [--plot FILE.png]] [--gemm-sweep] [--model NAME "
	    "[--profile]]\n"
	    "                   [--width W]\n"
	    "                   [--steps S]"
	    " [--device N|SUBSTRING] [--batch B[,B...]]\n"
	    "                   [--reps R] [--gemm auto|clblast|own] [--json FILE] [--verbose]\n\n"
	    "Times each layer operation (convolution, batch norm, ReLU, pooling, residual add,\n"
	    "amplify, linear + softmax cross-entropy, SGD) at the shapes of ResNet-18 on CIFAR-10\n"
	    "(width 64), forward and backward, after checking each against the plain-C double\n"
	    "reference at batch 2. Prints GFLOP/s or GB/s next to the device's measured peaks\n"
	    "(independent FMA chains, a large GEMM, a large copy). Times are device times between\n"
	    "profiling markers, medians of R runs (default 5) after 2 warm-up runs.\n"
	    "  --batch      batch sizes to time (default 32,64)\n"
	    "  --gemm       GEMM back end (default: automatic, or AMPCL_GEMM)\n"
	    "  --json FILE  also write the results as JSON\n"
	    "  --model NAME training steps of a whole model (resnet18|resnet34|vgg19|FILE.onnx) on random\n"
	    "               data (3x32x32, or the ONNX model's input size), as\n"
	    "               bench/torch_bench.py measures PyTorch;\n"
	    "               --width (default 64), --steps (default 5), first --batch value;\n"
	    "               prints ampcl's peak device memory and the process's peak RSS\n"
	    "  --profile    with --model: one more step's device time per kernel (table, JSON)\n"
	    "  --plot FILE.png  with --kernels or --gemm-sweep: a roofline, every timed op at its\n"
	    "               FLOP per byte and GFLOP/s under the measured FMA, GEMM and copy peaks\n"
	    "  --gemm-sweep GEMM alone at square sizes and at the im2col shapes of ResNet-18,\n"
	    "               with both back ends (or the one --gemm names)\n"
	    "With none of --kernels, --gemm-sweep and --model: the kernels and ResNet-18's\n"
	    "training step (at --width, default 64). Exit status 1 if any reference check "
	    "fails.\n");
}

static int parse_batches(const char *s, int *out, int max)
{
	int n = 0;
	while (*s && n < max) {
		char *end;
		long v = strtol(s, &end, 10);
		if (end == s || v < 1 || v > 4096)
			return -1;
		out[n++] = (int)v;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return *s ? -1 : n;
}

struct bench_args {
	const char *spec, *json, *gemm, *model, *plot;
	int width, steps, batches[8], nb, reps, kernels, sweep, verbose, profile;
};

static int bench_option(void *user, const char *name, const char *v)
{
	struct bench_args *a = user;
	if (!strcmp(name, "kernels"))
		a->kernels = 1;
	else if (!strcmp(name, "gemm-sweep"))
		a->sweep = 1;
	else if (!strcmp(name, "verbose"))
		a->verbose = 1;
	else if (!strcmp(name, "profile"))
		a->profile = 1;
	else if (!strcmp(name, "model"))
		a->model = v;
	else if (!strcmp(name, "width"))
		return cli_parse_int("bench", "--width", v, 1, 1024, &a->width);
	else if (!strcmp(name, "steps"))
		return cli_parse_int("bench", "--steps", v, 1, 100000, &a->steps);
	else if (!strcmp(name, "reps"))
		return cli_parse_int("bench", "--reps", v, 1, 1000, &a->reps);
	else if (!strcmp(name, "device"))
		a->spec = v;
	else if (!strcmp(name, "json"))
		a->json = v;
	else if (!strcmp(name, "gemm"))
		a->gemm = v;
	else if (!strcmp(name, "plot"))
		a->plot = v;
	else if (!strcmp(name, "batch")) {
		a->nb = parse_batches(v, a->batches, 8);
		if (a->nb < 1)
			return cli_usage_error("bench",
					       "--batch '%s': give up to 8 sizes from 1 to 4096, "
					       "separated by commas",
					       v);
	}
	return 0;
}

/* 1 when the folder path would be written in is missing or not writable (checked before the
 * timings, so a bad path costs no run). */
static int plot_dir_unwritable(const char *path)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = 0;
	else
		*slash = 0;
	return !*path || access(dir, W_OK) != 0;
}

static int bench_main(int argc, char **argv)
{
	static const struct cli_option opts[] = {
	    {"kernels", 0}, {"gemm-sweep", 0}, {"verbose", 0}, {"profile", 0}, {"model", 1},
	    {"width", 1},   {"steps", 1},      {"reps", 1},    {"device", 1},  {"json", 1},
	    {"gemm", 1},    {"batch", 1},      {"plot", 1},    {NULL, 0}};
	struct bench_args a = {.width = 64, .steps = 5, .batches = {32, 64}, .nb = 2, .reps = 5};
	int rc = cli_parse("bench", argc, argv, opts, bench_option, &a);
	if (rc == CLI_HELP) {
		help();
		return EXIT_OK;
	}
	if (rc)
		return rc;
	const char *spec = a.spec, *json = a.json, *gemm = a.gemm, *model = a.model;
	int width = a.width, steps = a.steps, nb = a.nb, reps = a.reps, kernels = a.kernels,
	    sweep = a.sweep, verbose = a.verbose;
	int *batches = a.batches;
	if (!kernels && !sweep && !model)
		kernels = 1, model = "resnet18"; /* docs/design.md: per-kernel and per-model timings */
	if (a.plot && !kernels && !sweep)
		return cli_usage_error("bench",
				       "--plot draws the timed ops: give it with --kernels or "
				       "--gemm-sweep");
	if (a.plot && plot_dir_unwritable(a.plot))
		return cli_usage_error(
		    "bench", "--plot '%s': its folder does not exist or is not writable", a.plot);
	if (model && cli_check_model("bench", model))
		return 2;

	ampcl_context_t *ctx;
	int st = ampcl_context_create(spec, &ctx);
	if (st)
		return cli_fail("bench", st);
	if (gemm && (st = ampcl_gemm_set_backend(ctx, gemm))) {
		ampcl_context_free(ctx);
		cli_fail("bench", st);
		return EXIT_USAGE; /* a --gemm value that is not a back end */
	}
	struct bench b = {.ctx = ctx, .reps = reps, .verbose = verbose, .seed = 12345};
	int code = EXIT_OK;
	if (kernels || sweep) {
		fprintf(stderr, "ampcl bench: measuring peaks on %s ...\n", ctx->caps.desc.name);
		st = bench_peaks(&b);
		if (!st && sweep)
			st = bench_gemm(&b, gemm ? gemm : "own,clblast");
		if (!st && kernels) {
			fprintf(stderr, "ampcl bench: layers at batch");
			for (int i = 0; i < nb; i++)
				fprintf(stderr, " %d", batches[i]);
			fprintf(stderr, " ...\n");
			bench_layers(&b, batches, nb);
		}
		if (!st)
			bench_print_table(&b, stdout);
		if (!st && a.plot && !(st = bench_plot_roofline(&b, a.plot)))
			fprintf(stderr, "ampcl bench: roofline written to %s\n", a.plot);
		if (!st && b.failed) {
			fprintf(stderr,
				"ampcl bench: %d result(s) failed their reference check (marked "
				"FAIL)\n",
				b.failed);
			code = EXIT_RUNTIME;
		}
	}
	if (!st && model) {
		double ips = 0;
		/* an ONNX graph has no width */
		size_t mlen = strlen(model);
		int onnx = mlen > 5 && !strcmp(model + mlen - 5, ".onnx");
		char w[32] = "";
		if (!onnx)
			snprintf(w, sizeof(w), " width %d", width);
		fprintf(stderr, "ampcl bench: %s%s, %d training steps of batch %d ...\n", model, w,
			steps, batches[0]);
		if (!onnx)
			snprintf(w, sizeof(w), " w=%d", width);
		if (!(st = bench_model(&b, model, width, batches[0], steps, a.profile, &ips)))
			printf("ampcl %s on %s: %s%s batch=%d: %.1f img/s (%.0f ms/step)\n",
			       ampcl_version(), ctx->caps.desc.name, model, w, batches[0], ips,
			       1e3 * batches[0] / ips);
	}
	if (st)
		code = cli_fail("bench", st);
	else if (json && (st = bench_write_json(&b, json)))
		code = cli_fail("bench", st);
	free(b.records);
	ampcl_context_free(ctx);
	return code;
}

int main(int argc, char **argv)
{
	/* argv[0] is "bench" when `ampcl bench` runs this program, as for every verb */
	return bench_main(argc, argv);
}
