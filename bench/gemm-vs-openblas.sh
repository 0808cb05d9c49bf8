#!/usr/bin/env bash
# gemm-vs-openblas.sh: ampcl's GEMM back ends (on the default OpenCL device) next to OpenBLAS on
# the host CPU, same shapes, one after the other in one run; prints the ratio ours/OpenBLAS.
#   bench/gemm-vs-openblas.sh [path/to/ampcl]     (needs libopenblas-dev; THREADS=n pins OpenBLAS)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../build/ampcl}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -o "$tmp/sgemm" "$here/openblas/sgemm.c" -lopenblas
# as the environment notes say: unset both together for a current OpenBLAS kernel
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="${THREADS:-$(nproc)}" \
	"$tmp/sgemm" 5 >"$tmp/openblas.txt"
"$bin" bench --gemm-sweep --reps 5 --json "$tmp/ampcl.json" >/dev/null
python3 - "$tmp/openblas.txt" "$tmp/ampcl.json" <<'PY'
import json, sys
blas = {}
for line in open(sys.argv[1]):
    shape, ms, _, gf, _ = line.split()
    blas[shape] = float(gf)
res = json.load(open(sys.argv[2]))
print(f"device: {res['device']}; OpenBLAS on the host CPU")
print("| m×n×k | OpenBLAS GFLOP/s | " + " | ".join(f"ampcl {b} GFLOP/s | ratio" for b in ("own", "clblast")) + " |")
print("|---|---:|" + "---:|---:|" * 2)
for shape, gf in blas.items():
    row = [f"{gf:.1f}"]
    for b in ("own", "clblast"):
        r = [x for x in res["records"] if x["op"] == "gemm" and x["pass"] == b and x["shape"] == shape]
        row += [f"{r[0]['gflops']:.1f}", f"{r[0]['gflops'] / gf:.2f}"] if r else ["-", "-"]
    print(f"| {shape} | " + " | ".join(row) + " |")
PY
