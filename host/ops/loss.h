/* loss.h: host side of cl/loss.cl: softmax cross-entropy averaged over the batch
 * (nn.CrossEntropyLoss()), its gradient, and the batch's accuracy, all on the device. */
#ifndef AMPCL_LOSS_H
#define AMPCL_LOSS_H

#include "arena.h"
#include "context.h"

/* Writes dlogits = (softmax(logits) - onehot(labels))/n (overwrite: the backward pass starts
 * here), and into stats {mean loss, count of rows whose first maximum is the label}, both
 * reduced on the device in a fixed order (bit-identical from run to run), so training need not
 * read back every step. The softmax subtracts each row's max, so large logits do not overflow.
 * labels: n cl_int at labels_off (in ints) in the buffer labels. A label outside 0..k-1 is
 * clamped for memory safety and flagged: the mean loss becomes NaN, that row's dlogits are 0
 * and it does not count as correct.
 * dlogits, logits: (n, k) (any shape with n*k elements)  stats: (2) */
ampcl_status ampcl_softmax_ce(struct ampcl_context *ctx, const struct ampcl_tensor *dlogits,
			      const struct ampcl_tensor *stats, const struct ampcl_tensor *logits,
			      cl_mem labels, size_t labels_off, int n, int k);

#endif
