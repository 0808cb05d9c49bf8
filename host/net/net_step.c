/* net_step.c: one training step read top to bottom: input upload, forward in network order, the
 * loss, backward in reverse order with amplification after selected layers, the SGD update. */
#include "bn.h"
#include "alloc.h"
#include "conv.h"
#include "eltwise.h"
#include "error.h"
#include "linear.h"
#include "loss.h"
#include "ampcl_cl.h"
#include "net.h"
#include "pool.h"
#include "relu.h"
#include "sgd.h"
#include "workspace.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static struct ampcl_conv2d_shape conv_shape(const struct ampcl_net *net,
					    const struct ampcl_layer *L, int n)
{
	const struct ampcl_layer *in = &net->layers[L->in[0]];
	return (struct ampcl_conv2d_shape){n,         in->c,     in->h,     in->w, L->c,
					   L->kernel, L->kernel, L->stride, L->pad};
}

static const struct ampcl_tensor *param(const struct ampcl_net *net, int id)
{
	return id >= 0 ? &net->tensors[id].value : NULL;
}

static const struct ampcl_tensor *grad(const struct ampcl_net *net, int id)
{
	return id >= 0 ? &net->tensors[id].grad : NULL;
}

/* The net's planned op workspace, lent to the ops for one pass. */
static void lend_workspace(struct ampcl_net *net)
{
	ampcl_workspace_lend(net->ctx, ampcl_tensor_mem(&net->workspace), net->workspace.offset,
			     ampcl_tensor_count(&net->workspace));
}

/* Layer L's dropout masks this step: the run's seed, the step, the layer and the rank. */
static struct ampcl_dropout_draw dropout_draw(const struct ampcl_net *net,
					      const struct ampcl_layer *L)
{
	struct ampcl_dropout_draw d = {net->seed, net->drop_step,
				       (unsigned)(L - net->layers) + 65536u * net->drop_rank, L->ratio};
	return d;
}

static ampcl_status forward(struct ampcl_net *net, int n, int train);
static ampcl_status backward(struct ampcl_net *net, int n);

ampcl_status ampcl_net_forward(struct ampcl_net *net, int n, int train)
{
	lend_workspace(net);
	ampcl_status st = forward(net, n, train);
	ampcl_workspace_lend(net->ctx, NULL, 0, 0);
	return st;
}

ampcl_status ampcl_net_backward(struct ampcl_net *net, int n)
{
	lend_workspace(net);
	ampcl_status st = backward(net, n);
	ampcl_workspace_lend(net->ctx, NULL, 0, 0);
	return st;
}

