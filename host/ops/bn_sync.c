/* bn_sync.c: synchronised batch norm's host steps: the forward's chunk moments folded by Chan
 * and combined over processes, the backward's sums added over processes, in double. */
#include "bn_sync.h"
#include "alloc.h"
#include "error.h"

#include <stdlib.h>

/* the key under which a context holds its hook */
static const char hook_key;

void ampcl_bn_sync_set(struct ampcl_context *ctx, struct ampcl_bn_sync *hook)
{
	ampcl_context_attach(ctx, &hook_key, hook, NULL);
}

const struct ampcl_bn_sync *ampcl_bn_sync_get(const struct ampcl_context *ctx)
{
	return ampcl_context_attached(ctx, &hook_key);
}

static ampcl_status transfer(struct ampcl_context *ctx, cl_mem mem, size_t float_off, size_t n,
			     float *host, int write)
{
	cl_int err = write
			 ? clEnqueueWriteBuffer(ctx->queue, mem, CL_TRUE, float_off * sizeof(float),
						n * sizeof(float), host, 0, NULL, NULL)
			 : clEnqueueReadBuffer(ctx->queue, mem, CL_TRUE, float_off * sizeof(float),
					       n * sizeof(float), host, 0, NULL, NULL);
	if (err != CL_SUCCESS)
		return ampcl_error_set(err, "synchronised batch norm: %s of %zu floats failed (%d)",
				       write ? "writing" : "reading", n, (int)err);
	return AMPCL_OK;
}

ampcl_status ampcl_bn_sync_moments(struct ampcl_context *ctx, const struct ampcl_bn_shape *s,
				   unsigned ipc, unsigned nparts, cl_mem part, size_t base,
				   unsigned *images)
{
	size_t c = (size_t)s->c;
	float *f = ampcl_xmalloc(c * nparts * 2 * sizeof(float));
	double *m = ampcl_xmalloc(c * 3 * sizeof(double));
	ampcl_status st = transfer(ctx, part, base, c * nparts * 2, f, 0);
	for (size_t ch = 0; ch < c && !st; ch++) {
		/* Chan's pairwise fold in chunk order, as stage 2 does, in double */
		double n = 0, mean = 0, m2 = 0;
		for (unsigned p = 0; p < nparts; p++) {
			unsigned imgs =
			    (unsigned)s->n - p * ipc < ipc ? (unsigned)s->n - p * ipc : ipc;
			double nb = (double)imgs * s->hw, mb = f[(ch * nparts + p) * 2],
			       m2b = f[(ch * nparts + p) * 2 + 1];
			double tot = n + nb, d = mb - mean;
			if (tot > 0) {
				mean += d * nb / tot;
				m2 += m2b + d * d * n * nb / tot;
			}
			n = tot;
		}
		m[ch * 3] = n, m[ch * 3 + 1] = mean, m[ch * 3 + 2] = m2;
	}
	const struct ampcl_bn_sync *hook = ampcl_bn_sync_get(ctx);
	if (!st)
		st = hook->moments(hook->user, m, s->c);
	for (size_t ch = 0; ch < c && !st; ch++) {
		f[ch * 2] = (float)m[ch * 3 + 1];
		f[ch * 2 + 1] = (float)m[ch * 3 + 2];
	}
	if (!st)
		st = transfer(ctx, part, base, c * 2, f, 1);
	*images = s->hw ? (unsigned)(m[0] / s->hw + 0.5) : 0;
	free(f), free(m);
	return st;
}

ampcl_status ampcl_bn_sync_coef(struct ampcl_context *ctx, const struct ampcl_bn_shape *s,
				unsigned nparts, cl_mem part, size_t base, size_t coef_off,
				const struct ampcl_tensor *save_invstd)
{
	size_t c = (size_t)s->c;
	float *f = ampcl_xmalloc(c * nparts * 2 * sizeof(float));
	float *invstd = ampcl_xmalloc(c * sizeof(float));
	double *v = ampcl_xmalloc(c * 3 * sizeof(double));
	ampcl_status st = transfer(ctx, part, base, c * nparts * 2, f, 0);
	if (!st)
		st = ampcl_tensor_read(ctx, save_invstd, invstd);
	for (size_t ch = 0; ch < c && !st; ch++) {
		double dy = 0, dyxc = 0;
		for (unsigned p = 0; p < nparts; p++)
			dy += f[(ch * nparts + p) * 2], dyxc += f[(ch * nparts + p) * 2 + 1];
		v[ch * 3] = (double)s->n * s->hw, v[ch * 3 + 1] = dy, v[ch * 3 + 2] = dyxc;
	}
	const struct ampcl_bn_sync *hook = ampcl_bn_sync_get(ctx);
	if (!st)
		st = hook->sums(hook->user, v, s->c);
	/* the terms of bn_backward_sums, over every process's batch */
	for (size_t ch = 0; ch < c && !st; ch++) {
		double cnt = v[ch * 3], is = invstd[ch];
		f[ch * 2] = (float)(v[ch * 3 + 1] / cnt);
		f[ch * 2 + 1] = (float)(v[ch * 3 + 2] * is * is / cnt);
	}
	if (!st)
		st = transfer(ctx, part, coef_off, c * 2, f, 1);
	free(f), free(invstd), free(v);
	return st;
}
