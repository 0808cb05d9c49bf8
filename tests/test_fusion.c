/* test_fusion.c: a net's fused passes (a ReLU inside the BN or add before it, amplification inside
 * the BN or ReLU kernel) give the bits of the unfused ones (AMPCL_FUSE=off), and launch fewer. */
#include "kprof.h"
#include "net.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BATCH = 5, STEPS = 3, CLASSES = 10 };

struct model_case {
	const char *model;
	int width, size; /* base width, image side: odd planes for the BN kernels' tails */
};

/* What one run leaves: every step's loss, the eval step's logits, every tensor afterwards, and
 * launches in one training step: of the ReLU's forward, of the element-wise passes that fusion
 * removes or merges (ReLU backward, the add's backward copies) and of amplification passes. */
struct run_result {
	double loss[STEPS + 1];
	float *logits, *tensors;
	size_t floats;
	int relu_forward, eltwise_backward, scale_launches;
};

static unsigned long long rng_state;

static float uniform(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (float)((rng_state >> 40) & 0xffffff) / 16777216.0f * 2.0f - 1.0f;
}

/* Launches of kernels named `a` or `b` in a recording. */
static int launches(const struct ampcl_kprof_row *rows, int nrows, const char *a, const char *b)
{
	int calls = 0;
	for (int i = 0; i < nrows; i++)
		if (!strcmp(rows[i].name, a) || !strcmp(rows[i].name, b))
			calls += rows[i].calls;
	return calls;
}

/* Layers of a type, for the amplification selection. */
static int layers_of(ampcl_net_t *net, enum ampcl_layer_type t1, enum ampcl_layer_type t2,
		     int *out)
{
	int n = 0;
	for (int i = 1; i < ampcl_net_layer_count(net); i++)
		if (ampcl_net_layer_type(net, i) == t1 || ampcl_net_layer_type(net, i) == t2)
			out[n++] = i;
	return n;
}

/* amp: 0 none; 1 every BN and ReLU x2 on the input gradient; 2 every third of them x1.5 on
 * both targets (a ReLU amplified inside a BN's backward, a BN's dx through its temporary) */
static void run(const struct model_case *m, int fuse, int amp, struct run_result *r)
{
	setenv("AMPCL_FUSE", fuse ? "on" : "off", 1);
	struct ampcl_context *ctx = tu_context();
	ampcl_net_t *net;
	tu_ok(ampcl_net_create(ctx, 3, m->size, m->size, &net), "create");
	tu_ok(ampcl_model_build(net, m->model, m->width, CLASSES), "model");
	tu_ok(ampcl_net_finalize(net, BATCH, 7), "finalize");
	struct ampcl_sgd_config sgd = {0.9f, 5e-4f, 0};
	tu_ok(ampcl_net_set_sgd(net, &sgd), "sgd");
	int sel[512], n = layers_of(net, AMPCL_LAYER_BN, AMPCL_LAYER_RELU, sel);
	if (amp == 2) {
		int k = 0;
		for (int i = 0; i < n; i += 3)
			sel[k++] = sel[i];
		n = k;
	}
	if (amp)
		tu_ok(ampcl_net_set_amplification(net, sel, n, amp == 1 ? 2.0f : 1.5f,
						  amp == 1 ? AMPCL_AMP_INPUT
							   : AMPCL_AMP_INPUT | AMPCL_AMP_PARAMS),
		      "amplification");

	size_t px = (size_t)BATCH * 3 * m->size * m->size;
	float *x = tu_malloc(px * sizeof(float));
	int labels[BATCH];
	rng_state = 0x5eed;
	struct ampcl_step_result res;
	for (int s = 0; s <= STEPS; s++) {
		for (size_t i = 0; i < px; i++)
			x[i] = uniform();
		for (int i = 0; i < BATCH; i++)
			labels[i] = (s * 7 + i * 3) % CLASSES;
		if (s == 0)
			ampcl_kprof_start(ctx);
		if (s < STEPS)
			tu_ok(ampcl_net_train_step(net, x, labels, BATCH, 0.05f, &res), "step");
		else
			tu_ok(ampcl_net_eval_step(net, x, labels, BATCH, &res), "eval");
		if (s == 0) {
			struct ampcl_kprof_row *rows;
			int nrows;
			double total;
			tu_ok(ampcl_kprof_stop(ctx, &rows, &nrows, &total), "profile");
			r->relu_forward = launches(rows, nrows, "relu_forward", "");
			r->eltwise_backward = launches(rows, nrows, "relu_backward", "add_backward");
			r->scale_launches = launches(rows, nrows, "scale_forward", "");
			free(rows);
		}
		r->loss[s] = res.loss;
	}
	r->logits = tu_malloc((size_t)BATCH * CLASSES * sizeof(float));
	tu_ok(ampcl_net_logits(net, BATCH, r->logits), "logits");
	r->floats = 0;
	for (int i = 0; i < ampcl_net_tensor_count(net); i++) {
		struct ampcl_tensor_info info;
		tu_ok(ampcl_net_tensor_info(net, i, &info), "info");
		r->floats += info.count;
	}
	r->tensors = tu_malloc(r->floats * sizeof(float));
	for (int i = 0, off = 0; i < ampcl_net_tensor_count(net); i++) {
		struct ampcl_tensor_info info;
		tu_ok(ampcl_net_tensor_info(net, i, &info), "info");
		tu_ok(ampcl_net_tensor_read(net, i, r->tensors + off), "read");
		off += (int)info.count;
	}
	free(x);
	ampcl_net_free(net);
	ampcl_context_free(ctx);
}

