/* test_amp.c: gradient amplification: exact scaling of upstream gradients on a chain (a, a^2 for
 * two selected layers, downstream untouched, params target), factor 1 bit-identical to off, an
 * amplified branch at a residual fork (added through its temporary), and the seeded selection's
 * size and reproducibility. */
#include "amp.h"
#include "net.h"
#include "schedule.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { N = 3, C0 = 2, H = 6 };

/* chain: conv1 bn1 relu1 conv2 bn2 relu2 avgpool linear */
static ampcl_net_t *chain(struct ampcl_context *ctx)
{
	ampcl_net_t *net;
	tu_ok(ampcl_net_create(ctx, C0, H, H, &net), "create");
	int x;
	tu_ok(ampcl_net_conv2d(net, "conv1", 0, 3, 3, 1, 1, 1, &x), "conv1");
	tu_ok(ampcl_net_batchnorm(net, "bn1", x, &x), "bn1");
	tu_ok(ampcl_net_relu(net, "relu1", x, &x), "relu1");
	tu_ok(ampcl_net_conv2d(net, "conv2", x, 4, 3, 1, 1, 0, &x), "conv2");
	tu_ok(ampcl_net_batchnorm(net, "bn2", x, &x), "bn2");
	tu_ok(ampcl_net_relu(net, "relu2", x, &x), "relu2");
	tu_ok(ampcl_net_avgpool(net, "avgpool", x, &x), "avgpool");
	tu_ok(ampcl_net_linear(net, "linear", x, 5, 1, &x), "linear");
	tu_check(x > 0, "chain built", "%d layers", ampcl_net_layer_count(net));
	tu_ok(ampcl_net_finalize(net, N, 11), "finalize");
	struct ampcl_sgd_config sgd = {0.9f, 0.0f, 0};
	tu_ok(ampcl_net_set_sgd(net, &sgd), "sgd");
	return net;
}

/* fork: conv1 bn1 relu1, then relu1 feeds both conv2 bn2 and the add (relu1 + bn2), then avgpool
 * linear. The add writes relu1's gradient first; conv2's contribution is added to it. */
static ampcl_net_t *fork_net(struct ampcl_context *ctx)
{
	ampcl_net_t *net;
	tu_ok(ampcl_net_create(ctx, C0, H, H, &net), "create");
	int x;
	tu_ok(ampcl_net_conv2d(net, "conv1", 0, 3, 3, 1, 1, 1, &x), "conv1");
	tu_ok(ampcl_net_batchnorm(net, "bn1", x, &x), "bn1");
	int r;
	tu_ok(ampcl_net_relu(net, "relu1", x, &r), "relu1");
	tu_ok(ampcl_net_conv2d(net, "conv2", r, 3, 3, 1, 1, 0, &x), "conv2");
	tu_ok(ampcl_net_batchnorm(net, "bn2", x, &x), "bn2");
	tu_ok(ampcl_net_add(net, "add", r, x, &x), "add");
	tu_ok(ampcl_net_avgpool(net, "avgpool", x, &x), "avgpool");
	tu_ok(ampcl_net_linear(net, "linear", x, 5, 1, &x), "linear");
	tu_check(x > 0, "fork built", "%d layers", ampcl_net_layer_count(net));
	tu_ok(ampcl_net_finalize(net, N, 11), "finalize");
	struct ampcl_sgd_config sgd = {0.9f, 0.0f, 0};
	tu_ok(ampcl_net_set_sgd(net, &sgd), "sgd");
	return net;
}

static float *gradients(ampcl_net_t *net, const float *x, const int *labels, size_t *count);

/* Amplifying conv2's input gradient by a at the fork: relu1's gradient is the add's part plus a
 * times conv2's, so the layers above the fork get gradients affine in a (G(4) - G(1) = 3 (G(2) -
 * G(1)) up to rounding) and the layers at and below conv2 none of it (bit for bit). */
