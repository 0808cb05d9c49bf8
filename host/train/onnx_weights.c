/* onnx_weights.c: an ONNX model's initializers as the initial weights of the net built from it:
 * the parameters of its nodes, in the net's tensor order, each checked for shape and values. */
#include "onnx_weights.h"
#include "alloc.h"
#include "onnx_read.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* PyTorch's BN counter beside a variance called "NAME.running_var", or -1. */
static long long batches_tracked_of(const struct ampcl_onnx_model *m, const char *var)
{
	size_t len = strlen(var), suffix = strlen(".running_var");
	if (len <= suffix || strcmp(var + len - suffix, ".running_var"))
		return -1;
	char name[600];
	snprintf(name, sizeof(name), "%.*s.num_batches_tracked", (int)(len - suffix), var);
	const struct ampcl_onnx_tensor *t = ampcl_onnx_init(m, name);
	return t && t->i && t->count == 1 && t->i[0] >= 0 ? t->i[0] : -1;
}

ampcl_status ampcl_net_load_onnx(ampcl_net_t *net, const char *path, long long *batches_tracked)
{
	struct ampcl_onnx_model *m;
	*batches_tracked = 0;
	ampcl_status st = ampcl_onnx_read(path, &m);
	if (st)
		return st;
	long long tracked = -1;
	int tensor = 0, count = ampcl_net_tensor_count(net);
	for (int k = 0; k < m->nnodes && !st; k++) {
		const char *names[4];
		int n = ampcl_onnx_params(m, k, names);
		for (int j = 0; j < n && !st; j++, tensor++) {
			const char *name = names[j];
			const struct ampcl_onnx_tensor *t = ampcl_onnx_init(m, name);
			struct ampcl_tensor_info info;
			if (tensor >= count || ampcl_net_tensor_info(net, tensor, &info)) {
				st = ampcl_error_set(AMPCL_ERR_BAD_FILE,
						     "ONNX model '%s' holds more parameters than its "
						     "network: was it changed since the net was built?",
						     path);
				break;
			}
			if (!t || !t->f || t->count != info.count) {
				st = ampcl_error_set(AMPCL_ERR_BAD_FILE,
						     "ONNX model '%s': '%s' (for %s) is not a float "
						     "initializer of %zu values",
						     path, name, info.name, info.count);
				break;
			}
			int var = j == 3 && !strcmp(m->nodes[k].op, "BatchNormalization");
			for (size_t e = 0; e < t->count && !st; e++)
				if (!isfinite(t->f[e]) || (var && t->f[e] < 0))
					st = ampcl_error_set(AMPCL_ERR_BAD_FILE,
							     "ONNX model '%s': '%s' holds %g at index "
							     "%zu; the file is damaged or the model "
							     "diverged",
							     path, name, t->f[e], e);
			if (!st)
				st = ampcl_net_tensor_write(net, tensor, t->f);
			if (var && tracked < 0)
				tracked = batches_tracked_of(m, name);
		}
	}
	if (!st && tensor != count)
		st = ampcl_error_set(AMPCL_ERR_BAD_FILE,
				     "ONNX model '%s' holds %d parameter tensors, its network %d",
				     path, tensor, count);
	if (tracked > 0)
		*batches_tracked = tracked;
	ampcl_onnx_free(m);
	return st;
}

int ampcl_onnx_bn_folded(const char *path)
{
	struct ampcl_onnx_model *m;
	if (ampcl_onnx_read(path, &m))
		return 0;
	int bn = 0, renamed = 0;
	for (int k = 0; k < m->nnodes; k++) {
		const struct ampcl_onnx_node *n = &m->nodes[k];
		bn |= !strcmp(n->op, "BatchNormalization");
		renamed |= !strcmp(n->op, "Conv") && n->nin > 1 && !strncmp(n->in[1], "onnx::", 6);
	}
	ampcl_onnx_free(m);
	return !bn && renamed;
}
