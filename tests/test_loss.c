/* test_loss.c: softmax cross-entropy against the double reference: the gradient, the mean loss
 * and the correct count reduced on the device, for k = 10, 33 and 1, large logits, argmax ties,
 * more rows than one work-group has lanes, bit-repeatability, and out-of-range labels. */
#include "loss.h"
#include "ref.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long seed = 99;

/* dlogits = (p - onehot)/n: exp, a division and a subtraction in float, |value| <= 1/n */
#define ATOL_GRAD 1e-7
#define RTOL_GRAD 1e-5
/* the mean loss: log of a float sum, summed over rows in float; losses up to ~200 with logits
 * of 80, so the relative bound carries those */
#define ATOL_LOSS 1e-5
#define RTOL_LOSS 1e-5

struct labels {
	cl_mem mem;
	size_t off; /* in ints: a non-zero offset checks that the kernel adds it */
};

static struct labels labels_upload(struct ampcl_context *ctx, const int *lab, int n)
{
	enum { PAD = 5 };
	cl_int err;
	struct labels l = {
	    clCreateBuffer(ctx->cl, CL_MEM_READ_ONLY, (PAD + n) * sizeof(cl_int), NULL, &err), PAD};
	tu_ok(err, "create labels");
	tu_ok(clEnqueueWriteBuffer(ctx->queue, l.mem, CL_TRUE, PAD * sizeof(cl_int),
				   n * sizeof(cl_int), lab, 0, NULL, NULL),
	      "write labels");
	return l;
}

/* scale: logits uniform in [-scale, scale); ties: logits rounded to integers */
static void check_case(struct ampcl_context *ctx, int n, int k, float scale, int ties)
{
	int shape[2] = {n, k}, two[1] = {2};
	size_t count = (size_t)n * k;
	char name[160], what[96];
	snprintf(what, sizeof(what), "n=%d k=%d logits +-%g%s", n, k, scale, ties ? " ties" : "");
	struct tu_arena a;
	tu_arena_init(&a, "loss");
	struct ampcl_tensor logits = tu_reserve(&a, "logits", 2, shape);
	struct ampcl_tensor dlogits = tu_reserve(&a, "dlogits", 2, shape);
	struct ampcl_tensor stats = tu_reserve(&a, "stats", 1, two);
	tu_arena_commit(ctx, &a);

	float *hl = tu_malloc(count * sizeof(float)), *got = tu_malloc(count * sizeof(float));
	float *got2 = tu_malloc(count * sizeof(float)), label_f[1];
	int *lab = tu_malloc((size_t)n * sizeof(int));
	tu_fill_uniform_f(hl, count, &seed, -scale, scale);
	if (ties)
		for (size_t i = 0; i < count; i++)
			hl[i] = roundf(hl[i]);
	for (int i = 0; i < n; i++) {
		tu_fill_uniform_f(label_f, 1, &seed, 0.0f, (float)k);
		lab[i] = (int)label_f[0] < k ? (int)label_f[0] : k - 1;
		/* make about a third of the rows correct, so the count is not trivially 0 */
		if (i % 3 == 0 && k > 1) {
			int arg = 0;
			for (int j = 1; j < k; j++)
				if (hl[(size_t)i * k + j] > hl[(size_t)i * k + arg])
					arg = j;
			lab[i] = arg;
		}
		/* with ties, point some labels at the LAST maximum: only the first one counts */
		if (ties && i % 3 == 1) {
			int last = 0;
			for (int j = 1; j < k; j++)
				if (hl[(size_t)i * k + j] >= hl[(size_t)i * k + last])
					last = j;
			lab[i] = last;
		}
	}
	double *ld = tu_malloc(count * sizeof(double)), *want = tu_malloc(count * sizeof(double));
	tu_float_to_double(ld, hl, count);
	int want_correct = -1;
	double want_loss = ref_softmax_ce(want, &want_correct, ld, lab, n, k);

	struct labels l = labels_upload(ctx, lab, n);
	float st[2], st2[2];
	tu_ok(ampcl_tensor_write(ctx, &logits, hl), "write logits");
	tu_poison(ctx, &dlogits);
	tu_poison(ctx, &stats);
	tu_ok(ampcl_softmax_ce(ctx, &dlogits, &stats, &logits, l.mem, l.off, n, k), "softmax ce");
	tu_ok(ampcl_tensor_read(ctx, &dlogits, got), "read dlogits");
	tu_ok(ampcl_tensor_read(ctx, &stats, st), "read stats");
	snprintf(name, sizeof(name), "softmax-ce dlogits %s", what);
	tu_compare(name, got, want, count, ATOL_GRAD, RTOL_GRAD);
	snprintf(name, sizeof(name), "softmax-ce mean loss %s", what);
	tu_compare(name, &st[0], &want_loss, 1, ATOL_LOSS, RTOL_LOSS);
	snprintf(name, sizeof(name), "softmax-ce correct count %s", what);
	tu_check(st[1] == (float)want_correct, name, "got %g, want %d (exact)", st[1],
		 want_correct);

	tu_poison(ctx, &dlogits);
	tu_poison(ctx, &stats);
	tu_ok(ampcl_softmax_ce(ctx, &dlogits, &stats, &logits, l.mem, l.off, n, k), "softmax ce");
	tu_ok(ampcl_tensor_read(ctx, &dlogits, got2), "read dlogits");
	tu_ok(ampcl_tensor_read(ctx, &stats, st2), "read stats");
	snprintf(name, sizeof(name), "softmax-ce %s repeatable", what);
	tu_check(!memcmp(got, got2, count * sizeof(float)) && !memcmp(st, st2, sizeof(st)), name,
		 "dlogits and stats bit-identical over two runs");

	clReleaseMemObject(l.mem);
	free(hl), free(got), free(got2), free(lab), free(ld), free(want);
	tu_arena_free(&a);
}

