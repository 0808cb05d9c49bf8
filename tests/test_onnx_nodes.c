/* test_onnx_nodes.c: ONNX's own operator tests (Debian's libonnx-testdata, data/node/test_*) for
 * every operator ampcl imports: each graph is imported, run forward and compared with ONNX's
 * expected output; a test ampcl refuses is listed with the reason, a test it runs must match. */
#include "models.h"
#include "net.h"
#include "onnx.pb-c.h"
#include "onnx_weights.h"
#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NODE_DIR "/usr/share/libonnx-testdata/data/node"

/* The operators ampcl imports, as the prefixes of their tests' folders. */
static const char *const prefixes[] = {
    "test_conv_",     "test_basic_conv_", "test_batchnorm_", "test_relu",     "test_maxpool_",
    "test_averagepool_", "test_globalaveragepool", "test_add", "test_flatten_", "test_reshape_",
    "test_gemm_",     "test_identity",    "test_clip",       "test_concat_", "test_dropout",
    "test_training_dropout", "test_matmul_", "test_slice", NULL};

/* Tests that must run and match: each supported form of each operator. */
static const char *const required[] = {"test_basic_conv_with_padding",
				       "test_basic_conv_without_padding",
				       "test_conv_with_strides_padding",
				       "test_conv_with_strides_no_padding",
				       "test_batchnorm_example",
				       "test_relu",
				       "test_maxpool_2d_precomputed_strides",
				       "test_globalaveragepool",
				       "test_globalaveragepool_precomputed",
				       "test_gemm_transposeB",
				       "test_gemm_default_no_bias",
				       "test_gemm_default_vector_bias",
				       "test_matmul_2d",
				       "test_slice_neg",
				       "test_slice_end_out_of_bounds",
				       "test_clip",
				       "test_clip_splitbounds",
				       "test_maxpool_2d_pads",
				       "test_maxpool_2d_ceil",
				       "test_averagepool_2d_pads_count_include_pad",
				       "test_conv_with_strides_and_asymmetric_padding",
				       NULL};

static char dir[] = "/tmp/ampcl-onnx-nodes-XXXXXX";

static Onnx__TensorProto *read_tensor(const char *path)
{
	size_t n;
	char *data = tu_read_file(path, &n);
	if (!data)
		return NULL;
	Onnx__TensorProto *t = onnx__tensor_proto__unpack(NULL, n, (const uint8_t *)data);
	free(data);
	return t;
}

/* A float tensor's values (malloc'ed), NULL for another type. */
static float *floats(const Onnx__TensorProto *t, size_t *count)
{
	size_t n = 1;
	for (size_t d = 0; d < t->n_dims; d++)
		n *= (size_t)t->dims[d];
	*count = n;
	if (t->data_type != 1)
		return NULL;
	float *v = tu_malloc(n * sizeof(float) + 1);
	if (n == 0) /* an empty tensor: nothing to copy (and no data pointer to copy from) */
		return v;
	if (t->has_raw_data && t->raw_data.len == n * sizeof(float))
		memcpy(v, t->raw_data.data, n * sizeof(float));
	else if (t->n_float_data == n)
		memcpy(v, t->float_data, n * sizeof(float));
	else {
		free(v);
		return NULL;
	}
	return v;
}

/* ONNX's shape padded with trailing 1s to [N, C, H, W] (an element-wise operator or a
 * matrix's rows see the same values in the same order). */
static int pad_shape(const Onnx__ValueInfoProto *v, long long out[4])
{
	const Onnx__TensorShapeProto *s =
	    v->type && v->type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE &&
		    v->type->tensor_type
		? v->type->tensor_type->shape
		: NULL;
	if (!s || s->n_dim < 1 || s->n_dim > 4)
		return 0;
	for (int d = 0; d < 4; d++)
		out[d] = d < (int)s->n_dim ? s->dim[d]->dim_value : 1;
	return 1;
}

