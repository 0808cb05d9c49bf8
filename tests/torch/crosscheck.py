"""crosscheck.py: one SGD step of ampcl against PyTorch (float64 as truth, float32 as the noise
floor), per tensor, for ResNet-18/34 and VGG-19 at several widths, with and without amplification.

Each case writes a small CIFAR-10-format data set and PyTorch-initialised weights, runs
`ampcl train --init W --subset 64 --batch 64 --augment none --epochs 1` and `ampcl export`, and
computes the same step in PyTorch. For every parameter and BN statistic the update
d = after - before is compared: err(x) = |d_x - d_truth| / |d_truth| (L2 norms). A tensor passes
when err(ampcl) <= max(FACTOR * err(float32), FLOOR). Amplification is applied in PyTorch with full
backward hooks on modules (grad_input * a) and, for the params target, hooks on the module's
parameter gradients, as docs/design.md defines it. Then the eval-mode logits of the trained weights on
the test images (`ampcl eval --weights ... --predictions`) are compared with PyTorch's.

usage: /usr/bin/python3 crosscheck.py --ampcl BUILD/ampcl --work DIR [--case NAME ...] [--list] [-v]
exit 0 when every case passes, 1 when one fails, 2 for bad usage."""
import argparse, json, os, struct, subprocess, sys, time

import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
import torch_models  # noqa: E402  ampcl's models in PyTorch, one definition for tests and bench

FACTOR, FLOOR = 10.0, 2e-5  # ampcl's error may be 10x PyTorch float32's, or below 2e-5
LOGIT_TOL = 1e-4            # eval-mode logits: max |diff| from PyTorch float64, x max(1, |logit|)
BATCH, TEST = 64, 16
MEAN = [0.4914, 0.4822, 0.4465]  # ampcl's CIFAR-10 constants (float32 in ampcl)
STD = [0.2470, 0.2435, 0.2616]


# ---- the ReLU of the models (bench/torch_models.py: ampcl's layer names, ReLUs as modules) ----
class ReLU(nn.Module):
    """nn.ReLU whose decision can be inverted at chosen elements (flat indices of its input), and
    which keeps its input: a float32 implementation cannot tell the sign of an input within its
    rounding error of zero, so the float64 truth may have to take the other branch there."""
    def __init__(s):
        super().__init__(); s.flip, s.keep, s.seen = None, False, None

    def forward(s, v):
        if s.keep:
            s.seen = v.detach()
        if s.flip is None:
            return F.relu(v)
        m = (v > 0).to(v.dtype).flatten().clone()
        m[s.flip] = 1 - m[s.flip]
        return v * m.view_as(v)


def build(model, width):
    """The shared PyTorch model (bench/torch_models.py) with the ReLU above in every place."""
    return torch_models.build(model, width, relu=ReLU)


# ---- the cases: (name, model, width, amplification flags or None) ----
def amp(types, target, factor):
    return {"types": types, "target": target, "factor": factor}


CASES = [
    ("r18w4", "resnet18", 4, None),
    ("r18w8", "resnet18", 8, None),
    ("r18w16", "resnet18", 16, None),
    ("r34w4", "resnet34", 4, None),
    ("vgg19w4", "vgg19", 4, None),
    ("vgg19w8", "vgg19", 8, None),
    ("r18w8-bn-input-2", "resnet18", 8, amp("bn", "input", 2.0)),
    ("r18w4-relu-input-1.5", "resnet18", 4, amp("relu", "input", 1.5)),
    ("r18w4-conv-params-3", "resnet18", 4, amp("conv", "params", 3.0)),
    ("r18w4-all-both-1.5", "resnet18", 4, amp("relu,bn,conv,linear", "both", 1.5)),
    ("r34w4-bn-both-2", "resnet34", 4, amp("bn", "both", 2.0)),
    ("vgg19w4-conv+linear-input-2", "vgg19", 4, amp("conv,linear", "input", 2.0)),
    ("vgg19w8-bn-both-1.5", "vgg19", 8, amp("bn", "both", 1.5)),
    ("vgg19w4-relu-input-1.5", "vgg19", 4, amp("relu", "input", 1.5)),
    # batch 63 of r18w8's data puts a layer4.0.relu1 input 4.8e-8 x mean|input| from zero:
    # ampcl's float32 sum lands above it, the float64 truth below (the report of issue 8)
    ("r18w8-b63-tie", "resnet18", 8, None, {"batch": 63, "seed_of": "r18w8"}),
    # and a real error still fails: ampcl's update of one tensor off by 0.2%
    ("r18w8-b63-wrong", "resnet18", 8, None,
     {"batch": 63, "seed_of": "r18w8", "tamper": "layer4.0.conv2.weight"}),
]
TYPES = {"conv": nn.Conv2d, "bn": nn.BatchNorm2d, "relu": ReLU, "linear": nn.Linear}


