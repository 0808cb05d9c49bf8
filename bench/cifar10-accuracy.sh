#!/usr/bin/env bash
# cifar10-accuracy.sh: the accuracy benchmark on CIFAR-10 (docs/performance.md's result used a
# JPEG-75 copy): ResNet-18 width 16, batch 128, SGD momentum 0.9, weight decay 5e-4, lr 0.1
# for epochs 0-6 and 0.01 for 7-9, standard augmentation, 10 epochs.
#   [CIFAR10=SOURCE] bench/cifar10-accuracy.sh [OUT_DIR] [extra ampcl train options]
#   (SOURCE: see bench/cifar10-data.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-runs/cifar10-r18w16}
shift || true
. "$here/cifar10-data.sh"
data=$(cifar10_data)
exec "$here/../build/ampcl" train --data "$data" --model resnet18 --width 16 --batch 128 \
	--epochs 10 --lr 0.1 --momentum 0.9 --weight-decay 5e-4 --lr-schedule multistep:7:0.1 \
	--augment standard --seed 1 --out "$out" "$@"
