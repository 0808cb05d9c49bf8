/* test_train_step.c: a tiny residual network's first SGD steps on the device equal the same steps
 * computed with the plain-C double references (forward, loss, backward, update), layer by layer. */
#include "ref.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N = 3, C0 = 2, H = 5, C = 3, K = 4, HW = H * H, STEPS = 3 };

/* tensors in the order the net lists them */
enum {
	CONV1_W,
	CONV1_B,
	BN1_G,
	BN1_B,
	BN1_RM,
	BN1_RV,
	CONV2_W,
	BN2_G,
	BN2_B,
	BN2_RM,
	BN2_RV,
	LIN_W,
	LIN_B,
	NT
};

static const size_t sizes[NT] = {C * C0 * 9, C, C, C, C, C, C *C * 9, C, C, C, C, K *C, K};

struct host_net {
	double *t[NT];
	double *mom[NT];
};

/* One reference SGD step; returns the loss. */
static double ref_step(struct host_net *h, const double *x, const int *labels, double lr)
{
	double y1[N * C * HW], m1[C], i1[C], a1[N * C * HW];
	double y2[N * C * HW], m2[C], i2[C], b2[N * C * HW], s[N * C * HW], r2[N * C * HW];
	double p[N * C * 4], g[N * C], logits[N * K], dl[N * K];
	ref_conv2d_forward(y1, x, h->t[CONV1_W], h->t[CONV1_B], N, C0, H, H, C, 3, 3, 1, 1);
	ref_bn_forward_train(a1, m1, i1, h->t[BN1_RM], h->t[BN1_RV], y1, h->t[BN1_G], h->t[BN1_B],
			     N, C, HW, 0.1, 1e-5);
	double bn1_out[N * C * HW];
	memcpy(bn1_out, a1, sizeof(a1));
	ref_relu_forward(a1, bn1_out, N * C * HW);
	ref_conv2d_forward(y2, a1, h->t[CONV2_W], NULL, N, C, H, H, C, 3, 3, 1, 1);
	ref_bn_forward_train(b2, m2, i2, h->t[BN2_RM], h->t[BN2_RV], y2, h->t[BN2_G], h->t[BN2_B],
			     N, C, HW, 0.1, 1e-5);
	ref_add_forward(s, b2, a1, N * C * HW);
	ref_relu_forward(r2, s, N * C * HW);
	ref_maxpool2_forward(p, r2, N, C, H, H);
	ref_avgpool_forward(g, p, N, C, 4);
	ref_linear_forward(logits, g, h->t[LIN_W], h->t[LIN_B], N, C, K);
	double loss = ref_softmax_ce(dl, NULL, logits, labels, N, K);

	double *grad[NT];
	for (int i = 0; i < NT; i++)
		grad[i] = calloc(sizes[i], sizeof(double));
	double dg[N * C], dp[N * C * 4], dr2[N * C * HW], ds[N * C * HW], db2[N * C * HW];
	double dy2[N * C * HW], da1[N * C * HW], dbn1[N * C * HW], dy1[N * C * HW];
	ref_linear_backward(dg, grad[LIN_W], grad[LIN_B], dl, g, h->t[LIN_W], N, C, K, 0);
	ref_avgpool_backward(dp, dg, N, C, 4, 0);
	ref_maxpool2_backward(dr2, dp, r2, N, C, H, H, 0);
	ref_relu_backward(ds, dr2, r2, N * C * HW, 0);
	/* the add passes ds to both branches: bn2's output and the shortcut (relu1's output) */
	memcpy(db2, ds, sizeof(ds));
	ref_bn_backward(dy2, grad[BN2_G], grad[BN2_B], db2, y2, m2, i2, h->t[BN2_G], N, C, HW, 0);
	memcpy(da1, ds, sizeof(ds));
	ref_conv2d_backward(da1, grad[CONV2_W], NULL, dy2, a1, h->t[CONV2_W], N, C, H, H, C, 3, 3,
			    1, 1, 1);
	ref_relu_backward(dbn1, da1, a1, N * C * HW, 0);
	ref_bn_backward(dy1, grad[BN1_G], grad[BN1_B], dbn1, y1, m1, i1, h->t[BN1_G], N, C, HW, 0);
	ref_conv2d_backward(NULL, grad[CONV1_W], grad[CONV1_B], dy1, x, h->t[CONV1_W], N, C0, H, H,
			    C, 3, 3, 1, 1, 0);
	for (int i = 0; i < NT; i++) {
		if (i != BN1_RM && i != BN1_RV && i != BN2_RM && i != BN2_RV)
			ref_sgd_step(h->t[i], h->mom[i], grad[i], sizes[i], lr, 0.9, 5e-4, 1);
		free(grad[i]);
	}
	return loss;
}

