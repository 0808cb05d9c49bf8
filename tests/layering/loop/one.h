/* one.h: the fixture for ctest include_cycle_found: one.h includes two.h, two.c includes three.h
 * and three.h includes one.h, a loop through three modules that include_cycles.py must report. */
#include "two.h"
