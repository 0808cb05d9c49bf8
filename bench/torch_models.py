"""torch_models.py: ampcl's CIFAR models in PyTorch (ResNet-18/34 and VGG-19 with BN), every
module named as ampcl names its layer, so a state_dict has the names and shapes `ampcl export` writes.

ResNet: 3x3 stem (no max-pool), basic blocks with a 1x1 conv + BN shortcut where the shape changes,
ReLUs as modules (`relu`, `layerS.B.relu1`, `layerS.B.relu2`), global average pool, `linear`.
VGG-19: sixteen 3x3 conv (with bias) + BN + ReLU and five max-pools as `features.N`, then
`classifier`. Channels are multiples of the width (64 in the published networks).
Also MobileNetV2's inverted residual block (bench/onnx_per_flop.py, tests/torch/onnx_import.py).
Used by bench/torch_bench.py and tests/torch/crosscheck.py; `relu` lets a caller put its own
ReLU module in every place (the cross-check's can invert chosen decisions)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

MODELS = ("resnet18", "resnet34", "vgg19")
RESNET_BLOCKS = {"resnet18": (2, 2, 2, 2), "resnet34": (3, 4, 6, 3)}
# VGG-19's layers as multiples of the width; 0 is a 2x2 max-pool
VGG19 = (1, 1, 0, 2, 2, 0, 4, 4, 4, 4, 0, 8, 8, 8, 8, 0, 8, 8, 8, 8, 0)


class Block(nn.Module):
    """A basic residual block: conv-BN-ReLU-conv-BN, plus the shortcut, then ReLU."""

    def __init__(self, cin, cout, stride, relu=nn.ReLU):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu1 = relu()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                          nn.BatchNorm2d(cout))
        self.relu2 = relu()

    def forward(self, x):
        y = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        return self.relu2(y + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, blocks, width, classes=10, relu=nn.ReLU):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = relu()
        cin = width
        for stage, count in enumerate(blocks):
            cout = width * 2**stage
            layers = []
            for b in range(count):
                layers.append(Block(cin, cout, 2 if b == 0 and stage > 0 else 1, relu))
                cin = cout
            setattr(self, f"layer{stage + 1}", nn.Sequential(*layers))
        self.linear = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.linear(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class VGG(nn.Module):
    def __init__(self, width, classes=10, relu=nn.ReLU):
        super().__init__()
        layers, cin = [], 3
        for c in VGG19:
            if c == 0:
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [nn.Conv2d(cin, c * width, 3, 1, 1), nn.BatchNorm2d(c * width), relu()]
                cin = c * width
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(cin, classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


class InvertedResidual(nn.Module):
    """MobileNetV2's block: 1x1 expansion, 3x3 depthwise, 1x1 projection; a residual when the
    shape stays."""
    def __init__(self, i, o, stride, expand):
        super().__init__()
        h = i * expand
        self.expand = nn.Sequential(nn.Conv2d(i, h, 1, bias=False), nn.BatchNorm2d(h), nn.ReLU6())
        self.depthwise = nn.Sequential(nn.Conv2d(h, h, 3, stride, 1, groups=h, bias=False),
                                       nn.BatchNorm2d(h), nn.ReLU6())
        self.project = nn.Sequential(nn.Conv2d(h, o, 1, bias=False), nn.BatchNorm2d(o))
        self.residual = stride == 1 and i == o

    def forward(self, x):
        y = self.project(self.depthwise(self.expand(x)))
        return x + y if self.residual else y


def build(model, width, classes=10, relu=nn.ReLU):
    """The network ampcl builds for --model MODEL --width WIDTH (10 classes, 3x32x32 input)."""
    if model in RESNET_BLOCKS:
        return ResNet(RESNET_BLOCKS[model], width, classes, relu)
    if model == "vgg19":
        return VGG(width, classes, relu)
    raise ValueError(f"unknown model {model!r}: one of {', '.join(MODELS)}")


def parameter_count(net):
    """Trainable values, as ampcl counts them (BN running statistics are not parameters)."""
    return sum(p.numel() for p in net.parameters())
