/* bn.cl: batch normalisation 2-D as PyTorch's BatchNorm2d: the training forward (batch statistics,
 * running-stat update), the evaluation forward (running statistics) and the training backward. */

/* Each training pass is three launches (host/bn.c enqueues them in order on the in-order queue):
 *   1. *_partial: one work-group per (chunk, channel), a power of two <= AMPCL_REDUCE_WG
 *      work-items (the local arrays' size; the host picks the group size); a chunk is
 *      `ipc` whole batch items of one channel, so a channel spreads over nparts = ceil(n / ipc)
 *      groups and a GPU has work for all its cores even at c = 64. The group writes one partial
 *      result per chunk into a scratch buffer: part[(ch * nparts + p) * 2 + {0, 1}].
 *   2. a per-channel kernel, one work-item per channel, folds the nparts partials in index order.
 *   3. an element-wise kernel over (hw / BN_VEC, c, n) normalises (forward) or forms dx.
 * Every sum runs in a fixed order (per lane, then lanes, then a fixed tree, then partials in
 * index order) with no atomics: the results are bit-identical run after run on one device,
 * work-group size and layout. The loads are BN_VEC floats wide (vloadn needs only float
 * alignment), so PoCL's CPU code gets SIMD from the kernel itself rather than from its
 * work-group vectoriser, which gives up on the per-work-item loops; a plane whose hw is not a
 * multiple of BN_VEC has a scalar tail.
 *
 * Within a chunk, work-item `lid` walks vector units (BN_VEC floats of one plane) either as one
 * contiguous run (contig = 1: CPUs, where PoCL runs a group's few work-items one after another
 * on one core, each streaming one range) or at the group's stride (contig = 0: GPUs,
 * neighbouring work-items read neighbouring vectors). The layout is a kernel argument, not an
 * option, so one build serves.
 *
 * The reduction kernels never return before a barrier: PoCL 3.1 corrupts memory when a kernel
 * returns ahead of a barrier, even when its whole group returns together.
 *
 * A ReLU that follows the normalisation can run inside it (`relu` 1): the forward writes
 * max(bn(x), 0) and the backward takes the ReLU's output gradient, recomputing its mask from x
 * and the saved statistics (the forward's expression, evaluated alike, so the same bits), and
 * scales it by dy_scale (the ReLU's amplification); dx_scale scales the BN's own dx (its
 * amplification). Both scales are 1 when nothing is amplified. */

/* no a*b+c contraction into fma: the backward's recomputed pre-activation must round exactly as
 * the forward's did, so its ReLU mask is the forward's */
#pragma OPENCL FP_CONTRACT OFF

/* floats per load (common.cl's REDUCE_VEC): 16 fills an AVX-512 register and gives Welford's
 * serial chain 16 elements a step on CPUs; host/bn.c sizes the element-wise launches by the same
 * number */
#define BN_VEC REDUCE_VEC
#define bn_floatv reduce_floatv
#define bn_vload reduce_vload
#define bn_vstore reduce_vstore

/* Chan's combination of (na, ma, m2a) with (nb, mb, m2b):
 * m2 = m2a + m2b + d^2 * na * nb / (na + nb); an empty right side changes nothing, an empty left
 * side takes the right one. */
void bn_chan(uint *na, float *ma, float *m2a, uint nb, float mb, float m2b)
{
	if (!nb)
		return;
	uint nab = *na + nb;
	float fb = (float)nb / (float)nab;
	float d = mb - *ma;
	*ma += d * fb;
	*m2a += m2b + d * d * (float)*na * fb;
	*na = nab;
}

/* Training forward, stage 1: (mean, M2) of chunk p of channel ch by Welford, one accumulator per
 * vector lane (the lanes share a count, so one reciprocal serves BN_VEC elements) and a scalar
 * one for the planes' tails, then Chan across lanes and the group's tree. Welford keeps a large
 * mean (x = 100 + noise) from cancelling the variance away as sum(x^2) - n*mean^2 would.
 * part: (c, nparts, 2) written  x: (n, c, hw). Launch: global (nparts * WG, c), local (WG, 1). */
