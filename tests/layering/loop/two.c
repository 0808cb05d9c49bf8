/* two.c: part of the include_cycle_found fixture (see one.h): module two depends on three
 * through this file, not through its header. */
#include "two.h"
#include "three.h"