/* Labels -1 and k: no crash, the loss flags NaN, those rows get zero gradient and are not
 * counted; the other rows are as the reference computes them. */
static void check_bad_labels(struct ampcl_context *ctx)
{
	enum { N = 4, K = 10 };
	int shape[2] = {N, K}, two[1] = {2};
	struct tu_arena a;
	tu_arena_init(&a, "loss-bad");
	struct ampcl_tensor logits = tu_reserve(&a, "logits", 2, shape);
	struct ampcl_tensor dlogits = tu_reserve(&a, "dlogits", 2, shape);
	struct ampcl_tensor stats = tu_reserve(&a, "stats", 1, two);
	tu_arena_commit(ctx, &a);
	float hl[N * K], got[N * K], st[2];
	tu_fill_uniform_f(hl, N * K, &seed, -3.0f, 3.0f);
	int lab[N] = {2, -1, K, 0};
	double ld[N * K], want[N * K];
	tu_float_to_double(ld, hl, N * K);
	int good[2] = {lab[0], lab[3]};
	double two_rows[2 * K], grad2[2 * K];
	memcpy(two_rows, ld, K * sizeof(double));
	memcpy(two_rows + K, ld + 3 * K, K * sizeof(double));
	int want_correct;
	ref_softmax_ce(grad2, &want_correct, two_rows, good, 2, K);
	for (int j = 0; j < K; j++) { /* the reference averaged over 2 rows; the kernel over 4 */
		want[j] = grad2[j] * 2 / N;
		want[K + j] = 0.0;
		want[2 * K + j] = 0.0;
		want[3 * K + j] = grad2[K + j] * 2 / N;
	}
	struct labels l = labels_upload(ctx, lab, N);
	tu_ok(ampcl_tensor_write(ctx, &logits, hl), "write logits");
	tu_poison(ctx, &dlogits);
	tu_poison(ctx, &stats);
	tu_ok(ampcl_softmax_ce(ctx, &dlogits, &stats, &logits, l.mem, l.off, N, K), "softmax ce");
	tu_ok(ampcl_tensor_read(ctx, &dlogits, got), "read dlogits");
	tu_ok(ampcl_tensor_read(ctx, &stats, st), "read stats");
	tu_compare("softmax-ce labels -1 and k: dlogits (bad rows zero)", got, want, N * K,
		   ATOL_GRAD, RTOL_GRAD);
	tu_check(isnan(st[0]) && st[1] == (float)want_correct,
		 "softmax-ce labels -1 and k: flagged",
		 "mean loss %g (want NaN), correct %g (want %d)", st[0], st[1], want_correct);

	int st_code = ampcl_softmax_ce(ctx, &dlogits, &stats, &logits, l.mem, l.off, N, K + 1);
	tu_check(st_code == AMPCL_ERR_INVALID_ARG, "softmax-ce wrong k refused", "status %d: %s",
		 st_code, ampcl_last_error());
	st_code = ampcl_softmax_ce(ctx, &dlogits, &stats, &logits, l.mem, l.off + 2, N, K);
	tu_check(st_code == AMPCL_ERR_INVALID_ARG, "softmax-ce labels past the buffer refused",
		 "status %d: %s", st_code, ampcl_last_error());
	clReleaseMemObject(l.mem);
	tu_arena_free(&a);
}

int main(void)
{
	struct ampcl_context *ctx = tu_context();
	check_case(ctx, 1, 10, 3.0f, 0);
	check_case(ctx, 3, 10, 3.0f, 0);
	check_case(ctx, 3, 1, 3.0f, 0);
	check_case(ctx, 33, 10, 80.0f, 0);
	check_case(ctx, 3, 33, 100.0f, 0);
	check_case(ctx, 33, 10, 2.0f, 1);
	check_case(ctx, 301, 10, 5.0f, 0); /* more rows than lanes: each lane takes several */
	check_bad_labels(ctx);
	ampcl_context_free(ctx);
	return tu_finish();
}
