/* verify_replay.c: `ampcl verify`'s training replay: tests/torch/verify_replay.py's network, batch
 * and initial weights built through the public API, trained its steps here, the losses, the
 * eval-mode loss and each tensor's update norm compared with the PyTorch float64 trajectory. */
#include "verify.h"
#include "verify_replay.h"
#include "alloc.h"
#include "rng.h"
#include "error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The script's splitmix64 stream: 24-bit values in [0, 1), exact in double. */
static void stream(unsigned long long seed, size_t n, double *out)
{
	uint64_t s = seed;
	for (size_t i = 0; i < n; i++)
		out[i] = ampcl_uniform24(&s);
}

/* The network, layer for layer as the script's Net; ids of the amplified layers in amp. */
static ampcl_status build(ampcl_net_t *net, int classes, int amp[2])
{
	int l = 0, x, y, s;
	ampcl_status st;
	if ((st = ampcl_net_conv2d(net, "conv1", 0, 8, 3, 1, 1, 0, &l)) ||
	    (st = ampcl_net_batchnorm(net, "bn1", l, &l)) ||
	    (st = ampcl_net_relu(net, "relu1", l, &x)) ||
	    (st = ampcl_net_conv2d(net, "conv_a", x, 16, 3, 2, 1, 0, &l)) ||
	    (st = ampcl_net_batchnorm(net, "bn_a", l, &amp[0])) ||
	    (st = ampcl_net_relu(net, "relu_a", amp[0], &l)) ||
	    (st = ampcl_net_conv2d(net, "conv_b", l, 16, 3, 1, 1, 1, &l)) ||
	    (st = ampcl_net_batchnorm(net, "bn_b", l, &y)) ||
	    (st = ampcl_net_conv2d(net, "conv_s", x, 16, 1, 2, 0, 0, &l)) ||
	    (st = ampcl_net_batchnorm(net, "bn_s", l, &s)) ||
	    (st = ampcl_net_add(net, "add", y, s, &l)) ||
	    (st = ampcl_net_relu(net, "relu_out", l, &amp[1])) ||
	    (st = ampcl_net_maxpool2(net, "pool", amp[1], &l)) ||
	    (st = ampcl_net_avgpool(net, "avgpool", l, &l)) ||
	    (st = ampcl_net_linear(net, "fc", l, classes, 1, NULL)))
		return st;
	return AMPCL_OK;
}

/* The script's initial(): tensor i from stream 1000 + i. */
static ampcl_status load_initial(ampcl_net_t *net, double **init)
{
	const struct vf_replay_data *d = &vf_replay_data;
	int fan = 1;
	if (ampcl_net_tensor_count(net) != d->ntensors)
		return ampcl_error_set(
		    AMPCL_ERR_CHECK_FAILED,
		    "verify replay: the network has %d tensors, the trajectory %d",
		    ampcl_net_tensor_count(net), d->ntensors);
	for (int i = 0; i < d->ntensors; i++) {
		struct ampcl_tensor_info info;
		ampcl_status st = ampcl_net_tensor_info(net, i, &info);
		if (st)
			return st;
		if (strcmp(info.name, d->tensors[i].name))
			return ampcl_error_set(
			    AMPCL_ERR_CHECK_FAILED,
			    "verify replay: tensor %d is %s, the trajectory's %s", i, info.name,
			    d->tensors[i].name);
		size_t n = info.count, len = strlen(info.name);
		double *u = ampcl_xmalloc(n * sizeof(double));
		float *f = ampcl_xmalloc(n * sizeof(float));
		stream(1000 + (unsigned long long)i, n, u);
		int is_w = len > 7 && !strcmp(info.name + len - 7, ".weight");
		if (is_w && info.ndim > 1)
			fan = (int)(n / (size_t)info.shape[0]);
		for (size_t j = 0; j < n; j++) {
			double v;
			if (strstr(info.name, "running_mean"))
				v = 0;
			else if (strstr(info.name, "running_var"))
				v = 1;
			else if (!strncmp(info.name, "bn", 2))
				v = (is_w ? 1.0 : 0.0) + (2 * u[j] - 1) * 0.2;
			else
				v = (2 * u[j] - 1) * (1.0 / sqrt((double)fan));
			f[j] = (float)v;
			u[j] = f[j];
		}
		init[i] = u;
		st = ampcl_net_tensor_write(net, i, f);
		free(f);
		if (st)
			return st;
	}
	return AMPCL_OK;
}

