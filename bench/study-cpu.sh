#!/usr/bin/env bash
# study-cpu.sh: the amplification study sized for this project's 2-core CPU machine (about 70
# minutes on PoCL): ResNet-18 width 8 on the full CIFAR-10 training set (JPEG-75 copy), tested on
# all 10,000 test images after every epoch, 10 epochs (lr x0.1 at epoch 7), batch 128, lr 0.1 and
# a higher 0.4, without amplification and with 30% of the BN layers x2 in epochs 0-6, chosen at
# random or by --amp-select auto, seeds 1-3: 18 runs. Restarting it skips finished runs.
#   [CIFAR10=SOURCE] bench/study-cpu.sh [OUT_DIR] [extra ampcl study options, e.g. --jobs 2 or --seeds 1,2,3,4]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-runs/study-cpu}
shift || true
. "$here/cifar10-data.sh"
data=$(cifar10_data)
exec "${AMPCL:-$here/../build/ampcl}" study --data "$data" --out "$out" --model resnet18 --width 8 \
	--batch 128 --epochs 10 --lr-schedule multistep:7:0.1 --eval-every 1 \
	--lr 0.1,0.4 --amp-epochs 'none;0-6' --amp-types bn --amp-ratio 0.3 --amp-factor 2 \
	--amp-select random,auto --seeds 1,2,3 --target 0.6 "$@"
