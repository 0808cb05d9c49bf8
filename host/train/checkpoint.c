/* checkpoint.c: writes and reads checkpoints as safetensors: every parameter, BN statistic and
 * momentum buffer by name, the training state as text in __metadata__, and a checksum of both. */
#include "checkpoint.h"
#include "alloc.h"
#include "error.h"
#include "files.h"
#include "hash.h"
#include "safetensors.h"
#include "train_config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OLD_MAGIC "AMPCLCKP" /* ampcl 0.1's raw-arena checkpoints */
#define FORMAT "2"
#define MOMENTUM_PREFIX "optimizer.momentum."

struct ampcl_checkpoint {
	char path[4096];
	struct ampcl_st_file *file;
};

/* the text block: the configuration, then the progress, then one line per epoch trained */
static char *state_text(const struct ampcl_checkpoint_state *st, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (!f)
		abort();
	ampcl_train_config_write_text(&st->cfg, f);
	fprintf(
	    f, "state next_epoch %d\nstate steps %lld\nstate best_acc %.17g\nstate best_epoch %d\n",
	    st->next_epoch, st->steps, st->best_acc, st->best_epoch);
	if (st->tracked_base)
		fprintf(f, "state tracked_base %lld\n", st->tracked_base);
	if (st->epoch_step)
		fprintf(f,
			"state epoch_step %d\nstate epoch_loss_sum %.17g\nstate epoch_correct "
			"%lld\nstate epoch_count %lld\nstate epoch_seconds %.17g\n",
			st->epoch_step, st->epoch_loss_sum, st->epoch_correct, st->epoch_count,
			st->epoch_seconds);
	if (st->epoch_step && st->row_count)
		fprintf(f,
			"state row_loss_sum %.17g\nstate row_correct %lld\nstate row_count %lld\n",
			st->row_loss_sum, st->row_correct, st->row_count);
	if (st->step_every)
		fprintf(f, "state step_every %d\n", st->step_every);
	/* state lines, which readers that do not know the key pass over */
	for (int i = 0; i < st->nstep_rows; i++) {
		const struct ampcl_step_row *r = &st->step_rows[i];
		fprintf(f, "state step_row %d %d %d %lld %.17g %.17g %.17g\n", r->epoch, r->step,
			r->steps, r->images, r->lr, r->loss, r->acc);
	}
	fprintf(f,
		"state in_channels %d\nstate in_height %d\nstate in_width %d\nstate classes %d\n",
		st->in_channels, st->in_height, st->in_width, st->classes);
	for (int i = 0; i < st->amp_nselected; i++)
		fprintf(f, "state amp_selected %d\n", st->amp_selected[i]);
	if (st->train_count)
		fprintf(f, "state train_count %lld\n", st->train_count);
	if (st->run_id)
		fprintf(f, "run %016llx\n", st->run_id);
	for (int i = 0; i < st->phases.n; i++)
		fprintf(f, "phase %d %.17g %d\n", st->phases.p[i].epochs, st->phases.p[i].lr,
			st->phases.p[i].amp);
	for (int i = 0; i < st->nhistory; i++) {
		const struct ampcl_epoch_record *r = &st->history[i];
		fprintf(f, "history %d %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %d\n",
			r->epoch, r->lr, r->train_loss, r->train_acc, r->test_loss, r->test_acc,
			r->seconds, r->images_per_s, r->data_wait_s, r->amp_layers);
	}
	fclose(f);
	return buf;
}

/* One tensor's part of the checksum: its name, dtype, shape and bytes. */
static void hash_tensor(struct ampcl_hash *h, const char *name, const char *dtype, int ndim,
			const long long *shape, const void *data, size_t bytes)
{
	ampcl_hash_string(h, name);
	ampcl_hash_string(h, dtype);
	ampcl_hash_update(h, &ndim, sizeof(ndim));
	ampcl_hash_update(h, shape, (size_t)ndim * sizeof(shape[0]));
	ampcl_hash_update(h, data, bytes);
}

static void hash_start(struct ampcl_hash *h, const char *text)
{
	ampcl_hash_init(h);
	ampcl_hash_string(h, "ampcl checkpoint " FORMAT);
	ampcl_hash_string(h, text);
}

