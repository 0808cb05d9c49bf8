#!/usr/bin/env bash
# env-ab.sh: ampcl's training step under two settings of one environment variable (AMPCL_FUSE=off
# against on, AMPCL_CONV=direct against winograd), alternated ROUNDS times per network, the order
# swapped each round so a machine's drift falls on both; prints (and with OUT writes) a Markdown
# table of each setting's median images/s and the median of the rounds' B/A ratios with range.
# KERNELS=PREFIX,... adds one more profiled step per run (`--profile`): the device time of the
# kernels whose names start so, summed, and of all kernels, medians per setting (needs python3).
#   [ROUNDS=3] [BATCH=128] [OUT=DIR] [KERNELS=bn_,relu_] \
#   bench/env-ab.sh VAR=A VAR=B [path/to/ampcl] [MODEL:WIDTH:STEPS ...]
#   (default networks: resnet18:16:5 vgg19:16:5 resnet34:16:5 resnet18:64:3)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 2 ] || { sed -n 2,10p "$0" >&2; exit 2; }
a_set=$1 b_set=$2
shift 2
for s in "$a_set" "$b_set"; do
	case $s in AMPCL_*=*) ;; *) echo "env-ab.sh: '$s' is not AMPCL_VAR=VALUE" >&2 && exit 2 ;; esac
done
bin=$here/../build/ampcl
if [ $# -gt 0 ] && [ -x "$1" ] && [ ! -d "$1" ]; then bin=$1 && shift; fi
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(resnet18:16:5 vgg19:16:5 resnet34:16:5 resnet18:64:3)
rounds=${ROUNDS:-3}
batch=${BATCH:-128}
case $rounds in '' | *[!0-9]* | 0) echo "ROUNDS=$rounds: give 1 or more" >&2 && exit 2 ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
commit=$(git -C "$here/.." rev-parse --short HEAD 2>/dev/null || echo unknown)
csv=$tmp/rounds.csv
echo "network,width,round,a_img_s,b_img_s,ratio,a_kernels_ms,b_kernels_ms,a_all_ms,b_all_ms" >"$csv"
kernels=${KERNELS:-}
prof=()
[ -z "$kernels" ] || prof=(--profile --json "$tmp/prof.json")

run() { # setting model width steps -> "img/s kernels_ms all_ms" (the times "-" without KERNELS)
	env "$1" "$bin" bench --model "$2" --width "$3" --batch "$batch" --steps "$4" "${prof[@]}" \
		>"$tmp/out.txt" 2>&1 ||
		{ echo "$1 $2 width $3 failed:" >&2 && tail -5 "$tmp/out.txt" >&2 && exit 1; }
	local rate times="- -"
	rate=$(grep -o '[0-9.]* img/s' "$tmp/out.txt" | tail -1 | cut -d' ' -f1)
	[ -z "$kernels" ] || times=$(python3 - "$tmp/prof.json" "$kernels" <<'PY'
import json, sys
recs = [r for r in json.load(open(sys.argv[1]))["records"] if r["pass"] == "profile"]
pre = tuple(p for p in sys.argv[2].split(",") if p)
print("%.3f %.3f" % (sum(r["ms"] for r in recs if r["op"].startswith(pre)),
                     sum(r["ms"] for r in recs)))
PY
)
	echo "$rate $times"
}

for c in "${configs[@]}"; do
	IFS=: read -r model width steps <<<"$c"
	for r in $(seq 1 "$rounds"); do
		if [ $((r % 2)) -eq 1 ]; then a=$(run "$a_set" "$model" "$width" "$steps") && b=$(run "$b_set" "$model" "$width" "$steps")
		else b=$(run "$b_set" "$model" "$width" "$steps") && a=$(run "$a_set" "$model" "$width" "$steps"); fi
		read -r ar ak aa <<<"$a"
		read -r br bk ba <<<"$b"
		echo "$model,$width,$r,$ar,$br,$(awk -v a="$ar" -v b="$br" 'BEGIN { printf "%.4f", b / a }'),$ak,$bk,$aa,$ba" >>"$csv"
	done
done

device=$(sed -n 's/^ampcl [^ ]* on \(.*\): [^ ]* w=.*/\1/p' "$tmp/out.txt" | tail -1)
table=$(awk -F, -v A="$a_set" -v B="$b_set" '
function median(s,   n, v, i, j, t) {
	n = split(s, v, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
NR > 1 {
	k = $1 " width " $2
	if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
	as[k] = as[k] " " $4; bs[k] = bs[k] " " $5; rs[k] = rs[k] " " $6; n[k]++
	ak[k] = ak[k] " " $7; bk[k] = bk[k] " " $8; aa[k] = aa[k] " " $9; ba[k] = ba[k] " " $10
	if (!(k in lo) || $6 + 0 < lo[k]) lo[k] = $6 + 0
	if (!(k in hi) || $6 + 0 > hi[k]) hi[k] = $6 + 0
}
END {
	prof = K != ""
	printf "| network | rounds | %s img/s (median) | %s img/s (median) | B/A (median of rounds) | range |", A, B
	if (prof) printf " %s ms: A | B | all kernels ms: A | B |", K
	printf "\n|---|---:|---:|---:|---:|---:|%s\n", prof ? "---:|---:|---:|---:|" : ""
	for (i = 1; i <= nk; i++) { k = order[i]
		printf "| %s | %d | %.1f | %.1f | %.3f | %.3f-%.3f |", k, n[k], median(as[k]), median(bs[k]), median(rs[k]), lo[k], hi[k]
		if (prof) printf " %.2f | %.2f | %.1f | %.1f |", median(ak[k]), median(bk[k]), median(aa[k]), median(ba[k])
		printf "\n" }
}' K="$kernels" "$csv")
head="$(date -u +%Y-%m-%d), commit $commit, device: ${device:-default}; A = $a_set, B = $b_set; batch $batch, $rounds alternating rounds"
printf '%s\n\n%s\n' "$head" "$table"
if [ -n "${OUT:-}" ]; then
	mkdir -p "$OUT"
	name=$(echo "${a_set%%=*}" | tr 'A-Z_' 'a-z-')
	printf '# %s against %s (bench/env-ab.sh)\n\n%s\n\n%s\n' "$b_set" "$a_set" "$head" "$table" >"$OUT/$name-ab.md"
	{ echo "# $head"; cat "$csv"; } >"$OUT/$name-ab.csv"
	echo "wrote $OUT/$name-ab.md and $OUT/$name-ab.csv"
fi