# ---- files: CIFAR-10 binary and safetensors ----
def write_cifar(folder, rng, batch=BATCH):
    os.makedirs(folder, exist_ok=True)
    sets = {"data_batch_1.bin": batch, "data_batch_2.bin": 1, "data_batch_3.bin": 1,
            "data_batch_4.bin": 1, "data_batch_5.bin": 1, "test_batch.bin": TEST}
    out = {}
    for name, n in sets.items():
        labels = rng.randint(0, 10, n).astype(np.uint8)
        # smooth random images: a low-frequency pattern plus noise, like photographs more than noise
        base = rng.rand(n, 3, 4, 4).repeat(8, 2).repeat(8, 3)
        pix = np.clip(base * 200 + rng.rand(n, 3, 32, 32) * 55, 0, 255).astype(np.uint8)
        rec = np.concatenate([labels[:, None], pix.reshape(n, -1)], 1)
        with open(os.path.join(folder, name), "wb") as f:
            f.write(rec.tobytes())
        out[name] = (pix, labels)
    return out


def normalise(pix):
    x = pix.astype(np.float64) / 255.0
    m = np.array([float(np.float32(v)) for v in MEAN]).reshape(1, 3, 1, 1)
    s = np.array([float(np.float32(v)) for v in STD]).reshape(1, 3, 1, 1)
    return ((x - m) / s).astype(np.float32)  # as ampcl's loader: double arithmetic, float result


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, a in tensors.items():
        a = np.array(a, order="C")  # (ascontiguousarray would make a scalar 1-D)
        dtype = {np.float32: "F32", np.int64: "I64"}[a.dtype.type]
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        blobs.append(a.tobytes()); off += a.nbytes
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n]); data = raw[8 + n:]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        dt = {"F32": np.float32, "I64": np.int64}[t["dtype"]]
        b, e = t["data_offsets"]
        out[name] = np.frombuffer(data[b:e], dtype=dt).reshape(t["shape"]).copy()
    return out


# ---- PyTorch's step ----
def initial_weights(model, width, seed, plain=False):
    """PyTorch's initialisation for this seed; unless plain, BN weights, biases and running
    statistics drawn away from 1, 0, 0, 1."""
    torch.manual_seed(seed)
    net = build(model, width)
    g = torch.Generator().manual_seed(seed + 1)
    sd = net.state_dict()
    for name, t in [] if plain else sd.items():  # BN away from its trivial init, so every term of its gradient counts
        if name.endswith(".weight") and t.dim() == 1 and "linear" not in name and "classifier" not in name:
            t.copy_(0.5 + torch.rand(t.shape, generator=g))
        elif name.endswith(".bias") and t.dim() == 1 and "linear" not in name and "classifier" not in name:
            t.copy_(0.2 * torch.randn(t.shape, generator=g))
        elif name.endswith("running_mean"):
            t.copy_(0.1 * torch.randn(t.shape, generator=g))
        elif name.endswith("running_var"):
            t.copy_(0.5 + torch.rand(t.shape, generator=g))
    return {k: v.numpy().astype(np.float32) if v.is_floating_point() else v.numpy().astype(np.int64)
            for k, v in sd.items()}


