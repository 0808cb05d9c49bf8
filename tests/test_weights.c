/* test_weights.c: PyTorch-named weights in and out: strict --init (names, shapes, BN counts),
 * `ampcl eval --weights` equal to a checkpoint's eval, --predictions equal to ampcl_net_predict. */
#include "ampcl_cl.h"
#include "safetensors.h"
#include "testutil.h"
#include "train_config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[] = "/tmp/ampcl-weights-XXXXXX";

static void config(struct ampcl_train_config *c, const char *model, const char *out)
{
	ampcl_train_config_defaults(c);
	snprintf(c->model, sizeof(c->model), "%s", model);
	c->width = 2;
	snprintf(c->data, sizeof(c->data), "%s/data", dir);
	c->epochs = 1;
	c->batch = 8;
	c->seed = 3;
	snprintf(c->out, sizeof(c->out), "%s/%s", dir, out);
}

/* Tensor `poison`'s first value replaced by `value` in rewrite's copy (NULL: none). */
static const char *poison;
static float poison_value;

/* A copy of the safetensors file src at dst with tensor `skip` left out, tensor `reshape`
 * flattened to one dimension, `extra` added, and num_batches_tracked set to `tracked`. */
static void rewrite(const char *src, const char *dst, const char *skip, const char *reshape,
		    const char *extra, long long tracked)
{
	struct ampcl_st_file *f;
	struct ampcl_st_writer *w;
	tu_ok(ampcl_st_open(src, &f), "open safetensors");
	tu_ok(ampcl_st_writer_create(&w), "writer");
	for (int i = 0; i < ampcl_st_count(f); i++) {
		const struct ampcl_st_tensor *t = ampcl_st_get(f, i);
		if (skip && !strcmp(t->name, skip))
			continue;
		long long shape[8], count = 1;
		int ndim = t->ndim;
		memcpy(shape, t->shape, sizeof(shape));
		for (int d = 0; d < ndim; d++)
			count *= shape[d];
		if (reshape && !strcmp(t->name, reshape))
			ndim = 1, shape[0] = count;
		void *data = tu_malloc(t->bytes + 1);
		memcpy(data, ampcl_st_data(f, t), t->bytes);
		if (strstr(t->name, "num_batches_tracked"))
			memcpy(data, &tracked, sizeof(tracked));
		if (poison && !strcmp(t->name, poison))
			memcpy(data, &poison_value, sizeof(poison_value));
		tu_ok(ampcl_st_writer_add(w, t->name, t->dtype, ndim, shape, data, t->bytes),
		      "add");
		free(data);
	}
	if (extra) {
		float v[3] = {1, 2, 3};
		long long shape[1] = {3};
		tu_ok(ampcl_st_writer_add(w, extra, "F32", 1, shape, v, sizeof(v)), "add extra");
	}
	tu_ok(ampcl_st_writer_save(w, dst), "save");
	ampcl_st_writer_free(w);
	ampcl_st_free(f);
}

