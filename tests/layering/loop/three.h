/* three.h: part of the include_cycle_found fixture (see one.h): it includes one.h, which closes
 * the loop one -> two -> three -> one. */
#include "one.h"
