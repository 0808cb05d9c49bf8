"""onnx_import.py: networks exported by torch.onnx.export trained by `ampcl train --model FILE.onnx`.

Cases (--case NAME; all by default):
  resnet18  ResNet-18 width 8 exported from PyTorch in training mode: its training equals the
            built-in `--model resnet18 --width 8 --init` from the same weights bit for bit (every
            tensor after one epoch with amplification, log.csv and amp.log's layer names).
  plain     a plain CNN (Conv with bias, BatchNorm, ReLU, MaxPool, GlobalAveragePool, Flatten,
            Linear) trains, and `ampcl export` of it loads into the PyTorch model with
            load_state_dict(strict=True).
  relu6     a network with nn.ReLU6 and F.relu6 (Clip, with Constant and Cast around it): one SGD
            step equals PyTorch's float64 step within the cross-check's bound.
  densenet  a DenseNet-style network (Concat along channels): one SGD step as relu6's.
  mobilenet a MobileNetV2-style network (depthwise convolutions, ReLU6, inverted residuals): one
            SGD step as relu6's.
  pools     general max and average pools (padding, count_include_pad, ceil_mode): one SGD step
            as relu6's.
  plain64   a plain CNN (MaxPool, Dropout, Flatten, two Linear) exported at 64x64: ampcl fits
            the 32x32 data to its input size, and one SGD step equals PyTorch's float64 step on
            the same enlarged images with ampcl's dropout mask.
  matmul    a network with channel slices (x[:, 2:7], Slice; x[:, :6], a full one) and a head
            written with torch.matmul and weight parameters [in, out] (MatMul + Add, MatMul
            alone): one SGD step as relu6's, its weights exported under their own names and
            shapes.
  dataparallel  the DenseNet-style network on mpirun's two ranks with --sync-bn: one SGD step
            as densenet's (skipped without AMPCL_MPIEXEC).
  dropout   the classic CNN (max-pools, Flatten, two Linear layers, Dropout): a resumed run equals
            one straight through, another seed differs, eval-mode logits are PyTorch's.
  folded    a model exported for evaluation (BN folded into the convolutions) trains, and the
            run says so.
  refused   a graph with an operator ampcl lacks (Sigmoid) exits 2 naming the node and the
            operator, before any training.

usage: /usr/bin/python3 onnx_import.py --ampcl BUILD/ampcl --work DIR [--case NAME ...]
exit 0 when every case passes, 1 when one fails."""
import argparse, os, subprocess, sys, warnings

import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crosscheck as X  # the models with ampcl's layer names, the data and safetensors helpers


def export(model, path, size=32):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.train(), torch.randn(1, 3, size, size), path,
                          training=torch.onnx.TrainingMode.TRAINING,
                          do_constant_folding=False, opset_version=14)


