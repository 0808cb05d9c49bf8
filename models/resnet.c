/* resnet.c: ResNet-18 and ResNet-34 in their CIFAR form (3x3 stem, no max-pool), with the layer
 * names of the PyTorch models in bench/torch_models.py. Public API only. */
#include "ampcl.h"
#include "models.h"

#include <stdio.h>

/* relu layers are functional (F.relu) in the PyTorch model and so have no module name there;
 * here they are named after where they sit: "relu" (stem), "layerS.B.relu1", "layerS.B.relu2". */
/* One basic block after layer *x; *x becomes its last layer. */
static ampcl_status block(ampcl_net_t *net, const char *prefix, int *x, int in_ch, int out_ch,
			  int stride)
{
	char n[96];
	int y, shortcut = *x;
	ampcl_status st;
#define NAME(suffix) (snprintf(n, sizeof(n), "%s.%s", prefix, suffix), n)
	if ((st = ampcl_net_conv2d(net, NAME("conv1"), *x, out_ch, 3, stride, 1, 0, &y)) ||
	    (st = ampcl_net_batchnorm(net, NAME("bn1"), y, &y)) ||
	    (st = ampcl_net_relu(net, NAME("relu1"), y, &y)) ||
	    (st = ampcl_net_conv2d(net, NAME("conv2"), y, out_ch, 3, 1, 1, 0, &y)) ||
	    (st = ampcl_net_batchnorm(net, NAME("bn2"), y, &y)))
		return st;
	if ((stride != 1 || in_ch != out_ch) &&
	    ((st = ampcl_net_conv2d(net, NAME("shortcut.0"), *x, out_ch, 1, stride, 0, 0,
				    &shortcut)) ||
	     (st = ampcl_net_batchnorm(net, NAME("shortcut.1"), shortcut, &shortcut))))
		return st;
	if ((st = ampcl_net_add(net, NAME("add"), y, shortcut, &y)))
		return st;
	return ampcl_net_relu(net, NAME("relu2"), y, x);
#undef NAME
}

ampcl_status ampcl_model_resnet(ampcl_net_t *net, const int *blocks, int width, int classes)
{
	int x;
	ampcl_status st;
	if ((st = ampcl_net_conv2d(net, "conv1", 0, width, 3, 1, 1, 0, &x)) ||
	    (st = ampcl_net_batchnorm(net, "bn1", x, &x)) ||
	    (st = ampcl_net_relu(net, "relu", x, &x)))
		return st;
	int in_ch = width;
	for (int stage = 0; stage < 4; stage++) {
		int out_ch = width << stage;
		for (int b = 0; b < blocks[stage]; b++) {
			char prefix[32];
			snprintf(prefix, sizeof(prefix), "layer%d.%d", stage + 1, b);
			if ((st = block(net, prefix, &x, in_ch, out_ch,
					b == 0 && stage > 0 ? 2 : 1)))
				return st;
			in_ch = out_ch;
		}
	}
	if ((st = ampcl_net_avgpool(net, "avgpool", x, &x)))
		return st;
	return ampcl_net_linear(net, "linear", x, classes, 1, NULL);
}
