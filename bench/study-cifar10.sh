#!/usr/bin/env bash
# study-cifar10.sh: the amplification study published in docs/amplification.md: ResNet-18 width 16 on the
# first 10000 CIFAR-10 (JPEG-75 copy) training images, tested on all 10000 test images, 8 epochs,
# lr 0.1 and a higher 0.4 (x0.1 at epoch 6), with and without amplification (30% of the BN
# layers x2 in epochs 0-5). Restarting it skips finished runs.
#   [CIFAR10=SOURCE] bench/study-cifar10.sh [OUT_DIR] [extra ampcl study options, e.g. --seeds 1,2,3]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-runs/study-cifar10}
shift || true
. "$here/cifar10-data.sh"
data=$(cifar10_data)
exec "$here/../build/ampcl" study --data "$data" --out "$out" --model resnet18 --width 16 \
	--batch 128 --epochs 8 --subset 10000 --lr-schedule multistep:6:0.1 --eval-every 2 \
	--lr 0.1,0.4 --amp-epochs 'none;0-5' --amp-types bn --amp-ratio 0.3 --amp-factor 2 \
	--seeds 1,2 --target 0.45 "$@"
