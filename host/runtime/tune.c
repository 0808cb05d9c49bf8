/* tune.c: the tuning table: AMPCL_TUNE, the file tune-KEY.txt in the program cache's folder (KEY
 * hashes the device, driver and ampcl version, as program binaries' keys do), lookups, timing. */
#include "tune.h"
#include "alloc.h"
#include "clock.h"
#include "context.h"
#include "error.h"
#include "files.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <unistd.h>

#define TUNE_HEADER "# ampcl tuning table: key... level value0 value1 value2 value3"
#define TUNE_WARNING_SIZE 1024
/* the most of a table file read: far more than every shape of every network stores */
#define TUNE_MAX_BYTES ((size_t)4 << 20)

static void load(struct ampcl_tune *t);

ampcl_status ampcl_tune_init(struct ampcl_context *ctx, const char *setting)
{
	struct ampcl_tune *t = &ctx->tune;
	free(t->warning);
	memset(t, 0, sizeof(*t));
	t->warning = ampcl_xcalloc(1, TUNE_WARNING_SIZE);
	static const char *const names[] = {"off", "quick", "full"};
	t->level = -1;
	if (!*setting)
		t->level = AMPCL_TUNE_QUICK;
	for (int i = 0; i < 3 && t->level < 0; i++)
		if (!strcasecmp(setting, names[i]))
			t->level = i;
	if (t->level < 0)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "AMPCL_TUNE='%s': the valid values are off, quick (the "
				       "default) and full",
				       setting);
	char key[33];
	ampcl_context_cache_key(ctx, key);
	snprintf(t->path, sizeof(t->path), "%.4000s/tune-%s.txt", ctx->env.cache_dir, key);
	if (!ctx->env.cache_enabled)
		t->path[0] = 0; /* measured choices then last as long as the context */
	if (t->level != AMPCL_TUNE_OFF)
		load(t);
	return AMPCL_OK;
}

void ampcl_tune_free(struct ampcl_context *ctx)
{
	free(ctx->tune.entries);
	free(ctx->tune.warning);
	ctx->tune.entries = NULL;
	ctx->tune.warning = NULL;
	ctx->tune.n = 0;
}

static struct ampcl_tune_entry *find(struct ampcl_tune *t, const char *key)
{
	for (int i = 0; i < t->n; i++)
		if (!strcmp(t->entries[i].key, key))
			return &t->entries[i];
	return NULL;
}

static void put(struct ampcl_tune *t, const char *key, int level, const int *value, int line)
{
	struct ampcl_tune_entry *e = find(t, key);
	if (!e) {
		t->entries = ampcl_xrealloc(t->entries, (size_t)(t->n + 1) * sizeof(*t->entries));
		e = &t->entries[t->n++];
		snprintf(e->key, sizeof(e->key), "%s", key);
	}
	e->level = level;
	e->line = line;
	memcpy(e->value, value, sizeof(e->value));
}

/* Reads the file into t: a line is the key's words, then the level and the values (five
 * integers). A line that does not parse is skipped: the table is a cache, measured again when
 * missing. Only a regular file is read, and only its first TUNE_MAX_BYTES (a link to a device
 * or a FIFO at its name must not hang a run). With keep, entries already in t stay. */
static void load_into(struct ampcl_tune *t, const char *path, int keep)
{
	FILE *f = path[0] ? ampcl_open_input(path) : NULL;
	if (!f)
		return;
	char line[512];
	int number = 0;
	size_t bytes = 0;
	while (bytes < TUNE_MAX_BYTES && fgets(line, sizeof(line), f)) {
		bytes += strlen(line) + 1;
		number++;
		if (line[0] == '#' || !strchr(line, '\n'))
			continue;
		int v[1 + AMPCL_TUNE_VALUES], nv = 0;
		char *end = line + strlen(line);
		while (end > line && (end[-1] == '\n' || end[-1] == ' '))
			*--end = 0;
		/* the last five words are the numbers; what precedes them is the key */
		while (nv < 1 + AMPCL_TUNE_VALUES) {
			char *sp = strrchr(line, ' ');
			char *num = sp ? sp + 1 : NULL, *stop;
			long x = num ? strtol(num, &stop, 10) : 0;
			if (!num || stop == num || *stop || x < -1000000 || x > 1000000)
				break;
			v[AMPCL_TUNE_VALUES - nv++] = (int)x;
			*sp = 0;
		}
		if (nv != 1 + AMPCL_TUNE_VALUES || !line[0] ||
		    strlen(line) >= sizeof(t->entries->key) || v[0] < AMPCL_TUNE_QUICK ||
		    v[0] > AMPCL_TUNE_FULL || (keep && find(t, line)))
			continue;
		put(t, line, v[0], v + 1, number);
	}
	fclose(f);
}