static ampcl_status forward(struct ampcl_net *net, int n, int train)
{
	struct ampcl_context *ctx = net->ctx;
	for (int i = 1; i < net->nlayers; i++) {
		struct ampcl_layer *L = &net->layers[i];
		const struct ampcl_layer *A = &net->layers[L->in[0]];
		struct ampcl_tensor y = ampcl_net_batch_view(&L->y, n); /* (n, c, h, w) */
		struct ampcl_tensor x = ampcl_net_batch_view(&A->y, n); /* the input's output */
		ampcl_status st = AMPCL_OK;
		switch (L->type) {
		case AMPCL_LAYER_CONV: {
			struct ampcl_conv2d_shape s = conv_shape(net, L, n);
			st = ampcl_conv2d_forward(ctx, &s, &y, &x, param(net, L->weight),
						  param(net, L->bias_t), &net->conv_scratch);
			break;
		}
		case AMPCL_LAYER_BN: {
			struct ampcl_bn_shape s = {n, L->c, L->h * L->w};
			struct ampcl_bn_fuse f = AMPCL_BN_FUSE_NONE;
			f.relu = L->fused_relu > 0; /* y is the ReLU's too: it runs in place */
			if (train)
				st = ampcl_bn_forward_train_fused(
				    ctx, &s, &y, &L->save_mean, &L->save_invstd,
				    param(net, L->run_mean), param(net, L->run_var), &x,
				    param(net, L->gamma), param(net, L->beta_t), 0.1f, 1e-5f, &f);
			else
				st = ampcl_bn_forward_eval_fused(
				    ctx, &s, &y, &x, param(net, L->gamma), param(net, L->beta_t),
				    param(net, L->run_mean), param(net, L->run_var), 1e-5f, &f);
			break;
		}
		case AMPCL_LAYER_RELU:
			if (!L->fused_into) /* else the layer before did it */
				st = ampcl_relu_forward(ctx, &y, &x);
			break;
		case AMPCL_LAYER_CLIP:
			st = ampcl_clip_forward(ctx, &y, &x, L->lo, L->hi);
			break;
		case AMPCL_LAYER_POOL_GENERAL: {
			struct ampcl_gpool_shape g = L->gpool;
			g.n = n;
			st = ampcl_gpool_forward(ctx, &g, L->average, &y, &x);
			break;
		}
		case AMPCL_LAYER_CONV_GENERAL: {
			struct ampcl_gconv_shape g = L->gconv;
			g.n = n;
			st = ampcl_gconv_forward(ctx, &g, &y, &x, param(net, L->weight),
						 L->bias ? param(net, L->bias_t) : NULL);
			break;
		}
		case AMPCL_LAYER_DROPOUT: {
			struct ampcl_dropout_draw d = dropout_draw(net, L);
			if (!train)
				d.ratio = 0.0f; /* evaluation: the identity */
			st = ampcl_dropout_forward(ctx, &y, &x, &d);
			break;
		}
		case AMPCL_LAYER_MAXPOOL:
			st = ampcl_maxpool2_forward(ctx, &y, &x);
			break;
		case AMPCL_LAYER_AVGPOOL: {
			struct ampcl_tensor y2 = y; /* (n, c) */
			y2.ndim = 2;
			st = ampcl_avgpool_forward(ctx, &y2, &x);
			break;
		}
		case AMPCL_LAYER_LINEAR:
			st = ampcl_linear_forward(ctx, &y, &x, param(net, L->weight),
						  param(net, L->bias_t), n, A->c * A->h * A->w,
						  L->c, L->w_in_out);
			break;
		case AMPCL_LAYER_ADD: {
			struct ampcl_tensor b = ampcl_net_batch_view(&net->layers[L->in[1]].y, n);
			st = L->fused_relu ? ampcl_add_relu_forward(ctx, &y, &x, &b)
					   : ampcl_add_forward(ctx, &y, &x, &b);
			break;
		}
		case AMPCL_LAYER_CONCAT: {
			const struct ampcl_layer *B = &net->layers[L->in[1]];
			struct ampcl_tensor b = ampcl_net_batch_view(&B->y, n);
			st = ampcl_concat_forward(ctx, &y, &x, &b, n, A->c, B->c, L->h * L->w);
			break;
		}
		case AMPCL_LAYER_SLICE:
			st = ampcl_slice_forward(ctx, &y, &x, n, L->c, A->c, L->slice_start,
						 L->h * L->w);
			break;
		case AMPCL_LAYER_INPUT:
			break;
		}
		if (st)
			return ampcl_error_wrap(st, "forward of layer '%s': ", L->name);
	}
	net->last_forward = n;
	return AMPCL_OK;
}

/* Where layer L writes the gradient for its k-th input: that input's dy, accumulated (beta 1) if
 * another consumer has written it already in this pass. An amplified contribution that must be
 * accumulated goes to a temporary first, so only this layer's part is scaled. */
struct grad_target {
	struct ampcl_tensor dst; /* the view the backward kernel writes */
	float beta;
	int via_tmp;
};

static struct grad_target grad_target(struct ampcl_net *net, const struct ampcl_layer *L, int k,
				      int n)
{
	struct ampcl_layer *in = &net->layers[L->in[k]];
	struct grad_target t = {ampcl_net_batch_view(&in->dy, n), in->dy_written ? 1.0f : 0.0f, 0};
	if (L->amp_selected && (net->amp_target & AMPCL_AMP_INPUT) && in->dy_written) {
		t.dst = L->amp_tmp;
		t.dst.ndim = in->dy.ndim;
		memcpy(t.dst.shape, in->dy.shape, sizeof(t.dst.shape));
		t.dst.shape[0] = n;
		t.beta = 0.0f;
		t.via_tmp = 1;
	}
	return t;
}

