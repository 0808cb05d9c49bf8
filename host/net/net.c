/* net.c: building a network layer by layer, planning its arenas, PyTorch-default initialisation,
 * and access to its named tensors (for weight files and checkpoints). */
#include "net.h"
#include "rng.h"
#include "alloc.h"
#include "bn.h"
#include "conv.h"
#include "linear.h"
#include "error.h"
#include "size.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the im2col space each convolution may use; more only means fewer, larger GEMMs */
#define CONV_SCRATCH_BYTES ((size_t)64 << 20)
/* the largest kernel, stride or padding a convolution takes */
#define MAX_WINDOW 65536

static const char *type_names[] = {"input",   "conv",         "bn",           "relu", "maxpool",
				   "avgpool", "linear",       "add",          "clip", "concat",
				   "dropout", "conv_general", "pool_general", "slice"};

const char *ampcl_layer_type_name(enum ampcl_layer_type type)
{
	return (unsigned)type < sizeof(type_names) / sizeof(type_names[0]) ? type_names[type] : "?";
}

/* Checks that a per-image extent (a layer's output, a weight, a convolution's c*r*s) stays
 * within what one tensor may hold, so every product of per-image sizes fits an int and only
 * the batch dimension is left for planning to check. */
static ampcl_status extent_fits(const char *layer, const char *what, int a, int b, int c, int d)
{
	int dims[4] = {a, b, c, d};
	size_t n;
	if (ampcl_size_product(dims, 4, &n) && n <= AMPCL_MAX_TENSOR_FLOATS)
		return AMPCL_OK;
	return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
			       "layer '%s': its %s (%d x %d x %d x %d) would hold %.0f floats, "
			       "more than the %zu that one tensor may; use a smaller --width or "
			       "image size",
			       layer, what, a, b, c, d, (double)a * b * c * d,
			       AMPCL_MAX_TENSOR_FLOATS);
}

ampcl_status ampcl_net_create(ampcl_context_t *ctx, int channels, int height, int width,
			      ampcl_net_t **out)
{
	*out = NULL;
	if (channels < 1 || height < 1 || width < 1)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "net input %dx%dx%d: every extent must be >= 1", channels,
				       height, width);
	ampcl_status st = extent_fits("input", "image", 1, channels, height, width);
	if (st)
		return st;
	struct ampcl_net *net = ampcl_xcalloc(1, sizeof(*net));
	net->ctx = ctx;
	net->layers = ampcl_xcalloc(AMPCL_NET_MAX_LAYERS, sizeof(*net->layers));
	struct ampcl_layer *in = &net->layers[net->nlayers++];
	in->type = AMPCL_LAYER_INPUT;
	snprintf(in->name, sizeof(in->name), "input");
	in->c = channels, in->h = height, in->w = width;
	in->in[0] = in->in[1] = -1;
	net->sgd = (struct ampcl_sgd_config){0.9f, 5e-4f, 0};
	net->amp_factor = 1.0f;
	*out = net;
	return AMPCL_OK;
}

void ampcl_net_free(ampcl_net_t *net)
{
	if (!net)
		return;
	if (net->labels) {
		ampcl_context_forget_buffer(net->ctx, net->labels);
		clReleaseMemObject(net->labels);
	}
	ampcl_arena_free(net->params);
	ampcl_arena_free(net->grads);
	ampcl_arena_free(net->momentum);
	ampcl_arena_free(net->running);
	ampcl_arena_free(net->acts);
	ampcl_arena_free(net->scratch);
	free(net->layers);
	free(net->tensors);
	free(net);
}

/* Appends a layer after checking what every builder must: not finalized, a fresh name, valid
 * inputs. Returns its id or a negative status. */
static int new_layer(struct ampcl_net *net, enum ampcl_layer_type type, const char *name, int a,
		     int b, int nin)
{
	if (net->finalized)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "layer '%s': the net is finalized; add layers before "
				       "ampcl_net_finalize",
				       name ? name : "");
	if (!name || !*name || strlen(name) >= sizeof(net->layers[0].name))
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG, "a %s layer needs a name of 1 to %zu characters",
		    ampcl_layer_type_name(type), sizeof(net->layers[0].name) - 1);
	if (net->nlayers >= AMPCL_NET_MAX_LAYERS)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "layer '%s': more than %d layers",
				       name, AMPCL_NET_MAX_LAYERS);
	for (int i = 0; i < net->nlayers; i++)
		if (!strcmp(net->layers[i].name, name))
			return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
					       "layer name '%s' is used twice", name);
	int ins[2] = {a, b};
	for (int i = 0; i < nin; i++)
		if (ins[i] < 0 || ins[i] >= net->nlayers)
			return ampcl_error_set(
			    AMPCL_ERR_INVALID_ARG,
			    "layer '%s': input %d is not a layer built before it "
			    "(0..%d)",
			    name, ins[i], net->nlayers - 1);
	struct ampcl_layer *L = &net->layers[net->nlayers];
	memset(L, 0, sizeof(*L));
	L->type = type;
	snprintf(L->name, sizeof(L->name), "%s", name);
	L->in[0] = a, L->in[1] = nin > 1 ? b : -1, L->nin = nin;
	L->weight = L->bias_t = L->gamma = L->beta_t = L->run_mean = L->run_var = -1;
	const struct ampcl_layer *src = &net->layers[a];
	L->c = src->c, L->h = src->h, L->w = src->w;
	return net->nlayers;
}