__kernel void bn_forward_partial(__global float *part, uint p_off, __global const float *x,
				 uint x_off, uint n, uint c, uint hw, uint ipc, uint nparts,
				 uint contig)
{
	__local float l_mean[AMPCL_REDUCE_WG], l_m2[AMPCL_REDUCE_WG];
	__local uint l_cnt[AMPCL_REDUCE_WG];
	const uint lid = get_local_id(0), wg = get_local_size(0);
	const uint p = get_group_id(0), ch = get_group_id(1);
	const bool live = p < nparts && ch < c;
	const uint img0 = p * ipc;
	const uint nimg = live ? min(ipc, n - img0) : 0;
	const uint plane = c * hw, hv = hw / BN_VEC, tail = hw - hv * BN_VEC;
	__global const float *xc = x + x_off + (live ? img0 * plane + ch * hw : 0);
	uint u, end, step;

	bn_floatv vmean = (bn_floatv)(0.0f), vm2 = (bn_floatv)(0.0f);
	uint vk = 0;
	reduce_span(lid, wg, nimg * hv, contig, &u, &end, &step);
	if (hv && u < end) {
		uint img = u / hv, j = u % hv;
		const uint si = step / hv, sj = step % hv;
		for (; u < end; u += step) {
			bn_floatv v = bn_vload(0, xc + img * plane + j * BN_VEC);
			vk++;
			float r = 1.0f / (float)vk;
			bn_floatv d = v - vmean;
			vmean += d * r;
			vm2 += d * (v - vmean);
			img += si;
			j += sj;
			if (j >= hv) {
				j -= hv;
				img++;
			}
		}
	}

	/* the planes' tails: at most BN_VEC - 1 floats after each plane's last whole vector */
	uint k = 0;
	float mean = 0.0f, m2 = 0.0f;
	reduce_span(lid, wg, nimg * tail, contig, &u, &end, &step);
	for (; u < end; u += step) {
		float v = xc[(u / tail) * plane + hv * BN_VEC + u % tail];
		k++;
		float d = v - mean;
		mean += d / (float)k;
		m2 += d * (v - mean);
	}

	/* lanes into the tail's accumulator, in lane order */
	float lm[BN_VEC], lm2[BN_VEC];
	bn_vstore(vmean, 0, lm);
	bn_vstore(vm2, 0, lm2);
	for (uint l = 0; l < BN_VEC; l++)
		bn_chan(&k, &mean, &m2, vk, lm[l], lm2[l]);
	l_mean[lid] = mean;
	l_m2[lid] = m2;
	l_cnt[lid] = k;
	barrier(CLK_LOCAL_MEM_FENCE);

	/* GPUs: a tree. CPUs: work-item 0 folds the others in order, since each barrier costs a
	 * pass over the whole group and a small chunk leaves most work-items empty */
	for (uint s = contig ? 0 : wg / 2; s > 0; s >>= 1) {
		if (lid < s) {
			uint na = l_cnt[lid];
			float ma = l_mean[lid], m2a = l_m2[lid];
			bn_chan(&na, &ma, &m2a, l_cnt[lid + s], l_mean[lid + s], l_m2[lid + s]);
			l_cnt[lid] = na;
			l_mean[lid] = ma;
			l_m2[lid] = m2a;
		}
		barrier(CLK_LOCAL_MEM_FENCE);
	}
	if (lid == 0 && live) {
		uint na = l_cnt[0];
		float ma = l_mean[0], m2a = l_m2[0];
		for (uint i = contig ? 1 : wg; i < wg; i++)
			bn_chan(&na, &ma, &m2a, l_cnt[i], l_mean[i], l_m2[i]);
		part[p_off + (ch * nparts + p) * 2] = ma;
		part[p_off + (ch * nparts + p) * 2 + 1] = m2a;
	}
}

/* Training forward, stage 2: a channel's partials folded by Chan in chunk order; chunk p holds
 * min(ipc, n - p * ipc) * hw elements. Writes the saved statistics and updates the running ones.
 * save_mean, save_invstd: (c) written  run_mean, run_var: (c) updated  part: (c, nparts, 2).
 * Launch: global c. */
