/* bench_model.c: `ampcl bench --model`: training-step throughput of a whole model on random
 * CIFAR-shaped data, the same measurement as bench/torch_bench.py makes for PyTorch. */
#include "bench.h"
#include "clock.h"
#include "kprof.h"
#include "net.h"
#include "rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

/* One more step with every launch recorded: a row per kernel, the most device time first, into
 * the table (and JSON) and printed. */
static ampcl_status profile_step(struct bench *b, ampcl_net_t *net, const float *x,
				 const int *labels, int batch, double step_ms)
{
	struct ampcl_step_result r;
	struct ampcl_kprof_row *rows;
	int n;
	double total;
	ampcl_kprof_start(b->ctx);
	ampcl_status st = ampcl_net_train_step(net, x, labels, batch, 0.1f, &r);
	if (st) {
		ampcl_kprof_discard(b->ctx);
		return st;
	}
	if ((st = ampcl_kprof_stop(b->ctx, &rows, &n, &total)))
		return st;
	printf("device time per kernel in one training step (%.1f ms of kernels; a step took "
	       "%.1f ms):\n  %-32s %6s %10s %6s\n",
	       1e3 * total, step_ms, "kernel", "calls", "ms", "%");
	for (int i = 0; i < n; i++) {
		char calls[32];
		snprintf(calls, sizeof(calls), "%d calls", rows[i].calls);
		printf("  %-32s %6d %10.2f %5.1f%%\n", rows[i].name, rows[i].calls,
		       1e3 * rows[i].seconds, total > 0 ? 100 * rows[i].seconds / total : 0);
		bench_add(b, rows[i].name, "profile", calls, batch, 1e3 * rows[i].seconds, 0, 0, 0);
	}
	free(rows);
	return AMPCL_OK;
}

/* Tunes as `ampcl train` does (AMPCL_TUNE), saying what it did; the memory peak is then reset,
 * so it reports the training net alone. */
static ampcl_status tune(struct bench *b, ampcl_net_t *net, int batch)
{
	struct ampcl_tune_report rep;
	ampcl_status st = ampcl_net_tune(net, batch, &rep);
	if (!st)
		fprintf(stderr,
			"tuning (AMPCL_TUNE=%s): %d GEMM shapes timed, %d faster than the default, "
			"%.1f s; %d choices stored for this device\n",
			rep.level == 2 ? "full"
			: rep.level    ? "quick"
				       : "off",
			rep.measured, rep.changed, rep.seconds, rep.stored);
	b->ctx->known_peak = b->ctx->known_bytes;
	return st;
}

ampcl_status bench_model(struct bench *b, const char *model, int width, int batch, int steps,
			 int profile, double *images_per_s)
{
	ampcl_net_t *net = NULL;
	int c, h, w; /* an ONNX model's own input shape; 3x32x32 for the built-in ones */
	ampcl_status st = ampcl_model_input_shape(model, &c, &h, &w);
	if (st)
		return st;
	if (!c || !h || !w)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "ONNX model '%s' leaves its input size open (%dx%dx%d): export "
				       "it with a fixed one",
				       model, c, h, w);
	size_t count = (size_t)batch * c * h * w;
	float *x = malloc(count * sizeof(float));
	int *labels = malloc((size_t)batch * sizeof(int));
	if (!x || !labels)
		abort();
	uint64_t s = b->seed;
	for (size_t i = 0; i < count; i++)
		x[i] = (float)(ampcl_uniform01(&s) * 2.0 - 1.0);
	for (int i = 0; i < batch; i++)
		labels[i] = i % 10;
	struct ampcl_step_result r;
	/* torch_bench.py's optimizer: SGD lr 0.1, momentum 0.9, weight decay 5e-4 */
	struct ampcl_sgd_config sgd = {0.9f, 5e-4f, 0};
	if ((st = ampcl_net_create(b->ctx, c, h, w, &net)) ||
	    (st = ampcl_model_build(net, model, width, 10)) || (st = tune(b, net, batch)) ||
	    (st = ampcl_net_finalize(net, batch, b->seed)) || (st = ampcl_net_set_sgd(net, &sgd)))
		goto out;
	for (int i = 0; i < 2 && !st; i++) /* warm-up, as torch_bench.py does */
		st = ampcl_net_train_step(net, x, labels, batch, 0.1f, &r);
	double t0 = ampcl_now();
	for (int i = 0; i < steps && !st; i++)
		st = ampcl_net_train_step(net, x, labels, batch, 0.1f, &r);
	double dt = ampcl_now() - t0;
	*images_per_s = (double)batch * steps / dt;
	if (!st) {
		char shape[72];
		snprintf(shape, sizeof(shape), "%s width %d, %zu parameters", model, width,
			 ampcl_net_param_count(net));
		bench_add(b, "train-step", "step", shape, batch, 1e3 * dt / steps, 0, 0, 0);
		/* memory: ampcl's device buffers at their peak, and the process's peak RSS */
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		b->device_peak_mib = (double)b->ctx->known_peak / (1 << 20);
		b->rss_peak_mib = (double)ru.ru_maxrss / 1024;
		printf(
		    "memory: ampcl's device buffers at most %.1f MiB, process peak RSS %.1f MiB\n",
		    b->device_peak_mib, b->rss_peak_mib);
		if (profile)
			st = profile_step(b, net, x, labels, batch, 1e3 * dt / steps);
	}
out:
	ampcl_net_free(net);
	free(x);
	free(labels);
	return st;
}