static long long tracked_of(const char *path)
{
	struct ampcl_st_file *f;
	tu_ok(ampcl_st_open(path, &f), "open export");
	const struct ampcl_st_tensor *t = ampcl_st_find(f, "bn1.num_batches_tracked");
	long long v = -1;
	if (t)
		memcpy(&v, ampcl_st_data(f, t), sizeof(v));
	ampcl_st_free(f);
	return v;
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	char data[512], ckpt[512], w[512], bad[512], args[4096], out[16384];
	snprintf(data, sizeof(data), "%s/data", dir);
	tu_write_tiny_cifar(data, 8, 11);
	struct ampcl_context *ctx = tu_context();

	/* a trained run and its exported weights */
	struct ampcl_train_config c;
	config(&c, "resnet18", "run");
	ampcl_trainer_t *t;
	tu_ok(ampcl_trainer_create(ctx, &c, &t), "create");
	tu_ok(ampcl_trainer_run(t, NULL), "train");
	ampcl_trainer_free(t);
	snprintf(ckpt, sizeof(ckpt), "%s/run/last.ampcl", dir);
	snprintf(w, sizeof(w), "%s/w.safetensors", dir);
	tu_ok(ampcl_checkpoint_export(ctx, ckpt, w), "export");
	/* 5 training files x 8 images, batch 8: 5 steps */
	tu_check(tracked_of(w) == 5, "num_batches_tracked counts the steps", "%lld", tracked_of(w));

	/* --init carries num_batches_tracked on: 100 in the file, 5 more steps */
	snprintf(bad, sizeof(bad), "%s/tracked.safetensors", dir);
	rewrite(w, bad, NULL, NULL, NULL, 100);
	config(&c, "resnet18", "tracked");
	snprintf(c.init, sizeof(c.init), "%s", bad);
	tu_ok(ampcl_trainer_create(ctx, &c, &t), "create with --init");
	tu_ok(ampcl_trainer_run(t, NULL), "train from --init");
	ampcl_trainer_free(t);
	snprintf(ckpt, sizeof(ckpt), "%s/tracked/last.ampcl", dir);
	snprintf(bad, sizeof(bad), "%s/tracked-out.safetensors", dir);
	tu_ok(ampcl_checkpoint_export(ctx, ckpt, bad), "export after --init");
	tu_check(tracked_of(bad) == 105, "--init imports num_batches_tracked", "%lld (want 105)",
		 tracked_of(bad));

	/* strict loading: each defect refused by name, exit 2 */
	struct {
		const char *what, *skip, *reshape, *extra, *expect, *poison;
		float value;
	} cases[] = {
	    {"a missing tensor", "layer2.0.bn1.running_var", NULL, NULL,
	     "1 missing tensor 'layer2.0.bn1.running_var'", NULL, 0},
	    {"an unexpected tensor", NULL, NULL, "layer5.0.bn1.weight",
	     "1 unexpected tensor 'layer5.0.bn1.weight'", NULL, 0},
	    {"a flattened tensor", NULL, "layer3.1.conv2.weight", NULL,
	     "'layer3.1.conv2.weight' is F32 [576]; the network needs F32 [8, 8, 3, 3]", NULL, 0},
	    /* values no trained model holds: the run would evaluate to NaN */
	    {"a negative running variance", NULL, NULL, NULL,
	     "tensor 'layer1.0.bn1.running_var' holds -1 at index 0 (a variance must be >= 0)",
	     "layer1.0.bn1.running_var", -1.0f},
	    {"a NaN weight", NULL, NULL, NULL, "tensor 'conv1.weight' holds nan at index 0",
	     "conv1.weight", NAN},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(bad, sizeof(bad), "%s/bad%zu.safetensors", dir, i);
		poison = cases[i].poison, poison_value = cases[i].value;
		rewrite(w, bad, cases[i].skip, cases[i].reshape, cases[i].extra, 5);
		poison = NULL;
		snprintf(
		    args, sizeof(args),
		    "train --data %s --model resnet18 --width 2 --batch 8 --init %s --out %s/x",
		    data, bad, dir);
		int rc = tu_run_cli(args, out, sizeof(out));
		tu_check(rc == 2 && strstr(out, cases[i].expect), "--init refuses",
			 "%s: exit %d, %s", cases[i].what, rc, out);
	}
	/* a ResNet-34 file into a ResNet-18: ResNet-34's extra blocks are unexpected */
	config(&c, "resnet34", "r34");
	c.epochs = 1;
	tu_ok(ampcl_trainer_create(ctx, &c, &t), "create resnet34");
	tu_ok(ampcl_trainer_run(t, NULL), "train resnet34");
	ampcl_trainer_free(t);
	snprintf(ckpt, sizeof(ckpt), "%s/r34/last.ampcl", dir);
	snprintf(bad, sizeof(bad), "%s/r34.safetensors", dir);
	tu_ok(ampcl_checkpoint_export(ctx, ckpt, bad), "export resnet34");
	snprintf(args, sizeof(args),
		 "train --data %s --model resnet18 --width 2 --batch 8 --init %s --out %s/x", data,
		 bad, dir);
	int rc = tu_run_cli(args, out, sizeof(out));
	tu_check(rc == 2 && strstr(out, "unexpected tensors 'layer1.2.conv1.weight'") &&
		     strstr(out, "more"),
		 "a ResNet-34 file does not load into a ResNet-18", "exit %d: %s", rc, out);

	/* eval --weights equals the checkpoint's evaluation, and writes predictions */
	snprintf(ckpt, sizeof(ckpt), "%s/run/last.ampcl", dir);
	struct ampcl_eval_request rq = {.checkpoint = ckpt};
	struct ampcl_eval_result a, b;
	tu_ok(ampcl_evaluate(ctx, &rq, &a), "evaluate checkpoint");
	char preds[512];
	snprintf(preds, sizeof(preds), "%s/preds.csv", dir);
	struct ampcl_eval_request rw = {.weights = w,
					.model = "resnet18",
					.width = 2,
					.data = data,
					.batch = 8, /* the run's, so the sums match bit for bit */
					.predictions = preds};
	tu_ok(ampcl_evaluate(ctx, &rw, &b), "evaluate weights");
	tu_check(a.accuracy == b.accuracy && a.loss == b.loss && a.images == 11 && b.images == 11,
		 "eval --weights equals the checkpoint's eval", "acc %.4f / %.4f, loss %.6f / %.6f",
		 a.accuracy, b.accuracy, a.loss, b.loss);
	snprintf(args, sizeof(args),
		 "eval --weights %s --model resnet18 --width 2 --data %s --batch 4", w, data);
	rc = tu_run_cli(args, out, sizeof(out));
	char want[64];
	snprintf(want, sizeof(want), "test accuracy %.2f%%", 100 * a.accuracy);
	tu_check(rc == 0 && strstr(out, want), "ampcl eval --weights", "exit %d: %s", rc, out);
	snprintf(args, sizeof(args), "eval --weights %s --data %s", w, data);
	rc = tu_run_cli(args, out, sizeof(out));
	tu_check(rc == 2 && strstr(out, "--model, --width and --data"),
		 "--weights without the model", "exit %d: %s", rc, out);

	/* the predictions: a header, one row per test image, logits equal to ampcl_net_predict */
	enum { K = 10 }; /* CIFAR-10's classes */
	FILE *f = fopen(preds, "r");
	char line[4096];
	int rows = 0, ok = f && fgets(line, sizeof(line), f) &&
			   !strncmp(line, "index,label,predicted,p0,p1,", 27) &&
			   strstr(line, ",p9,logit0,") && strstr(line, ",logit9\n");
	ampcl_net_t *net;
	tu_ok(ampcl_net_create(ctx, 3, 32, 32, &net), "net");
	tu_ok(ampcl_model_build(net, "resnet18", 2, K), "build");
	tu_ok(ampcl_net_finalize(net, 16, 1), "finalize");
	/* load the same weights through the public tensor API */
	struct ampcl_st_file *sf;
	tu_ok(ampcl_st_open(w, &sf), "open weights");
	for (int i = 0; i < ampcl_net_tensor_count(net); i++) {
		struct ampcl_tensor_info info;
		ampcl_net_tensor_info(net, i, &info);
		float *v = tu_malloc(info.count * 4);
		memcpy(v, ampcl_st_data(sf, ampcl_st_find(sf, info.name)), info.count * 4);
		tu_ok(ampcl_net_tensor_write(net, i, v), "write tensor");
		free(v);
	}
	ampcl_st_free(sf);
	/* the test images, normalised as the loader does: CIFAR-10's constants */
	static const float mean[3] = {0.4914f, 0.4822f, 0.4465f},
			   sd[3] = {0.2470f, 0.2435f, 0.2616f};
	snprintf(line, sizeof(line), "%s/test_batch.bin", data);
	FILE *tb = fopen(line, "rb");
	float *x = tu_malloc(11 * 3072 * 4), logits[11 * K];
	int labels[11];
	for (int i = 0; tb && i < 11; i++) {
		unsigned char rec[3073];
		ok &= fread(rec, 1, sizeof(rec), tb) == sizeof(rec);
		labels[i] = rec[0];
		for (int k = 0; k < 3072; k++)
			x[i * 3072 + k] =
			    (float)(((double)rec[1 + k] / 255.0 - (double)mean[k / 1024]) /
				    (double)sd[k / 1024]);
	}
	if (tb)
		fclose(tb);
	tu_ok(ampcl_net_predict(net, x, 11, logits), "predict");
	double worst = 0;
	while (f && fgets(line, sizeof(line), f)) {
		int index, label, pred, used;
		double psum = 0;
		char *q = line;
		if (sscanf(q, "%d,%d,%d%n", &index, &label, &pred, &used) != 3 || index != rows ||
		    label != labels[rows]) {
			ok = 0;
			break;
		}
		q += used;
		float v[2 * K];
		for (int k = 0; k < 2 * K; k++, q += used)
			ok &= sscanf(q, ",%f%n", &v[k], &used) == 1;
		int best = 0;
		for (int k = 0; k < K; k++) {
			double d = fabs(v[K + k] - logits[rows * K + k]);
			worst = d > worst ? d : worst;
			best = logits[rows * K + k] > logits[rows * K + best] ? k : best;
			psum += v[k];
		}
		ok &= pred == best && fabs(psum - 1) < 1e-4;
		rows++;
	}
	if (f)
		fclose(f);
	tu_check(ok && rows == 11 && worst <= 1e-6 * (1 + fabs(logits[0])), "--predictions rows",
		 "%d rows, logits within %.2g of ampcl_net_predict", rows, worst);

	/* the interop view of a tensor */
	cl_mem mem;
	size_t off;
	tu_ok(ampcl_net_tensor_cl(net, 0, 0, &mem, &off), "tensor cl_mem");
	tu_check(mem != NULL && off % 256 == 0, "ampcl_net_tensor_cl", "offset %zu", off);
	tu_check(ampcl_net_tensor_cl(net, 3, 1, &mem, &off) == AMPCL_ERR_INVALID_ARG,
		 "a statistic has no gradient", "%s", ampcl_last_error());
	ampcl_net_free(net);
	free(x);
	ampcl_context_free(ctx);
	tu_remove_tree(dir);
	return tu_finish();
}