__kernel void bn_forward_stats(__global float *save_mean, uint sm_off, __global float *save_invstd,
			       uint si_off, __global float *run_mean, uint rm_off,
			       __global float *run_var, uint rv_off, __global const float *part,
			       uint p_off, float momentum, float eps, uint n, uint c, uint hw,
			       uint ipc, uint nparts)
{
	const uint ch = get_global_id(0);
	if (ch >= c)
		return;
	__global const float *pc = part + p_off + ch * nparts * 2;
	uint k = 0;
	float bmean = 0.0f, m2 = 0.0f;
	for (uint p = 0; p < nparts; p++)
		bn_chan(&k, &bmean, &m2, min(ipc, n - p * ipc) * hw, pc[2 * p], pc[2 * p + 1]);
	const uint cnt = n * hw;
	float var = m2 / (float)cnt; /* biased: what normalises */
	float invstd = 1.0f / sqrt(var + eps);
	/* PyTorch tracks the unbiased variance; one element has none, so keep the biased 0 */
	float unbiased = cnt > 1 ? m2 / (float)(cnt - 1) : var;
	save_mean[sm_off + ch] = bmean;
	save_invstd[si_off + ch] = invstd;
	run_mean[rm_off + ch] = (1.0f - momentum) * run_mean[rm_off + ch] + momentum * bmean;
	run_var[rv_off + ch] = (1.0f - momentum) * run_var[rv_off + ch] + momentum * unbiased;
}

/* max(v, 0) with NaN passing through, as relu.cl's forward */
bn_floatv bn_relu_v(bn_floatv v)
{
	return select((bn_floatv)(0.0f), v, (v > 0.0f) | isnan(v));
}

float bn_relu_s(float v)
{
	return v > 0.0f || isnan(v) ? v : 0.0f;
}

/* y[e..] = (x[e..] - mean) * scale + shift, then the ReLU if `relu`, for the vector unit at gid
 * (i, ch, in) of a plane of hw floats; a unit that runs past the plane's end is done a float at
 * a time. */
void bn_apply(__global float *y, __global const float *x, uint i, uint hw, float mean, float scale,
	      float shift, uint relu)
{
	if (i + BN_VEC <= hw) {
		bn_floatv v = (bn_vload(0, x + i) - mean) * scale + shift;
		bn_vstore(relu ? bn_relu_v(v) : v, 0, y + i);
		return;
	}
	for (; i < hw; i++) {
		float v = (x[i] - mean) * scale + shift;
		y[i] = relu ? bn_relu_s(v) : v;
	}
}

/* The gradient a fused backward works on: dy * dy_scale where the forward's ReLU passed its
 * input (pre-activation (x - mean) * scale + shift > 0, the forward's own expression), else 0;
 * dy alone when there is no ReLU. */
bn_floatv bn_dy_v(bn_floatv dy, bn_floatv x, float mean, float scale, float shift, uint relu,
		  float dy_scale)
{
	bn_floatv g = dy * dy_scale;
	return relu ? select((bn_floatv)(0.0f), g, (x - mean) * scale + shift > 0.0f) : g;
}

float bn_dy_s(float dy, float x, float mean, float scale, float shift, uint relu, float dy_scale)
{
	float g = dy * dy_scale;
	return relu && !((x - mean) * scale + shift > 0.0f) ? 0.0f : g;
}

/* Training forward, stage 3: y = (x - save_mean) * gamma * save_invstd + beta_p, element-wise,
 * then max(y, 0) if `relu`. y, x: (n, c, hw)  save_mean, save_invstd, gamma, beta_p: (c).
 * y may alias x.
 * Launch: global (ceil(hw / BN_VEC), c, n), so no work-item divides to find its channel. */
__kernel void bn_forward_normalise(__global float *y, uint y_off, __global const float *x,
				   uint x_off, __global const float *save_mean, uint sm_off,
				   __global const float *save_invstd, uint si_off,
				   __global const float *gamma, uint g_off,
				   __global const float *beta_p, uint b_off, uint relu, uint n,
				   uint c, uint hw)
{
	const uint i = get_global_id(0) * BN_VEC, ch = get_global_id(1), in = get_global_id(2);
	if (i >= hw || ch >= c || in >= n)
		return;
	const uint e = (in * c + ch) * hw;
	bn_apply(y + y_off + e, x + x_off + e, i, hw, save_mean[sm_off + ch],
		 gamma[g_off + ch] * save_invstd[si_off + ch], beta_p[b_off + ch], relu);
}

/* Evaluation forward: y = gamma * (x - run_mean) / sqrt(run_var + eps) + beta_p, element-wise,
 * then max(y, 0) if `relu`. y, x: (n, c, hw)  gamma, beta_p, run_mean, run_var: (c).
 * y may alias x.
 * Launch: global (ceil(hw / BN_VEC), c, n). */
