/* files.h: the file-system helpers every writer shares: a folder with its parents, and the one
 * atomic write (a temporary file, fsync, rename, fsync of the folder) behind every output. */
#ifndef AMPCL_FILES_H
#define AMPCL_FILES_H

/* mkdir -p: 0 on success (or if it exists), -1 with errno set otherwise. */
int ampcl_make_dirs(const char *dir);

#include "ampcl.h"

#include <stdio.h>

/* AMPCL_OK when path is a regular file or does not exist; otherwise `status` with a message
 * naming what (e.g. "checkpoint"), the path and its kind: readers never block on a pipe and
 * writers never replace a device node or a folder. */
ampcl_status ampcl_check_regular(const char *path, const char *what, int status);

/* Opens path for reading only if it is a regular file (through links), without ever blocking
 * on a FIFO; NULL with errno set otherwise (EINVAL for a device, FIFO or folder). */
FILE *ampcl_open_input(const char *path);
/* Opens path for appending, creating it: never through a symbolic link, and only a regular file
 * (NULL with errno set otherwise). */
FILE *ampcl_open_append(const char *path);

/* A file being written: readers see the old file or the whole new one, never half of one, even
 * after a crash (the data and the rename are both on disk when commit returns). */
struct ampcl_atomic {
	FILE *f; /* write through this */
	char path[4200], tmp[4300];
};
/* Creates path.tmp.PID.N (N: this process's count of writes, so threads never share one);
 * AMPCL_ERR_IO naming path (and saying to check the folder) on failure. */
ampcl_status ampcl_atomic_open(struct ampcl_atomic *a, const char *path);
/* Flushes, fsyncs and closes the temporary, renames it over path and fsyncs the folder; any
 * failure (a write that failed earlier included) removes the temporary and is AMPCL_ERR_IO
 * naming path. */
ampcl_status ampcl_atomic_commit(struct ampcl_atomic *a);
/* Gives up: closes and removes the temporary. */
void ampcl_atomic_abort(struct ampcl_atomic *a);

#endif
