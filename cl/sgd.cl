/* sgd.cl: the SGD update of torch.optim.SGD (dampening 0) over a whole span of parameters, so
 * one launch updates a net whose parameters share one arena. 4 elements per work-item. */

/* no fma contraction: each step rounds like the reference's float arithmetic on every device */
#pragma OPENCL FP_CONTRACT OFF

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
