/* loss.c: host side of cl/loss.cl: checks the softmax cross-entropy's views and label buffer,
 * and launches the one-work-group kernel that also reduces the batch's loss and accuracy. */
#include "loss.h"
#include "error.h"
#include "program.h"

#include <limits.h>
#include <stdio.h>

ampcl_status ampcl_softmax_ce(struct ampcl_context *ctx, const struct ampcl_tensor *dlogits,
			      const struct ampcl_tensor *stats, const struct ampcl_tensor *logits,
			      cl_mem labels, size_t labels_off, int n, int k)
{
	/* dlogits, logits: (n, k)  stats: (2)  labels: (n) ints at labels_off */
	const char *op = "softmax cross-entropy";
	ampcl_status st;
	if (n < 1 || k < 1)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s: batch %d and classes %d must both be >= 1", op, n, k);
	char want[64];
	snprintf(want, sizeof(want), "batch %d x classes %d", n, k);
	if ((st = ampcl_tensor_check(op, "logits", logits, (size_t)n * (size_t)k, want)) ||
	    (st = ampcl_tensor_check_same(op, "dlogits", dlogits, "logits", logits)) ||
	    (st = ampcl_tensor_check(op, "stats", stats, 2, "mean loss, correct count")))
		return st;
	size_t label_bytes = labels ? ampcl_context_buffer_bytes(ctx, labels) : 0;
	if (!label_bytes)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "%s: the labels buffer is not valid",
				       op);
	if (labels_off > UINT_MAX - (size_t)n ||
	    (labels_off + (size_t)n) * sizeof(cl_int) > label_bytes)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s: %d labels at int offset %zu do not fit the labels "
				       "buffer (%zu bytes)",
				       op, n, labels_off, label_bytes);

	cl_kernel kern;
	if ((st = ampcl_kernel_get(ctx, "loss", "", "softmax_ce_forward", &kern)))
		return st;
	/* the group size depends only on the device, so the summation order is fixed */
	size_t group =
	    ampcl_launch_reduce_group(ctx, kern, 256, sizeof(cl_float) + sizeof(cl_uint));
	struct ampcl_karg args[] = {AMPCL_KARG_VIEW(dlogits),
				    AMPCL_KARG_VIEW(stats),
				    AMPCL_KARG_VIEW(logits),
				    AMPCL_KARG_MEM(labels),
				    AMPCL_KARG_UINT(labels_off),
				    AMPCL_KARG_UINT(n),
				    AMPCL_KARG_UINT(k),
				    AMPCL_KARG_LOCAL(group * sizeof(cl_float)),
				    AMPCL_KARG_LOCAL(group * sizeof(cl_uint))};
	return ampcl_launch(ctx, kern, 1, &group, &group, AMPCL_NARGS(args), args, NULL);
}
