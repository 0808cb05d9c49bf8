/* cmd_train.c: `ampcl train`: parses the flags into a training configuration, runs the trainer
 * and shows its progress (a live line on a terminal, one plain line per epoch in a pipe). */
#include "cli.h"
#include "report.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void help(void)
{
	printf(
	    "usage: ampcl train --data PATH [options]\n\n"
	    "Trains a network; --out DIR receives log.csv, summary.json, curves.png, last.ampcl\n"
	    "and best.ampcl after every epoch.\n\n"
	    "  --device N|SUBSTRING    OpenCL device (env AMPCL_DEVICE; default: first GPU, else "
	    "first device)\n"
	    "  --model NAME            resnet18 (default), resnet34, vgg19, or FILE.onnx: a network\n"
	    "                          exported from PyTorch (torch.onnx.export; docs/onnx.md)\n"
	    "  --width W               base channels (default 64)\n"
	    "  --data PATH             CIFAR-10 binary folder, MNIST/Fashion-MNIST idx folder, or\n"
	    "                          an image folder with train/<class>/*.png and "
	    "test/<class>/*.png\n"
	    "  --dataset KIND          cifar10|mnist|fashion-mnist|folder (default: detected)\n"
	    "  --epochs N              (default 1, or the --schedule file's total)\n"
	    "  --batch B               (default 128)\n"
	    "  --lr LR --momentum M --weight-decay WD --nesterov   SGD (0.1, 0.9, 5e-4, off)\n"
	    "  --sync-bn               under mpirun: BN statistics over every rank's share of\n"
	    "                          the batch (default: each rank's own, as PyTorch DDP)\n"
	    "  --lr-schedule S         constant|step:EVERY:GAMMA|multistep:E1,E2,...:GAMMA|cosine\n"
	    "  --warmup-epochs N       linear warm-up over the first N epochs\n"
	    "  --seed S                initialisation, shuffling, augmentation, amplification\n"
	    "  --eval-every K          test every K epochs and after the last (default 1)\n"
	    "  --subset N              train on N training images only (an image folder: a\n"
	    "                          class-balanced sample; CIFAR-10, MNIST: the first N;\n"
	    "                          0, the default: all)\n"
	    "  --augment standard|none random crop (zero padding of a side/8: 4 at 32x32) +\n"
	    "                          horizontal flip, or none\n"
	    "  --image-size S|HxW      fit the images to this size (default: an ONNX model's\n"
	    "                          input size, else 32x32): area averaging to shrink,\n"
	    "                          bilinear to enlarge, zero padding for a gap of at most\n"
	    "                          an eighth (MNIST's 28 in 32), each axis on its own\n"
	    "  --init W.safetensors    start from these weights (PyTorch names)\n"
	    "  --resume CHECKPOINT     continue a run (with --epochs to extend it, --out to move "
	    "it,\n"
	    "                          --data for its data set at another path)\n"
	    "  --out DIR               output folder (locked while the run uses it; one that\n"
	    "                          holds another run is refused)\n"
	    "  --overwrite             replace the run already in --out\n"
	    "gradient amplification:\n"
	    "  --amp-epochs RANGES     epochs with amplification on, e.g. 0-49,60-69 (default: "
	    "none)\n"
	    "  --amp-types LIST        relu,bn,conv,linear (default bn)\n"
	    "  --amp-ratio R           share of eligible layers drawn (default 0.3)\n"
	    "  --amp-factor A          gradient factor (default 2)\n"
	    "  --amp-redraw WHEN       epoch (default), iter or once\n"
	    "  --amp-target WHAT       input (default), params or both\n"
	    "  --amp-select HOW        random (default) or auto\n"
	    "  --schedule FILE         phases 'EPOCHS LR AMP' per line, e.g. '50 0.1 on'\n");
}

struct progress {
	int tty;
	int line_open;
	int epochs;
};

