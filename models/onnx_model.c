/* onnx_model.c: an ONNX graph built into a net through the public builder API, operator by
 * operator; layers with parameters take their parameters' names, the others their node's scope. */
#include "ampcl.h"
#include "models.h"
#include "onnx_read.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUPPORTED                                                                                  \
	"ampcl imports Conv (any group count, dilation, strides and pads; rectangular kernels), "  \
	"BatchNormalization (epsilon 1e-5, momentum 0.9), Relu, Clip (constant finite bounds), "   \
	"MaxPool and AveragePool (no dilation or indices), GlobalAveragePool, Add of two "         \
	"layers, Concat of layers along channels, Dropout (a constant ratio), Flatten, Reshape "   \
	"to [N, C], Gemm (alpha and beta 1, no transA), MatMul by a 2-D initializer (with an "     \
	"Add of a bias after it), Slice of channels (step 1), Identity, Constant, Cast to float, " \
	"and Pad with zeros before a Conv or AveragePool"

/* A value of the graph: the layer that computes it, or a constant tensor. */
struct value {
	const char *name;
	int layer; /* -1: a constant */
	const struct ampcl_onnx_tensor *constant;
	int pad[4]; /* zeros a Pad node put around the layer's output, for the next Conv or
		     * AveragePool to take as its padding: top, left, bottom, right */
	int flat;   /* [N, C*H*W] after a Flatten or Reshape, not [N, C, H, W]: Slice's axes */
};

struct import {
	const struct ampcl_onnx_model *m;
	struct ampcl_onnx_tensor **casts; /* constants made float by Cast nodes */
	int ncasts;
	ampcl_net_t *net;
	struct value *values;
	int nvalues;
	char (*names)[64]; /* layer names given so far */
	int nnames;
	int last;   /* the last layer built */
	int *fused; /* per node: the linear layer a MatMul before this Add built with its bias, or
		     * -1 */
};

static ampcl_status refuse(const struct import *im, const struct ampcl_onnx_node *n,
			   const char *what)
{
	if (!*n->name) /* unnamed: its place and its output name it */
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "ONNX model '%s': node %d, output '%s' (%s): %s. " SUPPORTED,
				       im->m->path, (int)(n - im->m->nodes),
				       n->nout ? n->out[0] : "", n->op, what);
	return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "ONNX model '%s': node '%s' (%s): %s. " SUPPORTED,
			       im->m->path, n->name, n->op, what);
}

static void add_value(struct import *im, const char *name, int layer,
		      const struct ampcl_onnx_tensor *constant)
{
	im->values = realloc(im->values, (size_t)(im->nvalues + 1) * sizeof(*im->values));
	if (!im->values)
		abort();
	im->values[im->nvalues++] = (struct value){name, layer, constant, {0, 0, 0, 0}, 0};
}

static const struct value *find_value(const struct import *im, const char *name)
{
	for (int i = im->nvalues - 1; i >= 0; i--)
		if (!strcmp(im->values[i].name, name))
			return &im->values[i];
	return NULL;
}

/* The layer behind a node's input k, or -1 with the failure recorded. */
/* The layer behind input k and the zero padding a Pad put around it (pad may be NULL: then a
 * padded input is refused), or -1 with the failure recorded. */
static int input_padded(struct import *im, const struct ampcl_onnx_node *n, int k,
			ampcl_status *st, int pad[4])
{
	const struct value *v = k < n->nin ? find_value(im, n->in[k]) : NULL;
	int padded = v && (v->pad[0] || v->pad[1] || v->pad[2] || v->pad[3]);
	if (v && v->layer >= 0 && padded && !pad) {
		*st = refuse(im, n, "an input a Pad padded (ampcl takes zero padding into a Conv or "
				    "an AveragePool after it)");
		return -1;
	}
	if (v && v->layer >= 0) {
		for (int i = 0; pad && i < 4; i++)
			pad[i] = v->pad[i];
		return v->layer;
	}
	char what[300];
	snprintf(what, sizeof(what), "input %d ('%.200s') is %s", k, k < n->nin ? n->in[k] : "",
		 v || (k < n->nin && ampcl_onnx_init(im->m, n->in[k]))
		     ? "a constant where a layer's output is needed"
		     : "not computed before it");
	*st = refuse(im, n, what);
	return -1;
}

static int input_layer(struct import *im, const struct ampcl_onnx_node *n, int k, ampcl_status *st)
{
	return input_padded(im, n, k, st, NULL);
}

/* A constant input (an initializer or a Constant node's value), or NULL. */
static const struct ampcl_onnx_tensor *input_constant(const struct import *im,
						       const struct ampcl_onnx_node *n, int k)
{
	if (k >= n->nin || !*n->in[k])
		return NULL;
	const struct ampcl_onnx_tensor *t = ampcl_onnx_init(im->m, n->in[k]);
	if (t)
		return t;
	const struct value *v = find_value(im, n->in[k]);
	return v && v->layer < 0 ? v->constant : NULL;
}

static long long attr_int(const struct ampcl_onnx_node *n, const char *name, long long dflt)
{
	const struct ampcl_onnx_attr *a = ampcl_onnx_attr(n, name);
	return a && a->type == AMPCL_ONNX_ATTR_INT ? a->i : dflt;
}

