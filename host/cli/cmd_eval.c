/* cmd_eval.c: `ampcl eval` (test loss and accuracy of a checkpoint) and `ampcl export` (its
 * weights as PyTorch-named safetensors): the two verbs that read a finished run. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

int cmd_eval(int argc, char **argv)
{
	const char *device = NULL;
	struct ampcl_eval_request req = {0};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (cli_is_help(a)) {
			printf(
			    "usage: ampcl eval --checkpoint FILE [--data PATH] [options]\n"
			    "       ampcl eval --weights W.safetensors --model M --width N "
			    "--data PATH [options]\n\n"
			    "Test-split loss and accuracy (BN in evaluation mode) of a "
			    "checkpoint, or of\n"
			    "safetensors weights under PyTorch's names (ampcl export's or "
			    "PyTorch's own),\n"
			    "loaded as strictly as load_state_dict(strict=True).\n\n"
			    "  --data PATH           data set (default for a checkpoint: the one "
			    "it trained on)\n"
			    "  --dataset KIND        cifar10|mnist|fashion-mnist|folder "
			    "(default: detected)\n"
			    "  --batch B             images per step (default: the checkpoint's, "
			    "or 128)\n"
			    "  --predictions F.csv   one row per test image: index, label, "
			    "predicted,\n"
			    "                        softmax probabilities p0.., logits "
			    "logit0..\n"
			    "  --device N|SUBSTRING  OpenCL device\n");
			return EXIT_OK;
		}
		if (!v)
			return cli_usage_error("eval", "unknown option or missing value: '%s'", a);
		i++;
		if (!strcmp(a, "--checkpoint"))
			req.checkpoint = v;
		else if (!strcmp(a, "--weights"))
			req.weights = v;
		else if (!strcmp(a, "--model")) {
			if (strcmp(v, "resnet18") && strcmp(v, "resnet34") && strcmp(v, "vgg19"))
				return cli_usage_error("eval",
						       "--model '%s': the valid values are "
						       "resnet18, resnet34 and vgg19",
						       v);
			req.model = v;
		} else if (!strcmp(a, "--width")) {
			if (cli_parse_int("eval", a, v, 1, 1024, &req.width))
				return EXIT_USAGE;
		} else if (!strcmp(a, "--batch")) {
			if (cli_parse_int("eval", a, v, 1, 65536, &req.batch))
				return EXIT_USAGE;
		} else if (!strcmp(a, "--data"))
			req.data = v;
		else if (!strcmp(a, "--dataset"))
			req.dataset = v;
		else if (!strcmp(a, "--predictions"))
			req.predictions = v;
		else if (!strcmp(a, "--device"))
			device = v;
		else
			return cli_usage_error("eval", "unknown option '%s'", a);
	}
	if (!req.checkpoint == !req.weights)
		return cli_usage_error("eval", "give --checkpoint FILE (e.g. OUT/best.ampcl) or "
					       "--weights FILE.safetensors, one of them");
	if (req.weights && (!req.model || !req.width || !req.data))
		return cli_usage_error("eval", "--weights needs --model, --width and --data "
					       "(safetensors files do not say what network they "
					       "are)");
	if (req.checkpoint && (req.model || req.width))
		return cli_usage_error("eval", "--model and --width go with --weights; a "
					       "checkpoint knows its network");
	ampcl_context_t *ctx;
	int st = ampcl_context_create(device, &ctx);
	if (st)
		return cli_fail("eval", st);
	struct ampcl_eval_result r;
	st = ampcl_evaluate(ctx, &req, &r);
	if (!st) {
		printf("test accuracy %.2f%%  loss %.4f  (%d images)\n", 100 * r.accuracy, r.loss,
		       r.images);
		if (req.predictions)
			printf("wrote %s\n", req.predictions);
	}
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
