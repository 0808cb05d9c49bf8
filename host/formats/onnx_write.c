/* onnx_write.c: an ONNX model written back with new values in some of its initializers (the
 * trained weights), everything else as the file held it, through the one atomic write. */
#include "onnx_read.h"
#include "alloc.h"
#include "files.h"
#include "onnx.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static Onnx__TensorProto *find(const Onnx__GraphProto *g, const char *name)
{
	for (size_t k = 0; k < g->n_initializer; k++)
		if (g->initializer[k]->name && !strcmp(g->initializer[k]->name, name))
			return g->initializer[k];
	return NULL;
}

ampcl_status ampcl_onnx_write_weights(const char *src, const char *dst, int n,
				      const char *const *names, const float *const *values,
				      const size_t *counts)
{
	uint8_t *data = NULL;
	size_t size = 0;
	ampcl_status st = ampcl_onnx_read_file(src, &data, &size);
	if (st)
		return st;
	Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, size, data);
	free(data);
	if (!m || !m->graph) {
		if (m)
			onnx__model_proto__free_unpacked(m, NULL);
		return ampcl_onnx_bad(src, "not an ONNX model with a graph");
	}
	for (int i = 0; i < n && !st; i++) {
		Onnx__TensorProto *t = find(m->graph, names[i]);
		size_t held = 1;
		for (size_t d = 0; t && d < t->n_dims; d++)
			held *= (size_t)t->dims[d];
		if (!t || !t->has_data_type || t->data_type != 1 || held != counts[i]) {
			char what[400];
			snprintf(what, sizeof(what),
				 "initializer '%.200s' is not %zu floats as the network's tensor is",
				 names[i], counts[i]);
			st = ampcl_onnx_bad(src, what);
			break;
		}
		/* the values as raw little-endian data, which replaces any float_data; memory the
		 * unpacked message owns, so that freeing it frees them */
		uint8_t *raw = ampcl_xmalloc(counts[i] * sizeof(float) + 1);
		memcpy(raw, values[i], counts[i] * sizeof(float));
		if (t->has_raw_data)
			free(t->raw_data.data);
		t->has_raw_data = 1;
		t->raw_data.data = raw;
		t->raw_data.len = counts[i] * sizeof(float);
		t->n_float_data = 0;
	}
	if (!st) {
		size_t bytes = onnx__model_proto__get_packed_size(m);
		uint8_t *out = ampcl_xmalloc(bytes + 1);
		onnx__model_proto__pack(m, out);
		struct ampcl_atomic a;
		if (!(st = ampcl_atomic_open(&a, dst))) {
			fwrite(out, 1, bytes, a.f);
			st = ampcl_atomic_commit(&a);
		}
		free(out);
	}
	onnx__model_proto__free_unpacked(m, NULL);
	return st;
}
