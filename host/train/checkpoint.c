/* checkpoint.c: writes and reads .ampcl checkpoints: "AMPCLCKP", format, the text block, the
 * params/momentum/running-statistics arenas as they lie on the device, and a checksum. */
#include "checkpoint.h"
#include "error.h"
#include "hash.h"
#include "train_config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAGIC "AMPCLCKP"
#define FORMAT 1u
#define MAX_FILE ((uint64_t)16 << 30)

struct ampcl_checkpoint {
	char path[4096];
	unsigned char *data;
	size_t size;
	const unsigned char *arena[3];
	uint64_t arena_bytes[3];
};

static struct ampcl_arena **arenas(struct ampcl_net *net, struct ampcl_arena *out[3])
{
	out[0] = net->params, out[1] = net->momentum, out[2] = net->running;
	return out;
}

static const char *arena_names[3] = {"parameters", "optimizer state", "BN running statistics"};

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
	fprintf(f,
		"state in_channels %d\nstate in_height %d\nstate in_width %d\nstate classes %d\n",
		st->in_channels, st->in_height, st->in_width, st->classes);
	for (int i = 0; i < st->amp_nselected; i++)
		fprintf(f, "state amp_selected %d\n", st->amp_selected[i]);
	for (int i = 0; i < st->nhistory; i++) {
		const struct ampcl_epoch_record *r = &st->history[i];
		fprintf(f, "history %d %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %d\n",
			r->epoch, r->lr, r->train_loss, r->train_acc, r->test_loss, r->test_acc,
			r->seconds, r->images_per_s, r->data_wait_s, r->amp_layers);
	}
	fclose(f);
	return buf;
}

ampcl_status ampcl_checkpoint_save(const char *path, struct ampcl_net *net,
				   const struct ampcl_checkpoint_state *st)
{
	struct ampcl_arena *a[3];
	arenas(net, a);
	size_t text_len;
	char *text = state_text(st, &text_len);
	size_t total = 16 + text_len + 8;
	for (int i = 0; i < 3; i++)
		total += 8 + a[i]->size;
	unsigned char *buf = malloc(total), *p = buf;
	if (!buf)
		abort();
	uint32_t format = FORMAT, tl = (uint32_t)text_len;
	memcpy(p, MAGIC, 8), p += 8;
	memcpy(p, &format, 4), p += 4;
	memcpy(p, &tl, 4), p += 4;
	memcpy(p, text, text_len), p += text_len;
	free(text);
	ampcl_status s = AMPCL_OK;
	for (int i = 0; i < 3 && !s; i++) {
		uint64_t bytes = a[i]->size;
		memcpy(p, &bytes, 8), p += 8;
		struct ampcl_tensor all = ampcl_net_arena_view(a[i]);
		all.shape[0] = (int)(a[i]->size / sizeof(float));
		if (bytes)
			s = ampcl_tensor_read(net->ctx, &all, (float *)p);
		p += bytes;
	}
	if (s) {
		free(buf);
		return ampcl_error_wrap(s, "saving checkpoint '%s': ", path);
	}
	uint64_t sum = ampcl_hash64(buf, (size_t)(p - buf));
	memcpy(p, &sum, 8), p += 8;

	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int ok = fd >= 0;
	for (size_t done = 0; ok && done < total;) {
		ssize_t w = write(fd, buf + done, total - done);
		ok = w > 0;
		done += ok ? (size_t)w : 0;
	}
	int err = errno;
	ok = ok && fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = 0;
	free(buf);
	if (!ok || rename(tmp, path) != 0) {
		if (!ok)
			errno = err;
		s = ampcl_error_set(
		    AMPCL_ERR_IO,
		    "cannot write checkpoint '%s': %s; check that the folder exists, "
		    "is writable and has space",
		    path, strerror(errno));
		unlink(tmp);
		return s;
	}
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
			else if (!strcmp(key, "amp_selected") &&
				 st->amp_nselected < AMPCL_NET_MAX_LAYERS)
				st->amp_selected[st->amp_nselected++] = (int)v;
		} else if (!strcmp(line, "history")) {
			struct ampcl_epoch_record r;
			if (sscanf(value, "%d %lf %lf %lf %lf %lf %lf %lf %lf %d", &r.epoch, &r.lr,
				   &r.train_loss, &r.train_acc, &r.test_loss, &r.test_acc,
				   &r.seconds, &r.images_per_s, &r.data_wait_s,
				   &r.amp_layers) != 10)
				return bad(path, "has a damaged history line");
			st->history = realloc(st->history, (size_t)(st->nhistory + 1) * sizeof(r));
			if (!st->history)
				abort();
			st->history[st->nhistory++] = r;
		} else {
			ampcl_status s = ampcl_train_config_set(&st->cfg, line, value);
			if (s)
				return ampcl_error_wrap(s, "checkpoint '%s': ", path);
		}
	}
	return AMPCL_OK;
}