static float attr_float(const struct ampcl_onnx_node *n, const char *name, float dflt)
{
	const struct ampcl_onnx_attr *a = ampcl_onnx_attr(n, name);
	return a && a->type == AMPCL_ONNX_ATTR_FLOAT ? a->f : dflt;
}

static int name_taken(const struct import *im, const char *name)
{
	for (int i = 0; i < im->nnames; i++)
		if (!strcmp(im->names[i], name))
			return 1;
	return 0;
}

/* A layer's name: its parameter's ("layer1.0.conv1" of "layer1.0.conv1.weight"), else the
 * node's scope as PyTorch's exporter writes it ("/layer1/layer1.0/relu1/Relu" is
 * "layer1.0.relu1"; a functional op in a block, "/layer1/layer1.0/Add", is "layer1.0.add"),
 * else the operator and the node's index; made unique with "_2", "_3", ... */
static const char *layer_name(struct import *im, const struct ampcl_onnx_node *n, int index,
			      const char *param)
{
	char base[160] = "", op[32];
	size_t k = 0;
	for (; n->op[k] && k < sizeof(op) - 1; k++)
		op[k] = (char)tolower((unsigned char)n->op[k]);
	op[k] = 0;
	size_t plen = param ? strlen(param) : 0;
	if (plen > 7 && !strcmp(param + plen - 7, ".weight") && plen - 7 < sizeof(base))
		snprintf(base, sizeof(base), "%.*s", (int)(plen - 7), param);
	else if (n->name[0] == '/') {
		/* the scope's components, each dropped when the next one extends it */
		char scope[256];
		snprintf(scope, sizeof(scope), "%s", n->name + 1);
		char *slash = strrchr(scope, '/');
		if (slash)
			*slash = 0; /* the last component names the op itself */
		else
			scope[0] = 0;
		char *parts[32];
		int np = 0;
		for (char *p = strtok(scope, "/"); p && np < 32; p = strtok(NULL, "/"))
			parts[np++] = p;
		char joined[256] = "";
		for (int i = 0; i < np; i++) {
			size_t len = strlen(parts[i]);
			if (i + 1 < np && !strncmp(parts[i + 1], parts[i], len) &&
			    parts[i + 1][len] == '.')
				continue;
			size_t used = strlen(joined);
			snprintf(joined + used, sizeof(joined) - used, "%s%s", used ? "." : "",
				 parts[i]);
		}
		/* a scope ending in a container's index ("layer1.0") names a functional op inside */
		const char *dot = strrchr(joined, '.');
		if (!joined[0])
			snprintf(base, sizeof(base), "%s", op);
		else if (dot && isdigit((unsigned char)dot[1]))
			snprintf(base, sizeof(base), "%.100s.%s", joined, op);
		else
			snprintf(base, sizeof(base), "%.150s", joined);
	}
	if (!base[0])
		snprintf(base, sizeof(base), "%.40s_%d", op, index);
	im->names = realloc(im->names, (size_t)(im->nnames + 1) * sizeof(*im->names));
	if (!im->names)
		abort();
	char *name = im->names[im->nnames];
	snprintf(name, 64, "%.63s", base);
	for (int i = 2; name_taken(im, name) && i < 100000; i++)
		snprintf(name, 64, "%.56s_%d", base, i);
	im->nnames++;
	return name;
}

/* INTS attribute name's count values into v (absent: dflt each); 0 when it has another count. */
static int ints_get(const struct ampcl_onnx_node *n, const char *name, int count, long long dflt,
		    long long *v)
{
	const struct ampcl_onnx_attr *a = ampcl_onnx_attr(n, name);
	for (int i = 0; i < count; i++)
		v[i] = dflt;
	if (!a)
		return 1;
	if (a->type != AMPCL_ONNX_ATTR_INTS || a->nints != (size_t)count)
		return 0;
	for (int i = 0; i < count; i++)
		v[i] = a->ints[i];
	return 1;
}

/* The node's auto_pad applied to pads (top, left, bottom, right) for an h x w input, kernel
 * k, strides s and dilations d: SAME_UPPER / SAME_LOWER keep ceil(size / stride) outputs, the
 * odd pad after (UPPER) or before (LOWER); VALID none; NOTSET or absent leaves pads as given.
 * Another value is refused. */
static ampcl_status auto_pads(struct import *im, const struct ampcl_onnx_node *n, int h, int w,
			      const long long k[2], const long long s[2], const long long d[2],
			      long long pads[4])
{
	const struct ampcl_onnx_attr *ap = ampcl_onnx_attr(n, "auto_pad");
	if (!ap || ap->type != AMPCL_ONNX_ATTR_STRING || !strcmp(ap->s, "NOTSET"))
		return AMPCL_OK;
	const char *mode = ap->s;
	if (strcmp(mode, "SAME_UPPER") && strcmp(mode, "SAME_LOWER") && strcmp(mode, "VALID"))
		return refuse(im, n, "an auto_pad other than NOTSET, SAME_UPPER, SAME_LOWER and VALID");
	int size[2] = {h, w};
	for (int i = 0; i < 2; i++) {
		long long out = (size[i] + s[i] - 1) / s[i];
		long long total = (out - 1) * s[i] + (k[i] - 1) * d[i] + 1 - size[i];
		if (total < 0 || !strcmp(mode, "VALID"))
			total = 0;
		pads[i] = !strcmp(mode, "SAME_LOWER") ? total - total / 2 : total / 2;
		pads[i + 2] = total - pads[i];
	}
	return AMPCL_OK;
}

