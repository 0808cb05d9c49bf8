/* resnet.c: ResNet-18 and ResNet-34 in their CIFAR form (3x3 stem, no max-pool), with the layer
 * names of the PyTorch models in bench/torch_models.py. Public API only. */
#include "ampcl.h"
#include "models.h"

#include <stdio.h>

/* relu layers are functional (F.relu) in the PyTorch model and so have no module name there;
 * here they are named after where they sit: "relu" (stem), "layerS.B.relu1", "layerS.B.relu2". */
static int block(ampcl_net_t *net, const char *prefix, int x, int in_ch, int out_ch, int stride)
{
	char n[96];
	int y;
#define NAME(suffix) (snprintf(n, sizeof(n), "%s.%s", prefix, suffix), n)
	if ((y = ampcl_net_conv2d(net, NAME("conv1"), x, out_ch, 3, stride, 1, 0)) < 0 ||
	    (y = ampcl_net_batchnorm(net, NAME("bn1"), y)) < 0 ||
	    (y = ampcl_net_relu(net, NAME("relu1"), y)) < 0 ||
	    (y = ampcl_net_conv2d(net, NAME("conv2"), y, out_ch, 3, 1, 1, 0)) < 0 ||
	    (y = ampcl_net_batchnorm(net, NAME("bn2"), y)) < 0)
		return y;
	int shortcut = x;
	if (stride != 1 || in_ch != out_ch) {
		if ((shortcut = ampcl_net_conv2d(net, NAME("shortcut.0"), x, out_ch, 1, stride, 0,
						 0)) < 0 ||
		    (shortcut = ampcl_net_batchnorm(net, NAME("shortcut.1"), shortcut)) < 0)
			return shortcut;
	}
	if ((y = ampcl_net_add(net, NAME("add"), y, shortcut)) < 0)
		return y;
	return ampcl_net_relu(net, NAME("relu2"), y);
#undef NAME
}

int ampcl_model_resnet(ampcl_net_t *net, const int *blocks, int width, int classes)
{
	int x;
	if ((x = ampcl_net_conv2d(net, "conv1", 0, width, 3, 1, 1, 0)) < 0 ||
	    (x = ampcl_net_batchnorm(net, "bn1", x)) < 0 ||
	    (x = ampcl_net_relu(net, "relu", x)) < 0)
		return x;
	int in_ch = width;
	for (int stage = 0; stage < 4; stage++) {
		int out_ch = width << stage;
		for (int b = 0; b < blocks[stage]; b++) {
			char prefix[32];
			snprintf(prefix, sizeof(prefix), "layer%d.%d", stage + 1, b);
			x = block(net, prefix, x, in_ch, out_ch, b == 0 && stage > 0 ? 2 : 1);
			if (x < 0)
				return x;
			in_ch = out_ch;
		}
	}
	if ((x = ampcl_net_avgpool(net, "avgpool", x)) < 0)
		return x;
	return ampcl_net_linear(net, "linear", x, classes, 1);
}
