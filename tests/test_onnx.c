/* test_onnx.c: ONNX models written here with protobuf-c: a small CNN imports with its names and
 * initial weights, its head as Gemm or as MatMul and Add alike; each unsupported attribute, a
 * wrong shape, a damaged file is refused by name. */
#include "onnx.pb-c.h"
#include "onnx_weights.h"
#include "testutil.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char dir[] = "/tmp/ampcl-onnx-XXXXXX";

/* ---- a model under construction: everything it points to is kept here until it is packed ---- */
#define MAX_NODES 16
static Onnx__NodeProto nodes[MAX_NODES], *node_ptr[MAX_NODES];
static Onnx__AttributeProto attrs[MAX_NODES][4], *attr_ptr[MAX_NODES][4];
static char *names[MAX_NODES][2][6];
static Onnx__TensorProto inits[16], *init_ptr[16];
static float init_data[16][512];
static int64_t init_dims[16][4];
static int nnodes, ninits;

static void reset(void)
{
	nnodes = ninits = 0;
}

static Onnx__NodeProto *node(const char *name, const char *op, const char *in0, const char *in1,
			     const char *in2, const char *out)
{
	Onnx__NodeProto *n = &nodes[nnodes];
	onnx__node_proto__init(n);
	n->name = (char *)name, n->op_type = (char *)op;
	const char *ins[3] = {in0, in1, in2};
	n->input = names[nnodes][0];
	for (int i = 0; i < 3 && ins[i]; i++)
		n->input[n->n_input++] = (char *)ins[i];
	n->output = names[nnodes][1];
	n->output[0] = (char *)out;
	n->n_output = 1;
	n->attribute = attr_ptr[nnodes];
	node_ptr[nnodes] = n;
	nnodes++;
	return n;
}

static void attr_ints(Onnx__NodeProto *n, const char *name, int64_t *v, size_t count)
{
	int k = (int)(n - nodes);
	Onnx__AttributeProto *a = &attrs[k][n->n_attribute];
	onnx__attribute_proto__init(a);
	a->name = (char *)name, a->has_type = 1;
	if (count == 1) {
		a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT, a->has_i = 1, a->i = v[0];
	} else {
		a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS, a->ints = v, a->n_ints = count;
	}
	n->attribute[n->n_attribute++] = a;
}

static void attr_float(Onnx__NodeProto *n, const char *name, float v)
{
	int k = (int)(n - nodes);
	Onnx__AttributeProto *a = &attrs[k][n->n_attribute];
	onnx__attribute_proto__init(a);
	a->name = (char *)name, a->has_type = 1;
	a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT, a->has_f = 1, a->f = v;
	n->attribute[n->n_attribute++] = a;
}

/* An initializer whose values are 0.01 * (index + 1) * (its number + 1), so each one differs. */
static void init(const char *name, int64_t d0, int64_t d1, int64_t d2, int64_t d3)
{
	Onnx__TensorProto *t = &inits[ninits];
	onnx__tensor_proto__init(t);
	t->name = (char *)name, t->has_data_type = 1, t->data_type = 1;
	int64_t d[4] = {d0, d1, d2, d3};
	size_t count = 1;
	t->dims = init_dims[ninits];
	for (int i = 0; i < 4 && d[i] > 0; i++)
		t->dims[t->n_dims++] = d[i], count *= (size_t)d[i];
	for (size_t i = 0; i < count; i++)
		init_data[ninits][i] = 0.01f * (float)(i + 1) * (float)(ninits + 1);
	t->float_data = init_data[ninits], t->n_float_data = count;
	init_ptr[ninits++] = t;
}

static void value(Onnx__ValueInfoProto *v, Onnx__TypeProto *tp, Onnx__TypeProto__Tensor *tt,
		  Onnx__TensorShapeProto *sh, Onnx__TensorShapeProto__Dimension *dims,
		  Onnx__TensorShapeProto__Dimension **dptr, const char *name, const int64_t *d, int n)
{
	onnx__value_info_proto__init(v);
	onnx__type_proto__init(tp);
	onnx__type_proto__tensor__init(tt);
	onnx__tensor_shape_proto__init(sh);
	for (int i = 0; i < n; i++) {
		onnx__tensor_shape_proto__dimension__init(&dims[i]);
		dims[i].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
		dims[i].dim_value = d[i];
		dptr[i] = &dims[i];
	}
	sh->dim = dptr, sh->n_dim = (size_t)n;
	tt->has_elem_type = 1, tt->elem_type = 1, tt->shape = sh;
	tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE, tp->tensor_type = tt;
	v->name = (char *)name, v->type = tp;
}

