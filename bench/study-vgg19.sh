#!/usr/bin/env bash
# study-vgg19.sh: the amplification study of VGG-19 (BN) sized for a 2-core CPU machine: width 8 on
# the full CIFAR-10 training set, tested on all 10,000 test images after every epoch, 10 epochs
# (lr x0.1 at epoch 7), batch 128, lr 0.1 and 0.4, without amplification, BN x2 and ReLU x2 (30% of
# the layers of that type, drawn at random) in epochs 0-6, seeds 1-3: 18 runs. Restarting it skips
# finished runs and resumes the interrupted one.
#   [CIFAR10=SOURCE] [WIDTH=8] bench/study-vgg19.sh [OUT_DIR] [extra ampcl study options]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-runs/study-vgg19}
shift || true
. "$here/cifar10-data.sh"
data=$(cifar10_data)
exec "${AMPCL:-$here/../build/ampcl}" study --data "$data" --out "$out" --model vgg19 \
	--width "${WIDTH:-8}" --batch 128 --epochs 10 --lr-schedule multistep:7:0.1 --eval-every 1 \
	--lr 0.1,0.4 --amp-epochs 'none;0-6' --amp-types 'bn;relu' --amp-ratio 0.3 --amp-factor 2 \
	--seeds 1,2,3 --target 0.6 "$@"