static void set_shape(Onnx__ValueInfoProto *v, const long long s[4])
{
	Onnx__TensorShapeProto *shape = v->type->tensor_type->shape;
	Onnx__TensorShapeProto__Dimension **dims = malloc(4 * sizeof(*dims));
	for (int d = 0; d < 4; d++) {
		dims[d] = malloc(sizeof(**dims));
		onnx__tensor_shape_proto__dimension__init(dims[d]);
		dims[d]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
		dims[d]->dim_value = s[d];
	}
	for (size_t d = 0; d < shape->n_dim; d++)
		protobuf_c_message_free_unpacked(&shape->dim[d]->base, NULL);
	free(shape->dim);
	shape->dim = dims, shape->n_dim = 4;
}

/* One test: 1 matched, 0 refused (why in reason), -1 ran and differed or could not be read. */
static int run_test(struct ampcl_context *ctx, const char *name, char *reason, size_t size)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s/model.onnx", NODE_DIR, name);
	size_t n;
	char *bytes = tu_read_file(path, &n);
	Onnx__ModelProto *m = bytes ? onnx__model_proto__unpack(NULL, n, (uint8_t *)bytes) : NULL;
	free(bytes);
	if (!m || !m->graph || m->graph->n_input < 1) {
		snprintf(reason, size, "its model cannot be read");
		if (m)
			onnx__model_proto__free_unpacked(m, NULL);
		return -1;
	}
	if (m->graph->n_output != 1) {
		snprintf(reason, size, "%zu outputs (statistics or indices beside the result): ampcl's "
				       "graphs have one",
			 m->graph->n_output);
		onnx__model_proto__free_unpacked(m, NULL);
		return 0;
	}
	if (strstr(name, "training_dropout") && !strstr(name, "zero_ratio")) {
		snprintf(reason, size, "training-mode dropout draws its own random mask, not ONNX's");
		onnx__model_proto__free_unpacked(m, NULL);
		return 0;
	}
	Onnx__GraphProto *g = m->graph;
	long long in[4], out[4];
	if (!pad_shape(g->input[0], in) || !pad_shape(g->output[0], out)) {
		snprintf(reason, size, "an input or output that is not a tensor of rank 1 to 4");
		onnx__model_proto__free_unpacked(m, NULL);
		return 0;
	}
	/* the first input is the data; every other input becomes an initializer from its .pb */
	g->initializer = realloc(g->initializer, (g->n_initializer + g->n_input) * sizeof(void *));
	for (size_t k = 1; k < g->n_input; k++) {
		snprintf(path, sizeof(path), "%s/%s/test_data_set_0/input_%zu.pb", NODE_DIR, name, k);
		Onnx__TensorProto *t = read_tensor(path);
		if (!t)
			continue;
		free(t->name);
		t->name = strdup(g->input[k]->name);
		g->initializer[g->n_initializer++] = t;
		onnx__value_info_proto__free_unpacked(g->input[k], NULL);
	}
	g->n_input = 1;
	set_shape(g->input[0], in);
	set_shape(g->output[0], out);
	size_t packed = onnx__model_proto__get_packed_size(m);
	uint8_t *buf = tu_malloc(packed + 1);
	onnx__model_proto__pack(m, buf);
	onnx__model_proto__free_unpacked(m, NULL);
	char model[600];
	snprintf(model, sizeof(model), "%s/%s.onnx", dir, name);
	tu_write_file(model, buf, packed);
	free(buf);

	snprintf(path, sizeof(path), "%s/%s/test_data_set_0/input_0.pb", NODE_DIR, name);
	Onnx__TensorProto *xt = read_tensor(path);
	snprintf(path, sizeof(path), "%s/%s/test_data_set_0/output_0.pb", NODE_DIR, name);
	Onnx__TensorProto *yt = read_tensor(path);
	size_t nx = 0, ny = 0;
	float *x = xt ? floats(xt, &nx) : NULL, *want = yt ? floats(yt, &ny) : NULL;
	if (xt)
		onnx__tensor_proto__free_unpacked(xt, NULL);
	if (yt)
		onnx__tensor_proto__free_unpacked(yt, NULL);
	int result = 0;
	ampcl_net_t *net = NULL;
	ampcl_status st;
	if (!x || !want)
		snprintf(reason, size, "its data are not float32");
	else if ((st = ampcl_net_create(ctx, (int)in[1], (int)in[2], (int)in[3], &net)) ||
		 (ampcl_net_allow_any_output(net), st = ampcl_model_onnx(net, model, 0)) ||
		 (st = ampcl_net_finalize(net, (int)in[0], 1)) ||
		 (st = ampcl_net_load_onnx(net, model, &(long long){0}))) {
		/* the message without the model's temporary path and the list of operators */
		const char *msg = ampcl_last_error(), *node = strstr(msg, "node ");
		snprintf(reason, size, "%s", node ? node : msg);
		char *list = strstr(reason, ". ampcl imports");
		if (list)
			*list = 0;
	} else {
		float *got = tu_malloc(ny * sizeof(float) + 1);
		int c, h, w;
		ampcl_net_layer_shape(net, ampcl_net_layer_count(net) - 1, &c, &h, &w);
		if ((size_t)in[0] * (size_t)c * (size_t)h * (size_t)w != ny) {
			snprintf(reason, size, "the output has %lldx%dx%dx%d values, ONNX's %zu", in[0],
				 c, h, w, ny);
			result = -1;
		} else if ((st = ampcl_net_predict(net, x, (int)in[0], got))) {
			snprintf(reason, size, "the forward pass failed: %s", ampcl_last_error());
			result = -1;
		} else {
			double worst = 0;
			for (size_t i = 0; i < ny; i++)
				worst = fmax(worst, fabs((double)got[i] - want[i]) /
							fmax(1.0, fabs((double)want[i])));
			result = worst <= 1e-4 ? 1 : -1;
			snprintf(reason, size, "max error %.2e of %zu values", worst, ny);
		}
		free(got);
	}
	ampcl_net_free(net);
	free(x);
	free(want);
	return result;
}

