/* cmd_eval.c: `ampcl eval` (test loss and accuracy of a checkpoint) and `ampcl export` (its
 * weights as PyTorch-named safetensors): the two verbs that read a finished run. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static void eval_help(void)
{
	printf("usage: ampcl eval --checkpoint FILE [--data PATH] [options]\n"
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
	       "  --image-size S|HxW    with --weights: the size the model was "
	       "trained at\n"
	       "                        (default: an ONNX model's input size, "
	       "else 32x32)\n"
	       "  --predictions F.csv   one row per test image: index, label, "
	       "predicted,\n"
	       "                        softmax probabilities p0.., logits "
	       "logit0..\n"
	       "  --device N|SUBSTRING  OpenCL device\n");
}

struct eval_args {
	struct ampcl_eval_request req;
	const char *device;
};

static int eval_option(void *user, const char *name, const char *v)
{
	struct eval_args *e = user;
	struct ampcl_eval_request *req = &e->req;
	if (!strcmp(name, "checkpoint"))
		req->checkpoint = v;
	else if (!strcmp(name, "weights"))
		req->weights = v;
	else if (!strcmp(name, "model")) {
		if (cli_check_model("eval", v))
			return 2;
		req->model = v;
	} else if (!strcmp(name, "width"))
		return cli_parse_int("eval", "--width", v, 1, 1024, &req->width);
	else if (!strcmp(name, "batch"))
		return cli_parse_int("eval", "--batch", v, 1, 65536, &req->batch);
	else if (!strcmp(name, "data"))
		req->data = v;
	else if (!strcmp(name, "image-size"))
		req->image_size = v;
	else if (!strcmp(name, "dataset"))
		req->dataset = v;
	else if (!strcmp(name, "predictions"))
		req->predictions = v;
	else if (!strcmp(name, "device"))
		e->device = v;
	return 0;
}

int cmd_eval(int argc, char **argv)
{
	static const struct cli_option opts[] = {
	    {"checkpoint", 1}, {"weights", 1}, {"model", 1},       {"width", 1},  {"batch", 1},
	    {"data", 1},       {"dataset", 1}, {"predictions", 1}, {"device", 1}, {"image-size", 1},
	    {NULL, 0}};
	struct eval_args e = {0};
	int rc = cli_parse("eval", argc, argv, opts, eval_option, &e);
	if (rc == CLI_HELP) {
		eval_help();
		return EXIT_OK;
	}
	if (rc)
		return rc;
	/* one process evaluates; under mpirun every rank would do the same work and write the
	 * same --predictions file */
	if (ampcl_mpi_launched())
		return cli_usage_error("eval", "ampcl eval runs as one process on one device; run "
					       "it without mpirun");
	struct ampcl_eval_request req = e.req;
	const char *device = e.device;
	if (!req.checkpoint == !req.weights)
		return cli_usage_error("eval", "give --checkpoint FILE (e.g. OUT/best.ampcl) or "
					       "--weights FILE.safetensors, one of them");
	size_t mlen = req.model ? strlen(req.model) : 0;
	int onnx = mlen > 5 && !strcmp(req.model + mlen - 5, ".onnx");
	if (req.weights && (!req.model || (!req.width && !onnx) || !req.data))
		return cli_usage_error("eval", "--weights needs --model, --width and --data "
					       "(safetensors files do not say what network they "
					       "are)");
	if (req.predictions && !req.predictions[0])
		return cli_usage_error("eval", "--predictions '': give the file to write the "
					       "predictions to");
	if (req.checkpoint && (req.model || req.width || req.image_size))
		return cli_usage_error("eval", "--model, --width and --image-size go with "
					       "--weights; a checkpoint knows its network");
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

struct export_args {
	const char *ckpt, *out, *device, *format;
};

static int export_option(void *user, const char *name, const char *v)
{
	struct export_args *e = user;
	if (!strcmp(name, "checkpoint"))
		e->ckpt = v;
	else if (!strcmp(name, "out"))
		e->out = v;
	else if (!strcmp(name, "device"))
		e->device = v;
	else if (!strcmp(name, "format")) {
		if (strcmp(v, "safetensors") && strcmp(v, "onnx"))
			return cli_usage_error("export",
					       "--format '%s': the valid values are safetensors and "
					       "onnx",
					       v);
		e->format = v;
	}
	return 0;
}

int cmd_export(int argc, char **argv)
{
	static const struct cli_option opts[] = {
	    {"checkpoint", 1}, {"out", 1}, {"device", 1}, {"format", 1}, {NULL, 0}};
	struct export_args e = {0};
	int rc = cli_parse("export", argc, argv, opts, export_option, &e);
	if (rc == CLI_HELP) {
		printf("usage: ampcl export --checkpoint FILE --out WEIGHTS.safetensors\n"
		       "       ampcl export --checkpoint FILE --format onnx --out TRAINED.onnx\n\n"
		       "Writes the weights and BN statistics under PyTorch's state_dict names\n"
		       "(num_batches_tracked included), loadable with load_state_dict into the\n"
		       "same network of bench/torch_models.py, or for a run of --model FILE.onnx\n"
		       "into the network it was built from.\n"
		       "  --format F   safetensors (default) or onnx: a copy of the run's ONNX model\n"
		       "               with the trained weights in its initializers (the format\n"
		       "               follows --out's ending .onnx when not given)\n");
		return EXIT_OK;
	}
	if (rc)
		return rc;
	const char *ckpt = e.ckpt, *out = e.out, *device = e.device;
	if (!ckpt || !out)
		return cli_usage_error("export",
				       "give --checkpoint FILE and --out FILE.safetensors");
	size_t olen = strlen(out);
	int onnx_out = olen > 5 && !strcmp(out + olen - 5, ".onnx");
	if (e.format && onnx_out != !strcmp(e.format, "onnx"))
		return cli_usage_error("export",
				       "--format %s with --out '%s': an ONNX file's name ends in "
				       ".onnx, and only an ONNX file's does",
				       e.format, out);
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
