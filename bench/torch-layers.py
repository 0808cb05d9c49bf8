"""torch-layers.py: PyTorch CPU timings of the same layer ops at the same shapes as an
`ampcl bench --kernels --json FILE` run, and the ratio ampcl/PyTorch per op, in one table.
Usage: /usr/bin/python3 bench/torch-layers.py AMPCL_BENCH.json   (Debian's python3-torch; THREADS=n)"""
import json, os, re, sys, time
import torch, torch.nn.functional as F

torch.set_num_threads(int(os.environ.get("THREADS", os.cpu_count())))
torch.manual_seed(0)


def median_ms(fn, reps=5):
    for _ in range(2):
        fn()
    t = []
    for _ in range(reps):
        t0 = time.perf_counter(); fn(); t.append(1e3 * (time.perf_counter() - t0))
    return sorted(t)[len(t) // 2]


def conv(shape, n, pas):
    c, h, _, k, r, _, s = map(int, re.match(r"(\d+)x(\d+)x(\d+) -> (\d+), (\d+)x(\d+) s(\d+)", shape).groups())
    x = torch.randn(n, c, h, h, requires_grad=pas == "backward")
    w = torch.randn(k, c, r, r, requires_grad=pas == "backward")
    pad = 1 if r == 3 else 0
    if pas == "forward":
        with torch.no_grad():
            return median_ms(lambda: F.conv2d(x, w, stride=s, padding=pad))
    y = F.conv2d(x, w, stride=s, padding=pad); g = torch.randn_like(y)
    return median_ms(lambda: torch.autograd.grad(y, (x, w), g, retain_graph=True))


def chw(shape):
    return tuple(map(int, re.match(r"(\d+)x(\d+)x(\d+)", shape).groups()))


def bn(shape, n, pas):
    c, h, w = chw(shape)
    x = torch.randn(n, c, h, w, requires_grad=True); g = torch.ones(c, requires_grad=True); b = torch.zeros(c, requires_grad=True)
    rm, rv = torch.zeros(c), torch.ones(c)
    if pas == "forward":
        with torch.no_grad():
            return median_ms(lambda: F.batch_norm(x, rm, rv, g, b, training=True))
    y = F.batch_norm(x, rm, rv, g, b, training=True); dy = torch.randn_like(y)
    return median_ms(lambda: torch.autograd.grad(y, (x, g, b), dy, retain_graph=True))


def unary(fn):
    def run(shape, n, pas):
        c, h, w = chw(shape)
        x = torch.randn(n, c, h, w, requires_grad=pas == "backward")
        if pas == "forward":
            with torch.no_grad():
                return median_ms(lambda: fn(x))
        y = fn(x); dy = torch.randn_like(y)
        return median_ms(lambda: torch.autograd.grad(y, x, dy, retain_graph=True))
    return run


def add(shape, n, pas):
    c, h, w = chw(shape)
    a, b = torch.randn(n, c, h, w), torch.randn(n, c, h, w)
    return median_ms(lambda: a + b)


def amplify(shape, n, pas):
    c, h, w = chw(shape)
    a = torch.randn(n, c, h, w)
    return median_ms(lambda: a.mul_(1.0))


def sgd(shape, n, pas):
    count = int(shape.split()[0])
    p = torch.nn.Parameter(torch.randn(count)); p.grad = torch.randn(count)
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
    return median_ms(opt.step)


ops = {"conv2d": conv, "bn": bn, "relu": unary(F.relu), "maxpool2": unary(lambda x: F.max_pool2d(x, 2)),
       "avgpool": unary(lambda x: F.adaptive_avg_pool2d(x, 1)), "add": add, "amplify": amplify, "sgd": sgd}

res = json.load(open(sys.argv[1]))
print(f"ampcl on {res['device']} vs PyTorch {torch.__version__} CPU, {torch.get_num_threads()} threads, same machine")
print("| op | pass | shape | batch | ampcl ms | PyTorch ms | PyTorch/ampcl (>1: ampcl faster) |")
print("|---|---|---|---:|---:|---:|---:|")
tot_a = tot_t = 0.0
for r in res["records"]:
    fn = ops.get(r["op"])
    if not fn or r["ms"] <= 0:
        continue
    t = fn(r["shape"], r["batch"], r["pass"])
    print(f"| {r['op']} | {r['pass']} | {r['shape']} | {r['batch'] or '-'} | {r['ms']:.2f} | {t:.2f} | {t / r['ms']:.2f} |")
    tot_a += r["ms"]; tot_t += t
print(f"| all of the above | | | | {tot_a:.1f} | {tot_t:.1f} | {tot_t / tot_a:.2f} |")