/* A tensor of layer called "LAYER.suffix", or name when one is given (at most 127 characters:
 * the builders check). */
static int add_named_tensor(struct ampcl_net *net, int layer, const char *suffix, const char *name,
			    int trainable)
{
	net->tensors =
	    ampcl_xrealloc(net->tensors, (size_t)(net->ntensors + 1) * sizeof(*net->tensors));
	struct ampcl_net_tensor *t = &net->tensors[net->ntensors];
	memset(t, 0, sizeof(*t));
	if (name)
		snprintf(t->name, sizeof(t->name), "%s", name);
	else
		snprintf(t->name, sizeof(t->name), "%s.%s", net->layers[layer].name, suffix);
	t->layer = layer;
	t->trainable = trainable;
	return net->ntensors++;
}

static int add_tensor(struct ampcl_net *net, int layer, const char *suffix, int trainable)
{
	return add_named_tensor(net, layer, suffix, NULL, trainable);
}

static int build_conv2d(ampcl_net_t *net, const char *name, int input, int out_channels, int kernel,
		     int stride, int pad, int bias)
{
	int id = new_layer(net, AMPCL_LAYER_CONV, name, input, -1, 1);
	if (id < 0)
		return id;
	struct ampcl_layer *L = &net->layers[id];
	/* the bounds keep the padded extents below in an int */
	if (out_channels < 1 || kernel < 1 || kernel > MAX_WINDOW || stride < 1 ||
	    stride > MAX_WINDOW || pad < 0 || pad > MAX_WINDOW)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "conv '%s': out_channels %d, kernel %d, stride %d, pad %d "
				       "(need >= 1, 1..%d, 1..%d, 0..%d)",
				       name, out_channels, kernel, stride, pad, MAX_WINDOW,
				       MAX_WINDOW, MAX_WINDOW);
	int p = (L->h + 2 * pad - kernel) / stride + 1, q = (L->w + 2 * pad - kernel) / stride + 1;
	if (L->h + 2 * pad < kernel || L->w + 2 * pad < kernel)
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "conv '%s': a %dx%d kernel does not fit the padded %dx%d input", name, kernel,
		    kernel, L->h + 2 * pad, L->w + 2 * pad);
	ampcl_status st;
	if ((st = extent_fits(name, "output per image", 1, out_channels, p, q)) ||
	    (st = extent_fits(name, "weight", out_channels, L->c, kernel, kernel)))
		return st;
	L->kernel = kernel, L->stride = stride, L->pad = pad, L->bias = !!bias;
	L->c = out_channels, L->h = p, L->w = q;
	net->nlayers++;
	L->weight = add_tensor(net, id, "weight", 1);
	if (bias)
		L->bias_t = add_tensor(net, id, "bias", 1);
	return id;
}

static int build_batchnorm(ampcl_net_t *net, const char *name, int input)
{
	int id = new_layer(net, AMPCL_LAYER_BN, name, input, -1, 1);
	if (id < 0)
		return id;
	struct ampcl_layer *L = &net->layers[id];
	net->nlayers++;
	L->gamma = add_tensor(net, id, "weight", 1);
	L->beta_t = add_tensor(net, id, "bias", 1);
	L->run_mean = add_tensor(net, id, "running_mean", 0);
	L->run_var = add_tensor(net, id, "running_var", 0);
	return id;
}

static int build_relu(ampcl_net_t *net, const char *name, int input)
{
	int id = new_layer(net, AMPCL_LAYER_RELU, name, input, -1, 1);
	if (id >= 0)
		net->nlayers++;
	return id;
}

static int build_maxpool2(ampcl_net_t *net, const char *name, int input)
{
	int id = new_layer(net, AMPCL_LAYER_MAXPOOL, name, input, -1, 1);
	if (id < 0)
		return id;
	struct ampcl_layer *L = &net->layers[id];
	if (L->h < 2 || L->w < 2)
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "maxpool '%s': its %dx%d input is smaller than the 2x2 window", name, L->h,
		    L->w);
	L->h /= 2, L->w /= 2;
	net->nlayers++;
	return id;
}

static int build_avgpool(ampcl_net_t *net, const char *name, int input)
{
	int id = new_layer(net, AMPCL_LAYER_AVGPOOL, name, input, -1, 1);
	if (id < 0)
		return id;
	net->layers[id].h = net->layers[id].w = 1;
	net->nlayers++;
	return id;
}

static int build_linear(ampcl_net_t *net, const char *name, int input,
			const struct ampcl_linear_options *o)
{
	int id = new_layer(net, AMPCL_LAYER_LINEAR, name, input, -1, 1);
	if (id < 0)
		return id;
	if (o->out_features < 1)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "linear '%s': %d output features",
				       name, o->out_features);
	const char *names[2] = {o->weight_name, o->bias ? o->bias_name : NULL};
	for (int i = 0; i < 2; i++)
		if (names[i] && (!*names[i] || strlen(names[i]) >= sizeof(net->tensors[0].name)))
			return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
					       "linear '%s': a tensor name of 1 to %zu characters "
					       "('%.40s...' has %zu)",
					       name, sizeof(net->tensors[0].name) - 1, names[i],
					       strlen(names[i]));
	struct ampcl_layer *L = &net->layers[id];
	ampcl_status st = extent_fits(name, "weight", o->out_features, L->c, L->h, L->w);
	if (st)
		return st;
	L->bias = !!o->bias;
	L->w_in_out = !!o->w_in_out;
	L->out_features = o->out_features;
	L->c = o->out_features, L->h = L->w = 1;
	net->nlayers++;
	L->weight = add_named_tensor(net, id, "weight", names[0], 1);
	if (o->bias)
		L->bias_t = add_named_tensor(net, id, "bias", names[1], 1);
	return id;
}

