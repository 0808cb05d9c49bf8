/* verify_shapes.c: which shapes `ampcl verify` checks each op at: odd ones (1, 3, 31, 33, 65,
 * strides and paddings the models never use) and every distinct layer shape of a model. */
#include "verify_ops.h"
#include "conv_implicit.h"
#include "error.h"
#include "gemm.h"
#include "kprof.h"

#include <math.h>
#include "net.h"

#include <stdio.h>
#include <string.h>

/* a layer check's key: its type and every number of its shape (layer_key) */
#define VF_KEY 256

/* An op that returned an error instead of a result (out of resources, a launch the driver
 * refused) is a failed check naming it and the message; the other checks go on. */
static ampcl_status ran(struct vf_run *v, const char *family, const char *what, ampcl_status st)
{
	if (!st)
		return AMPCL_OK;
	ampcl_kprof_discard(v->ctx);
	snprintf(v->path, sizeof(v->path), "%s: %s", ampcl_status_name(st), ampcl_last_error());
	vf_result(v, family, what, "did not run", NAN, 0, NAN, "the op returned an error");
	return AMPCL_OK;
}

/* The GEMM on the back end in effect, then, where that is CLBlast, on ampcl's own kernels too:
 * "auto" falls back to them when CLBlast cannot run a product here. */
static ampcl_status gemm_cases(struct vf_run *v, int quick)
{
	static const int shapes[][3] = {{1, 1, 1},     {3, 5, 7},   {33, 31, 65},
					{8, 16, 4099}, {65, 63, 1}, {129, 127, 257}};
	int nshapes = quick ? 4 : 6;
	int backends = !strcmp(ampcl_gemm_backend_name(v->ctx), "clblast") ? 2 : 1;
	ampcl_status st = AMPCL_OK;
	for (int b = 0; b < backends && !st; b++) {
		if (b == 1 && (st = ampcl_gemm_set_backend(v->ctx, "own")))
			return st;
		for (int i = 0; i < nshapes && !st; i++)
			for (int t = 0; t < 4 && !st; t++) {
				const int *s = shapes[i];
				/* alpha and beta vary with the transposes: every pair meets one */
				float alpha = t == 3 ? -0.5f : 1.0f, beta = (float)(t & 1);
				st = ran(
				    v, "gemm", "gemm",
				    vf_check_gemm(v, t >> 1, t & 1, s[0], s[1], s[2], alpha, beta));
			}
		if (b == 1) {
			ampcl_status st2 = ampcl_gemm_set_backend(v->ctx, "auto");
			st = st ? st : st2;
		}
	}
	return st;
}

/* Convolutions at odd shapes. */
static ampcl_status conv_odd(struct vf_run *v)
{
	/* n c h w k r s stride pad: a 3x3 on odd sizes, a strided 5x5 (col2im), a pointwise, a
	 * strided 3x3, 1x1 images, and rows of 16 at stride 1 (CPU vectorisers' dW by rows) */
	static const struct ampcl_conv2d_shape conv[] = {
	    {3, 3, 31, 33, 5, 3, 3, 1, 1}, {2, 5, 33, 31, 7, 5, 5, 2, 2},
	    {1, 33, 7, 7, 31, 1, 1, 1, 0}, {3, 4, 9, 9, 6, 3, 3, 2, 1},
	    {1, 1, 1, 1, 1, 1, 1, 1, 0},   {2, 3, 5, 16, 4, 3, 3, 1, 1},
	};
	ampcl_status st = AMPCL_OK;
	for (int i = 0; !st && i < (int)(sizeof(conv) / sizeof(conv[0])); i++)
		st = ran(v, "conv_backward", "conv2d",
			 vf_check_conv(v, &conv[i], i % 2 == 0, i != 4, (float)(i % 2)));
	return st;
}

/* The families ONNX models brought, at odd shapes: --quick takes the first two of each (both
 * betas), the full run all. */