/* Conv: the fast convolution when its form allows (group 1, no dilation, a square kernel,
 * equal strides and pads), the general one otherwise. */
static ampcl_status conv(struct import *im, const struct ampcl_onnx_node *n, int index, int *out)
{
	ampcl_status st = AMPCL_OK;
	int extra[4] = {0, 0, 0, 0}; /* a Pad's zeros before it */
	int x = input_padded(im, n, 0, &st, extra);
	if (x < 0)
		return st;
	const struct ampcl_onnx_tensor *w = input_constant(im, n, 1);
	const struct ampcl_onnx_tensor *b = input_constant(im, n, 2);
	int c, h, wd;
	ampcl_net_layer_shape(im->net, x, &c, &h, &wd);
	long long groups = attr_int(n, "group", 1);
	if (groups < 1 || groups > c || c % groups)
		return refuse(im, n, "a group count that does not divide the input channels");
	if (!w || !w->f || w->ndim != 4 || w->dims[1] * groups != c || w->dims[0] % groups)
		return refuse(im, n, "its weight is not a float initializer of shape [out, in / "
				     "group, kh, kw] matching its input");
	if (n->nin > 2 && *n->in[2] && (!b || !b->f || b->count != (size_t)w->dims[0]))
		return refuse(im, n, "its bias is not a float initializer of one value per output");
	long long kh = w->dims[2], kw = w->dims[3], ks[2], strides[2], dil[2], pads[4];
	if (!ints_get(n, "kernel_shape", 2, 0, ks) || (ks[0] && (ks[0] != kh || ks[1] != kw)))
		return refuse(im, n, "a kernel_shape other than its weight's");
	if (!ints_get(n, "strides", 2, 1, strides) || !ints_get(n, "dilations", 2, 1, dil) ||
	    !ints_get(n, "pads", 4, 0, pads))
		return refuse(im, n, "strides, dilations or pads that are not 2-D");
	long long kernel[2] = {kh, kw};
	if ((st = auto_pads(im, n, h, wd, kernel, strides, dil, pads)))
		return st;
	for (int i = 0; i < 4; i++)
		pads[i] += extra[i];
	for (int i = 0; i < 4; i++)
		if (pads[i] < 0 || pads[i] > 65536 || (i < 2 && (strides[i] < 1 || strides[i] > 65536 ||
								   dil[i] < 1 || dil[i] > 65536)))
			return refuse(im, n, "strides, dilations or pads out of range");
	const char *name = layer_name(im, n, index, w->name);
	if (groups == 1 && dil[0] == 1 && dil[1] == 1 && kh == kw && strides[0] == strides[1] &&
	    pads[0] == pads[1] && pads[0] == pads[2] && pads[0] == pads[3])
		return ampcl_net_conv2d(im->net, name, x, (int)w->dims[0], (int)kh, (int)strides[0],
					(int)pads[0], b != NULL, out);
	struct ampcl_conv2d_options o = {(int)w->dims[0], (int)kh,	   (int)kw,
					 (int)strides[0], (int)strides[1], (int)pads[0],
					 (int)pads[1],	  (int)pads[2],	   (int)pads[3],
					 (int)dil[0],	  (int)dil[1],	   (int)groups,
					 b != NULL};
	return ampcl_net_conv2d_general(im->net, name, x, &o, out);
}

static ampcl_status batchnorm(struct import *im, const struct ampcl_onnx_node *n, int index,
			      int *out)
{
	ampcl_status st = AMPCL_OK;
	int x = input_layer(im, n, 0, &st);
	if (x < 0)
		return st;
	int c, h, w;
	ampcl_net_layer_shape(im->net, x, &c, &h, &w);
	for (int k = 1; k <= 4; k++) {
		const struct ampcl_onnx_tensor *t = input_constant(im, n, k);
		if (!t || !t->f || t->count != (size_t)c)
			return refuse(im, n, "scale, bias, mean and variance are not float "
					     "initializers of one value per channel");
	}
	/* ampcl's BN is PyTorch's default: eps 1e-5, running statistics updated by 0.1 of the
	 * batch's (ONNX's momentum is the share kept: 0.9) */
	if (attr_float(n, "epsilon", 1e-5f) != 1e-5f || attr_float(n, "momentum", 0.9f) != 0.9f)
		return refuse(im, n, "an epsilon other than 1e-5 or a momentum other than 0.9");
	for (int k = 1; k < n->nout; k++)
		if (*n->out[k])
			add_value(im, n->out[k], -1, NULL); /* the updated statistics: not a layer */
	return ampcl_net_batchnorm(im->net,
				   layer_name(im, n, index, input_constant(im, n, 1)->name), x,
				   out);
}

/* MaxPool and AveragePool: the fast 2x2/2 max-pool and global average where they fit (the
 * built-in networks' layers), the general pooling otherwise. */
