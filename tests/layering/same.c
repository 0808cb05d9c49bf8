/* same.c: the control for upward.c: an ops-layer file with includes from its own layer and below
 * compiles, so upward.c fails for its upward include alone. */
#include "arena.h"
#include "error.h"
#include "gemm.h"
