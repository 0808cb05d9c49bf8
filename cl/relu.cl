/* relu.cl: ReLU forward (in place or not) and backward from the output, so the forward may
 * overwrite its input. Vectorised like eltwise.cl: each work-item owns 4 consecutive elements. */

/* no fma contraction: beta*dx + g rounds exactly like the reference's float arithmetic */
#pragma OPENCL FP_CONTRACT OFF

#define ELT_VEC 4

/* Elements i.. of p (n in all) as a float4; lanes past the end read as 0 */
float4 elt_load4(__global const float *p, uint i, uint n)
{
	if (n - i >= ELT_VEC)
		return vload4(0, p + i);
	float4 v = (float4)(0.0f);
	v.s0 = p[i];
	if (n - i > 1)
		v.s1 = p[i + 1];
	if (n - i > 2)
		v.s2 = p[i + 2];
	return v;
}

void elt_store4(__global float *p, uint i, uint n, float4 v)
{
	if (n - i >= ELT_VEC) {
		vstore4(v, 0, p + i);
		return;
	}
	p[i] = v.s0;
	if (n - i > 1)
		p[i + 1] = v.s1;
	if (n - i > 2)
		p[i + 2] = v.s2;
}

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

/* dx = beta*dx + (y > 0 ? dy : 0); beta == 0 never reads dx, which may hold NaN */
__kernel void relu_backward(__global float *dx, uint dx_off, __global const float *dy, uint dy_off,
			    __global const float *y, uint y_off, float beta, uint n)
{
	uint i = get_global_id(0) * ELT_VEC;
	if (i >= n)
		return;
	float4 g = select((float4)(0.0f), elt_load4(dy + dy_off, i, n),
			  elt_load4(y + y_off, i, n) > 0.0f);
	float4 acc = (float4)(0.0f);
	if (beta != 0.0f)
		acc = beta * elt_load4(dx + dx_off, i, n);
	elt_store4(dx + dx_off, i, n, acc + g);
}
