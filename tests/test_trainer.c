/* test_trainer.c: the trainer end to end on a small CIFAR-format data set the test writes: outputs,
 * checkpoint round trip, resume bit-identity, damaged checkpoints, export/--init, eval, bad input.
 */
#define _GNU_SOURCE /* memmem */
#include "checkpoint.h"
#include "testutil.h"
#include "train_config.h"

#include <jansson.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/ampcl-trainer-XXXXXX";

static void base_config(struct ampcl_train_config *c, const char *out, int epochs)
{
	ampcl_train_config_defaults(c);
	snprintf(c->model, sizeof(c->model), "resnet18");
	c->width = 2;
	snprintf(c->data, sizeof(c->data), "%s/data", dir);
	c->epochs = epochs;
	c->batch = 8;
	c->lr = 0.05;
	snprintf(c->lr_schedule, sizeof(c->lr_schedule), "multistep:2:0.1");
	c->seed = 5;
	snprintf(c->out, sizeof(c->out), "%s/%s", dir, out);
}

static int run(struct ampcl_context *ctx, const struct ampcl_train_config *c, ampcl_trainer_t **t)
{
	int st = ampcl_trainer_create(ctx, c, t);
	return st ? st : ampcl_trainer_run(*t, NULL);
}

/* every net tensor of a and b bit for bit */
static int same_weights(ampcl_trainer_t *a, ampcl_trainer_t *b)
{
	ampcl_net_t *na = ampcl_trainer_net(a), *nb = ampcl_trainer_net(b);
	int same = ampcl_net_tensor_count(na) == ampcl_net_tensor_count(nb);
	for (int i = 0; same && i < ampcl_net_tensor_count(na); i++) {
		struct ampcl_tensor_info info;
		ampcl_net_tensor_info(na, i, &info);
		float *x = tu_malloc(info.count * 4), *y = tu_malloc(info.count * 4);
		ampcl_net_tensor_read(na, i, x);
		ampcl_net_tensor_read(nb, i, y);
		same = !memcmp(x, y, info.count * 4);
		free(x);
		free(y);
	}
	return same;
}

/* The whole text of the file at path (NULL if it cannot be read); free it. */
static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *text = tu_malloc(1 << 20);
	size_t len = fread(text, 1, (1 << 20) - 1, f);
	text[len] = 0;
	fclose(f);
	return text;
}

/* OUT/steps.csv of run `name` checked against its log.csv: the header, rows in order (fractional
 * epochs rising, each epoch's rows ending at its last step), every epoch's rows' image-weighted
 * mean loss and accuracy equal to log.csv's (as printed). Returns the rows, or -1 if wrong. */
static int check_steps_csv(const char *name, int epochs)
{
	char path[600], line[512];
	snprintf(path, sizeof(path), "%s/%s/steps.csv", dir, name);
	FILE *f = fopen(path, "r");
	if (!f || !fgets(line, sizeof(line), f) ||
	    strcmp(line, "epoch,step,fractional_epoch,images,lr,train_loss,train_acc\n")) {
		tu_check(0, "steps.csv header", "%s", f ? line : "missing");
		if (f)
			fclose(f);
		return -1;
	}
	double loss[64] = {0}, acc[64] = {0}, images[64] = {0}, prev = -1;
	int rows = 0, ordered = 1;
	int epoch, step;
	double frac, img, lr, l, a;
	while (fscanf(f, "%d,%d,%lf,%lf,%lf,%lf,%lf", &epoch, &step, &frac, &img, &lr, &l, &a) ==
	       7) {
		ordered &= frac > prev && epoch >= 0 && epoch < 64 && frac > epoch &&
			   frac <= epoch + 1 && img > 0;
		prev = frac, rows++;
		if (epoch >= 0 && epoch < 64)
			loss[epoch] += l * img, acc[epoch] += a * img, images[epoch] += img;
	}
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s/log.csv", dir, name);
	f = fopen(path, "r");
	int matched = 0;
	double miss = 0;
	if (f && fgets(line, sizeof(line), f))
		while (fscanf(f, "%d,%lf,%lf,%lf%*[^\n]", &epoch, &lr, &l, &a) == 4 && epoch < 64) {
			double dl = fabs(loss[epoch] / images[epoch] - l) / fabs(l),
			       da = fabs(acc[epoch] / images[epoch] - a);
			miss = fmax(miss, fmax(dl, da));
			matched += dl < 1e-5 && da < 1e-5;
		}
	if (f)
		fclose(f);
	/* tolerance: both files print 6 significant digits */
	tu_check(ordered && prev == epochs && matched == epochs, "steps.csv rows",
		 "%s: %d rows in order %s, last at epoch %g, %d of %d epochs' means match log.csv "
		 "(worst relative miss %.2g, allowed 1e-5)",
		 name, rows, ordered ? "yes" : "no", prev, matched, epochs, miss);
	return ordered && prev == epochs && matched == epochs ? rows : -1;
}