static ampcl_status pool(struct import *im, const struct ampcl_onnx_node *n, int index, int *out)
{
	ampcl_status st = AMPCL_OK;
	int extra[4] = {0, 0, 0, 0}; /* a Pad's zeros before it */
	int x = input_padded(im, n, 0, &st, extra);
	if (x < 0)
		return st;
	int padded = extra[0] || extra[1] || extra[2] || extra[3];
	int c, h, w;
	ampcl_net_layer_shape(im->net, x, &c, &h, &w);
	const char *name = layer_name(im, n, index, NULL);
	if (!strcmp(n->op, "GlobalAveragePool"))
		return ampcl_net_avgpool(im->net, name, x, out);
	int average = !strcmp(n->op, "AveragePool");
	long long ks[2], strides[2], pads[4], dil[2];
	if (!ints_get(n, "kernel_shape", 2, 0, ks) || ks[0] < 1 || ks[1] < 1 ||
	    !ints_get(n, "strides", 2, 1, strides) || !ints_get(n, "pads", 4, 0, pads) ||
	    !ints_get(n, "dilations", 2, 1, dil))
		return refuse(im, n, "no 2-D kernel_shape, or strides, pads or dilations not 2-D");
	if (dil[0] != 1 || dil[1] != 1)
		return refuse(im, n, "dilations other than 1");
	if (n->nout > 1 && *n->out[1])
		return refuse(im, n, "an indices output");
	if (attr_int(n, "storage_order", 0))
		return refuse(im, n, "storage_order 1");
	if ((st = auto_pads(im, n, h, w, ks, strides, dil, pads)))
		return st;
	int ceil_mode = (int)attr_int(n, "ceil_mode", 0) != 0;
	int include = (int)attr_int(n, "count_include_pad", 0) != 0;
	if (padded) { /* PyTorch's avg_pool2d(count_include_pad=True): Pad, then AveragePool */
		if (!average)
			return refuse(im, n, "a Pad before it (zeros would enter the maximum)");
		if (pads[0] || pads[1] || pads[2] || pads[3])
			return refuse(im, n, "pads of its own after a Pad");
		for (int i = 0; i < 4; i++)
			pads[i] = extra[i];
		include = 1;
	}
	int no_pad = !pads[0] && !pads[1] && !pads[2] && !pads[3];
	if (!average && ks[0] == 2 && ks[1] == 2 && strides[0] == 2 && strides[1] == 2 && no_pad &&
	    !ceil_mode)
		return ampcl_net_maxpool2(im->net, name, x, out);
	if (average && ks[0] == h && ks[1] == w && no_pad)
		return ampcl_net_avgpool(im->net, name, x, out);
	for (int i = 0; i < 4; i++)
		if (pads[i] < 0 || pads[i] >= ks[i % 2] || (i < 2 && (strides[i] < 1 ||
								      strides[i] > 65536 ||
								      ks[i] > 65536)))
			return refuse(im, n, "pads as large as the window, or strides or window out "
					     "of range");
	struct ampcl_pool2d_options o = {(int)ks[0],   (int)ks[1],   (int)strides[0],
					 (int)strides[1], (int)pads[0], (int)pads[1],
					 (int)pads[2],	  (int)pads[3], ceil_mode,
					 average && include};
	return ampcl_net_pool2d(im->net, name, x, average, &o, out);
}

/* Gemm: A (a layer, flattened) times B plus C: B [out, in] with transB 1 (PyTorch's
 * Linear), else [in, out]; a linear layer either way, the latter keeping B's layout and names. */
static ampcl_status gemm(struct import *im, const struct ampcl_onnx_node *n, int index, int *out)
{
	ampcl_status st = AMPCL_OK;
	int x = input_layer(im, n, 0, &st);
	if (x < 0)
		return st;
	int c, h, w;
	ampcl_net_layer_shape(im->net, x, &c, &h, &w);
	const struct ampcl_onnx_tensor *b = input_constant(im, n, 1);
	const struct ampcl_onnx_tensor *bias = input_constant(im, n, 2);
	if (attr_int(n, "transA", 0))
		return refuse(im, n, "transA 1 (A transposed)");
	if (attr_float(n, "alpha", 1) != 1)
		return refuse(im, n, "an alpha other than 1");
	if (attr_float(n, "beta", 1) != 1)
		return refuse(im, n, "a beta other than 1");
	int trans = attr_int(n, "transB", 0) != 0;
	if (!b || !b->f || b->ndim != 2 || b->dims[trans] != (long long)c * h * w)
		return refuse(im, n,
			      trans ? "B is not a float initializer [out, in] matching its input"
				    : "B is not a float initializer [in, out] matching its input");
	long long features = b->dims[!trans];
	if (n->nin > 2 && *n->in[2] && (!bias || !bias->f || bias->count != (size_t)features))
		return refuse(im, n, "C is not a float initializer of one value per output");
	const char *name = layer_name(im, n, index, b->name);
	if (trans)
		return ampcl_net_linear(im->net, name, x, (int)features, bias != NULL, out);
	struct ampcl_linear_options o = {(int)features, bias != NULL, 1, b->name,
					 bias ? bias->name : NULL};
	return ampcl_net_linear_general(im->net, name, x, &o, out);
}

/* MatMul of a layer (flattened: [N, in]) by a 2-D initializer B [in, out]: a linear layer
 * keeping B's layout and name, with the bias of an Add after it (ampcl_onnx_matmul_add) taken
 * in and that Add's output its own. */
