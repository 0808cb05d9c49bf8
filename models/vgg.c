/* vgg.c: VGG-19 with batch norm in its CIFAR form (sixteen 3x3 conv+BN+ReLU, five max-pools, one
 * linear layer), named features.N / classifier as in bench/torch_models.py. Public API only. */
#include "ampcl.h"
#include "models.h"

#include <stdio.h>

ampcl_status ampcl_model_vgg19(ampcl_net_t *net, int width, int classes)
{
	/* channel multiples of width; 0 is a max-pool */
	static const int cfg[] = {1, 1, 0, 2, 2, 0, 4, 4, 4, 4, 0, 8, 8, 8, 8, 0, 8, 8, 8, 8, 0};
	int x = 0, index = 0;
	char n[32];
	ampcl_status st = AMPCL_OK;
#define NAME (snprintf(n, sizeof(n), "features.%d", index++), n)
	for (size_t i = 0; i < sizeof(cfg) / sizeof(cfg[0]) && !st; i++)
		if (cfg[i] == 0)
			st = ampcl_net_maxpool2(net, NAME, x, &x);
		else if (!(st = ampcl_net_conv2d(net, NAME, x, cfg[i] * width, 3, 1, 1, 1, &x)) &&
			 !(st = ampcl_net_batchnorm(net, NAME, x, &x)))
			st = ampcl_net_relu(net, NAME, x, &x);
#undef NAME
	return st ? st : ampcl_net_linear(net, "classifier", x, classes, 1, NULL);
}