/* steps.csv of runs a and b byte for byte. */
static int same_steps_csv(const char *a, const char *b)
{
	char pa[600], pb[600];
	snprintf(pa, sizeof(pa), "%s/%s/steps.csv", dir, a);
	snprintf(pb, sizeof(pb), "%s/%s/steps.csv", dir, b);
	char *ta = read_text(pa), *tb = read_text(pb);
	int same = ta && tb && !strcmp(ta, tb);
	free(ta), free(tb);
	return same;
}

/* `ampcl train` sent `sig` once an epoch is done: it stops after its step, saves last.ampcl,
 * says how to go on and exits 128 + sig. */
static void test_signal(int sig)
{
	const char *bin = getenv("AMPCL_BIN");
	if (!bin) {
		printf("SKIP signals: AMPCL_BIN is not set (ctest sets it)\n");
		return;
	}
	char out[600], data[600], log[700], last[700];
	snprintf(out, sizeof(out), "%s/signal%d", dir, sig);
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(log, sizeof(log), "%s/log.csv", out);
	snprintf(last, sizeof(last), "%s/last.ampcl", out);
	int fds[2];
	if (pipe(fds))
		abort();
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		execl(bin, bin, "train", "--data", data, "--model", "resnet18", "--width", "2",
		      "--batch", "8", "--epochs", "100000", "--out", out, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	for (int i = 0; i < 1200 && access(log, F_OK); i++)
		usleep(100000); /* the first epoch's outputs: training is under way */
	kill(pid, sig);
	char text[1 << 14];
	size_t n = 0;
	ssize_t got;
	while ((got = read(fds[0], text + n, sizeof(text) - 1 - n)) > 0)
		n += (size_t)got;
	text[n] = 0;
	close(fds[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	char *msg = strstr(text, "interrupted");
	tu_check(code == 128 + sig && msg && strstr(text, "--resume") && access(last, R_OK) == 0,
		 sig == SIGINT ? "SIGINT saves the run and exits 130"
			       : "SIGTERM saves the run and exits 143",
		 "exit %d; %.200s", code, msg ? msg : text);
}

/* kill -9 at moments spread over a run's epochs (checkpoint writes included), then --resume:
 * last.ampcl, when there is one, always opens whole (never a half-written or corrupt file), its
 * epoch never goes back, and the folder's lock dies with the process. */
static void test_kill9(void)
{
	const char *bin = getenv("AMPCL_BIN");
	if (!bin) {
		printf("SKIP kill -9: AMPCL_BIN is not set (ctest sets it)\n");
		return;
	}
	char out[600], data[600], last[700];
	snprintf(out, sizeof(out), "%s/killed", dir);
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(last, sizeof(last), "%s/last.ampcl", out);
	int bad = 0, opened = 0, back = 0, prev = 0;
	for (int k = 0; k < 6; k++) {
		int have = access(last, F_OK) == 0;
		pid_t pid = fork();
		if (pid == 0) {
			int fd = open("/dev/null", O_WRONLY);
			dup2(fd, 1);
			dup2(fd, 2);
			if (have)
				execl(bin, bin, "train", "--resume", last, (char *)NULL);
			else
				execl(bin, bin, "train", "--data", data, "--model", "resnet18",
				      "--width", "2", "--batch", "8", "--epochs", "100000", "--out",
				      out, (char *)NULL);
			_exit(127);
		}
		/* the first run until it has written a checkpoint (slow devices take a while to
		 * start), the resumed ones 0.3 .. 1.55 s in */
		for (int i = 0; !have && i < 1200 && access(last, F_OK); i++)
			usleep(100000);
		usleep(300000 + 250000 * (useconds_t)k);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		if (access(last, F_OK) != 0)
			continue;
		struct ampcl_checkpoint_state st;
		struct ampcl_checkpoint *ck = NULL;
		if (ampcl_checkpoint_open(last, &ck, &st) != AMPCL_OK) {
			bad++;
			continue;
		}
		opened++;
		back += st.next_epoch < prev;
		prev = st.next_epoch;
		ampcl_checkpoint_free(ck);
		ampcl_checkpoint_state_release(&st);
	}
	tu_check(bad == 0 && back == 0 && opened > 0, "kill -9 never leaves a bad checkpoint",
		 "6 kills: last.ampcl opened whole %d times, %d failed, the epoch went back %d "
		 "times (reached epoch %d)",
		 opened, bad, back, prev);
}

/* Two threads writing one file through the atomic write, 100 times each: every write succeeds
 * and the file ends whole, all of one thread's bytes (each write has its own temporary). */
struct writer {
	const char *path;
	char fill;
	int failed;
};

static void *write_many(void *arg)
{
	struct writer *w = arg;
	char buf[4096];
	memset(buf, w->fill, sizeof(buf));
	for (int i = 0; i < 100; i++) {
		ampcl_atomic_file_t *a;
		FILE *f;
		if (ampcl_atomic_file_open(w->path, &a, &f)) {
			w->failed++;
			continue;
		}
		fwrite(buf, 1, sizeof(buf), f);
		w->failed += ampcl_atomic_file_commit(a) != AMPCL_OK;
	}
	return NULL;
}

static void test_concurrent_writes(void)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/shared.bin", dir);
	struct writer w[2] = {{path, 'a', 0}, {path, 'b', 0}};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, write_many, &w[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	size_t n;
	char *got = tu_read_file(path, &n);
	int whole = got && n == 4096;
	for (size_t i = 1; whole && i < n; i++)
		whole = got[i] == got[0];
	tu_check(!w[0].failed && !w[1].failed && whole,
		 "two threads writing one file never share a temporary",
		 "%d and %d writes failed; the file is %zu bytes, %s", w[0].failed, w[1].failed, n,
		 whole ? "all of one thread's" : "mixed or short");
	free(got);
}

/* should_stop: yes from the `*user`-th poll on (polls come after each step) */
static int stop_after(void *user)
{
	int *left = user;
	return --*left < 0;
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	char path[512], path2[512];
	snprintf(path, sizeof(path), "%s/data", dir);
	tu_write_tiny_cifar(path, 8, 12);
	struct ampcl_context *ctx = tu_context();

	/* an uninterrupted run of 3 epochs */
	struct ampcl_train_config c;
	base_config(&c, "full", 3);
	ampcl_trainer_t *full;
	tu_ok(run(ctx, &c, &full), "3-epoch run");
	int n;
	const struct ampcl_epoch_record *h = ampcl_trainer_history(full, &n);
	tu_check(n == 3 && h[2].train_loss < h[0].train_loss && isfinite(h[2].test_acc),
		 "the loss falls", "%d epochs, train loss %.4f -> %.4f, test acc %.3f", n,
		 h[0].train_loss, h[2].train_loss, h[2].test_acc);
	tu_check(fabs(h[2].lr - 0.005) < 1e-12 && fabs(h[0].lr - 0.05) < 1e-12,
		 "multistep schedule", "lr %g then %g", h[0].lr, h[2].lr);

	/* outputs */
	/* the library writes data; curves.png is the program's (test_progress) */
	const char *files[] = {"log.csv", "summary.json", "last.ampcl", "best.ampcl"};
	int present = 0;
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/full/%s", dir, files[i]);
		present += tu_file_size(path) > 0;
	}
	snprintf(path, sizeof(path), "%s/full/curves.png", dir);
	tu_check(present == 4 && tu_file_size(path) < 0, "outputs written",
		 "%d of 4 files in %s/full, and no picture", present, dir);
	snprintf(path, sizeof(path), "%s/full/log.csv", dir);
	FILE *f = fopen(path, "r");
	char line[512];
	int lines = 0, header = 0;
	while (f && fgets(line, sizeof(line), f))
		header |= lines++ == 0 &&
			  !strncmp(line, "epoch,lr,train_loss,train_acc,test_loss,test_acc", 48);
	if (f)
		fclose(f);
	tu_check(lines == 4 && header, "log.csv", "%d lines, header %s", lines,
		 header ? "ok" : "wrong");
	snprintf(path, sizeof(path), "%s/full/summary.json", dir);
	f = fopen(path, "r");
	char *text = tu_malloc(1 << 16);
	size_t len = f ? fread(text, 1, (1 << 16) - 1, f) : 0;
	if (f)
		fclose(f);
	json_error_t jerr;
	json_t *json = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	const json_t *acc = json ? json_object_get(json, "final_test_acc") : NULL;
	tu_check(json_is_number(acc) && fabs(json_number_value(acc) - h[2].test_acc) < 1e-5,
		 "summary.json parses", "final_test_acc %s", acc ? "present" : "missing");
	json_decref(json);
	int st;
	free(text);
	/* steps.csv: 5 steps an epoch, 15 in all, so a row every step */
	int rows = check_steps_csv("full", 3);
	tu_check(rows == 15, "steps.csv has a row per step of a short run", "%d rows, want 15",
		 rows);
	/* 120 steps of batch 1: a row every 2 steps (ceil(120 / 100)) */
	{
		struct ampcl_train_config b;
		base_config(&b, "batch1", 3);
		b.batch = 1;
		ampcl_trainer_t *t1;
		tu_ok(run(ctx, &b, &t1), "3 epochs of batch 1");
		ampcl_trainer_free(t1);
		rows = check_steps_csv("batch1", 3);
		tu_check(rows == 60, "steps.csv thins a longer run to about 100 rows",
			 "%d rows for 120 steps, want 60", rows);
		/* stopped after step 7, inside a row of two steps: the half row is saved with
		 * the run and the resumed run's rows are the uninterrupted run's */
		base_config(&b, "batch1_stopped", 3);
		b.batch = 1;
		int polls = 7;
		struct ampcl_train_callbacks stop = {&polls, NULL, NULL, NULL, NULL, stop_after};
		tu_ok(ampcl_trainer_create(ctx, &b, &t1), "create");
		int stopped = ampcl_trainer_run(t1, &stop);
		ampcl_trainer_free(t1);
		snprintf(path, sizeof(path), "%s/batch1_stopped/last.ampcl", dir);
		tu_ok(ampcl_trainer_resume(ctx, path, 3, NULL, &t1), "resume in a row");
		tu_ok(ampcl_trainer_run(t1, NULL), "resumed run");
		ampcl_trainer_free(t1);
		tu_check(stopped == AMPCL_ERR_INTERRUPTED &&
			     same_steps_csv("batch1", "batch1_stopped"),
			 "steps.csv of a run stopped inside a row equals an uninterrupted run's",
			 "stop status %d; %s/batch1_stopped/steps.csv vs batch1/steps.csv", stopped,
			 dir);
	}

	/* interrupted after 1 epoch, resumed for the remaining 2: the same losses, bit for bit */
	base_config(&c, "part", 1);
	ampcl_trainer_t *part, *resumed;
	tu_ok(run(ctx, &c, &part), "1-epoch run");
	ampcl_trainer_free(part);
	snprintf(path, sizeof(path), "%s/part/last.ampcl", dir);
	tu_ok(ampcl_trainer_resume(ctx, path, 3, NULL, &resumed), "resume");
	tu_check(ampcl_trainer_next_epoch(resumed) == 1, "resume starts at epoch 1", "%d",
		 ampcl_trainer_next_epoch(resumed));
	tu_ok(ampcl_trainer_run(resumed, NULL), "resumed run");
	int m;
	const struct ampcl_epoch_record *r = ampcl_trainer_history(resumed, &m);
	tu_check(m == 3 && r[1].train_loss == h[1].train_loss &&
		     r[2].train_loss == h[2].train_loss && r[2].test_loss == h[2].test_loss &&
		     r[2].test_acc == h[2].test_acc,
		 "resume is bit-identical",
		 "epoch 2 train loss %.17g vs %.17g, test loss %.17g vs %.17g",
		 m == 3 ? r[2].train_loss : NAN, h[2].train_loss, m == 3 ? r[2].test_loss : NAN,
		 h[2].test_loss);
	tu_check(same_weights(full, resumed), "resumed weights bit-identical", "all tensors");
	tu_check(same_steps_csv("full", "part"),
		 "a resumed run's steps.csv equals an uninterrupted "
		 "run's",
		 "%s/part/steps.csv vs full/steps.csv", dir);
	ampcl_trainer_free(resumed);

	/* amplification on with factor 1, every eligible layer selected (residual joins included):
	 * the same losses as off, bit for bit; factor 2 changes them */
	base_config(&c, "amp1", 3);
	snprintf(c.amp_types, sizeof(c.amp_types), "bn,relu,conv,linear");
	c.amp_ratio = 1;
	c.amp_factor = 1;
	snprintf(c.amp_epochs, sizeof(c.amp_epochs), "0-2");
	ampcl_trainer_t *amp;
	tu_ok(run(ctx, &c, &amp), "factor-1 run");
	r = ampcl_trainer_history(amp, &m);
	int same = m == 3;
	for (int i = 0; same && i < 3; i++)
		same = r[i].train_loss == h[i].train_loss && r[i].test_loss == h[i].test_loss &&
		       r[i].amp_layers > 0;
	tu_check(same && same_weights(full, amp), "amplification factor 1 is bit-identical to off",
		 "3 epochs, %d layers amplified", m ? r[0].amp_layers : 0);
	ampcl_trainer_free(amp);
	/* a factor compounds over every selected layer on a path: 2 on all 58 would be 2^depth */
	c.amp_factor = 2;
	c.amp_ratio = 0.3;
	snprintf(c.amp_types, sizeof(c.amp_types), "bn");
	snprintf(c.out, sizeof(c.out), "%s/amp2", dir);
	tu_ok(run(ctx, &c, &amp), "factor-2 run");
	r = ampcl_trainer_history(amp, &m);
	tu_check(m == 3 && r[1].train_loss != h[1].train_loss, "factor 2 changes training",
		 "epoch 1 train loss %.6f vs %.6f", r[1].train_loss, h[1].train_loss);
	snprintf(path, sizeof(path), "%s/amp2/amp.log", dir);
	tu_check(tu_file_size(path) > 0, "the selection is logged", "%s", path);
	ampcl_trainer_free(amp);
	/* every mode logs what it amplified, and log.csv counts it: per-step draws, and the
	 * automatic choice made after the first step of an amplified epoch */
	const char *modes[][3] = {{"iter", "random", "redrawn every step, step 0: 6 of 20"},
				  {"epoch", "auto", "chosen by the first step: 6 of 20"}};
	for (int i = 0; i < 2; i++) {
		base_config(&c, modes[i][1], 1);
		snprintf(c.amp_redraw, sizeof(c.amp_redraw), "%s", modes[i][0]);
		snprintf(c.amp_select, sizeof(c.amp_select), "%s", modes[i][1]);
		snprintf(c.amp_epochs, sizeof(c.amp_epochs), "0");
		snprintf(c.out, sizeof(c.out), "%s/mode-%s", dir, modes[i][0]);
		tu_ok(run(ctx, &c, &amp), "amplified run");
		r = ampcl_trainer_history(amp, &m);
		char text[4096] = "";
		snprintf(path, sizeof(path), "%s/mode-%s/amp.log", dir, modes[i][0]);
		f = fopen(path, "r");
		size_t len = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
		text[len] = 0;
		if (f)
			fclose(f);
		tu_check(m == 1 && r[0].amp_layers == 6 && strstr(text, modes[i][2]),
			 "amplification is reported",
			 "--amp-redraw %s --amp-select %s: %d layers in "
			 "log.csv, amp.log '%s'",
			 modes[i][0], modes[i][1], m ? r[0].amp_layers : -1, text);
		ampcl_trainer_free(amp);
	}

	/* eval of best.ampcl reproduces the run's best test accuracy */
	snprintf(path, sizeof(path), "%s/full/best.ampcl", dir);
	struct ampcl_eval_request req = {.checkpoint = path};
	struct ampcl_eval_result res;
	tu_ok(ampcl_evaluate(ctx, &req, &res), "evaluate");
	double accuracy = res.accuracy;
	int images = res.images;
	double best = -1;
	for (int i = 0; i < n; i++)
		best = h[i].test_acc > best ? h[i].test_acc : best;
	tu_check(accuracy == best && images == 12, "eval of best.ampcl",
		 "%.4f vs best %.4f, %d images", accuracy, best, images);

	/* export, then start a run from the file: the same weights */
	snprintf(path, sizeof(path), "%s/full/last.ampcl", dir);
	snprintf(path2, sizeof(path2), "%s/w.safetensors", dir);
	tu_ok(ampcl_checkpoint_export(ctx, path, path2), "export");
	base_config(&c, "init", 1);
	snprintf(c.init, sizeof(c.init), "%s", path2);
	ampcl_trainer_t *init;
	tu_ok(ampcl_trainer_create(ctx, &c, &init), "create with --init");
	tu_check(same_weights(full, init), "safetensors round trip",
		 "export -> --init, all tensors");
	ampcl_trainer_free(init);

	/* damaged checkpoints: a flipped byte, a truncation; nothing is loaded */
	snprintf(path2, sizeof(path2), "%s/damaged.ampcl", dir);
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", path, path2);
	tu_check(system(cmd) == 0, "copy checkpoint", "%s", cmd);
	f = fopen(path2, "r+b");
	fseek(f, tu_file_size(path2) / 2, SEEK_SET);
	fputc(0x5a ^ fgetc(f), f);
	fclose(f);
	st = ampcl_trainer_resume(ctx, path2, 0, NULL, &resumed);
	tu_check(st == AMPCL_ERR_BAD_FILE && strstr(ampcl_last_error(), "damaged.ampcl") &&
		     strstr(ampcl_last_error(), "checksum"),
		 "a damaged checkpoint is refused", "%s", ampcl_last_error());
	/* the training state in the metadata is covered by the checksum too */
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", path, path2);
	tu_check(system(cmd) == 0, "copy checkpoint", "%s", cmd);
	{
		FILE *cf = fopen(path2, "r+b");
		char head[4096];
		size_t hn = fread(head, 1, sizeof(head) - 1, cf);
		head[hn] = 0;
		char *lr = memmem(head, hn, "lr 0.050", 8);
		if (lr) {
			fseek(cf, (long)(lr - head) + 4, SEEK_SET);
			fputc('9', cf); /* lr 0.05 -> lr 0.95 */
		}
		fclose(cf);
		st = ampcl_trainer_resume(ctx, path2, 0, NULL, &resumed);
		tu_check(lr && st == AMPCL_ERR_BAD_FILE && strstr(ampcl_last_error(), "checksum"),
			 "an edited training state is refused", "%s", ampcl_last_error());
	}
	/* ampcl 0.1's raw-arena checkpoints are refused by name */
	f = fopen(path2, "wb");
	fputs("AMPCLCKP and the rest of an old file", f);
	fclose(f);
	st = ampcl_trainer_resume(ctx, path2, 0, NULL, &resumed);
	tu_check(st == AMPCL_ERR_BAD_FILE && strstr(ampcl_last_error(), "ampcl 0.1's format"),
		 "an old checkpoint is refused", "%s", ampcl_last_error());
	tu_check(truncate(path, tu_file_size(path) - 100) == 0, "truncate", "%s", path);
	st = ampcl_trainer_resume(ctx, path, 0, NULL, &resumed);
	tu_check(st == AMPCL_ERR_BAD_FILE, "a truncated checkpoint is refused", "%s",
		 ampcl_last_error());

	/* the opaque configuration of the public API: set, get, copy, refusals */
	ampcl_train_config_t *pc, *pc2;
	tu_ok(ampcl_train_config_create(&pc), "config create");
	char got[64];
	int ok = !ampcl_train_config_set(pc, "lr", "0.05") &&
		 !ampcl_train_config_get(pc, "lr", got, sizeof(got)) && atof(got) == 0.05 &&
		 !ampcl_train_config_get(pc, "batch", got, sizeof(got)) && !strcmp(got, "128");
	tu_ok(ampcl_train_config_copy(pc, &pc2), "config copy");
	ok &= !ampcl_train_config_set(pc, "model", "vgg19") &&
	      !ampcl_train_config_get(pc2, "model", got, sizeof(got)) && !strcmp(got, "resnet18");
	int bad_key = ampcl_train_config_set(pc, "learning_rate", "1");
	int bad_value = ampcl_train_config_set(pc, "width", "wide");
	tu_check(ok && bad_key == AMPCL_ERR_INVALID_ARG && bad_value == AMPCL_ERR_INVALID_ARG,
		 "ampcl_train_config_set/get", "lr %s, unknown key %d, bad value %d", got, bad_key,
		 bad_value);
	ampcl_train_config_free(pc);
	ampcl_train_config_free(pc2);

	/* interrupted mid-epoch (after step 4 of epoch 1's 5): `last` holds the epoch's progress,
	 * and a resumed run ends with the uninterrupted run's bits and history */
	{
		base_config(&c, "stopped", 3);
		int polls = 8;
		struct ampcl_train_callbacks stop = {&polls, NULL, NULL, NULL, NULL, stop_after};
		ampcl_trainer_t *s1, *s2;
		tu_ok(ampcl_trainer_create(ctx, &c, &s1), "create");
		st = ampcl_trainer_run(s1, &stop);
		tu_check(
		    st == AMPCL_ERR_INTERRUPTED &&
			strstr(ampcl_last_error(), "interrupted at epoch 1 after step 4 of 5") &&
			strstr(ampcl_last_error(), "--resume"),
		    "a stop request saves the run mid-epoch", "status %d: %s", st,
		    ampcl_last_error());
		ampcl_trainer_free(s1);
		snprintf(path, sizeof(path), "%s/stopped/last.ampcl", dir);
		tu_ok(ampcl_trainer_resume(ctx, path, 3, NULL, &s2), "resume mid-epoch");
		tu_ok(ampcl_trainer_run(s2, NULL), "resumed run");
		int m2, m1;
		const struct ampcl_epoch_record *r2 = ampcl_trainer_history(s2, &m2);
		const struct ampcl_epoch_record *r1 = ampcl_trainer_history(full, &m1);
		int same = m1 == 3 && m2 == 3 && same_weights(full, s2);
		for (int e = 0; same && e < 3; e++)
			same = r1[e].train_loss == r2[e].train_loss &&
			       r1[e].train_acc == r2[e].train_acc &&
			       r1[e].test_loss == r2[e].test_loss;
		tu_check(same, "a run resumed mid-epoch is bit-identical",
			 "%d epochs; weights and every epoch's losses compared bitwise", m2);
		tu_check(same_steps_csv("full", "stopped"),
			 "steps.csv of a run resumed mid-epoch equals an uninterrupted run's",
			 "%s/stopped/steps.csv vs full/steps.csv: no row twice, none missing", dir);
		ampcl_trainer_free(s2);
	}

	/* special files: a pipe given to --resume is refused at once (never blocks), a device
	 * given to export is never replaced */
	{
		char fifo[600], ckpt[600];
		snprintf(fifo, sizeof(fifo), "%s/a-pipe", dir);
		snprintf(ckpt, sizeof(ckpt), "%s/full/best.ampcl", dir);
		ampcl_trainer_t *never;
		int made = mkfifo(fifo, 0600) == 0;
		st = ampcl_trainer_resume(ctx, fifo, 0, NULL, &never);
		tu_check(made && st == AMPCL_ERR_BAD_FILE && strstr(ampcl_last_error(), "a pipe"),
			 "--resume refuses a pipe", "%s", ampcl_last_error());
		st = ampcl_checkpoint_export(ctx, ckpt, "/dev/null");
		struct stat sb;
		tu_check(st == AMPCL_ERR_IO && strstr(ampcl_last_error(), "a device") &&
			     stat("/dev/null", &sb) == 0 && S_ISCHR(sb.st_mode),
			 "export never replaces a device", "%s", ampcl_last_error());
	}

	/* a --schedule run resumed after its file is gone and its data moved: the phases come
	 * from the checkpoint, the data from the new path, the bits from an uninterrupted run;
	 * another data set is refused */
	{
		char sched[600], moved[600], other[600], ckpt[600], data[600];
		snprintf(data, sizeof(data), "%s/data", dir);
		snprintf(sched, sizeof(sched), "%s/phases.txt", dir);
		snprintf(moved, sizeof(moved), "%s/data-moved", dir);
		snprintf(other, sizeof(other), "%s/data-other", dir);
		FILE *f = fopen(sched, "w");
		if (f) {
			fputs("# warm, then lower\n1 0.05 on\n2 0.01 off\n", f);
			fclose(f);
		}
		base_config(&c, "sched-full", 0);
		snprintf(c.schedule_file, sizeof(c.schedule_file), "%s", sched);
		/* the phases alone set the rate and the amplification */
		struct ampcl_train_config d;
		ampcl_train_config_defaults(&d);
		c.lr = d.lr;
		snprintf(c.lr_schedule, sizeof(c.lr_schedule), "%s", d.lr_schedule);
		ampcl_trainer_t *a1, *b1, *b2, *o;
		tu_ok(run(ctx, &c, &a1), "scheduled run");
		base_config(&c, "sched-stop", 0);
		snprintf(c.schedule_file, sizeof(c.schedule_file), "%s", sched);
		c.lr = d.lr;
		snprintf(c.lr_schedule, sizeof(c.lr_schedule), "%s", d.lr_schedule);
		/* a flag that the phases would override is refused, naming it */
		snprintf(c.amp_epochs, sizeof(c.amp_epochs), "0");
		st = ampcl_trainer_create(ctx, &c, &b1);
		tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(ampcl_last_error(), "--amp-epochs"),
			 "--schedule with --amp-epochs is refused", "status %d: %s", st,
			 ampcl_last_error());
		c.amp_epochs[0] = 0;
		int polls = 4; /* the 5th poll: the end of epoch 0 */
		struct ampcl_train_callbacks stop = {&polls, NULL, NULL, NULL, NULL, stop_after};
		tu_ok(ampcl_trainer_create(ctx, &c, &b1), "create");
		st = ampcl_trainer_run(b1, &stop);
		ampcl_trainer_free(b1);
		snprintf(ckpt, sizeof(ckpt), "%s/sched-stop/last.ampcl", dir);
		int gone = unlink(sched) == 0 && rename(data, moved) == 0;
		tu_write_tiny_cifar(other, 9, 12);
		int refused = ampcl_trainer_resume_data(ctx, ckpt, 0, NULL, other, &o);
		char why[512];
		snprintf(why, sizeof(why), "%s", ampcl_last_error());
		tu_check(st == AMPCL_ERR_INTERRUPTED && refused == AMPCL_ERR_INVALID_ARG &&
			     strstr(why, "40 training images"),
			 "a resume on another data set is refused", "%s", why);
		tu_ok(ampcl_trainer_resume_data(ctx, ckpt, 0, NULL, moved, &b2), "resume, moved");
		tu_ok(ampcl_trainer_run(b2, NULL), "resumed scheduled run");
		int n1, n2;
		const struct ampcl_epoch_record *h1 = ampcl_trainer_history(a1, &n1);
		const struct ampcl_epoch_record *h2 = ampcl_trainer_history(b2, &n2);
		tu_check(gone && n1 == 3 && n2 == 3 && same_weights(a1, b2) &&
			     h2[2].lr == h1[2].lr && h2[2].train_loss == h1[2].train_loss,
			 "a resume needs neither its --schedule file nor the data's old path",
			 "%d epochs, lr %g then %g, weights bitwise", n2, n2 == 3 ? h2[2].lr : NAN,
			 h1[2].lr);
		if (rename(moved, data) != 0)
			printf("note: could not move the data back\n");
		ampcl_trainer_free(a1);
		ampcl_trainer_free(b2);
	}

	/* amplification that would select no layer is refused, naming the ratio and types */
	base_config(&c, "noamp", 1);
	snprintf(c.amp_types, sizeof(c.amp_types), "linear");
	c.amp_ratio = 0.3;
	snprintf(c.amp_epochs, sizeof(c.amp_epochs), "0");
	ampcl_trainer_t *noamp;
	st = ampcl_trainer_create(ctx, &c, &noamp);
	tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(ampcl_last_error(), "selects none"),
		 "an amplification that selects no layer is refused", "%s", ampcl_last_error());
	if (!st)
		ampcl_trainer_free(noamp);

	/* a file-size limit while writing is a runtime failure (exit 1) that leaves no file */
	{
		const char *bin = getenv("AMPCL_BIN");
		char cmd[2048], out[700], text[4096] = "";
		snprintf(out, sizeof(out), "%s/limited.safetensors", dir);
		snprintf(
		    cmd, sizeof(cmd),
		    "ulimit -f 8; exec '%s' export --checkpoint '%s/full/best.ampcl' --out '%s' "
		    "2>&1",
		    bin ? bin : "ampcl", dir, out);
		FILE *p = popen(cmd, "r");
		size_t got = p ? fread(text, 1, sizeof(text) - 1, p) : 0;
		text[got] = 0;
		int status = p ? pclose(p) : -1;
		int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		tu_check(
		    !bin || (code == 1 && strstr(text, "File too large") && access(out, F_OK) != 0),
		    "a file-size limit exits 1 and leaves nothing", "exit %d: %s", code, text);
	}

	test_concurrent_writes();
	test_kill9();
	test_signal(SIGINT);
	test_signal(SIGTERM);

	/* divergence in an epoch's last step (one step an epoch; lr x 1e30 from epoch 1): the run
	 * fails with the check's status, and epoch 0's finite checkpoints stay */
	base_config(&c, "diverge", 3);
	c.batch = 40; /* the whole training set */
	snprintf(c.lr_schedule, sizeof(c.lr_schedule), "multistep:1:1e30");
	ampcl_trainer_t *bad_run, *kept;
	st = run(ctx, &c, &bad_run);
	char why[512];
	snprintf(why, sizeof(why), "%s", ampcl_last_error());
	char last[600], best_path[600];
	snprintf(last, sizeof(last), "%s/diverge/last.ampcl", dir);
	snprintf(best_path, sizeof(best_path), "%s/diverge/best.ampcl", dir);
	int back = ampcl_trainer_resume(ctx, last, 3, NULL, &kept);
	tu_check(st == AMPCL_ERR_CHECK_FAILED && strstr(why, "non-finite at epoch 1") && !back &&
		     ampcl_trainer_next_epoch(kept) == 1 && access(best_path, R_OK) == 0,
		 "a model that diverges in its last step is never written",
		 "status %d: %s; last.ampcl resumes at epoch %d (want 1: epoch 0's)", st, why,
		 back ? -1 : ampcl_trainer_next_epoch(kept));
	ampcl_trainer_free(bad_run);
	if (!back)
		ampcl_trainer_free(kept);

	/* --out: a folder holding another run is refused, --overwrite replaces it (its amp.log
	 * and a killed run's temporary go too); a folder another run holds is refused */
	{
		char amp_log[600], tmp[600], lock[600];
		snprintf(amp_log, sizeof(amp_log), "%s/diverge/amp.log", dir);
		snprintf(tmp, sizeof(tmp), "%s/diverge/last.ampcl.tmp.999999.3", dir);
		snprintf(lock, sizeof(lock), "%s/diverge/.lock", dir);
		FILE *f = fopen(amp_log, "w"), *g = fopen(tmp, "w");
		if (f)
			fclose(f);
		if (g)
			fclose(g);
		base_config(&c, "diverge", 1);
		ampcl_trainer_t *again;
		st = run(ctx, &c, &again);
		tu_check(st == AMPCL_ERR_INVALID_ARG &&
			     strstr(ampcl_last_error(), "holds another run") &&
			     strstr(ampcl_last_error(), "--overwrite"),
			 "a folder holding another run is refused", "%s", ampcl_last_error());
		ampcl_trainer_free(again);
		int fd = open(lock, O_RDWR);
		int locked = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0;
		c.overwrite = 1;
		st = run(ctx, &c, &again);
		tu_check(locked && st == AMPCL_ERR_IO && strstr(ampcl_last_error(), "in use by"),
			 "a folder in use by another run is refused", "%s", ampcl_last_error());
		ampcl_trainer_free(again);
		if (fd >= 0)
			close(fd);
		tu_ok(run(ctx, &c, &again), "--overwrite");
		tu_check(access(amp_log, F_OK) != 0 && access(tmp, F_OK) != 0,
			 "--overwrite starts the folder afresh",
			 "the old amp.log and a dead process's temporary removed");
		ampcl_trainer_free(again);
	}

	/* bad settings */
	base_config(&c, "bad", 1);
	c.batch = 100;
	st = ampcl_trainer_create(ctx, &c, &init);
	tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(ampcl_last_error(), "--batch 100"),
		 "a batch larger than the data set", "%s", ampcl_last_error());
	base_config(&c, "bad", 1);
	snprintf(c.lr_schedule, sizeof(c.lr_schedule), "multistep:5,3:0.1");
	st = ampcl_trainer_create(ctx, &c, &init);
	tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(ampcl_last_error(), "--lr-schedule"),
		 "milestones out of order", "%s", ampcl_last_error());
	base_config(&c, "bad", 1);
	snprintf(c.data, sizeof(c.data), "%s/nothing-here", dir);
	st = ampcl_trainer_create(ctx, &c, &init);
	tu_check(st != AMPCL_OK && strstr(ampcl_last_error(), "nothing-here"),
		 "a missing data folder", "%s", ampcl_last_error());

	ampcl_trainer_free(full);
	ampcl_context_free(ctx);
	tu_remove_tree(dir);
	return tu_finish();
}
