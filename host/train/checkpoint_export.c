/* checkpoint_export.c: `ampcl export`: a checkpoint's weights and BN statistics as safetensors
 * under PyTorch's state_dict names, loadable by load_state_dict of the same network. */
#include "checkpoint.h"
#include "alloc.h"
#include "error.h"
#include "locale_c.h"
#include "onnx_read.h"
#include "safetensors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && !strcmp(s + n - k, suffix);
}

/* The net's tensors into a copy of the ONNX model it was built from: the initializers its nodes
 * take as parameters, in the net's tensor order (as they were loaded). */
static ampcl_status export_onnx(ampcl_net_t *net, const char *model, const char *path)
{
	struct ampcl_onnx_model *m;
	ampcl_status s = ampcl_onnx_read(model, &m);
	if (s)
		return s;
	int n = ampcl_net_tensor_count(net), k = 0;
	const char **names = ampcl_xcalloc((size_t)n + 1, sizeof(*names));
	float **values = ampcl_xcalloc((size_t)n + 1, sizeof(*values));
	size_t *counts = ampcl_xcalloc((size_t)n + 1, sizeof(*counts));
	for (int j = 0; j < m->nnodes && !s; j++) {
		const char *pnames[4];
		int np = ampcl_onnx_params(m, j, pnames);
		for (int p = 0; p < np && !s; p++, k++) {
			struct ampcl_tensor_info info;
			if (k >= n || ampcl_net_tensor_info(net, k, &info)) {
				s = ampcl_onnx_bad(model, "it holds more parameters than the network "
							  "trained from it: was it changed since?");
				break;
			}
			names[k] = pnames[p];
			counts[k] = info.count;
			values[k] = ampcl_xmalloc(info.count * sizeof(float) + 1);
			s = ampcl_net_tensor_read(net, k, values[k]);
		}
	}
	if (!s && k != n)
		s = ampcl_onnx_bad(model, "it holds fewer parameters than the network trained from "
					  "it: was it changed since?");
	if (!s)
		s = ampcl_onnx_write_weights(model, path, n, names,
					     (const float *const *)values, counts);
	for (int i = 0; i < n; i++)
		free(values[i]);
	free(values);
	free(names);
	free(counts);
	ampcl_onnx_free(m);
	return s;
}

static ampcl_status export_weights(ampcl_context_t *ctx, const char *checkpoint, const char *path)
{
	struct ampcl_checkpoint_state st;
	struct ampcl_checkpoint *ck = NULL;
	ampcl_net_t *net = NULL;
	struct ampcl_st_writer *w = NULL;
	float *buf = NULL;
	ampcl_status s = ampcl_checkpoint_open(checkpoint, &ck, &st);
	if (s)
		return s;
	/* the parameter arenas do not depend on the batch: a batch of 1 keeps activations small */
	if ((s = ampcl_net_create(ctx, st.in_channels, st.in_height, st.in_width, &net)) ||
	    (s = ampcl_model_build(net, st.cfg.model, st.cfg.width, st.classes)) ||
	    (s = ampcl_net_finalize(net, 1, 0)) || (s = ampcl_checkpoint_apply(ck, net)))
		goto out;
	if (ends_with(path, ".onnx")) {
		s = ends_with(st.cfg.model, ".onnx")
			? export_onnx(net, st.cfg.model, path)
			: ampcl_error_set(AMPCL_ERR_INVALID_ARG,
					  "export to '%s': an ONNX file is written from the ONNX "
					  "model a run was trained from; '%s' is built in (export "
					  "it as safetensors)",
					  path, st.cfg.model);
		goto out;
	}
	if ((s = ampcl_st_writer_create(&w)))
		goto out;
	for (int i = 0; i < ampcl_net_tensor_count(net) && !s; i++) {
		struct ampcl_tensor_info info;
		ampcl_net_tensor_info(net, i, &info);
		buf = ampcl_xrealloc(buf, info.count * sizeof(float));
		long long shape[4];
		for (int d = 0; d < info.ndim; d++)
			shape[d] = info.shape[d];
		if ((s = ampcl_net_tensor_read(net, i, buf)))
			break;
		s = ampcl_st_writer_add(w, info.name, "F32", info.ndim, shape, buf,
					info.count * sizeof(float));
		/* PyTorch's BatchNorm2d also keeps num_batches_tracked; strict loading wants it */
		const char *suffix = ".running_var";
		size_t nl = strlen(info.name), sl = strlen(suffix);
		if (!s && nl > sl && !strcmp(info.name + nl - sl, suffix)) {
			char name[160];
			snprintf(name, sizeof(name), "%.*s.num_batches_tracked", (int)(nl - sl),
				 info.name);
			long long tracked = st.tracked_base + st.steps;
			s = ampcl_st_writer_add(w, name, "I64", 0, NULL, &tracked, sizeof(tracked));
		}
	}
	if (!s) {
		char epochs[32];
		snprintf(epochs, sizeof(epochs), "%d", st.next_epoch);
		if ((s = ampcl_st_writer_metadata(w, "format", "pt")) ||
		    (s = ampcl_st_writer_metadata(w, "ampcl_model", st.cfg.model)) ||
		    (s = ampcl_st_writer_metadata(w, "ampcl_epochs", epochs)))
			goto out;
		s = ampcl_st_writer_save(w, path);
	}
out:
	free(buf);
	ampcl_st_writer_free(w);
	ampcl_net_free(net);
	ampcl_checkpoint_free(ck);
	ampcl_checkpoint_state_release(&st);
	return s;
}

/* Text in the C locale, whatever the host program set. */
ampcl_status ampcl_checkpoint_export(ampcl_context_t *ctx, const char *checkpoint, const char *path)
{
	locale_t previous = ampcl_locale_c_begin();
	ampcl_status st = export_weights(ctx, checkpoint, path);
	ampcl_locale_c_end(previous);
	return st;
}
