#!/usr/bin/env bash
# study-gpu.sh: the amplification study sized for one lent GPU (H100/H200) and a time budget:
# full CIFAR-10, each network of NETS at lr 0.1 and 0.4, without amplification and with 30% of
# the BN layers x2 in the first 70% of the epochs, chosen at random or by --amp-select auto,
# seeds 1-3 (18 runs a network), JOBS runs at once. It times a few training steps first and
# gives each network the most epochs that fit its share of BUDGET seconds.
#   bench/study-gpu.sh DATA OUT_DIR        env: AMPCL (the program), BUDGET (s, default 480),
#                                          NETS (default "resnet18"; e.g. "resnet18 vgg19"),
#                                          WIDTH (default 16), JOBS (default 4)
set -euo pipefail
data=${1:?usage: bench/study-gpu.sh DATA OUT_DIR}
out=${2:?usage: bench/study-gpu.sh DATA OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
ampcl=${AMPCL:-$here/../build/ampcl}
budget=${BUDGET:-480}
nets=${NETS:-resnet18}
width=${WIDTH:-16}
jobs=${JOBS:-4}
runs=18
mkdir -p "$out"
read -r -a list <<<"$nets"
share=$((budget / ${#list[@]}))
for net in "${list[@]}"; do
	# one job's training rate; several jobs at once only add to it, so the epochs are safe
	rate=$("$ampcl" bench --model "$net" --width "$width" --batch 128 --steps 5 2>&1 |
		awk '/img\/s/ {for (i = 1; i <= NF; i++) if ($i == "img/s") r = $(i - 1)} END {print r + 0}')
	# an epoch: 50,000 training images and the 10,000 test images (a forward pass, ~1/3 the cost)
	epochs=$(awk -v b="$share" -v r="$rate" -v n="$runs" 'BEGIN {e = int(b * r / (n * 53333)); print (e < 2 ? 2 : (e > 60 ? 60 : e))}')
	amp_last=$(((epochs * 7 + 9) / 10 - 1))
	drop=$(((epochs * 7 + 9) / 10))
	echo "study-gpu: $net width $width: $rate img/s for one job; $epochs epochs fit $share s" \
		"($runs runs, $jobs at once); amplification in epochs 0-$amp_last, lr x0.1 at $drop" |
		tee "$out/$net-plan.txt"
	"$ampcl" study --data "$data" --out "$out/$net-w$width" --model "$net" --width "$width" \
		--batch 128 --epochs "$epochs" --lr-schedule "multistep:$drop:0.1" --eval-every 1 \
		--lr 0.1,0.4 --amp-epochs "none;0-$amp_last" --amp-types bn --amp-ratio 0.3 \
		--amp-factor 2 --amp-select random,auto --seeds 1,2,3 --target 0.6 --jobs "$jobs" 2>&1 |
		tee "$out/$net-study.txt" || true
done
