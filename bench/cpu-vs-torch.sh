#!/usr/bin/env bash
# cpu-vs-torch.sh: ampcl's training step on the default OpenCL device next to PyTorch on the host
# CPU, the same networks, widths and batch, each pair back to back in one run; prints a Markdown
# table with images/s, the ratio ampcl/PyTorch and both processes' peak RSS.
#   bench/cpu-vs-torch.sh [path/to/ampcl] [MODEL:WIDTH:STEPS ...]
#   (default: resnet18:16:5 resnet18:64:3 resnet34:16:5 vgg19:16:5; needs python3-torch)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../build/ampcl}
shift || true
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(resnet18:16:5 resnet18:64:3 resnet34:16:5 vgg19:16:5)
torch_bench=$here/torch_bench.py
batch=${BATCH:-128}
threads=${THREADS:-$(nproc)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "ampcl: $("$bin" --version 2>&1 | head -1); PyTorch: THREADS=$threads, batch $batch"
echo "| network | ampcl img/s | PyTorch img/s | ratio | ampcl peak RSS | PyTorch peak RSS |"
echo "|---|---:|---:|---:|---:|---:|"
for c in "${configs[@]}"; do
	IFS=: read -r model width steps <<<"$c"
	/usr/bin/time -f %M -o "$tmp/a.rss" "$bin" bench --model "$model" --width "$width" \
		--batch "$batch" --steps "$steps" >"$tmp/a.txt" 2>/dev/null
	/usr/bin/time -f %M -o "$tmp/t.rss" /usr/bin/python3 "$torch_bench" --model "$model" \
		--width "$width" --batch "$batch" --steps "$steps" --threads "$threads" \
		>"$tmp/t.txt" 2>/dev/null
	a=$(grep -o '[0-9.]* img/s' "$tmp/a.txt" | tail -1 | cut -d' ' -f1)
	t=$(grep -o '[0-9.]* img/s' "$tmp/t.txt" | tail -1 | cut -d' ' -f1)
	ar=$(($(cat "$tmp/a.rss") / 1024))
	tr=$(($(cat "$tmp/t.rss") / 1024))
	ratio=$(python3 -c "print(f'{$a / $t:.2f}')")
	echo "| $model width $width | $a | $t | $ratio | $ar MiB | $tr MiB |"
done
