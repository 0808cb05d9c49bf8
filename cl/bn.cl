/* bn.cl: batch normalisation 2-D as PyTorch's BatchNorm2d: the training forward (batch statistics,
 * running-stat update), the evaluation forward (running statistics) and the training backward. */

/* bn_forward_train and bn_backward run one work-group of AMPCL_REDUCE_WG work-items per channel
 * (AMPCL_REDUCE_WG comes from common.cl or -D; a power of two). The group is laid out as rows of
 * `cols` work-items, cols = min(WG, hw rounded up to a power of two): a row walks batch items
 * row, row + rows, ..., its work-items walk that item's hw plane at stride cols. Neighbouring
 * work-items read neighbouring floats, and a small plane (hw = 16 at ResNet's last stage) still
 * keeps the whole group busy. Every reduction adds in a fixed order, a sequential part per
 * work-item then a fixed tree in local memory, with no atomics: the results are bit-identical run
 * after run on one device and work-group size.
 *
 * A group past the last channel (none with the host's exact launch) walks no elements and writes
 * nothing, but it still reaches every barrier: PoCL 3.1 corrupts memory when a kernel returns
 * ahead of a barrier, even when its whole group returns together. */

/* Work-items per row: the smallest power of two >= hw, capped at AMPCL_REDUCE_WG. */
uint bn_cols(uint hw)
{
	uint cols = 1;
	while (cols < hw && cols < AMPCL_REDUCE_WG)
		cols <<= 1;
	return cols;
}

/* Training forward. Statistics by Welford per work-item and Chan's pairwise combination in the
 * tree, so a large mean (x = 100 + noise) does not cancel the variance away as sum(x^2) - n*mean^2
 * would. y: (n, c, hw)  save_mean, save_invstd: (c) written  run_mean, run_var: (c) updated in
 * place  x: (n, c, hw)  gamma, beta_p: (c). y may alias x. Launch: global c * WG, local WG. */
__kernel __attribute__((reqd_work_group_size(AMPCL_REDUCE_WG, 1, 1))) void
bn_forward_train(__global float *y, uint y_off, __global float *save_mean, uint sm_off,
		 __global float *save_invstd, uint si_off, __global float *run_mean, uint rm_off,
		 __global float *run_var, uint rv_off, __global const float *x, uint x_off,
		 __global const float *gamma, uint g_off, __global const float *beta_p, uint b_off,
		 float momentum, float eps, uint n, uint c, uint hw)
{
	__local float l_mean[AMPCL_REDUCE_WG], l_m2[AMPCL_REDUCE_WG];
	__local uint l_cnt[AMPCL_REDUCE_WG];
	__local float l_bcast[2]; /* mean, invstd for the normalising pass */
	const uint lid = get_local_id(0), ch = get_group_id(0);
	const bool live = ch < c;
	const uint cols = bn_cols(hw), rows = AMPCL_REDUCE_WG / cols;
	const uint row = lid / cols, col = lid % cols;
	const uint n_live = live ? n : 0;
	const uint plane = c * hw; /* distance between batch items of one channel */
	__global const float *xc = x + x_off + ch * hw;

	/* Welford over this work-item's elements */
	float mean = 0.0f, m2 = 0.0f;
	uint k = 0;
	for (uint in = row; in < n_live; in += rows) {
		__global const float *xp = xc + in * plane;
		for (uint i = col; i < hw; i += cols) {
			float v = xp[i];
			float d = v - mean;
			k++;
			mean += d / (float)k;
			m2 += d * (v - mean);
		}
	}
	l_mean[lid] = mean;
	l_m2[lid] = m2;
	l_cnt[lid] = k;
	barrier(CLK_LOCAL_MEM_FENCE);

	/* Chan: m2 = m2a + m2b + d^2 * na * nb / (na + nb); an empty right side changes nothing */
	for (uint s = AMPCL_REDUCE_WG / 2; s > 0; s >>= 1) {
		if (lid < s && l_cnt[lid + s]) {
			uint na = l_cnt[lid], nb = l_cnt[lid + s];
			float fb = (float)nb / (float)(na + nb);
			float d = l_mean[lid + s] - l_mean[lid];
			l_mean[lid] += d * fb;
			l_m2[lid] += l_m2[lid + s] + d * d * (float)na * fb;
			l_cnt[lid] = na + nb;
		}
		barrier(CLK_LOCAL_MEM_FENCE);
	}

	if (lid == 0 && live) {
		const uint cnt = n * hw;
		float bmean = l_mean[0];
		float var = l_m2[0] / (float)cnt; /* biased: what normalises */
		float invstd = 1.0f / sqrt(var + eps);
		/* PyTorch tracks the unbiased variance; one element has none, so keep the biased 0 */
		float unbiased = cnt > 1 ? l_m2[0] / (float)(cnt - 1) : var;
		save_mean[sm_off + ch] = bmean;
		save_invstd[si_off + ch] = invstd;
		run_mean[rm_off + ch] = (1.0f - momentum) * run_mean[rm_off + ch] + momentum * bmean;
		run_var[rv_off + ch] = (1.0f - momentum) * run_var[rv_off + ch] + momentum * unbiased;
		l_bcast[0] = bmean;
		l_bcast[1] = invstd;
	}
	barrier(CLK_LOCAL_MEM_FENCE);
	if (!live)
		return; /* after the last barrier */

	const float bmean = l_bcast[0], scale = gamma[g_off + ch] * l_bcast[1];
	const float shift = beta_p[b_off + ch];
	__global float *yc = y + y_off + ch * hw;
	for (uint in = row; in < n; in += rows) {
		__global const float *xp = xc + in * plane;
		__global float *yp = yc + in * plane;
		for (uint i = col; i < hw; i += cols)
			yp[i] = (xp[i] - bmean) * scale + shift;
	}
}

