/* bn.h: batch normalisation 2-D (PyTorch BatchNorm2d) on the device: the training forward with
 * the running-statistics update, the evaluation forward and the training backward. */
#ifndef AMPCL_BN_H
#define AMPCL_BN_H

#include "arena.h"
#include "bn_shape.h"
#include "context.h"

/* Training mode: normalises with the batch mean and the biased variance, eps inside the root;
 * run_mean/run_var = (1 - momentum) * run + momentum * stat, with the unbiased variance
 * (cnt / (cnt - 1) times the biased, cnt = n * hw). cnt == 1 is accepted, unlike PyTorch's
 * error: the biased variance 0 is used there (y = beta_p, run_var decays toward 0), as
 * tests/ref does. Saves the batch mean and invstd = 1 / sqrt(var + eps) for backward.
 * y, x: (n, c, hw)  save_mean, save_invstd: (c) written  run_mean, run_var: (c) updated
 * gamma, beta_p: (c). y may alias x. */
ampcl_status ampcl_bn_forward_train(struct ampcl_context *ctx, const struct ampcl_bn_shape *s,
				    const struct ampcl_tensor *y,
				    const struct ampcl_tensor *save_mean,
				    const struct ampcl_tensor *save_invstd,
				    const struct ampcl_tensor *run_mean,
				    const struct ampcl_tensor *run_var,
				    const struct ampcl_tensor *x, const struct ampcl_tensor *gamma,
				    const struct ampcl_tensor *beta_p, float momentum, float eps);

/* Evaluation mode: y = gamma * (x - run_mean) / sqrt(run_var + eps) + beta_p.
 * y, x: (n, c, hw)  gamma, beta_p, run_mean, run_var: (c). y may alias x. */
ampcl_status ampcl_bn_forward_eval(struct ampcl_context *ctx, const struct ampcl_bn_shape *s,
				   const struct ampcl_tensor *y, const struct ampcl_tensor *x,
				   const struct ampcl_tensor *gamma,
				   const struct ampcl_tensor *beta_p,
				   const struct ampcl_tensor *run_mean,
				   const struct ampcl_tensor *run_var, float eps);

/* Training-mode backward from the statistics the training forward saved:
 * dx = beta * dx + gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)) (beta 0 overwrites
 * without reading dx), dgamma += sum(dy * xhat), dbeta += sum(dy), xhat = (x - mean) * invstd.
 * dx, dy, x: (n, c, hw)  dgamma, dbeta: (c) +=  save_mean, save_invstd, gamma: (c).
 * dx may alias dy. */
ampcl_status ampcl_bn_backward(struct ampcl_context *ctx, const struct ampcl_bn_shape *s,
			       const struct ampcl_tensor *dx, const struct ampcl_tensor *dgamma,
			       const struct ampcl_tensor *dbeta, const struct ampcl_tensor *dy,
			       const struct ampcl_tensor *x, const struct ampcl_tensor *save_mean,
			       const struct ampcl_tensor *save_invstd,
			       const struct ampcl_tensor *gamma, float beta);

/* What a batch norm's own kernels do besides it, sparing whole passes over memory (the net
 * fuses a ReLU that follows a BN in place, and folds amplification in):
 *   relu:     the forward writes max(y, 0) (NaN passing through); the backward's dy is then the
 *             ReLU's output gradient, masked where the forward's pre-activation was not > 0,
 *             that pre-activation recomputed from x, the saved statistics, gamma and beta_p;
 *   dy_scale: the backward multiplies dy by it first (the fused ReLU's amplification);
 *   dx_scale: the backward multiplies dx's new part by it (the BN's own amplification).
 * The results are the bits of the unfused passes: BN, ReLU, then ampcl_amplify. */
struct ampcl_bn_fuse {
	int relu;
	float dy_scale, dx_scale;
};
/* Nothing fused: no ReLU, both scales 1. */
#define AMPCL_BN_FUSE_NONE ((struct ampcl_bn_fuse){0, 1.0f, 1.0f})

/* ampcl_bn_forward_train with fuse->relu */
ampcl_status ampcl_bn_forward_train_fused(
    struct ampcl_context *ctx, const struct ampcl_bn_shape *s, const struct ampcl_tensor *y,
    const struct ampcl_tensor *save_mean, const struct ampcl_tensor *save_invstd,
    const struct ampcl_tensor *run_mean, const struct ampcl_tensor *run_var,
    const struct ampcl_tensor *x, const struct ampcl_tensor *gamma,
    const struct ampcl_tensor *beta_p, float momentum, float eps, const struct ampcl_bn_fuse *fuse);

/* ampcl_bn_forward_eval with fuse->relu */
ampcl_status ampcl_bn_forward_eval_fused(struct ampcl_context *ctx, const struct ampcl_bn_shape *s,
					 const struct ampcl_tensor *y, const struct ampcl_tensor *x,
					 const struct ampcl_tensor *gamma,
					 const struct ampcl_tensor *beta_p,
					 const struct ampcl_tensor *run_mean,
					 const struct ampcl_tensor *run_var, float eps,
					 const struct ampcl_bn_fuse *fuse);

/* ampcl_bn_backward with what `fuse` says; beta_p (c) is read only for fuse->relu. */
ampcl_status ampcl_bn_backward_fused(
    struct ampcl_context *ctx, const struct ampcl_bn_shape *s, const struct ampcl_tensor *dx,
    const struct ampcl_tensor *dgamma, const struct ampcl_tensor *dbeta,
    const struct ampcl_tensor *dy, const struct ampcl_tensor *x,
    const struct ampcl_tensor *save_mean, const struct ampcl_tensor *save_invstd,
    const struct ampcl_tensor *gamma, const struct ampcl_tensor *beta_p, float beta,
    const struct ampcl_bn_fuse *fuse);

/* Floats of op workspace (workspace.h) a forward or backward call of shape s uses, for
 * planning it; builds the reduction kernels to learn their group size. */
ampcl_status ampcl_bn_workspace_floats(struct ampcl_context *ctx, const struct ampcl_bn_shape *s,
				       size_t *floats);

#endif