/* Whether layer L's contribution to its input gradients is amplified, and the factor that
 * multiplies it (1 when not). */
static float amp_input_factor(const struct ampcl_net *net, const struct ampcl_layer *L)
{
	return L->amp_selected && (net->amp_target & AMPCL_AMP_INPUT) ? net->amp_factor : 1.0f;
}

/* After the kernel: amplify this layer's contribution (unless the kernel did: `scaled`) and, via
 * the temporary, add it in. */
static ampcl_status grad_done(struct ampcl_net *net, const struct ampcl_layer *L, int k, int n,
			      const struct grad_target *t, int scaled)
{
	struct ampcl_layer *in = &net->layers[L->in[k]];
	ampcl_status st = AMPCL_OK;
	if (!scaled && L->amp_selected && (net->amp_target & AMPCL_AMP_INPUT))
		st = ampcl_amplify(net->ctx, &t->dst, net->amp_factor);
	if (!st && t->via_tmp) {
		struct ampcl_tensor dy = ampcl_net_batch_view(&in->dy, n);
		st = ampcl_add_backward(net->ctx, &dy, &t->dst, 1.0f);
	}
	in->dy_written = 1;
	return st;
}

/* Layer L's backward. With `fuse`, a ReLU fused into the BN or add before it (fused_into) does
 * nothing here: that layer's kernels read the ReLU's output gradient and apply its mask and
 * amplification, and amplification of a BN or ReLU happens inside its kernel, not as a pass
 * after it. Without it (AMPCL_FUSE=off, or a pass that records each layer's output gradient),
 * every layer runs its own passes. The results are the same bits either way. */