__kernel void bn_forward_eval(__global float *y, uint y_off, __global const float *x, uint x_off,
			      __global const float *gamma, uint g_off, __global const float *beta_p,
			      uint b_off, __global const float *run_mean, uint rm_off,
			      __global const float *run_var, uint rv_off, float eps, uint relu,
			      uint n, uint c, uint hw)
{
	const uint i = get_global_id(0) * BN_VEC, ch = get_global_id(1), in = get_global_id(2);
	if (i >= hw || ch >= c || in >= n)
		return;
	const uint e = (in * c + ch) * hw;
	bn_apply(y + y_off + e, x + x_off + e, i, hw, run_mean[rm_off + ch],
		 gamma[g_off + ch] / sqrt(run_var[rv_off + ch] + eps), beta_p[b_off + ch], relu);
}

/* Training backward, xhat = (x - mean) * invstd:
 *   dbeta += sum(dy), dgamma += sum(dy * xhat),
 *   dx = beta * dx + gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)).
 * dy there is bn_dy_v's: the ReLU's masked and scaled gradient when one is fused.
 * Stage 1: chunk p of channel ch's sums of dy and dy * (x - mean); x - mean is centred, so the
 * sum does not cancel. part: (c, nparts, 2) written  dy, x: (n, c, hw)
 * save_mean, save_invstd, gamma, beta_p: (c). Launch: global (nparts * WG, c), local (WG, 1). */
__kernel void bn_backward_partial(__global float *part, uint p_off, __global const float *dy,
				  uint dy_off, __global const float *x, uint x_off,
				  __global const float *save_mean, uint sm_off,
				  __global const float *save_invstd, uint si_off,
				  __global const float *gamma, uint g_off,
				  __global const float *beta_p, uint b_off, uint relu,
				  float dy_scale, uint n, uint c, uint hw, uint ipc, uint nparts,
				  uint contig)
{
	__local float l_dy[AMPCL_REDUCE_WG], l_dyxc[AMPCL_REDUCE_WG];
	const uint lid = get_local_id(0), wg = get_local_size(0);
	const uint p = get_group_id(0), ch = get_group_id(1);
	const bool live = p < nparts && ch < c;
	const uint img0 = p * ipc;
	const uint nimg = live ? min(ipc, n - img0) : 0;
	const uint plane = c * hw, hv = hw / BN_VEC, tail = hw - hv * BN_VEC;
	const uint base = live ? img0 * plane + ch * hw : 0;
	__global const float *dyc = dy + dy_off + base, *xc = x + x_off + base;
	const float mean = live ? save_mean[sm_off + ch] : 0.0f;
	const float scale = live ? gamma[g_off + ch] * save_invstd[si_off + ch] : 0.0f;
	const float shift = live ? beta_p[b_off + ch] : 0.0f;
	uint u, end, step;

	bn_floatv v_dy = (bn_floatv)(0.0f), v_dyxc = (bn_floatv)(0.0f);
	reduce_span(lid, wg, nimg * hv, contig, &u, &end, &step);
	if (hv && u < end) {
		uint img = u / hv, j = u % hv;
		const uint si = step / hv, sj = step % hv;
		for (; u < end; u += step) {
			const uint o = img * plane + j * BN_VEC;
			bn_floatv xv = bn_vload(0, xc + o);
			bn_floatv g = bn_dy_v(bn_vload(0, dyc + o), xv, mean, scale, shift, relu,
					      dy_scale);
			v_dy += g;
			v_dyxc += g * (xv - mean);
			img += si;
			j += sj;
			if (j >= hv) {
				j -= hv;
				img++;
			}
		}
	}
	float s_dy = 0.0f, s_dyxc = 0.0f;
	reduce_span(lid, wg, nimg * tail, contig, &u, &end, &step);
	for (; u < end; u += step) {
		const uint o = (u / tail) * plane + hv * BN_VEC + u % tail;
		float g = bn_dy_s(dyc[o], xc[o], mean, scale, shift, relu, dy_scale);
		s_dy += g;
		s_dyxc += g * (xc[o] - mean);
	}
	float l1[BN_VEC], l2[BN_VEC];
	bn_vstore(v_dy, 0, l1);
	bn_vstore(v_dyxc, 0, l2);
	for (uint l = 0; l < BN_VEC; l++) {
		s_dy += l1[l];
		s_dyxc += l2[l];
	}
	l_dy[lid] = s_dy;
	l_dyxc[lid] = s_dyxc;
	barrier(CLK_LOCAL_MEM_FENCE);
	for (uint s = contig ? 0 : wg / 2; s > 0; s >>= 1) { /* as the forward's */
		if (lid < s) {
			l_dy[lid] += l_dy[lid + s];
			l_dyxc[lid] += l_dyxc[lid + s];
		}
		barrier(CLK_LOCAL_MEM_FENCE);
	}
	if (lid == 0 && live) {
		float a = l_dy[0], b = l_dyxc[0];
		for (uint i = contig ? 1 : wg; i < wg; i++) {
			a += l_dy[i];
			b += l_dyxc[i];
		}
		part[p_off + (ch * nparts + p) * 2] = a;
		part[p_off + (ch * nparts + p) * 2 + 1] = b;
	}
}

