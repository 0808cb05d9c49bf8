/* cmd_eval.c: `ampcl eval` (test loss and accuracy of a checkpoint) and `ampcl export` (its
 * weights as PyTorch-named safetensors): the two verbs that read a finished run. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

int cmd_eval(int argc, char **argv)
{
	const char *ckpt = NULL, *data = NULL, *device = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (cli_is_help(a)) {
			printf("usage: ampcl eval --checkpoint FILE [--data PATH] [--device "
			       "N|SUBSTRING]\n\n"
			       "Test-split loss and accuracy of a checkpoint's weights (BN in "
			       "evaluation\n"
			       "mode). --data defaults to the data set the run was trained on.\n");
			return EXIT_OK;
		}
		if (!v)
			return cli_usage_error("eval", "unknown option or missing value: '%s'", a);
		i++;
		if (!strcmp(a, "--checkpoint"))
			ckpt = v;
		else if (!strcmp(a, "--data"))
			data = v;
		else if (!strcmp(a, "--device"))
			device = v;
		else
			return cli_usage_error("eval", "unknown option '%s'", a);
	}
	if (!ckpt)
		return cli_usage_error("eval", "give --checkpoint FILE (e.g. OUT/best.ampcl)");
	ampcl_context_t *ctx;
	int st = ampcl_context_create(device, &ctx);
	if (st)
		return cli_fail("eval", st);
	double loss, acc;
	int images;
	st = ampcl_checkpoint_evaluate(ctx, ckpt, data, &loss, &acc, &images);
	if (!st)
		printf("test accuracy %.2f%%  loss %.4f  (%d images)\n", 100 * acc, loss, images);
	int code = st ? cli_fail("eval", st) : EXIT_OK;
	ampcl_context_free(ctx);
	return code;
}

int cmd_export(int argc, char **argv)
{
	const char *ckpt = NULL, *out = NULL, *device = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (cli_is_help(a)) {
			printf("usage: ampcl export --checkpoint FILE --out WEIGHTS.safetensors\n\n"
			       "Writes the weights and BN statistics under PyTorch's state_dict "
			       "names\n"
			       "(num_batches_tracked included), loadable with load_state_dict into "
			       "the\n"
			       "same network of ../shared/tools/torch-bench.py.\n");
			return EXIT_OK;
		}
		if (!v)
			return cli_usage_error("export", "unknown option or missing value: '%s'",
					       a);
		i++;
		if (!strcmp(a, "--checkpoint"))
			ckpt = v;
		else if (!strcmp(a, "--out"))
			out = v;
		else if (!strcmp(a, "--device"))
			device = v;
		else
			return cli_usage_error("export", "unknown option '%s'", a);
	}
	if (!ckpt || !out)
		return cli_usage_error("export",
				       "give --checkpoint FILE and --out FILE.safetensors");
	ampcl_context_t *ctx;
	int st = ampcl_context_create(device, &ctx);
	if (st)
		return cli_fail("export", st);
	st = ampcl_checkpoint_export(ctx, ckpt, out);
	if (!st)
		printf("wrote %s\n", out);
	int code = st ? cli_fail("export", st) : EXIT_OK;
	ampcl_context_free(ctx);
	return code;
}
