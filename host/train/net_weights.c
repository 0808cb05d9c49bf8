/* net_weights.c: loads PyTorch-named safetensors weights into a finalized net as strictly as
 * load_state_dict(strict=True): every tensor present with its exact shape, nothing unexpected. */
#include "net_weights.h"
#include "alloc.h"
#include "error.h"
#include "safetensors.h"

#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}

static void shape_text(char *buf, size_t size, int ndim, const long long *shape)
{
	size_t len = (size_t)snprintf(buf, size, "[");
	for (int d = 0; d < ndim && len < size; d++)
		len += (size_t)snprintf(buf + len, size - len, "%s%lld", d ? ", " : "", shape[d]);
	if (len < size)
		snprintf(buf + len, size - len, "]");
}

/* A file tensor the net has no use for: not one of its tensors, and not the
 * num_batches_tracked of one of its BN layers. */
static int unexpected(const ampcl_net_t *net, const char *name)
{
	char base[160];
	if (ends_with(name, ".num_batches_tracked")) {
		snprintf(base, sizeof(base), "%.*s.running_var",
			 (int)(strlen(name) - strlen(".num_batches_tracked")), name);
		name = base;
	}
	for (int i = 0; i < ampcl_net_tensor_count(net); i++) {
		struct ampcl_tensor_info info;
		ampcl_net_tensor_info(net, i, &info);
		if (!strcmp(info.name, name))
			return 0;
	}
	return 1;
}

/* Appends name to a "a, b, c and N more" list. */
static void list_add(char *list, size_t size, int *count, const char *name)
{
	if (*count < 6) {
		size_t len = strlen(list);
		snprintf(list + len, size - len, "%s'%s'", *count ? ", " : "", name);
	}
	(*count)++;
}

static void list_end(char *list, size_t size, int count)
{
	if (count > 6) {
		size_t len = strlen(list);
		snprintf(list + len, size - len, " and %d more", count - 6);
	}
}

ampcl_status ampcl_net_load_weights(ampcl_net_t *net, const char *path, const char *what,
				    long long *batches_tracked)
{
	struct ampcl_st_file *f;
	ampcl_status st = ampcl_st_open(path, &f);
	if (st)
		return st;
	char missing[1024] = "", extra[1024] = "";
	int nmissing = 0, nextra = 0;
	for (int i = 0; i < ampcl_net_tensor_count(net); i++) {
		struct ampcl_tensor_info info;
		ampcl_net_tensor_info(net, i, &info);
		if (!ampcl_st_find(f, info.name))
			list_add(missing, sizeof(missing), &nmissing, info.name);
	}
	for (int i = 0; i < ampcl_st_count(f); i++)
		if (unexpected(net, ampcl_st_get(f, i)->name))
			list_add(extra, sizeof(extra), &nextra, ampcl_st_get(f, i)->name);
	list_end(missing, sizeof(missing), nmissing);
	list_end(extra, sizeof(extra), nextra);
	if (nmissing || nextra) {
		st = ampcl_error_set(
		    AMPCL_ERR_BAD_FILE,
		    "%s '%s' does not fit the network: %d missing tensor%s%s%s, %d unexpected "
		    "tensor%s%s%s (is it the same model and width?)",
		    what, path, nmissing, nmissing == 1 ? "" : "s", nmissing ? " " : "", missing,
		    nextra, nextra == 1 ? "" : "s", nextra ? " " : "", extra);
		ampcl_st_free(f);
		return st;
	}
	long long tracked = -1;
	float *buf = NULL;
	for (int i = 0; i < ampcl_net_tensor_count(net) && !st; i++) {
		struct ampcl_tensor_info info;
		ampcl_net_tensor_info(net, i, &info);
		const struct ampcl_st_tensor *t = ampcl_st_find(f, info.name);
		int same = t->ndim == info.ndim && !strcmp(t->dtype, "F32");
		for (int d = 0; same && d < info.ndim; d++)
			same = t->shape[d] == info.shape[d];
		if (!same) {
			char have[96], want[96];
			long long ws[4];
			for (int d = 0; d < info.ndim; d++)
				ws[d] = info.shape[d];
			shape_text(have, sizeof(have), t->ndim, t->shape);
			shape_text(want, sizeof(want), info.ndim, ws);
			st = ampcl_error_set(AMPCL_ERR_BAD_FILE,
					     "%s '%s': tensor '%s' is %s %s; the network needs F32 "
					     "%s (is it the same model and width?)",
					     what, path, info.name, t->dtype, have, want);
			break;
		}
		buf = ampcl_xrealloc(buf, info.count * sizeof(float) + 1);
		memcpy(buf, ampcl_st_data(f, t), info.count * sizeof(float));
		/* values a trained model can hold: finite, and no negative running variance */
		int var = ends_with(info.name, ".running_var");
		for (size_t k = 0; k < info.count && !st; k++)
			if (!isfinite(buf[k]) || (var && buf[k] < 0))
				st =
				    ampcl_error_set(AMPCL_ERR_BAD_FILE,
						    "%s '%s': tensor '%s' holds %g at index %zu%s; "
						    "the file is damaged or the model diverged",
						    what, path, info.name, buf[k], k,
						    var ? " (a variance must be >= 0)" : "");
		if (st)
			break;
		st = ampcl_net_tensor_write(net, i, buf);
		/* PyTorch's BN counts its training batches; every layer of a model trained as a
		 * whole has the same count, and the first one found stands for all */
		if (!st && tracked < 0 && ends_with(info.name, ".running_var")) {
			char name[160];
			snprintf(name, sizeof(name), "%.*s.num_batches_tracked",
				 (int)(strlen(info.name) - strlen(".running_var")), info.name);
			const struct ampcl_st_tensor *nb = ampcl_st_find(f, name);
			if (nb && nb->ndim == 0 && !strcmp(nb->dtype, "I64")) {
				long long v;
				memcpy(&v, ampcl_st_data(f, nb), sizeof(v));
				tracked = v >= 0 ? v : 0;
			} else if (nb) {
				st = ampcl_error_set(AMPCL_ERR_BAD_FILE,
						     "%s '%s': tensor '%s' must be an I64 scalar, "
						     "as PyTorch writes it",
						     what, path, name);
			}
		}
	}
	free(buf);
	ampcl_st_free(f);
	if (batches_tracked)
		*batches_tracked = tracked >= 0 ? tracked : 0;
	return st;
}