static int build_add(ampcl_net_t *net, const char *name, int a, int b)
{
	int id = new_layer(net, AMPCL_LAYER_ADD, name, a, b, 2);
	if (id < 0)
		return id;
	const struct ampcl_layer *A = &net->layers[a], *B = &net->layers[b];
	if (A->c != B->c || A->h != B->h || A->w != B->w)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "add '%s': '%s' is %dx%dx%d but '%s' is %dx%dx%d", name,
				       A->name, A->c, A->h, A->w, B->name, B->c, B->h, B->w);
	net->nlayers++;
	return id;
}

static int build_concat(ampcl_net_t *net, const char *name, int a, int b)
{
	int id = new_layer(net, AMPCL_LAYER_CONCAT, name, a, b, 2);
	if (id < 0)
		return id;
	const struct ampcl_layer *A = &net->layers[a], *B = &net->layers[b];
	if (A->h != B->h || A->w != B->w)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "concat '%s': '%s' is %dx%d but '%s' is %dx%d", name, A->name,
				       A->h, A->w, B->name, B->h, B->w);
	ampcl_status st = extent_fits(name, "output per image", 1, A->c + B->c, A->h, A->w);
	if (st)
		return st;
	net->layers[id].c = A->c + B->c;
	net->nlayers++;
	return id;
}

static int build_slice(ampcl_net_t *net, const char *name, int input, int start, int channels)
{
	int id = new_layer(net, AMPCL_LAYER_SLICE, name, input, -1, 1);
	if (id < 0)
		return id;
	struct ampcl_layer *L = &net->layers[id];
	if (start < 0 || channels < 1 || start > L->c - channels)
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "slice '%s': channels %d..%d of '%s''s %d (need 0 <= start < "
		    "end <= %d)",
		    name, start, start + channels, net->layers[input].name, L->c, L->c);
	L->slice_start = start;
	L->c = channels;
	net->nlayers++;
	return id;
}

static int build_conv_general(ampcl_net_t *net, const char *name, int input,
			      const struct ampcl_conv2d_options *o)
{
	int id = new_layer(net, AMPCL_LAYER_CONV_GENERAL, name, input, -1, 1);
	if (id < 0)
		return id;
	struct ampcl_layer *L = &net->layers[id];
	struct ampcl_gconv_shape g = {1,	L->c,	     L->h,	     L->w,	       o->out_channels,
				      o->kernel_h,  o->kernel_w,   o->stride_h,  o->stride_w,
				      o->pad_top,   o->pad_left,   o->pad_bottom, o->pad_right,
				      o->dilation_h, o->dilation_w, o->groups};
	int ok = g.k >= 1 && g.groups >= 1 && g.c % g.groups == 0 && g.k % g.groups == 0 &&
		 g.kh >= 1 && g.kw >= 1 && g.kh <= MAX_WINDOW && g.kw <= MAX_WINDOW && g.sh >= 1 &&
		 g.sw >= 1 && g.sh <= MAX_WINDOW && g.sw <= MAX_WINDOW && g.dh >= 1 && g.dw >= 1 &&
		 g.dh <= MAX_WINDOW && g.dw <= MAX_WINDOW && g.pt >= 0 && g.pl >= 0 && g.pb >= 0 &&
		 g.pr >= 0 && g.pt <= MAX_WINDOW && g.pl <= MAX_WINDOW && g.pb <= MAX_WINDOW &&
		 g.pr <= MAX_WINDOW;
	int p = ok ? ampcl_gconv_out_h(&g) : 0, q = ok ? ampcl_gconv_out_w(&g) : 0;
	if (!ok || p < 1 || q < 1)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "conv '%s': %d outputs, kernel %dx%d, strides %dx%d, pads %d "
				       "%d %d %d, dilation %dx%d, groups %d on a %dx%dx%d input give "
				       "no output (groups must divide %d and the outputs; each at "
				       "most %d)",
				       name, g.k, g.kh, g.kw, g.sh, g.sw, g.pt, g.pl, g.pb, g.pr, g.dh,
				       g.dw, g.groups, L->c, L->h, L->w, L->c, MAX_WINDOW);
	ampcl_status st;
	if ((st = extent_fits(name, "output per image", 1, g.k, p, q)) ||
	    (st = extent_fits(name, "weight", g.k, g.c / g.groups, g.kh, g.kw)))
		return st;
	L->gconv = g;
	L->bias = !!o->bias;
	L->c = g.k, L->h = p, L->w = q;
	net->nlayers++;
	L->weight = add_tensor(net, id, "weight", 1);
	if (o->bias)
		L->bias_t = add_tensor(net, id, "bias", 1);
	return id;
}

