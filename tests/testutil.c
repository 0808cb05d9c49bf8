/* testutil.c: the shared helpers of the ctest programs (see testutil.h): checks that say what
 * they compared and by how much they missed, and the closing "N passed, M failed" line. */
#include "testutil.h"
#include "rng.h"

#include <math.h>
#include <png.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <pty.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int passed, failed;

struct ampcl_context *tu_context(void)
{
	ampcl_context_t *ctx;
	int st = ampcl_context_create(NULL, &ctx);
	if (st) {
		fprintf(stderr, "cannot open the test device: %s\n", ampcl_last_error());
		exit(1);
	}
	return ctx;
}

void tu_check(int ok, const char *name, const char *fmt, ...)
{
	va_list ap;
	printf("%s %s: ", ok ? "PASS" : "FAIL", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (ok)
		passed++;
	else
		failed++;
}

void tu_ok(int st, const char *what)
{
	if (st == AMPCL_OK)
		return;
	printf("FAIL %s: status %d (%s): %s\n", what, st, ampcl_status_name(st),
	       ampcl_last_error());
	failed++;
	tu_finish();
	exit(1);
}

int tu_compare(const char *name, const float *got, const double *want, size_t n, double atol,
	       double rtol)
{
	double max_abs = 0, max_rel = 0;
	size_t worst = 0, bad = 0;
	for (size_t i = 0; i < n; i++) {
		double err = fabs((double)got[i] - want[i]);
		double rel = err / (fabs(want[i]) > 1e-30 ? fabs(want[i]) : 1e-30);
		int ok = err <= atol + rtol * fabs(want[i]);
		if (!ok || isnan(got[i])) {
			if (!bad)
				worst = i;
			bad++;
		}
		if (err > max_abs || isnan(err)) {
			max_abs = isnan(err) ? INFINITY : err;
			if (!bad)
				worst = i;
		}
		if (rel > max_rel && fabs(want[i]) > atol)
			max_rel = rel;
	}
	tu_check(
	    bad == 0, name,
	    "%zu values, max abs err %.3g, max rel err %.3g (atol %.1g, rtol %.1g), %zu out of "
	    "tolerance%s",
	    n, max_abs, max_rel, atol, rtol, bad, bad ? "" : "");
	if (bad)
		printf("     first bad/worst at %zu: got %.9g want %.9g\n", worst,
		       (double)got[worst], want[worst]);
	return bad == 0;
}

int tu_finish(void)
{
	printf("%d passed, %d failed\n", passed, failed);
	fflush(stdout);
	return failed ? 1 : 0;
}

void tu_fill_uniform_f(float *x, size_t n, unsigned long long *state, float lo, float hi)
{
	uint64_t s = *state; /* the library's splitmix64 stream: fixed on every platform */
	for (size_t i = 0; i < n; i++)
		x[i] = lo + (float)(ampcl_uniform01(&s) * (double)(hi - lo));
	*state = s;
}

void tu_float_to_double(double *dst, const float *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = src[i];
}

double *tu_to_double(const float *src, size_t n)
{
	double *d = tu_malloc((n ? n : 1) * sizeof(double));
	tu_float_to_double(d, src, n);
	return d;
}

void *tu_malloc(size_t bytes)
{
	void *p = calloc(1, bytes ? bytes : 1);
	if (!p)
		abort();
	return p;
}

void tu_arena_init(struct tu_arena *a, const char *role)
{
	a->arena = ampcl_arena_create(role);
}

struct ampcl_tensor tu_reserve(struct tu_arena *a, const char *name, int ndim, const int *shape)
{
	struct ampcl_tensor pad, t;
	int one[1] = {1};
	tu_ok(ampcl_arena_reserve(a->arena, "pad", 1, one, &pad), "reserve pad");
	tu_ok(ampcl_arena_reserve(a->arena, name, ndim, shape, &t), name);
	return t;
}

void tu_arena_commit(struct ampcl_context *ctx, struct tu_arena *a)
{
	tu_ok(ampcl_arena_commit(ctx, a->arena), "arena commit");
}

void tu_arena_free(struct tu_arena *a)
{
	ampcl_arena_free(a->arena);
	a->arena = NULL;
}

void tu_poison(struct ampcl_context *ctx, const struct ampcl_tensor *t)
{
	tu_ok(ampcl_tensor_fill(ctx, t, NAN), "poison");
}

static void write_cifar_file(const char *dir, const char *name, int n, unsigned long long *seed)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	for (int i = 0; i < n; i++) {
		unsigned char rec[3073];
		float r[3072];
		rec[0] = (unsigned char)(i % 3);
		tu_fill_uniform_f(r, 3072, seed, 0, 80);
		for (int k = 1; k < 3073; k++)
			rec[k] = (unsigned char)(rec[0] * 80 + (int)r[k - 1]);
		fwrite(rec, 1, sizeof(rec), f);
	}
	fclose(f);
}

