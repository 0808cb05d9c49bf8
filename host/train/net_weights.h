/* net_weights.h: PyTorch-named safetensors weights into a net, checked like PyTorch's
 * load_state_dict(strict=True); `--init` and `ampcl eval --weights` read through it. */
#ifndef AMPCL_NET_WEIGHTS_H
#define AMPCL_NET_WEIGHTS_H

#include "ampcl.h"

/* Writes every parameter and BN statistic of the finalized net from path. Missing or unexpected
 * tensors (other than BN num_batches_tracked), another dtype than F32 or another shape are
 * AMPCL_ERR_BAD_FILE naming them; `what` starts the message ("--init", "--weights").
 * *batches_tracked (may be NULL) gets the file's BN num_batches_tracked, 0 when it has none. */
ampcl_status ampcl_net_load_weights(ampcl_net_t *net, const char *path, const char *what,
				    long long *batches_tracked);

#endif
