/* net.h: the network's internals: layers in network order, their tensors in one arena per role
 * (parameters, gradients, optimizer state, BN running statistics, activations, scratch). */
#ifndef AMPCL_NET_H
#define AMPCL_NET_H

#include "arena.h"
#include "conv_general.h"
#include "pool_general.h"
#include "context.h"

#define AMPCL_NET_MAX_LAYERS 512

/* A named tensor of the net: a parameter (with its gradient and momentum at the same offsets in
 * their arenas) or a BN running statistic. */
struct ampcl_net_tensor {
	char name[128];
	int layer;
	int trainable;
	struct ampcl_tensor value; /* params or running-stats arena */
	struct ampcl_tensor grad;  /* grads arena (trainable only) */
};

struct ampcl_layer {
	enum ampcl_layer_type type;
	char name[96];
	int in[2], nin;
	int c, h, w;                   /* output, per image */
	int out_features;              /* linear */
	int w_in_out;                  /* linear: its weight is (in, out), ONNX MatMul's layout */
	int kernel, stride, pad, bias; /* conv */
	float lo, hi;                  /* clip */
	float ratio;                   /* dropout */
	int slice_start;               /* slice: its first channel of the input's */
	struct ampcl_gconv_shape gconv; /* conv_general: its kernel, strides, pads, groups */
	struct ampcl_gpool_shape gpool; /* pool_general: its window, strides, pads, modes */
	int average;                    /* pool_general: average (1) or max (0) */
	int consumers;                 /* layers that read this output */
	int inplace;                   /* relu writing over its input's buffer */
	/* fusion (net_step.c): a bn or add whose in-place ReLU comes right after it does that
	 * ReLU's work in its own kernels; fused_relu is then the ReLU's index in the bn or add,
	 * fused_into the bn's or add's in the ReLU, each 0 otherwise */
	int fused_relu, fused_into;
	int weight, bias_t, gamma, beta_t, run_mean, run_var; /* net tensor ids, -1 if none */
	struct ampcl_tensor y;                                /* output (max_batch, c, h, w) */
	struct ampcl_tensor dy;                     /* gradient of the output, same shape */
	struct ampcl_tensor save_mean, save_invstd; /* bn */
	/* where this layer's amplified contribution to an input gradient that another consumer
	 * wrote already is computed before it is added (a slot free during its backward) */
	struct ampcl_tensor amp_tmp;
	int dy_written; /* in the current backward pass */
	int amp_selected;
};

struct ampcl_net {
	struct ampcl_context *ctx;
	struct ampcl_layer *layers;
	int nlayers;
	struct ampcl_net_tensor *tensors;
	int ntensors;
	int max_batch;
	int finalized;
	int any_output; /* forward passes only: the last layer need not be logits */
	unsigned long long seed;   /* finalize's: dropout draws its masks from it */
	unsigned drop_step, drop_rank; /* the training step the masks are drawn for, and the rank */
	struct ampcl_arena *params, *grads, *momentum, *running, *acts, *scratch;
	struct ampcl_tensor conv_scratch; /* bounded im2col space shared by every convolution */
	struct ampcl_tensor stats;        /* {loss, correct} from the loss kernel */
	struct ampcl_tensor norms;        /* one float per layer: gradient statistics */
	struct ampcl_tensor workspace;    /* lent to the ops during passes (workspace.h) */
	int last_batch;                   /* images in the last training step */
	int last_forward;                 /* images in the last forward pass */
	int rms_requested;                /* record gradient statistics in the next backward */
	/* called once each layer's backward is queued, its parameter gradients then final in queue
	 * order (the data-parallel all-reduce starts on them while the rest of the pass runs) */
	void (*backward_queued)(void *user, int layer);
	void *backward_queued_user;
	int rms_batch;                    /* images of the backward that recorded them, or 0 */
	cl_mem labels;                    /* max_batch ints */
	struct ampcl_sgd_config sgd;
	float amp_factor;
	int amp_target;
};

/* A view of t with its first dimension set to n (a smaller last batch). */
struct ampcl_tensor ampcl_net_batch_view(const struct ampcl_tensor *t, int n);
/* Tensor i's momentum buffer: the same offset in the optimizer-state arena (params, grads and
 * momentum share one layout). */
struct ampcl_tensor ampcl_net_momentum_view(const struct ampcl_net *net, int i);
/* Views spanning a whole arena, for one-launch SGD and checkpoint reads. */
struct ampcl_tensor ampcl_net_arena_view(struct ampcl_arena *arena);

/* Plans every arena for batches of up to max_batch without allocating anything (the first
 * half of ampcl_net_finalize): a tensor or arena beyond the kernels' indexing is refused here.
 * On failure the net is left unplanned; ampcl_net_unfinalize undoes a successful plan. */
ampcl_status ampcl_net_plan(struct ampcl_net *net, int max_batch);
/* Lets the net end in a layer of any shape, for forward passes alone (ampcl_net_predict):
 * ONNX's operator tests run single operators so. The loss and training steps then refuse. */
void ampcl_net_allow_any_output(struct ampcl_net *net);
/* Dropout's masks for the next training step: those of step `step` (counted over the run) on rank
 * `rank`; each training step then moves on by one. The trainer sets it before every step, so a
 * resumed run draws the masks an uninterrupted one would. */
void ampcl_net_set_dropout_step(struct ampcl_net *net, unsigned step, unsigned rank);
/* Back to a built, unfinalized net: the arenas, labels and planned views are released. */
void ampcl_net_unfinalize(struct ampcl_net *net);

/* grad_slots.c: sets every layer's dy, and its amp_tmp where it may need one, to views of
 * shared slots in the activation arena. */
ampcl_status ampcl_net_plan_output_grads(struct ampcl_net *net);

/* net_step.c */
ampcl_status ampcl_net_forward(struct ampcl_net *net, int n, int train);
ampcl_status ampcl_net_backward(struct ampcl_net *net, int n);
/* *finite = 1 when every parameter and BN running statistic is finite (read back: it waits). */
ampcl_status ampcl_net_all_finite(struct ampcl_net *net, int *finite);
/* Asks the next backward pass to record the statistics below. Output gradients share memory
 * (grad_slots.c) and are gone after the pass, so they are summed while each is complete. */
void ampcl_net_request_grad_rms(struct ampcl_net *net);
/* Root-mean-square of the gradient w.r.t. each layer's output in the backward pass that recorded
 * them (rms[0], the input's, is 0): the statistics --amp-select auto ranks layers by. */
ampcl_status ampcl_net_grad_rms(struct ampcl_net *net, double *rms);

#endif