def torch_step(model, width, init, x, y, ampcfg, dtype, flips=None, keep=False):
    """One SGD step; flips: {relu name: flat indices whose decision is inverted}; keep: also
    return each ReLU's input."""
    net = build(model, width).to(dtype)
    net.load_state_dict({k: torch.from_numpy(v) for k, v in init.items()})
    net.train()
    relus = {n: m for n, m in net.named_modules() if isinstance(m, ReLU)}
    for n, m in relus.items():
        m.keep = keep
        if flips and n in flips:
            m.flip = torch.tensor(flips[n], dtype=torch.long)
    if ampcfg:
        f, kinds = ampcfg["factor"], tuple(TYPES[t] for t in ampcfg["types"].split(","))
        for m in net.modules():
            if not isinstance(m, kinds):
                continue
            if ampcfg["target"] in ("input", "both"):
                m.register_full_backward_hook(
                    lambda mod, gin, gout: tuple(None if g is None else g * f for g in gin))
            if ampcfg["target"] in ("params", "both"):
                for p in m.parameters(recurse=False):
                    p.register_hook(lambda g: g * f)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    opt.zero_grad()
    loss = F.cross_entropy(net(torch.from_numpy(x).to(dtype)), torch.from_numpy(y).long())
    loss.backward()
    opt.step()
    state = {k: v.detach().double().numpy() for k, v in net.state_dict().items()}
    return state, float(loss), ({n: m.seen for n, m in relus.items()} if keep else None)


def ties(inputs64, inputs32, margin=3.0, most=16):
    """ReLU inputs whose float64 value is nearer zero than margin x the RMS float32 error of that
    layer's inputs: a float32 forward pass decides their sign by rounding. Returns
    (|x| / band, relu name, flat index), nearest first."""
    out = []
    for n, v in inputs64.items():
        a = v.abs().flatten()
        band = margin * float((inputs32[n].double() - v).pow(2).mean().sqrt())
        for i in torch.nonzero(a < band).flatten().tolist():
            out.append((float(a[i]) / band, n, i))
    return sorted(out)[:most]


def explain_ties(step, compare_with, truth, candidates):
    """The set of ReLU decisions to invert in the float64 truth that best explains ampcl's
    update: each candidate's effect is measured alone (one float64 step each), then greedily
    added while it cuts the total error by 30% or more, until the comparison passes; the chosen
    set is then stepped together.
    Returns (flips {name: [index]}, the descriptions) or ({}, []) when none helps."""
    base = compare_with(truth)[3]
    effects = []
    for rel, name, i in candidates:
        t = step({name: [i]})
        effects.append(((rel, name, i), {k: t[k] - truth[k] for k in truth}))
    chosen, current, score = [], dict(truth), base
    while compare_with(current)[0]:
        best = None
        for c, eff in effects:
            if c in chosen:
                continue
            s = compare_with({k: current[k] + eff[k] for k in current})[3]
            if best is None or s < best[0]:
                best = (s, c, eff)
        if best is None or not best[0] < 0.7 * score:
            break
        score, c, eff = best
        chosen.append(c)
        current = {k: current[k] + eff[k] for k in current}
    flips = {}
    for rel, name, i in chosen:
        flips.setdefault(name, []).append(i)
    return flips, [f"{name}[{i}] at {rel:.1e} x the float32 error band" for rel, name, i in chosen]


def torch_logits(model, width, weights, x):
    net = build(model, width).double()
    net.load_state_dict({k: torch.from_numpy(v.astype(np.float64) if v.dtype == np.float32 else v)
                         for k, v in weights.items()})
    net.eval()
    with torch.no_grad():
        return net(torch.from_numpy(x).double()).numpy()


# ---- one case ----
def run(cmd, log):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with open(log, "a") as f:
        f.write("$ " + " ".join(cmd) + "\n" + p.stdout + "\n")
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stdout[-3000:]}")
    return p.stdout


