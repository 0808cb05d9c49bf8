"""torch_bench.py: PyTorch's training-step throughput on the networks `ampcl bench --model` times,
measured the same way, so the two print comparable images/s.

The measurement, as ampcl's: the model (bench/torch_models.py, the same layers, names and
parameter counts as ampcl's) on one batch of random 3x32x32 inputs in [-1, 1) with labels
i mod 10; SGD with lr 0.1, momentum 0.9, weight decay 5e-4; forward, softmax cross-entropy,
backward and the update make a step; --warmup untimed steps, then --steps timed ones, and
images/s = batch x steps / their wall time (the device synchronised before and after).

usage: python3 bench/torch_bench.py [--model resnet18|resnet34|vgg19] [--width W] [--batch B]
           [--steps S] [--warmup N] [--threads T] [--device cpu|cuda] [--tf32] [--json FILE]
       python3 bench/torch_bench.py --model M --width W --export-names
       python3 bench/torch_bench.py --model M --width W --check-names WEIGHTS.safetensors
Prints one line ending in "X img/s (Y ms/step)"; --json FILE (- for standard output) also writes
the result as JSON. --export-names prints the state_dict (name, shape) and the parameter count,
--check-names compares them with a safetensors file (`ampcl export`'s): exit 1 when they differ."""
import argparse
import json
import os
import struct
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models  # noqa: E402


def state_shapes(net):
    """{name: shape} of the state_dict, BN statistics and num_batches_tracked included."""
    return {k: list(v.shape) for k, v in net.state_dict().items()}


def safetensors_shapes(path):
    """{name: shape} from a safetensors file's header."""
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
    return {k: list(v["shape"]) for k, v in header.items() if k != "__metadata__"}


def check_names(net, path):
    """The differences between the model's state_dict and the file's tensors, as lines."""
    mine, theirs = state_shapes(net), safetensors_shapes(path)
    out = [f"only in PyTorch's model: {k} {mine[k]}" for k in mine if k not in theirs]
    out += [f"only in {path}: {k} {theirs[k]}" for k in theirs if k not in mine]
    out += [f"{k}: PyTorch {mine[k]}, {path} {theirs[k]}"
            for k in mine if k in theirs and mine[k] != theirs[k]]
    return out


def measure(net, args, device):
    """(seconds of the timed steps, loss of the last step)"""
    g = torch.Generator().manual_seed(args.seed)
    x = (torch.rand(args.batch, 3, 32, 32, generator=g) * 2 - 1).to(device)
    y = (torch.arange(args.batch) % 10).to(device)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    net.train()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        return loss

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    for _ in range(args.warmup):
        step()
    sync()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        loss = step()
    sync()
    return time.perf_counter() - t0, float(loss)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="resnet18", choices=torch_models.MODELS)
    ap.add_argument("--width", type=int, default=64, help="base channels (default 64)")
    ap.add_argument("--batch", type=int, default=32, help="images a step (default 32, as ampcl's)")
    ap.add_argument("--steps", type=int, default=5, help="timed steps (default 5)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed steps first (default 2)")
    ap.add_argument("--threads", type=int, default=0,
                    help="PyTorch's CPU threads (default: PyTorch's own choice)")
    ap.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:N")
    ap.add_argument("--tf32", action="store_true",
                    help="on CUDA, allow TF32 in matrix products and convolutions (default off)")
    ap.add_argument("--seed", type=int, default=1, help="initialisation and data (default 1)")
    ap.add_argument("--json", metavar="FILE", help="also write the result as JSON (- for stdout)")
    ap.add_argument("--export-names", action="store_true",
                    help="print the state_dict's names and shapes and the parameter count")
    ap.add_argument("--check-names", metavar="WEIGHTS",
                    help="compare the state_dict with a safetensors file; exit 1 if they differ")
    a = ap.parse_args()
    for name in ("width", "batch", "steps"):
        if getattr(a, name) < 1:
            ap.error(f"--{name} must be at least 1")
    if a.warmup < 0 or a.threads < 0:
        ap.error("--warmup and --threads must not be negative")

    torch.manual_seed(a.seed)
    net = torch_models.build(a.model, a.width)
    params = torch_models.parameter_count(net)
    if a.export_names:
        for k, shape in state_shapes(net).items():
            print(k, "x".join(map(str, shape)) or "scalar")
        print(f"{a.model} width {a.width}: {params} parameters")
        return 0
    if a.check_names:
        diffs = check_names(net, a.check_names)
        for d in diffs:
            print(d)
        print(f"{a.model} width {a.width}, {params} parameters: "
              f"{'the same names and shapes as' if not diffs else f'{len(diffs)} differences from'} "
              f"{a.check_names}")
        return 1 if diffs else 0

    if a.threads:
        torch.set_num_threads(a.threads)
    device = torch.device(a.device)
    n = torch.get_num_threads()
    where = f"cpu ({n} thread{'' if n == 1 else 's'})"
    if device.type == "cuda":
        if not torch.cuda.is_available():
            print("torch_bench: --device cuda, but this PyTorch sees no CUDA device", file=sys.stderr)
            return 1
        torch.backends.cuda.matmul.allow_tf32 = a.tf32
        torch.backends.cudnn.allow_tf32 = a.tf32
        torch.backends.cudnn.benchmark = True
        where = f"{torch.cuda.get_device_name(device)} (TF32 {'on' if a.tf32 else 'off'})"
    net = net.to(device)
    seconds, loss = measure(net, a, device)
    ips, ms = a.batch * a.steps / seconds, 1e3 * seconds / a.steps
    print(f"PyTorch {torch.__version__} on {where}: {a.model} w={a.width} batch={a.batch}, "
          f"{params} parameters: {ips:.1f} img/s ({ms:.2f} ms/step)")
    if a.json:
        result = {"framework": "pytorch", "version": torch.__version__, "device": where,
                  "model": a.model, "width": a.width, "batch": a.batch, "steps": a.steps,
                  "warmup": a.warmup, "parameters": params, "ms_per_step": ms,
                  "images_per_s": ips, "last_loss": loss}
        text = json.dumps(result, indent=1) + "\n"
        if a.json == "-":
            sys.stdout.write(text)
        else:
            with open(a.json, "w") as f:
                f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