static ampcl_status backward_layer(struct ampcl_net *net, struct ampcl_layer *L, int n, int fuse)
{
	struct ampcl_context *ctx = net->ctx;
	struct ampcl_layer *A = &net->layers[L->in[0]];
	struct ampcl_tensor dy = ampcl_net_batch_view(&L->dy, n); /* this layer's output gradient */
	struct ampcl_tensor x = ampcl_net_batch_view(&A->y, n);
	/* the network's input needs no gradient: the first convolution skips computing it */
	int want_dx = A->type != AMPCL_LAYER_INPUT;
	/* the ReLU whose backward this layer's kernels do, or NULL */
	const struct ampcl_layer *R = fuse && L->fused_relu ? &net->layers[L->fused_relu] : NULL;
	if (fuse && L->fused_into) {
		A->dy_written = 1; /* by A's own backward, next */
		return AMPCL_OK;
	}
	struct grad_target t = grad_target(net, L, 0, n);
	int scaled = 0; /* the kernel applied this layer's amplification */
	ampcl_status st = AMPCL_OK;
	switch (L->type) {
	case AMPCL_LAYER_CONV: {
		struct ampcl_conv2d_shape s = conv_shape(net, L, n);
		st = ampcl_conv2d_backward(ctx, &s, want_dx ? &t.dst : NULL, grad(net, L->weight),
					   grad(net, L->bias_t), &dy, &x, param(net, L->weight),
					   t.beta, &net->conv_scratch);
		break;
	}
	case AMPCL_LAYER_BN: {
		struct ampcl_bn_shape s = {n, L->c, L->h * L->w};
		struct ampcl_bn_fuse f = AMPCL_BN_FUSE_NONE;
		if (R) { /* dy: the ReLU's output gradient, which the kernels mask */
			f.relu = 1;
			f.dy_scale = amp_input_factor(net, R);
			dy = ampcl_net_batch_view(&R->dy, n);
		}
		if (fuse) {
			f.dx_scale = amp_input_factor(net, L);
			scaled = 1;
		}
		st = ampcl_bn_backward_fused(ctx, &s, &t.dst, grad(net, L->gamma),
					     grad(net, L->beta_t), &dy, &x, &L->save_mean,
					     &L->save_invstd, param(net, L->gamma),
					     param(net, L->beta_t), t.beta, &f);
		break;
	}
	case AMPCL_LAYER_RELU: {
		struct ampcl_tensor y = ampcl_net_batch_view(&L->y, n);
		scaled = fuse;
		st = ampcl_relu_backward_scaled(ctx, &t.dst, &dy, &y,
						fuse ? amp_input_factor(net, L) : 1.0f, t.beta);
		break;
	}
	case AMPCL_LAYER_POOL_GENERAL: {
		struct ampcl_gpool_shape g = L->gpool;
		g.n = n;
		st = ampcl_gpool_backward(ctx, &g, L->average, &t.dst, &dy, &x, t.beta);
		break;
	}
	case AMPCL_LAYER_CONV_GENERAL: {
		struct ampcl_gconv_shape g = L->gconv;
		g.n = n;
		st = ampcl_gconv_backward(ctx, &g, want_dx ? &t.dst : NULL, grad(net, L->weight),
					  L->bias ? grad(net, L->bias_t) : NULL, &dy, &x,
					  param(net, L->weight), t.beta);
		break;
	}
	case AMPCL_LAYER_DROPOUT: {
		struct ampcl_dropout_draw d = dropout_draw(net, L);
		st = ampcl_dropout_backward(ctx, &t.dst, &dy, &d, t.beta);
		break;
	}
	case AMPCL_LAYER_CLIP: {
		struct ampcl_tensor y = ampcl_net_batch_view(&L->y, n);
		st = ampcl_clip_backward(ctx, &t.dst, &dy, &y, L->lo, L->hi, t.beta);
		break;
	}
	case AMPCL_LAYER_MAXPOOL:
		st = ampcl_maxpool2_backward(ctx, &t.dst, &dy, &x, t.beta);
		break;
	case AMPCL_LAYER_AVGPOOL: {
		struct ampcl_tensor dy2 = dy;
		dy2.ndim = 2;
		st = ampcl_avgpool_backward(ctx, &t.dst, &dy2, t.beta);
		break;
	}
	case AMPCL_LAYER_LINEAR:
		st = ampcl_linear_backward(ctx, want_dx ? &t.dst : NULL, grad(net, L->weight),
					   grad(net, L->bias_t), &dy, &x, param(net, L->weight), n,
					   A->c * A->h * A->w, L->c, L->w_in_out, t.beta);
		break;
	case AMPCL_LAYER_ADD:
		for (int k = 0; k < 2 && !st; k++) {
			if (k)
				t = grad_target(net, L, 1, n);
			if (R) { /* each input's gradient: the ReLU's, masked and amplified */
				struct ampcl_tensor ry = ampcl_net_batch_view(&R->y, n);
				struct ampcl_tensor rdy = ampcl_net_batch_view(&R->dy, n);
				st = ampcl_relu_backward_scaled(ctx, &t.dst, &rdy, &ry,
								amp_input_factor(net, R), t.beta);
			} else {
				st = ampcl_add_backward(ctx, &t.dst, &dy, t.beta);
			}
			if (!st)
				st = grad_done(net, L, k, n, &t, 0);
		}
		return st;
	case AMPCL_LAYER_CONCAT: {
		const struct ampcl_layer *B = &net->layers[L->in[1]];
		st = ampcl_concat_backward(ctx, &t.dst, &dy, n, A->c, L->c, 0, L->h * L->w, t.beta);
		if (!st)
			st = grad_done(net, L, 0, n, &t, 0);
		if (!st) {
			t = grad_target(net, L, 1, n);
			st = ampcl_concat_backward(ctx, &t.dst, &dy, n, B->c, L->c, A->c,
						   L->h * L->w, t.beta);
			if (!st)
				st = grad_done(net, L, 1, n, &t, 0);
		}
		return st;
	}
	case AMPCL_LAYER_SLICE:
		st = ampcl_slice_backward(ctx, &t.dst, &dy, n, L->c, A->c, L->slice_start,
					  L->h * L->w, t.beta);
		break;
	case AMPCL_LAYER_INPUT:
		return AMPCL_OK;
	}
	/* conv and linear skip the input gradient of the network's input; the rest always write it
	 */
	int wrote_dx = (L->type == AMPCL_LAYER_CONV || L->type == AMPCL_LAYER_CONV_GENERAL ||
			L->type == AMPCL_LAYER_LINEAR)
			   ? want_dx
			   : 1;
	if (!st && wrote_dx)
		st = grad_done(net, L, 0, n, &t, scaled);
	/* --amp-target params: this layer's own parameter gradients, written only by it */
	if (!st && L->amp_selected && (net->amp_target & AMPCL_AMP_PARAMS)) {
		int ids[4] = {L->weight, L->bias_t, L->gamma, L->beta_t};
		for (int k = 0; k < 4 && !st; k++)
			if (ids[k] >= 0)
				st = ampcl_amplify(ctx, grad(net, ids[k]), net->amp_factor);
	}
	return st;
}

