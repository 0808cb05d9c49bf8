/* constants.h: the numbers the kernels and the host code that sizes their launches must agree on,
 * in one place: prepended to every program and included by host/ops (C and OpenCL C alike). */
#ifndef AMPCL_KERNEL_CONSTANTS_H
#define AMPCL_KERNEL_CONSTANTS_H

#define AMPCL_ELT_VEC 4  /* elements per work-item of the element-wise kernels (a float4) */
/* floats per load of the per-channel reductions (cl/bn.cl, conv.cl's bias gradient): an AVX-512
 * register */
#define AMPCL_BN_VEC 16
#define AMPCL_POOL_VEC 4 /* windows or elements per block of the row-wise pooling kernels */

#endif
