/* test_sizes.c: sizes that cannot wrap: plans of batch x width around 2^31 and 2^32 elements are
 * refused before any allocation with a message naming --batch, and every plan that succeeds gives
 * views that hold the product of their shapes inside their arenas. Plans allocate nothing, so
 * no case depends on the device's memory. */
#include "net.h"
#include "size.h"
#include "testutil.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bad_view;

/* A planned view: the product of its shape, inside its chunk, and addressable by the kernels'
 * 32-bit float offsets. */
static void check_view(const char *what, const struct ampcl_tensor *t, size_t at_least)
{
	size_t count;
	int ok = t->arena && t->chunk >= 0 && t->chunk < t->arena->nchunks &&
		 ampcl_size_product(t->shape, t->ndim, &count) && count >= at_least &&
		 count <= AMPCL_MAX_TENSOR_FLOATS && count == ampcl_tensor_count(t) &&
		 t->offset % sizeof(float) == 0 &&
		 t->offset + count * sizeof(float) <= t->arena->chunk_size[t->chunk] &&
		 t->offset / sizeof(float) + count <= UINT32_MAX;
	if (!ok && bad_view++ < 5)
		tu_check(0, "a planned view", "%s: chunk %d of %d, offset %zu, %d dims, count %zu",
			 what, t->chunk, t->arena ? t->arena->nchunks : -1, t->offset, t->ndim,
			 ampcl_tensor_count(t));
}

/* Every view of a planned net: outputs, output gradients (a slot at least the layer's size),
 * parameters and their gradients, and the scratch views. */
static void check_plan(struct ampcl_net *net)
{
	for (int i = 1; i < net->nlayers; i++) {
		const struct ampcl_layer *L = &net->layers[i];
		size_t per_image = (size_t)L->c * (size_t)L->h * (size_t)L->w;
		check_view(L->name, &L->y, per_image * (size_t)net->max_batch);
		if (L->dy.arena)
			check_view(L->name, &L->dy, per_image * (size_t)net->max_batch);
	}
	for (int i = 0; i < net->ntensors; i++) {
		check_view(net->tensors[i].name, &net->tensors[i].value, 1);
		if (net->tensors[i].trainable)
			check_view(net->tensors[i].name, &net->tensors[i].grad, 1);
	}
	check_view("convolution scratch", &net->conv_scratch, 1);
	check_view("op workspace", &net->workspace, 1);
}

static ampcl_net_t *build(struct ampcl_context *ctx, const char *model, int width)
{
	ampcl_net_t *net;
	tu_ok(ampcl_net_create(ctx, 3, 32, 32, &net), "net create");
	tu_ok(ampcl_model_build(net, model, width, 10), model);
	return net;
}

