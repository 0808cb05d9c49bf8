/* paths.h: questions about a path before anything is opened (is it a folder, a regular file) and
 * the one join of a folder and a name that refuses to cut a path short. */
#ifndef AMPCL_PATHS_H
#define AMPCL_PATHS_H

#include "ampcl.h"

#include <stddef.h>

/* 1 when path names a folder (through links), else 0. */
int ampcl_path_is_dir(const char *path);
/* 1 when path names a regular file (through links), else 0. */
int ampcl_path_is_file(const char *path);
/* dst = "dir/name"; AMPCL_ERR_INVALID_ARG naming both when it does not fit in size bytes. */
ampcl_status ampcl_path_join(char *dst, size_t size, const char *dir, const char *name);

#endif
