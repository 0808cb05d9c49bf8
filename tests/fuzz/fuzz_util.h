/* fuzz_util.h: what the libFuzzer targets share: a private folder per process and writing the
 * input to a file in it, since ampcl's readers take paths. */
#ifndef AMPCL_FUZZ_UTIL_H
#define AMPCL_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The process's folder (made on first use), with a trailing name joined: path[size]. */
void fuzz_path(char *path, size_t size, const char *name);
/* Writes bytes to the folder's file `name` (folders in name are made), returning its path. */
const char *fuzz_write(const char *name, const uint8_t *data, size_t size);

#endif
