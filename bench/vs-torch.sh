#!/usr/bin/env bash
# vs-torch.sh: ampcl's training step on the default OpenCL device against PyTorch on the host CPU
# (bench/torch_bench.py), the same networks, widths and batch, alternated ROUNDS times per network
# (ampcl first in odd rounds, PyTorch first in even ones) so that a machine's drift falls on
# both; prints and writes a Markdown table of each program's median images/s with its range,
# the median of the rounds' ratios with their range, and both processes' peak RSS (and names the
# networks whose rounds' ratios lie more than 25% apart), plus every round as CSV.
#   [ROUNDS=3] [BATCH=128] [THREADS=nproc] [OUT=bench/results/NAME] \
#   bench/vs-torch.sh [path/to/ampcl] [MODEL:WIDTH:STEPS ...]
#   (default: resnet18:16:5 resnet18:64:3 resnet34:16:5 resnet34:64:2 vgg19:16:5 vgg19:64:2;
#   needs python3-torch). OUT gets vs-torch.md and vs-torch.csv, each headed by the date, the
#   commit, the device and the PyTorch version.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../build/ampcl}
shift || true
configs=("$@")
[ ${#configs[@]} -gt 0 ] ||
	configs=(resnet18:16:5 resnet18:64:3 resnet34:16:5 resnet34:64:2 vgg19:16:5 vgg19:64:2)
rounds=${ROUNDS:-3}
batch=${BATCH:-128}
threads=${THREADS:-$(nproc)}
py=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
case $rounds in '' | *[!0-9]* | 0) echo "ROUNDS=$rounds: give 1 or more" >&2 && exit 2 ;; esac

device=$("$bin" devices --json 2>/dev/null | "$py" -c 'import json, sys
d = json.load(sys.stdin); x = d["devices"][d["selected"]]
print("%s (%s %s)" % (x["name"], x["platform"], x["driver_version"]))')
commit=$(git -C "$here/.." rev-parse --short HEAD 2>/dev/null || echo unknown)
torch_version=$("$py" -c 'import torch; print(torch.__version__)')
csv=$tmp/rounds.csv
echo "network,width,round,ampcl_img_s,torch_img_s,ratio,ampcl_rss_mib,torch_rss_mib" >"$csv"

run_ampcl() { # model width steps -> img/s and RSS in $tmp/a.*
	/usr/bin/time -f %M -o "$tmp/a.rss" "$bin" bench --model "$1" --width "$2" \
		--batch "$batch" --steps "$3" >"$tmp/a.txt" 2>&1
}
run_torch() {
	/usr/bin/time -f %M -o "$tmp/t.rss" "$py" "$here/torch_bench.py" --model "$1" --width "$2" \
		--batch "$batch" --steps "$3" --threads "$threads" >"$tmp/t.txt" 2>&1
}
rate() { grep -o '[0-9.]* img/s' "$1" | tail -1 | cut -d' ' -f1; }

for c in "${configs[@]}"; do
	IFS=: read -r model width steps <<<"$c"
	for r in $(seq 1 "$rounds"); do
		if [ $((r % 2)) -eq 1 ]; then run_ampcl "$model" "$width" "$steps" && run_torch "$model" "$width" "$steps"
		else run_torch "$model" "$width" "$steps" && run_ampcl "$model" "$width" "$steps"; fi
		a=$(rate "$tmp/a.txt") t=$(rate "$tmp/t.txt")
		if [ -z "$a" ] || [ -z "$t" ]; then
			echo "$model width $width round $r: no img/s in the output:" >&2
			tail -3 "$tmp/a.txt" "$tmp/t.txt" >&2
			exit 1
		fi
		echo "$model,$width,$r,$a,$t,$("$py" -c "print(f'{$a / $t:.4f}')"),$(($(cat "$tmp/a.rss") / 1024)),$(($(cat "$tmp/t.rss") / 1024))" >>"$csv"
	done
done

table=$("$py" - "$csv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print("| network | rounds | ampcl img/s, median (range) | PyTorch img/s, median (range) | ratio (median of rounds) | ratio range | ampcl peak RSS | PyTorch peak RSS |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
wide = []
seen = []
for r in rows:
    k = (r["network"], r["width"])
    if k not in seen:
        seen.append(k)
for net, width in seen:
    rs = [r for r in rows if (r["network"], r["width"]) == (net, width)]
    f = lambda key: [float(r[key]) for r in rs]
    ratio = f("ratio")
    rate = lambda key: (f"{statistics.median(f(key)):.1f} "
                        f"({min(f(key)):.1f}–{max(f(key)):.1f})")
    print(f"| {net} width {width} | {len(rs)} | {rate('ampcl_img_s')} | "
          f"{rate('torch_img_s')} | {statistics.median(ratio):.2f} | "
          f"{min(ratio):.2f}–{max(ratio):.2f} | {max(f('ampcl_rss_mib')):.0f} MiB | "
          f"{max(f('torch_rss_mib')):.0f} MiB |")
    if len(rs) > 1 and max(ratio) > 1.25 * min(ratio):
        wide.append(f"{net} width {width}")
if wide:
    print()
    print(f"The rounds' ratios lie more than 25% apart for {', '.join(wide)}: the machine's "
          "load changed during the run. More rounds (ROUNDS=5 or more) or an idle machine "
          "narrow the range; the img/s ranges show whose rate moved.")
PY
)
head="$(date -u +%Y-%m-%d), commit $commit, device: $device; PyTorch $torch_version on $threads threads; batch $batch, $rounds alternating rounds"
printf '%s\n\n%s\n' "$head" "$table"
if [ -n "${OUT:-}" ]; then
	mkdir -p "$OUT"
	printf '# ampcl against PyTorch CPU (bench/vs-torch.sh)\n\n%s\n\n%s\n' "$head" "$table" >"$OUT/vs-torch.md"
	{ echo "# $head"; cat "$csv"; } >"$OUT/vs-torch.csv"
	echo "wrote $OUT/vs-torch.md and $OUT/vs-torch.csv"
fi