int main(void)
{
	struct ampcl_context *ctx = tu_context();
	/* the activation arena's buffers are as large as the device allows one allocation to be;
	 * a fixed, large limit keeps the plans below the same on every device */
	ctx->caps.desc.max_alloc_bytes = 1ULL << 40;
	/* The largest tensor of both models at 32x32 (widths of 4 and more) is an activation of
	 * batch x width x 32 x 32. At each width the largest batch within 2^31 - 1 elements must
	 * plan and the next must not; so must counts from 2^31 to past 2^32, among them 2^32 +
	 * 4096 and 2^32 + 16384, which wrap to a small positive int. */
	static const long long elements[] = {1LL << 31,          (1LL << 31) + 4096,
					     (1LL << 32) - 4096, 1LL << 32,
					     (1LL << 32) + 4096, (1LL << 32) + 16384,
					     3LL << 32};
	static const int widths[] = {4, 8, 16, 32, 64, 128};
	static const char *const models[] = {"resnet18", "vgg19"};
	int refused = 0, planned = 0;
	for (size_t m = 0; m < 2; m++)
		for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
			ampcl_net_t *net = build(ctx, models[m], widths[w]);
			long long per = (long long)widths[w] * 1024;
			int edge = (int)((long long)AMPCL_MAX_TENSOR_FLOATS / per);
			ampcl_status st = ampcl_net_plan(net, edge);
			planned++;
			if (st)
				tu_check(0, "planned within the kernels' indexing",
					 "%s width %d batch %d: status %d, %s", models[m],
					 widths[w], edge, st, ampcl_last_error());
			else {
				check_plan(net);
				ampcl_net_unfinalize(net);
			}
			long long batches[1 + sizeof(elements) / sizeof(elements[0])];
			int nb = 0;
			batches[nb++] = edge + 1;
			for (size_t e = 0; e < sizeof(elements) / sizeof(elements[0]); e++)
				if (elements[e] % per == 0)
					batches[nb++] = elements[e] / per;
			for (int b = 0; b < nb; b++) {
				st = ampcl_net_plan(net, (int)batches[b]);
				const char *msg = ampcl_last_error();
				refused++;
				if (st != AMPCL_ERR_OUT_OF_DEVICE_MEMORY || !strstr(msg, "--batch") ||
				    !strstr(msg, "the kernels index") || net->params)
					tu_check(0, "refused when past the kernels' indexing",
						 "%s width %d batch %lld: status %d, %s", models[m],
						 widths[w], batches[b], st, msg);
			}
			ampcl_net_free(net);
		}
	tu_check(refused == 60 && planned == 12 && bad_view == 0,
		 "batch x width around 2^31 and 2^32 elements",
		 "%d plans refused, %d planned at the edge with every view whole", refused, planned);

	/* small odd plans: every view whole too */
	static const int odd[][2] = {{1, 1}, {3, 5}, {7, 3}, {33, 2}};
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		for (size_t m = 0; m < 2; m++) {
			ampcl_net_t *net = build(ctx, models[m], odd[i][1]);
			tu_ok(ampcl_net_plan(net, odd[i][0]), "plan");
			check_plan(net);
			ampcl_net_free(net);
		}
	tu_check(bad_view == 0, "odd batches and widths plan whole views", "%d bad", bad_view);

	/* finalize names the largest batch that fits, and that batch plans */
	ampcl_net_t *net = build(ctx, "resnet18", 64);
	ampcl_status st = ampcl_net_finalize(net, 1 << 20, 1);
	const char *msg = ampcl_last_error();
	const char *at = strstr(msg, "the largest --batch this net fits on ");
	int largest = 0;
	if (at && (at = strstr(at, " is ")))
		largest = atoi(at + 4);
	tu_check(st == AMPCL_ERR_OUT_OF_DEVICE_MEMORY && largest > 0 && largest < (1 << 20) &&
		     !net->finalized && !net->params,
		 "finalize refuses with the largest batch", "status %d: %s", st, msg);
	if (largest > 0) {
		tu_check(ampcl_net_plan(net, largest) == AMPCL_OK, "the batch it names plans",
			 "batch %d: %s", largest, ampcl_last_error());
		ampcl_net_unfinalize(net);
	}
	ampcl_net_free(net);

	/* per-image extents that do not fit one tensor are refused when the layer is added */
	ampcl_net_t *big;
	st = ampcl_net_create(ctx, 3, 65536, 65536, &big);
	tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(ampcl_last_error(), "image"),
		 "an input image beyond one tensor", "status %d: %s", st, ampcl_last_error());
	tu_ok(ampcl_net_create(ctx, 3, 32, 32, &big), "net create");
	int id = -1, c = -1;
	st = ampcl_net_conv2d(big, "wide", 0, 1 << 22, 3, 1, 1, 0, &id);
	tu_check(st == AMPCL_ERR_INVALID_ARG && id == -1 && strstr(ampcl_last_error(), "'wide'"),
		 "a convolution output beyond one tensor", "%d: %s", st, ampcl_last_error());
	st = ampcl_net_conv2d(big, "pad", 0, 4, 3, 1, INT32_MAX, 0, &id);
	tu_check(st == AMPCL_ERR_INVALID_ARG, "a padding that would wrap", "%d: %s", st,
		 ampcl_last_error());
	tu_ok(ampcl_net_conv2d(big, "c", 0, 64, 3, 1, 1, 0, &c), "conv c");
	st = ampcl_net_linear(big, "fc", c, 1 << 20, 1, &id);
	tu_check(c > 0 && st == AMPCL_ERR_INVALID_ARG && strstr(ampcl_last_error(), "'fc'"),
		 "a linear weight beyond one tensor", "%d: %s", st, ampcl_last_error());
	ampcl_net_free(big);
	ampcl_context_free(ctx);

	/* from the command line: the batch is named, not a wrapped dimension */
	char out[8192];
	static const char *const flags[] = {"--width 64 --batch 32768", "--width 128 --batch 32768"};
	for (int i = 0; i < 2; i++) {
		char args[512];
		snprintf(args, sizeof(args),
			 "train --data /usr/share/datasets/fashion-mnist --model resnet18 %s "
			 "--epochs 1 --out sizes-cli-run --overwrite",
			 flags[i]);
		int rc = tu_run_cli(args, out, sizeof(out));
		tu_check(rc == 1 && strstr(out, "--batch") && strstr(out, "the kernels index") &&
			     !strstr(out, "dimension 0"),
			 "ampcl train with a batch past the kernels' indexing", "%s: exit %d: %s",
			 flags[i], rc, out);
	}
	tu_remove_tree("sizes-cli-run");
	return tu_finish();
}