def ampcl(args, cmd, check=True, ranks=1):
    """`ampcl CMD`, under mpirun (AMPCL_MPIEXEC) when ranks > 1."""
    launch = [os.environ["AMPCL_MPIEXEC"], "-np", str(ranks), "--oversubscribe"] if ranks > 1 else []
    p = subprocess.run(launch + [args.ampcl] + cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, env=dict(os.environ, AMPCL_TUNE="off", OMPI_ALLOW_RUN_AS_ROOT="1",
                                           OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1"))
    if check and p.returncode != 0:
        raise RuntimeError(f"ampcl {' '.join(cmd)} exited {p.returncode}:\n{p.stdout[-3000:]}")
    return p


TRAIN = ["--batch", "64", "--subset", "64", "--augment", "none", "--epochs", "1",
         "--amp-epochs", "0", "--amp-types", "bn,relu", "--amp-ratio", "0.5", "--seed", "5"]


def case_resnet18(args, work):
    sd = X.initial_weights("resnet18", 8, 3)
    model = X.build("resnet18", 8)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
    onnx_path, init = os.path.join(work, "r18w8.onnx"), os.path.join(work, "r18w8.safetensors")
    export(model, onnx_path)
    # tracing runs the model once in training mode, which moves BN's running statistics: the
    # file holds the weights as they are after the export
    sd = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    for k in sd:  # the exporter leaves BN's batch counters out of the file: they start at 0
        if k.endswith("num_batches_tracked"):
            sd[k] = np.zeros((), np.int64)
    X.write_safetensors(init, sd)
    data = os.path.join(work, "data")
    X.write_cifar(data, np.random.RandomState(7))
    got = {}
    for tag, flags in [("onnx", ["--model", onnx_path]),
                       ("builtin", ["--model", "resnet18", "--width", "8", "--init", init])]:
        out = os.path.join(work, tag)
        ampcl(args, ["train", "--data", data, "--out", out, "--overwrite"] + flags + TRAIN)
        ampcl(args, ["export", "--checkpoint", os.path.join(out, "last.ampcl"), "--out",
               os.path.join(out, "w.safetensors")])
        logs = {}
        for name in ("log.csv", "amp.log"):
            with open(os.path.join(out, name)) as f:
                logs[name] = f.read().splitlines()
        # log.csv without the columns of time
        rows = [r.split(",") for r in logs["log.csv"]]
        keep = [i for i, h in enumerate(rows[0]) if h not in ("seconds", "images_per_s", "data_wait_s")]
        logs["log.csv"] = [[r[i] for i in keep] for r in rows]
        got[tag] = (X.read_safetensors(os.path.join(out, "w.safetensors")), logs)
    (wa, la), (wb, lb) = got["onnx"], got["builtin"]
    differ = [k for k in wb if k not in wa or wa[k].tobytes() != wb[k].tobytes()]
    ok = not differ and set(wa) == set(wb)
    print(f"{'PASS' if ok else 'FAIL'} resnet18 w8 through ONNX equals the built-in bit for bit: "
          f"{len(wb)} tensors, {len(differ)} differ {differ[:4]}")
    same_logs = la == lb  # log.csv without its times and rates; amp.log whole
    print(f"{'PASS' if same_logs else 'FAIL'} log.csv and amp.log agree (layer names included)")
    if not same_logs:
        print("onnx:", la, "\nbuilt-in:", lb)
    return ok and same_logs


class Plain(nn.Module):
    def __init__(s):
        super().__init__()
        s.conv1 = nn.Conv2d(3, 6, 3, 1, 1); s.bn1 = nn.BatchNorm2d(6)
        s.conv2 = nn.Conv2d(6, 8, 3, 2, 1, bias=False)
        s.fc = nn.Linear(8, 10)

    def forward(s, x):
        x = F.max_pool2d(F.relu(s.bn1(s.conv1(x))), 2)
        x = F.relu(s.conv2(x))
        return s.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def case_plain(args, work):
    torch.manual_seed(11)
    model = Plain()
    path = os.path.join(work, "plain.onnx")
    export(model, path)
    data = os.path.join(work, "data_plain")
    X.write_cifar(data, np.random.RandomState(8))
    out = os.path.join(work, "plain")
    ampcl(args, ["train", "--data", data, "--out", out, "--overwrite", "--model", path] + TRAIN)
    w = os.path.join(out, "w.safetensors")
    ampcl(args, ["export", "--checkpoint", os.path.join(out, "last.ampcl"), "--out", w])
    trained = X.read_safetensors(w)
    try:
        model.load_state_dict({k: torch.from_numpy(v) for k, v in trained.items()}, strict=True)
        moved = not torch.equal(model.conv1.weight.detach(),
                                torch.from_numpy(X.read_safetensors(w)["conv1.weight"]) * 0)
        ok, why = moved, f"{len(trained)} tensors"
    except RuntimeError as e:
        ok, why = False, str(e)[:500]
    print(f"{'PASS' if ok else 'FAIL'} a plain CNN trains and loads back with strict=True: {why}")
    # the other verbs take the file as --model: eval of the exported weights equals eval of the
    # checkpoint, and bench times its steps
    acc = []
    for flags in (["--checkpoint", os.path.join(out, "last.ampcl")],
                  ["--weights", w, "--model", path]):
        p = ampcl(args, ["eval", "--data", data] + flags)
        acc.append([l for l in p.stdout.splitlines() if "accuracy" in l][-1:])
    same = acc[0] == acc[1] and acc[0] != []
    print(f"{'PASS' if same else 'FAIL'} eval --weights --model FILE.onnx equals eval of the "
          f"checkpoint: {acc}")
    p = ampcl(args, ["bench", "--model", path, "--batch", "8", "--steps", "2"], check=False)
    bench = p.returncode == 0 and "img/s" in p.stdout
    print(f"{'PASS' if bench else 'FAIL'} bench --model FILE.onnx: exit {p.returncode} "
          f"{p.stdout.strip().splitlines()[-1:] if p.stdout.strip() else ''}")
    # back as ONNX: a valid model whose initializers are the trained weights, and whose outputs
    # in PyTorch, with those weights, are ampcl's
    trained = os.path.join(work, "trained.onnx")
    ampcl(args, ["export", "--checkpoint", os.path.join(out, "last.ampcl"), "--format", "onnx",
                 "--out", trained])
    import onnx, onnx.numpy_helper
    m = onnx.load(trained)
    onnx.checker.check_model(m)
    inits = {t.name: onnx.numpy_helper.to_array(t) for t in m.graph.initializer}
    st = X.read_safetensors(w)
    equal = all(k in inits and inits[k].tobytes() == v.tobytes()
                for k, v in st.items() if not k.endswith("num_batches_tracked"))
    model.load_state_dict({k: torch.from_numpy(inits[k].copy()) if k in inits else
                           torch.from_numpy(v) for k, v in st.items()}, strict=True)
    pred = os.path.join(work, "plain_predictions.csv")
    ampcl(args, ["eval", "--data", data, "--checkpoint", os.path.join(out, "last.ampcl"),
                 "--predictions", pred])
    rows = np.loadtxt(pred, delimiter=",", skiprows=1)
    got = rows[:, -10:]
    pix, _ = X.write_cifar(os.path.join(work, "data_plain_again"), np.random.RandomState(8))["test_batch.bin"]
    with torch.no_grad():
        want = model.double().eval()(torch.from_numpy(X.normalise(pix)).double()).numpy()
    err = float(np.max(np.abs(got - want) / np.maximum(1, np.abs(want))))
    back = equal and err < X.LOGIT_TOL
    print(f"{'PASS' if back else 'FAIL'} export --format onnx: onnx.checker passes, the "
          f"initializers are the trained weights ({'equal' if equal else 'DIFFER'}), PyTorch's "
          f"logits with them are ampcl's within {X.LOGIT_TOL} (max error {err:.2e})")
    return ok and same and bench and back


class Relu6Net(nn.Module):
    """ReLU6 both ways PyTorch exports it: nn.ReLU6 (Constant, Constant, Clip) and F.relu6
    (Relu, then Constant, Cast, Clip)."""
    def __init__(s):
        super().__init__()
        s.conv1 = nn.Conv2d(3, 6, 3, 1, 1, bias=False); s.bn1 = nn.BatchNorm2d(6); s.act = nn.ReLU6()
        s.conv2 = nn.Conv2d(6, 8, 3, 2, 1); s.fc = nn.Linear(8, 10)

    def forward(s, x):
        x = s.act(s.bn1(s.conv1(x)))
        x = F.relu6(s.conv2(x))
        return s.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def step_check(args, work, tag, make, seed, size=32, truth=None, ranks=1, log=None):
    """One SGD step of make()'s network through ONNX against PyTorch's float64 step (float32's
    error as the noise floor, as the cross-check decides): the worst ratio and the failures.
    size: the model's input side, to which ampcl fits the 32x32 data by default (bilinear, each
    value rounded to a byte, as enlarge() does here); truth: the network PyTorch steps, when it
    is not make()'s own (a Dropout with ampcl's mask); ranks: mpirun's ranks, each with its share
    of the batch and BN's statistics over all of them (--sync-bn); log: a list the training's
    output is appended to."""
    torch.manual_seed(seed)
    model = make()
    path = os.path.join(work, tag + ".onnx")
    export(model, path, size)
    init = {k: v.detach().clone() for k, v in model.state_dict().items()}
    data = os.path.join(work, "data_" + tag)
    sets = X.write_cifar(data, np.random.RandomState(seed))
    out = os.path.join(work, tag)
    p = ampcl(args, ["train", "--data", data, "--out", out, "--overwrite", "--model", path,
                     "--batch", "64", "--subset", "64", "--augment", "none", "--epochs", "1",
                     "--lr-schedule", "constant", "--lr", "0.1", "--momentum", "0.9",
                     "--weight-decay", "5e-4", "--amp-epochs", ""]
              + (["--sync-bn"] if ranks > 1 else []), ranks=ranks)
    if log is not None:
        log.append(p.stdout)
    w = os.path.join(out, "w.safetensors")
    ampcl(args, ["export", "--checkpoint", os.path.join(out, "last.ampcl"), "--out", w])
    got = X.read_safetensors(w)
    pix, labels = sets["data_batch_1.bin"]
    if truth:  # a dropout mask goes by the position in ampcl's shuffled batch
        order = loader_order(1, 0, 64)
        pix, labels = pix[order], labels[order]
    x = X.normalise(enlarge(pix, size) if size != 32 else pix)

    def step(dtype):
        net = (truth or make)().to(dtype)
        net.load_state_dict({k: v.to(dtype) if v.is_floating_point() else v for k, v in init.items()})
        net.train()
        opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
        loss = F.cross_entropy(net(torch.from_numpy(x).to(dtype)), torch.from_numpy(labels).long())
        loss.backward()
        opt.step()
        return {k: v.detach().double().numpy() for k, v in net.state_dict().items()}
    truth, f32 = step(torch.float64), step(torch.float32)
    worst, failures = 0.0, []
    for k, t in truth.items():
        if k.endswith("num_batches_tracked"):
            continue
        before = init[k].double().numpy()
        d_truth = t - before
        scale = max(np.linalg.norm(d_truth), 1e-30)
        err = np.linalg.norm((got[k].astype(np.float64) - before) - d_truth) / scale
        err32 = np.linalg.norm((f32[k] - before) - d_truth) / scale
        bound = max(X.FACTOR * err32, X.FLOOR)
        worst = max(worst, err / bound)
        if not err <= bound:
            failures.append(f"{k}: {err:.2e} > {bound:.2e}")
    return worst, failures


def relu6_net():
    net = Relu6Net()
    with torch.no_grad():  # inputs that reach past 6 as well as below 0
        net.conv1.weight.mul_(8.0)
        net.bn1.weight.uniform_(2.0, 6.0)
    return net


def case_relu6(args, work):
    worst, failures = step_check(args, work, "relu6", relu6_net, 21)
    ok = not failures
    print(f"{'PASS' if ok else 'FAIL'} a ReLU6 network's SGD step through ONNX equals PyTorch's "
          f"float64 step within the cross-check's bound: worst {worst:.2f} of it {failures[:3]}")
    return ok


class Dense(nn.Module):
    """DenseNet's pattern: each layer's output concatenated to its input along channels."""
    def __init__(s):
        super().__init__()
        s.conv0 = nn.Conv2d(3, 4, 3, 1, 1, bias=False)
        s.bn1 = nn.BatchNorm2d(4); s.conv1 = nn.Conv2d(4, 3, 3, 1, 1, bias=False)
        s.bn2 = nn.BatchNorm2d(7); s.conv2 = nn.Conv2d(7, 3, 3, 1, 1, bias=False)
        s.bn3 = nn.BatchNorm2d(10); s.fc = nn.Linear(10, 10)

    def forward(s, x):
        x = s.conv0(x)
        x = torch.cat([x, s.conv1(F.relu(s.bn1(x)))], 1)
        x = torch.cat([x, s.conv2(F.relu(s.bn2(x)))], 1)
        x = F.max_pool2d(F.relu(s.bn3(x)), 2)
        return s.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def case_densenet(args, work):
    worst, failures = step_check(args, work, "dense", Dense, 22)
    ok = not failures
    print(f"{'PASS' if ok else 'FAIL'} a DenseNet-style network's (Concat) SGD step through ONNX "
          f"equals PyTorch's float64 step within the cross-check's bound: worst {worst:.2f} of it "
          f"{failures[:3]}")
    return ok


class MatMulSlice(nn.Module):
    """Channel slices and a head of explicit matrix products: torch.matmul(x, w) + b exports as
    MatMul and Add, w [in, out] under its parameter's name; x[:, 2:7] as Slice."""
    def __init__(s):
        super().__init__()
        s.conv1 = nn.Conv2d(3, 8, 3, 1, 1, bias=False); s.bn1 = nn.BatchNorm2d(8)
        s.conv2 = nn.Conv2d(5, 6, 3, 2, 1)
        s.w1 = nn.Parameter(torch.randn(6, 12) / 6 ** 0.5); s.b1 = nn.Parameter(torch.randn(12) * 0.1)
        s.w2 = nn.Parameter(torch.randn(12, 10) / 12 ** 0.5)

    def forward(s, x):
        x = F.relu(s.bn1(s.conv1(x)))[:, 2:7]
        x = F.relu(s.conv2(x))[:, :6]
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return torch.matmul(F.relu(torch.matmul(x, s.w1) + s.b1), s.w2)


def case_matmul(args, work):
    worst, failures = step_check(args, work, "matmul", MatMulSlice, 25)
    ok = not failures
    print(f"{'PASS' if ok else 'FAIL'} a network with channel slices and MatMul heads: one SGD "
          f"step through ONNX equals PyTorch's float64 step within the cross-check's bound, its "
          f"weights under their own names and shapes: worst {worst:.2f} of it {failures[:3]}")
    # written back as ONNX: the MatMul weights in their [in, out] layout, as the safetensors hold
    import onnx, onnx.numpy_helper
    out = os.path.join(work, "matmul")
    path = os.path.join(out, "trained.onnx")
    ampcl(args, ["export", "--checkpoint", os.path.join(out, "last.ampcl"), "--format", "onnx",
                 "--out", path])
    m = onnx.load(path)
    onnx.checker.check_model(m)
    inits = {t.name: onnx.numpy_helper.to_array(t) for t in m.graph.initializer}
    got = X.read_safetensors(os.path.join(out, "w.safetensors"))
    same = all(inits[k].shape == got[k].shape and np.array_equal(inits[k], got[k])
               for k in ("w1", "b1", "w2", "conv2.weight"))
    print(f"{'PASS' if same else 'FAIL'} its export --format onnx: onnx.checker passes, w1 "
          f"{list(inits['w1'].shape)}, b1, w2 {list(inits['w2'].shape)} are the exported "
          f"safetensors' bit for bit")
    return ok and same


InvertedResidual = X.torch_models.InvertedResidual  # one definition, shared with bench/


class MobileNetV2ish(nn.Module):
    def __init__(s):
        super().__init__()
        s.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU6())
        s.block1 = InvertedResidual(8, 8, 1, 2)
        s.block2 = InvertedResidual(8, 12, 2, 2)
        s.head = nn.Sequential(nn.Conv2d(12, 16, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU6())
        s.fc = nn.Linear(16, 10)

    def forward(s, x):
        x = s.head(s.block2(s.block1(s.stem(x))))
        return s.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def case_mobilenet(args, work):
    worst, failures = step_check(args, work, "mobilenet", MobileNetV2ish, 24)
    ok = not failures
    print(f"{'PASS' if ok else 'FAIL'} a MobileNetV2-style network's (depthwise convolutions, ReLU6, "
          f"inverted residuals) SGD step through ONNX equals PyTorch's float64 step within the "
          f"cross-check's bound: worst {worst:.2f} of it {failures[:3]}")
    return ok


class Pools(nn.Module):
    """ImageNet's stem pool (3x3, stride 2, pad 1), an average counting no padding, one in
    ceil_mode counting it."""
    def __init__(s):
        super().__init__()
        s.conv1 = nn.Conv2d(3, 6, 3, 1, 1, bias=False); s.bn1 = nn.BatchNorm2d(6)
        s.conv2 = nn.Conv2d(6, 8, 3, 1, 1); s.fc = nn.Linear(8, 10)

    def forward(s, x):
        x = F.max_pool2d(F.relu(s.bn1(s.conv1(x))), 3, 2, 1)
        x = F.avg_pool2d(F.relu(s.conv2(x)), 3, 1, 1, count_include_pad=False)
        x = F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=True)
        return s.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def case_pools(args, work):
    worst, failures = step_check(args, work, "pools", Pools, 25)
    ok = not failures
    print(f"{'PASS' if ok else 'FAIL'} a network with general pools (3x3/2 max with padding, "
          f"averages with and without the padding, ceil_mode) trains one SGD step through ONNX "
          f"as PyTorch's float64 step within the cross-check's bound: worst {worst:.2f} of it "
          f"{failures[:3]}")
    return ok


class Classic(nn.Module):
    """The classic CNN: convolutions and max-pools, Flatten, two Linear layers with Dropout."""
    def __init__(s):
        super().__init__()
        s.conv1 = nn.Conv2d(3, 8, 3, 1, 1); s.conv2 = nn.Conv2d(8, 8, 3, 1, 1)
        s.fc1 = nn.Linear(8 * 8 * 8, 32); s.drop = nn.Dropout(0.3); s.fc2 = nn.Linear(32, 10)

    def forward(s, x):
        x = F.max_pool2d(F.relu(s.conv1(x)), 2)
        x = F.max_pool2d(F.relu(s.conv2(x)), 2)
        return s.fc2(s.drop(F.relu(s.fc1(torch.flatten(x, 1)))))


def enlarge(pix, size):
    """32x32 bytes enlarged to size x size as ampcl fits them: bilinear (align_corners=False,
    clamped at the edges), rounded half up to bytes."""
    t = torch.from_numpy(pix.astype(np.float64))
    up = F.interpolate(t, size=(size, size), mode="bilinear", align_corners=False)
    return np.clip(np.floor(up.numpy() + 0.5), 0, 255).astype(np.uint8)


M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def loader_order(seed, epoch, count):
    """The loader's shuffle of an epoch (host/data/loader.c, host/util/rng.h): xoshiro256**
    seeded by splitmix64 from the epoch's key, Fisher-Yates, rejection below n."""
    key = mix64((seed + GOLDEN * (epoch + 1)) & M64) ^ 0x53485546464C4531
    s = []
    for _ in range(4):
        s.append(mix64((key + GOLDEN) & M64))
        key = (key + GOLDEN) & M64
    rotl = lambda x, k: ((x << k) | (x >> (64 - k))) & M64

    def nxt():
        out = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t
        s[3] = rotl(s[3], 45)
        return out

    def below(n):
        threshold = ((1 << 64) - n) % n
        while True:
            x = nxt()
            if x >= threshold:
                return x % n
    order = list(range(count))
    for i in range(count - 1, 0, -1):
        j = below(i + 1)
        order[i], order[j] = order[j], order[i]
    return np.array(order)


def dropout_mask(seed, step, salt, n, p):
    """ampcl's dropout mask (cl/eltwise.cl's dropout_hash): element i of a layer's output is kept
    when the hash of (seed, step, salt, i) reaches p * 2^32."""
    u32 = np.uint32
    with np.errstate(over="ignore"):
        h = np.full(n, (seed & 0xFFFFFFFF) ^ 0x9E3779B9, dtype=u32)
        for v in (np.full(n, seed >> 32, u32), np.full(n, step, u32), np.full(n, salt, u32),
                  np.arange(n, dtype=u32)):
            h ^= v + u32(0x85EBCA6B) + (h << u32(6)) + (h >> u32(2))
            h ^= h >> u32(16); h *= u32(0x7FEB352D); h ^= h >> u32(15)
            h *= u32(0x846CA68B); h ^= h >> u32(16)
    return h >= np.uint32(int(float(np.float32(p)) * 2.0 ** 32))


class Plain64(nn.Module):
    """The classic CNN at 64x64: convolutions and max-pools, Flatten, two Linear layers with
    Dropout between them. mask: None (nn.Dropout, exported) or the kept elements of fc1's
    output, which the PyTorch step multiplies in as ampcl's Dropout does."""
    P = 0.3

    def __init__(s, mask=None):
        super().__init__()
        s.conv1 = nn.Conv2d(3, 6, 3, 1, 1); s.conv2 = nn.Conv2d(6, 8, 3, 1, 1)
        s.fc1 = nn.Linear(8 * 8 * 8, 24); s.drop = nn.Dropout(Plain64.P); s.fc2 = nn.Linear(24, 10)
        s.mask = mask

    def forward(s, x):
        x = F.max_pool2d(F.relu(s.conv1(x)), 2)
        x = F.max_pool2d(F.relu(s.conv2(x)), 2)
        x = F.max_pool2d(x, 2)
        x = F.relu(s.fc1(torch.flatten(x, 1)))
        if s.mask is None:
            return s.fc2(s.drop(x))
        keep = torch.from_numpy(s.mask.reshape(x.shape)).to(x.dtype)
        return s.fc2(x * keep / (1 - float(np.float32(Plain64.P))))


def case_plain64(args, work):
    """A plain CNN (MaxPool, Dropout, Flatten, two Linear) exported at 64x64: ampcl fits the
    32x32 data to the model's input size by default, and one SGD step equals PyTorch's float64
    step on the same enlarged images with ampcl's dropout mask (seed 1, step 0, the Dropout's
    layer index 10: input, conv, relu, pool, conv, relu, pool, pool, linear, relu)."""
    mask = dropout_mask(1, 0, 10, 64 * 24, Plain64.P)
    worst, failures = step_check(args, work, "plain64", Plain64, 24, size=64,
                                 truth=lambda: Plain64(mask))
    ok = not failures
    print(f"{'PASS' if ok else 'FAIL'} a plain CNN at 64x64 (MaxPool, Dropout, Flatten, two "
          f"Linear): its SGD step through ONNX equals PyTorch's float64 step within the "
          f"cross-check's bound: worst {worst:.2f} of it {failures[:3]}")
    return ok


def case_dataparallel(args, work):
    """The DenseNet-style network (Concat, BN, a max-pool, the global average) on mpirun's two
    ranks with --sync-bn, 32 images each: one SGD step equals PyTorch's float64 step over the 64
    images within the cross-check's bound, as one rank's does."""
    if not os.environ.get("AMPCL_MPIEXEC"):
        print("SKIP data-parallel through ONNX: no mpirun (AMPCL_MPIEXEC; ampcl built without MPI)")
        return True
    log = []
    worst, failures = step_check(args, work, "dense_dp", Dense, 22, ranks=2, log=log)
    if "data-parallel over 2 ranks" not in log[0]:
        failures.append("the run was not data-parallel over 2 ranks: " + log[0][-500:])
    ok = not failures
    print(f"{'PASS' if ok else 'FAIL'} a DenseNet-style network through ONNX on 2 ranks with "
          f"--sync-bn: one SGD step equals PyTorch's float64 step within the cross-check's bound: "
          f"worst {worst:.2f} of it {failures[:3]}")
    return ok


def case_dropout(args, work):
    """Dropout draws its masks from the run's seed and step: a run stopped after its first epoch
    and resumed ends bit for bit as one run straight through, and another seed draws other masks;
    evaluation leaves dropout out, so PyTorch's eval-mode logits with the trained weights are
    ampcl's."""
    torch.manual_seed(23)
    model = Classic()
    path = os.path.join(work, "classic.onnx")
    export(model, path)
    data = os.path.join(work, "data_classic")
    X.write_cifar(data, np.random.RandomState(10))
    flags = ["--data", data, "--model", path, "--batch", "16", "--augment", "none",
             "--amp-epochs", "", "--overwrite"]
    straight, halves, other = (os.path.join(work, k) for k in ("cl_straight", "cl_halves", "cl_other"))
    ampcl(args, ["train", "--out", straight, "--epochs", "2"] + flags)
    ampcl(args, ["train", "--out", halves, "--epochs", "1"] + flags)
    ampcl(args, ["train", "--resume", halves, "--epochs", "2"])
    ampcl(args, ["train", "--out", other, "--epochs", "2", "--seed", "2"] + flags)
    # exported for evaluation the graph has no Dropout: the same run without it trains otherwise
    plain = os.path.join(work, "classic_eval.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), torch.randn(1, 3, 32, 32), plain, opset_version=14,
                          do_constant_folding=False)
    nodrop = os.path.join(work, "cl_nodrop")
    ampcl(args, ["train", "--out", nodrop, "--epochs", "2"] + flags[:2] + ["--model", plain] + flags[4:])
    w = {}
    for k, d in (("straight", straight), ("halves", halves), ("other", other), ("nodrop", nodrop)):
        w[k] = os.path.join(d, "w.safetensors")
        ampcl(args, ["export", "--checkpoint", os.path.join(d, "last.ampcl"), "--out", w[k]])
    a, b, c, e = (X.read_safetensors(w[k]) for k in ("straight", "halves", "other", "nodrop"))
    resumed = all(a[k].tobytes() == b[k].tobytes() for k in a)
    differs = any(a[k].tobytes() != c[k].tobytes() for k in a)
    acts = any(a[k].tobytes() != e[k].tobytes() for k in a)
    pred = os.path.join(work, "classic_predictions.csv")
    ampcl(args, ["eval", "--data", data, "--checkpoint", os.path.join(straight, "last.ampcl"),
                 "--predictions", pred])
    got = np.loadtxt(pred, delimiter=",", skiprows=1)[:, -10:]
    model.load_state_dict({k: torch.from_numpy(v) for k, v in a.items()}, strict=True)
    pix, _ = X.write_cifar(os.path.join(work, "data_classic_again"), np.random.RandomState(10))["test_batch.bin"]
    with torch.no_grad():
        want = model.double().eval()(torch.from_numpy(X.normalise(pix)).double()).numpy()
    err = float(np.max(np.abs(got - want) / np.maximum(1, np.abs(want))))
    ok = resumed and differs and acts and err < X.LOGIT_TOL
    print(f"{'PASS' if ok else 'FAIL'} Dropout: a resumed run equals one straight through "
          f"({'yes' if resumed else 'NO'}), another seed trains otherwise ({'yes' if differs else 'NO'}), "
          f"the same run without Dropout trains otherwise ({'yes' if acts else 'NO'}), "
          f"eval-mode logits are PyTorch's within {X.LOGIT_TOL} (max error {err:.2e})")
    return ok


def case_folded(args, work):
    """A model exported for evaluation (BN folded into the convolutions, renamed onnx::Conv_N)
    trains, and the run says what it is training."""
    class Small(nn.Module):
        def __init__(s):
            super().__init__()
            s.conv1 = nn.Conv2d(3, 4, 3, 1, 1, bias=False); s.bn1 = nn.BatchNorm2d(4)
            s.fc = nn.Linear(4, 10)

        def forward(s, x):
            return s.fc(torch.flatten(F.adaptive_avg_pool2d(F.relu(s.bn1(s.conv1(x))), 1), 1))
    path = os.path.join(work, "folded.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Small().eval(), torch.randn(1, 3, 32, 32), path, opset_version=14)
    data = os.path.join(work, "data")
    if not os.path.isdir(data):
        X.write_cifar(data, np.random.RandomState(7))
    p = ampcl(args, ["train", "--data", data, "--out", os.path.join(work, "folded"), "--model",
                     path, "--overwrite"] + TRAIN, check=False)
    ok = p.returncode == 0 and "has no BatchNormalization" in p.stdout and "TRAINING" in p.stdout
    print(f"{'PASS' if ok else 'FAIL'} an export made for evaluation trains and the run says BN "
          f"was folded: exit {p.returncode}: "
          f"{[l for l in p.stdout.splitlines() if 'BatchNormalization' in l][:1]}")
    return ok


def case_refused(args, work):
    class Odd(nn.Module):
        def __init__(s):
            super().__init__(); s.conv = nn.Conv2d(3, 4, 3, 1, 1); s.fc = nn.Linear(4, 10)

        def forward(s, x):
            return s.fc(torch.flatten(F.adaptive_avg_pool2d(torch.sigmoid(s.conv(x)), 1), 1))
    path = os.path.join(work, "odd.onnx")
    export(Odd(), path)
    data = os.path.join(work, "data")
    if not os.path.isdir(data):
        X.write_cifar(data, np.random.RandomState(7))
    p = ampcl(args, ["train", "--data", data, "--out", os.path.join(work, "odd"), "--model", path,
                     "--overwrite"] + TRAIN, check=False)
    ok = (p.returncode == 2 and "(Sigmoid)" in p.stdout and "/Sigmoid" in p.stdout
          and "ampcl imports" in p.stdout and not os.path.exists(os.path.join(work, "odd", "log.csv")))
    print(f"{'PASS' if ok else 'FAIL'} an unsupported operator is refused: exit {p.returncode}: "
          f"{p.stdout.strip()[-400:]}")
    return ok


CASES = {"resnet18": case_resnet18, "plain": case_plain, "plain64": case_plain64,
         "relu6": case_relu6,
         "densenet": case_densenet, "mobilenet": case_mobilenet, "pools": case_pools,
         "matmul": case_matmul, "dataparallel": case_dataparallel, "dropout": case_dropout,
         "folded": case_folded,
         "refused": case_refused}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ampcl", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--case", action="append", choices=sorted(CASES))
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    ok = True
    for name in args.case or list(CASES):
        try:
            ok &= CASES[name](args, args.work)
        except Exception as e:  # a failed command fails the case, and the others still run
            print(f"FAIL {name}: {e}")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
