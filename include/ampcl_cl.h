/* ampcl_cl.h: optional interop with a caller's OpenCL objects: wrap an existing context and
 * queue, and reach the raw cl_mem behind ampcl's handles. Needs the OpenCL headers. */
#ifndef AMPCL_CL_H
#define AMPCL_CL_H

#include "ampcl.h"
#include <CL/cl.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Uses the caller's context, device and in-order queue (borrowed: the caller keeps ownership
 * and must outlive the ampcl context). The queue should have profiling enabled for bench. */
AMPCL_API ampcl_status ampcl_context_wrap(cl_context context, cl_device_id device,
					  cl_command_queue queue, ampcl_context_t **out);
AMPCL_API cl_context ampcl_context_cl_context(const ampcl_context_t *ctx);
AMPCL_API cl_command_queue ampcl_context_cl_queue(const ampcl_context_t *ctx);
AMPCL_API cl_device_id ampcl_context_cl_device(const ampcl_context_t *ctx);

/* The buffer and byte offset of net tensor i (ampcl_net_tensor_info's numbering): its value, or
 * with gradient != 0 its gradient (parameters only). Valid until the net is freed. */
AMPCL_API ampcl_status ampcl_net_tensor_cl(ampcl_net_t *net, int i, int gradient, cl_mem *mem,
					   size_t *offset);

/* The whole gradient arena, every parameter's gradient at its tensor's offset (with alignment
 * gaps, zero after forward_backward): one buffer to all-reduce between the step's seams. */
AMPCL_API ampcl_status ampcl_net_gradients_cl(ampcl_net_t *net, cl_mem *mem, size_t *offset,
					      size_t *bytes);

#ifdef __cplusplus
}
#endif
#endif
