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

/* Floats of op workspace (workspace.h) a forward or backward call of shape s uses, for
 * planning it; builds the reduction kernels to learn their group size. */
ampcl_status ampcl_bn_workspace_floats(struct ampcl_context *ctx, const struct ampcl_bn_shape *s,
				       size_t *floats);

#endif
