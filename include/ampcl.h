/* ampcl.h: the whole public C API of ampcl: errors, devices, contexts, verify, networks, models,
 * training, evaluation, MPI and studies. No OpenCL types; ampcl_cl.h has the interop calls.
 *
 * Conventions, the same for every call:
 * - A call that can fail returns ampcl_status (AMPCL_OK or an error, with ampcl_last_error's
 *   message); queries that cannot fail return their value.
 * - Inputs come first and outputs last: `ampcl_x(handle, inputs..., outputs...)`; an output array
 *   comes after its count.
 * - Handles are opaque and spelled `ampcl_x_t`; structs whose fields the caller reads or fills
 *   are spelled `struct ampcl_x`.
 * - Text in a struct the library fills is a `const char *` owned by the library, valid as long
 *   as the object named beside it (the context, net or report); no struct has a fixed text
 *   buffer. */
#ifndef AMPCL_H
#define AMPCL_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AMPCL_API __attribute__((visibility("default")))

/* The version of this header, and the one source of the project's version (CMake reads it);
 * ampcl_version() gives the library's, which differs only for a program run against another
 * build than it was compiled with. */
#define AMPCL_VERSION_MAJOR 0
#define AMPCL_VERSION_MINOR 3
#define AMPCL_VERSION_PATCH 0

/* OpenCL's own negative codes pass through unchanged; ampcl's sit at -1000 and below. */
typedef enum ampcl_status {
	AMPCL_OK = 0,
	AMPCL_ERR_INVALID_ARG = -1000,      /* a value out of range: the message names it */
	AMPCL_ERR_NO_DEVICE = -1001,        /* no OpenCL platform or device at all */
	AMPCL_ERR_DEVICE_NOT_FOUND = -1002, /* --device matched nothing */
	AMPCL_ERR_OUT_OF_DEVICE_MEMORY = -1003,
	AMPCL_ERR_BUILD = -1004, /* a kernel failed to compile: the message has the log */
	AMPCL_ERR_KERNEL_NOT_FOUND = -1005,
	AMPCL_ERR_IO = -1006,       /* a file could not be read or written */
	AMPCL_ERR_BAD_FILE = -1007, /* a file is truncated or not what it claims */
	AMPCL_ERR_UNSUPPORTED = -1008,
	AMPCL_ERR_CHECK_FAILED = -1009, /* a self-test result did not match its reference */
	AMPCL_ERR_INTERRUPTED = -1010,  /* a run stopped on request (should_stop), state saved */
	AMPCL_ERR_WRITE_FAILED = -1011, /* writing ran out of space, past a size limit or into a
					   device error: nothing half-written is left */
} ampcl_status;

/* The message of the last failure on this thread: what, with which value or file, what to do. */
AMPCL_API const char *ampcl_last_error(void);
AMPCL_API const char *ampcl_status_name(ampcl_status status);
/* "MAJOR.MINOR.PATCH" of the library in use. */
AMPCL_API const char *ampcl_version(void);
/* Records a message for ampcl_last_error and returns status, so code built on ampcl (models,
 * callbacks, a program's report) fails the way the library does: `return ampcl_error_set(..)`.
 * ampcl_error_wrap prefixes the message already recorded. */
