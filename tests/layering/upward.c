/* upward.c: an ops-layer file that includes the net layer above it; the build must refuse it
 * (ctest layering_upward expects this compile to fail). */
#include "gemm.h"
#include "net.h"