/* The sum of squares of layer i's output gradient, complete now (its backward comes next), into
 * norms[i]. */
static ampcl_status sum_squares(struct ampcl_net *net, int i, int n)
{
	struct ampcl_tensor dy = ampcl_net_batch_view(&net->layers[i].dy, n);
	struct ampcl_tensor out = net->norms;
	out.shape[0] = 1;
	out.offset += (size_t)i * sizeof(float);
	return ampcl_sumsq(net->ctx, &out, &dy);
}

static ampcl_status backward(struct ampcl_net *net, int n)
{
	for (int i = 0; i < net->nlayers; i++)
		net->layers[i].dy_written = 0;
	net->layers[net->nlayers - 1].dy_written = 1; /* the loss wrote the logits' gradient */
	int record = net->rms_requested;
	net->rms_requested = 0;
	net->rms_batch = 0;
	for (int i = net->nlayers - 1; i >= 1; i--) {
		ampcl_status st = record ? sum_squares(net, i, n) : AMPCL_OK;
		/* recording reads each layer's own output gradient: every layer writes it then */
		if (!st)
			st = backward_layer(net, &net->layers[i], n,
					    !record && !net->ctx->profile.no_fuse);
		if (!st && net->backward_queued)
			net->backward_queued(net->backward_queued_user, i);
		if (st)
			return ampcl_error_wrap(st,
						"backward of layer '%s': ", net->layers[i].name);
	}
	net->rms_batch = record ? n : 0;
	return AMPCL_OK;
}

static ampcl_status upload(struct ampcl_net *net, const float *x, const int *labels, int n)
{
	if (!net->finalized)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "finalize the net before a step");
	if (n < 1 || n > net->max_batch)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "a batch of %d images: the net was finalized for 1..%d", n,
				       net->max_batch);
	int classes = net->layers[net->nlayers - 1].c;
	for (int i = 0; i < n; i++)
		if (labels[i] < 0 || labels[i] >= classes)
			return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
					       "label %d of image %d is outside 0..%d", labels[i],
					       i, classes - 1);
	/* not waited for: the step's one blocking read, of the loss, comes after them in the
	 * queue, and a step that fails on the way finishes the queue (see finish_on_error) */
	struct ampcl_tensor in = ampcl_net_batch_view(&net->layers[0].y, n);
	ampcl_status st = ampcl_tensor_write_async(net->ctx, &in, x);
	if (st)
		return st;
	cl_int err = clEnqueueWriteBuffer(net->ctx->queue, net->labels, CL_FALSE, 0,
					  (size_t)n * sizeof(cl_int), labels, 0, NULL, NULL);
	return err ? ampcl_error_set(err, "uploading labels: %s", ampcl_cl_error_name(err)) : 0;
}

/* A step that fails after its uploads were queued waits for the queue before returning, so the
 * caller's images and labels are never read after the call. */
static ampcl_status finish_on_error(struct ampcl_net *net, ampcl_status st)
{
	if (st)
		clFinish(net->ctx->queue);
	return st;
}

/* Enqueues the loss: the logits' gradient into the last layer's dy and {loss, correct}. */
static ampcl_status softmax_loss(struct ampcl_net *net, int n)
{
	struct ampcl_layer *last = &net->layers[net->nlayers - 1];
	struct ampcl_tensor logits = ampcl_net_batch_view(&last->y, n);
	struct ampcl_tensor dlogits = ampcl_net_batch_view(&last->dy, n);
	return ampcl_softmax_ce(net->ctx, &dlogits, &net->stats, &logits, net->labels, 0, n,
				last->c);
}

