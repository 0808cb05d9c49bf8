#!/usr/bin/env bash
# study-jobs.sh: what --jobs gains on one device: the same small study (4 runs of one epoch on a
# CIFAR-10 subset, each then tested on the 10,000 test images) with 1, 2 and 4 jobs, timed
# whole; prints the seconds and the speed-up over one job.
#   bench/study-jobs.sh DATA [MODEL [WIDTH [SUBSET]]]   (default resnet18 16 5000; env AMPCL)
set -euo pipefail
data=${1:?usage: bench/study-jobs.sh DATA [MODEL [WIDTH [SUBSET]]]}
model=${2:-resnet18}
width=${3:-16}
subset=${4:-5000}
here=$(cd "$(dirname "$0")" && pwd)
ampcl=${AMPCL:-$here/../build/ampcl}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the kernels compiled and cached once, outside the timings
"$ampcl" study --data "$data" --out "$tmp/warm" --model "$model" --width "$width" --subset "$subset" \
	--epochs 1 --seeds 1 >/dev/null
echo "| jobs | seconds | speed-up |"
echo "|---:|---:|---:|"
base=""
for jobs in 1 2 4; do
	start=$(date +%s.%N)
	"$ampcl" study --data "$data" --out "$tmp/j$jobs" --model "$model" --width "$width" \
		--subset "$subset" --epochs 1 --seeds 1,2,3,4 --jobs "$jobs" >/dev/null
	seconds=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {print e - s}')
	[ -n "$base" ] || base=$seconds
	awk -v t="$seconds" -v b="$base" -v j="$jobs" 'BEGIN {printf "| %d | %.1f | %.2f |\n", j, t, b / t}'
done
