/* net_tune.c: ampcl_net_tune: one training pass over random images on a net finalized for the
 * purpose, in which the ops time their variants for shapes the device's table lacks. */
#include "net.h"
#include "alloc.h"
#include "clock.h"
#include "rng.h"
#include "tune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ampcl_status ampcl_net_tune(ampcl_net_t *net, int batch, struct ampcl_tune_report *rep)
{
	struct ampcl_tune *t = &net->ctx->tune;
	memset(rep, 0, sizeof(*rep));
	rep->level = t->level;
	rep->warning = "";
	rep->table = t->path;
	if (net->finalized)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "ampcl_net_tune: tune the net before finalizing it (the "
				       "choices decide its workspace)");
	if (t->level == AMPCL_TUNE_OFF) {
		rep->stored = t->n;
		return AMPCL_OK;
	}
	double t0 = ampcl_now();
	t->measuring = 1;
	t->measured = t->changed = 0;
	/* finalized while measuring: the workspace holds the largest variant of every op */
	ampcl_status st = ampcl_net_finalize(net, batch, 1);
	if (!st) {
		const struct ampcl_layer *in = &net->layers[0];
		int classes = net->layers[net->nlayers - 1].c;
		size_t count = (size_t)batch * in->c * in->h * in->w;
		float *x = ampcl_xmalloc(count * sizeof(float));
		int *labels = ampcl_xmalloc((size_t)batch * sizeof(int));
		uint64_t state = 12345;
		for (size_t i = 0; i < count; i++)
			x[i] = (float)(2 * ampcl_uniform01(&state) - 1);
		for (int i = 0; i < batch; i++)
			labels[i] = i % classes;
		struct ampcl_step_result res;
		st = ampcl_net_forward_backward(net, x, labels, batch, &res);
		free(x);
		free(labels);
		ampcl_net_unfinalize(net);
		net->finalized = 0;
		net->last_batch = net->last_forward = 0;
	}
	t->measuring = 0;
	ampcl_tune_save(net->ctx);
	rep->warning = ampcl_tune_warning(net->ctx);
	rep->measured = t->measured;
	rep->changed = t->changed;
	rep->stored = t->n;
	rep->seconds = ampcl_now() - t0;
	return st ? ampcl_error_wrap(st, "tuning: ") : AMPCL_OK;
}
