/* trainer_eval.c: a trainer's test-split evaluation (loss, accuracy, per-image predictions), after
 * training epochs and for `ampcl eval` on a checkpoint or on imported weights. */
#include "alloc.h"
#include "clock.h"
#include "error.h"
#include "files.h"
#include "trainer_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One CSV row per image of a batch: its index in the test split, label, predicted class, the
 * softmax probabilities and the logits. */
static void write_predictions(FILE *f, long first, const int *labels, const float *logits, int n,
			      int classes)
{
	for (int i = 0; i < n; i++) {
		const float *z = logits + (size_t)i * classes;
		int best = 0;
		double top = z[0], sum = 0;
		for (int k = 1; k < classes; k++)
			if (z[k] > z[best])
				best = k;
		top = z[best];
		for (int k = 0; k < classes; k++)
			sum += exp((double)z[k] - top);
		fprintf(f, "%ld,%d,%d", first + i, labels[i], best);
		for (int k = 0; k < classes; k++)
			fprintf(f, ",%.6g", exp((double)z[k] - top) / sum);
		for (int k = 0; k < classes; k++)
			fprintf(f, ",%.9g", (double)z[k]);
		fputc('\n', f);
	}
}

ampcl_status ampcl_trainer_evaluate(struct ampcl_trainer *t, double *loss, double *acc,
				    FILE *predictions, const struct ampcl_train_callbacks *cb,
				    struct ampcl_progress *p)
{
	double t0 = ampcl_now();
	ampcl_status st = ampcl_loader_start_epoch(t->test_loader, 0);
	int steps = ampcl_loader_batches(t->test_loader), step = 0;
	double sum = 0;
	long correct = 0, count = 0;
	const float *x;
	const int *labels;
	int n, got = 0, classes = t->train->classes;
	float *logits =
	    predictions ? ampcl_xmalloc((size_t)t->st.cfg.batch * classes * sizeof(float)) : NULL;
	while (!st && (got = ampcl_loader_next(t->test_loader, &x, &labels, &n)) > 0) {
		struct ampcl_step_result r = {0, 0, 0};
		/* each rank its share of every test batch; the sums meet after the last */
		int first = 0;
		if (t->dp.size > 1) {
			ampcl_dp_share(&t->dp, n, &first, &n);
			x += (size_t)first * t->st.in_channels * t->st.in_height * t->st.in_width;
			labels += first;
		}
		if (n > 0 && (st = ampcl_net_eval_step(t->net, x, labels, n, &r)))
			break;
		if (predictions) {
			if ((st = ampcl_net_logits(t->net, n, logits)))
				break;
			write_predictions(predictions, count, labels, logits, n, classes);
		}
		sum += r.loss * n, correct += r.correct, count += n;
		if (cb && cb->step && p) {
			double el = ampcl_now() - t0;
			p->evaluating = 1, p->step = ++step, p->steps = steps;
			p->loss = sum / (double)count, p->acc = (double)correct / (double)count;
			p->images_per_s = (double)count / (el > 0 ? el : 1e-9);
			p->eta_s = t->eta_s - el > 0 ? t->eta_s - el : 0; /* the epoch's estimate */
			cb->step(cb->user, p);
		}
	}
	free(logits);
	if (!st && got < 0)
		st = got;
	if (!st && t->dp.size > 1) {
		double v[3] = {sum, (double)correct, (double)count};
		st = ampcl_dp_sum(&t->dp, v, 3);
		sum = v[0], correct = (long)v[1], count = (long)v[2];
	}
	t->eval_s = ampcl_now() - t0;
	*loss = count && !st ? sum / (double)count : NAN;
	*acc = count && !st ? (double)correct / (double)count : NAN;
	return st;
}

ampcl_status ampcl_trainer_evaluate_request(ampcl_context_t *ctx,
					    const struct ampcl_eval_request *req,
					    struct ampcl_eval_result *res)
{
	memset(res, 0, sizeof(*res));
	res->loss = res->accuracy = NAN;
	if (!req || !!req->checkpoint == !!req->weights)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "evaluate: give a checkpoint or weights, not both");
	struct ampcl_trainer *t;
	ampcl_status st =
	    req->checkpoint
		? ampcl_trainer_setup_checkpoint(ctx, req->checkpoint, 0, NULL, req->data, 1, 1, &t)
		: ampcl_trainer_setup_weights(ctx, req, &t);
	if (st)
		return st;
	struct ampcl_atomic out = {0};
	FILE *f = NULL;
	if (req->predictions) {
		if ((st = ampcl_atomic_open(&out, req->predictions))) {
			ampcl_trainer_free(t);
			return ampcl_error_wrap(st, "--predictions: ");
		}
		f = out.f;
		fprintf(f, "index,label,predicted");
		for (int k = 0; k < t->train->classes; k++)
			fprintf(f, ",p%d", k);
		for (int k = 0; k < t->train->classes; k++)
			fprintf(f, ",logit%d", k);
		fputc('\n', f);
	}
	st = ampcl_trainer_evaluate(t, &res->loss, &res->accuracy, f, NULL, NULL);
	if (!st)
		res->images = t->test->count;
	if (f && st)
		ampcl_atomic_abort(&out);
	else if (f)
		st = ampcl_atomic_commit(&out);
	ampcl_trainer_free(t);
	return st;
}
