/* train_output.c: the run's folder: claimed (locked, checked, cleaned) before a run, then log.csv,
 * steps.csv and summary.json from the whole history and last.ampcl (and best.ampcl) every epoch. */
#include "train_output.h"
#include "context.h"
#include "error.h"
#include "files.h"
#include "train_config.h"

#include <jansson.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
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

/* steps.csv: the training loss and accuracy every few steps, from the rows the run holds. */
static ampcl_status write_steps(const char *dir, const struct ampcl_checkpoint_state *st)
{
	struct ampcl_atomic a;
	ampcl_status s = start(&a, dir, "steps.csv");
	if (s)
		return s;
	fprintf(a.f, "epoch,step,fractional_epoch,images,lr,train_loss,train_acc\n");
	for (int i = 0; i < st->nstep_rows; i++) {
		const struct ampcl_step_row *r = &st->step_rows[i];
		fprintf(a.f, "%d,%d,%.9g,%lld", r->epoch, r->step,
			r->epoch + (double)r->step / r->steps, r->images);
		csv_number(a.f, r->lr);
		csv_number(a.f, r->loss);
		csv_number(a.f, r->acc);
		fputc('\n', a.f);
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
	/* the checkpoints first: log.csv and summary.json never tell of an epoch that `last` does
	 * not hold */
	snprintf(path, sizeof(path), "%s/last.ampcl", dir);
	if ((s = ampcl_checkpoint_save(path, net, st)))
		return s;
	if (is_best) {
		snprintf(path, sizeof(path), "%s/best.ampcl", dir);
		if ((s = ampcl_checkpoint_save(path, net, st)))
			return s;
	}
	if ((s = write_log(dir, st)) || (s = write_steps(dir, st)) ||
	    (s = write_summary(ctx, dir, st)))
		return s;
	return AMPCL_OK;
}

/* The outputs a run leaves in its folder; --overwrite removes them before a new run starts. */
static const char *const run_files[] = {"last.ampcl",   "best.ampcl", "log.csv",   "steps.csv",
					"summary.json", "amp.log",    "curves.png"};

/* Removes NAME.tmp.PID[.N] files whose process is gone (a run killed while writing). */
static void remove_stale_temporaries(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		const char *tmp = strstr(e->d_name, ".tmp.");
		char *end;
		long pid = tmp ? strtol(tmp + 5, &end, 10) : 0;
		if (tmp && pid > 0 && *end == '.') /* the write's serial number */
			strtoul(end + 1, &end, 10);
		if (!tmp || pid <= 0 || *end)
			continue;
		if (pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue; /* its writer may still be at work */
		char path[4400];
		snprintf(path, sizeof(path), "%.4096s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
}

ampcl_status ampcl_out_claim(const char *dir, int resumed, int overwrite, int *lock_fd)
{
	char path[4200];
	snprintf(path, sizeof(path), "%.4096s/.lock", dir);
	/* never through a link (the process number would be written into its target), and only
	 * a regular file (a FIFO planted there must not block) */
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
	if (fd < 0 && errno == ELOOP)
		return ampcl_error_set(
		    AMPCL_ERR_IO,
		    "'%s' is a symbolic link: ampcl writes its lock there only as "
		    "a file of its own; remove the link",
		    path);
	if (fd < 0)
		return ampcl_error_set(
		    AMPCL_ERR_IO, "cannot create '%s': %s; check the --out folder's permissions",
		    path, strerror(errno));
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return ampcl_error_set(AMPCL_ERR_IO,
				       "'%s' is not a regular file: ampcl keeps its lock there; "
				       "remove it",
				       path);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		char pid[32] = "";
		ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = 0;
		pid[strcspn(pid, "\n")] = 0;
		close(fd);
		return ampcl_error_set(
		    AMPCL_ERR_IO,
		    "--out '%s' is in use by another ampcl run%s%s%s: wait for it "
		    "to end or give another folder",
		    dir, pid[0] ? " (process " : "", pid, pid[0] ? ")" : "");
	}
	char pid[32];
	int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
		/* the lock holds without the number: only the message loses it */
	}
	remove_stale_temporaries(dir);
	if (!resumed) {
		int found = -1;
		for (size_t i = 0; i < sizeof(run_files) / sizeof(run_files[0]) && found < 0; i++) {
			snprintf(path, sizeof(path), "%.4096s/%s", dir, run_files[i]);
			if (access(path, F_OK) == 0)
				found = (int)i;
		}
		if (found >= 0 && !overwrite) {
			close(fd);
			return ampcl_error_set(
			    AMPCL_ERR_INVALID_ARG,
			    "--out '%s' holds another run (%s): 'ampcl train --resume %s' "
			    "continues "
			    "it, --overwrite replaces it, or give another folder",
			    dir, run_files[found], dir);
		}
		for (size_t i = 0; found >= 0 && i < sizeof(run_files) / sizeof(run_files[0]);
		     i++) {
			snprintf(path, sizeof(path), "%.4096s/%s", dir, run_files[i]);
			unlink(path);
		}
	}
	*lock_fd = fd;
	return AMPCL_OK;
}