static ampcl_status matmul(struct import *im, const struct ampcl_onnx_node *n, int index, int *out)
{
	ampcl_status st = AMPCL_OK;
	int x = input_layer(im, n, 0, &st);
	if (x < 0)
		return st;
	int c, h, w;
	ampcl_net_layer_shape(im->net, x, &c, &h, &w);
	const struct ampcl_onnx_tensor *b = n->nin == 2 ? ampcl_onnx_init(im->m, n->in[1]) : NULL;
	if (!b || !b->f || b->ndim != 2 || b->dims[0] != (long long)c * h * w)
		return refuse(im, n,
			      "B is not a float initializer [in, out] matching its input (a "
			      "product of two layers, or of more than two dimensions)");
	int other = 0, add = ampcl_onnx_matmul_add(im->m, index, &other);
	const struct ampcl_onnx_tensor *bias =
	    add >= 0 ? ampcl_onnx_init(im->m, im->m->nodes[add].in[other]) : NULL;
	struct ampcl_linear_options o = {(int)b->dims[1], bias != NULL, 1, b->name,
					 bias ? bias->name : NULL};
	st = ampcl_net_linear_general(im->net, layer_name(im, n, index, b->name), x, &o, out);
	if (!st && add >= 0)
		im->fused[add] = *out;
	return st;
}

/* Concat along channels (axis 1) of two or more layers: one concat layer per input after the
 * first, each named after the node (made unique). */
static ampcl_status concat(struct import *im, const struct ampcl_onnx_node *n, int index, int *out)
{
	long long axis = attr_int(n, "axis", 0);
	if (axis != 1)
		return refuse(im, n, "an axis other than the channels' (1)");
	if (n->nin < 2)
		return refuse(im, n, "fewer than two inputs");
	ampcl_status st = AMPCL_OK;
	int y = input_layer(im, n, 0, &st);
	for (int k = 1; k < n->nin && !st; k++) {
		int b = input_layer(im, n, k, &st);
		if (b < 0)
			break;
		st = ampcl_net_concat(im->net, layer_name(im, n, index, NULL), y, b, &y);
	}
	*out = y;
	return st;
}

/* The constant's one value (a scalar or one-element tensor) as a float, or 0 when not one. */
static int scalar(const struct ampcl_onnx_tensor *t, float *v);

/* Dropout: its ratio from its constant input (opset 12 on) or attribute (before), 0.5 when
 * absent; in an export made for evaluation (training_mode a constant false) the identity. */
static ampcl_status dropout(struct import *im, const struct ampcl_onnx_node *n, int index,
			    int *out)
{
	ampcl_status st = AMPCL_OK;
	int x = input_layer(im, n, 0, &st);
	if (x < 0)
		return st;
	float ratio = 0.5f, training = 1.0f;
	const struct ampcl_onnx_attr *a = ampcl_onnx_attr(n, "ratio");
	if (a && a->type == AMPCL_ONNX_ATTR_FLOAT)
		ratio = a->f;
	if (n->nin > 1 && *n->in[1] && !scalar(input_constant(im, n, 1), &ratio))
		return refuse(im, n, "a ratio that is not a constant scalar");
	if (n->nin > 2 && *n->in[2] && !scalar(input_constant(im, n, 2), &training))
		return refuse(im, n, "a training_mode that is not a constant");
	if (training == 0.0f) {
		*out = x;
		return AMPCL_OK;
	}
	if (!(ratio >= 0.0f && ratio < 1.0f))
		return refuse(im, n, "a ratio outside [0, 1)");
	return ampcl_net_dropout(im->net, layer_name(im, n, index, NULL), x, ratio, out);
}

/* A constant's one value as a float (a scalar or one-element tensor); 0 when it is not one. */
static int scalar(const struct ampcl_onnx_tensor *t, float *v)
{
	if (!t || t->count != 1 || !(t->f || t->i))
		return 0;
	*v = t->f ? t->f[0] : (float)t->i[0];
	return 1;
}

/* Clip: bounds from its constant inputs (opset 11 on) or its attributes (before); ReLU6 is
 * Clip(0, 6). A lower bound of 0 without an upper one is a ReLU. */
static ampcl_status clip(struct import *im, const struct ampcl_onnx_node *n, int index, int *out)
{
	ampcl_status st = AMPCL_OK;
	int x = input_layer(im, n, 0, &st);
	if (x < 0)
		return st;
	float lo = -INFINITY, hi = INFINITY;
	const struct ampcl_onnx_attr *amin = ampcl_onnx_attr(n, "min"),
				     *amax = ampcl_onnx_attr(n, "max");
	if (amin && amin->type == AMPCL_ONNX_ATTR_FLOAT)
		lo = amin->f;
	if (amax && amax->type == AMPCL_ONNX_ATTR_FLOAT)
		hi = amax->f;
	for (int k = 1; k <= 2 && k < n->nin; k++) {
		if (!*n->in[k])
			continue;
		float v;
		if (!scalar(input_constant(im, n, k), &v))
			return refuse(im, n, "a bound that is not a constant scalar");
		*(k == 1 ? &lo : &hi) = v;
	}
	const char *name = layer_name(im, n, index, NULL);
	if (lo == 0 && hi == INFINITY)
		return ampcl_net_relu(im->net, name, x, out);
	if (!isfinite(lo) || !isfinite(hi) || !(lo < hi))
		return refuse(im, n, "bounds that are not finite with min < max");
	return ampcl_net_clip(im->net, name, x, lo, hi, out);
}

