#!/usr/bin/env bash
# gpu-train.sh: on the lent GPU machine (see gpu-run.sh), builds CIFAR-10 binary files from the
# JPEG copy carried in gpu-kit/data (cifar10-prepare.py, which needs Pillow there), then runs the accuracy benchmark and the amplification study
# of docs/performance.md and docs/amplification.md with their outputs under $OUT (so a cut-off run still returns what it wrote).
#   tools/gpu-train.sh [accuracy] [study] [study-full]   (study-full: bench/study-gpu.sh, about
#                                                        8 minutes; BUDGET, NETS, JOBS apply)
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-$PWD/gpu-out}
kit=$PWD/gpu-kit
mkdir -p "$out"
export LD_LIBRARY_PATH=$kit/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export AMPCL_CACHE_DIR=$out/cache
lib=$(ldconfig -p | awk '/libnvidia-opencl.so.1/ {print $NF; exit}')
[ -n "$lib" ] || lib=$(find / -name 'libnvidia-opencl.so.1' -not -path '/proc/*' 2>/dev/null | head -1)
if [ -n "$lib" ] && ! grep -qs nvidia /etc/OpenCL/vendors/*.icd; then
	mkdir -p "$out/vendors"
	echo "$lib" >"$out/vendors/nvidia.icd"
	export OCL_ICD_VENDORS=$out/vendors
fi
data=$PWD/gpu-data/cifar-10-batches-bin
python3 "$kit/cifar10-prepare.py" "$kit/data/cifar10-jpg.tar.gz" "$data" >/dev/null || exit 1
for step in "$@"; do
	case $step in
	accuracy)
		"$kit/bin/ampcl" train --data "$data" --model resnet18 --width 16 --batch 128 \
			--epochs 10 --lr 0.1 --momentum 0.9 --weight-decay 5e-4 \
			--lr-schedule multistep:7:0.1 --augment standard --seed 1 \
			--out "$out/cifar10-r18w16" 2>&1 | tee "$out/accuracy.txt"
		;;
	study)
		"$kit/bin/ampcl" study --data "$data" --out "$out/study" --model resnet18 --width 16 \
			--batch 128 --epochs 8 --subset 10000 --lr-schedule multistep:6:0.1 \
			--eval-every 2 --lr 0.1,0.4 --amp-epochs 'none;0-5' --amp-types bn \
			--amp-ratio 0.3 --amp-factor 2 --seeds 1,2 --target 0.45 2>&1 | tee "$out/study.txt"
		;;
	study-full)
		AMPCL=$kit/bin/ampcl bench/study-gpu.sh "$data" "$out/study-full"
		;;
	esac
done