AMPCL_API ampcl_status ampcl_error_set(ampcl_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
AMPCL_API ampcl_status ampcl_error_wrap(ampcl_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Writes a file the way ampcl writes its outputs: readers see the old file or the whole new one,
 * even after a crash (a temporary file, fsync, rename, fsync of the folder). Open gives the
 * stream to write to; commit puts it in place (AMPCL_ERR_IO naming the path if anything failed,
 * an earlier write included); abort drops it. */
typedef struct ampcl_atomic_file ampcl_atomic_file_t;
AMPCL_API ampcl_status ampcl_atomic_file_open(const char *path, ampcl_atomic_file_t **out,
					      FILE **stream);
AMPCL_API ampcl_status ampcl_atomic_file_commit(ampcl_atomic_file_t *f);
AMPCL_API void ampcl_atomic_file_abort(ampcl_atomic_file_t *f);
/* Opens an input file the way ampcl reads its own: only a regular file (through links), never
 * blocking on a FIFO; otherwise AMPCL_ERR_BAD_FILE (a device, FIFO or folder) or AMPCL_ERR_IO
 * (missing, unreadable) with a message naming `what` (e.g. "--grid") and the path. */
AMPCL_API ampcl_status ampcl_input_open(const char *path, const char *what, FILE **stream);

/* One OpenCL device as discovered, in platform order then device order. The text is the
 * driver's, owned by whoever handed out the struct (the context, or ampcl_devices_list's block). */
struct ampcl_device_desc {
	int index;
	const char *name;
	const char *vendor;
	const char *platform;
	const char *platform_version;
	const char *driver_version;
	const char *opencl_c_version;
	const char *type; /* "GPU", "CPU", "ACCELERATOR" or "OTHER" */
	unsigned vendor_id;
	unsigned compute_units;
	unsigned long long global_mem_bytes;
	unsigned long long max_alloc_bytes;
	unsigned long long local_mem_bytes;
	size_t max_work_group_size;
	int has_fp16;
	int has_fp64;
};

/* Lists every device: *count of them in *out, one malloc'ed block (text included): free(*out). */
AMPCL_API ampcl_status ampcl_devices_list(int *count, struct ampcl_device_desc **out);

/* Picks a device: spec is an index ("0") or a case-insensitive substring of the device or
 * platform name; NULL or "" means the environment variable AMPCL_DEVICE, else the first GPU,
 * else the first device. A spec that matches nothing fails with AMPCL_ERR_DEVICE_NOT_FOUND and
 * a message that lists the devices. */
AMPCL_API ampcl_status ampcl_device_resolve(const char *spec, int *index);
/* The device of the local_rank-th process on a machine (mpirun): AMPCL_DEVICE if set, else the
 * GPUs in turn (local_rank mod their count), else every device in turn. */
AMPCL_API ampcl_status ampcl_device_for_local_rank(int local_rank, int *index);

typedef struct ampcl_context ampcl_context_t;

/* One OpenCL context and one in-order, profiling queue on the chosen device. */
AMPCL_API ampcl_status ampcl_context_create(const char *device_spec, ampcl_context_t **out);
AMPCL_API void ampcl_context_free(ampcl_context_t *ctx);
AMPCL_API const struct ampcl_device_desc *ampcl_context_device(const ampcl_context_t *ctx);

/* Program-cache counters since the context was created. */
struct ampcl_build_stats {
	int programs_built; /* compiled from source */
	int cache_hits;     /* loaded from the on-disk binary cache */
	int cache_misses;   /* looked up, not usable (absent, corrupt, foreign) */
	int cache_writes;
	double build_seconds; /* wall time spent in building or loading programs */
};
AMPCL_API void ampcl_context_build_stats(const ampcl_context_t *ctx, struct ampcl_build_stats *out);

/* Builds every kernel file ampcl ships, with its default options. */
AMPCL_API ampcl_status ampcl_kernels_build_all(ampcl_context_t *ctx);

/* ---- verify: this device's results against double precision (`ampcl verify`) ----
 * Every op forward and backward, on the paths the device's profile and tuning take here, at a
 * model's layer shapes and at odd ones, against the plain-C double-precision reference, each with
 * a tolerance from a float32 error bound; a short training replay against a PyTorch float64
 * trajectory shipped with ampcl; and a probe of the device (limits, long loops, barriers). */
struct ampcl_verify_config {
	int quick;         /* the probe and every op at small odd shapes only (a few seconds) */
	const char *model; /* layer shapes from this model (NULL: resnet18) */
	int width, batch;  /* 0: 8 and 8 */
};
/* One comparison; its text is owned by the report (or, in the progress callback, valid during
 * the call). family groups the ops (conv_forward, gemm, bn_backward, ...). */
struct ampcl_verify_check {
	const char *family;
	const char *op;    /* "conv2d_backward dw" */
	const char *shape; /* "n8 c16 32x32 k16 3x3 stride 1 pad 1" */
	const char *path;  /* the kernels that ran, with their launch counts */
	const char *bound; /* how the tolerance was derived ("8 sqrt(K) u sum|ab|, K=576") */
	double max_abs;  /* max |got - want| */
	double max_rel;  /* max |got - want| / max(|want|, 1e-6 * max|want|) */
	double tol;      /* the tolerance at the element closest to failing */
	double ratio;    /* max over elements of error / tolerance: <= 1 passes (NaN fails) */
	size_t count;    /* elements compared */
	int passed;
};
/* What the probe found: one fact (name, value) per line, informational. */
struct ampcl_verify_fact {
	const char *name;
	const char *value;
};
/* Everything in it, text included, is owned by the report until ampcl_verify_report_free. */
struct ampcl_verify_report {
	struct ampcl_device_desc device;
	const char *version;
	const char *profile;        /* the profile row in use */
	const char *profile_reason; /* why that row */
	const char *gemm;           /* the GEMM back end in effect */
	int quick;
	struct ampcl_verify_fact *facts;
	int nfacts;
	struct ampcl_verify_check *checks;
	int nchecks;
	int failed; /* checks that did not pass */
	double seconds;
};
/* Runs every check (a check that fails does not stop the others); AMPCL_OK once the report is
 * complete, whatever its checks found (report->failed). progress(user, check) after each check
 * (may be NULL). A failure to run at all (no memory on the device, a kernel that does not build)
 * is returned as a status, with *out NULL. When every check passed, a mark is stored beside the
 * program cache, keyed like it, that ampcl_verify_passed finds. */
AMPCL_API ampcl_status ampcl_verify_run(ampcl_context_t *ctx, const struct ampcl_verify_config *cfg,
					void (*progress)(void *user,
							 const struct ampcl_verify_check *check),
					void *user, struct ampcl_verify_report **out);
AMPCL_API void ampcl_verify_report_free(struct ampcl_verify_report *rep);
/* The report as one self-contained JSON document (device, driver, ampcl version, profile, facts,
 * every check), written atomically. */
AMPCL_API ampcl_status ampcl_verify_write_json(const struct ampcl_verify_report *rep,
					       const char *path);
/* 1 when ampcl_verify_run passed on this device, driver and ampcl version before (the mark beside
 * the program cache), 0 when not, -1 when there is no cache to keep the mark in. */
AMPCL_API int ampcl_verify_passed(ampcl_context_t *ctx);

/* ---- networks ----
 * A net is built layer by layer; each builder checks its arguments, appends the layer and puts
 * its id (>= 1) in *layer (which may be NULL); inputs are the ids of layers built before it.
 * Layer 0 is the input. Names are the stable dotted names of PyTorch's CIFAR models
 * ("layer2.0.bn2"), used in logs, amplification and weight files. */
typedef struct ampcl_net ampcl_net_t;

enum ampcl_layer_type {
	AMPCL_LAYER_INPUT,
	AMPCL_LAYER_CONV,
	AMPCL_LAYER_BN,
	AMPCL_LAYER_RELU,
	AMPCL_LAYER_MAXPOOL,
	AMPCL_LAYER_AVGPOOL,
	AMPCL_LAYER_LINEAR,
	AMPCL_LAYER_ADD,
	AMPCL_LAYER_CLIP,
	AMPCL_LAYER_CONCAT,
	AMPCL_LAYER_DROPOUT,
	AMPCL_LAYER_CONV_GENERAL,
	AMPCL_LAYER_POOL_GENERAL,
	AMPCL_LAYER_SLICE,
};

AMPCL_API ampcl_status ampcl_net_create(ampcl_context_t *ctx, int channels, int height, int width,
					ampcl_net_t **out);
AMPCL_API void ampcl_net_free(ampcl_net_t *net);
AMPCL_API ampcl_status ampcl_net_conv2d(ampcl_net_t *net, const char *name, int input, int out_channels,
			       int kernel, int stride, int pad, int bias, int *layer);
AMPCL_API ampcl_status ampcl_net_batchnorm(ampcl_net_t *net, const char *name, int input, int *layer);
AMPCL_API ampcl_status ampcl_net_relu(ampcl_net_t *net, const char *name, int input, int *layer);
AMPCL_API ampcl_status ampcl_net_maxpool2(ampcl_net_t *net, const char *name, int input, int *layer);
AMPCL_API ampcl_status ampcl_net_avgpool(ampcl_net_t *net, const char *name, int input, int *layer);
AMPCL_API ampcl_status ampcl_net_linear(ampcl_net_t *net, const char *name, int input, int out_features,
			       int bias, int *layer);
/* A linear layer as ONNX's MatMul and Gemm with transB 0 hold it: with w_in_out its weight is
 * kept as W^T, (in, out) (torch.matmul(x, w)'s w), and the tensor API, weight files and
 * checkpoints show it so; its tensors are called weight_name and bias_name (NULL: "NAME.weight"
 * and "NAME.bias"; at most 127 characters, unique in the net). */
struct ampcl_linear_options {
	int out_features;
	int bias;
	int w_in_out;
	const char *weight_name, *bias_name;
};
AMPCL_API ampcl_status ampcl_net_linear_general(ampcl_net_t *net, const char *name, int input,
						const struct ampcl_linear_options *opt, int *layer);
AMPCL_API ampcl_status ampcl_net_add(ampcl_net_t *net, const char *name, int a, int b, int *layer);
/* A convolution in its general form: groups (depthwise: groups = input channels = out_channels
 * / multiplier), dilation, padding per side, rectangular kernels and strides. Its weight is
 * (out_channels, in_channels / groups, kernel_h, kernel_w), as PyTorch's Conv2d. Computed by
 * direct kernels, slower than ampcl_net_conv2d's for the forms that one takes. */
struct ampcl_conv2d_options {
	int out_channels;
	int kernel_h, kernel_w;
	int stride_h, stride_w;                        /* >= 1 */
	int pad_top, pad_left, pad_bottom, pad_right; /* >= 0 */
	int dilation_h, dilation_w;                    /* >= 1 */
	int groups;                                    /* >= 1, dividing both channel counts */
	int bias;
};
AMPCL_API ampcl_status ampcl_net_conv2d_general(ampcl_net_t *net, const char *name, int input,
						const struct ampcl_conv2d_options *opt,
						int *layer);
/* Max or average pooling in its general form (ONNX's MaxPool and AveragePool, PyTorch's
 * MaxPool2d and AvgPool2d): any window and strides, padding per side (each smaller than the
 * window), ceil_mode, and for the average count_include_pad. Direct kernels. */
struct ampcl_pool2d_options {
	int kernel_h, kernel_w;
	int stride_h, stride_w;
	int pad_top, pad_left, pad_bottom, pad_right;
	int ceil_mode;
	int count_include_pad; /* average only */
};
AMPCL_API ampcl_status ampcl_net_pool2d(ampcl_net_t *net, const char *name, int input, int average,
					const struct ampcl_pool2d_options *opt, int *layer);
/* Channel concatenation [a, b] of two layers of one image size (DenseNet's torch.cat(.., 1)). */
AMPCL_API ampcl_status ampcl_net_concat(ampcl_net_t *net, const char *name, int a, int b,
					int *layer);
/* Channels [start, start + channels) of a layer (ONNX's Slice along axis 1, x[:, a:b] in
 * PyTorch): the inverse of the concatenation. */
AMPCL_API ampcl_status ampcl_net_slice(ampcl_net_t *net, const char *name, int input, int start,
				       int channels, int *layer);
/* Dropout of ratio p in [0, 1): in training each element is kept with probability 1 - p and
 * scaled by 1 / (1 - p), the mask drawn from the net's seed and the step (the same run draws the
 * same masks, resumed or not); in evaluation the identity. */
AMPCL_API ampcl_status ampcl_net_dropout(ampcl_net_t *net, const char *name, int input,
					 float ratio, int *layer);
/* y = min(max(x, lo), hi) (ReLU6: 0, 6), lo < hi, both finite. */
AMPCL_API ampcl_status ampcl_net_clip(ampcl_net_t *net, const char *name, int input, float lo,
				      float hi, int *layer);

/* Plans and allocates device memory for batches of up to max_batch images and initialises the
 * parameters from seed as PyTorch's defaults do (uniform +-1/sqrt(fan_in) for convolution and
 * linear weights and biases; BN weight 1, bias 0, running mean 0, variance 1). The last layer's
 * output is the logits. */
AMPCL_API ampcl_status ampcl_net_finalize(ampcl_net_t *net, int max_batch, unsigned long long seed);

/* What ampcl_net_tune did. */
struct ampcl_tune_report {
	int level;        /* AMPCL_TUNE in effect: 0 off (nothing done), 1 quick, 2 full */
	int measured;     /* shapes whose variants were timed in this call (0: all were stored) */
	int changed;      /* of those, the ones where a variant beat the default */
	int stored;       /* choices in this device's table */
	double seconds;   /* the call's time */
	const char *table; /* the table's file ("" when the program cache is off), valid while the
			    * context lives */
	/* a line of the table that was skipped because its values are no choice of its
	 * operation (file and line named), "" when none; valid while the context lives */
	const char *warning;
};
/* Per-device tuning (AMPCL_TUNE, default quick): call on a built net before finalizing it.
 * Runs one forward and backward pass of `batch` random images in which every GEMM shape not yet
 * in the device's table (beside the program cache) times its variants and stores the fastest;
 * later nets on this device, in this and later runs, take the stored choices. Quick tries only
 * variants that compute the same bits as the default (the panel height of the CPU GEMM); full
 * tries ones that sum k in other runs too (work-groups per compute unit, split-k slices), so
 * results then differ from untuned ones, yet stay the same from run to run on this device. The
 * net is left built and not finalized. AMPCL_TUNE=off: nothing is read or measured. */
AMPCL_API ampcl_status ampcl_net_tune(ampcl_net_t *net, int batch, struct ampcl_tune_report *rep);

AMPCL_API int ampcl_net_layer_count(const ampcl_net_t *net);
AMPCL_API const char *ampcl_net_layer_name(const ampcl_net_t *net, int layer);
AMPCL_API enum ampcl_layer_type ampcl_net_layer_type(const ampcl_net_t *net, int layer);
AMPCL_API const char *ampcl_layer_type_name(enum ampcl_layer_type type); /* "conv", "bn", ... */
/* The shape of one image's output of a layer (layer 0: the input image). */
AMPCL_API ampcl_status ampcl_net_layer_shape(const ampcl_net_t *net, int layer, int *channels,
					     int *height, int *width);
/* Trainable parameters (weights and biases; not BN running statistics). */
AMPCL_API size_t ampcl_net_param_count(const ampcl_net_t *net);

/* Named tensors of the net: parameters and BN running statistics, PyTorch's names
 * ("layer1.0.bn1.running_var"), in network order. */
#define AMPCL_TENSOR_MAX_DIMS 4
struct ampcl_tensor_info {
	const char *name; /* valid until a layer is added or the net is freed */
	int ndim;
	int shape[AMPCL_TENSOR_MAX_DIMS];
	size_t count;
	int trainable; /* 0 for running statistics */
};
AMPCL_API int ampcl_net_tensor_count(const ampcl_net_t *net);
AMPCL_API ampcl_status ampcl_net_tensor_info(const ampcl_net_t *net, int i,
					     struct ampcl_tensor_info *info);
AMPCL_API ampcl_status ampcl_net_tensor_read(ampcl_net_t *net, int i, float *dst);
AMPCL_API ampcl_status ampcl_net_tensor_write(ampcl_net_t *net, int i, const float *src);

/* torch.optim.SGD's settings; the learning rate comes with each step. */
struct ampcl_sgd_config {
	float momentum;
	float weight_decay;
	int nesterov;
};
AMPCL_API ampcl_status ampcl_net_set_sgd(ampcl_net_t *net, const struct ampcl_sgd_config *cfg);

/* Gradient amplification of the backward pass (docs/design.md): after the backward of each selected
 * layer, the gradient with respect to its input (target & 1) and/or its own parameter gradients
 * (target & 2) are multiplied by factor. n == 0 turns it off. */
enum { AMPCL_AMP_INPUT = 1, AMPCL_AMP_PARAMS = 2 };
AMPCL_API ampcl_status ampcl_net_set_amplification(ampcl_net_t *net, const int *layers, int n,
						   float factor, int target);

struct ampcl_step_result {
	double loss; /* mean softmax cross-entropy of the batch */
	int correct; /* predictions equal to the label */
	int count;
};
/* The step in two seams, for what goes between the gradients and the update (accumulation,
 * clipping, an all-reduce across ranks): forward in training mode, the loss and backward of a
 * batch, which leaves every parameter's gradient (zeroed first, amplified as set) in the
 * gradient arena and res with the batch's loss and accuracy; then the SGD update from that arena.
 * ampcl_net_train_step is their composition, bit for bit. */
AMPCL_API ampcl_status ampcl_net_forward_backward(ampcl_net_t *net, const float *x,
						  const int *labels, int n,
						  struct ampcl_step_result *res);
AMPCL_API ampcl_status ampcl_net_update(ampcl_net_t *net, float lr);
/* Parameter i's gradient (ampcl_net_tensor_info's numbering, trainable tensors only). */
AMPCL_API ampcl_status ampcl_net_grad_read(ampcl_net_t *net, int i, float *dst);
AMPCL_API ampcl_status ampcl_net_grad_write(ampcl_net_t *net, int i, const float *src);
/* One SGD step on a batch: x is n x C x H x W normalised floats, labels n class indices. */
AMPCL_API ampcl_status ampcl_net_train_step(ampcl_net_t *net, const float *x, const int *labels,
					    int n, float lr, struct ampcl_step_result *res);
/* Forward pass in evaluation mode (BN running statistics), loss and accuracy of a batch. */
AMPCL_API ampcl_status ampcl_net_eval_step(ampcl_net_t *net, const float *x, const int *labels,
					   int n, struct ampcl_step_result *res);

/* The logits (n x classes floats, row per image) of the last forward pass, train or eval, for
 * its first n images. */
AMPCL_API ampcl_status ampcl_net_logits(ampcl_net_t *net, int n, float *logits);
/* Forward pass in evaluation mode without labels: logits (n x classes) of images x. */
AMPCL_API ampcl_status ampcl_net_predict(ampcl_net_t *net, const float *x, int n, float *logits);

/* ---- models (models/) ----
 * "resnet18", "resnet34" (CIFAR form) or "vgg19" (with BN), base width `width` (64 = the
 * standard), for images of the net's input size; or a file ending in ".onnx": its graph, whose
 * input must be the net's image shape and whose output `classes` logits (width is not used). */
AMPCL_API ampcl_status ampcl_model_build(ampcl_net_t *net, const char *model, int width,
					 int classes);
/* The image shape a model takes, for ampcl_net_create: an ONNX file's declared input (a
 * dimension it leaves open comes back as 0), or 3x32x32 for the built-in networks, which take
 * any channel count and any size their pools leave at least 1x1. */
AMPCL_API ampcl_status ampcl_model_input_shape(const char *model, int *channels, int *height,
					       int *width);

/* ---- training (the trainer behind `ampcl train`) ---- */
/* A training configuration: opaque, so settings can be added without breaking callers. Every
 * setting is a key (the names `ampcl train --help` lists, with '_' for '-': model, width, data,
 * dataset, epochs, batch, lr, momentum, weight_decay, nesterov, lr_schedule, warmup_epochs,
 * seed, eval_every, subset, augment, image_size, out, init, amp_types, amp_ratio, amp_factor,
 * amp_epochs, amp_redraw, amp_target, amp_select, schedule_file) with a text value. */
typedef struct ampcl_train_config ampcl_train_config_t;
/* A configuration with `ampcl train`'s defaults (ResNet-18 width 64, batch 128, lr 0.1, ...). */
AMPCL_API ampcl_status ampcl_train_config_create(ampcl_train_config_t **out);
AMPCL_API ampcl_status ampcl_train_config_copy(const ampcl_train_config_t *cfg,
					       ampcl_train_config_t **out);
AMPCL_API void ampcl_train_config_free(ampcl_train_config_t *cfg);
/* Sets key to value ("lr", "0.05"); an unknown key, a value of the wrong type or one too long
 * is AMPCL_ERR_INVALID_ARG naming it. Ranges are checked when a trainer is created. */
AMPCL_API ampcl_status ampcl_train_config_set(ampcl_train_config_t *cfg, const char *key,
					      const char *value);
/* key's value as text ("0.050000000000000003" for lr 0.05: exact), into buf[size]. */
AMPCL_API ampcl_status ampcl_train_config_get(const ampcl_train_config_t *cfg, const char *key,
					      char *buf, size_t size);

/* One row of log.csv. Test values are NaN in epochs that were not evaluated. */
struct ampcl_epoch_record {
	int epoch;
	double lr; /* at the epoch's last step */
	double train_loss, train_acc, test_loss, test_acc;
	double seconds, images_per_s;
	double data_wait_s; /* time the device side waited on the data loader thread */
	int amp_layers;     /* layers amplified in this epoch (0: off) */
};

struct ampcl_progress {
	int epoch, epochs, step, steps; /* epoch counts from 0, as log.csv and --amp-epochs */
	double loss, acc;               /* running means over the epoch (or evaluation) so far */
	double lr, images_per_s;
	double eta_s;   /* the rest of the run, test evaluations included */
	int evaluating; /* 1: step/steps count test batches of the evaluation after epoch */
};

/* The trainer reports through these; ampcl itself never prints. Any may be NULL. */
struct ampcl_train_callbacks {
	void *user;
	void (*step)(void *user, const struct ampcl_progress *p);
	void (*epoch)(void *user, const struct ampcl_epoch_record *r, int is_best);
	void (*message)(void *user, const char *line);
	/* after each epoch's outputs are written: the run's configuration (its --out) and whole
	 * history, for what the program draws from them (curves.png) */
	void (*outputs)(void *user, const ampcl_train_config_t *cfg,
			const struct ampcl_epoch_record *history, int epochs);
	/* polled after every training step: non-zero stops the run there, `last` is written with
	 * the epoch's progress (a --resume continues with the same bits) and the run returns
	 * AMPCL_ERR_INTERRUPTED (a program sets it from SIGINT / SIGTERM) */
	int (*should_stop)(void *user);
};

typedef struct ampcl_trainer ampcl_trainer_t;
/* Loads the data, builds and initialises the net (or loads --init weights). */
AMPCL_API ampcl_status ampcl_trainer_create(ampcl_context_t *ctx, const ampcl_train_config_t *cfg,
					    ampcl_trainer_t **out);
/* Continues from a checkpoint: its configuration, weights, optimizer and RNG state, epoch;
 * epochs > 0 changes the total epoch count, out non-NULL the output folder. */
AMPCL_API ampcl_status ampcl_trainer_resume(ampcl_context_t *ctx, const char *checkpoint,
					    int epochs, const char *out, ampcl_trainer_t **result);
/* The same with the data at another path (moved since): it must hold as many training images,
 * of the same channels and classes, as the run was trained on (AMPCL_ERR_INVALID_ARG if not).
 * The --schedule phases always come from the checkpoint, never from the file again. */
AMPCL_API ampcl_status ampcl_trainer_resume_data(ampcl_context_t *ctx, const char *checkpoint,
						 int epochs, const char *out, const char *data,
						 ampcl_trainer_t **result);
/* Runs the remaining epochs, writing log.csv, summary.json, last.ampcl and best.ampcl into the
 * output folder after every epoch. */
AMPCL_API ampcl_status ampcl_trainer_run(ampcl_trainer_t *t,
					 const struct ampcl_train_callbacks *cb);
AMPCL_API const ampcl_train_config_t *ampcl_trainer_config(const ampcl_trainer_t *t);
/* One line for people: the data's kind, image and class counts and the normalisation used, with
 * where its constants come from. */
AMPCL_API void ampcl_trainer_data_summary(const ampcl_trainer_t *t, char *buf, size_t size);
AMPCL_API ampcl_net_t *ampcl_trainer_net(ampcl_trainer_t *t);
/* What tuning (ampcl_net_tune, AMPCL_TUNE) did when the trainer built its net. */
AMPCL_API const struct ampcl_tune_report *ampcl_trainer_tune_report(const ampcl_trainer_t *t);
AMPCL_API int ampcl_trainer_next_epoch(const ampcl_trainer_t *t);
/* Data-parallel training under mpirun (ampcl_mpi_begin first): each rank trains its share of
 * every global batch (the batch must divide evenly), the gradients are averaged over the ranks
 * between the backward and the update, rank 0 alone writes the outputs. */
struct ampcl_parallel_report {
	int rank, ranks; /* 0 and 1 alone */
	int sync_bn;     /* BN statistics over every rank's share */
	int overlapped;  /* the all-reduce started during the backward pass (not with --sync-bn) */
	long reduces;    /* steps whose gradients were averaged */
	double reduce_s; /* how long those steps waited for it after their backward pass */
};
AMPCL_API void ampcl_trainer_parallel_report(const ampcl_trainer_t *t,
					     struct ampcl_parallel_report *out);
/* The epochs trained so far (n records). */
AMPCL_API const struct ampcl_epoch_record *ampcl_trainer_history(const ampcl_trainer_t *t, int *n);
AMPCL_API void ampcl_trainer_free(ampcl_trainer_t *t);

/* What ampcl_evaluate evaluates: a .ampcl checkpoint, or safetensors weights under PyTorch's
 * names (ampcl export's or PyTorch's) with the model and width they belong to. */
struct ampcl_eval_request {
	const char *checkpoint;  /* or NULL, and then: */
	const char *weights;     /* loaded as strictly as load_state_dict(strict=True) */
	const char *model;       /* resnet18 | resnet34 | vgg19 (with weights) */
	int width;               /* (with weights) */
	const char *data;        /* NULL: the checkpoint's data set; required with weights */
	const char *dataset;     /* cifar10 | mnist | fashion-mnist | folder; NULL detects */
	int batch;               /* images per step; 0: the checkpoint's, or 128 */
	const char *image_size;  /* (with weights) "64" or "96x64"; NULL: an ONNX model's input
				  * size, else 32x32 (a checkpoint keeps its own) */
	const char *predictions; /* CSV, one row per test image: index, label, predicted,
				  * p0.. (softmax), logit0..; NULL writes none */
};
struct ampcl_eval_result {
	double loss, accuracy; /* mean cross-entropy and accuracy over the test split */
	int images;
};
AMPCL_API ampcl_status ampcl_evaluate(ampcl_context_t *ctx, const struct ampcl_eval_request *req,
				      struct ampcl_eval_result *res);
/* Weights and BN statistics of a checkpoint as safetensors with PyTorch's names; or, for a path
 * ending in ".onnx" and a run of an ONNX model, a copy of that model with the trained values in
 * its initializers. */
AMPCL_API ampcl_status ampcl_checkpoint_export(ampcl_context_t *ctx, const char *checkpoint,
					       const char *path);

/* ---- MPI: several processes started by mpirun ----
 * A program calls ampcl_mpi_begin first thing and ampcl_mpi_end last. Unless a launcher (mpirun,
 * srun) started several processes both do nothing; a library built without MPI then fails
 * with AMPCL_ERR_UNSUPPORTED saying so. A study spreads its runs over the ranks. */
struct ampcl_mpi_info {
	int rank, size;             /* this process among all: 0 of 1 without mpirun */
	int local_rank, local_size; /* among those on this machine: what picks its device */
	int active;                 /* MPI was started */
};
AMPCL_API ampcl_status ampcl_mpi_begin(int *argc, char ***argv);
AMPCL_API void ampcl_mpi_end(void);
AMPCL_API void ampcl_mpi_get_info(struct ampcl_mpi_info *out);
/* Whether this library was built with MPI. */
AMPCL_API int ampcl_mpi_built(void);
/* Whether a launcher (mpirun, srun) started this process as one of several. */
AMPCL_API int ampcl_mpi_launched(void);
/* Ends every rank of the job (MPI_Abort) with this exit status, or this process alone. */
AMPCL_API void ampcl_mpi_abort(int code);

/* ---- parameter studies (the engine of `ampcl study`) ----
 * The cartesian product of the value lists, each combination trained once per seed on the base
 * configuration, each in OUT/runs/NAME: one after another, or several at once
 * (ampcl_study_config_set_jobs), and under mpirun every size-th run on each rank, rank 0
 * gathering the outcomes and writing the results. A run whose last.ampcl shows all epochs done
 * is not trained again; a run cut short resumes from its last.ampcl. A run that fails is
 * recorded as failed and the others go on; the study then fails with AMPCL_ERR_CHECK_FAILED
 * naming them. */
/* A study's configuration: opaque. The base configuration is copied; each sweep replaces one
 * list of values, and a list left out sweeps only the base's value. Keys and their values:
 * amp_factor, amp_ratio, lr: numbers; seed: whole numbers (comma-separated); amp_types,
 * amp_epochs: ';'-separated ("bn;relu;bn,relu", "none;0-9", none = a baseline without
 * amplification); amp_select: random, auto or both ("random,auto"). At most
 * AMPCL_STUDY_MAX_VALUES values a list. */
#define AMPCL_STUDY_MAX_VALUES 16
typedef struct ampcl_study_config ampcl_study_config_t;
AMPCL_API ampcl_status ampcl_study_config_create(const ampcl_train_config_t *base,
						 ampcl_study_config_t **out);
AMPCL_API void ampcl_study_config_free(ampcl_study_config_t *sc);
/* AMPCL_ERR_INVALID_ARG naming the key and the value for an unknown key or a malformed list. */
AMPCL_API ampcl_status ampcl_study_config_sweep(ampcl_study_config_t *sc, const char *key,
						const char *values);
/* The test accuracy whose first epoch the results report (0: none); must lie in [0, 1). */
AMPCL_API ampcl_status ampcl_study_config_set_target(ampcl_study_config_t *sc, double target);
AMPCL_API double ampcl_study_config_target(const ampcl_study_config_t *sc);
/* How many runs train at once in this process (jobs: 1-256; 0: one per listed device, else 1),
 * each with its own context, and on which devices: comma-separated specs as
 * ampcl_context_create takes them (NULL or "": the device of the context given to
 * ampcl_study_run). Job j of local rank r runs on the ((r * jobs + j) mod count)-th device.
 * The results are those of the same runs one after another. */
AMPCL_API ampcl_status ampcl_study_config_set_jobs(ampcl_study_config_t *sc, int jobs,
						   const char *devices);
AMPCL_API const ampcl_train_config_t *ampcl_study_config_base(const ampcl_study_config_t *sc);
/* One finished run of a study, for the program's report. */
struct ampcl_study_result {
	const char *name;  /* its folder under OUT/runs */
	const char *label; /* its configuration without the seed */
	int config;        /* index of that configuration: runs that differ only in seed share it */
	const ampcl_train_config_t *cfg;
	const struct ampcl_epoch_record *history; /* epochs records */
	int epochs;
	double best, final, seconds; /* test accuracy: best and last evaluated; training time */
	int reach; /* epochs trained when the test accuracy first reached the target; -1: never */
	const char *error; /* NULL: the run finished; else why it failed (the study went on) */
};
struct ampcl_study_callbacks {
	void *user;
	/* before each run: its index, the total, its folder name, whether it is skipped as done */
	void (*run)(void *user, int index, int total, const char *name, int done);
	const struct ampcl_train_callbacks *train; /* passed to each run's trainer */
	/* after each run: the first done of total runs, finished; a non-zero status stops the
	 * study with it (the program writes its report here) */
	ampcl_status (*results)(void *user, const struct ampcl_study_result *runs, int done,
				int total);
};
/* Runs the study and writes OUT/results.csv (every finished run's configuration, best and final
 * test accuracy, epochs to reach the target, time), handing the results to cb->results. */
AMPCL_API ampcl_status ampcl_study_run(ampcl_context_t *ctx, const ampcl_study_config_t *sc,
				       const struct ampcl_study_callbacks *cb);

#ifdef __cplusplus
}
#endif
#endif
