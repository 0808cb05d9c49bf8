/* sgd.h: host side of cl/sgd.cl: the optimizer step of torch.optim.SGD (dampening 0), one
 * launch over a whole span of parameters. */
#ifndef AMPCL_SGD_H
#define AMPCL_SGD_H

#include "arena.h"
#include "context.h"

/* g = grad + weight_decay*param; if momentum != 0: buf = momentum*buf + g (buf starts at 0,
 * which equals PyTorch's clone on the first step), g = nesterov ? g + momentum*buf : buf;
 * param -= lr*g. momentum == 0 never touches momentum_buf, which may then be NULL. lr,
 * momentum and weight_decay must be finite and >= 0; nesterov needs momentum > 0, as in
 * PyTorch.  param, grad, momentum_buf: the same element count (typically whole arenas) */
ampcl_status ampcl_sgd_step(struct ampcl_context *ctx, const struct ampcl_tensor *param,
			    const struct ampcl_tensor *momentum_buf,
			    const struct ampcl_tensor *grad, float lr, float momentum,
			    float weight_decay, int nesterov);

#endif