static int build_pool(ampcl_net_t *net, const char *name, int input, int average,
		      const struct ampcl_pool2d_options *o)
{
	int id = new_layer(net, AMPCL_LAYER_POOL_GENERAL, name, input, -1, 1);
	if (id < 0)
		return id;
	struct ampcl_layer *L = &net->layers[id];
	struct ampcl_gpool_shape g = {1,	     L->c,	  L->h,		 L->w,
				      o->kernel_h,   o->kernel_w, o->stride_h,	 o->stride_w,
				      o->pad_top,    o->pad_left, o->pad_bottom, o->pad_right,
				      !!o->ceil_mode, !!o->count_include_pad};
	int ok = g.kh >= 1 && g.kw >= 1 && g.kh <= MAX_WINDOW && g.kw <= MAX_WINDOW && g.sh >= 1 &&
		 g.sw >= 1 && g.sh <= MAX_WINDOW && g.sw <= MAX_WINDOW && g.pt >= 0 && g.pl >= 0 &&
		 g.pb >= 0 && g.pr >= 0 && g.pt < g.kh && g.pb < g.kh && g.pl < g.kw &&
		 g.pr < g.kw;
	int p = ok ? ampcl_gpool_out_h(&g) : 0, q = ok ? ampcl_gpool_out_w(&g) : 0;
	if (!ok || p < 1 || q < 1)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "%s pool '%s': window %dx%d, strides %dx%d, pads %d %d %d %d "
				       "on a %dx%d input give no output (each pad must be smaller "
				       "than the window)",
				       average ? "average" : "max", name, g.kh, g.kw, g.sh, g.sw, g.pt,
				       g.pl, g.pb, g.pr, L->h, L->w);
	L->gpool = g;
	L->average = !!average;
	L->h = p, L->w = q;
	net->nlayers++;
	return id;
}

static int build_dropout(ampcl_net_t *net, const char *name, int input, float ratio)
{
	int id = new_layer(net, AMPCL_LAYER_DROPOUT, name, input, -1, 1);
	if (id < 0)
		return id;
	if (!(ratio >= 0.0f && ratio < 1.0f))
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "dropout '%s': ratio %g (need 0 <= ratio < 1)", name, ratio);
	net->layers[id].ratio = ratio;
	net->nlayers++;
	return id;
}

static int build_clip(ampcl_net_t *net, const char *name, int input, float lo, float hi)
{
	int id = new_layer(net, AMPCL_LAYER_CLIP, name, input, -1, 1);
	if (id < 0)
		return id;
	if (!isfinite(lo) || !isfinite(hi) || !(lo < hi))
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "clip '%s': bounds %g and %g (need finite lo < hi)", name, lo,
				       hi);
	net->layers[id].lo = lo, net->layers[id].hi = hi;
	net->nlayers++;
	return id;
}

/* The public builders: the layer's id through *layer, the status returned. */
static ampcl_status built(int id, int *layer)
{
	if (id < 0)
		return (ampcl_status)id;
	if (layer)
		*layer = id;
	return AMPCL_OK;
}

ampcl_status ampcl_net_conv2d(ampcl_net_t *net, const char *name, int input, int out_channels,
			      int kernel, int stride, int pad, int bias, int *layer)
{
	return built(build_conv2d(net, name, input, out_channels, kernel, stride, pad, bias), layer);
}

ampcl_status ampcl_net_batchnorm(ampcl_net_t *net, const char *name, int input, int *layer)
{
	return built(build_batchnorm(net, name, input), layer);
}

ampcl_status ampcl_net_relu(ampcl_net_t *net, const char *name, int input, int *layer)
{
	return built(build_relu(net, name, input), layer);
}

ampcl_status ampcl_net_maxpool2(ampcl_net_t *net, const char *name, int input, int *layer)
{
	return built(build_maxpool2(net, name, input), layer);
}

ampcl_status ampcl_net_avgpool(ampcl_net_t *net, const char *name, int input, int *layer)
{
	return built(build_avgpool(net, name, input), layer);
}

ampcl_status ampcl_net_linear(ampcl_net_t *net, const char *name, int input, int out_features,
			      int bias, int *layer)
{
	struct ampcl_linear_options o = {out_features, bias, 0, NULL, NULL};
	return built(build_linear(net, name, input, &o), layer);
}

ampcl_status ampcl_net_linear_general(ampcl_net_t *net, const char *name, int input,
				      const struct ampcl_linear_options *opt, int *layer)
{
	return built(build_linear(net, name, input, opt), layer);
}

ampcl_status ampcl_net_add(ampcl_net_t *net, const char *name, int a, int b, int *layer)
{
	return built(build_add(net, name, a, b), layer);
}

ampcl_status ampcl_net_conv2d_general(ampcl_net_t *net, const char *name, int input,
				      const struct ampcl_conv2d_options *opt, int *layer)
{
	return built(build_conv_general(net, name, input, opt), layer);
}

ampcl_status ampcl_net_pool2d(ampcl_net_t *net, const char *name, int input, int average,
			      const struct ampcl_pool2d_options *opt, int *layer)
{
	return built(build_pool(net, name, input, average, opt), layer);
}

ampcl_status ampcl_net_dropout(ampcl_net_t *net, const char *name, int input, float ratio,
			       int *layer)
{
	return built(build_dropout(net, name, input, ratio), layer);
}

void ampcl_net_set_dropout_step(struct ampcl_net *net, unsigned step, unsigned rank)
{
	net->drop_step = step, net->drop_rank = rank;
}

ampcl_status ampcl_net_concat(ampcl_net_t *net, const char *name, int a, int b, int *layer)
{
	return built(build_concat(net, name, a, b), layer);
}

ampcl_status ampcl_net_slice(ampcl_net_t *net, const char *name, int input, int start, int channels,
			     int *layer)
{
	return built(build_slice(net, name, input, start, channels), layer);
}

