/* test_models.c: the three models at width 64 have PyTorch's parameter counts and layer names,
 * and bad model settings are refused with a message. */
#include "net.h"
#include "testutil.h"

#include <string.h>

static size_t count_params(struct ampcl_context *ctx, const char *model, int width, int *layers,
			   int *found_names, const char **names, int nnames)
{
	ampcl_net_t *net;
	tu_ok(ampcl_net_create(ctx, 3, 32, 32, &net), "net create");
	tu_ok(ampcl_model_build(net, model, width, 10), model);
	size_t n = ampcl_net_param_count(net);
	*layers = ampcl_net_layer_count(net);
	*found_names = 0;
	for (int k = 0; k < nnames; k++)
		for (int i = 0; i < *layers; i++)
			if (!strcmp(ampcl_net_layer_name(net, i), names[k])) {
				(*found_names)++;
				break;
			}
	ampcl_net_free(net);
	return n;
}

/* Output gradients share slots (grad_slots.c): two that are alive at once in the backward pass
 * never overlap in memory, except a ReLU's that its input takes over in the ReLU's own backward;
 * and far fewer bytes are used than one buffer per layer would take. */
static void check_grad_slots(const struct ampcl_net *net)
{
	int n = net->nlayers, birth[AMPCL_NET_MAX_LAYERS], clashes = 0;
	for (int i = 0; i < n; i++)
		birth[i] = i == n - 1 ? n : -1;
	for (int j = 1; j < n; j++)
		for (int k = 0; k < net->layers[j].nin; k++) {
			int i = net->layers[j].in[k];
			birth[i] = j > birth[i] ? j : birth[i];
		}
	size_t all = 0, lo = (size_t)-1, hi = 0;
	for (int i = 1; i < n; i++) {
		const struct ampcl_tensor *a = &net->layers[i].dy;
		size_t abytes = ampcl_tensor_count(a) * sizeof(float);
		all += abytes;
		lo = a->offset < lo ? a->offset : lo;
		hi = a->offset + abytes > hi ? a->offset + abytes : hi;
		for (int j = i + 1; j < n; j++) {
			const struct ampcl_tensor *b = &net->layers[j].dy;
			size_t bbytes = ampcl_tensor_count(b) * sizeof(float);
			int live_together = birth[i] >= j; /* i's interval [i, birth i] reaches j */
			int handover =
			    net->layers[j].inplace && net->layers[j].in[0] == i && birth[i] == j;
			int overlap = a->chunk == b->chunk && a->offset < b->offset + bbytes &&
				      b->offset < a->offset + abytes;
			clashes += live_together && !handover && overlap;
		}
	}
	/* an amplified contribution's temporary, alive during its layer's backward, overlaps no
	 * gradient alive then; layers with an input another consumer writes first have one */
	int tmp_clashes = 0, missing = 0;
	for (int t = 1; t < n; t++) {
		const struct ampcl_tensor *a = &net->layers[t].amp_tmp;
		int needs = 0;
		for (int k = 0; k < net->layers[t].nin; k++)
			needs |= birth[net->layers[t].in[k]] > t;
		missing += needs && !a->arena;
		if (!a->arena)
			continue;
		size_t abytes = ampcl_tensor_count(a) * sizeof(float);
		for (int i = 1; i < n; i++) {
			const struct ampcl_tensor *b = &net->layers[i].dy;
			size_t bbytes = ampcl_tensor_count(b) * sizeof(float);
			tmp_clashes += i <= t && birth[i] >= t && a->chunk == b->chunk &&
				       a->offset < b->offset + bbytes &&
				       b->offset < a->offset + abytes;
		}
	}
	tu_check(clashes == 0 && tmp_clashes == 0 && missing == 0 && hi - lo < all / 4,
		 "output gradients share memory safely",
		 "%d pairs alive together overlap, %d temporaries overlap a live gradient, %d are "
		 "missing; %zu bytes spanned for %zu of gradients",
		 clashes, tmp_clashes, missing, hi - lo, all);
}

