/* ref.h: plain-C double-precision reference of every ampcl op (forward and backward).
 * It is the trusted baseline the OpenCL kernels are checked against; semantics follow PyTorch. */
#ifndef AMPCL_REF_H
#define AMPCL_REF_H

#include <stddef.h>

/*
 * Conventions shared by every function below:
 *  - tensors are NCHW, contiguous, double;
 *  - `beta` on an input gradient means dx = beta*dx + computed; beta is 0 or 1, and beta == 0
 *    overwrites (dx may hold garbage, even NaN, on entry);
 *  - parameter gradients (dw, db, dgamma, dbeta) always accumulate with +=, because a training
 *    step sums them over micro-batches before the optimizer runs;
 *  - no op allocates, so the reference can run inside tight finite-difference loops.
 */

/* ---- convolution 2-D, zero padding, same stride and pad on both axes ---- */

/* Output extent along one axis: (in + 2*pad - kernel) / stride + 1, floored like PyTorch. */
int ref_conv2d_out_size(int in, int kernel, int stride, int pad);

/* y: (n, k, p, q), p = ref_conv2d_out_size(h, r, ...), q = ref_conv2d_out_size(wd, s, ...)
 * x: (n, c, h, wd)  w: (k, c, r, s)  bias: (k) or NULL */
void ref_conv2d_forward(double *y, const double *x, const double *w, const double *bias, int n,
			int c, int h, int wd, int k, int r, int s, int stride, int pad);

/* dx: (n, c, h, wd) or NULL  dw: (k, c, r, s) +=  db: (k) += or NULL
 * dy: (n, k, p, q)  x: (n, c, h, wd)  w: (k, c, r, s) */
void ref_conv2d_backward(double *dx, double *dw, double *db, const double *dy, const double *x,
			 const double *w, int n, int c, int h, int wd, int k, int r, int s,
			 int stride, int pad, double beta);

/* ---- batch norm 2-D ---- */

/* Training mode: normalise with the batch mean and biased variance over (n, hw) per channel;
 * update running stats with momentum m: run_mean = (1-m)*run_mean + m*mean,
 * run_var = (1-m)*run_var + m*unbiased_var (unbiased = biased*cnt/(cnt-1), cnt = n*hw; biased
 * when cnt == 1). save_mean and save_invstd = 1/sqrt(var_biased + eps) are what backward needs.
 * y, x: (n, c, hw)  save_mean, save_invstd, run_mean, run_var, gamma, beta_p: (c) */
void ref_bn_forward_train(double *y, double *save_mean, double *save_invstd, double *run_mean,
			  double *run_var, const double *x, const double *gamma,
			  const double *beta_p, int n, int c, int hw, double momentum, double eps);

/* Eval mode: y = gamma*(x - run_mean)/sqrt(run_var + eps) + beta_p.
 * y, x: (n, c, hw)  gamma, beta_p, run_mean, run_var: (c) */
void ref_bn_forward_eval(double *y, const double *x, const double *gamma, const double *beta_p,
			 const double *run_mean, const double *run_var, int n, int c, int hw,
			 double eps);

/* Training-mode backward (the batch statistics depend on x, so dx has the two mean terms).
 * dx, dy, x: (n, c, hw)  dgamma, dbeta: (c) +=  save_mean, save_invstd, gamma: (c) */
void ref_bn_backward(double *dx, double *dgamma, double *dbeta, const double *dy, const double *x,
		     const double *save_mean, const double *save_invstd, const double *gamma, int n,
		     int c, int hw, double beta);

/* ---- ReLU ---- */

/* y, x: (count) */
void ref_relu_forward(double *y, const double *x, size_t count);
/* dx = dy where y > 0, else 0; taking y (not x) lets the forward run in place.
 * dx, dy, y: (count) */
void ref_relu_backward(double *dx, const double *dy, const double *y, size_t count, double beta);