/* Cast to float: of a constant, the constant as floats; of a layer (float already), the layer. */
static ampcl_status cast(struct import *im, const struct ampcl_onnx_node *n, int *out,
			 const struct ampcl_onnx_tensor **constant)
{
	if (attr_int(n, "to", 0) != 1)
		return refuse(im, n, "a cast to another type than float");
	const struct ampcl_onnx_tensor *t = input_constant(im, n, 0);
	if (!t) {
		ampcl_status st = AMPCL_OK;
		*out = input_layer(im, n, 0, &st);
		return st;
	}
	if (t->f) {
		*constant = t;
		return AMPCL_OK;
	}
	if (!t->i)
		return refuse(im, n, "a constant that is neither float nor integer");
	im->casts = realloc(im->casts, (size_t)(im->ncasts + 1) * sizeof(*im->casts));
	if (!im->casts)
		abort();
	struct ampcl_onnx_tensor *c = im->casts[im->ncasts++] = malloc(sizeof(*c));
	if (!c)
		abort();
	*c = *t;
	c->i = NULL;
	c->f = malloc((t->count ? t->count : 1) * sizeof(float));
	if (!c->f)
		abort();
	for (size_t k = 0; k < t->count; k++)
		c->f[k] = (float)t->i[k];
	*constant = c;
	return AMPCL_OK;
}

/* Flatten (axis 1) and Reshape to [N, C]: ampcl's layers already see an image as one row. */
static ampcl_status alias(struct import *im, const struct ampcl_onnx_node *n, int *out)
{
	ampcl_status st = AMPCL_OK;
	int x = input_layer(im, n, 0, &st);
	if (x < 0)
		return st;
	if (!strcmp(n->op, "Flatten") && attr_int(n, "axis", 1) != 1)
		return refuse(im, n, "an axis other than 1");
	if (!strcmp(n->op, "Reshape")) {
		int c, h, w;
		ampcl_net_layer_shape(im->net, x, &c, &h, &w);
		const struct ampcl_onnx_tensor *s = input_constant(im, n, 1);
		if (!s || !s->i || s->count != 2 || s->i[0] > 1 || s->i[0] < -1 ||
		    (s->i[1] != -1 && s->i[1] != (long long)c * h * w))
			return refuse(im, n, "a shape other than [N, C] (a constant [-1 or 0 or 1, "
					     "-1 or C])");
	}
	*out = x;
	return AMPCL_OK;
}

/* Slice's starts, ends, axes and steps: constant inputs (opset 10 on) or attributes (before,
 * without steps); axes absent: 0, 1, ...; steps absent: 1. How many, or -1 when not constant
 * integers of one count (1 to 4). */
static int slice_args(struct import *im, const struct ampcl_onnx_node *n, long long v[4][4])
{
	int count = -1;
	if (n->nin > 1) {
		for (int k = 0; k < 4; k++) {
			if (n->nin <= k + 1 || !*n->in[k + 1]) {
				if (k < 2)
					return -1;
				for (int i = 0; i < count; i++)
					v[k][i] = k == 2 ? i : 1;
				continue;
			}
			const struct ampcl_onnx_tensor *t = input_constant(im, n, k + 1);
			if (!t || !t->i || t->ndim > 1 || t->count < 1 || t->count > 4 ||
			    (count >= 0 && (size_t)count != t->count))
				return -1;
			count = (int)t->count;
			for (int i = 0; i < count; i++)
				v[k][i] = t->i[i];
		}
		return count;
	}
	static const char *const names[3] = {"starts", "ends", "axes"};
	for (int k = 0; k < 3; k++) {
		const struct ampcl_onnx_attr *a = ampcl_onnx_attr(n, names[k]);
		if (!a && k == 2) {
			for (int i = 0; i < count; i++)
				v[2][i] = i;
			continue;
		}
		if (!a || a->type != AMPCL_ONNX_ATTR_INTS || a->nints < 1 || a->nints > 4 ||
		    (count >= 0 && (size_t)count != a->nints))
			return -1;
		count = (int)a->nints;
		for (int i = 0; i < count; i++)
			v[k][i] = a->ints[i];
	}
	for (int i = 0; i < count; i++)
		v[3][i] = 1;
	return count;
}

/* Slice: the full range of every axis is the input itself; a range of channels (axis 1, step 1)
 * a slice layer. The batch's range, the rows', the columns', other steps and a slice of a
 * flattened image are refused. */
