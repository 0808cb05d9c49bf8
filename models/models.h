/* models.h: the model builders behind ampcl_model_build (models/), each appending its layers to
 * a net through the public API only. */
#ifndef AMPCL_MODELS_H
#define AMPCL_MODELS_H

#include "ampcl.h"

ampcl_status ampcl_model_resnet(ampcl_net_t *net, const int *blocks, int width, int classes);
ampcl_status ampcl_model_vgg19(ampcl_net_t *net, int width, int classes);
/* The graph of an ONNX file (models/onnx_model.c); its output must be `classes` logits, or with
 * classes 0 any layer's output (ONNX's operator tests). */
ampcl_status ampcl_model_onnx(ampcl_net_t *net, const char *path, int classes);
/* The input shape the ONNX file declares (onnx_read.h's ampcl_onnx_input_shape: -1 where open). */
ampcl_status ampcl_model_onnx_input(const char *path, int *channels, int *height, int *width);
/* Whether model names an ONNX file (ends in ".onnx"). */
int ampcl_model_is_onnx(const char *model);

#endif
