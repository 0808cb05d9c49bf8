#!/usr/bin/env bash
# gpu-run.sh: runs on the lent GPU machine over a copy of the tree with gpu-kit/ carried: finds
# NVIDIA's OpenCL driver (making an ICD file if none is registered), then runs the given steps.
#   tools/gpu-run.sh [devices] [tests] [bench] [tiles] [vs-torch]   results go to $OUT (or ./gpu-out)
# tiles: `ampcl bench --kernels` with ampcl's own GEMM under each GPU profile row forced by
# AMPCL_PROFILE (their GEMM and implicit-convolution tiles differ), then tiles.md: each op's
# GFLOP/s per row side by side (docs/performance.md "GPU tiles from the compilers' reports").
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-$PWD/gpu-out}
mkdir -p "$out"
kit=$PWD/gpu-kit
export LD_LIBRARY_PATH=$kit/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export AMPCL_CACHE_DIR=$out/cache
{
	echo "== machine"; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1
	echo "== ICD files"; ls -l /etc/OpenCL/vendors 2>&1
	lib=$(ldconfig -p | awk '/libnvidia-opencl.so.1/ {print $NF; exit}')
	[ -n "$lib" ] || lib=$(find / -name 'libnvidia-opencl.so.1' -not -path '/proc/*' 2>/dev/null | head -1)
	echo "NVIDIA OpenCL library: ${lib:-none found}"
	if [ -n "$lib" ] && ! grep -qs nvidia /etc/OpenCL/vendors/*.icd; then
		mkdir -p "$out/vendors"
		echo "$lib" >"$out/vendors/nvidia.icd"
		export OCL_ICD_VENDORS=$out/vendors
		echo "made an ICD file: $OCL_ICD_VENDORS/nvidia.icd"
	fi
} 2>&1 | tee "$out/probe.txt"
lib=$(ldconfig -p | awk '/libnvidia-opencl.so.1/ {print $NF; exit}')
[ -n "$lib" ] || lib=$(find / -name 'libnvidia-opencl.so.1' -not -path '/proc/*' 2>/dev/null | head -1)
if [ -n "$lib" ] && ! grep -qs nvidia /etc/OpenCL/vendors/*.icd; then
	export OCL_ICD_VENDORS=$out/vendors
fi
for step in "$@"; do
	case $step in
	devices)
		"$kit/bin/ampcl" devices 2>&1 | tee "$out/devices.txt"
		"$kit/bin/ampcl" devices --json >"$out/devices.json" 2>&1
		(time "$kit/bin/ampcl" verify --json "$out/verify.json") 2>&1 | tee "$out/verify-cold.txt"
		(time "$kit/bin/ampcl" verify) 2>&1 | tee "$out/verify-warm.txt"
		(time AMPCL_GEMM=own "$kit/bin/ampcl" verify --json "$out/verify-own.json") 2>&1 |
			tee "$out/verify-own.txt"
		;;
	tests)
		for t in "$kit"/bin/test_*; do
			name=$(basename "$t")
			AMPCL_BIN=$kit/bin/ampcl AMPCL_SOURCE_DIR=$PWD timeout 300 "$t" >"$out/$name.txt" 2>&1
			echo "$name: exit $? $(tail -1 "$out/$name.txt")"
		done 2>&1 | tee "$out/tests.txt"
		;;
	bench)
		timeout 200 "$kit/bin/ampcl" bench --kernels --batch 32,64 --json "$out/bench.json" >"$out/bench.md" 2>&1
		echo "bench --kernels: exit $?"
		timeout 100 "$kit/bin/ampcl" bench --gemm-sweep --json "$out/gemm.json" >"$out/gemm.md" 2>&1
		echo "bench --gemm-sweep: exit $?"
		for spec in "resnet18 16 128" "resnet18 64 128" "resnet34 64 128" "vgg19 64 128"; do
			read -r model width batch <<<"$spec"
			for gemm in clblast own; do
				AMPCL_GEMM=$gemm timeout 100 "$kit/bin/ampcl" bench --model "$model" \
					--width "$width" --batch "$batch" --steps 10 2>&1 | sed "s/\$/ (GEMM $gemm)/"
			done
		done | tee "$out/models.txt"
		;;
	tiles)
		rows="gpu gpu-amd-rdna2 gpu-intel-xe gpu-nvidia-ampere"
		for row in $rows; do
			AMPCL_PROFILE=$row AMPCL_GEMM=own timeout 200 "$kit/bin/ampcl" bench --kernels \
				--batch 64 --json "$out/tiles-$row.json" >"$out/tiles-$row.md" 2>&1
			echo "tiles $row: exit $?"
		done
		python3 - "$out" $rows <<'PY' | tee "$out/tiles.md"
import json, sys
out, rows = sys.argv[1], sys.argv[2:]
runs = {}
for row in rows:
    try:
        runs[row] = json.load(open("%s/tiles-%s.json" % (out, row)))
    except (OSError, ValueError):
        runs[row] = {"records": []}
keys = []
for row in rows:
    for r in runs[row]["records"]:
        k = (r["op"], r["pass"], r["shape"], r["batch"])
        if k not in keys:
            keys.append(k)
dev = next((runs[r].get("device") for r in rows if runs[r].get("device")), "?")
print("GFLOP/s (GB/s where an op has no FLOPs) on %s, ampcl's own GEMM, batch 64; "
      "a failed check is marked !" % dev)
print()
print("| op | pass | shape | " + " | ".join(rows) + " |")
print("|---|---|---|" + "---:|" * len(rows))
for k in keys:
    cells = []
    for row in rows:
        r = next((r for r in runs[row]["records"]
                  if (r["op"], r["pass"], r["shape"], r["batch"]) == k), None)
        if r is None:
            cells.append("-")
        else:
            v = r["gflops"] if r["flops"] else r["gbytes_s"]
            cells.append("%.1f%s" % (v, "" if r.get("check_ok", True) else " !"))
    print("| %s | %s | %s | %s |" % (k[0], k[1], k[2], " | ".join(cells)))
PY
		;;
	vs-torch)
		# ampcl next to PyTorch + cuDNN on the same networks, widths and batch, back to back,
		# fp32 with TF32 off and on; then the per-kernel profile of one step at widths 16, 64
		echo "| network | ampcl img/s | PyTorch fp32 img/s | ratio | PyTorch TF32 img/s | ratio |" >"$out/vs-torch.md"
		echo "|---|---:|---:|---:|---:|---:|" >>"$out/vs-torch.md"
		for spec in "resnet18 16" "resnet18 64" "resnet34 64" "vgg19 64"; do
			read -r model width <<<"$spec"
			a=$(timeout 120 "$kit/bin/ampcl" bench --model "$model" --width "$width" \
				--batch 128 --steps 20 2>&1 | tee -a "$out/vs-torch-raw.txt" |
				grep -o '[0-9.]* img/s' | tail -1 | cut -d' ' -f1)
			t0=$(timeout 120 python3 "$kit/torch_bench.py" --device cuda --model "$model" \
				--width "$width" --batch 128 --steps 20 --warmup 3 2>&1 |
				tee -a "$out/vs-torch-raw.txt" | grep -o '[0-9.]* img/s' | tail -1 | cut -d' ' -f1)
			t1=$(timeout 120 python3 "$kit/torch_bench.py" --device cuda --tf32 --model "$model" \
				--width "$width" --batch 128 --steps 20 --warmup 3 2>&1 |
				tee -a "$out/vs-torch-raw.txt" | grep -o '[0-9.]* img/s' | tail -1 | cut -d' ' -f1)
			r0=$(python3 -c "print(f'{${a:-0} / ${t0:-1}:.2f}')" 2>/dev/null)
			r1=$(python3 -c "print(f'{${a:-0} / ${t1:-1}:.2f}')" 2>/dev/null)
			echo "| $model width $width | $a | $t0 | $r0 | $t1 | $r1 |" >>"$out/vs-torch.md"
		done
		cat "$out/vs-torch.md"
		# the convolution paths side by side: implicit GEMM (the gpu profile's default) and
		# im2col + CLBlast, each also with AMPCL_TUNE=full (split-k slices measured)
		for spec in "resnet18 16" "resnet18 64"; do
			read -r model width <<<"$spec"
			for conv in implicit im2col; do
				for tune in quick full; do
					AMPCL_CONV=$conv AMPCL_TUNE=$tune timeout 150 "$kit/bin/ampcl" bench \
						--model "$model" --width "$width" --batch 128 --steps 20 2>&1 |
						grep 'img/s' | sed "s/\$/ (AMPCL_CONV=$conv AMPCL_TUNE=$tune)/"
				done
			done
		done | tee "$out/conv-paths.txt"
		for width in 16 64; do
			timeout 120 "$kit/bin/ampcl" bench --model resnet18 --width "$width" --batch 128 \
				--steps 3 --profile --json "$out/profile-resnet18-w$width.json" \
				>"$out/profile-resnet18-w$width.txt" 2>&1
			echo "profile width $width: exit $?"
		done
		;;
	esac
done