static void test_fork(struct ampcl_context *ctx, const float *x, const int *labels)
{
	ampcl_net_t *net = fork_net(ctx);
	const int L_CONV2 = 4, sel[1] = {L_CONV2};
	float *g[3];
	const float factors[3] = {1.0f, 2.0f, 4.0f};
	size_t n = 0;
	for (int i = 0; i < 3; i++) {
		tu_ok(ampcl_net_set_amplification(net, sel, 1, factors[i], AMPCL_AMP_INPUT), "set");
		g[i] = gradients(net, x, labels, &n);
	}
	double worst = 0, scale = 0;
	int below_same = 1, above_moved = 0;
	size_t k = 0;
	for (int t = 0; t < net->ntensors; t++) {
		if (!net->tensors[t].trainable)
			continue;
		size_t count = ampcl_tensor_count(&net->tensors[t].grad);
		int above = net->tensors[t].layer < L_CONV2 - 1; /* conv1, bn1 */
		for (size_t e = 0; e < count; e++, k++) {
			if (!above) {
				below_same &= g[0][k] == g[1][k] && g[0][k] == g[2][k];
				continue;
			}
			double d = (g[2][k] - g[0][k]) - 3.0 * ((double)g[1][k] - g[0][k]);
			worst = fabs(d) > worst ? fabs(d) : worst;
			scale = fabs(g[2][k]) > scale ? fabs(g[2][k]) : scale;
			above_moved |= g[1][k] != g[0][k];
		}
	}
	tu_check(below_same && above_moved && worst <= 1e-4 * scale,
		 "an amplified branch at a fork is added to the other's gradient",
		 "layers from conv2 on unchanged: %d; above the fork affine in the factor within "
		 "%.3g (largest gradient %.3g)",
		 below_same, worst, scale);
	for (int i = 0; i < 3; i++)
		free(g[i]);
	ampcl_net_free(net);
}

/* One step with lr 0 (weights stay), then every parameter gradient, concatenated. */
static float *gradients(ampcl_net_t *net, const float *x, const int *labels, size_t *count)
{
	struct ampcl_step_result r;
	tu_ok(ampcl_net_train_step(net, x, labels, N, 0.0f, &r), "step");
	size_t total = 0;
	for (int i = 0; i < net->ntensors; i++)
		if (net->tensors[i].trainable)
			total += ampcl_tensor_count(&net->tensors[i].grad);
	float *g = tu_malloc(total * sizeof(float)), *p = g;
	for (int i = 0; i < net->ntensors; i++)
		if (net->tensors[i].trainable) {
			tu_ok(ampcl_tensor_read(net->ctx, &net->tensors[i].grad, p), "read grad");
			p += ampcl_tensor_count(&net->tensors[i].grad);
		}
	*count = total;
	return g;
}

/* Compares the gradient of every tensor with base times the factor its layer should see. */
static void expect_scaled(ampcl_net_t *net, const float *base, const float *got, const char *what,
			  const double *factor_of_layer)
{
	const float *b = base, *g = got;
	int ok = 1;
	char detail[512] = "";
	for (int i = 0; i < net->ntensors; i++) {
		if (!net->tensors[i].trainable)
			continue;
		size_t n = ampcl_tensor_count(&net->tensors[i].grad);
		double f = factor_of_layer[net->tensors[i].layer];
		for (size_t k = 0; k < n; k++)
			if (g[k] != (float)(f * b[k])) { /* powers of two scale exactly */
				if (ok)
					snprintf(detail, sizeof(detail),
						 "%s[%zu]: %g, want %g x %g", net->tensors[i].name,
						 k, g[k], f, b[k]);
				ok = 0;
			}
		b += n, g += n;
	}
	tu_check(ok, what, "%s", ok ? "every parameter gradient exact" : detail);
}