static ampcl_status general_odd(struct vf_run *v, int quick)
{
	/* n c h w k kh kw sh sw pt pl pb pr dh dw groups: depthwise 3x3 (MobileNet's); 2 groups,
	 * 3x2, strides 2x1, pads per side, dilation 2x1; depthwise with 2 outputs a channel at
	 * stride 2; a dense 5x3; 1x1 */
	static const struct ampcl_gconv_shape gconv[] = {
	    {2, 6, 9, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 6},
	    {3, 4, 9, 8, 6, 3, 2, 2, 1, 0, 1, 1, 0, 2, 1, 2},
	    {2, 5, 11, 10, 10, 3, 3, 2, 2, 1, 1, 0, 1, 1, 1, 5},
	    {2, 3, 17, 15, 5, 5, 3, 1, 1, 2, 1, 2, 1, 1, 1, 1},
	    {1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1},
	};
	/* n c h w kh kw sh sw pt pl pb pr ceil_mode count_include_pad: the ImageNet stem's max;
	 * an average with ceil_mode counting the pads; overlapping 2x2 windows at stride 1; 3x2 at
	 * strides 2x1 with ceil_mode; a max with ceil_mode */
	static const struct ampcl_gpool_shape gpool[] = {
	    {2, 3, 9, 7, 3, 3, 2, 2, 1, 1, 1, 1, 0, 0}, {1, 2, 6, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},
	    {2, 3, 7, 6, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0}, {2, 2, 7, 5, 3, 2, 2, 1, 1, 0, 1, 0, 1, 0},
	    {1, 2, 5, 5, 3, 3, 2, 2, 0, 0, 0, 0, 1, 0},
	};
	static const int gpool_average[] = {0, 1, 0, 1, 0};
	int ng = quick ? 2 : 5;
	ampcl_status st = AMPCL_OK;
	for (int i = 0; !st && i < ng; i++)
		st = ran(v, "conv_general", "conv_general",
			 vf_check_gconv(v, &gconv[i], i % 2 == 0, i != 4, (float)(i % 2)));
	for (int i = 0; !st && i < ng; i++)
		st = ran(v, "pool_general", "pool_general",
			 vf_check_gpool(v, &gpool[i], gpool_average[i], (float)(i % 2)));
	if (!st)
		st = ran(v, "clip", "clip", vf_check_clip(v, 1031, 0.0f, 6.0f, 0));
	if (!st)
		st = ran(v, "clip", "clip", vf_check_clip(v, 33, -0.5f, 0.5f, 1));
	if (!st)
		st = ran(v, "concat", "concat", vf_check_concat(v, 3, 5, 2, 31, 0, 1));
	if (!st)
		st = ran(v, "concat", "concat", vf_check_concat(v, 1, 1, 1, 1, 1, 0));
	if (!st)
		st = ran(v, "slice", "slice", vf_check_slice(v, 3, 7, 3, 2, 33, 1));
	if (!st)
		st = ran(v, "slice", "slice", vf_check_slice(v, 1, 1, 1, 0, 1, 0));
	if (!st)
		st = ran(v, "dropout", "dropout", vf_check_dropout(v, 1031, 0.3f, 1, 7, 0));
	if (!st)
		st = ran(v, "dropout", "dropout", vf_check_dropout(v, 33, 0.0f, 0, 0, 1));
	if (!st && !quick)
		st = ran(v, "dropout", "dropout", vf_check_dropout(v, 65, 0.5f, 12345, 3, 1));
	return st;
}