ampcl_status ampcl_net_clip(ampcl_net_t *net, const char *name, int input, float lo, float hi,
			    int *layer)
{
	return built(build_clip(net, name, input, lo, hi), layer);
}

/* The shape of a net tensor, from its layer. */
static int tensor_shape(const struct ampcl_net *net, const struct ampcl_net_tensor *t, int *shape)
{
	const struct ampcl_layer *L = &net->layers[t->layer];
	const struct ampcl_layer *in = &net->layers[L->in[0]];
	int is_weight = t - net->tensors == L->weight;
	if (L->type == AMPCL_LAYER_CONV && is_weight) {
		shape[0] = L->c, shape[1] = in->c, shape[2] = shape[3] = L->kernel;
		return 4;
	}
	if (L->type == AMPCL_LAYER_CONV_GENERAL && is_weight) {
		const struct ampcl_gconv_shape *g = &L->gconv;
		shape[0] = L->c, shape[1] = in->c / g->groups, shape[2] = g->kh, shape[3] = g->kw;
		return 4;
	}
	if (L->type == AMPCL_LAYER_LINEAR && is_weight) {
		shape[0] = L->out_features, shape[1] = in->c * in->h * in->w;
		if (L->w_in_out) /* (in, out), as ONNX's MatMul holds it */
			shape[0] = in->c * in->h * in->w, shape[1] = L->out_features;
		return 2;
	}
	shape[0] = L->c; /* biases, BN weights and statistics */
	return 1;
}

struct ampcl_tensor ampcl_net_batch_view(const struct ampcl_tensor *t, int n)
{
	struct ampcl_tensor v = *t;
	v.shape[0] = n;
	return v;
}

struct ampcl_tensor ampcl_net_momentum_view(const struct ampcl_net *net, int i)
{
	struct ampcl_tensor v = net->tensors[i].value;
	v.arena = net->momentum;
	return v;
}

/* Only for unchunked arenas (parameters, gradients, optimizer state, statistics). */
struct ampcl_tensor ampcl_net_arena_view(struct ampcl_arena *arena)
{
	struct ampcl_tensor v = {.arena = arena, .offset = 0, .ndim = 1};
	v.shape[0] = (int)(ampcl_round_up(arena->size, sizeof(float)) / sizeof(float));
	return v;
}

/* PyTorch's defaults: kaiming_uniform_(a=sqrt(5)) for conv/linear weights, i.e.
 * U(+-1/sqrt(fan_in)), biases U(+-1/sqrt(fan_in)); BN weight 1, bias 0, running mean 0, running
 * variance 1. */
static ampcl_status init_params(struct ampcl_net *net, unsigned long long seed)
{
	uint64_t state = seed * 0x2545f4914f6cdd1dULL + 1;
	for (int i = 0; i < net->ntensors; i++) {
		struct ampcl_net_tensor *t = &net->tensors[i];
		const struct ampcl_layer *L = &net->layers[t->layer];
		const struct ampcl_layer *in = &net->layers[L->in[0]];
		size_t n = ampcl_tensor_count(&t->value);
		float *v = ampcl_xmalloc(n * sizeof(float));
		if (L->type == AMPCL_LAYER_BN) {
			const char *suffix = strrchr(t->name, '.') + 1; /* BN's names are LAYER.x */
			float value = !strcmp(suffix, "weight") || !strcmp(suffix, "running_var");
			for (size_t k = 0; k < n; k++)
				v[k] = value;
		} else {
			const struct ampcl_gconv_shape *g = &L->gconv;
			double fan_in = L->type == AMPCL_LAYER_CONV
					    ? (double)in->c * L->kernel * L->kernel
					: L->type == AMPCL_LAYER_CONV_GENERAL
					    ? (double)(in->c / g->groups) * g->kh * g->kw
					    : (double)in->c * in->h * in->w;
			double bound = 1.0 / sqrt(fan_in);
			for (size_t k = 0; k < n; k++) {
				double u = ampcl_uniform01(&state);
				v[k] = (float)((2.0 * u - 1.0) * bound);
			}
		}
		ampcl_status st = ampcl_tensor_write(net->ctx, &t->value, v);
		free(v);
		if (st)
			return st;
	}
	return AMPCL_OK;
}

/* Which ReLUs run inside the layer before them: an in-place ReLU right after a BN or an add
 * (the only reader of that output), unless AMPCL_FUSE=off. Right after, so no layer between the
 * two touches the gradient the fused backward reads from the ReLU (net_step.c). */
static void plan_fusion(struct ampcl_net *net)
{
	for (int i = 0; i < net->nlayers; i++)
		net->layers[i].fused_relu = net->layers[i].fused_into = 0;
	for (int i = 2; i < net->nlayers; i++) {
		struct ampcl_layer *R = &net->layers[i], *A = &net->layers[i - 1];
		if (net->ctx->profile.no_fuse || R->type != AMPCL_LAYER_RELU || !R->inplace ||
		    R->in[0] != i - 1 || (A->type != AMPCL_LAYER_BN && A->type != AMPCL_LAYER_ADD))
			continue;
		A->fused_relu = i;
		R->fused_into = i - 1;
	}
}

