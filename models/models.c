/* models.c: ampcl_model_build: the model names the command line accepts, mapped to their
 * builders, with the width and class count checked once here. */
#include "ampcl.h"
#include "models.h"

#include <string.h>

int ampcl_model_is_onnx(const char *model)
{
	size_t n = strlen(model);
	return n > 5 && !strcmp(model + n - 5, ".onnx");
}

ampcl_status ampcl_model_input_shape(const char *model, int *channels, int *height, int *width)
{
	if (!model || !channels || !height || !width)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "ampcl_model_input_shape: NULL argument");
	*channels = 3, *height = *width = 32;
	if (!ampcl_model_is_onnx(model))
		return AMPCL_OK;
	ampcl_status st = ampcl_model_onnx_input(model, channels, height, width);
	if (!st) /* open dimensions: 0 */
		*channels = *channels < 0 ? 0 : *channels, *height = *height < 0 ? 0 : *height,
		*width = *width < 0 ? 0 : *width;
	return st;
}

ampcl_status ampcl_model_build(ampcl_net_t *net, const char *model, int width, int classes)
{
	static const int r18[4] = {2, 2, 2, 2}, r34[4] = {3, 4, 6, 3};
	if (ampcl_model_is_onnx(model)) {
		if (classes < 2)
			return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "%d classes: need at least 2",
					       classes);
		return ampcl_model_onnx(net, model, classes);
	}
	if (width < 1 || width > 1024)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
				       "--width %d: give a base channel count from 1 to 1024 "
				       "(64 is the standard network)",
				       width);
	if (classes < 2)
		return ampcl_error_set(AMPCL_ERR_INVALID_ARG, "%d classes: need at least 2",
				       classes);
	if (!strcmp(model, "resnet18"))
		return ampcl_model_resnet(net, r18, width, classes);
	if (!strcmp(model, "resnet34"))
		return ampcl_model_resnet(net, r34, width, classes);
	if (!strcmp(model, "vgg19"))
		return ampcl_model_vgg19(net, width, classes);
	return ampcl_error_set(AMPCL_ERR_INVALID_ARG,
			       "--model '%s': the valid values are resnet18, resnet34 and vgg19",
			       model);
}