/* Training backward, stage 2: a channel's partials summed in chunk order into dgamma/dbeta and
 * the two per-channel terms stage 3 needs, coef[ch * 2] = mean(dy) and
 * coef[ch * 2 + 1] = mean(dy * xhat) * invstd. The sums are this call's own, so dx never sees
 * what dgamma/dbeta held before. coef: (c, 2) written  dgamma, dbeta: (c) +=
 * part: (c, nparts, 2)  save_invstd: (c). Launch: global c. */
__kernel void bn_backward_sums(__global float *coef, uint c_off, __global float *dgamma,
			       uint dg_off, __global float *dbeta, uint db_off,
			       __global const float *part, uint p_off,
			       __global const float *save_invstd, uint si_off, uint n, uint c,
			       uint hw, uint nparts)
{
	const uint ch = get_global_id(0);
	if (ch >= c)
		return;
	__global const float *pc = part + p_off + ch * nparts * 2;
	float sum_dy = 0.0f, sum_dyxc = 0.0f;
	for (uint p = 0; p < nparts; p++) {
		sum_dy += pc[2 * p];
		sum_dyxc += pc[2 * p + 1];
	}
	const uint cnt = n * hw;
	const float invstd = save_invstd[si_off + ch];
	dbeta[db_off + ch] += sum_dy;
	dgamma[dg_off + ch] += sum_dyxc * invstd;
	coef[c_off + ch * 2] = sum_dy / (float)cnt;
	coef[c_off + ch * 2 + 1] = sum_dyxc * invstd * invstd / (float)cnt;
}

/* Training backward, stage 3, element-wise, dy as stage 1's:
 * dx = beta * dx + dx_scale * (gamma * invstd * (dy - mean(dy) - (x - mean) * coef)).
 * dx, dy, x: (n, c, hw)  coef: (c, 2)  save_mean, save_invstd, gamma, beta_p: (c).
 * dx may alias dy. Launch: global (ceil(hw / BN_VEC), c, n). */
__kernel void bn_backward(__global float *dx, uint dx_off, __global const float *dy, uint dy_off,
			  __global const float *x, uint x_off, __global const float *coef,
			  uint c_off, __global const float *save_mean, uint sm_off,
			  __global const float *save_invstd, uint si_off,
			  __global const float *gamma, uint g_off, __global const float *beta_p,
			  uint b_off, uint relu, float dy_scale, float dx_scale, float beta,
			  uint n, uint c, uint hw)
{
	uint i = get_global_id(0) * BN_VEC;
	const uint ch = get_global_id(1), in = get_global_id(2);
	if (i >= hw || ch >= c || in >= n)
		return;
	const uint e = (in * c + ch) * hw;
	const float mean = save_mean[sm_off + ch];
	const float mean_dy = coef[c_off + ch * 2], cf = coef[c_off + ch * 2 + 1];
	const float k = gamma[g_off + ch] * save_invstd[si_off + ch], shift = beta_p[b_off + ch];
	__global float *dxp = dx + dx_off + e;
	__global const float *dyp = dy + dy_off + e, *xp = x + x_off + e;
	/* beta 0 overwrites without reading: dx may hold NaN. k is also the forward's scale. */
	if (i + BN_VEC <= hw) {
		bn_floatv xv = bn_vload(0, xp + i);
		bn_floatv d = bn_dy_v(bn_vload(0, dyp + i), xv, mean, k, shift, relu, dy_scale);
		bn_floatv g = dx_scale * (k * (d - mean_dy - (xv - mean) * cf));
		if (beta != 0.0f)
			g += beta * bn_vload(0, dxp + i);
		bn_vstore(g, 0, dxp + i);
		return;
	}
	for (; i < hw; i++) {
		float d = bn_dy_s(dyp[i], xp[i], mean, k, shift, relu, dy_scale);
		float g = dx_scale * (k * (d - mean_dy - (xp[i] - mean) * cf));
		dxp[i] = (beta != 0.0f ? beta * dxp[i] : 0.0f) + g;
	}
}
