/* amp.c: validates amplification settings and draws the seeded random selection of layers to
 * amplify per epoch, per iteration or once, in the epochs its ranges say. */
#include "amp.h"
#include "rng.h"
#include "alloc.h"
#include "error.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ampcl_status ampcl_amp_parse_ranges(const char *text, int ranges[][2], int max, int *n)
{
	*n = 0;
	const char *p = text;
	while (*p) {
		char *end;
		long a = strtol(p, &end, 10), b;
		if (end == p || a < 0 || !isdigit((unsigned char)*p))
			goto bad;
		b = a;
		if (*end == '-') {
			const char *q = end + 1;
			b = strtol(q, &end, 10);
			if (end == q || !isdigit((unsigned char)*q) || b < a)
				goto bad;
		}
		if (*n >= max || (*end != ',' && *end != 0) || b > 1000000)
			goto bad;
		ranges[*n][0] = (int)a, ranges[*n][1] = (int)b, (*n)++;
		p = *end == ',' ? end + 1 : end;
		if (*end == ',' && !*p)
			goto bad;
	}
	return AMPCL_OK;
bad:
	return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
			       "--amp-epochs '%s': give epochs and inclusive ranges separated by "
			       "commas, e.g. 0-49,60-69 or 3 (at most %d ranges)",
			       text, max);
}

static ampcl_status parse_types(const char *text, int *mask)
{
	char buf[64], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", text);
	*mask = 0;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "relu")) /* ReLU6 (Clip) is a ReLU too */
			*mask |= 1 << AMPCL_LAYER_RELU | 1 << AMPCL_LAYER_CLIP;
		else if (!strcmp(t, "bn"))
			*mask |= 1 << AMPCL_LAYER_BN;
		else if (!strcmp(t, "conv"))
			*mask |= 1 << AMPCL_LAYER_CONV | 1 << AMPCL_LAYER_CONV_GENERAL;
		else if (!strcmp(t, "linear"))
			*mask |= 1 << AMPCL_LAYER_LINEAR;
		else
			return ampcl_error_set(
			    AMPCL_ERR_INVALID_ARG,
			    "--amp-types '%s': '%s' is not a layer type; the valid "
			    "values are relu, bn, conv and linear, as a comma list",
			    text, t);
	}
	if (!*mask)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "--amp-types is empty: use a comma list of relu, bn, conv, "
				       "linear");
	return AMPCL_OK;
}

ampcl_status ampcl_amp_plan_create(const struct ampcl_amp_settings *cfg, ampcl_net_t *net,
				   struct ampcl_amp_plan **out)
{
	*out = NULL;
	struct ampcl_amp_plan *p = ampcl_xcalloc(1, sizeof(*p));
	ampcl_status st = parse_types(cfg->types, &p->types);
	if (!st && !(cfg->ratio >= 0 && cfg->ratio <= 1))
		st = ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				     "--amp-ratio %g: must be between 0 and 1", cfg->ratio);
	if (!st && !(cfg->factor > 0 && isfinite(cfg->factor)))
		st = ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				     "--amp-factor %g: must be a number > 0 (1 is a no-op)",
				     cfg->factor);
	if (!st)
		st = ampcl_amp_parse_ranges(cfg->epochs, p->ranges, AMPCL_AMP_MAX_RANGES,
					    &p->nranges);
	if (!st) {
		if (!strcmp(cfg->redraw, "epoch"))
			p->redraw = AMPCL_REDRAW_EPOCH;
		else if (!strcmp(cfg->redraw, "iter"))
			p->redraw = AMPCL_REDRAW_ITER;
		else if (!strcmp(cfg->redraw, "once"))
			p->redraw = AMPCL_REDRAW_ONCE;
		else
			st = ampcl_error_set(AMPCL_ERR_INVALID_ARG,
					     "--amp-redraw '%s': the valid values are epoch, iter "
					     "and once",
					     cfg->redraw);
	}
	if (!st) {
		if (!strcmp(cfg->target, "input"))
			p->target = AMPCL_AMP_INPUT;
		else if (!strcmp(cfg->target, "params"))
			p->target = AMPCL_AMP_PARAMS;
		else if (!strcmp(cfg->target, "both"))
			p->target = AMPCL_AMP_INPUT | AMPCL_AMP_PARAMS;
		else
			st =
			    ampcl_error_set(AMPCL_ERR_INVALID_ARG,
					    "--amp-target '%s': the valid values are input, params "
					    "and both",
					    cfg->target);
	}
	if (!st && strcmp(cfg->select, "random") && strcmp(cfg->select, "auto"))
		st = ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				     "--amp-select '%s': the valid values are random and auto",
				     cfg->select);
	if (st) {
		ampcl_amp_plan_free(p);
		return st;
	}
	p->ratio = cfg->ratio;
	p->factor = cfg->factor;
	p->select_auto = !strcmp(cfg->select, "auto");
	p->seed = cfg->seed;
	if (net) {
		int n = ampcl_net_layer_count(net);
		p->eligible = ampcl_xcalloc((size_t)n, sizeof(int));
		p->selected = ampcl_xcalloc((size_t)n, sizeof(int));
		for (int i = 1; i < n; i++)
			if (p->types & (1 << ampcl_net_layer_type(net, i)))
				p->eligible[p->neligible++] = i;
	}
	*out = p;
	return AMPCL_OK;
}