/* ---- the general convolution (groups, dilation, padding per side) ---- */

/* The shape as the ops' struct ampcl_gconv_shape: x (n, c, h, w), w (k, c/groups, kh, kw),
 * y (n, k, p, q) with p, q from ref_gconv_out. */
struct ref_gconv {
	int n, c, h, w, k, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, groups;
};
void ref_gconv_out(const struct ref_gconv *s, int *p, int *q);
/* y = conv(x, w) + b (b may be NULL) */
void ref_gconv_forward(const struct ref_gconv *s, double *y, const double *x, const double *w,
		       const double *b);
/* dx = beta*dx + input gradient (dx may be NULL); dw, db (may be NULL) overwritten */
void ref_gconv_backward(const struct ref_gconv *s, double *dx, double *dw, double *db,
			const double *dy, const double *x, const double *w, double beta);

/* ---- pooling in its general form (any window, strides, pads, ceil_mode) ---- */

/* As the ops' struct ampcl_gpool_shape; p, q: the output size the ops compute. */
struct ref_gpool {
	int n, c, h, w, kh, kw, sh, sw, pt, pl, pb, pr, p, q, count_include_pad;
};
/* max: the first largest (NaN wins), as PyTorch's CPU scan; average: over the window's cells in
 * the image, divided by those or (count_include_pad) by the window within the padded image */
void ref_gpool_forward(const struct ref_gpool *s, int average, double *y, const double *x);
void ref_gpool_backward(const struct ref_gpool *s, int average, double *dx, const double *dy,
			const double *x, double beta);

/* ---- dropout ---- */

/* Whether dropout of ratio p keeps element i of a step: the kernels' hash of (seed, step, salt,
 * i) against p * 2^32. */
int ref_dropout_keep(unsigned long long seed, unsigned step, unsigned salt, unsigned i, double p);
/* y = x / (1 - p) where kept, else 0; dx = beta*dx + dy / (1 - p) where kept. (count) */
void ref_dropout_forward(double *y, const double *x, size_t count, unsigned long long seed,
			 unsigned step, unsigned salt, double p);
void ref_dropout_backward(double *dx, const double *dy, size_t count, unsigned long long seed,
			  unsigned step, unsigned salt, double p, double beta);

/* ---- channel concatenation ---- */

/* y (n, ca + cb, hw) = [a (n, ca, hw), b (n, cb, hw)] */
void ref_concat_forward(double *y, const double *a, const double *b, int n, int ca, int cb,
			int hw);
/* dx (n, cs, hw) = beta*dx + channels [off, off + cs) of dy (n, cd, hw) */
void ref_concat_backward(double *dx, const double *dy, int n, int cs, int cd, int off, int hw,
			 double beta);

/* ---- channel slice ---- */

/* y (n, cs, hw) = channels [off, off + cs) of x (n, cd, hw) */
void ref_slice_forward(double *y, const double *x, int n, int cs, int cd, int off, int hw);
/* dx (n, cd, hw) = beta*dx + dy (n, cs, hw) at channels [off, off + cs), 0 elsewhere */
void ref_slice_backward(double *dx, const double *dy, int n, int cs, int cd, int off, int hw,
			double beta);

/* ---- Clip (ReLU6 with lo 0, hi 6) ---- */

/* y = min(max(x, lo), hi), NaN passing through. y, x: (count) */
void ref_clip_forward(double *y, const double *x, size_t count, double lo, double hi);
/* dx = dy where lo < y < hi, else 0. dx, dy, y: (count) */
void ref_clip_backward(double *dx, const double *dy, const double *y, size_t count, double lo,
		       double hi, double beta);

/* ---- max pool, kernel 2, stride 2, no padding, floor ---- */

/* y: (n, c, h/2, wd/2)  x: (n, c, h, wd). The window scan is PyTorch's CPU one: a later element
 * wins only if strictly greater or NaN, so ties go to the first maximum in row-major order. */