/* A tensor of the file: net tensor i's value, or its momentum buffer. */
struct entry {
	char name[200];
	int tensor, momentum;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

ampcl_status ampcl_checkpoint_save(const char *path, struct ampcl_net *net,
				   const struct ampcl_checkpoint_state *st)
{
	/* tensors in name order, and the checksum over them in that order: the reader sorts
	 * them the same way, so the sum does not depend on a writer's order */
	struct entry *e = ampcl_xcalloc((size_t)(2 * net->ntensors + 1), sizeof(*e));
	int n = 0;
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < net->ntensors; i++)
			if (!k || net->tensors[i].trainable) {
				snprintf(e[n].name, sizeof(e[n].name), "%s%s",
					 k ? MOMENTUM_PREFIX : "", net->tensors[i].name);
				e[n].tensor = i, e[n].momentum = k, n++;
			}
	qsort(e, (size_t)n, sizeof(*e), by_name);
	size_t text_len;
	char *text = state_text(st, &text_len);
	struct ampcl_hash h;
	hash_start(&h, text);
	struct ampcl_st_writer *w;
	ampcl_status s = ampcl_st_writer_create(&w);
	float *buf = NULL;
	for (int j = 0; j < n && !s; j++) {
		struct ampcl_tensor_info info;
		ampcl_net_tensor_info(net, e[j].tensor, &info);
		buf = ampcl_xrealloc(buf, info.count * sizeof(float) + 1);
		struct ampcl_tensor v = e[j].momentum ? ampcl_net_momentum_view(net, e[j].tensor)
						      : net->tensors[e[j].tensor].value;
		long long shape[4];
		for (int d = 0; d < info.ndim; d++)
			shape[d] = info.shape[d];
		if (!(s = ampcl_tensor_read(net->ctx, &v, buf))) {
			hash_tensor(&h, e[j].name, "F32", info.ndim, shape, buf,
				    info.count * sizeof(float));
			s = ampcl_st_writer_add(w, e[j].name, "F32", info.ndim, shape, buf,
						info.count * sizeof(float));
		}
	}
	free(buf);
	free(e);
	char hex[33];
	ampcl_hash_hex(&h, hex);
	if (!s && !(s = ampcl_st_writer_metadata(w, "ampcl_checkpoint", FORMAT)) &&
	    !(s = ampcl_st_writer_metadata(w, "ampcl_state", text)) &&
	    !(s = ampcl_st_writer_metadata(w, "ampcl_checksum", hex)))
		s = ampcl_st_writer_save(w, path);
	ampcl_st_writer_free(w);
	free(text);
	if (s)
		return ampcl_error_wrap(s, "saving checkpoint '%s': ", path);
	return AMPCL_OK;
}

static ampcl_status bad(const char *path, const char *what)
{
	return ampcl_error_set(
	    AMPCL_ERR_BAD_FILE,
	    "checkpoint '%s' %s; use another checkpoint (last.ampcl or best.ampcl "
	    "of the run)",
	    path, what);
}