ampcl_status vf_ops_odd(struct vf_run *v, int quick)
{
	ampcl_status st = gemm_cases(v, 1);
	if (!st)
		st = conv_odd(v);
	if (!st)
		st = ran(v, "linear", "linear", vf_check_linear(v, 3, 33, 31, 1, 0, 0));
	if (!st)
		st = ran(v, "linear", "linear", vf_check_linear(v, 1, 1, 1, 0, 0, 1));
	/* the weight held (in, out), ONNX's MatMul */
	if (!st)
		st = ran(v, "linear", "linear", vf_check_linear(v, 3, 33, 31, 1, 1, 1));
	if (!st)
		st = ran(v, "linear", "linear", vf_check_linear(v, 1, 1, 1, 0, 1, 0));
	if (!st)
		st = ran(v, "bn_forward", "bn", vf_check_bn(v, 3, 5, 31, 0));
	if (!st)
		st = ran(v, "bn_forward", "bn", vf_check_bn(v, 1, 7, 65, 1));
	if (!st)
		st = ran(v, "maxpool", "maxpool", vf_check_maxpool(v, 3, 5, 31, 33, 0));
	if (!st)
		st = ran(v, "maxpool", "maxpool", vf_check_maxpool(v, 1, 1, 2, 2, 1));
	if (!st)
		st = ran(v, "avgpool", "avgpool", vf_check_avgpool(v, 3, 5, 7, 9, 0));
	if (!st)
		st = ran(v, "avgpool", "avgpool", vf_check_avgpool(v, 1, 33, 1, 1, 1));
	if (!st)
		st = ran(v, "relu", "relu", vf_check_relu(v, 1, 0));
	if (!st)
		st = ran(v, "relu", "relu", vf_check_relu(v, 1031, 1));
	if (!st)
		st = ran(v, "add", "add", vf_check_add(v, 1, 1));
	if (!st)
		st = ran(v, "add", "add", vf_check_add(v, 1031, 0));
	if (!st)
		st = ran(v, "loss", "loss", vf_check_loss(v, 3, 10));
	if (!st)
		st = ran(v, "loss", "loss", vf_check_loss(v, 33, 7));
	if (!st)
		st = ran(v, "amplify", "amplify", vf_check_amplify(v, 1031, 1.5f));
	if (!st)
		st = ran(v, "amplify", "amplify", vf_check_amplify(v, 33, 1.0f));
	if (!st)
		st = ran(v, "sgd", "sgd", vf_check_sgd(v, 1031, 0.1f, 0.0f, 0.0f, 0));
	if (!st)
		st = ran(v, "sgd", "sgd", vf_check_sgd(v, 1031, 0.05f, 0.9f, 5e-4f, 0));
	if (!st)
		st = ran(v, "sgd", "sgd", vf_check_sgd(v, 33, 0.05f, 0.9f, 5e-4f, 1));
	if (!st)
		st = general_odd(v, quick);
	return st;
}

/* Whether key was seen already; else remembers it (a model repeats its block shapes). */
static int seen(char (*keys)[VF_KEY], int *n, const char *key)
{
	for (int i = 0; i < *n; i++)
		if (!strcmp(keys[i], key))
			return 1;
	if (*n < AMPCL_NET_MAX_LAYERS)
		snprintf(keys[(*n)++], VF_KEY, "%s", key);
	return 0;
}

/* What a layer's check depends on: its type, its inputs' and its own shape, every setting of its
 * op and the betas its input gradients take. */
static void layer_key(char *key, const struct ampcl_net *net, const struct ampcl_layer *l,
		      float beta, float beta_b)
{
	const struct ampcl_layer *in = &net->layers[l->in[0]];
	const struct ampcl_gconv_shape *g = &l->gconv;
	const struct ampcl_gpool_shape *p = &l->gpool;
	snprintf(
	    key, VF_KEY,
	    "%d %d %d %d %d %d %d %d %d %d %d %d %d %d %g %g %g %d %d | %d %d %d %d %d %d %d %d "
	    "%d %d %d | %d %d %d %d %d %d %d %d %d %d | %g %g",
	    l->type, in->c, in->h, in->w, l->nin > 1 ? net->layers[l->in[1]].c : 0, l->c, l->h,
	    l->w, l->kernel, l->stride, l->pad, l->bias, l->out_features, l->w_in_out, l->lo, l->hi,
	    l->ratio, l->slice_start, l->average, g->kh, g->kw, g->sh, g->sw, g->pt, g->pl, g->pb,
	    g->pr, g->dh, g->dw, g->groups, p->kh, p->kw, p->sh, p->sw, p->pt, p->pl, p->pb, p->pr,
	    p->ceil_mode, p->count_include_pad, beta, beta_b);
}