static ampcl_status slice(struct import *im, const struct ampcl_onnx_node *n, int index, int *out)
{
	ampcl_status st = AMPCL_OK;
	int x = input_layer(im, n, 0, &st);
	if (x < 0)
		return st;
	const struct value *in = find_value(im, n->in[0]);
	int c, h, w;
	ampcl_net_layer_shape(im->net, x, &c, &h, &w);
	if (in->flat && (h > 1 || w > 1))
		return refuse(im, n,
			      "a slice of a flattened image (a Slice before the Flatten takes "
			      "its channels)");
	int rank = in->flat ? 2 : 4;
	long long v[4][4], dims[4] = {0, c, h, w};
	int count = slice_args(im, n, v), seen = 0;
	if (count < 0)
		return refuse(im, n,
			      "starts, ends, axes or steps that are not constant integers, "
			      "one per axis");
	long long lo = 0, hi = c;
	for (int i = 0; i < count; i++) {
		long long axis = v[2][i] < 0 ? v[2][i] + rank : v[2][i];
		if (axis < 0 || axis >= rank || (seen & 1 << axis))
			return refuse(im, n, "an axis out of range or given twice");
		seen |= 1 << axis;
		if (v[3][i] != 1)
			return refuse(im, n, "steps other than 1");
		if (axis == 0) { /* the batch's size is the data's: only all of it */
			if (v[0][i] != 0 || v[1][i] < 2147483647LL)
				return refuse(im, n, "a slice of the batch");
			continue;
		}
		long long d = dims[axis], s = v[0][i], e = v[1][i];
		s = s < 0 ? s + d : s, e = e < 0 ? e + d : e;
		s = s < 0 ? 0 : s > d ? d : s, e = e < 0 ? 0 : e > d ? d : e;
		if (e <= s)
			return refuse(im, n, "an empty slice");
		if (axis == 1)
			lo = s, hi = e;
		else if (s != 0 || e != d)
			return refuse(im, n,
				      "a slice of the image's rows or columns (only channels)");
	}
	if (lo == 0 && hi == c) { /* the whole input: nothing to compute */
		*out = x;
		return AMPCL_OK;
	}
	return ampcl_net_slice(im->net, layer_name(im, n, index, NULL), x, (int)lo, (int)(hi - lo),
			       out);
}

/* Pad with zeros around the image (mode constant, value 0): kept on the value for the Conv or
 * AveragePool that follows to take as its padding. */
static ampcl_status pad(struct import *im, const struct ampcl_onnx_node *n)
{
	ampcl_status st = AMPCL_OK;
	int extra[4] = {0, 0, 0, 0};
	int x = input_padded(im, n, 0, &st, extra);
	if (x < 0)
		return st;
	const struct ampcl_onnx_attr *mode = ampcl_onnx_attr(n, "mode");
	if (mode && mode->type == AMPCL_ONNX_ATTR_STRING && strcmp(mode->s, "constant"))
		return refuse(im, n, "a mode other than constant");
	long long p[8];
	const struct ampcl_onnx_tensor *t = input_constant(im, n, 1);
	const struct ampcl_onnx_attr *a = ampcl_onnx_attr(n, "pads");
	if (t && t->i && t->count == 8)
		for (int i = 0; i < 8; i++)
			p[i] = t->i[i];
	else if (!t && a && a->type == AMPCL_ONNX_ATTR_INTS && a->nints == 8)
		for (int i = 0; i < 8; i++)
			p[i] = a->ints[i];
	else
		return refuse(im, n, "pads that are not 8 constant integers (an image's)");
	float value = attr_float(n, "value", 0.0f);
	if (n->nin > 2 && *n->in[2] && !scalar(input_constant(im, n, 2), &value))
		return refuse(im, n, "a value that is not a constant scalar");
	if (value != 0.0f || p[0] || p[1] || p[4] || p[5])
		return refuse(im, n, "a value other than 0, or padding of the batch or the channels");
	long long add[4] = {p[2], p[3], p[6], p[7]}; /* top, left, bottom, right */
	for (int i = 0; i < 4; i++)
		if (add[i] < 0 || add[i] + extra[i] > 65536)
			return refuse(im, n, "negative padding (cropping) or padding past 65536");
	add_value(im, n->out[0], x, NULL);
	for (int i = 0; i < 4; i++)
		im->values[im->nvalues - 1].pad[i] = extra[i] + (int)add[i];
	return AMPCL_OK;
}

