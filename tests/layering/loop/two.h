/* two.h: part of the include_cycle_found fixture (see one.h); its module's .c closes nothing by
 * itself, only the loop through three.h does. */
