/* onnx_read.c: an ONNX file unpacked by protobuf-c (the schema compiled at build time) and copied
 * into onnx_read.h's plain structs, every count and size checked against the data it claims. */
#include "onnx_read.h"
#include "alloc.h"
#include "onnx.pb-c.h"
#include "size.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE_BYTES (2ull << 30)

/* Everything a model points into: the unpacked message and the copies made from it. */
struct owner {
	struct ampcl_onnx_model pub;
	Onnx__ModelProto *proto;
	struct ampcl_onnx_node *nodes;
	struct ampcl_onnx_attr **attrs; /* per node */
	const char ***names;            /* per node: inputs then outputs */
	struct ampcl_onnx_tensor *inits;
	struct ampcl_onnx_tensor **attr_tensors; /* per node: one per TENSOR attribute */
	struct ampcl_onnx_value *inputs, *outputs;
	char **strings; /* STRING attributes made NUL-terminated */
	size_t nstrings;
};

ampcl_status ampcl_onnx_bad(const char *path, const char *what)
{
	return ampcl_error_set(AMPCL_ERR_BAD_FILE,
			       "ONNX model '%s': %s; export it again (torch.onnx.export) or give "
			       "another file",
			       path, what);
}

ampcl_status ampcl_onnx_read_file(const char *path, uint8_t **data, size_t *size)
{
	FILE *f;
	ampcl_status st = ampcl_input_open(path, "ONNX model", &f);
	if (st)
		return st;
	size_t cap = 1 << 20, n = 0;
	uint8_t *buf = ampcl_xmalloc(cap);
	for (;;) {
		if (n == cap) {
			if (cap >= MAX_FILE_BYTES) {
				free(buf);
				fclose(f);
				return ampcl_onnx_bad(path, "larger than 2 GiB (weights in external files are not "
						 "read)");
			}
			cap *= 2;
			buf = ampcl_xrealloc(buf, cap);
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	int err = ferror(f);
	fclose(f);
	if (err) {
		free(buf);
		return ampcl_error_set(AMPCL_ERR_IO, "cannot read ONNX model '%s'", path);
	}
	*data = buf;
	*size = n;
	return AMPCL_OK;
}

/* A tensor's values as floats (FLOAT) or integers (INT64, INT32); other types keep neither. */
static ampcl_status copy_tensor(const char *path, const Onnx__TensorProto *t,
				struct ampcl_onnx_tensor *out)
{
	memset(out, 0, sizeof(*out));
	out->name = t->name ? t->name : "";
	out->dtype = t->has_data_type ? t->data_type : 0;
	char what[600];
	if (t->n_dims > AMPCL_ONNX_MAX_DIMS) {
		snprintf(what, sizeof(what), "tensor '%.200s' has %zu dimensions (at most %d)",
			 out->name, t->n_dims, AMPCL_ONNX_MAX_DIMS);
		return ampcl_onnx_bad(path, what);
	}
	out->ndim = (int)t->n_dims;
	size_t count = 1;
	for (size_t d = 0; d < t->n_dims; d++) {
		if (t->dims[d] < 0 || !ampcl_size_mul(count, (size_t)t->dims[d], &count)) {
			snprintf(what, sizeof(what), "tensor '%.200s' has dimension %zu of %lld",
				 out->name, d, (long long)t->dims[d]);
			return ampcl_onnx_bad(path, what);
		}
		out->dims[d] = t->dims[d];
	}
	out->count = count;
	if (t->has_data_location &&
	    t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
		snprintf(what, sizeof(what),
			 "tensor '%.200s' keeps its data in an external file, which is not read "
			 "(export with the weights inside the model)",
			 out->name);
		return ampcl_onnx_bad(path, what);
	}
	/* FLOAT, INT32, INT64 and BOOL (a byte in raw data, int32_data otherwise) */
	size_t elem = out->dtype == 1 || out->dtype == 6 ? 4 : out->dtype == 7 ? 8
		      : out->dtype == 9					 ? 1
										 : 0;
	if (!elem)
		return AMPCL_OK; /* kept by name and shape: an operator that needs it refuses it */
	size_t have = t->has_raw_data		      ? t->raw_data.len / elem
		      : out->dtype == 1			      ? t->n_float_data
		      : out->dtype == 6 || out->dtype == 9 ? t->n_int32_data
							   : t->n_int64_data;
	if ((t->has_raw_data && t->raw_data.len % elem) || have != count) {
		snprintf(what, sizeof(what),
			 "tensor '%.200s' holds %zu values where its shape needs %zu", out->name,
			 have, count);
		return ampcl_onnx_bad(path, what);
	}
	if (out->dtype == 1) {
		out->f = ampcl_xmalloc((count ? count : 1) * sizeof(float));
		if (count && t->has_raw_data) /* little-endian, as the format specifies and x86/ARM are */
			memcpy(out->f, t->raw_data.data, count * sizeof(float));
		else if (count)
			memcpy(out->f, t->float_data, count * sizeof(float));
		return AMPCL_OK;
	}
	out->i = ampcl_xmalloc((count ? count : 1) * sizeof(long long));
	for (size_t k = 0; k < count; k++) {
		if (out->dtype == 9) {
			out->i[k] = t->has_raw_data ? t->raw_data.data[k] != 0 : t->int32_data[k] != 0;
		} else if (out->dtype == 7) {
			int64_t v;
			if (t->has_raw_data)
				memcpy(&v, t->raw_data.data + 8 * k, 8);
			else
				v = t->int64_data[k];
			out->i[k] = v;
		} else {
			int32_t v;
			if (t->has_raw_data)
				memcpy(&v, t->raw_data.data + 4 * k, 4);
			else
				v = t->int32_data[k];
			out->i[k] = v;
		}
	}
	return AMPCL_OK;
}

static void copy_value(const Onnx__ValueInfoProto *v, struct ampcl_onnx_value *out)
{
	memset(out, 0, sizeof(*out));
	out->name = v->name ? v->name : "";
	out->ndim = -1; /* unknown */
	if (!v->type || v->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
	    !v->type->tensor_type)
		return;
	const Onnx__TypeProto__Tensor *t = v->type->tensor_type;
	out->dtype = t->has_elem_type ? t->elem_type : 0;
	if (!t->shape || t->shape->n_dim > AMPCL_ONNX_MAX_DIMS)
		return;
	out->ndim = (int)t->shape->n_dim;
	for (size_t d = 0; d < t->shape->n_dim; d++) {
		const Onnx__TensorShapeProto__Dimension *dim = t->shape->dim[d];
		out->dims[d] = dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
				   ? dim->dim_value
				   : -1;
	}
}

static ampcl_status copy_node(struct owner *o, int k, const Onnx__NodeProto *n)
{
	struct ampcl_onnx_node *node = &o->nodes[k];
	const char *path = o->pub.path;
	node->name = n->name ? n->name : "";
	node->op = n->op_type ? n->op_type : "";
	node->domain = n->domain ? n->domain : "";
	if (n->n_input > 1024 || n->n_output > 1024 || n->n_attribute > 1024)
		return ampcl_onnx_bad(path, "a node with more than 1024 inputs, outputs or attributes");
	const char **names = o->names[k] = ampcl_xcalloc(n->n_input + n->n_output + 1, sizeof(char *));
	for (size_t i = 0; i < n->n_input; i++)
		names[i] = n->input[i] ? n->input[i] : "";
	for (size_t i = 0; i < n->n_output; i++)
		names[n->n_input + i] = n->output[i] ? n->output[i] : "";
	node->in = names, node->nin = (int)n->n_input;
	node->out = names + n->n_input, node->nout = (int)n->n_output;
	struct ampcl_onnx_attr *attrs = o->attrs[k] =
	    ampcl_xcalloc(n->n_attribute + 1, sizeof(*attrs));
	o->attr_tensors[k] = ampcl_xcalloc(n->n_attribute + 1, sizeof(struct ampcl_onnx_tensor));
	for (size_t a = 0; a < n->n_attribute; a++) {
		const Onnx__AttributeProto *p = n->attribute[a];
		struct ampcl_onnx_attr *at = &attrs[a];
		at->name = p->name ? p->name : "";
		switch (p->has_type ? p->type : ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED) {
		case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
			at->type = AMPCL_ONNX_ATTR_INT, at->i = p->i;
			break;
		case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
			at->type = AMPCL_ONNX_ATTR_FLOAT, at->f = p->f;
			break;
		case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
			at->type = AMPCL_ONNX_ATTR_INTS;
			at->ints = p->ints, at->nints = p->n_ints;
			break;
		case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: {
			char *s = ampcl_xmalloc(p->s.len + 1);
			if (p->s.len)
				memcpy(s, p->s.data, p->s.len);
			s[p->s.len] = 0;
			o->strings = ampcl_xrealloc(o->strings, (o->nstrings + 1) * sizeof(char *));
			o->strings[o->nstrings++] = s;
			at->type = AMPCL_ONNX_ATTR_STRING, at->s = s;
			break;
		}
		case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
			if (p->t) {
				ampcl_status st = copy_tensor(path, p->t, &o->attr_tensors[k][a]);
				if (st)
					return st;
				at->type = AMPCL_ONNX_ATTR_TENSOR;
				at->tensor = &o->attr_tensors[k][a];
			}
			break;
		default:
			at->type = AMPCL_ONNX_ATTR_OTHER;
		}
	}
	node->attrs = attrs, node->nattrs = (int)n->n_attribute;
	return AMPCL_OK;
}

ampcl_status ampcl_onnx_read(const char *path, struct ampcl_onnx_model **out)
{
	*out = NULL;
	uint8_t *data = NULL;
	size_t size = 0;
	ampcl_status st = ampcl_onnx_read_file(path, &data, &size);
	if (st)
		return st;
	Onnx__ModelProto *proto = onnx__model_proto__unpack(NULL, size, data);
	free(data);
	if (!proto)
		return ampcl_onnx_bad(path, "not an ONNX model (the protobuf does not parse: truncated or "
				 "another kind of file)");
	if (!proto->graph) {
		onnx__model_proto__free_unpacked(proto, NULL);
		return ampcl_onnx_bad(path, "the model holds no graph");
	}
	const Onnx__GraphProto *g = proto->graph;
	struct owner *o = ampcl_xcalloc(1, sizeof(*o));
	o->proto = proto;
	o->pub.owner = o;
	o->pub.path = path;
	for (size_t i = 0; i < proto->n_opset_import; i++) {
		const Onnx__OperatorSetIdProto *op = proto->opset_import[i];
		if ((!op->domain || !*op->domain || !strcmp(op->domain, "ai.onnx")) && op->has_version)
			o->pub.opset = op->version;
	}
	size_t nodes = g->n_node, inits = g->n_initializer;
	if (nodes > 100000 || inits > 100000 || g->n_input > 100000 || g->n_output > 1024) {
		ampcl_onnx_free(&o->pub);
		return ampcl_onnx_bad(path, "more than 100,000 nodes, initializers or inputs");
	}
	o->nodes = ampcl_xcalloc(nodes + 1, sizeof(*o->nodes));
	o->attrs = ampcl_xcalloc(nodes + 1, sizeof(*o->attrs));
	o->names = ampcl_xcalloc(nodes + 1, sizeof(*o->names));
	o->attr_tensors = ampcl_xcalloc(nodes + 1, sizeof(*o->attr_tensors));
	o->pub.nodes = o->nodes;
	o->pub.nnodes = (int)nodes;
	for (size_t k = 0; k < nodes && !st; k++)
		st = copy_node(o, (int)k, g->node[k]);
	o->inits = ampcl_xcalloc(inits + 1, sizeof(*o->inits));
	o->pub.inits = o->inits;
	o->pub.ninits = (int)inits;
	for (size_t k = 0; k < inits && !st; k++)
		st = copy_tensor(path, g->initializer[k], &o->inits[k]);
	o->inputs = ampcl_xcalloc(g->n_input + 1, sizeof(*o->inputs));
	o->outputs = ampcl_xcalloc(g->n_output + 1, sizeof(*o->outputs));
	o->pub.inputs = o->inputs;
	o->pub.outputs = o->outputs;
	for (size_t k = 0; k < g->n_input && !st; k++) {
		const char *name = g->input[k]->name ? g->input[k]->name : "";
		if (!ampcl_onnx_init(&o->pub, name)) /* older exporters list weights as inputs */
			copy_value(g->input[k], &o->inputs[o->pub.ninputs++]);
	}
	for (size_t k = 0; k < g->n_output && !st; k++)
		copy_value(g->output[k], &o->outputs[o->pub.noutputs++]);
	if (st) {
		ampcl_onnx_free(&o->pub);
		return st;
	}
	*out = &o->pub;
	return AMPCL_OK;
}

void ampcl_onnx_free(struct ampcl_onnx_model *m)
{
	if (!m)
		return;
	struct owner *o = m->owner;
	const Onnx__GraphProto *g = o->proto->graph;
	for (size_t k = 0; k < g->n_node; k++) {
		if (o->attr_tensors && o->attr_tensors[k])
			for (size_t a = 0; a < g->node[k]->n_attribute; a++) {
				free(o->attr_tensors[k][a].f);
				free(o->attr_tensors[k][a].i);
			}
		if (o->attr_tensors)
			free(o->attr_tensors[k]);
		if (o->attrs)
			free(o->attrs[k]);
		if (o->names)
			free(o->names[k]);
	}
	for (int k = 0; k < m->ninits; k++) {
		free(o->inits[k].f);
		free(o->inits[k].i);
	}
	for (size_t k = 0; k < o->nstrings; k++)
		free(o->strings[k]);
	free(o->strings);
	free(o->attr_tensors);
	free(o->attrs);
	free(o->names);
	free(o->nodes);
	free(o->inits);
	free(o->inputs);
	free(o->outputs);
	onnx__model_proto__free_unpacked(o->proto, NULL);
	free(o);
}

const struct ampcl_onnx_attr *ampcl_onnx_attr(const struct ampcl_onnx_node *node, const char *name)
{
	for (int a = 0; a < node->nattrs; a++)
		if (!strcmp(node->attrs[a].name, name))
			return &node->attrs[a];
	return NULL;
}

int ampcl_onnx_param_inputs(const struct ampcl_onnx_node *node, int idx[4])
{
	int n = 0, first = 1, last = 0;
	if (!strcmp(node->op, "Conv") || !strcmp(node->op, "Gemm"))
		last = 2;
	else if (!strcmp(node->op, "MatMul"))
		last = 1;
	else if (!strcmp(node->op, "BatchNormalization"))
		last = 4;
	for (int k = first; k <= last && k < node->nin; k++)
		if (*node->in[k])
			idx[n++] = k;
	return n;
}

const struct ampcl_onnx_tensor *ampcl_onnx_init(const struct ampcl_onnx_model *m, const char *name)
{
	for (int k = 0; k < m->ninits; k++)
		if (!strcmp(m->inits[k].name, name))
			return &m->inits[k];
	return NULL;
}

ampcl_status ampcl_onnx_input_shape(const char *path, int *channels, int *height, int *width)
{
	struct ampcl_onnx_model *m;
	ampcl_status st = ampcl_onnx_read(path, &m);
	if (st)
		return st;
	const struct ampcl_onnx_value *in = m->ninputs == 1 ? &m->inputs[0] : NULL;
	if (!in || in->ndim != 4)
		st = ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				     "ONNX model '%s' has %d inputs%s: ampcl trains a graph of one "
				     "input, a batch of images (N, C, H, W)",
				     path, m->ninputs, in ? " of another rank than 4" : "");
	else {
		long long d[3] = {in->dims[1], in->dims[2], in->dims[3]};
		for (int k = 0; k < 3; k++)
			if (d[k] < 1 || d[k] > INT_MAX)
				d[k] = -1;
		*channels = (int)d[0], *height = (int)d[1], *width = (int)d[2];
	}
	ampcl_onnx_free(m);
	return st;
}

/* A float initializer of count values, as a bias of one value per output is: [out] or [1, out]. */
static int is_bias(const struct ampcl_onnx_tensor *t, long long count)
{
	return t && t->f && (long long)t->count == count &&
	       (t->ndim == 1 || (t->ndim == 2 && t->dims[0] == 1));
}

int ampcl_onnx_matmul_add(const struct ampcl_onnx_model *m, int k, int *bias_input)
{
	const struct ampcl_onnx_node *n = &m->nodes[k];
	const struct ampcl_onnx_tensor *b = n->nin == 2 ? ampcl_onnx_init(m, n->in[1]) : NULL;
	if (strcmp(n->op, "MatMul") || n->nout != 1 || !b || b->ndim != 2)
		return -1;
	for (int o = 0; o < m->noutputs; o++)
		if (!strcmp(m->outputs[o].name, n->out[0]))
			return -1; /* the product itself is wanted */
	int add = -1, uses = 0;
	for (int j = k + 1; j < m->nnodes; j++)
		for (int i = 0; i < m->nodes[j].nin; i++)
			if (!strcmp(m->nodes[j].in[i], n->out[0])) {
				uses++;
				add = j;
			}
	const struct ampcl_onnx_node *a = add >= 0 ? &m->nodes[add] : NULL;
	if (uses != 1 || strcmp(a->op, "Add") || a->nin != 2 ||
	    (*a->domain && strcmp(a->domain, "ai.onnx")))
		return -1;
	int other = strcmp(a->in[0], n->out[0]) ? 0 : 1;
	if (!is_bias(ampcl_onnx_init(m, a->in[other]), b->dims[1]))
		return -1;
	if (bias_input)
		*bias_input = other;
	return add;
}

int ampcl_onnx_params(const struct ampcl_onnx_model *m, int k, const char *names[4])
{
	int idx[4], n = ampcl_onnx_param_inputs(&m->nodes[k], idx), other;
	for (int i = 0; i < n; i++)
		names[i] = m->nodes[k].in[idx[i]];
	int add = ampcl_onnx_matmul_add(m, k, &other);
	if (add >= 0)
		names[n++] = m->nodes[add].in[other];
	return n;
}