static ampcl_status node(struct import *im, const struct ampcl_onnx_node *n, int index)
{
	if (*n->domain && strcmp(n->domain, "ai.onnx"))
		return refuse(im, n, "an operator outside ONNX's standard domain");
	if (im->fused[index] >= 0) { /* the Add of a bias a MatMul's linear layer took in */
		add_value(im, n->out[0], im->fused[index], NULL);
		return AMPCL_OK;
	}
	if (!strcmp(n->op, "Constant")) {
		const struct ampcl_onnx_attr *v = ampcl_onnx_attr(n, "value");
		if (!v || v->type != AMPCL_ONNX_ATTR_TENSOR || n->nout != 1)
			return refuse(im, n, "a value that is not one tensor");
		add_value(im, n->out[0], -1, v->tensor);
		return AMPCL_OK;
	}
	if (!strcmp(n->op, "Pad") && n->nout == 1)
		return pad(im, n);
	if (!strcmp(n->op, "Cast") && n->nout == 1) {
		const struct ampcl_onnx_tensor *constant = NULL;
		int layer = -1;
		ampcl_status st = cast(im, n, &layer, &constant);
		if (st)
			return st;
		const struct value *x = find_value(im, n->in[0]);
		int flat = x && x->flat; /* read before add_value moves the values */
		add_value(im, n->out[0], constant ? -1 : layer, constant);
		im->values[im->nvalues - 1].flat = flat;
		return AMPCL_OK;
	}
	if (n->nout < 1)
		return refuse(im, n, "no output");
	int layer = -1;
	ampcl_status st;
	const char *op = n->op;
	if (!strcmp(op, "Conv"))
		st = conv(im, n, index, &layer);
	else if (!strcmp(op, "BatchNormalization"))
		st = batchnorm(im, n, index, &layer);
	else if (!strcmp(op, "Dropout"))
		st = dropout(im, n, index, &layer);
	else if (!strcmp(op, "Concat"))
		st = concat(im, n, index, &layer);
	else if (!strcmp(op, "Clip"))
		st = clip(im, n, index, &layer);
	else if (!strcmp(op, "Relu")) {
		int x = input_layer(im, n, 0, &st);
		st = x < 0 ? st
			   : ampcl_net_relu(im->net, layer_name(im, n, index, NULL), x, &layer);
	} else if (!strcmp(op, "MaxPool") || !strcmp(op, "AveragePool") ||
		   !strcmp(op, "GlobalAveragePool"))
		st = pool(im, n, index, &layer);
	else if (!strcmp(op, "Add")) {
		st = AMPCL_OK;
		int a = input_layer(im, n, 0, &st), b = a < 0 ? -1 : input_layer(im, n, 1, &st);
		st = b < 0 ? st
			   : ampcl_net_add(im->net, layer_name(im, n, index, NULL), a, b, &layer);
	} else if (!strcmp(op, "Gemm"))
		st = gemm(im, n, index, &layer);
	else if (!strcmp(op, "MatMul"))
		st = matmul(im, n, index, &layer);
	else if (!strcmp(op, "Flatten") || !strcmp(op, "Reshape"))
		st = alias(im, n, &layer);
	else if (!strcmp(op, "Slice"))
		st = slice(im, n, index, &layer);
	else if (!strcmp(op, "Identity")) {
		st = AMPCL_OK;
		layer = input_layer(im, n, 0, &st);
	} else
		return refuse(im, n, "this operator is not supported");
	if (st)
		return st;
	if (layer > im->last)
		im->last = layer;
	/* rank 2 after a Flatten or Reshape and through the element-wise operators after it */
	const struct value *x = find_value(im, n->in[0]);
	int flat = !strcmp(op, "Flatten") || !strcmp(op, "Reshape") ||
		   ((!strcmp(op, "Relu") || !strcmp(op, "Clip") || !strcmp(op, "Dropout") ||
		     !strcmp(op, "Identity") || !strcmp(op, "Add") || !strcmp(op, "Slice")) &&
		    x && x->flat);
	add_value(im, n->out[0], layer, NULL);
	im->values[im->nvalues - 1].flat = flat;
	return AMPCL_OK;
}

ampcl_status ampcl_model_onnx_input(const char *path, int *channels, int *height, int *width)
{
	return ampcl_onnx_input_shape(path, channels, height, width);
}

ampcl_status ampcl_model_onnx(ampcl_net_t *net, const char *path, int classes)
{
	struct ampcl_onnx_model *m;
	ampcl_status st = ampcl_onnx_read(path, &m);
	if (st)
		return st;
	struct import im = {.m = m, .net = net};
	im.fused = malloc(((size_t)m->nnodes + 1) * sizeof(*im.fused));
	if (!im.fused)
		abort();
	for (int k = 0; k < m->nnodes; k++)
		im.fused[k] = -1;
	int c, h, w;
	ampcl_net_layer_shape(net, 0, &c, &h, &w);
	const struct ampcl_onnx_value *in = m->ninputs == 1 ? &m->inputs[0] : NULL;
	if (!in || in->ndim != 4 || (in->dims[1] >= 0 && in->dims[1] != c) ||
	    (in->dims[2] >= 0 && in->dims[2] != h) || (in->dims[3] >= 0 && in->dims[3] != w))
		st = ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "ONNX model '%s' takes %s%lldx%lldx%lld images; the data's are %dx%dx%d: "
		    "export the model for that shape",
		    path, in ? "" : "not one input of ", in && in->ndim == 4 ? in->dims[1] : -1,
		    in && in->ndim == 4 ? in->dims[2] : -1, in && in->ndim == 4 ? in->dims[3] : -1,
		    c, h, w);
	if (!st)
		add_value(&im, in->name, 0, NULL);
	for (int k = 0; k < m->nnodes && !st; k++)
		st = node(&im, &m->nodes[k], k);
	if (!st) {
		const struct value *o = m->noutputs == 1 ? find_value(&im, m->outputs[0].name) : NULL;
		int oc = 0, oh = 0, ow = 0;
		if (o && o->layer > 0)
			ampcl_net_layer_shape(net, o->layer, &oc, &oh, &ow);
		if (!o || o->layer != im.last || o->layer <= 0)
			st = ampcl_error_set(AMPCL_ERR_INVALID_ARG,
					     "ONNX model '%s': ampcl trains a graph with one output, "
					     "the logits, computed by its last layer",
					     path);
		else if (classes > 0 && (oc != classes || oh != 1 || ow != 1))
			st = ampcl_error_set(AMPCL_ERR_INVALID_ARG,
					     "ONNX model '%s' gives %dx%dx%d outputs; the data has "
					     "%d classes: export it with %d outputs",
					     path, oc, oh, ow, classes, classes);
	}
	for (int k = 0; k < im.ncasts; k++) {
		free(im.casts[k]->f);
		free(im.casts[k]);
	}
	free(im.casts);
	free(im.fused);
	free(im.values);
	free(im.names);
	ampcl_onnx_free(m);
	return st;
}