void ref_maxpool2_forward(double *y, const double *x, int n, int c, int h, int wd);
/* Routes each dy to the argmax chosen as in forward, adding to dx after the beta scaling.
 * dx, x: (n, c, h, wd)  dy: (n, c, h/2, wd/2) */
void ref_maxpool2_backward(double *dx, const double *dy, const double *x, int n, int c, int h,
			   int wd, double beta);

/* ---- global average pool ---- */

/* y: (n, c)  x: (n, c, hw) */
void ref_avgpool_forward(double *y, const double *x, int n, int c, int hw);
/* dx: (n, c, hw)  dy: (n, c) */
void ref_avgpool_backward(double *dx, const double *dy, int n, int c, int hw, double beta);

/* ---- linear, y = x * w^T + b ---- */

/* y: (n, out)  x: (n, in)  w: (out, in)  b: (out) or NULL */
void ref_linear_forward(double *y, const double *x, const double *w, const double *b, int n, int in,
			int out);
/* dx: (n, in) or NULL  dw: (out, in) +=  db: (out) += or NULL
 * dy: (n, out)  x: (n, in)  w: (out, in) */
void ref_linear_backward(double *dx, double *dw, double *db, const double *dy, const double *x,
			 const double *w, int n, int in, int out, double beta);

/* ---- softmax cross-entropy, mean over the batch ---- */

/* Returns the mean loss. dlogits = (softmax - onehot)/n, overwritten (it starts the backward
 * pass, so there is nothing to accumulate into). *correct counts rows whose argmax (first
 * maximum) equals the label. Labels must lie in [0, k).
 * dlogits: (n, k) or NULL  correct: or NULL  logits: (n, k)  labels: (n) */
double ref_softmax_ce(double *dlogits, int *correct, const double *logits, const int *labels, int n,
		      int k);

/* ---- elementwise ---- */

/* y = a + b (the residual join); y, a, b: (count), y may alias a or b */
void ref_add_forward(double *y, const double *a, const double *b, size_t count);
/* x *= factor (loss amplification and its undoing); x: (count) */
void ref_scale_inplace(double *x, size_t count, double factor);

/* ---- optimizer ---- */

/* torch.optim.SGD with dampening 0: g = grad + wd*param; if momentum != 0:
 * buf = momentum*buf + g (buf starting at zero equals PyTorch's clone on the first step),
 * g = nesterov ? g + momentum*buf : buf; param -= lr*g.
 * param, grad: (count)  momentum_buf: (count), may be NULL when momentum == 0 */
void ref_sgd_step(double *param, double *momentum_buf, const double *grad, size_t count, double lr,
		  double momentum, double weight_decay, int nesterov);

/* ---- GEMM ---- */

/* C = alpha*op(A)*op(B) + beta*C, row-major; op(X) = X^T when trans_x != 0. op(A): (m, k),
 * op(B): (k, n), C: (m, n). lda/ldb/ldc are row strides of the matrices as stored, so A is
 * stored (m, k) or (k, m). beta == 0 overwrites C (it may hold NaN), as in BLAS. */
void ref_gemm(int trans_a, int trans_b, int m, int n, int k, double alpha, const double *a, int lda,
	      const double *b, int ldb, double beta, double *c, int ldc);

/* ---- test helpers ---- */

/* Deterministic uniform [lo, hi) fill from a splitmix64 stream; *state advances, any seed works. */
void ref_fill_uniform(double *x, size_t count, unsigned long long *state, double lo, double hi);
/* max |a[i] - b[i]|; NaN anywhere gives NaN so a comparison against a tolerance fails. */
double ref_max_abs_diff(const double *a, const double *b, size_t n);
/* max |a[i] - b[i]| / max(|b[i]|, floor): b is the expected side; floor keeps zeros finite. */
double ref_max_rel_diff(const double *a, const double *b, size_t n, double floor);

#endif /* AMPCL_REF_H */