static ampcl_status plan(struct ampcl_net *net)
{
	ampcl_status st;
	int shape[4];
	/* weight files and checkpoints find tensors by name: a name given twice (a linear layer's
	 * own names, another layer's LAYER.weight) would be one tensor there */
	for (int i = 0; i < net->ntensors; i++)
		for (int j = 0; j < i; j++)
			if (!strcmp(net->tensors[i].name, net->tensors[j].name))
				return ampcl_error_set(
				    AMPCL_ERR_INVALID_ARG,
				    "tensor name '%s' is used twice (layers '%s' "
				    "and '%s')",
				    net->tensors[i].name, net->layers[net->tensors[j].layer].name,
				    net->layers[net->tensors[i].layer].name);
	for (int i = 0; i < net->ntensors; i++) {
		struct ampcl_net_tensor *t = &net->tensors[i];
		int nd = tensor_shape(net, t, shape);
		if (t->trainable) {
			/* params, grads and momentum share one layout: one SGD launch covers all */
			struct ampcl_tensor m;
			if ((st =
				 ampcl_arena_reserve(net->params, t->name, nd, shape, &t->value)) ||
			    (st = ampcl_arena_reserve(net->grads, t->name, nd, shape, &t->grad)) ||
			    (st = ampcl_arena_reserve(net->momentum, t->name, nd, shape, &m)))
				return st;
		} else if ((st =
				ampcl_arena_reserve(net->running, t->name, nd, shape, &t->value))) {
			return st;
		}
	}
	/* one launch of the optimizer spans each of these arenas whole */
	struct ampcl_arena *whole[] = {net->params, net->running};
	for (size_t i = 0; i < sizeof(whole) / sizeof(whole[0]); i++)
		if (whole[i]->size / sizeof(float) > AMPCL_MAX_TENSOR_FLOATS)
			return ampcl_error_set(
			    AMPCL_ERR_OUT_OF_DEVICE_MEMORY,
			    "the %s take %zu floats, more than the %zu that one launch indexes; "
			    "use a smaller --width",
			    whole[i]->role, whole[i]->size / sizeof(float), AMPCL_MAX_TENSOR_FLOATS);
	/* the convolution scratch within one allocation (a device's can be smaller) */
	size_t scratch = 0, budget = CONV_SCRATCH_BYTES;
	if (budget > net->ctx->caps.desc.max_alloc_bytes)
		budget = (size_t)net->ctx->caps.desc.max_alloc_bytes;
	for (int i = 0; i < net->nlayers; i++) {
		struct ampcl_layer *L = &net->layers[i];
		const struct ampcl_layer *in = L->in[0] >= 0 ? &net->layers[L->in[0]] : NULL;
		int act[4] = {net->max_batch, L->c, L->h, L->w};
		char name[128];
		L->inplace = L->type == AMPCL_LAYER_RELU && in->type != AMPCL_LAYER_INPUT &&
			     in->consumers == 1;
		if (L->inplace) {
			L->y = in->y;
		} else {
			snprintf(name, sizeof(name), "%s (output)", L->name);
			if ((st = ampcl_arena_reserve(net->acts, name, 4, act, &L->y)))
				return st;
		}
		if (L->type == AMPCL_LAYER_BN &&
		    ((st = ampcl_arena_reserve(net->acts, "bn mean", 1, &L->c, &L->save_mean)) ||
		     (st = ampcl_arena_reserve(net->acts, "bn invstd", 1, &L->c, &L->save_invstd))))
			return st;
		if (L->type == AMPCL_LAYER_CONV) {
			struct ampcl_conv2d_shape s = {net->max_batch, in->c,     in->h,
						       in->w,          L->c,      L->kernel,
						       L->kernel,      L->stride, L->pad};
			size_t one = ampcl_conv2d_scratch_floats(&s, 1);
			size_t images = budget / sizeof(float) / one;
			images = images < 1                        ? 1
				 : images > (size_t)net->max_batch ? (size_t)net->max_batch
								   : images;
			size_t need = ampcl_conv2d_scratch_floats(&s, (int)images);
			scratch = need > scratch ? need : scratch;
		}
	}
	plan_fusion(net);
	if ((st = ampcl_net_plan_output_grads(net)))
		return st;
	/* the op workspace: the largest any layer's call takes (BN partial sums, split-k
	 * products), planned here so that a step creates no buffer */
	size_t work = 1;
	for (int i = 1; i < net->nlayers; i++) {
		const struct ampcl_layer *L = &net->layers[i];
		const struct ampcl_layer *in = &net->layers[L->in[0]];
		size_t need = 0;
		if (L->type == AMPCL_LAYER_BN) {
			struct ampcl_bn_shape bs = {net->max_batch, L->c, L->h * L->w};
			if ((st = ampcl_bn_workspace_floats(net->ctx, &bs, &need)))
				return st;
		} else if (L->type == AMPCL_LAYER_CONV) {
			struct ampcl_conv2d_shape cs = {net->max_batch, in->c,     in->h,
							in->w,          L->c,      L->kernel,
							L->kernel,      L->stride, L->pad};
			need = ampcl_conv2d_workspace_floats(net->ctx, &cs, scratch);
		} else if (L->type == AMPCL_LAYER_LINEAR) {
			need = ampcl_linear_workspace_floats(
			    net->ctx, net->max_batch, in->c * in->h * in->w, L->c, L->w_in_out);
		}
		work = need > work ? need : work;
	}
	if ((st = ampcl_arena_reserve_floats(net->scratch, "convolution scratch",
					     scratch ? scratch : 1, &net->conv_scratch)) ||
	    (st = ampcl_arena_reserve_floats(net->scratch, "loss statistics", 2, &net->stats)) ||
	    (st = ampcl_arena_reserve_floats(net->scratch, "gradient norms", (size_t)net->nlayers,
					     &net->norms)) ||
	    (st = ampcl_arena_reserve_floats(net->scratch, "op workspace", work, &net->workspace)))
		return st;
	return AMPCL_OK;
}