int main(void)
{
	struct ampcl_context *ctx = tu_context();
	ampcl_net_t *net = chain(ctx);
	float x[N * C0 * H * H];
	int labels[N] = {1, 4, 0};
	unsigned long long seed = 21;
	tu_fill_uniform_f(x, N * C0 * H * H, &seed, -1.5f, 1.5f);
	size_t n;
	float *base = gradients(net, x, labels, &n);
	const int L_BN2 = 5, L_RELU1 = 3, L_CONV2 = 4, L_LINEAR = 8;
	double f[16];

	/* amplifying bn2's input gradient by 4: layers upstream of bn2 (conv1..conv2) get x4 */
	int sel[2] = {L_BN2};
	tu_ok(ampcl_net_set_amplification(net, sel, 1, 4.0f, AMPCL_AMP_INPUT), "set");
	float *g = gradients(net, x, labels, &n);
	for (int i = 0; i < 16; i++)
		f[i] = i < L_BN2 ? 4 : 1;
	expect_scaled(net, base, g, "one layer: upstream x a, downstream unchanged", f);
	free(g);

	/* bn2 and relu1 on one path: conv1 and bn1 get a^2, conv2 gets a */
	sel[0] = L_RELU1, sel[1] = L_BN2;
	tu_ok(ampcl_net_set_amplification(net, sel, 2, 4.0f, AMPCL_AMP_INPUT), "set");
	g = gradients(net, x, labels, &n);
	for (int i = 0; i < 16; i++)
		f[i] = i < L_RELU1 ? 16 : i < L_BN2 ? 4 : 1;
	expect_scaled(net, base, g, "two layers on one path compound to a^2", f);
	free(g);

	/* params target: only the selected layer's own gradients */
	sel[0] = L_CONV2;
	tu_ok(ampcl_net_set_amplification(net, sel, 1, 0.5f, AMPCL_AMP_PARAMS), "set");
	g = gradients(net, x, labels, &n);
	for (int i = 0; i < 16; i++)
		f[i] = i == L_CONV2 ? 0.5 : 1;
	expect_scaled(net, base, g, "--amp-target params scales only that layer", f);
	free(g);

	sel[0] = L_LINEAR;
	tu_ok(ampcl_net_set_amplification(net, sel, 1, 2.0f, AMPCL_AMP_INPUT | AMPCL_AMP_PARAMS),
	      "set");
	g = gradients(net, x, labels, &n);
	for (int i = 0; i < 16; i++)
		f[i] = 2;
	expect_scaled(net, base, g, "--amp-target both on the last layer scales everything", f);
	free(g);

	/* factor 1 is a no-op, bit for bit */
	sel[0] = L_RELU1, sel[1] = L_BN2;
	tu_ok(ampcl_net_set_amplification(net, sel, 2, 1.0f, AMPCL_AMP_INPUT | AMPCL_AMP_PARAMS),
	      "set");
	g = gradients(net, x, labels, &n);
	tu_check(!memcmp(g, base, n * sizeof(float)), "factor 1 is bit-identical to off",
		 "%zu values", n);
	free(g);
	free(base);
	test_fork(ctx, x, labels);

	/* selection: size round(ratio x eligible), reproducible from the seed, redrawn per epoch */
	struct ampcl_amp_settings c = {"bn,relu,conv", 0.3,     2.0,      "0-9",
				       "epoch",        "input", "random", 1};
	const double ratios[] = {0, 0.1, 0.3, 0.5, 0.99, 1};
	int all_ok = 1;
	for (int r = 0; r < 6; r++) {
		c.ratio = ratios[r];
		struct ampcl_amp_plan *p, *q;
		tu_ok(ampcl_amp_plan_create(&c, net, &p), "plan");
		tu_ok(ampcl_amp_plan_create(&c, net, &q), "plan");
		ampcl_amp_apply(p, net, 3, -1);
		ampcl_amp_apply(q, net, 3, -1);
		int want = (int)floor(ratios[r] * p->neligible + 0.5);
		int same = p->nselected == q->nselected &&
			   !memcmp(p->selected, q->selected, (size_t)p->nselected * sizeof(int));
		int distinct = 1;
		for (int i = 1; i < p->nselected; i++)
			distinct &= p->selected[i] > p->selected[i - 1];
		char name[64];
		snprintf(name, sizeof(name), "selection at ratio %g", ratios[r]);
		tu_check(p->neligible == 6 && p->nselected == want && same && distinct, name,
			 "%d of %d eligible (want %d), reproducible %s", p->nselected, p->neligible,
			 want, same ? "yes" : "no");
		all_ok &= same;
		ampcl_amp_plan_free(p);
		ampcl_amp_plan_free(q);
	}
	c.ratio = 0.5;
	struct ampcl_amp_plan *p;
	tu_ok(ampcl_amp_plan_create(&c, net, &p), "plan");
	int changed = 0, prev[8] = {0};
	for (int e = 0; e < 8; e++) {
		ampcl_amp_apply(p, net, e, -1);
		changed += e > 0 && memcmp(prev, p->selected, (size_t)p->nselected * sizeof(int));
		memcpy(prev, p->selected, (size_t)p->nselected * sizeof(int));
	}
	tu_check(changed >= 3, "per-epoch redraw changes the selection", "%d changes in 7 epochs",
		 changed);
	ampcl_amp_apply(p, net, 12, -1);
	tu_check(p->nselected == 0 && !ampcl_amp_active(p, 12), "off outside --amp-epochs",
		 "%d selected at epoch 12", p->nselected);
	ampcl_amp_plan_free(p);
	c.redraw = "once";
	tu_ok(ampcl_amp_plan_create(&c, net, &p), "plan");
	ampcl_amp_apply(p, net, 0, -1);
	memcpy(prev, p->selected, (size_t)p->nselected * sizeof(int));
	ampcl_amp_apply(p, net, 5, -1);
	tu_check(!memcmp(prev, p->selected, (size_t)p->nselected * sizeof(int)),
		 "--amp-redraw once keeps the selection", "%d layers", p->nselected);
	ampcl_amp_plan_free(p);

	/* auto: the k eligible layers whose gradient faded most relative to the logits' */
	c.select = "auto";
	c.redraw = "epoch";
	c.ratio = 0.5;
	tu_ok(ampcl_amp_plan_create(&c, net, &p), "plan");
	tu_ok(ampcl_net_set_amplification(net, NULL, 0, 1.0f, AMPCL_AMP_INPUT), "off");
	size_t cnt;
	double rms[16];
	tu_check(ampcl_net_grad_rms(net, rms) != AMPCL_OK, "statistics must be requested",
		 "none were recorded, yet they were returned");
	ampcl_net_request_grad_rms(net);
	free(gradients(net, x, labels, &cnt));
	tu_ok(ampcl_net_grad_rms(net, rms), "gradient statistics");
	ampcl_amp_select_auto(p, net, rms);
	int k = p->nselected, ok = k == 3;
	double worst_in = 0, best_out = INFINITY;
	for (int i = 0; i < p->neligible; i++) {
		int l = p->eligible[i], in = 0;
		for (int j = 0; j < k; j++)
			in |= p->selected[j] == l;
		double ratio = rms[l] / rms[ampcl_net_layer_count(net) - 1];
		if (in)
			worst_in = ratio > worst_in ? ratio : worst_in;
		else
			best_out = ratio < best_out ? ratio : best_out;
		ok &= rms[l] > 0 && isfinite(rms[l]);
	}
	char names[256];
	ampcl_amp_describe(p, net, names, sizeof(names));
	tu_check(ok && worst_in <= best_out && net->layers[p->selected[0]].amp_selected,
		 "auto selects the most faded gradients",
		 "%s (largest chosen ratio %.3g <= smallest "
		 "unchosen %.3g)",
		 names, worst_in, best_out);
	ampcl_amp_plan_free(p);

	int ranges[8][2], nr;
	tu_ok(ampcl_amp_parse_ranges("0-49,60-69,75", ranges, 8, &nr), "ranges");
	tu_check(nr == 3 && ranges[1][0] == 60 && ranges[1][1] == 69 && ranges[2][0] == 75 &&
		     ranges[2][1] == 75,
		 "--amp-epochs parsing", "%d ranges", nr);
	const char *bad[] = {"5-2", "a", "1,", "-3", "1-", "3x"};
	int refused = 0;
	for (int i = 0; i < 6; i++)
		refused += ampcl_amp_parse_ranges(bad[i], ranges, 8, &nr) == AMPCL_ERR_INVALID_ARG;
	tu_check(refused == 6, "malformed ranges refused", "%d of 6", refused);

	/* --schedule: every line a phase, a comment or an error that names its line */
	struct {
		const char *text, *expect;
	} sched[] = {
	    {"# warm\n\n2 0.1 on  # two\n1 0.01 off\n", NULL},
	    {"2 0.1 on\n5O 0.1 on\n", "line 2"},
	    {"2 0.1 on\nphase 1 0.1 on\n", "line 2"},
	    {"50\n", "line 1"},
	    {"2 0.1 maybe\n", "line 1"},
	    {"99999 0.1 on\n99999 0.1 off\n", "more than 100000 epochs (line 2)"},
	    {"# nothing\n", "has no phases"},
	};
	char sp[] = "/tmp/ampcl-schedule-XXXXXX";
	int fd = mkstemp(sp);
	close(fd);
	for (size_t i = 0; i < sizeof(sched) / sizeof(sched[0]); i++) {
		FILE *f = fopen(sp, "w");
		fputs(sched[i].text, f);
		fclose(f);
		struct ampcl_phases ph;
		int st = ampcl_phases_read(sp, &ph);
		int ranges[4][2];
		if (!sched[i].expect)
			tu_check(st == 0 && ph.n == 2 && ampcl_phases_epochs(&ph) == 3 &&
				     ampcl_phases_amp_ranges(&ph, ranges, 4) == 1 &&
				     ranges[0][0] == 0 && ranges[0][1] == 1 &&
				     ampcl_phases_lr(&ph, 2) == 0.01,
				 "schedule with comments and blank lines", "%d phases", ph.n);
		else
			tu_check(st == AMPCL_ERR_BAD_FILE &&
				     strstr(ampcl_last_error(), sched[i].expect),
				 "bad schedule line refused", "%s", ampcl_last_error());
	}
	unlink(sp);
	struct ampcl_phases pz0;
	int zst = ampcl_phases_read("/dev/zero", &pz0); /* before the message is read */
	tu_check(zst == AMPCL_ERR_BAD_FILE, "a schedule of /dev/zero ends with an error", "%s",
		 ampcl_last_error());
	struct ampcl_amp_plan *pz = NULL;
	/* out-of-range words list every valid value */
	c.target = "paramx";
	int tst = ampcl_amp_plan_create(&c, NULL, &pz); /* before the message is read */
	tu_check(tst == AMPCL_ERR_INVALID_ARG &&
		     strstr(ampcl_last_error(), "input, params and both"),
		 "--amp-target lists its values", "%s", ampcl_last_error());
	ampcl_net_free(net);
	ampcl_context_free(ctx);
	return tu_finish();
}