static ampcl_status parse_text(const char *path, char *text, struct ampcl_checkpoint_state *st)
{
	ampcl_train_config_defaults(&st->cfg);
	st->best_acc = -1;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		const char *value = sp ? sp + 1 : "";
		if (sp)
			*sp = 0;
		if (!strcmp(line, "state")) {
			char key[32];
			double v;
			if (sscanf(value, "%31s %lf", key, &v) != 2)
				return bad(path, "has a damaged state line");
			if (!strcmp(key, "next_epoch"))
				st->next_epoch = (int)v;
			else if (!strcmp(key, "steps"))
				st->steps = (long long)v;
			else if (!strcmp(key, "tracked_base"))
				st->tracked_base = (long long)v;
			else if (!strcmp(key, "train_count"))
				st->train_count = (long long)v;
			else if (!strcmp(key, "epoch_step"))
				st->epoch_step = (int)v;
			else if (!strcmp(key, "epoch_loss_sum"))
				st->epoch_loss_sum = v;
			else if (!strcmp(key, "epoch_correct"))
				st->epoch_correct = (long long)v;
			else if (!strcmp(key, "epoch_count"))
				st->epoch_count = (long long)v;
			else if (!strcmp(key, "epoch_seconds"))
				st->epoch_seconds = v;
			else if (!strcmp(key, "best_acc"))
				st->best_acc = v;
			else if (!strcmp(key, "best_epoch"))
				st->best_epoch = (int)v;
			else if (!strcmp(key, "in_channels"))
				st->in_channels = (int)v;
			else if (!strcmp(key, "in_height"))
				st->in_height = (int)v;
			else if (!strcmp(key, "in_width"))
				st->in_width = (int)v;
			else if (!strcmp(key, "classes"))
				st->classes = (int)v;
			else if (!strcmp(key, "row_loss_sum"))
				st->row_loss_sum = v;
			else if (!strcmp(key, "row_correct"))
				st->row_correct = (long long)v;
			else if (!strcmp(key, "row_count"))
				st->row_count = (long long)v;
			else if (!strcmp(key, "step_every"))
				st->step_every = (int)v;
			else if (!strcmp(key, "step_row")) {
				struct ampcl_step_row r;
				if (sscanf(value, "%*s %d %d %d %lld %lf %lf %lf", &r.epoch,
					   &r.step, &r.steps, &r.images, &r.lr, &r.loss,
					   &r.acc) != 7 ||
				    r.step < 1 || r.step > r.steps)
					return bad(path, "has a damaged step row");
				st->step_rows = ampcl_xrealloc(
				    st->step_rows, (size_t)(st->nstep_rows + 1) * sizeof(r));
				st->step_rows[st->nstep_rows++] = r;
			} else if (!strcmp(key, "amp_selected") &&
				   st->amp_nselected < AMPCL_NET_MAX_LAYERS)
				st->amp_selected[st->amp_nselected++] = (int)v;
		} else if (!strcmp(line, "run")) {
			char *end;
			st->run_id = strtoull(value, &end, 16);
			if (*end || end == value)
				return bad(path, "has a damaged run line");
		} else if (!strcmp(line, "phase")) {
			struct ampcl_phase ph;
			if (st->phases.n >= AMPCL_MAX_PHASES ||
			    sscanf(value, "%d %lf %d", &ph.epochs, &ph.lr, &ph.amp) != 3 ||
			    ph.epochs < 1 || ph.epochs > 100000 || !(ph.lr > 0) || ph.amp < 0 ||
			    ph.amp > 1)
				return bad(path, "has a damaged schedule phase");
			st->phases.p[st->phases.n++] = ph;
		} else if (!strcmp(line, "history")) {
			struct ampcl_epoch_record r;
			if (sscanf(value, "%d %lf %lf %lf %lf %lf %lf %lf %lf %d", &r.epoch, &r.lr,
				   &r.train_loss, &r.train_acc, &r.test_loss, &r.test_acc,
				   &r.seconds, &r.images_per_s, &r.data_wait_s,
				   &r.amp_layers) != 10)
				return bad(path, "has a damaged history line");
			st->history =
			    ampcl_xrealloc(st->history, (size_t)(st->nhistory + 1) * sizeof(r));
			st->history[st->nhistory++] = r;
		} else {
			if (ampcl_train_config_set(&st->cfg, line, value))
				return ampcl_error_wrap(AMPCL_ERR_BAD_FILE,
							"checkpoint '%s': ", path);
		}
	}
	return AMPCL_OK;
}

static int by_tensor_name(const void *a, const void *b)
{
	return strcmp((*(const struct ampcl_st_tensor *const *)a)->name,
		      (*(const struct ampcl_st_tensor *const *)b)->name);
}