void tu_write_tiny_cifar(const char *dir, int per_batch, int test)
{
	unsigned long long seed = 3;
	mkdir(dir, 0755);
	for (int i = 1; i <= 5; i++) {
		char name[32];
		snprintf(name, sizeof(name), "data_batch_%d.bin", i);
		write_cifar_file(dir, name, per_batch, &seed);
	}
	write_cifar_file(dir, "test_batch.bin", test, &seed);
}

int tu_run_cli(const char *args, char *out, size_t size)
{
	const char *bin = getenv("AMPCL_BIN");
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "'%s' %s 2>&1", bin ? bin : "ampcl", args);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	size_t n = fread(out, 1, size - 1, p);
	out[n] = 0;
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int tu_run_on_terminal(int columns, int fd, const char *other_out, char *const argv[], char *screen,
		       size_t size)
{
	const char *bin = getenv("AMPCL_BIN");
	screen[0] = 0;
	int master, slave;
	struct winsize ws = {.ws_row = 24, .ws_col = (unsigned short)columns};
	if (openpty(&master, &slave, NULL, NULL, &ws) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(slave, fd);
		FILE *f = freopen(other_out, "w", fd == 1 ? stderr : stdout);
		(void)f;
		close(master);
		unsetenv("COLUMNS");
		char *args[64] = {"ampcl"};
		for (int i = 0; argv[i] && i < 62; i++)
			args[i + 1] = argv[i];
		execv(bin ? bin : "ampcl", args);
		_exit(127);
	}
	close(slave);
	size_t n = 0;
	for (;;) {
		ssize_t r = read(master, screen + n, size - 1 - n);
		if (r <= 0)
			break; /* EIO once the child has closed its side */
		n += (size_t)r;
	}
	screen[n] = 0;
	int status = 0;
	waitpid(pid, &status, 0);
	close(master);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void tu_remove_tree(const char *path)
{
	DIR *d = opendir(path);
	if (!d) {
		unlink(path);
		return;
	}
	struct dirent *e;
	char q[4096];
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(q, sizeof(q), "%s/%s", path, e->d_name);
			tu_remove_tree(q);
		}
	closedir(d);
	rmdir(path);
}

char *tu_read_file(const char *path, size_t *n)
{
	*n = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16;
	char *buf = tu_malloc(cap);
	size_t got;
	while ((got = fread(buf + *n, 1, cap - *n, f)) > 0) {
		*n += got;
		if (*n == cap)
			buf = realloc(buf, cap *= 2);
		if (!buf)
			abort();
	}
	fclose(f);
	return buf;
}

int tu_count_substr(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

int tu_count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	int n = 0, c;
	while (f && (c = fgetc(f)) != EOF)
		n += c == '\n';
	if (f)
		fclose(f);
	return n;
}

void tu_write_file(const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f)) {
		printf("FAIL cannot write test file %s\n", path);
		exit(1);
	}
}

long tu_file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) ? -1 : (long)sb.st_size;
}

int tu_count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

void tu_write_png(const char *p, int w, int h, int type, int depth, const unsigned char *rows,
		  const void *palette, int npal)
{
	const png_color *pal = palette;
	FILE *f = fopen(p, "wb");
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	if (!f || !png || !info || setjmp(png_jmpbuf(png))) {
		fprintf(stderr, "cannot write %s\n", p);
		exit(1);
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, type, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (pal)
		png_set_PLTE(png, info, pal, npal);
	png_write_info(png, info);
	int ch = type == PNG_COLOR_TYPE_GRAY         ? 1
		 : type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
		 : type == PNG_COLOR_TYPE_RGB        ? 3
		 : type == PNG_COLOR_TYPE_RGBA       ? 4
						     : 1;
	size_t rowbytes = ((size_t)w * ch * depth + 7) / 8;
	for (int y = 0; y < h; y++)
		png_write_row(png, rows + (size_t)y * rowbytes);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	fclose(f);
}