static void load(struct ampcl_tune *t)
{
	load_into(t, t->path, 0);
}

int ampcl_tune_lookup(const struct ampcl_context *ctx, const char *key, int level, int *value,
		      ampcl_tune_valid_fn valid, const void *arg)
{
	const struct ampcl_tune *t = &ctx->tune;
	if (t->level == AMPCL_TUNE_OFF)
		return 0;
	struct ampcl_tune_entry *e = NULL;
	for (int i = 0; i < t->n && !e; i++)
		e = !strcmp(t->entries[i].key, key) ? &t->entries[i] : NULL;
	if (!e || e->level < level)
		return 0;
	if (valid && !valid(ctx, e->value, e->level, arg)) {
		if (t->warning && !t->warning[0])
			snprintf(t->warning, TUNE_WARNING_SIZE,
				 "tuning table '%.300s' line %d: '%.100s' holds values (%d %d %d %d) "
				 "that are no choice of that operation; the line is skipped (ampcl "
				 "tune measures it again)",
				 t->path, e->line, e->key, e->value[0], e->value[1], e->value[2],
				 e->value[3]);
		return 0;
	}
	memcpy(value, e->value, sizeof(e->value));
	e->used++;
	return 1;
}

const char *ampcl_tune_warning(const struct ampcl_context *ctx)
{
	return ctx->tune.warning ? ctx->tune.warning : "";
}

void ampcl_tune_store(struct ampcl_context *ctx, const char *key, const int *value)
{
	struct ampcl_tune *t = &ctx->tune;
	put(t, key, t->level, value, 0);
	t->dirty = 1;
}

void ampcl_tune_save(struct ampcl_context *ctx)
{
	struct ampcl_tune *t = &ctx->tune;
	if (!t->dirty || !t->path[0])
		return;
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s", ctx->env.cache_dir);
	if (ampcl_make_dirs(dir))
		return;
	/* another process (a second `ampcl tune`) may have stored choices since this one read
	 * the file: under the lock, what the file holds now joins this table, this table's own
	 * measurements first */
	char lock_path[4300];
	snprintf(lock_path, sizeof(lock_path), "%s.lock", t->path);
	int lock = open(lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (lock >= 0 && flock(lock, LOCK_EX) != 0) {
		close(lock);
		lock = -1;
	}
	load_into(t, t->path, 1);
	struct ampcl_atomic a;
	if (ampcl_atomic_open(&a, t->path)) {
		if (lock >= 0)
			close(lock);
		return;
	}
	fprintf(a.f, "%s\n", TUNE_HEADER);
	for (int i = 0; i < t->n; i++) {
		const struct ampcl_tune_entry *e = &t->entries[i];
		fprintf(a.f, "%s %d", e->key, e->level);
		for (int k = 0; k < AMPCL_TUNE_VALUES; k++)
			fprintf(a.f, " %d", e->value[k]);
		fputc('\n', a.f);
	}
	if (!ampcl_atomic_commit(&a))
		t->dirty = 0;
	if (lock >= 0)
		close(lock); /* and the lock with it */
}

ampcl_status ampcl_tune_time(struct ampcl_context *ctx, ampcl_status (*run)(void *), void *arg,
			     int reps, double *seconds)
{
	*seconds = -1;
	for (int r = -1; r < reps; r++) { /* r = -1: the warm-up */
		double t0 = ampcl_now();
		ampcl_status st = run(arg);
		cl_int err = st ? CL_SUCCESS : clFinish(ctx->queue);
		if (st || err != CL_SUCCESS)
			return st ? st
				  : ampcl_error_set(err, "tuning: the device failed: %s",
						    ampcl_cl_error_name(err));
		double dt = ampcl_now() - t0;
		if (r >= 0 && (*seconds < 0 || dt < *seconds))
			*seconds = dt;
	}
	return AMPCL_OK;
}