/* Packs the model (input "x" 1 x 3 x side x side, output "y" 1 x classes) to path. */
static void write_model(const char *path, int side, int classes)
{
	static Onnx__ValueInfoProto in, out, *inp[1], *outp[1];
	static Onnx__TypeProto tin, tout;
	static Onnx__TypeProto__Tensor ttin, ttout;
	static Onnx__TensorShapeProto sin, sout;
	static Onnx__TensorShapeProto__Dimension din[4], dout[2], *dinp[4], *doutp[2];
	int64_t xi[4] = {1, 3, side, side}, yo[2] = {1, classes};
	value(&in, &tin, &ttin, &sin, din, dinp, "x", xi, 4);
	value(&out, &tout, &ttout, &sout, dout, doutp, "y", yo, 2);
	inp[0] = &in, outp[0] = &out;
	Onnx__GraphProto g;
	onnx__graph_proto__init(&g);
	g.node = node_ptr, g.n_node = (size_t)nnodes;
	g.initializer = init_ptr, g.n_initializer = (size_t)ninits;
	g.input = inp, g.n_input = 1, g.output = outp, g.n_output = 1;
	Onnx__OperatorSetIdProto opset, *opsetp = &opset;
	onnx__operator_set_id_proto__init(&opset);
	opset.has_version = 1, opset.version = 14;
	Onnx__ModelProto m;
	onnx__model_proto__init(&m);
	m.has_ir_version = 1, m.ir_version = 7, m.graph = &g;
	m.opset_import = &opsetp, m.n_opset_import = 1;
	size_t n = onnx__model_proto__get_packed_size(&m);
	uint8_t *buf = tu_malloc(n);
	onnx__model_proto__pack(&m, buf);
	tu_write_file(path, buf, n);
	free(buf);
}

/* conv1 (3->4, 3x3, pad 1, bias), bn1, relu, pool (2x2), gap, flatten, fc (4->10). */
static void small_cnn(void)
{
	static int64_t k3[2] = {3, 3}, one[2] = {1, 1}, pad1[4] = {1, 1, 1, 1}, two[2] = {2, 2},
		       trans[1] = {1};
	reset();
	init("conv1.weight", 4, 3, 3, 3);
	init("conv1.bias", 4, 0, 0, 0);
	init("bn1.weight", 4, 0, 0, 0);
	init("bn1.bias", 4, 0, 0, 0);
	init("bn1.running_mean", 4, 0, 0, 0);
	init("bn1.running_var", 4, 0, 0, 0);
	init("fc.weight", 10, 4, 0, 0);
	init("fc.bias", 10, 0, 0, 0);
	Onnx__NodeProto *c = node("/conv1/Conv", "Conv", "x", "conv1.weight", "conv1.bias", "c");
	attr_ints(c, "kernel_shape", k3, 2);
	attr_ints(c, "strides", one, 2);
	attr_ints(c, "pads", pad1, 4);
	Onnx__NodeProto *b = node("/bn1/BatchNormalization", "BatchNormalization", "c",
				  "bn1.weight", "bn1.bias", "b");
	b->input[b->n_input++] = "bn1.running_mean";
	b->input[b->n_input++] = "bn1.running_var";
	attr_float(b, "epsilon", 1e-5f);
	node("/relu/Relu", "Relu", "b", NULL, NULL, "r");
	Onnx__NodeProto *p = node("/pool/MaxPool", "MaxPool", "r", NULL, NULL, "p");
	attr_ints(p, "kernel_shape", two, 2);
	attr_ints(p, "strides", two, 2);
	node("/GlobalAveragePool", "GlobalAveragePool", "p", NULL, NULL, "g");
	node("/Flatten", "Flatten", "g", NULL, NULL, "f");
	Onnx__NodeProto *fc = node("/fc/Gemm", "Gemm", "f", "fc.weight", "fc.bias", "y");
	attr_ints(fc, "transB", trans, 1);
}

/* The small CNN with its head as torch.matmul(x, w) + b exports it: MatMul by head.w [4, 10]
 * holding fc.weight transposed, then an Add of head.b (fc.bias's values); bias 0: no Add. */
