/* relu.cl: ReLU and Clip (ReLU6) forward (in place or not) and backward from the output, so the
 * forward may overwrite its input. Vectorised like eltwise.cl: each work-item owns 4 elements. */

/* no fma contraction: beta*dx + g rounds exactly like the reference's float arithmetic */
#pragma OPENCL FP_CONTRACT OFF

/* y = max(x, 0), NaN passing through as torch.relu does (fmax would turn it into 0).
 * y and x may be the same view: each item reads its elements before writing them. */
__kernel void relu_forward(__global float *y, uint y_off, __global const float *x, uint x_off,
			   uint n)
{
	uint i = get_global_id(0) * ELT_VEC;
	if (i >= n)
		return;
	float4 v = elt_load4(x + x_off, i, n);
	elt_store4(y + y_off, i, n, select((float4)(0.0f), v, (v > 0.0f) | isnan(v)));
}

/* dx = beta*dx + (y > 0 ? scale*dy : 0); beta == 0 never reads dx, which may hold NaN. scale is
 * the ReLU's amplification (1: none). dx may be dy (the net rewrites an in-place ReLU's gradient
 * in place): each item reads before it writes. */
__kernel void relu_backward(__global float *dx, uint dx_off, __global const float *dy, uint dy_off,
			    __global const float *y, uint y_off, float scale, float beta, uint n)
{
	uint i = get_global_id(0) * ELT_VEC;
	if (i >= n)
		return;
	float4 g = select((float4)(0.0f), scale * elt_load4(dy + dy_off, i, n),
			  elt_load4(y + y_off, i, n) > 0.0f);
	float4 acc = (float4)(0.0f);
	if (beta != 0.0f)
		acc = beta * elt_load4(dx + dx_off, i, n);
	elt_store4(dx + dx_off, i, n, acc + g);
}

/* Clip (ReLU6 with lo 0, hi 6): y = min(max(x, lo), hi), NaN passing through as torch.clamp
 * does. y and x may be the same view. */
__kernel void clip_forward(__global float *y, uint y_off, __global const float *x, uint x_off,
			   float lo, float hi, uint n)
{
	uint i = get_global_id(0) * ELT_VEC;
	if (i >= n)
		return;
	float4 v = elt_load4(x + x_off, i, n);
	float4 c = select(v, (float4)(lo), v < lo);
	elt_store4(y + y_off, i, n, select(c, (float4)(hi), c > hi));
}

/* dx = beta*dx + (lo < y < hi ? dy : 0): the gradient passes where the input was strictly
 * inside the bounds, as PyTorch's hardtanh_backward decides from the input (an input on a bound
 * gives the bound, so the output tells the same). dx may be dy. */
__kernel void clip_backward(__global float *dx, uint dx_off, __global const float *dy, uint dy_off,
			    __global const float *y, uint y_off, float lo, float hi, float beta,
			    uint n)
{
	uint i = get_global_id(0) * ELT_VEC;
	if (i >= n)
		return;
	float4 v = elt_load4(y + y_off, i, n);
	float4 g = select((float4)(0.0f), elt_load4(dy + dy_off, i, n), (v > lo) & (v < hi));
	float4 acc = (float4)(0.0f);
	if (beta != 0.0f)
		acc = beta * elt_load4(dx + dx_off, i, n);
	elt_store4(dx + dx_off, i, n, acc + g);
}