ampcl_status ampcl_checkpoint_open(const char *path, struct ampcl_checkpoint **out,
				   struct ampcl_checkpoint_state *st)
{
	*out = NULL;
	memset(st, 0, sizeof(*st));
	FILE *f = fopen(path, "rb");
	if (!f)
		return ampcl_error_set(AMPCL_ERR_BAD_FILE, "cannot open checkpoint '%s': %s", path,
				       strerror(errno));
	struct ampcl_checkpoint *ck = calloc(1, sizeof(*ck));
	if (!ck)
		abort();
	snprintf(ck->path, sizeof(ck->path), "%s", path);
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	ampcl_status s = AMPCL_OK;
	if (size < 24 || (uint64_t)size > MAX_FILE) {
		fclose(f);
		s = bad(path, "is too short or too large to be a checkpoint");
		goto fail;
	}
	ck->size = (size_t)size;
	ck->data = malloc(ck->size + 1);
	if (!ck->data)
		abort();
	size_t got = fread(ck->data, 1, ck->size, f);
	fclose(f);
	if (got != ck->size || memcmp(ck->data, MAGIC, 8)) {
		s = bad(path, "is not an ampcl checkpoint (no AMPCLCKP header)");
		goto fail;
	}
	uint64_t sum;
	memcpy(&sum, ck->data + ck->size - 8, 8);
	if (ampcl_hash64(ck->data, ck->size - 8) != sum) {
		s = bad(path, "fails its checksum: it is damaged or was cut short");
		goto fail;
	}
	uint32_t format, tl;
	memcpy(&format, ck->data + 8, 4);
	memcpy(&tl, ck->data + 12, 4);
	if (format != FORMAT) {
		s = bad(path, "has a format this ampcl does not read");
		goto fail;
	}
	size_t pos = 16;
	if ((size_t)tl > ck->size - pos - 8) {
		s = bad(path, "has a text block longer than the file");
		goto fail;
	}
	char *text = malloc((size_t)tl + 1);
	if (!text)
		abort();
	memcpy(text, ck->data + pos, tl);
	text[tl] = 0;
	pos += tl;
	s = parse_text(path, text, st);
	free(text);
	if (s)
		goto fail;
	for (int i = 0; i < 3; i++) {
		if (pos + 8 > ck->size - 8) {
			s = bad(path, "ends before its arenas");
			goto fail;
		}
		memcpy(&ck->arena_bytes[i], ck->data + pos, 8);
		pos += 8;
		if (ck->arena_bytes[i] > ck->size - 8 - pos) {
			s = bad(path, "has an arena longer than the file");
			goto fail;
		}
		ck->arena[i] = ck->data + pos;
		pos += ck->arena_bytes[i];
	}
	if (pos != ck->size - 8) {
		s = bad(path, "has bytes after its arenas");
		goto fail;
	}
	*out = ck;
	return AMPCL_OK;
fail:
	free(st->history);
	st->history = NULL;
	ampcl_checkpoint_free(ck);
	return s;
}

ampcl_status ampcl_checkpoint_apply(struct ampcl_checkpoint *ck, struct ampcl_net *net)
{
	struct ampcl_arena *a[3];
	arenas(net, a);
	for (int i = 0; i < 3; i++)
		if (ck->arena_bytes[i] != a[i]->size)
			return ampcl_error_set(
			    AMPCL_ERR_BAD_FILE,
			    "checkpoint '%s' holds %llu bytes of %s but the network "
			    "built from its settings needs %zu: it was written by an "
			    "incompatible ampcl",
			    ck->path, (unsigned long long)ck->arena_bytes[i], arena_names[i],
			    a[i]->size);
	for (int i = 0; i < 3; i++) {
		if (!a[i]->size)
			continue;
		struct ampcl_tensor all = ampcl_net_arena_view(a[i]);
		all.shape[0] = (int)(a[i]->size / sizeof(float));
		/* the bytes are in the file buffer, aligned only to 4: copy through a float array
		 */
		float *tmp = malloc(a[i]->size);
		if (!tmp)
			abort();
		memcpy(tmp, ck->arena[i], a[i]->size);
		ampcl_status s = ampcl_tensor_write(net->ctx, &all, tmp);
		free(tmp);
		if (s)
			return s;
	}
	return AMPCL_OK;
}

void ampcl_checkpoint_free(struct ampcl_checkpoint *ck)
{
	if (!ck)
		return;
	free(ck->data);
	free(ck);
}
