/* train_output.c: rewrites a run's log.csv, summary.json and curves.png from its whole history
 * (so a resumed run's files are complete) and saves its checkpoints; each file atomically. */
#include "train_output.h"
#include "context.h"
#include "error.h"
#include "json.h"
#include "plot.h"
#include "train_config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* fopen on PATH.tmp; finish() closes, checks and renames it over PATH */
#define PATH_SIZE 4200
#define TMP_SIZE (PATH_SIZE + 32)

static FILE *start(const char *dir, const char *name, char path[PATH_SIZE], char tmp[TMP_SIZE])
{
	snprintf(path, PATH_SIZE, "%.4096s/%s", dir, name);
	snprintf(tmp, TMP_SIZE, "%s.tmp.%ld", path, (long)getpid());
	return fopen(tmp, "w");
}

static ampcl_status finish(FILE *f, const char *path, const char *tmp)
{
	int bad = !f || ferror(f);
	if (f && fclose(f) != 0)
		bad = 1;
	if (bad || rename(tmp, path) != 0) {
		int err = errno;
		unlink(tmp);
		return ampcl_error_set(AMPCL_ERR_IO,
				       "cannot write '%s': %s; check the output "
				       "folder's permissions and free space",
				       path, strerror(err));
	}
	return AMPCL_OK;
}

static void csv_number(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, ",%.6g", v);
	else
		fprintf(f, ",");
}

static ampcl_status write_log(const char *dir, const struct ampcl_checkpoint_state *st)
{
	char path[PATH_SIZE], tmp[TMP_SIZE];
	FILE *f = start(dir, "log.csv", path, tmp);
	if (f) {
		fprintf(f, "epoch,lr,train_loss,train_acc,test_loss,test_acc,seconds,images_per_s,"
			   "data_wait_s,amp_layers\n");
		for (int i = 0; i < st->nhistory; i++) {
			const struct ampcl_epoch_record *r = &st->history[i];
			fprintf(f, "%d", r->epoch);
			double v[] = {r->lr,       r->train_loss, r->train_acc,    r->test_loss,
				      r->test_acc, r->seconds,    r->images_per_s, r->data_wait_s};
			for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++)
				csv_number(f, v[k]);
			fprintf(f, ",%d\n", r->amp_layers);
		}
	}
	return finish(f, path, tmp);
}

static void json_number(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.6g", v);
	else
		fprintf(f, "null");
}

static void json_series(FILE *f, const char *key, const struct ampcl_checkpoint_state *st,
			size_t offset)
{
	fprintf(f, "  \"%s\": [", key);
	for (int i = 0; i < st->nhistory; i++) {
		fprintf(f, "%s", i ? ", " : "");
		json_number(f, *(const double *)((const char *)&st->history[i] + offset));
	}
	fprintf(f, "]");
}

static ampcl_status write_summary(struct ampcl_context *ctx, const char *dir,
				  const struct ampcl_checkpoint_state *st)
{
	char path[PATH_SIZE], tmp[TMP_SIZE];
	FILE *f = start(dir, "summary.json", path, tmp);
	if (f) {
		const struct ampcl_epoch_record *last =
		    st->nhistory ? &st->history[st->nhistory - 1] : NULL;
		double seconds = 0;
		for (int i = 0; i < st->nhistory; i++)
			seconds += st->history[i].seconds;
		fprintf(f, "{\n  \"ampcl_version\": ");
		ampcl_json_write_string(f, ampcl_version());
		fprintf(f, ",\n  \"device\": ");
		ampcl_json_write_string(f, ctx->caps.desc.name);
		fprintf(f, ",\n  \"epochs_done\": %d,\n  \"steps\": %lld,\n  \"final_test_acc\": ",
			st->nhistory, st->steps);
		json_number(f, last ? last->test_acc : NAN);
		fprintf(f, ",\n  \"final_test_loss\": ");
		json_number(f, last ? last->test_loss : NAN);
		fprintf(f, ",\n  \"best_test_acc\": ");
		json_number(f, st->best_acc >= 0 ? st->best_acc : NAN);
		fprintf(f,
			",\n  \"best_epoch\": %d,\n  \"train_seconds\": %.3f,\n  \"config\": {\n",
			st->best_acc >= 0 ? st->best_epoch : -1, seconds);
		ampcl_train_config_write_json(&st->cfg, f, "    ");
		fprintf(f, "\n  },\n");
		json_series(f, "lr", st, offsetof(struct ampcl_epoch_record, lr));
		fprintf(f, ",\n");
		json_series(f, "train_loss", st, offsetof(struct ampcl_epoch_record, train_loss));
		fprintf(f, ",\n");
		json_series(f, "train_acc", st, offsetof(struct ampcl_epoch_record, train_acc));
		fprintf(f, ",\n");
		json_series(f, "test_loss", st, offsetof(struct ampcl_epoch_record, test_loss));
		fprintf(f, ",\n");
		json_series(f, "test_acc", st, offsetof(struct ampcl_epoch_record, test_acc));
		fprintf(f, ",\n");
		json_series(f, "images_per_s", st,
			    offsetof(struct ampcl_epoch_record, images_per_s));
		fprintf(f, "\n}\n");
	}
	return finish(f, path, tmp);
}

static ampcl_status write_curves(const char *dir, const struct ampcl_checkpoint_state *st)
{
	int n = st->nhistory;
	double *x = malloc(sizeof(double) * 5 * (size_t)(n ? n : 1));
	if (!x)
		abort();
	double *trl = x + n, *tel = x + 2 * n, *tra = x + 3 * n, *tea = x + 4 * n;
	for (int i = 0; i < n; i++) {
		const struct ampcl_epoch_record *r = &st->history[i];
		x[i] = r->epoch;
		trl[i] = r->train_loss, tel[i] = r->test_loss;
		tra[i] = 100 * r->train_acc, tea[i] = 100 * r->test_acc;
	}
	struct ampcl_plot_line loss[2] = {{"train", x, trl, n, NULL}, {"test", x, tel, n, NULL}};
	struct ampcl_plot_line acc[2] = {{"train", x, tra, n, NULL}, {"test", x, tea, n, NULL}};
	char title[160];
	snprintf(title, sizeof(title), "%s width %d: accuracy", st->cfg.model, st->cfg.width);
	struct ampcl_plot_panel panels[2] = {
	    {"loss", "epoch", "cross-entropy", loss, 2, 0},
	    {title, "epoch", "accuracy (%)", acc, 2, 0},
	};
	char path[4200];
	snprintf(path, sizeof(path), "%s/curves.png", dir);
	ampcl_status s = ampcl_plot_write_png(path, panels, 2, 1200, 480);
	free(x);
	return s;
}

ampcl_status ampcl_train_output_write(struct ampcl_context *ctx, struct ampcl_net *net,
				      const struct ampcl_checkpoint_state *st, int is_best)
{
	const char *dir = st->cfg.out;
	char path[4200];
	ampcl_status s;
	if ((s = write_log(dir, st)) || (s = write_summary(ctx, dir, st)) ||
	    (s = write_curves(dir, st)))
		return s;
	snprintf(path, sizeof(path), "%s/last.ampcl", dir);
	if ((s = ampcl_checkpoint_save(path, net, st)))
		return s;
	if (is_best) {
		snprintf(path, sizeof(path), "%s/best.ampcl", dir);
		s = ampcl_checkpoint_save(path, net, st);
	}
	return s;
}
