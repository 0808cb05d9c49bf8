#!/usr/bin/env bash
# cifar10-accuracy.sh: the accuracy benchmark of issue 4 on CIFAR-10 (the JPEG-75 copy in
# ../shared/data): ResNet-18 width 16, batch 128, SGD momentum 0.9, weight decay 5e-4, lr 0.1
# for epochs 0-6 and 0.01 for 7-9, standard augmentation, 10 epochs.
#   bench/cifar10-accuracy.sh [OUT_DIR] [extra ampcl train options]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-runs/cifar10-r18w16}
shift || true
data=$("$here/../../shared/tools/cifar10-bin")
exec "$here/../build/ampcl" train --data "$data" --model resnet18 --width 16 --batch 128 \
	--epochs 10 --lr 0.1 --momentum 0.9 --weight-decay 5e-4 --lr-schedule multistep:7:0.1 \
	--augment standard --seed 1 --out "$out" "$@"