static void small_cnn_matmul(int bias)
{
	small_cnn();
	nnodes--; /* the Gemm */
	inits[6].name = "head.w", inits[7].name = "head.b";
	init_dims[6][0] = 4, init_dims[6][1] = 10;
	for (int i = 0; i < 4; i++)
		for (int o = 0; o < 10; o++)
			init_data[6][i * 10 + o] = 0.01f * (float)(o * 4 + i + 1) * 7.0f;
	node("/MatMul", "MatMul", "f", "head.w", NULL, bias ? "mm" : "y");
	if (bias)
		node("/Add", "Add", "mm", "head.b", NULL, "y");
	else
		ninits--;
}

/* Logits of path's model (its initializers as weights) for two fixed 3 x 8 x 8 images. */
static void logits_of(struct ampcl_context *ctx, const char *path, float out[20])
{
	ampcl_net_t *net;
	tu_ok(ampcl_net_create(ctx, 3, 8, 8, &net), "net create");
	tu_ok(ampcl_model_build(net, path, 0, 10), "build");
	tu_ok(ampcl_net_finalize(net, 2, 1), "finalize");
	long long tracked;
	tu_ok(ampcl_net_load_onnx(net, path, &tracked), "weights");
	float x[2 * 3 * 8 * 8];
	for (int i = 0; i < 2 * 3 * 8 * 8; i++)
		x[i] = (float)((i * 37) % 19) / 9.0f - 1.0f;
	tu_ok(ampcl_net_predict(net, x, 2, out), "predict");
	ampcl_net_free(net);
}

/* A 1-D INT64 initializer (Slice's starts, ends, axes, steps). */
static void init_ints(const char *name, const int64_t *v, int count)
{
	static int64_t dims[16];
	Onnx__TensorProto *t = &inits[ninits];
	onnx__tensor_proto__init(t);
	t->name = (char *)name, t->has_data_type = 1, t->data_type = 7;
	dims[ninits] = count;
	t->dims = &dims[ninits], t->n_dims = 1;
	t->int64_data = (int64_t *)v, t->n_int64_data = (size_t)count;
	init_ptr[ninits++] = t;
}

/* The small CNN with Slice(starts, ends, axes, steps) after its ReLU, the rest taking its output;
 * the head's weight fc.weight [10, 4] cut to [10, fc_in]. */
static void small_cnn_slice(const int64_t *starts, const int64_t *ends, const int64_t *axes,
			    const int64_t *steps, int count, int fc_in)
{
	small_cnn();
	init_dims[6][1] = fc_in;
	inits[6].n_float_data = (size_t)(10 * fc_in);
	init_ints("starts", starts, count);
	init_ints("ends", ends, count);
	init_ints("axes", axes, count);
	init_ints("steps", steps, count);
	Onnx__NodeProto *s = node("/Slice", "Slice", "r", "starts", "ends", "sl");
	s->input[s->n_input++] = "axes";
	s->input[s->n_input++] = "steps";
	nodes[3].input[0] = "sl"; /* the pool reads the slice */
	/* keep the nodes in order: the Slice between the ReLU and the pool */
	Onnx__NodeProto tmp = nodes[nnodes - 1];
	for (int k = nnodes - 1; k > 3; k--)
		nodes[k] = nodes[k - 1];
	nodes[3] = tmp;
	for (int k = 0; k < nnodes; k++)
		node_ptr[k] = &nodes[k]; /* each keeps its inputs and attributes where they were */
}

/* Builds path into a fresh 3 x side x side net; the status, and the message in msg. */
static ampcl_status import(struct ampcl_context *ctx, const char *path, int side, int classes,
			   ampcl_net_t **keep, char *msg, size_t size)
{
	ampcl_net_t *net;
	tu_ok(ampcl_net_create(ctx, 3, side, side, &net), "net create");
	ampcl_status st = ampcl_model_build(net, path, 0, classes);
	snprintf(msg, size, "%s", st ? ampcl_last_error() : "");
	if (keep && !st)
		*keep = net;
	else
		ampcl_net_free(net);
	return st;
}

