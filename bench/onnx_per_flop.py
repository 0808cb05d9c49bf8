"""onnx_per_flop.py: how fast ampcl trains a network that comes in as ONNX, per FLOP, next to the
built-in ResNet-18 and next to PyTorch on the same module.

Each network is exported with torch.onnx.export in training mode at 32x32 and timed by
`ampcl bench --model FILE.onnx` and by PyTorch on the same module (bench/torch_bench.py's
measurement: random inputs, SGD step, warm-up then timed steps), alternated --rounds times. The
FLOPs of a training step are counted from the module (2 x multiply-adds of every convolution and
linear layer, x3 for forward, data and weight gradient; BN, ReLU and pooling left out), so
GFLOP/s = FLOPs per image x images/s. Networks:
  resnet18   bench/torch_models.py's ResNet-18 exported (the same layers as --model resnet18)
  mobilenet  a MobileNetV2-style network: 1x1 expansion, 3x3 depthwise, 1x1 projection blocks
  densenet   a DenseNet-style network: 3x3 convolutions whose outputs are concatenated
Also times the built-in `--model resnet18` as the reference ampcl network.

usage: python3 bench/onnx_per_flop.py [--ampcl build/ampcl] [--width 16] [--batch 128]
           [--steps 3] [--rounds 3] [--threads N] [--no-torch] [--work DIR] [--out FILE.md]
--no-torch leaves PyTorch out: ampcl's per-FLOP ratios alone, which hold on a busy machine where
PyTorch's threads do not."""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models  # noqa: E402


InvertedResidual = torch_models.InvertedResidual


class MobileNet(nn.Module):
    def __init__(s, width):
        super().__init__()
        w = width
        s.stem = nn.Sequential(nn.Conv2d(3, w, 3, 1, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU6())
        cfg = [(w, w, 1), (w, 2 * w, 2), (2 * w, 2 * w, 1), (2 * w, 4 * w, 2), (4 * w, 4 * w, 1),
               (4 * w, 8 * w, 2), (8 * w, 8 * w, 1)]
        s.blocks = nn.Sequential(*[InvertedResidual(i, o, st, 6) for i, o, st in cfg])
        s.fc = nn.Linear(8 * w, 10)

    def forward(s, x):
        x = s.blocks(s.stem(x))
        return s.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class Dense(nn.Module):
    def __init__(s, width):
        super().__init__()
        g, c = width, 2 * width
        s.stem = nn.Conv2d(3, c, 3, 1, 1, bias=False)
        layers = []
        for stage in range(3):
            for _ in range(4):
                layers.append(nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, g, 3, 1, 1, bias=False)))
                c += g
            if stage < 2:
                layers.append(nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, c // 2, 1, bias=False),
                                            nn.AvgPool2d(2)))
                c //= 2
        s.layers = nn.ModuleList(layers)
        s.bn = nn.BatchNorm2d(c)
        s.fc = nn.Linear(c, 10)

    def forward(s, x):
        x = s.stem(x)
        for layer in s.layers:
            x = layer(x) if isinstance(layer[-1], nn.AvgPool2d) else torch.cat([x, layer(x)], 1)
        return s.fc(torch.flatten(F.adaptive_avg_pool2d(F.relu(s.bn(x)), 1), 1))


def step_flops(model):
    """FLOPs of one training step per image: 3 x 2 x the multiply-adds of convolutions and
    linear layers at 32x32."""
    macs = []

    def conv(m, i, o):
        macs.append(o.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1])

    def lin(m, i, o):
        macs.append(o.numel() * m.in_features)
    hooks = [m.register_forward_hook(conv) for m in model.modules() if isinstance(m, nn.Conv2d)]
    hooks += [m.register_forward_hook(lin) for m in model.modules() if isinstance(m, nn.Linear)]
    with torch.no_grad():
        model.eval()(torch.zeros(1, 3, 32, 32))
    for h in hooks:
        h.remove()
    return 6 * sum(macs)


def torch_rate(model, batch, steps, threads):
    torch.set_num_threads(threads)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    g = torch.Generator().manual_seed(1)
    x = torch.rand(batch, 3, 32, 32, generator=g) * 2 - 1
    y = torch.arange(batch) % 10

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    for _ in range(2):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return batch * steps / (time.perf_counter() - t0)


def ampcl_rate(ampcl, model, width, batch, steps):
    p = subprocess.run([ampcl, "bench", "--model", model, "--width", str(width), "--batch",
                        str(batch), "--steps", str(steps)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    line = [ln for ln in p.stdout.splitlines() if ln.endswith("ms/step)")]
    if p.returncode or not line:
        raise RuntimeError(f"ampcl bench --model {model} failed:\n{p.stdout[-2000:]}")
    return float(line[-1].split(" img/s")[0].split()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ampcl", default=os.path.join(os.path.dirname(__file__), "..", "build", "ampcl"))
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--work", default=None)
    ap.add_argument("--out", default=None)
    ap.add_argument("--no-torch", action="store_true")
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp()
    os.makedirs(work, exist_ok=True)
    torch.manual_seed(1)
    nets = {"resnet18": torch_models.build("resnet18", a.width), "mobilenet": MobileNet(a.width),
            "densenet": Dense(a.width)}
    files = {}
    for name, m in nets.items():
        files[name] = os.path.join(work, f"{name}_w{a.width}.onnx")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(m.train(), torch.randn(1, 3, 32, 32), files[name],
                              training=torch.onnx.TrainingMode.TRAINING,
                              do_constant_folding=False, opset_version=14)
    rates = {k: {"ampcl": [], "torch": []} for k in ["builtin"] + list(nets)}
    for r in range(a.rounds):
        rates["builtin"]["ampcl"].append(ampcl_rate(a.ampcl, "resnet18", a.width, a.batch, a.steps))
        for name, m in nets.items():
            first, second = ("ampcl", "torch") if r % 2 == 0 else ("torch", "ampcl")
            for side in (first, second):
                if side == "torch" and a.no_torch:
                    continue
                rates[name][side].append(
                    ampcl_rate(a.ampcl, files[name], a.width, a.batch, a.steps) if side == "ampcl"
                    else torch_rate(m, a.batch, a.steps, a.threads))
    flops = {"builtin": step_flops(nets["resnet18"]), **{k: step_flops(m) for k, m in nets.items()}}
    ref = statistics.median(rates["builtin"]["ampcl"]) * flops["builtin"]
    lines = [f"width {a.width}, batch {a.batch}, {a.rounds} alternating rounds, "
             + ("PyTorch left out" if a.no_torch else
                f"PyTorch {torch.__version__} on {a.threads} threads"), "",
             "| network | GFLOP per image-step | ampcl img/s | ampcl GFLOP/s | per FLOP vs built-in ResNet-18 | PyTorch img/s | ampcl / PyTorch |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for k in rates:
        am = statistics.median(rates[k]["ampcl"])
        tm = statistics.median(rates[k]["torch"]) if rates[k]["torch"] else None
        label = "ResNet-18, built in" if k == "builtin" else f"{k} (ONNX)"
        lines.append(f"| {label} | {flops[k] / 1e9:.3f} | {am:.1f} | {am * flops[k] / 1e9:.1f} | "
                     f"{am * flops[k] / ref:.2f} | {'' if tm is None else f'{tm:.1f}'} | "
                     f"{'' if tm is None else f'{am / tm:.2f}'} |")
    text = "\n".join(lines)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write("# ONNX networks per FLOP (bench/onnx_per_flop.py)\n\n" + text + "\n")


if __name__ == "__main__":
    main()
