/* files.h: small file-system helpers shared by the cache, the trainer and the study: creating a
 * folder with its parents. */
#ifndef AMPCL_FILES_H
#define AMPCL_FILES_H

/* mkdir -p: 0 on success (or if it exists), -1 with errno set otherwise. */
int ampcl_make_dirs(const char *dir);

#endif