def check_case(ampcl, work, case, verbose, step_only, repeat=0, plain=False):
    name, model, width, ampcfg = case[:4]
    opts = case[4] if len(case) > 4 else {}
    batch = opts.get("batch", BATCH)
    d = os.path.join(work, name if not repeat else f"{name}.{repeat}")
    os.makedirs(d, exist_ok=True)
    log = os.path.join(d, "commands.log")
    open(log, "w").close()
    seed = 1000 + sum(map(ord, opts.get("seed_of", name))) + 7919 * repeat
    rng = np.random.RandomState(seed)
    data = write_cifar(os.path.join(d, "data"), rng, batch)
    init = initial_weights(model, width, seed, plain)
    write_safetensors(os.path.join(d, "init.safetensors"), init)

    cmd = [ampcl, "train", "--data", os.path.join(d, "data"), "--model", model, "--width",
           str(width), "--init", os.path.join(d, "init.safetensors"), "--subset", str(batch),
           "--batch", str(batch), "--augment", "none", "--lr-schedule", "constant", "--lr", "0.1",
           "--momentum", "0.9", "--weight-decay", "5e-4", "--epochs", "1", "--overwrite", "--out",
           os.path.join(d, "out")]
    if ampcfg:
        cmd += ["--amp-epochs", "0", "--amp-ratio", "1", "--amp-types", ampcfg["types"],
                "--amp-target", ampcfg["target"], "--amp-factor", str(ampcfg["factor"])]
    run(cmd, log)
    after_path = os.path.join(d, "after.safetensors")
    run([ampcl, "export", "--checkpoint", os.path.join(d, "out", "last.ampcl"), "--out", after_path], log)
    got = read_safetensors(after_path)
    if "tamper" in opts:
        k = opts["tamper"]
        got[k] = (init[k] + (got[k] - init[k]) * np.float32(1.002)).astype(np.float32)

    pix, labels = data["data_batch_1.bin"]
    pix, labels = pix[:batch], labels[:batch]
    x = normalise(pix)
    truth, loss64, inputs = torch_step(model, width, init, x, labels, ampcfg, torch.float64, keep=True)
    f32, _, inputs32 = torch_step(model, width, init, x, labels, ampcfg, torch.float32, keep=True)
    failures, worst, rows, score = compare(init, got, truth, f32)
    # A miss may come from ReLU inputs within float32 rounding of zero, whose sign ampcl's sums
    # and PyTorch's decide differently: the truth then takes ampcl's side of those decisions.
    explained = []
    if failures:
        step = lambda flips: torch_step(model, width, init, x, labels, ampcfg, torch.float64,
                                        flips=flips)[0]
        flips, explained = explain_ties(step, lambda t: compare(init, got, t, f32), truth,
                                        ties(inputs, inputs32))
        if flips:
            failures, worst, rows, score = compare(init, got, step(flips), f32)
    if verbose:
        for k, ea, e32, allowed in rows:
            print(f"  {k:40s} ampcl {ea:.2e}  float32 {e32:.2e}  {'ok' if ea <= allowed else 'FAIL'}")
    if explained:
        print(f"     the truth takes ampcl's side of {len(explained)} ReLU decision(s) within float32 "
              f"rounding of zero: {', '.join(explained)}")

    if "tamper" in opts:  # this case passes when the comparison catches the change
        caught = any(f.startswith(opts["tamper"] + ":") for f in failures)
        return ([] if caught else [f"a 0.2% error in {opts['tamper']} went unnoticed"], worst,
                loss64, float("nan"))
    if step_only or ampcfg:  # (amplified steps blow the weights up: logits of 1e15)
        return failures, worst, loss64, float("nan")
    # eval-mode logits of the trained weights on the test images
    preds = os.path.join(d, "predictions.csv")
    run([ampcl, "eval", "--weights", after_path, "--model", model, "--width", str(width), "--data",
         os.path.join(d, "data"), "--predictions", preds], log)
    tpix, tlabels = data["test_batch.bin"]
    ref = torch_logits(model, width, got, normalise(tpix))
    with open(preds) as f:
        head = f.readline().strip().split(",")
        rows = [line.strip().split(",") for line in f if line.strip()]
    li = [head.index(f"logit{c}") for c in range(10)]
    pi = [head.index(f"p{c}") for c in range(10)]
    ours = np.array([[float(r[i]) for i in li] for r in rows])
    probs = np.array([[float(r[i]) for i in pi] for r in rows])
    pred = np.array([int(r[head.index("predicted")]) for r in rows])
    lab = np.array([int(r[head.index("label")]) for r in rows])
    if ours.shape != ref.shape:
        failures.append(f"predictions: {ours.shape} logits, PyTorch {ref.shape}")
        logit_diff = float("inf")
    else:
        logit_diff = float((np.abs(ours - ref) / np.maximum(1.0, np.abs(ref))).max())
        if not logit_diff <= LOGIT_TOL:
            failures.append(f"eval logits differ from PyTorch's by {logit_diff:.2e} (> {LOGIT_TOL})")
        if (pred != ours.argmax(1)).any() or (lab != tlabels).any():
            failures.append("predictions.csv: a predicted class is not its logits' argmax, or a label is wrong")
        if np.abs(probs.sum(1) - 1).max() > 1e-4:
            failures.append("predictions.csv: probabilities do not sum to 1")
    return failures, worst, loss64, logit_diff


