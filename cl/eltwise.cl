/* eltwise.cl: element-wise kernels: fill, the residual add (forward; its backward is a copy or
 * accumulate of the incoming gradient), and in-place scaling, which amplification uses. */

__kernel void fill_forward(__global float *y, uint y_off, float value, uint n)
{
	uint i = get_global_id(0);
	if (i < n)
		y[y_off + i] = value;
}

/* y = a + b */
__kernel void add_forward(__global float *y, uint y_off, __global const float *a, uint a_off,
			  __global const float *b, uint b_off, uint n)
{
	uint i = get_global_id(0);
	if (i < n)
		y[y_off + i] = a[a_off + i] + b[b_off + i];
}

/* dx = beta * dx + dy: the gradient of one input of a residual add */
__kernel void add_backward(__global float *dx, uint dx_off, __global const float *dy, uint dy_off,
			   float beta, uint n)
{
	uint i = get_global_id(0);
	if (i < n)
		dx[dx_off + i] = (beta != 0.0f ? beta * dx[dx_off + i] : 0.0f) + dy[dy_off + i];
}

/* x *= factor, in place: amplification of a gradient span */
__kernel void scale_forward(__global float *x, uint x_off, float factor, uint n)
{
	uint i = get_global_id(0);
	if (i < n)
		x[x_off + i] *= factor;
}
