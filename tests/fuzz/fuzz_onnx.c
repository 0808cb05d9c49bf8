/* fuzz_onnx.c: the ONNX reader (`--model FILE.onnx`) on any bytes: it opens or refuses, and what
 * it opens can be walked in full: nodes, attributes, initializers, inputs and outputs. */
#include "fuzz_util.h"
#include "onnx_read.h"

#include <string.h>

static size_t tensor_sum(const struct ampcl_onnx_tensor *t)
{
	size_t sum = 0;
	if (!t->f && !t->i)
		return 0; /* a dtype kept by name and shape only: its count is the shape's, no data */
	for (size_t i = 0; i < t->count; i++)
		sum += t->f ? (size_t)(t->f[i] != 0) : t->i ? (size_t)t->i[i] : 0;
	return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ampcl_onnx_model *m;
	if (ampcl_onnx_read(fuzz_write("m.onnx", data, size), &m) != AMPCL_OK)
		return 0;
	volatile size_t sum = 0;
	for (int k = 0; k < m->nnodes; k++) {
		const struct ampcl_onnx_node *n = &m->nodes[k];
		sum += strlen(n->name) + strlen(n->op) + strlen(n->domain);
		for (int i = 0; i < n->nin; i++)
			sum += strlen(n->in[i]) + (ampcl_onnx_init(m, n->in[i]) != NULL);
		for (int i = 0; i < n->nout; i++)
			sum += strlen(n->out[i]);
		for (int a = 0; a < n->nattrs; a++) {
			const struct ampcl_onnx_attr *at = &n->attrs[a];
			sum += strlen(at->name) + (size_t)at->i + (at->s ? strlen(at->s) : 0);
			for (size_t i = 0; i < at->nints; i++)
				sum += (size_t)at->ints[i];
			if (at->tensor)
				sum += tensor_sum(at->tensor);
		}
		const char *names[4];
		int np = ampcl_onnx_params(m, k, names);
		for (int i = 0; i < np; i++)
			sum += strlen(names[i]);
	}
	for (int k = 0; k < m->ninits; k++)
		sum += tensor_sum(&m->inits[k]);
	for (int k = 0; k < m->ninputs; k++)
		sum += strlen(m->inputs[k].name) + (size_t)m->inputs[k].ndim;
	for (int k = 0; k < m->noutputs; k++)
		sum += strlen(m->outputs[k].name);
	(void)sum;
	ampcl_onnx_free(m);
	return 0;
}