static void fmt_time(double s, char *buf, size_t size)
{
	if (!isfinite(s) || s < 0)
		snprintf(buf, size, "?");
	else if (s >= 3600)
		snprintf(buf, size, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
	else
		snprintf(buf, size, "%dm%02ds", (int)(s / 60), (int)s % 60);
}

/* Appends " field" to line if it still fits in width columns. */
static void add_field(char *line, size_t size, int width, const char *field)
{
	size_t len = strlen(line), add = strlen(field) + (len ? 2 : 0);
	if ((int)(len + add) < width && len + add < size)
		snprintf(line + len, size - len, "%s%s", len ? "  " : "", field);
}

static void on_step(void *user, const struct ampcl_progress *p)
{
	struct progress *pr = user;
	if (!pr->tty)
		return;
	char eta[32], f[7][64], line[512] = "";
	fmt_time(p->eta_s, eta, sizeof(eta));
	/* most important first: what is left out on a narrow terminal is the tail */
	snprintf(f[0], sizeof(f[0]), "epoch %d (%d/%d)", p->epoch, p->epoch + 1, p->epochs);
	snprintf(f[1], sizeof(f[1]), "%s %d/%d", p->evaluating ? "testing" : "step", p->step,
		 p->steps);
	snprintf(f[2], sizeof(f[2]), "loss %.4f", p->loss);
	snprintf(f[3], sizeof(f[3]), "ETA %s", eta);
	snprintf(f[4], sizeof(f[4]), "acc %.1f%%", 100 * p->acc);
	snprintf(f[5], sizeof(f[5]), "%.0f img/s", p->images_per_s);
	snprintf(f[6], sizeof(f[6]), "lr %.4g", p->lr);
	int width = cli_terminal_columns(2); /* the live line must fit, or it wraps */
	for (int i = 0; i < 7; i++)
		if (!(p->evaluating && i == 6))
			add_field(line, sizeof(line), width, f[i]);
	fprintf(stderr, "\r\033[K%s", line);
	pr->line_open = 1;
}

static void end_line(struct progress *pr)
{
	if (pr->line_open)
		fprintf(stderr, "\r\033[K");
	pr->line_open = 0;
}

static void on_epoch(void *user, const struct ampcl_epoch_record *r, int is_best)
{
	struct progress *pr = user;
	end_line(pr);
	printf("epoch %d (%d/%d): lr %.4g  train loss %.4f acc %.2f%%", r->epoch, r->epoch + 1,
	       pr->epochs, r->lr, r->train_loss, 100 * r->train_acc);
	if (isfinite(r->test_acc))
		printf("  test loss %.4f acc %.2f%%%s", r->test_loss, 100 * r->test_acc,
		       is_best ? " (best)" : "");
	printf("  %.1f s  %.0f img/s  data wait %.2f s%s\n", r->seconds, r->images_per_s,
	       r->data_wait_s, r->amp_layers ? "  amplified" : "");
	fflush(stdout);
}

void cli_draw_curves(void *user, const ampcl_train_config_t *cfg,
		     const struct ampcl_epoch_record *history, int epochs)
{
	(void)user;
	int st = report_curves(report_setting(cfg, "out"), cfg, history, epochs);
	if (st)
		fprintf(stderr, "ampcl: curves.png not drawn: %s\n", ampcl_last_error());
}

static void on_message(void *user, const char *line)
{
	end_line(user);
	printf("%s\n", line);
	fflush(stdout);
}

struct train_args {
	ampcl_train_config_t *c;
	const char *device, *resume, *epochs, *out, *data;
	int others;
};

static int train_option(void *user, const char *name, const char *v)
{
	struct train_args *t = user;
	char flag[64];
	snprintf(flag, sizeof(flag), "--%s", name);
	int rc = 0;
	int n;
	if (!strcmp(name, "nesterov") || !strcmp(name, "overwrite") || !strcmp(name, "sync-bn"))
		cli_train_flag("train", t->c, flag, "1", &rc), t->others++;
	else if (!strcmp(name, "device"))
		t->device = v;
	else if (!strcmp(name, "resume"))
		t->resume = v;
	else if (!strcmp(name, "epochs")) {
		if (!(rc = cli_parse_int("train", flag, v, 1, 100000, &n)))
			cli_train_flag("train", t->c, flag, v, &rc), t->epochs = v;
	} else if (!strcmp(name, "out") && !*v)
		rc = cli_usage_error("train",
				     "--out '': give a folder for the run's outputs (or leave "
				     "--out out to write none)");
	else if (!strcmp(name, "out"))
		cli_train_flag("train", t->c, flag, v, &rc), t->out = v;
	else if (!strcmp(name, "data"))
		cli_train_flag("train", t->c, flag, v, &rc), t->data = v;
	else if (cli_train_flag("train", t->c, flag, v, &rc))
		t->others++;
	return rc;
}

int cmd_train(int argc, char **argv)
{
	static struct cli_option opts[64] = {{"device", 1}, {"resume", 1},   {"epochs", 1},
					     {"out", 1},    {"nesterov", 0}, {"overwrite", 0},
					     {"sync-bn", 0}};
	if (!opts[7].name)
		for (int i = 0, n = 7; cli_train_options[i].name; i++)
			opts[n++] = cli_train_options[i];
	/* under mpirun every rank runs this: one run, each rank a share of every batch */
	ampcl_status mst = ampcl_mpi_begin(&argc, &argv);
	if (mst)
		return cli_fail("train", mst);
	struct ampcl_mpi_info mpi;
	ampcl_mpi_get_info(&mpi);
	struct train_args a = {0};
	if ((mst = ampcl_train_config_create(&a.c)))
		return cli_fail("train", mst);
	int rc = cli_parse("train", argc, argv, opts, train_option, &a);
	if (!rc && a.resume && a.others)
		rc = cli_usage_error("train",
				     "--resume continues a run with its own settings: "
				     "only --epochs, --out, --data and --device may go with it");
	if (rc) {
		ampcl_train_config_free(a.c);
		if (rc == CLI_HELP)
			help();
		return rc == CLI_HELP ? EXIT_OK : rc;
	}
	const char *device = a.device, *resume = a.resume;
	/* ranks on one machine take its GPUs in turn unless --device says */
	char spec[32];
	int index, st = AMPCL_OK;
	if (!device && mpi.size > 1 && !(st = ampcl_device_for_local_rank(mpi.local_rank, &index)))
		snprintf(spec, sizeof(spec), "%d", index), device = spec;
	ampcl_context_t *ctx = NULL;
	if (!st)
		st = ampcl_context_create(device, &ctx);
	if (st) {
		ampcl_train_config_free(a.c);
		return cli_fail("train", st);
	}
	/* a device, driver or ampcl version that never passed `ampcl verify` gets one line (the
	 * mark lies beside the program cache; without a cache nothing is known, nothing said) */
	if (mpi.rank == 0 && ampcl_verify_passed(ctx) == 0)
		fprintf(stderr,
			"ampcl train: note: '%s' has not passed 'ampcl verify' with this driver and "
			"ampcl version; run it once (about a minute) to check its results\n",
			ampcl_context_device(ctx)->name);
	ampcl_trainer_t *t;
	st = resume ? ampcl_trainer_resume_data(ctx, resume, a.epochs ? atoi(a.epochs) : 0, a.out,
						a.data, &t)
		    : ampcl_trainer_create(ctx, a.c, &t);
	ampcl_train_config_free(a.c);
	if (st) {
		int code = cli_fail("train", st);
		ampcl_context_free(ctx);
		return code;
	}
	const ampcl_train_config_t *cfg = ampcl_trainer_config(t);
	const struct ampcl_device_desc *d = ampcl_context_device(ctx);
	/* rank 0 speaks for the run; the others say only what goes wrong */
	if (mpi.rank && !freopen("/dev/null", "w", stdout))
		return cli_fail("train",
				ampcl_error_set(AMPCL_ERR_IO, "cannot quiet rank %d", mpi.rank));
	if (mpi.size > 1)
		printf("data-parallel over %d ranks (mpirun): each trains %d of every batch of %s "
		       "images, BN statistics %s\n",
		       mpi.size, atoi(report_setting(cfg, "batch")) / mpi.size,
		       report_setting(cfg, "batch"),
		       atoi(report_setting(cfg, "sync_bn")) ? "over all ranks (--sync-bn)"
							    : "per rank");
	/* an ONNX graph has no width */
	const char *model = report_setting(cfg, "model");
	size_t mlen = strlen(model);
	char width[32] = "";
	if (mlen <= 5 || strcmp(model + mlen - 5, ".onnx"))
		snprintf(width, sizeof(width), " width %s", report_setting(cfg, "width"));
	printf("ampcl %s on %s (%s): %s%s, %zu parameters, batch %s, %s epochs%s, data %s\n",
	       ampcl_version(), d->name, d->type, model, width,
	       ampcl_net_param_count(ampcl_trainer_net(t)),
	       report_setting(cfg, "batch"), report_setting(cfg, "epochs"),
	       resume ? " (resumed)" : "", report_setting(cfg, "data"));
	char summary[1024];
	ampcl_trainer_data_summary(t, summary, sizeof(summary));
	printf("data: %s\n", summary);
	const struct ampcl_tune_report *tr = ampcl_trainer_tune_report(t);
	if (tr->measured)
		printf("tuning (AMPCL_TUNE=%s): %d GEMM shapes timed, %d faster than the default, "
		       "%.1f s; %d choices stored for this device\n",
		       tr->level == 2 ? "full" : "quick", tr->measured, tr->changed, tr->seconds,
		       tr->stored);
	if (tr->warning && tr->warning[0])
		fprintf(stderr, "ampcl train: warning: %s\n", tr->warning);
	if (resume)
		printf("resuming at epoch %d from %s\n", ampcl_trainer_next_epoch(t), resume);
	fflush(stdout);
	struct progress pr = {isatty(2) && !mpi.rank, 0, atoi(report_setting(cfg, "epochs"))};
	struct ampcl_train_callbacks cb = {&pr,        on_step,         on_epoch,
					   on_message, cli_draw_curves, cli_should_stop};
	cli_stop_signals_begin("train");
	st = ampcl_trainer_run(t, &cb);
	cli_stop_signals_end();
	end_line(&pr);
	int code = EXIT_OK;
	if (st == AMPCL_ERR_INTERRUPTED) {
		fprintf(stderr, "ampcl train: %s\n", ampcl_last_error());
		code = cli_stop_exit_code();
	} else if (st) {
		code = cli_fail("train", st);
	} else {
		int n;
		const struct ampcl_epoch_record *h = ampcl_trainer_history(t, &n);
		if (n > 0 && isfinite(h[n - 1].test_acc)) {
			const char *out = report_setting(cfg, "out");
			printf("final test accuracy %.2f%% (loss %.4f)%s%s\n",
			       100 * h[n - 1].test_acc, h[n - 1].test_loss,
			       out[0] ? ", outputs in " : "", out);
		}
		struct ampcl_parallel_report par;
		ampcl_trainer_parallel_report(t, &par);
		double train_s = 0;
		for (int i = 0; i < n; i++)
			train_s += h[i].seconds;
		if (par.ranks > 1 && par.reduces)
			printf("gradient all-reduce: a step of %.1f ms waited %.2f ms for it after "
			       "the backward pass%s (%ld steps, %d ranks)\n",
			       1e3 * train_s / par.reduces, 1e3 * par.reduce_s / par.reduces,
			       par.overlapped ? ", which it overlapped" : "", par.reduces,
			       par.ranks);
	}
	/* a rank that failed alone must not wait in MPI_Finalize for ranks that wait in an
	 * all-reduce for it: the job ends */
	if (st && st != AMPCL_ERR_INTERRUPTED && mpi.size > 1)
		ampcl_mpi_abort(code);
	ampcl_trainer_free(t);
	ampcl_context_free(ctx);
	ampcl_mpi_end();
	return code;
}