/* The one read-back of a step, after everything else is enqueued. */
static ampcl_status read_stats(struct ampcl_net *net, int n, struct ampcl_step_result *res)
{
	float stats[2];
	ampcl_status st = ampcl_tensor_read(net->ctx, &net->stats, stats);
	if (st)
		return st;
	res->loss = stats[0];
	res->correct = (int)stats[1];
	res->count = n;
	return AMPCL_OK;
}

/* Enqueues the upload, zeroed gradients, forward, loss and backward of a batch. */
static ampcl_status enqueue_forward_backward(struct ampcl_net *net, const float *x,
					     const int *labels, int n)
{
	ampcl_status st;
	if ((st = upload(net, x, labels, n)) ||
	    (st = ampcl_arena_fill(net->ctx, net->grads, 0.0f)) ||
	    (st = ampcl_net_forward(net, n, 1)) || (st = softmax_loss(net, n)) ||
	    (st = ampcl_net_backward(net, n)))
		return st;
	net->last_batch = n;
	net->drop_step++; /* the next step draws new masks */
	return AMPCL_OK;
}

/* Enqueues the SGD update of every parameter from the gradient arena: one launch. */
static ampcl_status enqueue_update(struct ampcl_net *net, float lr)
{
	struct ampcl_tensor p = ampcl_net_arena_view(net->params);   /* every parameter */
	struct ampcl_tensor g = ampcl_net_arena_view(net->grads);    /* same layout */
	struct ampcl_tensor m = ampcl_net_arena_view(net->momentum); /* same layout */
	return ampcl_sgd_step(net->ctx, &p, net->sgd.momentum > 0 ? &m : NULL, &g, lr,
			      net->sgd.momentum, net->sgd.weight_decay, net->sgd.nesterov);
}

ampcl_status ampcl_net_forward_backward(ampcl_net_t *net, const float *x, const int *labels, int n,
					struct ampcl_step_result *res)
{
	if (net->any_output)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "this net ends in no logits: it runs forward passes alone");
	ampcl_status st = enqueue_forward_backward(net, x, labels, n);
	return finish_on_error(net, st ? st : read_stats(net, n, res));
}

ampcl_status ampcl_net_update(ampcl_net_t *net, float lr)
{
	if (!net->finalized || net->last_batch < 1)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "an update needs gradients: call ampcl_net_forward_backward "
				       "first");
	return enqueue_update(net, lr);
}

/* The composition of the two, with the step's one wait at its end. */
ampcl_status ampcl_net_train_step(ampcl_net_t *net, const float *x, const int *labels, int n,
				  float lr, struct ampcl_step_result *res)
{
	ampcl_status st;
	if ((st = enqueue_forward_backward(net, x, labels, n)) || (st = enqueue_update(net, lr)))
		return finish_on_error(net, st);
	return finish_on_error(net, read_stats(net, n, res));
}

static ampcl_status check_grad(const ampcl_net_t *net, int i)
{
	if (!net->finalized || i < 0 || i >= net->ntensors || !net->tensors[i].trainable)
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "gradient of tensor %d: not a parameter of the finalized net "
		    "(0..%d, trainable ones)",
		    i, net->ntensors - 1);
	return AMPCL_OK;
}

ampcl_status ampcl_net_grad_read(ampcl_net_t *net, int i, float *dst)
{
	ampcl_status st = check_grad(net, i);
	return st ? st : ampcl_tensor_read(net->ctx, &net->tensors[i].grad, dst);
}

ampcl_status ampcl_net_grad_write(ampcl_net_t *net, int i, const float *src)
{
	ampcl_status st = check_grad(net, i);
	return st ? st : ampcl_tensor_write(net->ctx, &net->tensors[i].grad, src);
}

ampcl_status ampcl_net_gradients_cl(ampcl_net_t *net, cl_mem *mem, size_t *offset, size_t *bytes)
{
	if (!net->finalized)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "finalize the net first");
	struct ampcl_tensor g = ampcl_net_arena_view(net->grads);
	*mem = ampcl_tensor_mem(&g);
	*offset = g.offset;
	*bytes = net->grads->size;
	return AMPCL_OK;
}

void ampcl_net_request_grad_rms(struct ampcl_net *net)
{
	net->rms_requested = 1;
}

