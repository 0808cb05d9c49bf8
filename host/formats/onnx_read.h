/* onnx_read.h: an ONNX model file read into plain structs (no protobuf types): the graph's nodes
 * with their attributes, its initializers as floats or integers, and its inputs and outputs. */
#ifndef AMPCL_ONNX_READ_H
#define AMPCL_ONNX_READ_H

#include "ampcl.h"

#include <stddef.h>
#include <stdint.h>

#define AMPCL_ONNX_MAX_DIMS 8

enum ampcl_onnx_attr_type {
	AMPCL_ONNX_ATTR_OTHER,
	AMPCL_ONNX_ATTR_INT,
	AMPCL_ONNX_ATTR_FLOAT,
	AMPCL_ONNX_ATTR_INTS,
	AMPCL_ONNX_ATTR_STRING,
	AMPCL_ONNX_ATTR_TENSOR,
};

/* A tensor: an initializer or a Constant's value. Floats (FLOAT, DOUBLE, FLOAT16 are not read:
 * only FLOAT) in f, integers (INT64, INT32, BOOL as 0 or 1) in i; the other is NULL. */
struct ampcl_onnx_tensor {
	const char *name;
	int dtype; /* ONNX's TensorProto.DataType: 1 FLOAT, 6 INT32, 7 INT64, ... */
	int ndim;
	long long dims[AMPCL_ONNX_MAX_DIMS];
	size_t count;
	float *f;
	long long *i;
};

struct ampcl_onnx_attr {
	const char *name;
	enum ampcl_onnx_attr_type type;
	long long i;
	float f;
	const int64_t *ints; /* INTS: nints values */
	size_t nints;
	const char *s;                          /* STRING (NUL-terminated copy) */
	const struct ampcl_onnx_tensor *tensor; /* TENSOR */
};

struct ampcl_onnx_node {
	const char *name; /* "" when the file gives none */
	const char *op;
	const char *domain; /* "" or "ai.onnx" for the standard operators */
	const char **in, **out;
	int nin, nout;
	const struct ampcl_onnx_attr *attrs;
	int nattrs;
};

/* A graph input or output: its name and shape (dims < 0: symbolic or unknown), float or not. */
struct ampcl_onnx_value {
	const char *name;
	int dtype;
	int ndim;
	long long dims[AMPCL_ONNX_MAX_DIMS];
};

struct ampcl_onnx_model {
	const char *path;
	long long opset; /* of the default domain */
	const struct ampcl_onnx_node *nodes;
	int nnodes;
	const struct ampcl_onnx_tensor *inits;
	int ninits;
	const struct ampcl_onnx_value *inputs; /* the graph's inputs that are not initializers */
	int ninputs;
	const struct ampcl_onnx_value *outputs;
	int noutputs;
	void *owner; /* everything above lives in it */
};

/* Reads path (at most 2 GiB); AMPCL_ERR_IO or AMPCL_ERR_BAD_FILE naming the file and what is wrong
 * (not protobuf, no graph, a tensor whose data does not match its shape). */
ampcl_status ampcl_onnx_read(const char *path, struct ampcl_onnx_model **out);
void ampcl_onnx_free(struct ampcl_onnx_model *m);

/* The input shape the ONNX file at path declares (channels, height, width; -1 where a dimension
 * is not fixed); AMPCL_ERR_INVALID_ARG when its input is not one tensor of rank 4, the reader's
 * errors else. */
ampcl_status ampcl_onnx_input_shape(const char *path, int *channels, int *height, int *width);

/* The whole file (at most 2 GiB, a regular file), malloc'ed; errors name the file. */
ampcl_status ampcl_onnx_read_file(const char *path, uint8_t **data, size_t *size);
/* AMPCL_ERR_BAD_FILE: "ONNX model 'path': what; export it again ...". */
ampcl_status ampcl_onnx_bad(const char *path, const char *what);
/* Writes src's model to dst (atomically) with the initializers called names[i] holding
 * values[i] (counts[i] floats, as many as they held); the rest of the file as it was. */
ampcl_status ampcl_onnx_write_weights(const char *src, const char *dst, int n,
				      const char *const *names, const float *const *values,
				      const size_t *counts);

/* The attribute called name, or NULL. */
const struct ampcl_onnx_attr *ampcl_onnx_attr(const struct ampcl_onnx_node *node, const char *name);
/* The inputs of node that ampcl keeps as the layer's parameters, in the net's tensor order:
 * Conv's weight and bias, BatchNormalization's scale, bias, mean and variance, Gemm's B and C,
 * MatMul's B. Returns how many indexes it put in idx (at most 4); 0 for other operators. */
int ampcl_onnx_param_inputs(const struct ampcl_onnx_node *node, int idx[4]);
/* The Add node that adds a bias to MatMul node k's product, ampcl's linear layer taking both:
 * the product's only use, its other input a float initializer of one value per column of
 * MatMul's 2-D initializer B ([out] or [1, out]), the product no graph output. Its index, and
 * in *bias_input (may be NULL) which of its inputs the bias is; -1 when there is none. */
int ampcl_onnx_matmul_add(const struct ampcl_onnx_model *m, int k, int *bias_input);
/* The initializers node k gives the net as its parameters, in the net's tensor order: those of
 * ampcl_onnx_param_inputs, then the bias of the Add fused with a MatMul. Returns how many names
 * it put (at most 4). */
int ampcl_onnx_params(const struct ampcl_onnx_model *m, int k, const char *names[4]);
/* The initializer called name, or NULL. */
const struct ampcl_onnx_tensor *ampcl_onnx_init(const struct ampcl_onnx_model *m, const char *name);

#endif
