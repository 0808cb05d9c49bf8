"""bench_check.py: bench/torch_bench.py runs, and its PyTorch models hold exactly the tensors of
ampcl's (names, shapes, parameter counts) for ResNet-18, ResNet-34 and VGG-19.

For each model: a tiny timed run (width 4, batch 4, 2 steps) must exit 0 with a JSON result; a
one-epoch `ampcl train` on a 4-image CIFAR-10-format set, `ampcl export`, and
`torch_bench.py --check-names` on the export must agree tensor for tensor; and at width 64 the
parameter counts are the published ones (ResNet-18 11,173,962, ResNet-34 21,282,122, VGG-19
20,040,522).
usage: /usr/bin/python3 bench_check.py --ampcl BUILD/ampcl --work DIR; exit 0 when all pass."""
import argparse, json, os, subprocess, sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import crosscheck  # noqa: E402  its CIFAR-10 writer

BENCH = os.path.join(HERE, "..", "..", "bench", "torch_bench.py")
PUBLISHED = {"resnet18": 11173962, "resnet34": 21282122, "vgg19": 20040522}


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return p.returncode, p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ampcl", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    data = os.path.join(a.work, "data")
    crosscheck.write_cifar(data, np.random.RandomState(5), batch=4)
    failed = 0

    def check(ok, what, detail):
        nonlocal failed
        print(f"{'PASS' if ok else 'FAIL'} {what}: {detail}", flush=True)
        failed += not ok

    py = sys.executable
    for model, count in PUBLISHED.items():
        out = os.path.join(a.work, model)
        result = os.path.join(a.work, model + ".json")
        rc, text = run([py, BENCH, "--model", model, "--width", "4", "--batch", "4", "--steps", "2",
                        "--warmup", "1", "--threads", "1", "--json", result])
        r = json.load(open(result)) if rc == 0 and os.path.exists(result) else {}
        check(rc == 0 and r.get("images_per_s", 0) > 0 and r.get("model") == model,
              f"{model} width 4 timed", text.strip()[-300:])
        rc, text = run([a.ampcl, "train", "--data", data, "--model", model, "--width", "4",
                        "--subset", "4", "--batch", "4", "--epochs", "1", "--augment", "none",
                        "--out", out, "--overwrite"])
        weights = os.path.join(a.work, model + ".safetensors")
        if rc == 0:
            rc, text = run([a.ampcl, "export", "--checkpoint", os.path.join(out, "last.ampcl"),
                            "--out", weights])
        check(rc == 0, f"{model} width 4 trained and exported by ampcl", text.strip()[-300:])
        if rc == 0:
            rc, text = run([py, BENCH, "--model", model, "--width", "4", "--check-names", weights])
            check(rc == 0, f"{model} width 4: PyTorch's state_dict against ampcl's export",
                  text.strip()[-2000:])
        rc, text = run([py, BENCH, "--model", model, "--width", "64", "--export-names"])
        last = text.strip().splitlines()[-1] if text.strip() else ""
        check(rc == 0 and last.endswith(f": {count} parameters"), f"{model} width 64", last)
    print(f"{'all passed' if not failed else f'{failed} failed'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
