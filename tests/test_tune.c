/* test_tune.c: per-device tuning: AMPCL_TUNE=quick measures a net's GEMM shapes once and stores
 * choices that keep the untuned bits; full stores others, the same run after run; the table
 * survives damaged lines; bad settings (AMPCL_TUNE, AMPCL_CONV) and misuse are refused. */
#include "net.h"
#include "testutil.h"
#include "tune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

/* A context with AMPCL_TUNE=level and the tuning table (and program cache) in cache_dir. */
static struct ampcl_context *context(const char *level, const char *cache_dir)
{
	setenv("AMPCL_TUNE", level, 1);
	setenv("AMPCL_CACHE_DIR", cache_dir, 1);
	return tu_context();
}

static ampcl_net_t *built(struct ampcl_context *ctx)
{
	ampcl_net_t *net;
	tu_ok(ampcl_net_create(ctx, 3, 16, 16, &net), "net create");
	tu_ok(ampcl_model_build(net, "resnet18", 2, 10), "resnet18 width 2");
	return net;
}

/* The parameters after one SGD step of a fresh net (seed 7) on fixed data; caller frees. */
static float *one_step(struct ampcl_context *ctx, int tune, size_t *count)
{
	enum { B = 5 };
	ampcl_net_t *net = built(ctx);
	struct ampcl_tune_report rep;
	if (tune)
		tu_ok(ampcl_net_tune(net, B, &rep), "tune");
	tu_ok(ampcl_net_finalize(net, B, 7), "finalize");
	float x[B * 3 * 16 * 16];
	int labels[B];
	unsigned long long rng = 99;
	tu_fill_uniform_f(x, sizeof(x) / sizeof(x[0]), &rng, -1, 1);
	for (int i = 0; i < B; i++)
		labels[i] = i * 3 % 10;
	struct ampcl_step_result r;
	tu_ok(ampcl_net_train_step(net, x, labels, B, 0.1f, &r), "train step");
	struct ampcl_tensor all = ampcl_net_arena_view(net->params);
	*count = ampcl_tensor_count(&all);
	float *p = tu_malloc(*count * sizeof(float));
	tu_ok(ampcl_tensor_read(ctx, &all, p), "read parameters");
	ampcl_net_free(net);
	return p;
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ampcl_test_tune_XXXXXX");
	if (!mkdtemp(dir)) {
		printf("FAIL cannot create a temporary folder\n");
		return 1;
	}
	char quick_dir[128], full_dir[128];
	snprintf(quick_dir, sizeof(quick_dir), "%s/quick", dir);
	snprintf(full_dir, sizeof(full_dir), "%s/full", dir);

	/* quick: shapes measured once, then read; the choices keep the untuned bits */
	struct ampcl_context *ctx = context("quick", quick_dir);
	int packed = ctx->profile.gemm_packed;
	ampcl_net_t *net = built(ctx);
	struct ampcl_tune_report rep;
	tu_ok(ampcl_net_tune(net, 5, &rep), "quick tune");
	tu_check(rep.level == 1 && (packed ? rep.measured > 0 : rep.measured == 0) &&
		     rep.stored == rep.measured && (!rep.measured || access(rep.table, R_OK) == 0),
		 "quick tuning measures the CPU GEMM's shapes and stores them",
		 "level %d, %d shapes timed, %d changed, %d stored in '%s' (%.2f s)", rep.level,
		 rep.measured, rep.changed, rep.stored, rep.table, rep.seconds);
	int stored = rep.stored;
	tu_ok(ampcl_net_tune(net, 5, &rep), "tune again");
	tu_check(rep.measured == 0 && rep.stored == stored, "a second tuning reads the table",
		 "%d shapes timed, %d stored", rep.measured, rep.stored);
	tu_ok(ampcl_net_finalize(net, 5, 1), "finalize after tuning");
	int st = ampcl_net_tune(net, 5, &rep);
	tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(ampcl_last_error(), "before finalizing"),
		 "tuning a finalized net is refused", "status %d: %s", st, ampcl_last_error());
	ampcl_net_free(net);
	size_t n_tuned, n_plain;
	float *tuned = one_step(ctx, 1, &n_tuned);
	ampcl_context_free(ctx);
	ctx = context("off", quick_dir);
	float *plain = one_step(ctx, 1, &n_plain);
	ampcl_context_free(ctx);
	tu_check(n_tuned == n_plain && !memcmp(tuned, plain, n_plain * sizeof(float)),
		 "quick choices compute the untuned bits",
		 "one SGD step, %zu parameters compared bitwise", n_plain);
	free(tuned);
	free(plain);

	/* full: other variants too (work-groups, split-k); the same bits from run to run */
	ctx = context("full", full_dir);
	net = built(ctx);
	tu_ok(ampcl_net_tune(net, 5, &rep), "full tune");
	/* something to tune on every device: Winograd against the direct path at each 3x3
	 * stride-1 convolution, and the packed CPU GEMM or split-k where the profile has them */
	tu_check(rep.level == 2 && rep.measured > 0 && rep.stored == rep.measured,
		 "full tuning measures the GEMM shapes", "%d shapes timed, %d changed (%.2f s)",
		 rep.measured, rep.changed, rep.seconds);
	ampcl_net_free(net);
	char table[4200];
	snprintf(table, sizeof(table), "%s", rep.table);
	size_t n1, n2;
	float *a = one_step(ctx, 1, &n1);
	ampcl_context_free(ctx);
	ctx = context("full", full_dir); /* a later run: the choices come from the file */
	float *b = one_step(ctx, 1, &n2);
	tu_check(ctx->tune.n == rep.stored && n1 == n2 && !memcmp(a, b, n1 * sizeof(float)),
		 "full choices give the same bits in a later run",
		 "%d choices read back, %zu parameters compared bitwise", ctx->tune.n, n1);
	ampcl_context_free(ctx);
	free(a);
	free(b);

	/* damaged lines are skipped; the good ones still count */
	int lines = tu_count_lines(table);
	if (!lines) { /* nothing was tunable: a table with one choice */
		FILE *h = fopen(table, "w");
		if (h) {
			fputs("# ampcl tuning table\npacked 1 2 3 1 0 2 8 8 0 0\n", h);
			fclose(h);
		}
		lines = tu_count_lines(table);
	}
	FILE *f = fopen(table, "a");
	if (f) {
		fputs("packed 1 2 3 1 0 1 8 x 0 0\npacked 5 5 5 1 0 9 8 8 0 0\n\nx\npacked 7", f);
		fclose(f);
	}
	ctx = context("full", full_dir);
	tu_check(f && ctx->tune.n == lines - 1, "damaged table lines are skipped",
		 "%d choices read from %d good lines", ctx->tune.n, lines - 1);
	ampcl_context_free(ctx);

	/* the table is an input like any other: a link to a device or a FIFO at its name is not
	 * read (nor waited on) */
	char odd_dir[128], odd_table[4200];
	snprintf(odd_dir, sizeof(odd_dir), "%s/odd", dir);
	ctx = context("quick", odd_dir);
	snprintf(odd_table, sizeof(odd_table), "%s", ctx->tune.path);
	ampcl_context_free(ctx);
	mkdir(odd_dir, 0755);
	int linked = symlink("/dev/zero", odd_table) == 0;
	ctx = context("quick", odd_dir);
	tu_check(linked && ctx->tune.n == 0, "a table linked to /dev/zero is not read",
		 "%d choices", ctx->tune.n);
	ampcl_context_free(ctx);
	unlink(odd_table);
	int fifo = mkfifo(odd_table, 0644) == 0;
	ctx = context("quick", odd_dir);
	tu_check(fifo && ctx->tune.n == 0, "a FIFO at the table's name is not waited on",
		 "%d choices", ctx->tune.n);
	ampcl_context_free(ctx);
	unlink(odd_table);

	/* one edited value: a panel height no micro-kernel is built for, or other work-groups in
	 * a quick line, is skipped with a warning naming the file and line; the run keeps the
	 * untuned bits */
	char quick_table[4200];
	ctx = context("quick", quick_dir);
	snprintf(quick_table, sizeof(quick_table), "%s", ctx->tune.path);
	ampcl_context_free(ctx);
	size_t good_len;
	char *good = tu_read_file(quick_table, &good_len);
	char *line = good ? strstr(good, "\npacked ") : NULL;
	if (line) {
		ctx = context("off", quick_dir);
		plain = one_step(ctx, 0, &n_plain);
		ampcl_context_free(ctx);
		static const char *const edits[][2] = {{"1", "0"},  {"7", "0"},       {"13", "0"},
						       {"-3", "0"}, {"1000000", "0"}, {"-1000000", "0"},
						       {"8", "-1"}, {"8", "1000000"}};
		int skipped = 0, same_bits = 0, named = 0;
		size_t n_edits = sizeof(edits) / sizeof(edits[0]);
		for (size_t e = 0; e < n_edits; e++) {
			/* "packed M N K B S LEVEL MR GPC 0 0": keep the key, write level 1 */
			char key[128];
			int words = 0, at = 0;
			for (const char *c = line + 1; *c && *c != '\n' && words < 6; c++, at++)
				words += *c == ' ';
			snprintf(key, sizeof(key), "%.*s", at - 1, line + 1);
			FILE *h = fopen(quick_table, "w");
			fprintf(h, "# ampcl tuning table\n%s 1 %s %s 0 0\n", key, edits[e][0],
				edits[e][1]);
			fclose(h);
			ctx = context("quick", quick_dir);
			size_t n_edit;
			float *got = one_step(ctx, 1, &n_edit);
			const char *w = ampcl_tune_warning(ctx);
			skipped += strstr(w, "line 2") != NULL;
			named += strstr(w, quick_table) != NULL;
			same_bits += n_edit == n_plain && !memcmp(got, plain, n_plain * sizeof(float));
			free(got);
			ampcl_context_free(ctx);
		}
		tu_check(skipped == (int)n_edits && named == (int)n_edits &&
			     same_bits == (int)n_edits,
			 "edited table values are skipped with a warning",
			 "%zu edits: %d skipped, %d named the file, %d kept the untuned bits",
			 n_edits, skipped, named, same_bits);
		free(plain);
	}
	free(good);

	/* two processes storing at once: the second keeps what the first stored */
	char merge_dir[128];
	snprintf(merge_dir, sizeof(merge_dir), "%s/merge", dir);
	struct ampcl_context *one = context("quick", merge_dir);
	struct ampcl_context *two = context("quick", merge_dir);
	int v1[AMPCL_TUNE_VALUES] = {8, 8, 0, 0}, v2[AMPCL_TUNE_VALUES] = {6, 8, 0, 0};
	ampcl_tune_store(one, "packed 1 1 1 1 0", v1);
	ampcl_tune_store(two, "packed 2 2 2 1 0", v2);
	ampcl_tune_save(one);
	ampcl_tune_save(two);
	ampcl_context_free(one);
	ampcl_context_free(two);
	ctx = context("quick", merge_dir);
	tu_check(ctx->tune.n == 2, "two tunings of one table keep both", "%d choices",
		 ctx->tune.n);
	ampcl_context_free(ctx);

	/* AMPCL_CONV names a convolution path */
	ampcl_context_t *bad;
	setenv("AMPCL_CONV", "fft", 1);
	st = ampcl_context_create(NULL, &bad);
	tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(ampcl_last_error(), "AMPCL_CONV='fft'"),
		 "a bad AMPCL_CONV is refused", "status %d: %s", st, ampcl_last_error());
	unsetenv("AMPCL_CONV");

	/* AMPCL_TUNE names a level */
	setenv("AMPCL_TUNE", "fast", 1);
	st = ampcl_context_create(NULL, &bad);
	tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(ampcl_last_error(), "AMPCL_TUNE='fast'"),
		 "a bad AMPCL_TUNE is refused", "status %d: %s", st, ampcl_last_error());

	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("note: could not remove %s\n", dir);
	return tu_finish();
}