/* Evaluation forward: y = gamma * (x - run_mean) / sqrt(run_var + eps) + beta_p, element-wise.
 * y, x: (n, c, hw)  gamma, beta_p, run_mean, run_var: (c). y may alias x.
 * Launch: global (hw, c, n), so no work-item divides to find its channel. */
__kernel void bn_forward_eval(__global float *y, uint y_off, __global const float *x, uint x_off,
			      __global const float *gamma, uint g_off, __global const float *beta_p,
			      uint b_off, __global const float *run_mean, uint rm_off,
			      __global const float *run_var, uint rv_off, float eps, uint n, uint c,
			      uint hw)
{
	const uint i = get_global_id(0), ch = get_global_id(1), in = get_global_id(2);
	if (i >= hw || ch >= c || in >= n)
		return;
	const uint e = (in * c + ch) * hw + i;
	float scale = gamma[g_off + ch] / sqrt(run_var[rv_off + ch] + eps);
	y[y_off + e] = (x[x_off + e] - run_mean[rm_off + ch]) * scale + beta_p[b_off + ch];
}

/* Training backward, xhat = (x - mean) * invstd:
 *   dbeta += sum(dy), dgamma += sum(dy * xhat),
 *   dx = beta * dx + gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)).
 * The sums are this call's own, so dx never sees what dgamma/dbeta held before.
 * dx, dy, x: (n, c, hw)  dgamma, dbeta: (c) +=  save_mean, save_invstd, gamma: (c).
 * dx may alias dy. Launch: global c * WG, local WG. */
__kernel __attribute__((reqd_work_group_size(AMPCL_REDUCE_WG, 1, 1))) void
bn_backward(__global float *dx, uint dx_off, __global float *dgamma, uint dg_off,
	    __global float *dbeta, uint db_off, __global const float *dy, uint dy_off,
	    __global const float *x, uint x_off, __global const float *save_mean, uint sm_off,
	    __global const float *save_invstd, uint si_off, __global const float *gamma, uint g_off,
	    float beta, uint n, uint c, uint hw)
{
	__local float l_dy[AMPCL_REDUCE_WG], l_dyxc[AMPCL_REDUCE_WG];
	__local float l_bcast[2]; /* mean(dy), the coefficient of (x - mean) */
	const uint lid = get_local_id(0), ch = get_group_id(0);
	const bool live = ch < c;
	const uint cols = bn_cols(hw), rows = AMPCL_REDUCE_WG / cols;
	const uint row = lid / cols, col = lid % cols;
	const uint n_live = live ? n : 0;
	const uint plane = c * hw;
	__global const float *dyc = dy + dy_off + ch * hw;
	__global const float *xc = x + x_off + ch * hw;
	const float mean = live ? save_mean[sm_off + ch] : 0.0f;
	const float invstd = live ? save_invstd[si_off + ch] : 0.0f;

	/* sums of dy and dy * (x - mean); x - mean is centred, so the sum does not cancel */
	float s_dy = 0.0f, s_dyxc = 0.0f;
	for (uint in = row; in < n_live; in += rows) {
		__global const float *dyp = dyc + in * plane, *xp = xc + in * plane;
		for (uint i = col; i < hw; i += cols) {
			float g = dyp[i];
			s_dy += g;
			s_dyxc += g * (xp[i] - mean);
		}
	}
	l_dy[lid] = s_dy;
	l_dyxc[lid] = s_dyxc;
	barrier(CLK_LOCAL_MEM_FENCE);
	for (uint s = AMPCL_REDUCE_WG / 2; s > 0; s >>= 1) {
		if (lid < s) {
			l_dy[lid] += l_dy[lid + s];
			l_dyxc[lid] += l_dyxc[lid + s];
		}
		barrier(CLK_LOCAL_MEM_FENCE);
	}
	if (lid == 0 && live) {
		const uint cnt = n * hw;
		float sum_dy = l_dy[0], sum_dyxc = l_dyxc[0];
		dbeta[db_off + ch] += sum_dy;
		dgamma[dg_off + ch] += sum_dyxc * invstd;
		l_bcast[0] = sum_dy / (float)cnt;
		l_bcast[1] = sum_dyxc * invstd * invstd / (float)cnt;
	}
	barrier(CLK_LOCAL_MEM_FENCE);
	if (!live)
		return; /* after the last barrier */

	const float mean_dy = l_bcast[0], coef = l_bcast[1];
	const float k = gamma[g_off + ch] * invstd;
	__global float *dxc = dx + dx_off + ch * hw;
	for (uint in = row; in < n; in += rows) {
		__global const float *dyp = dyc + in * plane, *xp = xc + in * plane;
		__global float *dxp = dxc + in * plane;
		for (uint i = col; i < hw; i += cols) {
			float g = k * (dyp[i] - mean_dy - (xp[i] - mean) * coef);
			/* beta 0 overwrites without reading: dx may hold NaN */
			dxp[i] = (beta != 0.0f ? beta * dxp[i] : 0.0f) + g;
		}
	}
}
