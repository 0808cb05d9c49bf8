#!/usr/bin/env bash
# data-parallel.sh: one run on 1 rank and on 2 ranks (mpirun), BN per rank and --sync-bn:
# images/s and the gradient all-reduce's share of a step, as `ampcl train` reports them.
#   bench/data-parallel.sh DATA [MODEL [WIDTH [SUBSET]]]   (default resnet18 16 5120; env AMPCL,
#                                                          BATCH: the global batch, 128)
set -euo pipefail
data=${1:?usage: bench/data-parallel.sh DATA [MODEL [WIDTH [SUBSET]]]}
model=${2:-resnet18}
width=${3:-16}
subset=${4:-5120}
here=$(cd "$(dirname "$0")" && pwd)
ampcl=${AMPCL:-$here/../build/ampcl}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ "$(id -u)" -ne 0 ] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
args=(train --data "$data" --model "$model" --width "$width" --batch "${BATCH:-128}" --subset "$subset"
	--epochs 1)
echo "| ranks | BN | train images/s | step ms | of which waiting for the all-reduce, ms |"
echo "|---:|---|---:|---:|---:|"
row() { # ranks, BN, output of ampcl train
	awk -v r="$1" -v b="$2" -v batch="${BATCH:-128}" '
		/^epoch 0/ {for (i = 1; i <= NF; i++) if ($i == "img/s") ips = $(i - 1)}
		/gradient all-reduce/ {for (i = 1; i <= NF; i++) if ($i == "waited") ar = $(i + 1)}
		END {printf "| %s | %s | %s | %.1f | %s |\n", r, b, ips,
		     (ips > 0 ? 1000 * batch / ips : 0), ar == "" ? "-" : ar}' <<<"$3"
}
row 1 - "$("$ampcl" "${args[@]}" --out "$tmp/one" 2>&1)"
row 2 "per rank" "$(mpirun -np 2 --oversubscribe "$ampcl" "${args[@]}" --out "$tmp/two" 2>&1)"
row 2 sync "$(mpirun -np 2 --oversubscribe "$ampcl" "${args[@]}" --sync-bn --out "$tmp/sync" 2>&1)"
