/* test_conv_winograd.c: Winograd F(2x2, 3x3) (forward and input gradient) against the double
 * reference at odd sizes, within the transform's own rounding-error bound, next to the direct
 * path's error on the same data; AMPCL_CONV's settings and the tuning table's choice. */
#include "testutil.h"
#include "conv.h"
#include "conv_winograd.h"
#include "profile.h"
#include "ref.h"
#include "tune.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct ampcl_context *ctx;
static unsigned long long rng = 4242;

/* The transforms (cl/conv_winograd.cl): U = G g G^T, V = B^T d B, y = A^T M A. */
static const double G[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
static const double BT[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
static const double AT[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};

/*
 * The error bound. Every float operation rounds with a relative error of at most u = 2^-24
 * (products by 1/2 are exact). Following one output of cl/conv_winograd.cl and the GEMM, the
 * roundings on the way of any elementary product w*x are at most
 *     4 (U: two sums of 3 terms)  + 2 (V: two sums of 2)  + 1 (U*V)
 *   + ci - 1 (the GEMM's sum over ci channels, in any order or blocking)
 *   + 4 (A^T M A: two sums of 3)  + 3 (bias, or beta*y0 and its sum)  = ci + 13,
 * so (Higham, Accuracy and Stability, 2nd ed., Lemma 3.1 and 3.3, as for any sum of products)
 *     |y_float - y| <= gamma(ci + 13) * E,  gamma(n) = n*u / (1 - n*u),
 * E = |A^T| (sum_ci (|G| |g| |G^T|) .* (|B^T| |d| |B|)) |A| + |bias| + |beta*y0|: the same
 * algorithm on absolute values. E exceeds the direct sum sum|w||x| because the transforms add
 * and subtract overlapping pixels and taps: on uniform data E / sum|w||x| is ~7 on average and
 * up to ~23 per element (each case line prints both); the direct path's bound is gamma(9ci + 2)
 * * sum|w||x|, so Winograd's is ~7/9 of it at large ci (its sums are 9x shorter, its terms
 * larger). A fused multiply-add only removes roundings. This is a worst case: the observed
 * errors (printed, a few percent of it) are far smaller, and the direct path's observed error
 * on the same data is printed beside them.
 */
static double gamma_n(int n)
{
	double u = ldexp(1.0, -24);
	return n * u / (1 - n * u);
}

/* E (n, ko, po, qo) for a convolution (ci channels in, ko out, hi x wi, pad, 3x3, stride 1) of
 * in (n, ci, hi, wi); flip = 0: g = w[o][i] (w: (ko, ci, 3, 3)); flip = 1: g = w[i][o] rotated
 * 180 degrees (w: (ci, ko, 3, 3)). add0 (n, ko, po, qo) or NULL and bias (ko) or NULL are added
 * in absolute value (add0 times |beta|). S gets sum |w||x| + the same additions. */
static void abs_bound(double *E, double *S, const double *in, const double *w, int n, int ci,
		      int hi, int wi, int ko, int pad, int flip, const double *bias, double beta,
		      const double *add0)
{
	int po = hi + 2 * pad - 2, qo = wi + 2 * pad - 2, th = (po + 1) / 2, tw = (qo + 1) / 2;
	double *U = tu_malloc((size_t)ko * ci * 16 * sizeof(double));
	double *V = tu_malloc((size_t)ci * th * tw * 16 * sizeof(double));
	for (int o = 0; o < ko; o++)
		for (int i = 0; i < ci; i++) {
			double g[3][3];
			for (int r = 0; r < 3; r++)
				for (int s = 0; s < 3; s++)
					g[r][s] =
					    fabs(flip ? w[((size_t)i * ko + o) * 9 + (2 - r) * 3 +
							  (2 - s)]
						      : w[((size_t)o * ci + i) * 9 + r * 3 + s]);
			for (int a = 0; a < 4; a++)
				for (int b = 0; b < 4; b++) {
					double acc = 0;
					for (int r = 0; r < 3; r++)
						for (int s = 0; s < 3; s++)
							acc +=
							    fabs(G[a][r]) * g[r][s] * fabs(G[b][s]);
					U[((size_t)o * ci + i) * 16 + a * 4 + b] = acc;
				}
		}
	for (int b = 0; b < n; b++) {
		for (int i = 0; i < ci; i++)
			for (int ty = 0; ty < th; ty++)
				for (int tx = 0; tx < tw; tx++) {
					double d[4][4];
					for (int r = 0; r < 4; r++)
						for (int s = 0; s < 4; s++) {
							int yy = 2 * ty - pad + r,
							    xx = 2 * tx - pad + s;
							d[r][s] =
							    yy >= 0 && yy < hi && xx >= 0 && xx < wi
								? fabs(in[(((size_t)b * ci + i) *
									       hi +
									   yy) *
									      wi +
									  xx])
								: 0;
						}
					double *v = V + (((size_t)i * th + ty) * tw + tx) * 16;
					for (int a = 0; a < 4; a++)
						for (int e = 0; e < 4; e++) {
							double acc = 0;
							for (int r = 0; r < 4; r++)
								for (int s = 0; s < 4; s++)
									acc += fabs(BT[a][r]) *
									       d[r][s] *
									       fabs(BT[e][s]);
							v[a * 4 + e] = acc;
						}
				}
		for (int o = 0; o < ko; o++)
			for (int ty = 0; ty < th; ty++)
				for (int tx = 0; tx < tw; tx++) {
					double m[16] = {0};
					for (int i = 0; i < ci; i++) {
						const double *u = U + ((size_t)o * ci + i) * 16;
						const double *v =
						    V + (((size_t)i * th + ty) * tw + tx) * 16;
						for (int e = 0; e < 16; e++)
							m[e] += u[e] * v[e];
					}
					for (int r = 0; r < 2; r++)
						for (int s = 0; s < 2; s++) {
							int yy = 2 * ty + r, xx = 2 * tx + s;
							if (yy >= po || xx >= qo)
								continue;
							double acc = 0;
							for (int a = 0; a < 4; a++)
								for (int e = 0; e < 4; e++)
									acc += fabs(AT[r][a]) *
									       m[a * 4 + e] *
									       fabs(AT[s][e]);
							size_t at =
							    (((size_t)b * ko + o) * po + yy) * qo +
							    xx;
							double extra =
							    (bias ? fabs(bias[o]) : 0) +
							    (add0 ? fabs(beta * add0[at]) : 0);
							E[at] = acc + extra;
							/* the direct sum of |w||x| */
							double dsum = 0;
							for (int i = 0; i < ci; i++)
								for (int kr = 0; kr < 3; kr++)
									for (int ks = 0; ks < 3;
									     ks++) {
										int y2 = yy - pad +
											 kr,
										    x2 = xx - pad +
											 ks;
										if (y2 < 0 ||
										    y2 >= hi ||
										    x2 < 0 ||
										    x2 >= wi)
											continue;
										double wv =
										    flip
											? w[((size_t)i *
												 ko +
											     o) *
												9 +
											    (2 -
											     kr) *
												3 +
											    (2 -
											     ks)]
											: w[((size_t)o *
												 ci +
											     i) *
												9 +
											    kr * 3 +
											    ks];
										dsum += fabs(
										    wv *
										    in[(((size_t)b *
											     ci +
											 i) *
											    hi +
											y2) *
											   wi +
										       x2]);
									}
							S[at] = dsum + extra;
						}
				}
	}
	free(U);
	free(V);
}

/* Checks got against want within gamma(depth) * E elementwise; prints the largest error, its
 * share of the bound, the direct path's largest error and the bound's size against sum|w||x|. */
static void check_bound(const char *name, const float *got, const float *direct, const double *want,
			const double *E, const double *S, size_t n, int depth)
{
	double g = gamma_n(depth), worst = 0, err_w = 0, err_d = 0, amp = 0, amp_sum = 0;
	size_t bad = 0, first = 0;
	for (size_t i = 0; i < n; i++) {
		double e = fabs((double)got[i] - want[i]), ed = fabs((double)direct[i] - want[i]);
		if (!(e <= g * E[i])) {
			if (!bad++)
				first = i;
		}
		if (E[i] > 0 && e / (g * E[i]) > worst)
			worst = e / (g * E[i]);
		err_w = e > err_w ? e : err_w;
		err_d = ed > err_d ? ed : err_d;
		if (S[i] > 0 && E[i] / S[i] > amp)
			amp = E[i] / S[i];
		amp_sum += S[i] > 0 ? E[i] / S[i] : 1;
	}
	if (bad)
		tu_check(0, name,
			 "%zu of %zu outside gamma(%d)*E; first [%zu]: got %.9g want %.9g, "
			 "bound %.3g",
			 bad, n, depth, first, got[first], want[first], g * E[first]);
	else
		tu_check(1, name,
			 "%zu values within gamma(%d)*E: max |err| %.3g (%.4f of its bound); "
			 "direct path max |err| %.3g; E / sum|w||x| %.2f on average, <= %.2f",
			 n, depth, err_w, worst, err_d, amp_sum / (double)n, amp);
}

struct wcase {
	struct ampcl_conv2d_shape s; /* r = s = 3, stride 1 */
	int bias;
	float beta;
	int chunk; /* images per chunk the scratch is sized for */
};

static void run_case(const struct wcase *c)
{
	const struct ampcl_conv2d_shape *s = &c->s;
	int p = ampcl_conv2d_out_h(s), q = ampcl_conv2d_out_w(s);
	char label[200], name[260];
	snprintf(label, sizeof(label), "n%d c%d %dx%d k%d pad %d%s beta %.1f chunk %d", s->n, s->c,
		 s->h, s->w, s->k, s->pad, c->bias ? " bias" : "", c->beta, c->chunk);
	/* a scratch that holds `chunk` images' transforms and a direct path's (plus half an image)
	 */
	size_t direct = ampcl_conv2d_scratch_floats(s, c->chunk);
	size_t wf = ampcl_conv2d_winograd_scratch_floats(s, c->chunk, 0);
	size_t wd = ampcl_conv2d_winograd_scratch_floats(s, c->chunk, 1);
	size_t most = direct > wf ? direct : wf;
	most = most > wd ? most : wd;
	most += (ampcl_conv2d_winograd_scratch_floats(s, 1, 0) -
		 ampcl_conv2d_winograd_scratch_floats(s, 0, 0)) /
		2;
	int ss[1] = {(int)most};
	snprintf(name, sizeof(name), "%s: chunking", label);
	int cf = ampcl_conv2d_winograd_chunk(s, most, 0),
	    cd = ampcl_conv2d_winograd_chunk(s, most, 1);
	tu_check(cf >= c->chunk && cd >= c->chunk && ampcl_conv2d_winograd_fits(s), name,
		 "forward chunks of %d, dx of %d images (at least %d)", cf, cd, c->chunk);

	int xs[4] = {s->n, s->c, s->h, s->w}, ws[4] = {s->k, s->c, 3, 3};
	int ys[4] = {s->n, s->k, p, q}, bs[1] = {s->k};
	struct tu_arena ar;
	tu_arena_init(&ar, "winograd");
	struct ampcl_tensor tx = tu_reserve(&ar, "x", 4, xs), tw = tu_reserve(&ar, "w", 4, ws);
	struct ampcl_tensor tb = tu_reserve(&ar, "b", 1, bs), ty = tu_reserve(&ar, "y", 4, ys);
	struct ampcl_tensor tdx = tu_reserve(&ar, "dx", 4, xs), tdw = tu_reserve(&ar, "dw", 4, ws);
	struct ampcl_tensor tdy = tu_reserve(&ar, "dy", 4, ys);
	struct ampcl_tensor scratch = tu_reserve(&ar, "scratch", 1, ss);
	tu_arena_commit(ctx, &ar);

	size_t nx = ampcl_tensor_count(&tx), nw = ampcl_tensor_count(&tw);
	size_t ny = ampcl_tensor_count(&ty);
	float *x = tu_malloc(nx * 4), *w = tu_malloc(nw * 4), *b = tu_malloc(s->k * 4);
	float *dy = tu_malloc(ny * 4), *dx0 = tu_malloc(nx * 4);
	tu_fill_uniform_f(x, nx, &rng, -1, 1);
	tu_fill_uniform_f(w, nw, &rng, -1, 1);
	tu_fill_uniform_f(b, s->k, &rng, -1, 1);
	tu_fill_uniform_f(dy, ny, &rng, -1, 1);
	tu_fill_uniform_f(dx0, nx, &rng, -1, 1);
	double *xd = tu_to_double(x, nx), *wd_ = tu_to_double(w, nw), *bd = tu_to_double(b, s->k);
	double *dyd = tu_to_double(dy, ny), *dxd = tu_to_double(dx0, nx);
	tu_ok(ampcl_tensor_write(ctx, &tx, x), "write x");
	tu_ok(ampcl_tensor_write(ctx, &tw, w), "write w");
	tu_ok(ampcl_tensor_write(ctx, &tb, b), "write b");
	tu_ok(ampcl_tensor_write(ctx, &tdy, dy), "write dy");

	/* the reference and the bounds */
	double *wy = tu_malloc(ny * 8), *wdx = tu_malloc(nx * 8), *wdw = tu_malloc(nw * 8);
	double *ey = tu_malloc(ny * 8), *sy = tu_malloc(ny * 8);
	double *edx = tu_malloc(nx * 8), *sdx = tu_malloc(nx * 8);
	ref_conv2d_forward(wy, xd, wd_, c->bias ? bd : NULL, s->n, s->c, s->h, s->w, s->k, 3, 3, 1,
			   s->pad);
	memcpy(wdx, dxd, nx * 8);
	memset(wdw, 0, nw * 8);
	ref_conv2d_backward(wdx, wdw, NULL, dyd, xd, wd_, s->n, s->c, s->h, s->w, s->k, 3, 3, 1,
			    s->pad, c->beta);
	abs_bound(ey, sy, xd, wd_, s->n, s->c, s->h, s->w, s->k, s->pad, 0, c->bias ? bd : NULL, 0,
		  NULL);
	abs_bound(edx, sdx, dyd, wd_, s->n, s->k, p, q, s->c, 2 - s->pad, 1, NULL, c->beta,
		  c->beta != 0.0f ? dxd : NULL);

	/* each path from the same inputs: 1 Winograd, -1 direct */
	float *gy[2], *gdx[2];
	for (int v = 0; v < 2; v++) {
		gy[v] = tu_malloc(ny * 4);
		gdx[v] = tu_malloc(nx * 4);
		ctx->profile.conv_winograd = v == 0 ? 1 : -1;
		tu_poison(ctx, &ty);
		tu_poison(ctx, &scratch);
		if (c->beta == 0.0f)
			tu_poison(ctx, &tdx);
		else
			tu_ok(ampcl_tensor_write(ctx, &tdx, dx0), "write dx");
		tu_ok(ampcl_conv2d_forward(ctx, s, &ty, &tx, &tw, c->bias ? &tb : NULL, &scratch),
		      label);
		tu_ok(ampcl_conv2d_backward(ctx, s, &tdx, &tdw, NULL, &tdy, &tx, &tw, c->beta,
					    &scratch),
		      label);
		tu_ok(ampcl_tensor_read(ctx, &ty, gy[v]), "read y");
		tu_ok(ampcl_tensor_read(ctx, &tdx, gdx[v]), "read dx");
	}
	ctx->profile.conv_winograd = 0;
	snprintf(name, sizeof(name), "%s: y", label);
	check_bound(name, gy[0], gy[1], wy, ey, sy, ny, s->c + 13);
	snprintf(name, sizeof(name), "%s: dx", label);
	check_bound(name, gdx[0], gdx[1], wdx, edx, sdx, nx, s->k + 13);
	/* the Winograd values must come from Winograd: somewhere they round otherwise */
	if (s->c * s->k >= 16 && ny >= 64) {
		snprintf(name, sizeof(name), "%s: the Winograd path ran", label);
		tu_check(memcmp(gy[0], gy[1], ny * 4) && memcmp(gdx[0], gdx[1], nx * 4), name,
			 "y and dx differ in some bits from the direct path's");
	}

	for (int v = 0; v < 2; v++) {
		free(gy[v]);
		free(gdx[v]);
	}
	free(x), free(w), free(b), free(dy), free(dx0);
	free(xd), free(wd_), free(bd), free(dyd), free(dxd);
	free(wy), free(wdx), free(wdw), free(ey), free(sy), free(edx), free(sdx);
	tu_arena_free(&ar);
}

/* AMPCL_CONV's values set the profile's choice; the shape rule. */
static void test_settings(void)
{
	struct ampcl_device_profile p = {0};
	tu_ok(ampcl_profile_set_conv(&p, "winograd"), "AMPCL_CONV=winograd");
	int on = p.conv_winograd;
	tu_ok(ampcl_profile_set_conv(&p, "direct"), "AMPCL_CONV=direct");
	tu_check(on == 1 && p.conv_winograd == -1, "AMPCL_CONV=winograd|direct",
		 "conv_winograd %d and %d", on, p.conv_winograd);
	struct ampcl_conv2d_shape a = {1, 3, 8, 8, 4, 3, 3, 1, 1}, b = a, c = a;
	b.stride = 2;
	c.r = c.s = 5;
	tu_check(ampcl_conv2d_winograd_fits(&a) && !ampcl_conv2d_winograd_fits(&b) &&
		     !ampcl_conv2d_winograd_fits(&c),
		 "Winograd takes 3x3 stride 1 only", "%d %d %d", ampcl_conv2d_winograd_fits(&a),
		 ampcl_conv2d_winograd_fits(&b), ampcl_conv2d_winograd_fits(&c));
}

/* One forward and backward with the profile's conv_winograd `mode`; y and dx into gy, gdx. */
static void run_mode(const struct ampcl_conv2d_shape *s, int mode, struct ampcl_tensor *t,
		     float *gy, float *gdx)
{
	ctx->profile.conv_winograd = mode;
	tu_ok(ampcl_conv2d_forward(ctx, s, &t[0], &t[1], &t[2], NULL, &t[5]), "forward");
	tu_ok(ampcl_conv2d_backward(ctx, s, &t[3], &t[4], NULL, &t[6], &t[1], &t[2], 0.0f, &t[5]),
	      "backward");
	tu_ok(ampcl_tensor_read(ctx, &t[0], gy), "read y");
	tu_ok(ampcl_tensor_read(ctx, &t[3], gdx), "read dx");
	ctx->profile.conv_winograd = 0;
}

/* Without AMPCL_CONV the tuning table decides per shape and pass, and only at the full level:
 * entries "winograd fwd|dx N C H W K PAD" with 1 take Winograd, with 0 the direct path. */
static void test_table(void)
{
	struct ampcl_conv2d_shape s = {2, 8, 9, 9, 8, 3, 3, 1, 1};
	int xs[4] = {2, 8, 9, 9}, ws[4] = {8, 8, 3, 3};
	size_t a = ampcl_conv2d_scratch_floats(&s, 2),
	       b = ampcl_conv2d_winograd_scratch_floats(&s, 2, 0);
	int ss[1] = {(int)(a > b ? a : b)};
	struct tu_arena ar;
	tu_arena_init(&ar, "table");
	/* y, x, w, dx, dw, scratch, dy */
	struct ampcl_tensor t[7] = {tu_reserve(&ar, "y", 4, xs),  tu_reserve(&ar, "x", 4, xs),
				    tu_reserve(&ar, "w", 4, ws),  tu_reserve(&ar, "dx", 4, xs),
				    tu_reserve(&ar, "dw", 4, ws), tu_reserve(&ar, "scratch", 1, ss),
				    tu_reserve(&ar, "dy", 4, xs)};
	tu_arena_commit(ctx, &ar);
	size_t n = ampcl_tensor_count(&t[1]), nw = ampcl_tensor_count(&t[2]);
	float *x = tu_malloc(n * 4), *w = tu_malloc(nw * 4), *dy = tu_malloc(n * 4);
	tu_fill_uniform_f(x, n, &rng, -1, 1);
	tu_fill_uniform_f(w, nw, &rng, -1, 1);
	tu_fill_uniform_f(dy, n, &rng, -1, 1);
	tu_ok(ampcl_tensor_write(ctx, &t[1], x), "write x");
	tu_ok(ampcl_tensor_write(ctx, &t[2], w), "write w");
	tu_ok(ampcl_tensor_write(ctx, &t[6], dy), "write dy");
	float *out[8];
	for (int i = 0; i < 8; i++)
		out[i] = tu_malloc(n * 4);
	run_mode(&s, 1, t, out[0], out[1]);  /* forced Winograd */
	run_mode(&s, -1, t, out[2], out[3]); /* forced direct */
	int level = ctx->tune.level;
	ctx->tune.level = AMPCL_TUNE_FULL;
	ampcl_tune_store(ctx, "winograd fwd 2 8 9 9 8 1", (int[AMPCL_TUNE_VALUES]){1, 0, 0, 0});
	ampcl_tune_store(ctx, "winograd dx 2 8 9 9 8 1", (int[AMPCL_TUNE_VALUES]){0, 0, 0, 0});
	run_mode(&s, 0, t, out[4], out[5]);
	ctx->tune.level = level; /* off: the table is not read */
	run_mode(&s, 0, t, out[6], out[7]);
	size_t bytes = n * 4;
	tu_check(memcmp(out[0], out[2], bytes) && memcmp(out[1], out[3], bytes),
		 "the two paths round differently here", "y and dx compared bitwise");
	tu_check(!memcmp(out[4], out[0], bytes) && !memcmp(out[5], out[3], bytes),
		 "a full-level table: Winograd forward, direct dx, as stored",
		 "y has Winograd's bits, dx the direct path's");
	tu_check(!memcmp(out[6], out[2], bytes) && !memcmp(out[7], out[3], bytes),
		 "AMPCL_TUNE=off: the direct path whatever the table holds",
		 "y and dx have the direct path's bits");
	for (int i = 0; i < 8; i++)
		free(out[i]);
	free(x), free(w), free(dy);
	tu_arena_free(&ar);
}

int main(void)
{
	ctx = tu_context();
	printf("device: %s\n", ctx->caps.desc.name);
	test_settings();
	test_table();
	/* {n, c, h, w, k, 3, 3, 1, pad}, bias, beta, chunk */
	static const struct wcase cases[] = {
	    /* odd sizes: partial tiles on both edges, one image */
	    {{1, 3, 7, 9, 5, 3, 3, 1, 1}, 1, 0.0f, 1},
	    /* three images in chunks of 2 (2 + 1), accumulating into dx */
	    {{3, 5, 11, 13, 7, 3, 3, 1, 1}, 0, 1.0f, 2},
	    {{3, 17, 9, 7, 33, 3, 3, 1, 1}, 1, 0.5f, 3},
	    {{3, 33, 5, 5, 17, 3, 3, 1, 1}, 1, 0.0f, 1},
	    /* pad 0 (dx padded by 2) and pad 2 (dx by 0) */
	    {{2, 4, 8, 7, 3, 3, 3, 1, 0}, 0, 1.0f, 2},
	    {{1, 3, 5, 6, 4, 3, 3, 1, 2}, 1, 0.0f, 1},
	    /* a 1x1 image: one partial tile */
	    {{3, 5, 1, 1, 3, 3, 3, 1, 1}, 1, 0.0f, 3},
	    /* a ResNet CIFAR layer's channels at 16x16 */
	    {{3, 64, 16, 16, 64, 3, 3, 1, 1}, 0, 0.0f, 3},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	ampcl_context_free(ctx);
	return tu_finish();
}
