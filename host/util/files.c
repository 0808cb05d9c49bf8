/* files.c: creates a folder and its missing parents, and writes files atomically (temporary,
 * fsync, rename, fsync of the folder) for every output ampcl writes. */
#include "files.h"
#include "alloc.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

int ampcl_make_dirs(const char *dir)
{
	char tmp[PATH_MAX];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s", dir) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, 0755) && errno != EEXIST)
		return -1;
	struct stat sb;
	if (stat(tmp, &sb) || !S_ISDIR(sb.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

ampcl_status ampcl_atomic_open(struct ampcl_atomic *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	if ((size_t)snprintf(a->path, sizeof(a->path), "%s", path) >= sizeof(a->path))
		return ampcl_error_set(AMPCL_ERR_IO,
				       "cannot write '%.100s...': the path is too long", path);
	ampcl_status st = ampcl_check_regular(path, "output", AMPCL_ERR_IO);
	if (st)
		return st;
	/* PATH.tmp.PID.N: N counts this process's writes, so two threads writing one file (a study
	 * running several jobs) never share a temporary */
	static _Atomic unsigned serial;
	/* created afresh, never opened through a link or over a file planted at the predictable
	 * name (whose target would be written and then moved into place): such a name is
	 * passed over for the next */
	int fd = -1;
	for (int tries = 0; fd < 0 && tries < 16; tries++) {
		snprintf(a->tmp, sizeof(a->tmp), "%s.tmp.%ld.%u", path, (long)getpid(), serial++);
		fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd >= 0 && !(a->f = fdopen(fd, "wb"))) {
		close(fd);
		unlink(a->tmp);
	}
	if (!a->f)
		return ampcl_error_set(AMPCL_ERR_IO,
				       "cannot write '%s': %s; check that the folder exists and is "
				       "writable",
				       path, strerror(errno));
	return AMPCL_OK;
}

/* fsync of the folder holding path, so the rename itself survives a crash */
static int sync_folder(const char *path)
{
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = 0;
	else if (slash)
		*slash = 0;
	else
		snprintf(dir, sizeof(dir), ".");
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return -1;
	int r = fsync(fd);
	close(fd);
	return r;
}

ampcl_status ampcl_atomic_commit(struct ampcl_atomic *a)
{
	int ok = a->f && !ferror(a->f) && fflush(a->f) == 0 && fsync(fileno(a->f)) == 0;
	int err = ok ? 0 : errno;
	if (a->f && fclose(a->f) != 0 && ok)
		ok = 0, err = errno;
	a->f = NULL;
	if (ok && rename(a->tmp, a->path) != 0)
		ok = 0, err = errno;
	if (!ok) {
		unlink(a->tmp);
		/* a full disk or a size limit is the machine's state, not the user's input */
		int runtime = err == ENOSPC || err == EFBIG || err == EDQUOT || err == EIO;
		return ampcl_error_set(runtime ? AMPCL_ERR_WRITE_FAILED : AMPCL_ERR_IO,
				       "cannot write '%s': %s; check the folder's permissions and "
				       "free space",
				       a->path, strerror(err ? err : EIO));
	}
	sync_folder(a->path); /* best effort: some file systems refuse fsync on a folder */
	return AMPCL_OK;
}

void ampcl_atomic_abort(struct ampcl_atomic *a)
{
	if (a->f)
		fclose(a->f);
	a->f = NULL;
	unlink(a->tmp);
}

struct ampcl_atomic_file {
	struct ampcl_atomic a;
};

AMPCL_API ampcl_status ampcl_atomic_file_open(const char *path, ampcl_atomic_file_t **out,
					      FILE **stream)
{
	struct ampcl_atomic_file *f = ampcl_xcalloc(1, sizeof(*f));
	ampcl_status st = ampcl_atomic_open(&f->a, path);
	if (st) {
		free(f);
		*out = NULL, *stream = NULL;
		return st;
	}
	*out = f;
	*stream = f->a.f;
	return AMPCL_OK;
}

AMPCL_API ampcl_status ampcl_atomic_file_commit(ampcl_atomic_file_t *f)
{
	ampcl_status st = ampcl_atomic_commit(&f->a);
	free(f);
	return st;
}

AMPCL_API void ampcl_atomic_file_abort(ampcl_atomic_file_t *f)
{
	if (!f)
		return;
	ampcl_atomic_abort(&f->a);
	free(f);
}

/* open(path, flags) as a stream in `mode`, only if it is a regular file (EINVAL otherwise). */
static FILE *open_regular(const char *path, int flags, const char *mode)
{
	int fd = open(path, flags | O_NONBLOCK | O_CLOEXEC, 0644);
	struct stat sb;
	if (fd >= 0 && (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	FILE *f = fd >= 0 ? fdopen(fd, mode) : NULL;
	if (fd >= 0 && !f)
		close(fd);
	return f;
}

FILE *ampcl_open_input(const char *path)
{
	return open_regular(path, O_RDONLY, "rb");
}

AMPCL_API ampcl_status ampcl_input_open(const char *path, const char *what, FILE **stream)
{
	*stream = ampcl_open_input(path);
	if (*stream)
		return AMPCL_OK;
	if (errno == EINVAL)
		return ampcl_check_regular(path, what, AMPCL_ERR_BAD_FILE) ? AMPCL_ERR_BAD_FILE
		       : ampcl_error_set(AMPCL_ERR_BAD_FILE, "%s '%s' is not a regular file", what,
					 path);
	return ampcl_error_set(AMPCL_ERR_IO, "cannot read %s '%s': %s", what, path,
			       strerror(errno));
}

FILE *ampcl_open_append(const char *path)
{
	return open_regular(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, "a");
}

ampcl_status ampcl_check_regular(const char *path, const char *what, int status)
{
	struct stat sb;
	if (stat(path, &sb) != 0 || S_ISREG(sb.st_mode))
		return AMPCL_OK; /* missing: the open that follows says so */
	return ampcl_error_set(status,
			       "%s '%s' is not a regular file (it is a %s); give the path of a "
			       "file",
			       what, path,
			       S_ISDIR(sb.st_mode)    ? "folder"
			       : S_ISFIFO(sb.st_mode) ? "pipe"
			       : S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode)
				   ? "device"
				   : "socket or other special file");
}
