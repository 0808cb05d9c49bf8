/* train_output.c: rewrites a run's log.csv and summary.json from its whole history and writes
 * last.ampcl (and best.ampcl) after every epoch; the program draws curves.png from the same. */
#include "train_output.h"
#include "context.h"
#include "error.h"
#include "files.h"
#include "train_config.h"

#include <jansson.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* DIR/name opened for an atomic write (files.h) */
static ampcl_status start(struct ampcl_atomic *a, const char *dir, const char *name)
{
	char path[4200];
	snprintf(path, sizeof(path), "%.4096s/%s", dir, name);
	return ampcl_atomic_open(a, path);
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
	struct ampcl_atomic a;
	ampcl_status s = start(&a, dir, "log.csv");
	if (s)
		return s;
	FILE *f = a.f;
	{
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
	return ampcl_atomic_commit(&a);
}

/* A finite number, or null (JSON has no NaN). */
static json_t *number(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *series(const struct ampcl_checkpoint_state *st, size_t offset)
{
	json_t *a = json_array();
	for (int i = 0; i < st->nhistory; i++)
		json_array_append_new(
		    a, number(*(const double *)((const char *)&st->history[i] + offset)));
	return a;
}

static ampcl_status write_summary(struct ampcl_context *ctx, const char *dir,
				  const struct ampcl_checkpoint_state *st)
{
	struct ampcl_atomic a;
	ampcl_status st_ = start(&a, dir, "summary.json");
	if (st_)
		return st_;
	FILE *f = a.f;
	{
		const struct ampcl_epoch_record *last =
		    st->nhistory ? &st->history[st->nhistory - 1] : NULL;
		double seconds = 0;
		for (int i = 0; i < st->nhistory; i++)
			seconds += st->history[i].seconds;
		json_t *o = json_object();
		json_object_set_new(o, "ampcl_version", json_string(ampcl_version()));
		json_object_set_new(o, "device", json_string(ctx->caps.desc.name));
		json_object_set_new(o, "epochs_done", json_integer(st->nhistory));
		json_object_set_new(o, "steps", json_integer(st->steps));
		json_object_set_new(o, "final_test_acc", number(last ? last->test_acc : NAN));
		json_object_set_new(o, "final_test_loss", number(last ? last->test_loss : NAN));
		json_object_set_new(o, "best_test_acc",
				    number(st->best_acc >= 0 ? st->best_acc : NAN));
		json_object_set_new(o, "best_epoch",
				    json_integer(st->best_acc >= 0 ? st->best_epoch : -1));
		json_object_set_new(o, "train_seconds", json_real(seconds));
		json_object_set_new(o, "config", ampcl_train_config_json(&st->cfg));
		static const struct {
			const char *key;
			size_t offset;
		} s[] = {{"lr", offsetof(struct ampcl_epoch_record, lr)},
			 {"train_loss", offsetof(struct ampcl_epoch_record, train_loss)},
			 {"train_acc", offsetof(struct ampcl_epoch_record, train_acc)},
			 {"test_loss", offsetof(struct ampcl_epoch_record, test_loss)},
			 {"test_acc", offsetof(struct ampcl_epoch_record, test_acc)},
			 {"images_per_s", offsetof(struct ampcl_epoch_record, images_per_s)}};
		for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
			json_object_set_new(o, s[i].key, series(st, s[i].offset));
		int bad = json_dumpf(o, f, JSON_INDENT(2) | JSON_REAL_PRECISION(9)) != 0;
		fputc('\n', f);
		json_decref(o);
		if (bad) {
			ampcl_atomic_abort(&a);
			return ampcl_error_set(AMPCL_ERR_IO, "cannot write '%s': %s", a.path,
					       strerror(errno));
		}
	}
	return ampcl_atomic_commit(&a);
}

ampcl_status ampcl_train_output_write(struct ampcl_context *ctx, struct ampcl_net *net,
				      const struct ampcl_checkpoint_state *st, int is_best)
{
	const char *dir = st->cfg.out;
	char path[4200];
	ampcl_status s;
	if ((s = write_log(dir, st)) || (s = write_summary(ctx, dir, st)))
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
