/* paths.c: whether a path is a folder or a regular file, and joining a folder and a name
 * without truncation (paths.h). */
#include "paths.h"
#include "error.h"

#include <stdio.h>
#include <sys/stat.h>

int ampcl_path_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int ampcl_path_is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

ampcl_status ampcl_path_join(char *dst, size_t size, const char *dir, const char *name)
{
	int n = snprintf(dst, size, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= size)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "path '%s/%s' is longer than %zu bytes: move the files to a "
				       "shorter path",
				       dir, name, size - 1);
	return AMPCL_OK;
}
