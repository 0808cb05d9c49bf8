/* onnx_weights.h: the initial weights of a net built from an ONNX model (`--model FILE.onnx`):
 * its initializers, taken in the order its nodes give the net's parameters. */
#ifndef AMPCL_ONNX_WEIGHTS_H
#define AMPCL_ONNX_WEIGHTS_H

#include "ampcl.h"

/* Writes every parameter and BN statistic of the finalized net, built from path, from path's
 * initializers; AMPCL_ERR_BAD_FILE naming the tensor when one is missing, of another size, or
 * holds a value no trained model holds. *batches_tracked gets the first BN's
 * num_batches_tracked initializer (PyTorch's count of training batches), 0 without one. */
ampcl_status ampcl_net_load_onnx(ampcl_net_t *net, const char *path, long long *batches_tracked);

/* Whether path's graph looks exported for evaluation: no BatchNormalization, and convolution
 * weights under the exporter's own names ("onnx::Conv_12"), BN having been folded into them. */
int ampcl_onnx_bn_folded(const char *path);

#endif
