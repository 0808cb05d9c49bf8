/* eltwise.cl: element-wise kernels: fill, the residual add (forward; its backward is a copy or
 * accumulate of the incoming gradient), in-place scaling, which amplification uses, the
 * channel concatenation (copies both ways), the channel slice's backward and dropout (its mask
 * drawn from a hash, not kept). */

/* No a*b+c contraction into fma: every device then rounds exactly like the host reference's
 * float arithmetic, and amplification by 1 stays a bit-exact no-op. */
#pragma OPENCL FP_CONTRACT OFF

/* Each work-item owns ELT_VEC consecutive elements, read with vload4 (which only needs float
 * alignment, so any view offset works); the last item of a span takes the partial tail with
 * scalar accesses. A launch over more than n/4 items is harmless: extra items return. */

__kernel void fill_forward(__global float *y, uint y_off, float value, uint n)
{
	uint i = get_global_id(0) * ELT_VEC;
	if (i < n)
		elt_store4(y + y_off, i, n, (float4)(value));
}

/* y = a + b, then max(y, 0) if `relu` (a ReLU that follows the add, NaN passing through as
 * relu.cl's); y may be a or b */
__kernel void add_forward(__global float *y, uint y_off, __global const float *a, uint a_off,
			  __global const float *b, uint b_off, uint relu, uint n)
{
	uint i = get_global_id(0) * ELT_VEC;
	if (i >= n)
		return;
	float4 v = elt_load4(a + a_off, i, n) + elt_load4(b + b_off, i, n);
	if (relu)
		v = select((float4)(0.0f), v, (v > 0.0f) | isnan(v));
	elt_store4(y + y_off, i, n, v);
}

/* dx = beta * dx + dy: the gradient of one input of a residual add. beta == 0 never reads dx,
 * which may hold NaN. */
__kernel void add_backward(__global float *dx, uint dx_off, __global const float *dy, uint dy_off,
			   float beta, uint n)
{
	uint i = get_global_id(0) * ELT_VEC;
	if (i >= n)
		return;
	float4 acc = (float4)(0.0f);
	if (beta != 0.0f)
		acc = beta * elt_load4(dx + dx_off, i, n);
	elt_store4(dx + dx_off, i, n, acc + elt_load4(dy + dy_off, i, n));
}

/* x *= factor, in place: amplification of a gradient span */
__kernel void scale_forward(__global float *x, uint x_off, float factor, uint n)
{
	uint i = get_global_id(0) * ELT_VEC;
	if (i < n)
		elt_store4(x + x_off, i, n, factor * elt_load4(x + x_off, i, n));
}

/* out[0] = sum of x[i]^2 over n elements, by ONE work-group of a power-of-two size: each item
 * sums a fixed strided subset in order, then a fixed tree; deterministic, for the per-layer
 * gradient statistics of --amp-select auto (a few launches an epoch, so one group suffices).
 * part: local memory of the group's size in floats. */
__kernel void sumsq_forward(__global float *out, uint out_off, __global const float *x, uint x_off,
			    uint n, __local float *part)
{
	uint lid = get_local_id(0), g = get_local_size(0);
	float sum = 0.0f;
	if (get_group_id(0) == 0)
		for (uint i = lid; i < n; i += g)
			sum += x[x_off + i] * x[x_off + i];
	part[lid] = sum;
	barrier(CLK_LOCAL_MEM_FENCE);
	for (uint s = g / 2; s > 0; s /= 2) {
		if (lid < s)
			part[lid] += part[lid + s];
		barrier(CLK_LOCAL_MEM_FENCE);
	}
	if (lid == 0 && get_group_id(0) == 0)
		out[out_off] = part[0];
}

/* Channel concatenation of (N, C, HW) tensors: src, of cs channels, is the part of dst (cd
 * channels) at channels [off, off + cs). One work-item an element of src; n = N * cs * HW. */