/* Releases what a failed finalize allocated: arenas, labels, the planned views. */
void ampcl_net_unfinalize(struct ampcl_net *net)
{
	if (net->labels) {
		ampcl_context_forget_buffer(net->ctx, net->labels);
		clReleaseMemObject(net->labels);
	}
	net->labels = NULL;
	struct ampcl_arena **all[] = {&net->params,  &net->grads, &net->momentum,
				      &net->running, &net->acts,  &net->scratch};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		ampcl_arena_free(*all[i]);
		*all[i] = NULL;
	}
	for (int i = 0; i < net->nlayers; i++) {
		struct ampcl_layer *L = &net->layers[i];
		L->inplace = L->fused_relu = L->fused_into = 0;
		memset(&L->y, 0, sizeof(L->y));
		memset(&L->dy, 0, sizeof(L->dy));
		memset(&L->amp_tmp, 0, sizeof(L->amp_tmp));
	}
	net->max_batch = 0;
}

ampcl_status ampcl_net_plan(struct ampcl_net *net, int max_batch)
{
	if (net->finalized || net->params)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "the net is already finalized or planned");
	if (max_batch < 1)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "batch size %d: must be >= 1",
				       max_batch);
	if (net->nlayers < 2)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "the net has no layers");
	const struct ampcl_layer *last = &net->layers[net->nlayers - 1];
	if ((last->h != 1 || last->w != 1) && !net->any_output)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "the last layer '%s' gives %dx%dx%d per image; the logits "
				       "must be one vector (end with linear or avgpool)",
				       last->name, last->c, last->h, last->w);
	for (int i = 0; i < net->nlayers; i++)
		net->layers[i].consumers =
		    0; /* counted afresh: a retry after a failure counts once */
	for (int i = 1; i < net->nlayers; i++)
		for (int k = 0; k < net->layers[i].nin; k++)
			net->layers[net->layers[i].in[k]].consumers++;
	net->max_batch = max_batch;
	net->params = ampcl_arena_create("parameters");
	net->grads = ampcl_arena_create("gradients");
	net->momentum = ampcl_arena_create("optimizer state");
	net->running = ampcl_arena_create("BN running statistics");
	net->acts = ampcl_arena_create("activations");
	/* activations may outgrow one allocation (PoCL allows 1 GiB): several buffers then */
	ampcl_arena_set_chunk_limit(net->acts, (size_t)net->ctx->caps.desc.max_alloc_bytes);
	net->scratch = ampcl_arena_create("scratch");
	/* the convolution scratch and the op workspace each fill up to one allocation */
	ampcl_arena_set_chunk_limit(net->scratch, (size_t)net->ctx->caps.desc.max_alloc_bytes);
	ampcl_status st = plan(net);
	if (st)
		ampcl_net_unfinalize(net);
	return st;
}

/* Whether a plan for `batch` passes what planning and the allocation checks before any buffer
 * refuse: the kernels' indexing, the device's largest allocation and its memory (all arenas
 * together). The net is left unplanned. */
static int batch_fits(struct ampcl_net *net, int batch)
{
	if (ampcl_net_plan(net, batch))
		return 0;
	const struct ampcl_device_desc *d = &net->ctx->caps.desc;
	struct ampcl_arena *all[] = {net->params,  net->grads, net->momentum,
				     net->running, net->acts,  net->scratch};
	size_t total = 0;
	int fits = 1;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		for (int c = 0; c < all[i]->nchunks; c++)
			fits &= all[i]->chunk_size[c] <= d->max_alloc_bytes;
		fits &= ampcl_size_add(total, all[i]->size, &total);
	}
	fits &= total <= d->global_mem_bytes;
	ampcl_net_unfinalize(net);
	return fits;
}

/* After a batch of `refused` did not fit: adds to the message the largest batch that does (by
 * bisection over plans, which allocate nothing), or that not even one image does. */
static ampcl_status name_largest_batch(struct ampcl_net *net, int refused, ampcl_status st)
{
	char *why = ampcl_xstrdup(ampcl_last_error());
	int lo = 0, hi = refused; /* batch lo fits (0: none known), hi does not */
	while (hi - lo > 1) {
		int mid = lo + (hi - lo) / 2;
		if (batch_fits(net, mid))
			lo = mid;
		else
			hi = mid;
	}
	if (lo > 0)
		ampcl_error_set(st, "%s (the largest --batch this net fits on %s is %d)", why,
				net->ctx->caps.desc.name, lo);
	else
		ampcl_error_set(st, "%s (not even --batch 1 fits on %s: use a smaller --width)",
				why, net->ctx->caps.desc.name);
	free(why);
	return st;
}