ampcl_status ampcl_net_grad_rms(struct ampcl_net *net, double *rms)
{
	if (net->rms_batch < 1)
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "gradient statistics: request them (ampcl_net_request_grad_rms) "
		    "before a training step");
	float *sums = ampcl_xmalloc((size_t)net->nlayers * sizeof(float));
	ampcl_status st = ampcl_tensor_read(net->ctx, &net->norms, sums);
	for (int i = 0; i < net->nlayers && !st; i++) {
		size_t count = i ? ampcl_tensor_count(&net->layers[i].dy) / (size_t)net->max_batch *
				       (size_t)net->rms_batch
				 : 1;
		rms[i] = i ? sqrt((double)sums[i] / (double)count) : 0.0;
	}
	free(sums);
	return st;
}

ampcl_status ampcl_net_eval_step(ampcl_net_t *net, const float *x, const int *labels, int n,
				 struct ampcl_step_result *res)
{
	if (net->any_output)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "this net ends in no logits: it runs forward passes alone");
	ampcl_status st;
	if ((st = upload(net, x, labels, n)) || (st = ampcl_net_forward(net, n, 0)) ||
	    (st = softmax_loss(net, n)))
		return finish_on_error(net, st);
	return finish_on_error(net, read_stats(net, n, res));
}

ampcl_status ampcl_net_logits(ampcl_net_t *net, int n, float *logits)
{
	if (!net->finalized || n < 1 || n > net->last_forward)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "logits of %d images: the last forward pass had %d", n,
				       net->finalized ? net->last_forward : 0);
	struct ampcl_tensor y = ampcl_net_batch_view(&net->layers[net->nlayers - 1].y, n);
	return ampcl_tensor_read(net->ctx, &y, logits);
}

ampcl_status ampcl_net_predict(ampcl_net_t *net, const float *x, int n, float *logits)
{
	if (!net->finalized)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "finalize the net before predicting");
	if (n < 1 || n > net->max_batch)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "a batch of %d images: the net was finalized for 1..%d", n,
				       net->max_batch);
	struct ampcl_tensor in = ampcl_net_batch_view(&net->layers[0].y, n);
	ampcl_status st;
	if ((st = ampcl_tensor_write(net->ctx, &in, x)) || (st = ampcl_net_forward(net, n, 0)))
		return st;
	return ampcl_net_logits(net, n, logits);
}

ampcl_status ampcl_net_tensor_cl(ampcl_net_t *net, int i, int gradient, cl_mem *mem, size_t *offset)
{
	if (i < 0 || i >= net->ntensors || !net->finalized)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "tensor %d of %d (finalize the net first)", i,
				       net->ntensors);
	const struct ampcl_net_tensor *t = &net->tensors[i];
	if (gradient && !t->trainable)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "tensor '%s' is a statistic and has no gradient", t->name);
	const struct ampcl_tensor *v = gradient ? &t->grad : &t->value;
	*mem = ampcl_tensor_mem(v);
	*offset = ampcl_tensor_off(v);
	return AMPCL_OK;
}

ampcl_status ampcl_net_all_finite(struct ampcl_net *net, int *finite)
{
	*finite = 0;
	if (!net->finalized)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "finalize the net first");
	/* sums of squares of every parameter and BN statistic into norms[0] (unused by the
	 * gradient statistics) and norms[1]: NaN or inf in either means a value is not finite
	 * (or beyond about 1e19, which a trained model never holds) */
	struct ampcl_arena *arenas[2] = {net->params, net->running};
	float sums[2] = {0, 0};
	ampcl_status st = AMPCL_OK;
	for (int i = 0; i < 2 && !st; i++) {
		if (!arenas[i]->size)
			continue;
		struct ampcl_tensor all = ampcl_net_arena_view(arenas[i]);
		struct ampcl_tensor out = net->norms;
		out.shape[0] = 1;
		out.offset += (size_t)i * sizeof(float);
		if (!(st = ampcl_sumsq(net->ctx, &out, &all)))
			st = ampcl_tensor_read(net->ctx, &out, &sums[i]);
	}
	*finite = !st && isfinite(sums[0]) && isfinite(sums[1]);
	return st;
}