int main(void)
{
	struct ampcl_context *ctx = tu_context();
	ampcl_net_t *net;
	tu_ok(ampcl_net_create(ctx, C0, H, H, &net), "create");
	int x = 0;
	tu_ok(ampcl_net_conv2d(net, "conv1", x, C, 3, 1, 1, 1, &x), "conv1");
	tu_ok(ampcl_net_batchnorm(net, "bn1", x, &x), "bn1");
	int a1;
	tu_ok(ampcl_net_relu(net, "relu1", x, &a1), "relu1");
	tu_ok(ampcl_net_conv2d(net, "conv2", a1, C, 3, 1, 1, 0, &x), "conv2");
	tu_ok(ampcl_net_batchnorm(net, "bn2", x, &x), "bn2");
	tu_ok(ampcl_net_add(net, "add", x, a1, &x), "add");
	tu_ok(ampcl_net_relu(net, "relu2", x, &x), "relu2");
	tu_ok(ampcl_net_maxpool2(net, "pool", x, &x), "pool");
	tu_ok(ampcl_net_avgpool(net, "avgpool", x, &x), "avgpool");
	tu_ok(ampcl_net_linear(net, "linear", x, K, 1, &x), "linear");
	tu_check(x > 0, "build", "last layer %d", x);
	tu_ok(ampcl_net_finalize(net, N + 2, 7), "finalize");
	struct ampcl_sgd_config sgd = {0.9f, 5e-4f, 1};
	tu_ok(ampcl_net_set_sgd(net, &sgd), "sgd");
	tu_check(ampcl_net_tensor_count(net) == NT, "tensor count", "%d",
		 ampcl_net_tensor_count(net));

	struct host_net h;
	float *buf = tu_malloc(64 * 64 * sizeof(float));
	for (int i = 0; i < NT; i++) {
		h.t[i] = tu_malloc(sizes[i] * sizeof(double));
		h.mom[i] = tu_malloc(sizes[i] * sizeof(double));
		tu_ok(ampcl_net_tensor_read(net, i, buf), "read initial");
		tu_float_to_double(h.t[i], buf, sizes[i]);
	}
	float xf[N * C0 * HW];
	double xd[N * C0 * HW];
	int labels[N] = {2, 0, 3};
	unsigned long long seed = 99;
	for (int step = 0; step < STEPS; step++) {
		tu_fill_uniform_f(xf, N * C0 * HW, &seed, -2.0f, 2.0f);
		tu_float_to_double(xd, xf, N * C0 * HW);
		struct ampcl_step_result r;
		tu_ok(ampcl_net_train_step(net, xf, labels, N, 0.1f, &r), "train step");
		double want = ref_step(&h, xd, labels, 0.1);
		tu_check(fabs(r.loss - want) < 1e-5 * (1 + fabs(want)) && r.count == N, "step loss",
			 "step %d: device %.7f reference %.7f", step, r.loss, want);
	}
	/* parameters after the steps: float vs double drift through BN stays near 1e-7 */
	for (int i = 0; i < NT; i++) {
		struct ampcl_tensor_info info;
		ampcl_net_tensor_info(net, i, &info);
		tu_ok(ampcl_net_tensor_read(net, i, buf), "read");
		char name[160];
		snprintf(name, sizeof(name), "%s after %d steps", info.name, STEPS);
		tu_compare(name, buf, h.t[i], sizes[i], 1e-6, 1e-5);
	}

	/* evaluation mode uses the running statistics: compare with a reference eval forward */
	struct ampcl_step_result r;
	tu_ok(ampcl_net_eval_step(net, xf, labels, N, &r), "eval");
	tu_check(isfinite(r.loss) && r.count == N, "eval step", "loss %.5f, %d/%d correct", r.loss,
		 r.correct, r.count);
	int bad_labels[N] = {0, 9, 1};
	int st = ampcl_net_train_step(net, xf, bad_labels, N, 0.1f, &r);
	tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(ampcl_last_error(), "label 9"),
		 "a label out of range is refused", "%s", ampcl_last_error());
	st = ampcl_net_train_step(net, xf, labels, N + 3, 0.1f, &r);
	tu_check(st == AMPCL_ERR_INVALID_ARG, "a batch larger than planned is refused", "%s",
		 ampcl_last_error());

	/* the seams: forward_backward then update is train_step bit for bit; and between them
	 * the gradients can be read and rewritten (doubling them with momentum and weight decay
	 * off equals doubling the learning rate, exactly: both scale by a power of two) */
	ampcl_net_t *pair[2];
	float *snap = tu_malloc(64 * 64 * sizeof(float) * 2);
	for (int k = 0; k < 2; k++) {
		tu_ok(ampcl_net_create(ctx, C0, H, H, &pair[k]), "create");
		int y;
		tu_ok(ampcl_net_conv2d(pair[k], "conv1", 0, C, 3, 1, 1, 1, &y), "conv1");
		tu_ok(ampcl_net_batchnorm(pair[k], "bn1", y, &y), "bn1");
		tu_ok(ampcl_net_relu(pair[k], "relu1", y, &y), "relu1");
		tu_ok(ampcl_net_avgpool(pair[k], "avgpool", y, &y), "avgpool");
		tu_ok(ampcl_net_linear(pair[k], "linear", y, K, 1, &y), "linear");
		tu_ok(ampcl_net_finalize(pair[k], N, 11), "finalize");
		tu_ok(ampcl_net_set_sgd(pair[k], &sgd), "sgd");
	}
	struct ampcl_step_result ra, rb;
	for (int step = 0; step < 3; step++) {
		tu_fill_uniform_f(xf, N * C0 * HW, &seed, -2.0f, 2.0f);
		tu_ok(ampcl_net_train_step(pair[0], xf, labels, N, 0.1f, &ra), "train step");
		tu_ok(ampcl_net_forward_backward(pair[1], xf, labels, N, &rb), "forward_backward");
		tu_ok(ampcl_net_update(pair[1], 0.1f), "update");
	}
	int same = ra.loss == rb.loss && ra.correct == rb.correct;
	for (int i = 0; i < ampcl_net_tensor_count(pair[0]); i++) {
		struct ampcl_tensor_info info;
		ampcl_net_tensor_info(pair[0], i, &info);
		tu_ok(ampcl_net_tensor_read(pair[0], i, snap), "read");
		tu_ok(ampcl_net_tensor_read(pair[1], i, snap + info.count), "read");
		same &= !memcmp(snap, snap + info.count, info.count * sizeof(float));
	}
	tu_check(same, "forward_backward + update = train_step, bit for bit", "loss %.9g / %.9g",
		 ra.loss, rb.loss);
	struct ampcl_sgd_config plain = {0.0f, 0.0f, 0};
	tu_ok(ampcl_net_set_sgd(pair[0], &plain), "sgd");
	tu_ok(ampcl_net_set_sgd(pair[1], &plain), "sgd");
	tu_fill_uniform_f(xf, N * C0 * HW, &seed, -2.0f, 2.0f);
	tu_ok(ampcl_net_forward_backward(pair[0], xf, labels, N, &ra), "forward_backward");
	tu_ok(ampcl_net_update(pair[0], 0.2f), "update at 2 lr");
	tu_ok(ampcl_net_forward_backward(pair[1], xf, labels, N, &rb), "forward_backward");
	for (int i = 0; i < ampcl_net_tensor_count(pair[1]); i++) {
		struct ampcl_tensor_info info;
		ampcl_net_tensor_info(pair[1], i, &info);
		if (!info.trainable)
			continue;
		tu_ok(ampcl_net_grad_read(pair[1], i, snap), "grad read");
		for (size_t j = 0; j < info.count; j++)
			snap[j] *= 2;
		tu_ok(ampcl_net_grad_write(pair[1], i, snap), "grad write");
	}
	tu_ok(ampcl_net_update(pair[1], 0.1f), "update of doubled gradients");
	same = 1;
	for (int i = 0; i < ampcl_net_tensor_count(pair[0]); i++) {
		struct ampcl_tensor_info info;
		ampcl_net_tensor_info(pair[0], i, &info);
		tu_ok(ampcl_net_tensor_read(pair[0], i, snap), "read");
		tu_ok(ampcl_net_tensor_read(pair[1], i, snap + info.count), "read");
		same &= !memcmp(snap, snap + info.count, info.count * sizeof(float));
	}
	tu_check(same, "gradients rewritten between the seams reach the update", "all tensors");
	/* tensors: conv1.weight, conv1.bias, bn1.weight, bn1.bias, bn1.running_mean, ... */
	st = ampcl_net_grad_read(pair[1], 4, snap);
	tu_check(st == AMPCL_ERR_INVALID_ARG, "a BN statistic has no gradient", "%s",
		 ampcl_last_error());
	free(snap);
	ampcl_net_free(pair[0]);
	ampcl_net_free(pair[1]);
	for (int i = 0; i < NT; i++) {
		free(h.t[i]);
		free(h.mom[i]);
	}
	free(buf);
	ampcl_net_free(net);
	ampcl_context_free(ctx);
	return tu_finish();
}