/* Whether layer_check covers a layer type: a type added to the nets without a check here is
 * named in the report as not checked. */
static int has_check(enum ampcl_layer_type type)
{
	switch (type) {
	case AMPCL_LAYER_CONV:
	case AMPCL_LAYER_CONV_GENERAL:
	case AMPCL_LAYER_BN:
	case AMPCL_LAYER_RELU:
	case AMPCL_LAYER_CLIP:
	case AMPCL_LAYER_MAXPOOL:
	case AMPCL_LAYER_AVGPOOL:
	case AMPCL_LAYER_POOL_GENERAL:
	case AMPCL_LAYER_LINEAR:
	case AMPCL_LAYER_ADD:
	case AMPCL_LAYER_CONCAT:
	case AMPCL_LAYER_SLICE:
	case AMPCL_LAYER_DROPOUT:
		return 1;
	default:
		return 0;
	}
}

/* Checks layer i of net at its shape for a batch (a type has_check covers). */
static ampcl_status layer_check(struct vf_run *v, const struct ampcl_net *net, int i, int batch,
				float beta, float beta_b)
{
	const struct ampcl_layer *l = &net->layers[i], *in = &net->layers[l->in[0]];
	size_t count = (size_t)batch * l->c * l->h * l->w;
	switch (l->type) {
	case AMPCL_LAYER_CONV: {
		struct ampcl_conv2d_shape s = {batch,     in->c,     in->h,     in->w, l->c,
					       l->kernel, l->kernel, l->stride, l->pad};
		return ran(v, "conv_backward", l->name,
			   vf_check_conv(v, &s, l->bias, l->in[0] != 0, beta));
	}
	case AMPCL_LAYER_CONV_GENERAL: {
		struct ampcl_gconv_shape s = l->gconv;
		s.n = batch;
		return ran(v, "conv_general", l->name,
			   vf_check_gconv(v, &s, l->bias, l->in[0] != 0, beta));
	}
	case AMPCL_LAYER_BN:
		return ran(v, "bn_forward", l->name,
			   vf_check_bn(v, batch, l->c, l->h * l->w, beta));
	case AMPCL_LAYER_RELU:
		return ran(v, "relu", l->name, vf_check_relu(v, count, beta));
	case AMPCL_LAYER_CLIP:
		return ran(v, "clip", l->name, vf_check_clip(v, count, l->lo, l->hi, beta));
	case AMPCL_LAYER_MAXPOOL:
		return ran(v, "maxpool", l->name,
			   vf_check_maxpool(v, batch, in->c, in->h, in->w, beta));
	case AMPCL_LAYER_AVGPOOL:
		return ran(v, "avgpool", l->name,
			   vf_check_avgpool(v, batch, in->c, in->h, in->w, beta));
	case AMPCL_LAYER_POOL_GENERAL: {
		struct ampcl_gpool_shape s = l->gpool;
		s.n = batch;
		return ran(v, "pool_general", l->name, vf_check_gpool(v, &s, l->average, beta));
	}
	case AMPCL_LAYER_LINEAR:
		return ran(v, "linear", l->name,
			   vf_check_linear(v, batch, in->c * in->h * in->w, l->out_features,
					   l->bias, l->w_in_out, beta));
	case AMPCL_LAYER_ADD:
		return ran(v, "add", l->name, vf_check_add(v, count, beta));
	case AMPCL_LAYER_CONCAT:
		return ran(v, "concat", l->name,
			   vf_check_concat(v, batch, in->c, net->layers[l->in[1]].c, l->h * l->w,
					   beta, beta_b));
	case AMPCL_LAYER_SLICE:
		return ran(
		    v, "slice", l->name,
		    vf_check_slice(v, batch, in->c, l->c, l->slice_start, l->h * l->w, beta));
	case AMPCL_LAYER_DROPOUT:
		/* the mask of a training step, this layer's salt */
		return ran(v, "dropout", l->name,
			   vf_check_dropout(v, count, l->ratio, 1, (unsigned)i, beta));
	default:
		return AMPCL_OK;
	}
}

