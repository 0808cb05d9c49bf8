"""verify_replay.py: the PyTorch trajectory `ampcl verify` replays: a small residual network
(every layer type ampcl has, amplification on two layers) trained 8 SGD steps on one fixed batch,
in float64 (the truth) and float32 (the noise floor), written as host/verify/replay_data.c.

The batch and the initial weights come from splitmix64 streams both sides compute exactly (double
arithmetic rounded to float32), so nothing but this script's output ships. ampcl's losses, its
eval-mode loss after the steps and each tensor's update norm must lie within a band of the
float64 values: MARGIN times PyTorch float32's own distance from them, or FLOOR relative (to
the larger of the update and the tensor for an update norm), whichever is larger (as tests/torch/crosscheck.py judges one step).

usage: /usr/bin/python3 tests/torch/verify_replay.py [--out host/verify/replay_data.c] [--check]
--check also shows that a 1% learning-rate error leaves the band (so the check can fail)."""
import argparse, os, sys

import torch, torch.nn as nn, torch.nn.functional as F

MARGIN, FLOOR = 10.0, 2e-5
STEPS, BATCH, SIZE, CLASSES = 8, 8, 16, 10
LR, MOMENTUM, WD = 0.05, 0.9, 5e-4
AMP_FACTOR = 1.5  # on bn_a and relu_out, target input
M64 = (1 << 64) - 1


def splitmix(seed, n):
    """n values in [0, 1) with 24 random bits, as host/verify/verify_replay.c draws them."""
    out, z0 = [], seed & M64
    for _ in range(n):
        z0 = (z0 + 0x9E3779B97F4A7C15) & M64
        z = z0
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        z ^= z >> 31
        out.append((z >> 40) / float(1 << 24))
    return out


class Net(nn.Module):
    """ampcl's replay network, layer for layer (host/verify/verify_replay.c builds the same)."""
    def __init__(s):
        super().__init__()
        s.conv1 = nn.Conv2d(3, 8, 3, 1, 1, bias=False); s.bn1 = nn.BatchNorm2d(8)
        s.conv_a = nn.Conv2d(8, 16, 3, 2, 1, bias=False); s.bn_a = nn.BatchNorm2d(16)
        s.relu_a = nn.ReLU()
        s.conv_b = nn.Conv2d(16, 16, 3, 1, 1, bias=True); s.bn_b = nn.BatchNorm2d(16)
        s.conv_s = nn.Conv2d(8, 16, 1, 2, 0, bias=False); s.bn_s = nn.BatchNorm2d(16)
        s.relu_out = nn.ReLU()
        s.fc = nn.Linear(16, CLASSES)

    def forward(s, x):
        x = F.relu(s.bn1(s.conv1(x)))
        y = s.bn_b(s.conv_b(s.relu_a(s.bn_a(s.conv_a(x)))))
        y = s.relu_out(y + s.bn_s(s.conv_s(x)))
        y = F.max_pool2d(y, 2)
        return s.fc(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1))


# ampcl's tensor order: network order, each layer's weight, bias, running_mean, running_var
ORDER = ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
         "conv_a.weight", "bn_a.weight", "bn_a.bias", "bn_a.running_mean", "bn_a.running_var",
         "conv_b.weight", "conv_b.bias", "bn_b.weight", "bn_b.bias", "bn_b.running_mean",
         "bn_b.running_var", "conv_s.weight", "bn_s.weight", "bn_s.bias", "bn_s.running_mean",
         "bn_s.running_var", "fc.weight", "fc.bias"]


def initial(net):
    """Tensor i from stream 1000 + i: weights and biases uniform +-1/sqrt(fan_in) as PyTorch's
    default, BN weight 1 +- 0.2 and bias +- 0.2 (so they matter), statistics 0 and 1."""
    state, sd, fan = {}, net.state_dict(), None
    for i, name in enumerate(ORDER):
        t = sd[name]
        n = t.numel()
        u = splitmix(1000 + i, n)
        if name.endswith("running_mean"):
            v = [0.0] * n
        elif name.endswith("running_var"):
            v = [1.0] * n
        elif name.startswith("bn"):
            base = 1.0 if name.endswith("weight") else 0.0
            v = [base + (2 * x - 1) * 0.2 for x in u]
        else:
            if name.endswith("weight"):
                fan = t[0].numel()
            scale = 1.0 / fan ** 0.5
            v = [(2 * x - 1) * scale for x in u]
        state[name] = torch.tensor(v, dtype=torch.float64).to(torch.float32).view_as(t)
    return state


