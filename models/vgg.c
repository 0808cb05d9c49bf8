/* vgg.c: VGG-19 with batch norm in its CIFAR form (sixteen 3x3 conv+BN+ReLU, five max-pools, one
 * linear layer), named features.N / classifier as in torch-bench.py. Public API only. */
#include "ampcl.h"
#include "models.h"

#include <stdio.h>

int ampcl_model_vgg19(ampcl_net_t *net, int width, int classes)
{
	/* channel multiples of width; 0 is a max-pool */
	static const int cfg[] = {1, 1, 0, 2, 2, 0, 4, 4, 4, 4, 0, 8, 8, 8, 8, 0, 8, 8, 8, 8, 0};
	int x = 0, index = 0;
	char n[32];
	for (size_t i = 0; i < sizeof(cfg) / sizeof(cfg[0]); i++) {
		if (cfg[i] == 0) {
			snprintf(n, sizeof(n), "features.%d", index++);
			if ((x = ampcl_net_maxpool2(net, n, x)) < 0)
				return x;
			continue;
		}
		snprintf(n, sizeof(n), "features.%d", index++);
		if ((x = ampcl_net_conv2d(net, n, x, cfg[i] * width, 3, 1, 1, 1)) < 0)
			return x;
		snprintf(n, sizeof(n), "features.%d", index++);
		if ((x = ampcl_net_batchnorm(net, n, x)) < 0)
			return x;
		snprintf(n, sizeof(n), "features.%d", index++);
		if ((x = ampcl_net_relu(net, n, x)) < 0)
			return x;
	}
	return ampcl_net_linear(net, "classifier", x, classes, 1);
}