/* The small CNN with one change, refused naming the node and the change. */
static void refused(struct ampcl_context *ctx, const char *path, const char *what,
		    const char *node_name, const char *word)
{
	write_model(path, 8, 10);
	char msg[2048];
	ampcl_status st = import(ctx, path, 8, 10, NULL, msg, sizeof(msg));
	tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(msg, node_name) && strstr(msg, word) &&
		     strstr(msg, "ampcl imports"),
		 what, "status %d: %s", st, msg);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	struct ampcl_context *ctx = tu_context();
	char path[600], msg[2048];
	snprintf(path, sizeof(path), "%s/m.onnx", dir);

	/* the small CNN: names from its initializers and scopes, weights from its initializers */
	small_cnn();
	write_model(path, 8, 10);
	ampcl_net_t *net = NULL;
	ampcl_status st = import(ctx, path, 8, 10, &net, msg, sizeof(msg));
	tu_check(st == AMPCL_OK && net, "a small CNN imports", "%s", msg);
	if (net) {
		const char *want[] = {"input", "conv1", "bn1", "relu", "pool", "globalaveragepool", "fc"};
		int n = ampcl_net_layer_count(net), same = n == 7;
		for (int i = 1; same && i < n; i++)
			same = !strcmp(ampcl_net_layer_name(net, i), want[i]);
		tu_check(same, "layer names from parameters and scopes", "%d layers, layer 1 '%s'", n,
			 n > 1 ? ampcl_net_layer_name(net, 1) : "");
		tu_ok(ampcl_net_finalize(net, 2, 1), "finalize");
		long long tracked = -1;
		tu_ok(ampcl_net_load_onnx(net, path, &tracked), "initial weights from the file");
		int match = ampcl_net_tensor_count(net) == ninits;
		for (int i = 0; match && i < ninits; i++) {
			struct ampcl_tensor_info info;
			ampcl_net_tensor_info(net, i, &info);
			float got[512];
			tu_ok(ampcl_net_tensor_read(net, i, got), "read");
			match = !strcmp(info.name, inits[i].name) && info.count == inits[i].n_float_data &&
				!memcmp(got, init_data[i], info.count * sizeof(float));
		}
		tu_check(match && tracked == 0, "every tensor holds its initializer, bit for bit",
			 "%d tensors, %d initializers", ampcl_net_tensor_count(net), ninits);
		ampcl_net_free(net);
	}

	/* the shape the data gives must be the model's */
	st = import(ctx, path, 16, 10, NULL, msg, sizeof(msg));
	tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(msg, "takes 3x8x8 images"),
		 "another image size is refused", "%s", msg);
	st = import(ctx, path, 8, 7, NULL, msg, sizeof(msg));
	tu_check(st == AMPCL_ERR_INVALID_ARG && strstr(msg, "7 classes"),
		 "another class count is refused", "%s", msg);

	/* one unsupported attribute at a time */
	static int64_t g2[1] = {2}, d2[2] = {2, 2}, asym[4] = {1, 0, 1, 0}, k3[2] = {3, 3},
		       t0[1] = {0}, trans1[1] = {1};
	small_cnn();
	attr_ints(&nodes[0], "group", g2, 1);
	refused(ctx, path, "a group count that does not divide the channels is refused",
		"/conv1/Conv", "group");
	/* dilation and asymmetric pads take the general convolution */
	for (int form = 0; form < 2; form++) {
		small_cnn();
		if (form)
			nodes[0].attribute[2]->ints = asym;
		else
			attr_ints(&nodes[0], "dilations", d2, 2);
		write_model(path, 8, 10);
		net = NULL;
		st = import(ctx, path, 8, 10, &net, msg, sizeof(msg));
		tu_check(!st && net && ampcl_net_layer_type(net, 1) == AMPCL_LAYER_CONV_GENERAL,
			 form ? "asymmetric pads take the general convolution"
			      : "a dilated convolution takes the general convolution",
			 "%d: %s", st, msg);
		ampcl_net_free(net);
	}
	small_cnn();
	attr_ints(&nodes[3], "dilations", d2, 2);
	refused(ctx, path, "a dilated max-pool is refused", "/pool/MaxPool", "dilations");
	small_cnn(); /* a 3x3 window takes the general pooling */
	nodes[3].attribute[0]->ints = k3;
	write_model(path, 8, 10);
	net = NULL;
	st = import(ctx, path, 8, 10, &net, msg, sizeof(msg));
	tu_check(!st && net && ampcl_net_layer_type(net, 4) == AMPCL_LAYER_POOL_GENERAL,
		 "a 3x3 max-pool takes the general pooling", "%d: %s", st, msg);
	ampcl_net_free(net);
	small_cnn();
	nodes[1].attribute[0]->f = 1e-3f;
	refused(ctx, path, "another BN epsilon is refused", "/bn1/BatchNormalization", "epsilon");
	small_cnn();
	attr_ints(&nodes[6], "transA", trans1, 1);
	refused(ctx, path, "Gemm with transA 1 is refused", "/fc/Gemm", "transA");
	small_cnn();
	attr_float(&nodes[6], "alpha", 0.5f);
	refused(ctx, path, "Gemm with alpha 0.5 is refused", "/fc/Gemm", "alpha");
	small_cnn();
	attr_float(&nodes[6], "beta", 2.0f);
	refused(ctx, path, "Gemm with beta 2 is refused", "/fc/Gemm", "beta");
	small_cnn(); /* B [out, in] given with transB 0 does not match the input */
	nodes[6].attribute[0]->i = t0[0];
	refused(ctx, path, "Gemm with transB 0 and B [out, in] is refused", "/fc/Gemm",
		"[in, out]");

	/* the head as MatMul (+ Add), and as Gemm with transB 0: the same logits as the Gemm's,
	 * B kept [in, out] under its own name */
	float want[20], got[20];
	small_cnn();
	write_model(path, 8, 10);
	logits_of(ctx, path, want);
	for (int form = 0; form < 3; form++) {
		static const char *what[3] = {"MatMul and Add", "MatMul alone", "Gemm transB 0"};
		small_cnn_matmul(form != 1);
		if (form == 2) { /* Gemm(f, head.w, head.b) with transB 0 */
			nnodes -= 2;
			Onnx__NodeProto *g = node("/fc/Gemm", "Gemm", "f", "head.w", "head.b", "y");
			attr_ints(g, "transB", t0, 1);
		}
		write_model(path, 8, 10);
		net = NULL;
		st = import(ctx, path, 8, 10, &net, msg, sizeof(msg));
		char label[160];
		snprintf(label, sizeof(label), "%s imports as a linear layer", what[form]);
		tu_check(!st && net && ampcl_net_layer_count(net) == 7 &&
			     ampcl_net_layer_type(net, 6) == AMPCL_LAYER_LINEAR,
			 label, "%d: %s", st, msg);
		if (!net)
			continue;
		tu_ok(ampcl_net_finalize(net, 2, 1), "finalize");
		struct ampcl_tensor_info w, b = {0};
		ampcl_net_tensor_info(net, 6, &w);
		if (form != 1)
			ampcl_net_tensor_info(net, 7, &b);
		snprintf(label, sizeof(label), "%s: B keeps its name and [in, out] shape",
			 what[form]);
		tu_check(!strcmp(w.name, "head.w") && w.ndim == 2 && w.shape[0] == 4 &&
			     w.shape[1] == 10 && ampcl_net_tensor_count(net) == 7 + (form != 1) &&
			     (form == 1 || !strcmp(b.name, "head.b")),
			 label, "'%s' [%d, %d], '%s', %d tensors", w.name, w.shape[0], w.shape[1],
			 form == 1 ? "" : b.name, ampcl_net_tensor_count(net));
		ampcl_net_free(net);
		if (form == 1)
			continue;
		logits_of(ctx, path, got);
		double worst = 0;
		for (int i = 0; i < 20; i++)
			worst = fmax(worst, fabs((double)got[i] - want[i]));
		snprintf(label, sizeof(label), "%s: the Gemm head's logits", what[form]);
		tu_check(worst <= 1e-6, label, "20 logits, max abs diff %.2e (bound 1e-6)", worst);
	}
	small_cnn_matmul(1); /* the product used twice: no bias to take in, Add of a constant */
	nodes[nnodes - 1].input[0] = "mm";
	node("/Relu2", "Relu", "mm", NULL, NULL, "unused");
	refused(ctx, path, "an Add of a constant after a MatMul used twice is refused", "/Add",
		"a constant where");

	/* Slice: channels 1..3 of the ReLU's 4 a slice layer, the whole range nothing, the rest
	 * refused by name */
	static const int64_t ch[2][1] = {{1}, {3}}, ax1[1] = {1}, st1[1] = {1}, st2[1] = {2},
			     all[4][2] = {{-4, 0}, {INT64_MAX, 8}, {1, -1}, {1, 1}},
			     rows[4][1] = {{1}, {8}, {2}, {1}}, batch[4][1] = {{0}, {1}, {0}, {1}},
			     empty[2][1] = {{3}, {-2}};
	small_cnn_slice(ch[0], ch[1], ax1, st1, 1, 2);
	write_model(path, 8, 10);
	net = NULL;
	st = import(ctx, path, 8, 10, &net, msg, sizeof(msg));
	int c = 0, h = 0, w = 0;
	if (net)
		ampcl_net_layer_shape(net, 4, &c, &h, &w);
	tu_check(!st && net && ampcl_net_layer_count(net) == 8 &&
		     ampcl_net_layer_type(net, 4) == AMPCL_LAYER_SLICE && c == 2 && h == 8,
		 "a Slice of channels 1..3 imports as a slice layer", "%d: %s; %dx%dx%d", st, msg,
		 c, h, w);
	ampcl_net_free(net);
	small_cnn_slice(all[0], all[1], all[2], all[3], 2, 4); /* -4: channel 0 of 4 */
	write_model(path, 8, 10);
	net = NULL;
	st = import(ctx, path, 8, 10, &net, msg, sizeof(msg));
	tu_check(!st && net && ampcl_net_layer_count(net) == 7,
		 "a Slice of every channel (negative start, INT64_MAX end) is no layer", "%d: %s",
		 st, msg);
	ampcl_net_free(net);
	small_cnn_slice(ch[0], ch[1], ax1, st2, 1, 1);
	refused(ctx, path, "a Slice with step 2 is refused", "/Slice", "steps");
	small_cnn_slice(rows[0], rows[1], rows[2], rows[3], 1, 4);
	refused(ctx, path, "a Slice of rows is refused", "/Slice", "rows");
	small_cnn_slice(batch[0], batch[1], batch[2], batch[3], 1, 4);
	refused(ctx, path, "a Slice of the batch is refused", "/Slice", "batch");
	small_cnn_slice(empty[0], empty[1], ax1, st1, 1, 4);
	refused(ctx, path, "an empty Slice is refused", "/Slice", "empty");
	small_cnn_slice(ch[0], ch[1], ax1, st1, 1, 2); /* ends not constant: a layer's output */
	nodes[3].input[2] = "b";
	refused(ctx, path, "a Slice whose ends are not constant is refused", "/Slice", "constant");

	small_cnn_matmul(1); /* a product of two layers */
	nodes[nnodes - 2].input[1] = "g";
	refused(ctx, path, "MatMul of two layers is refused", "/MatMul", "[in, out]");
	small_cnn();
	nodes[2].op_type = "Sigmoid";
	refused(ctx, path, "an unknown operator is refused", "/relu/Relu", "(Sigmoid)");

	/* damaged files: never a crash, always a refusal naming the file (or, cut at a field
	 * boundary after the graph, the same model) */
	small_cnn();
	write_model(path, 8, 10);
	size_t size;
	char *whole = tu_read_file(path, &size);
	int bad = 0, cuts = 0;
	char cut[600];
	snprintf(cut, sizeof(cut), "%s/cut.onnx", dir);
	for (size_t len = 0; whole && len < size; len += 1 + len / 8, cuts++) {
		tu_write_file(cut, whole, len);
		st = import(ctx, cut, 8, 10, NULL, msg, sizeof(msg));
		bad += st != AMPCL_OK && (st != AMPCL_ERR_BAD_FILE && st != AMPCL_ERR_INVALID_ARG);
		bad += st != AMPCL_OK && !strstr(msg, cut);
	}
	free(whole);
	tu_check(bad == 0 && cuts > 20, "truncated models are refused naming the file",
		 "%d of %d cuts misreported", bad, cuts);
	tu_write_file(cut, "not a model at all", 18);
	st = import(ctx, cut, 8, 10, NULL, msg, sizeof(msg));
	tu_check(st == AMPCL_ERR_BAD_FILE && strstr(msg, "not an ONNX model"), "a text file",
		 "%d: %s", st, msg);
	snprintf(cut, sizeof(cut), "%s/missing.onnx", dir);
	st = import(ctx, cut, 8, 10, NULL, msg, sizeof(msg));
	tu_check(st == AMPCL_ERR_IO && strstr(msg, "missing.onnx"), "a missing file", "%d: %s", st,
		 msg);
	snprintf(cut, sizeof(cut), "%s/folder.onnx", dir);
	mkdir(cut, 0755);
	st = import(ctx, cut, 8, 10, NULL, msg, sizeof(msg));
	tu_check(st == AMPCL_ERR_BAD_FILE && strstr(msg, "folder"), "a folder", "%d: %s", st, msg);

	tu_remove_tree(dir);
	ampcl_context_free(ctx);
	return tu_finish();
}