__kernel void concat_forward(__global float *dst, uint dst_off, __global const float *src,
			     uint src_off, uint cs, uint cd, uint off, uint hw, uint n)
{
	uint g = get_global_id(0);
	if (g >= n)
		return;
	uint per = cs * hw, i = g / per, r = g - i * per;
	dst[dst_off + (i * cd + off) * hw + r] = src[src_off + g];
}

/* dx = beta * dx + that part of dy: one input's gradient; beta == 0 never reads dx. */
__kernel void concat_backward(__global float *dx, uint dx_off, __global const float *dy,
			      uint dy_off, uint cs, uint cd, uint off, uint hw, float beta, uint n)
{
	uint g = get_global_id(0);
	if (g >= n)
		return;
	uint per = cs * hw, i = g / per, r = g - i * per;
	float v = dy[dy_off + (i * cd + off) * hw + r];
	dx[dx_off + g] = beta != 0.0f ? beta * dx[dx_off + g] + v : v;
}

/* The channel slice's backward: dx (N, cd, HW) = beta * dx + dy (N, cs, HW) at channels
 * [off, off + cs) and 0 elsewhere, so beta == 0 leaves no stale value. One work-item an element
 * of dx; n = N * cd * HW. (Its forward is concat_backward's copy.) */
__kernel void slice_backward(__global float *dx, uint dx_off, __global const float *dy,
			     uint dy_off, uint cs, uint cd, uint off, uint hw, float beta, uint n)
{
	uint g = get_global_id(0);
	if (g >= n)
		return;
	uint per = cd * hw, i = g / per, r = g - i * per, ch = r / hw;
	float v = ch >= off && ch - off < cs ? dy[dy_off + (i * cs + ch - off) * hw + r % hw] : 0.0f;
	dx[dx_off + g] = beta != 0.0f ? beta * dx[dx_off + g] + v : v;
}

/* Dropout's mask without storing it: element i of a step keeps its value when a hash of (the
 * run's seed, the step, the layer and rank's salt, i) reaches the threshold p * 2^32, the same
 * decision forward and backward (ref.c's ref_dropout_keep is this function). */
uint dropout_hash(uint seed_lo, uint seed_hi, uint step, uint salt, uint i)
{
	uint h = seed_lo ^ 0x9e3779b9u;
	uint v[4] = {seed_hi, step, salt, i};
	for (int k = 0; k < 4; k++) {
		h ^= v[k] + 0x85ebca6bu + (h << 6) + (h >> 2);
		h ^= h >> 16;
		h *= 0x7feb352du;
		h ^= h >> 15;
		h *= 0x846ca68bu;
		h ^= h >> 16;
	}
	return h;
}

/* y = x * scale where kept, else 0 (scale = 1 / (1 - p)); threshold 0 keeps every element. */
__kernel void dropout_forward(__global float *y, uint y_off, __global const float *x, uint x_off,
			      uint seed_lo, uint seed_hi, uint step, uint salt, uint threshold,
			      float scale, uint n)
{
	uint i = get_global_id(0);
	if (i >= n)
		return;
	int keep = dropout_hash(seed_lo, seed_hi, step, salt, i) >= threshold;
	y[y_off + i] = keep ? x[x_off + i] * scale : 0.0f;
}

/* dx = beta * dx + (kept ? dy * scale : 0), the forward's mask drawn again. */
__kernel void dropout_backward(__global float *dx, uint dx_off, __global const float *dy,
			       uint dy_off, uint seed_lo, uint seed_hi, uint step, uint salt,
			       uint threshold, float scale, float beta, uint n)
{
	uint i = get_global_id(0);
	if (i >= n)
		return;
	int keep = dropout_hash(seed_lo, seed_hi, step, salt, i) >= threshold;
	float g = keep ? dy[dy_off + i] * scale : 0.0f;
	dx[dx_off + i] = beta != 0.0f ? beta * dx[dx_off + i] + g : g;
}
