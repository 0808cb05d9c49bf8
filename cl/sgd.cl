/* sgd.cl: the SGD update of torch.optim.SGD (dampening 0) over a whole span of parameters, so
 * one launch updates a net whose parameters share one arena. 4 elements per work-item. */

/* no fma contraction: each step rounds like the reference's float arithmetic on every device */
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

/* g = grad + wd*param; with momentum: buf = momentum*buf + g, g = nesterov ? g + momentum*buf
 * : buf; param -= lr*g. momentum == 0 never touches buf (the host may pass any buffer there).
 * param, buf, grad: (n) */
__kernel void sgd_step(__global float *param, uint param_off, __global float *buf, uint buf_off,
		       __global const float *grad, uint grad_off, float lr, float momentum,
		       float weight_decay, uint nesterov, uint n)
{
	uint i = get_global_id(0) * ELT_VEC;
	if (i >= n)
		return;
	float4 p = elt_load4(param + param_off, i, n);
	float4 g = elt_load4(grad + grad_off, i, n) + weight_decay * p;
	if (momentum != 0.0f) {
		float4 b = momentum * elt_load4(buf + buf_off, i, n) + g;
		elt_store4(buf + buf_off, i, n, b);
		g = nesterov ? g + momentum * b : b;
	}
	elt_store4(param + param_off, i, n, p - lr * g);
}
