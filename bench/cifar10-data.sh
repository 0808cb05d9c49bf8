# cifar10-data.sh: sourced by the CIFAR-10 benchmarks; cifar10_data prints the binary data folder,
# from $CIFAR10 (a prepared folder, cifar-10-python.tar.gz or an image copy) via tools/cifar10-prepare.py.
#   CIFAR10=PATH   the source; without it, the folder a previous preparation left in the cache
#   PYTHON=python3 the interpreter for the script (an image copy needs Pillow)
cifar10_data() {
	local root cache
	root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	cache=${XDG_CACHE_HOME:-$HOME/.cache}/ampcl/cifar-10-batches-bin
	if [ -n "${CIFAR10:-}" ] && [ -f "$CIFAR10/data_batch_1.bin" ]; then
		echo "$CIFAR10"
	elif [ -n "${CIFAR10:-}" ]; then
		"${PYTHON:-python3}" "$root/tools/cifar10-prepare.py" "$CIFAR10"
	elif [ -f "$cache/test_batch.bin" ]; then
		echo "$cache"
	else
		echo "set CIFAR10 to cifar-10-python.tar.gz (https://www.cs.toronto.edu/~kriz/cifar.html)," \
			"an image copy or a folder of the binary version" >&2
		return 1
	fi
}