ampcl_status vf_ops_net(struct vf_run *v, const struct ampcl_net *net, int batch, int *classes,
			size_t *largest)
{
	static char keys[AMPCL_NET_MAX_LAYERS][VF_KEY];
	static int consumers[AMPCL_NET_MAX_LAYERS];
	char key[VF_KEY], unchecked[512] = "";
	int nkeys = 0, nchecked = 0, nunchecked = 0;
	ampcl_status st = AMPCL_OK;
	memset(consumers, 0, sizeof(consumers));
	for (int i = 1; i < net->nlayers; i++)
		for (int k = 0; k < net->layers[i].nin; k++)
			consumers[net->layers[i].in[k]]++;
	for (int i = 1; !st && i < net->nlayers; i++) {
		const struct ampcl_layer *l = &net->layers[i];
		size_t count = (size_t)batch * l->c * l->h * l->w;
		if (largest && count > *largest)
			*largest = count;
		if (classes && l->type == AMPCL_LAYER_LINEAR)
			*classes = l->out_features;
		/* an input gradient accumulates (beta 1) where the input feeds several layers */
		float beta = consumers[l->in[0]] > 1 ? 1.0f : 0.0f;
		float beta_b = l->nin > 1 && consumers[l->in[1]] > 1 ? 1.0f : 0.0f;
		layer_key(key, net, l, beta, beta_b);
		if (has_check(l->type)) {
			nchecked++;
			if (!seen(keys, &nkeys, key))
				st = layer_check(v, net, i, batch, beta, beta_b);
		} else {
			size_t used = strlen(unchecked);
			snprintf(unchecked + used, sizeof(unchecked) - used, "%s%s (%s)",
				 nunchecked++ ? ", " : "", l->name, ampcl_layer_type_name(l->type));
		}
	}
	/* every layer is either checked at its shape or named here, never passed over */
	vf_fact(v, "model layers checked", "%d of %d, at %d distinct shapes", nchecked,
		net->nlayers - 1, nkeys);
	if (nunchecked)
		vf_fact(v, "model layers NOT checked", "%d: %s", nunchecked, unchecked);
	return st;
}

ampcl_status vf_ops_model(struct vf_run *v, const char *model, int width, int batch)
{
	ampcl_net_t *net;
	int c, h, w; /* an ONNX model's input shape; 3x32x32 for the built-in ones */
	ampcl_status st = ampcl_model_input_shape(model, &c, &h, &w);
	if (!st && (!c || !h || !w))
		st = ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				     "ONNX model '%s' leaves its input size open: export it with a "
				     "fixed one",
				     model);
	if (st || (st = ampcl_net_create(v->ctx, c, h, w, &net)))
		return st;
	if ((st = ampcl_model_build(net, model, width, 10))) {
		ampcl_net_free(net);
		return st;
	}
	int classes = 10;
	size_t largest = 0;
	vf_fact(v, "model shapes", "%s width %d batch %d at %dx%dx%d", model, width, batch, c, h,
		w);
	st = vf_ops_net(v, net, batch, &classes, &largest);
	size_t params = ampcl_net_param_count(net);
	ampcl_net_free(net);
	if (!st)
		st = ran(v, "loss", "softmax_ce", vf_check_loss(v, batch, classes));
	if (!st)
		st = ran(v, "amplify", "amplify", vf_check_amplify(v, largest, 2.0f));
	if (!st)
		st = ran(v, "sgd", "sgd_step", vf_check_sgd(v, params, 0.1f, 0.9f, 5e-4f, 0));
	if (!st)
		st = gemm_cases(v, 0);
	/* where convolutions take the implicit GEMM, im2col is what they fall back to (a device
	 * that cannot run it, AMPCL_CONV=im2col): those paths too, at the odd shapes */
	if (!st && ampcl_conv2d_implicit_on(v->ctx)) {
		v->ctx->profile.conv_implicit = 0;
		st = conv_odd(v);
		v->ctx->profile.conv_implicit = 1;
	}
	return st;
}