void ampcl_amp_plan_free(struct ampcl_amp_plan *plan)
{
	if (!plan)
		return;
	free(plan->eligible);
	free(plan->selected);
	free(plan);
}

void ampcl_amp_plan_set_ranges(struct ampcl_amp_plan *plan, const int (*ranges)[2], int n)
{
	plan->nranges = n < AMPCL_AMP_MAX_RANGES ? n : AMPCL_AMP_MAX_RANGES;
	for (int i = 0; i < plan->nranges; i++)
		plan->ranges[i][0] = ranges[i][0], plan->ranges[i][1] = ranges[i][1];
}

int ampcl_amp_active(const struct ampcl_amp_plan *plan, int epoch)
{
	for (int i = 0; i < plan->nranges; i++)
		if (epoch >= plan->ranges[i][0] && epoch <= plan->ranges[i][1])
			return 1;
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* round(ratio x eligible) layers uniformly without replacement: a partial Fisher-Yates shuffle
 * driven by a counter-based generator of (seed, epoch, iter) */
static void draw(struct ampcl_amp_plan *p, int epoch, int iter)
{
	int n = p->neligible, k = (int)floor(p->ratio * n + 0.5);
	int *pool = ampcl_xmalloc((size_t)(n ? n : 1) * sizeof(int));
	memcpy(pool, p->eligible, (size_t)n * sizeof(int));
	uint64_t state =
	    ampcl_splitmix_at(ampcl_splitmix_at(p->seed ^ 0xa3f1ULL) ^ (uint64_t)(epoch + 1)) ^
	    ampcl_splitmix_at((uint64_t)(iter + 2));
	for (int i = 0; i < k; i++) {
		state = ampcl_splitmix_at(state);
		int j = i + (int)(state % (uint64_t)(n - i));
		int t = pool[i];
		pool[i] = pool[j], pool[j] = t;
	}
	memcpy(p->selected, pool, (size_t)k * sizeof(int));
	p->nselected = k;
	qsort(p->selected, (size_t)k, sizeof(int), cmp_int);
	free(pool);
}

int ampcl_amp_apply(struct ampcl_amp_plan *plan, ampcl_net_t *net, int epoch, int iter)
{
	ampcl_status st;
	if (!ampcl_amp_active(plan, epoch)) {
		if (iter >= 0 || plan->nselected == 0) {
			if (iter < 0 &&
			    (st = ampcl_net_set_amplification(net, NULL, 0, 1.0f, AMPCL_AMP_INPUT)))
				return st;
			return 0;
		}
		plan->nselected = 0;
		st = ampcl_net_set_amplification(net, NULL, 0, 1.0f, AMPCL_AMP_INPUT);
		return st ? st : 1;
	}
	int redraw = plan->redraw == AMPCL_REDRAW_ITER ? iter >= 0 : iter < 0;
	if (!redraw)
		return 0;
	/* "once" draws from epoch 0's stream every time: the same layers for the whole run */
	draw(plan, plan->redraw == AMPCL_REDRAW_ONCE ? 0 : epoch,
	     plan->redraw == AMPCL_REDRAW_ITER ? iter : -1);
	st = ampcl_net_set_amplification(net, plan->selected, plan->nselected, (float)plan->factor,
					 plan->target);
	return st ? st : 1;
}

ampcl_status ampcl_amp_select_auto(struct ampcl_amp_plan *plan, ampcl_net_t *net, const double *rms)
{
	int layers = ampcl_net_layer_count(net),
	    k = (int)floor(plan->ratio * plan->neligible + 0.5);
	double out = rms[layers - 1] > 0 ? rms[layers - 1] : 1.0;
	int *order = ampcl_xmalloc((size_t)(plan->neligible ? plan->neligible : 1) * sizeof(int));
	/* rank by faded gradient, rms / rms(logits), smallest first; an insertion sort (at most
	 * a few hundred layers) keeps equal ratios in network order and needs no shared key */
	for (int i = 0; i < plan->neligible; i++) {
		int id = plan->eligible[i], j = i;
		double r = rms[id] / out;
		while (j > 0 && rms[order[j - 1]] / out > r)
			order[j] = order[j - 1], j--;
		order[j] = id;
	}
	memcpy(plan->selected, order, (size_t)k * sizeof(int));
	plan->nselected = k;
	qsort(plan->selected, (size_t)k, sizeof(int), cmp_int);
	free(order);
	return ampcl_net_set_amplification(net, plan->selected, plan->nselected,
					   (float)plan->factor, plan->target);
}

ampcl_status ampcl_amp_restore(struct ampcl_amp_plan *plan, ampcl_net_t *net, const int *layers,
			       int n)
{
	plan->nselected = 0;
	for (int i = 0; i < n; i++)
		if (layers[i] > 0 && layers[i] < ampcl_net_layer_count(net))
			plan->selected[plan->nselected++] = layers[i];
	return ampcl_net_set_amplification(net, plan->selected, plan->nselected,
					   (float)plan->factor, plan->target);
}

void ampcl_amp_describe(const struct ampcl_amp_plan *plan, const ampcl_net_t *net, char *buf,
			size_t size)
{
	size_t used = (size_t)snprintf(buf, size, "%d of %d eligible layers x%g:", plan->nselected,
				       plan->neligible, plan->factor);
	for (int i = 0; i < plan->nselected && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, " %s",
					 ampcl_net_layer_name(net, plan->selected[i]));
}
