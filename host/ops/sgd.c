/* sgd.c: host side of cl/sgd.cl: validates the hyper-parameters the way torch.optim.SGD does
 * and launches the vectorised update over the whole parameter span. */
#include "sgd.h"
#include "eltwise.h"
#include "error.h"

#include <math.h>

ampcl_status ampcl_sgd_step(struct ampcl_context *ctx, const struct ampcl_tensor *param,
			    const struct ampcl_tensor *momentum_buf,
			    const struct ampcl_tensor *grad, float lr, float momentum,
			    float weight_decay, int nesterov)
{
	/* param, momentum_buf, grad: (count) */
	const char *op = "sgd step";
	if (!isfinite(lr) || lr < 0 || !isfinite(momentum) || momentum < 0 ||
	    !isfinite(weight_decay) || weight_decay < 0)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s: lr %g, momentum %g and weight decay %g must be finite "
				       "and >= 0",
				       op, lr, momentum, weight_decay);
	if (nesterov && momentum == 0)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s: Nesterov momentum needs a momentum > 0 (got 0); set "
				       "--momentum or drop --nesterov",
				       op);
	ampcl_status st;
	if ((st = ampcl_tensor_check(op, "param", param, 0, NULL)) ||
	    (st = ampcl_tensor_check_same(op, "grad", grad, "param", param)))
		return st;
	/* momentum 0 never reads the buffer: the kernel gets param's in its place */
	const struct ampcl_tensor *buf = param;
	if (momentum != 0) {
		if ((st = ampcl_tensor_check_same(op, "momentum buffer", momentum_buf, "param",
						  param)))
			return st;
		buf = momentum_buf;
	}
	size_t n = ampcl_tensor_count(param);
	struct ampcl_karg args[] = {AMPCL_KARG_VIEW(param),
				    AMPCL_KARG_VIEW(buf),
				    AMPCL_KARG_VIEW(grad),
				    AMPCL_KARG_FLOAT(lr),
				    AMPCL_KARG_FLOAT(momentum),
				    AMPCL_KARG_FLOAT(weight_decay),
				    AMPCL_KARG_UINT(nesterov ? 1 : 0),
				    AMPCL_KARG_UINT(n)};
	return ampcl_launch_1d_named(ctx, "sgd", "sgd_step", ampcl_div_up(n, AMPCL_ELTWISE_VEC),
				     AMPCL_NARGS(args), args);
}