int main(void)
{
	struct ampcl_context *ctx = tu_context();
	const char *resnet_names[] = {"conv1",
				      "bn1",
				      "layer1.0.conv1",
				      "layer2.0.bn2",
				      "layer2.0.shortcut.0",
				      "layer2.0.shortcut.1",
				      "layer4.1.conv2",
				      "linear"};
	const char *vgg_names[] = {"features.0",  "features.1",  "features.2", "features.3",
				   "features.49", "features.52", "classifier"};
	int layers, found;
	size_t n = count_params(ctx, "resnet18", 64, &layers, &found, resnet_names, 8);
	tu_check(n == 11173962 && found == 8, "resnet18 width 64",
		 "%zu parameters (PyTorch 11173962), "
		 "%d layers, %d/8 names",
		 n, layers, found);
	n = count_params(ctx, "resnet34", 64, &layers, &found, resnet_names, 8);
	tu_check(n == 21282122 && found == 8, "resnet34 width 64",
		 "%zu parameters (PyTorch 21282122), %d layers, %d/8 names", n, layers, found);
	n = count_params(ctx, "vgg19", 64, &layers, &found, vgg_names, 7);
	tu_check(n == 20040522 && found == 7, "vgg19 width 64",
		 "%zu parameters (PyTorch 20040522), %d layers, %d/7 names", n, layers, found);

	/* weight-file names after finalize, at a width that keeps the test small */
	ampcl_net_t *net;
	tu_ok(ampcl_net_create(ctx, 1, 32, 32, &net), "net create");
	tu_ok(ampcl_model_build(net, "resnet18", 4, 10), "resnet18 width 4");
	/* a batch too large for the device fails with a message, and leaves the net as it was:
	 * a smaller batch then finalizes it with the same in-place ReLUs as a fresh net */
	int st = ampcl_net_finalize(net, 2000000, 1);
	tu_check(st == AMPCL_ERR_OUT_OF_DEVICE_MEMORY && strstr(ampcl_last_error(), "--batch"),
		 "a batch too large for the device", "status %d: %s", st, ampcl_last_error());
	tu_ok(ampcl_net_finalize(net, 2, 1), "finalize");
	int inplace = 0, fresh_inplace = 0;
	for (int i = 0; i < net->nlayers; i++)
		inplace += net->layers[i].inplace;
	ampcl_net_t *fresh;
	tu_ok(ampcl_net_create(ctx, 1, 32, 32, &fresh), "net create");
	tu_ok(ampcl_model_build(fresh, "resnet18", 4, 10), "resnet18 width 4");
	tu_ok(ampcl_net_finalize(fresh, 2, 1), "finalize");
	for (int i = 0; i < fresh->nlayers; i++)
		fresh_inplace += fresh->layers[i].inplace;
	tu_check(inplace == fresh_inplace && inplace == 17 && net->acts->size == fresh->acts->size,
		 "finalize after a failed one plans as a fresh net",
		 "%d in-place ReLUs (fresh %d), activations %zu bytes (fresh %zu)", inplace,
		 fresh_inplace, net->acts->size, fresh->acts->size);
	check_grad_slots(fresh);
	ampcl_net_free(fresh);
	/* one-letter layer names: "c.bias" is shorter than ".weight" */
	tu_ok(ampcl_net_create(ctx, 3, 8, 8, &fresh), "net create");
	int c1 = 0, a1 = 0, l1 = 0;
	st = ampcl_net_conv2d(fresh, "c", 0, 5, 3, 1, 1, 1, &c1);
	if (!st)
		st = ampcl_net_avgpool(fresh, "a", c1, &a1);
	if (!st)
		st = ampcl_net_linear(fresh, "l", a1, 4, 1, &l1);
	tu_check(!st && c1 == 1 && a1 == 2 && l1 == 3, "short names", "%s", ampcl_last_error());
	tu_ok(ampcl_net_finalize(fresh, 1, 1), "finalize");
	struct ampcl_tensor_info ti[4];
	for (int i = 0; i < 4; i++)
		ampcl_net_tensor_info(fresh, i, &ti[i]);
	tu_check(ti[0].ndim == 4 && ti[1].ndim == 1 && ti[1].shape[0] == 5 && ti[2].ndim == 2 &&
		     ti[2].shape[1] == 5 && ti[3].ndim == 1 && ti[3].shape[0] == 4,
		 "shapes of tensors with short names", "%s %d-D, %s %d-D [%d], %s %d-D, %s %d-D",
		 ti[0].name, ti[0].ndim, ti[1].name, ti[1].ndim, ti[1].shape[0], ti[2].name,
		 ti[2].ndim, ti[3].name, ti[3].ndim);
	ampcl_net_free(fresh);
	const char *want[] = {"conv1.weight",
			      "bn1.weight",
			      "bn1.bias",
			      "bn1.running_mean",
			      "bn1.running_var",
			      "layer3.0.shortcut.0.weight",
			      "layer3.0.shortcut.1.running_var",
			      "linear.weight",
			      "linear.bias"};
	found = 0;
	struct ampcl_tensor_info info;
	for (int k = 0; k < 9; k++)
		for (int i = 0; i < ampcl_net_tensor_count(net); i++) {
			ampcl_net_tensor_info(net, i, &info);
			if (!strcmp(info.name, want[k]))
				found++;
		}
	ampcl_net_tensor_info(net, 0, &info);
	tu_check(found == 9 && info.ndim == 4 && info.shape[0] == 4 && info.shape[1] == 1 &&
		     info.shape[2] == 3,
		 "tensor names and shapes as PyTorch's state_dict",
		 "%d/9 names; conv1.weight %dx%dx%dx%d", found, info.shape[0], info.shape[1],
		 info.shape[2], info.shape[3]);
	ampcl_net_free(net);

	tu_ok(ampcl_net_create(ctx, 3, 32, 32, &net), "net create");
	st = ampcl_model_build(net, "resnet50", 64, 10);
	tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(ampcl_last_error(), "resnet50"),
		 "unknown model refused", "%s", ampcl_last_error());
	st = ampcl_model_build(net, "resnet18", 0, 10);
	tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(ampcl_last_error(), "--width 0"),
		 "width 0 refused", "%s", ampcl_last_error());
	int bad = -1;
	st = ampcl_net_add(net, "bad", 0, 7, &bad);
	tu_check(st == AMPCL_ERR_INVALID_ARG && bad == -1, "an add of an unknown layer refused",
		 "%s", ampcl_last_error());
	ampcl_net_free(net);
	ampcl_context_free(ctx);
	return tu_finish();
}