ampcl_status ampcl_checkpoint_open(const char *path, struct ampcl_checkpoint **out,
				   struct ampcl_checkpoint_state *st)
{
	*out = NULL;
	memset(st, 0, sizeof(*st));
	/* ampcl 0.1 wrote raw arenas behind an AMPCLCKP header */
	char head[8] = {0};
	FILE *f;
	ampcl_status opened = ampcl_input_open(path, "checkpoint", &f);
	if (opened)
		return opened;
	size_t got = fread(head, 1, sizeof(head), f);
	fclose(f);
	if (got == sizeof(head) && !memcmp(head, OLD_MAGIC, 8))
		return ampcl_error_set(
		    AMPCL_ERR_BAD_FILE,
		    "checkpoint '%s' is in ampcl 0.1's format (raw arenas), which "
		    "this ampcl no longer reads: its checkpoints are safetensors "
		    "files; train again, or finish the run with ampcl 0.1",
		    path);
	struct ampcl_checkpoint *ck = ampcl_xcalloc(1, sizeof(*ck));
	snprintf(ck->path, sizeof(ck->path), "%s", path);
	ampcl_status s = ampcl_st_open(path, &ck->file);
	if (s) {
		s = ampcl_error_wrap(AMPCL_ERR_BAD_FILE, "checkpoint '%s' is damaged: ", path);
		goto fail;
	}
	const char *format = ampcl_st_metadata(ck->file, "ampcl_checkpoint");
	const char *state = ampcl_st_metadata(ck->file, "ampcl_state");
	const char *sum = ampcl_st_metadata(ck->file, "ampcl_checksum");
	if (!format || !state || !sum) {
		s = bad(path, "is a safetensors file but not an ampcl checkpoint (no ampcl_state "
			      "in its metadata)");
		goto fail;
	}
	if (strcmp(format, FORMAT)) {
		s = bad(path, "has a checkpoint format this ampcl does not read");
		goto fail;
	}
	int n = ampcl_st_count(ck->file);
	const struct ampcl_st_tensor **order = ampcl_xmalloc((size_t)(n ? n : 1) * sizeof(*order));
	for (int i = 0; i < n; i++)
		order[i] = ampcl_st_get(ck->file, i);
	qsort(order, (size_t)n, sizeof(*order), by_tensor_name);
	struct ampcl_hash h;
	hash_start(&h, state);
	for (int i = 0; i < n; i++)
		hash_tensor(&h, order[i]->name, order[i]->dtype, order[i]->ndim, order[i]->shape,
			    ampcl_st_data(ck->file, order[i]), order[i]->bytes);
	free(order);
	char hex[33];
	ampcl_hash_hex(&h, hex);
	if (strcmp(hex, sum)) {
		s = bad(path, "fails its checksum: it is damaged or was changed");
		goto fail;
	}
	char *text = ampcl_xstrdup(state);
	s = parse_text(path, text, st);
	free(text);
	if (s)
		goto fail;
	*out = ck;
	return AMPCL_OK;
fail:
	ampcl_checkpoint_state_release(st);
	ampcl_checkpoint_free(ck);
	return s;
}

ampcl_status ampcl_checkpoint_apply(struct ampcl_checkpoint *ck, struct ampcl_net *net)
{
	ampcl_status s = AMPCL_OK;
	float *buf = NULL;
	for (int k = 0; k < 2 && !s; k++)
		for (int i = 0; i < net->ntensors && !s; i++) {
			if (k && !net->tensors[i].trainable)
				continue;
			struct ampcl_tensor_info info;
			ampcl_net_tensor_info(net, i, &info);
			char name[200];
			snprintf(name, sizeof(name), "%s%s", k ? MOMENTUM_PREFIX : "", info.name);
			const struct ampcl_st_tensor *t = ampcl_st_find(ck->file, name);
			int same = t && t->ndim == info.ndim && !strcmp(t->dtype, "F32");
			for (int d = 0; same && d < info.ndim; d++)
				same = t->shape[d] == info.shape[d];
			if (!same) {
				s = ampcl_error_set(
				    AMPCL_ERR_BAD_FILE,
				    "checkpoint '%s' %s tensor '%s' of the network "
				    "built from its settings: it was written by an "
				    "incompatible ampcl",
				    ck->path, t ? "has another shape for the" : "lacks the", name);
				break;
			}
			/* the file's bytes are aligned only as the format packs them: copy */
			buf = ampcl_xrealloc(buf, info.count * sizeof(float) + 1);
			memcpy(buf, ampcl_st_data(ck->file, t), info.count * sizeof(float));
			struct ampcl_tensor v =
			    k ? ampcl_net_momentum_view(net, i) : net->tensors[i].value;
			s = ampcl_tensor_write(net->ctx, &v, buf);
		}
	free(buf);
	return s;
}

void ampcl_checkpoint_free(struct ampcl_checkpoint *ck)
{
	if (!ck)
		return;
	ampcl_st_free(ck->file);
	free(ck);
}

void ampcl_checkpoint_state_release(struct ampcl_checkpoint_state *st)
{
	free(st->history);
	free(st->step_rows);
	st->history = NULL, st->step_rows = NULL;
	st->nhistory = st->nstep_rows = 0;
}
