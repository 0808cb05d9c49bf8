#!/usr/bin/env bash
# startup.sh: cold and warm start of ampcl: the time `ampcl selftest` takes to build every kernel
# with an empty program cache (and PoCL's own kernel cache off), then with the cache full.
#   bench/startup.sh [path/to/ampcl]        (default build/ampcl)
set -euo pipefail
bin=${1:-$(dirname "$0")/../build/ampcl}
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
export AMPCL_CACHE_DIR=$cache
run() {
	local t0 t1
	t0=$(date +%s.%N)
	"$bin" selftest "$@" | grep -E '^programs|^device'
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "  whole command: %.2f s\n", b - a }'
}
echo "cold (empty ampcl cache, POCL_KERNEL_CACHE=0):"
POCL_KERNEL_CACHE=0 run
echo "warm (ampcl cache full):"
run