def batch():
    n = BATCH * 3 * SIZE * SIZE
    x = torch.tensor([(2 * u - 1) * 2 for u in splitmix(7, n)], dtype=torch.float64)
    x = x.to(torch.float32).view(BATCH, 3, SIZE, SIZE)
    labels = torch.tensor([int(u * CLASSES) for u in splitmix(8, BATCH)])
    return x, labels


def trajectory(dtype, lr=LR):
    torch.manual_seed(0)
    net = Net()
    init = initial(net)
    net.load_state_dict(init)
    net = net.to(dtype)
    for m in (net.bn_a, net.relu_out):
        m.register_full_backward_hook(
            lambda mod, gin, gout: tuple(None if g is None else g * AMP_FACTOR for g in gin))
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=MOMENTUM, weight_decay=WD)
    x, labels = batch()
    x = x.to(dtype)
    losses = []
    net.train()
    for _ in range(STEPS):
        opt.zero_grad()
        loss = F.cross_entropy(net(x), labels)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    net.eval()
    with torch.no_grad():
        ev = F.cross_entropy(net(x), labels).item()
    sd = net.state_dict()
    norms = [float((sd[k].double() - init[k].double()).norm()) for k in ORDER]
    scale = [max(n, float(init[k].double().norm())) for n, k in zip(norms, ORDER)]
    return losses, ev, norms, scale


def band(v64, v32, scale=None):
    """A tensor's update norm may be tiny beside the tensor (a bias before BN has no gradient
    but weight decay): its floor is relative to the larger of the two."""
    return max(MARGIN * abs(v32 - v64), FLOOR * abs(v64 if scale is None else scale))


def main():
    ap = argparse.ArgumentParser()
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--out", default=os.path.join(root, "host", "verify", "replay_data.c"))
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(1)
    l64, e64, n64, s64 = trajectory(torch.float64)
    l32, e32, n32, _ = trajectory(torch.float32)
    if a.check:
        lb = trajectory(torch.float64, LR * 1.01)[0]
        out = [abs(lb[i] - l64[i]) / band(l64[i], l32[i]) for i in range(STEPS)]
        print("a 1%% lr error: loss distance / band per step: %s" %
              " ".join("%.2g" % r for r in out))
        print("float32 vs float64 losses: %s" % " ".join("%.2g" % abs(p - q)
                                                           for p, q in zip(l32, l64)))
    lines = ["/* replay_data.c: generated by tests/torch/verify_replay.py (PyTorch %s): the float64"
             % torch.__version__,
             " * trajectory `ampcl verify` replays and its bands (float32's distance x %g, at least"
             % MARGIN,
             " * %g relative). Do not edit; run the script again. */" % FLOOR,
             '#include "verify_replay.h"', "",
             "const struct vf_replay_data vf_replay_data = {",
             "    .steps = %d, .batch = %d, .size = %d, .classes = %d," % (STEPS, BATCH, SIZE, CLASSES),
             "    .lr = %r, .momentum = %r, .weight_decay = %r, .amp_factor = %r," % (LR, MOMENTUM, WD, AMP_FACTOR),
             "    .loss = {%s}," % ", ".join(repr(v) for v in l64),
             "    .loss_band = {%s}," % ", ".join(repr(band(p, q)) for p, q in zip(l64, l32)),
             "    .eval_loss = %r, .eval_band = %r," % (e64, band(e64, e32)),
             "    .ntensors = %d," % len(ORDER),
             "    .tensors = {"]
    for k, p, q, sc in zip(ORDER, n64, n32, s64):
        lines.append('\t{"%s", %r, %r},' % (k, p, band(p, q, sc)))
    lines += ["    },", "};", ""]
    with open(a.out, "w") as f:
        f.write("\n".join(lines))
    print("wrote %s" % a.out)


if __name__ == "__main__":
    sys.exit(main())
