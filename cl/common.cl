/* common.cl: definitions every kernel file shares; prepended to each file at build time.
 * Every kernel takes each buffer as (pointer, offset in floats) and guards its own index. */
#ifndef AMPCL_COMMON_CL
#define AMPCL_COMMON_CL

/* work-group size of the reduction kernels; a power of two */
#ifndef AMPCL_REDUCE_WG
#define AMPCL_REDUCE_WG 256
#endif

#endif