def compare(init, got, truth, f32):
    """Per tensor: err = |d_ampcl - d_truth| / |d_truth| of the update d against FACTOR x
    PyTorch float32's (or FLOOR). Returns failures, the worst (ratio, name), rows and the sum of
    ratios (how far off ampcl is overall)."""
    failures, worst, rows, score = [], (0.0, ""), [], 0.0
    for k, t in truth.items():
        if k.endswith("num_batches_tracked"):
            if int(got[k]) != int(t):
                failures.append(f"{k}: ampcl {int(got[k])}, PyTorch {int(t)}")
            continue
        base = init[k].astype(np.float64)
        dt, da, d32 = t - base, got[k].astype(np.float64) - base, f32[k] - base
        norm = np.linalg.norm(dt) or 1e-30
        ea, e32 = np.linalg.norm(da - dt) / norm, np.linalg.norm(d32 - dt) / norm
        allowed = max(FACTOR * e32, FLOOR)
        rows.append((k, ea, e32, allowed))
        score += ea / allowed if np.isfinite(ea) else 1e30
        if ea / allowed > worst[0]:
            worst = (ea / allowed, k)
        if not ea <= allowed:
            failures.append(f"{k}: ampcl {ea:.2e}, PyTorch float32 {e32:.2e} (allowed {allowed:.2e})")
    return failures, worst, rows, score


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ampcl", help="the ampcl program")
    ap.add_argument("--work", help="a folder for the cases' files")
    ap.add_argument("--case", action="append", help="run only these cases (default: all)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true", help="every tensor's errors")
    ap.add_argument("--step-only", action="store_true", help="skip the eval-mode logits check")
    ap.add_argument("--seeds", type=int, default=1, help="run each case with this many seeds")
    ap.add_argument("--plain-init", action="store_true",
                    help="PyTorch's own initialisation (BN weight 1, bias 0)")
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", 0)) or os.cpu_count() or 1)
    if a.list:
        for c in CASES:
            print(c[0])
        return 0
    if not a.ampcl or not a.work:
        ap.error("--ampcl and --work are required")
    cases = [c for c in CASES if not a.case or c[0] in a.case]
    unknown = set(a.case or []) - {c[0] for c in CASES}
    if unknown:
        print(f"crosscheck: unknown case(s) {', '.join(sorted(unknown))}; --list shows them", file=sys.stderr)
        return 2
    passed = failed = 0
    for c, r in [(c, r) for c in cases for r in range(a.seeds)]:
        t0 = time.time()
        try:
            failures, worst, loss, logit_diff = check_case(a.ampcl, a.work, c, a.verbose,
                                                           a.step_only, r, a.plain_init)
        except Exception as e:  # a command that failed is this case's failure, the others still run
            failures, worst, loss, logit_diff = [str(e)], (float("nan"), ""), float("nan"), float("nan")
        status = "ok" if not failures else "FAIL"
        label = c[0] if not r else f"{c[0]} (seed {r})"
        print(f"{status:4s} {label:30s} loss {loss:.5f}  worst error/allowed {worst[0]:.2f} ({worst[1]})"
              f"  eval logits max |diff| {logit_diff:.1e}  {time.time() - t0:.1f} s", flush=True)
        for m in failures[:20]:
            print("     " + m)
        passed += not failures
        failed += bool(failures)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