static int has_prefix(const char *name)
{
	for (int i = 0; prefixes[i]; i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return 1;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	DIR *d = opendir(NODE_DIR);
	if (!d) {
		printf("SKIP ONNX's operator tests: %s absent (apt-get install libonnx-testdata)\n",
		       NODE_DIR);
		return 0;
	}
	if (!mkdtemp(dir))
		return 1;
	char *names[512];
	int count = 0;
	struct dirent *e;
	while ((e = readdir(d)) && count < 512)
		if (has_prefix(e->d_name))
			names[count++] = strdup(e->d_name);
	closedir(d);
	qsort(names, (size_t)count, sizeof(char *), by_name);
	struct ampcl_context *ctx = tu_context();
	int passed = 0, refused = 0, differed = 0, required_ok = 1;
	for (int i = 0; i < count; i++) {
		char reason[600];
		int r = run_test(ctx, names[i], reason, sizeof(reason));
		printf("%-52s %s  %s\n", names[i], r > 0 ? "pass" : r == 0 ? "refused" : "DIFFERS",
		       reason);
		passed += r > 0, refused += r == 0, differed += r < 0;
		for (int k = 0; required[k]; k++)
			if (!strcmp(required[k], names[i]) && r <= 0)
				required_ok = 0;
	}
	tu_check(count > 50, "ONNX's tests of the imported operators found", "%d", count);
	tu_check(differed == 0, "every test ampcl imports matches ONNX's output",
		 "%d pass, %d refused, %d differ", passed, refused, differed);
	tu_check(required_ok, "each supported form of each operator runs", "%d pass", passed);
	for (int i = 0; i < count; i++)
		free(names[i]);
	tu_remove_tree(dir);
	ampcl_context_free(ctx);
	return tu_finish();
}