ampcl_status ampcl_net_finalize(ampcl_net_t *net, int max_batch, unsigned long long seed)
{
	if (net->finalized)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "the net is already finalized");
	ampcl_status st = ampcl_net_plan(net, max_batch);
	struct ampcl_arena *all[] = {net->params,  net->grads, net->momentum,
				     net->running, net->acts,  net->scratch};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]) && !st; i++)
		st = ampcl_arena_commit(net->ctx, all[i]);
	cl_int err = CL_SUCCESS;
	if (!st) {
		net->labels = clCreateBuffer(net->ctx->cl, CL_MEM_READ_ONLY,
					     (size_t)max_batch * sizeof(cl_int), NULL, &err);
		if (err != CL_SUCCESS)
			st = ampcl_error_set(AMPCL_ERR_OUT_OF_DEVICE_MEMORY,
					     "cannot allocate the labels of a batch of %d: %s",
					     max_batch, ampcl_cl_error_name(err));
		else
			ampcl_context_know_buffer(net->ctx, net->labels,
						  (size_t)max_batch * sizeof(cl_int));
	}
	if (!st)
		st = init_params(net, seed);
	net->seed = seed;

	if (st) {
		/* back to the state before the call, so a smaller batch can be tried */
		ampcl_net_unfinalize(net);
		if (st == AMPCL_ERR_OUT_OF_DEVICE_MEMORY)
			st = name_largest_batch(net, max_batch, st);
		return st;
	}
	net->finalized = 1;
	return AMPCL_OK;
}

int ampcl_net_layer_count(const ampcl_net_t *net)
{
	return net->nlayers;
}

const char *ampcl_net_layer_name(const ampcl_net_t *net, int layer)
{
	return layer >= 0 && layer < net->nlayers ? net->layers[layer].name : NULL;
}

enum ampcl_layer_type ampcl_net_layer_type(const ampcl_net_t *net, int layer)
{
	return layer >= 0 && layer < net->nlayers ? net->layers[layer].type : AMPCL_LAYER_INPUT;
}

size_t ampcl_net_param_count(const ampcl_net_t *net)
{
	size_t n = 0;
	int shape[4];
	for (int i = 0; i < net->ntensors; i++) {
		if (!net->tensors[i].trainable)
			continue;
		int nd = tensor_shape(net, &net->tensors[i], shape);
		size_t c = 1;
		for (int d = 0; d < nd; d++)
			c *= (size_t)shape[d];
		n += c;
	}
	return n;
}

void ampcl_net_allow_any_output(struct ampcl_net *net)
{
	net->any_output = 1;
}

ampcl_status ampcl_net_layer_shape(const ampcl_net_t *net, int layer, int *channels, int *height,
				   int *width)
{
	if (layer < 0 || layer >= net->nlayers)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "layer %d of %d", layer, net->nlayers);
	const struct ampcl_layer *L = &net->layers[layer];
	*channels = L->c, *height = L->h, *width = L->w;
	return AMPCL_OK;
}

int ampcl_net_tensor_count(const ampcl_net_t *net)
{
	return net->ntensors;
}

static ampcl_status check_tensor(const ampcl_net_t *net, int i, const char *what)
{
	if (i < 0 || i >= net->ntensors)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "%s: tensor %d of %d", what, i,
				       net->ntensors);
	if (!net->finalized)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "%s: finalize the net first", what);
	return AMPCL_OK;
}

ampcl_status ampcl_net_tensor_info(const ampcl_net_t *net, int i, struct ampcl_tensor_info *info)
{
	if (i < 0 || i >= net->ntensors)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "tensor %d of %d", i, net->ntensors);
	const struct ampcl_net_tensor *t = &net->tensors[i];
	memset(info, 0, sizeof(*info));
	info->name = t->name;
	info->ndim = tensor_shape(net, t, info->shape);
	info->count = 1;
	for (int d = 0; d < info->ndim; d++)
		info->count *= (size_t)info->shape[d];
	info->trainable = t->trainable;
	return AMPCL_OK;
}

ampcl_status ampcl_net_tensor_read(ampcl_net_t *net, int i, float *dst)
{
	ampcl_status st = check_tensor(net, i, "reading a net tensor");
	return st ? st : ampcl_tensor_read(net->ctx, &net->tensors[i].value, dst);
}

ampcl_status ampcl_net_tensor_write(ampcl_net_t *net, int i, const float *src)
{
	ampcl_status st = check_tensor(net, i, "writing a net tensor");
	return st ? st : ampcl_tensor_write(net->ctx, &net->tensors[i].value, src);
}

ampcl_status ampcl_net_set_sgd(ampcl_net_t *net, const struct ampcl_sgd_config *cfg)
{
	if (!(cfg->momentum >= 0 && cfg->momentum < 1) || !(cfg->weight_decay >= 0) ||
	    (cfg->nesterov && cfg->momentum == 0))
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "SGD momentum %g (0 <= m < 1), weight decay %g (>= 0), "
				       "nesterov %d (needs momentum > 0)",
				       cfg->momentum, cfg->weight_decay, cfg->nesterov);
	net->sgd = *cfg;
	return AMPCL_OK;
}

ampcl_status ampcl_net_set_amplification(ampcl_net_t *net, const int *layers, int n, float factor,
					 int target)
{
	if (n > 0 && (!(factor > 0) || !isfinite(factor) || target < 1 || target > 3))
		return ampcl_error_set(
		    AMPCL_ERR_INVALID_ARG,
		    "amplification factor %g (must be > 0) or target %d (1 input, "
		    "2 params, 3 both)",
		    factor, target);
	for (int i = 0; i < n; i++)
		if (layers[i] < 1 || layers[i] >= net->nlayers)
			return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
					       "amplification: layer %d is not in the net (1..%d)",
					       layers[i], net->nlayers - 1);
	for (int i = 0; i < net->nlayers; i++)
		net->layers[i].amp_selected = 0;
	for (int i = 0; i < n; i++)
		net->layers[layers[i]].amp_selected = 1;
	net->amp_factor = factor;
	net->amp_target = target;
	return AMPCL_OK;
}