ampcl_status vf_replay(struct vf_run *v)
{
	const struct vf_replay_data *d = &vf_replay_data;
	ampcl_net_t *net = NULL;
	double *init[VF_REPLAY_MAX_TENSORS] = {0};
	size_t nx = (size_t)d->batch * 3 * d->size * d->size;
	double *u = ampcl_xmalloc(nx * sizeof(double));
	float *x = ampcl_xmalloc(nx * sizeof(float));
	int labels[64], amp[2];
	double ul[64];
	stream(7, nx, u);
	for (size_t i = 0; i < nx; i++)
		x[i] = (float)((2 * u[i] - 1) * 2);
	stream(8, (size_t)d->batch, ul);
	for (int i = 0; i < d->batch; i++)
		labels[i] = (int)(ul[i] * d->classes);
	struct ampcl_sgd_config sgd = {(float)d->momentum, (float)d->weight_decay, 0};
	/* test-only: a learning rate 1% off, which the band must catch */
	float lr = (float)d->lr * (vf_broken(v, "replay") ? 1.01f : 1.0f);
	char shape[96];
	snprintf(shape, sizeof(shape), "%d steps, batch %d of 3x%dx%d", d->steps, d->batch, d->size,
		 d->size);
	ampcl_status st;
	if ((st = ampcl_net_create(v->ctx, 3, d->size, d->size, &net)) ||
	    (st = build(net, d->classes, amp)) || (st = ampcl_net_finalize(net, d->batch, 1)) ||
	    (st = load_initial(net, init)) || (st = ampcl_net_set_sgd(net, &sgd)) ||
	    (st = ampcl_net_set_amplification(net, amp, 2, (float)d->amp_factor, AMPCL_AMP_INPUT)))
		goto out;
	vf_record_start(v);
	double loss[VF_REPLAY_MAX_STEPS];
	for (int s = 0; s < d->steps; s++) {
		struct ampcl_step_result res;
		if ((st = ampcl_net_train_step(net, x, labels, d->batch, lr, &res))) {
			vf_record_stop(v);
			goto out;
		}
		loss[s] = res.loss;
	}
	struct ampcl_step_result ev;
	if ((st = ampcl_net_eval_step(net, x, labels, d->batch, &ev)) || (st = vf_record_stop(v)))
		goto out;
	snprintf(v->path, sizeof(v->path), "the whole training step (ampcl_net_train_step)");
	for (int s = 0; s < d->steps; s++) {
		char op[48];
		snprintf(op, sizeof(op), "replay loss, step %d", s + 1);
		vf_result(v, "replay", op, shape, fabs(loss[s] - d->loss[s]), d->loss_band[s],
			  fabs(loss[s] - d->loss[s]) / d->loss[s],
			  "PyTorch float64; 10x float32's distance, >= 2e-5 rel");
	}
	vf_result(v, "replay", "replay eval-mode loss", shape, fabs(ev.loss - d->eval_loss),
		  d->eval_band, fabs(ev.loss - d->eval_loss) / d->eval_loss,
		  "PyTorch float64; 10x float32's distance, >= 2e-5 rel");
	/* the update of every tensor: worst ratio to its band, one check */
	double worst = 0, worst_err = 0, worst_band = 1, worst_rel = 0;
	char worst_name[128] = "";
	for (int i = 0; i < d->ntensors; i++) {
		struct ampcl_tensor_info info;
		if ((st = ampcl_net_tensor_info(net, i, &info)))
			goto out;
		float *f = ampcl_xmalloc(info.count * sizeof(float));
		if ((st = ampcl_net_tensor_read(net, i, f))) {
			free(f);
			goto out;
		}
		double sq = 0;
		for (size_t j = 0; j < info.count; j++)
			sq += (f[j] - init[i][j]) * (f[j] - init[i][j]);
		free(f);
		double err = fabs(sqrt(sq) - d->tensors[i].update_norm);
		double r = err / d->tensors[i].band;
		if (!(r <= worst) || i == 0) {
			worst = r;
			worst_err = err;
			worst_band = d->tensors[i].band;
			worst_rel = err / fmax(d->tensors[i].update_norm, 1e-30);
			snprintf(worst_name, sizeof(worst_name), "%s", info.name);
		}
	}
	char op[48];
	snprintf(op, sizeof(op), "replay update %.26s", worst_name);
	vf_result(v, "replay", op, shape, worst_err, worst_band, worst_rel,
		  "each tensor's |after - before|, the worst shown");
out:
	ampcl_net_free(net);
	for (int i = 0; i < VF_REPLAY_MAX_TENSORS; i++)
		free(init[i]);
	free(u);
	free(x);
	return st;
}