int main(void)
{
	/* ResNet-18: BN + ReLU and add + ReLU; VGG-19: BN + ReLU only, a max pool after some */
	static const struct model_case models[] = {{"resnet18", 4, 20}, {"vgg19", 4, 36}};
	static const char *amp_names[] = {"no amplification", "BN and ReLU x2 (input)",
					  "a third of BN and ReLU x1.5 (both)"};
	for (size_t mi = 0; mi < sizeof(models) / sizeof(models[0]); mi++) {
		const struct model_case *m = &models[mi];
		for (int amp = 0; amp < 3; amp++) {
			struct run_result on, off;
			run(m, 1, amp, &on);
			run(m, 0, amp, &off);
			char name[200];
			snprintf(name, sizeof(name), "%s w%d %dx%d, %s: fused = unfused", m->model,
				 m->width, m->size, m->size, amp_names[amp]);
			int same = !memcmp(on.loss, off.loss, sizeof(on.loss)) &&
				   !memcmp(on.logits, off.logits,
					   (size_t)BATCH * CLASSES * sizeof(float)) &&
				   on.floats == off.floats &&
				   !memcmp(on.tensors, off.tensors, on.floats * sizeof(float));
			tu_check(same, name,
				 "%d training steps' losses (last %.9g), the eval logits and %zu "
				 "floats of parameters and statistics compared with memcmp",
				 STEPS, on.loss[STEPS - 1], on.floats);
			snprintf(name, sizeof(name), "%s, %s: fused launches", m->model,
				 amp_names[amp]);
			/* what stays a pass: the amplification of parameter gradients */
			int scale_ok = amp == 2 ? on.scale_launches < off.scale_launches
						: on.scale_launches == 0 &&
							  (amp == 0) == (off.scale_launches == 0);
			/* each ReLU's backward gone, or (after an add) one masked copy per input
			 * in place of the add's copies */
			tu_check(on.relu_forward == 0 && off.relu_forward > 0 &&
				     on.eltwise_backward <= off.eltwise_backward - off.relu_forward &&
				     scale_ok,
				 name,
				 "ReLU forward %d fused, %d unfused; ReLU and add backward %d fused, "
				 "%d unfused; amplification passes %d fused, %d unfused",
				 on.relu_forward, off.relu_forward, on.eltwise_backward,
				 off.eltwise_backward, on.scale_launches, off.scale_launches);
			free(on.logits), free(on.tensors), free(off.logits), free(off.tensors);
		}
	}
	return tu_finish();
}
