/* testutil.h: what every ctest program shares: a context on the test device, tensors made from
 * host arrays, poisoned outputs, tolerance checks that print what they compared, and the tally. */
#ifndef AMPCL_TESTUTIL_H
#define AMPCL_TESTUTIL_H

#include "arena.h"
#include "context.h"
#include "error.h"
#include "launch.h"
#include "program.h"

#include <stddef.h>

/* Opens the device named by AMPCL_DEVICE (default rule otherwise); exits 1 with the message
 * if it cannot. */
struct ampcl_context *tu_context(void);

/* Records a check's outcome: prints "PASS|FAIL name: detail" and counts it. */
void tu_check(int ok, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Fails the test now if st is not AMPCL_OK, printing the library's message. */
void tu_ok(int st, const char *what);

/* Compares got (float, from the device) with want (double reference) elementwise: every
 * |got - want| <= atol + rtol * |want|; NaN anywhere fails (an unwritten poisoned element). */
int tu_compare(const char *name, const float *got, const double *want, size_t n, double atol,
	       double rtol);

/* Prints "N passed, M failed" and returns the exit code (0 when nothing failed). */
int tu_finish(void);

/* Deterministic uniform values in [lo, hi). */
void tu_fill_uniform_f(float *x, size_t n, unsigned long long *state, float lo, float hi);
void tu_float_to_double(double *dst, const float *src, size_t n);
/* A new array (tu_malloc, caller frees) with src's n values as doubles. */
double *tu_to_double(const float *src, size_t n);
void *tu_malloc(size_t bytes); /* aborts on failure */

/* Runs the ampcl program ($AMPCL_BIN) with args through the shell; captures stdout and stderr
 * into out and returns the exit status (-1 if it did not exit). */
int tu_run_cli(const char *args, char *out, size_t size);
/* Runs the ampcl program with argv (after the program's name) with file descriptor fd (1 or 2)
 * on a pseudo-terminal of `columns` columns and the other one into the file other_out; what
 * the terminal received goes into screen. Returns the exit status (-1 if it did not exit or no
 * pseudo-terminal could be had). */
int tu_run_on_terminal(int columns, int fd, const char *other_out, char *const argv[], char *screen,
		       size_t size);
/* rm -rf path, without a shell. */
void tu_remove_tree(const char *path);

/* A CIFAR-10 binary folder at dir (created) with per_batch images in each of the five training
 * files and test images in test_batch.bin, 3 classes whose brightness differs, so a net learns. */
void tu_write_tiny_cifar(const char *dir, int per_batch, int test);
/* A PNG at path of libpng's colour type and bit depth; rows: the PNG's own packed rows (16-bit
 * big-endian, 1-bit MSB first); palette: png_color[npal] for a palette image, else NULL. */
void tu_write_png(const char *path, int w, int h, int type, int depth, const unsigned char *rows,
		  const void *palette, int npal);
/* Newlines in the file at path (0 when it cannot be read). */
int tu_count_lines(const char *path);
/* How often needle occurs in hay (overlapping occurrences too). */
int tu_count_substr(const char *hay, const char *needle);
/* The whole file at path (caller frees), its size in *n; NULL when it cannot be read. */
char *tu_read_file(const char *path, size_t *n);
/* Writes size bytes of data to path (replacing it); prints FAIL and exits 1 when it cannot. */
void tu_write_file(const char *path, const void *data, size_t size);
/* The size of the file at path in bytes, -1 when it cannot be had. */
long tu_file_size(const char *path);
/* The entries of folder dir but "." and ".." (0 when it cannot be opened). */
int tu_count_entries(const char *dir);

/* A fresh arena holding one tensor per call, each after a small pad so offsets are non-zero. */
struct tu_arena {
	struct ampcl_arena *arena;
};
void tu_arena_init(struct tu_arena *a, const char *role);
struct ampcl_tensor tu_reserve(struct tu_arena *a, const char *name, int ndim, const int *shape);
void tu_arena_commit(struct ampcl_context *ctx, struct tu_arena *a);
void tu_arena_free(struct tu_arena *a);
/* Fills a committed view with NaN so an element a kernel leaves unwritten fails comparison. */
void tu_poison(struct ampcl_context *ctx, const struct ampcl_tensor *t);

#endif
