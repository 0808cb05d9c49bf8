#!/usr/bin/env bash
# make-gpu-kit.sh: packs the built program, the test programs and the shared libraries they need
# (OpenCL ICD loader, CLBlast, libpng) into gpu-kit/, for a machine that has no package registry.
#   tools/make-gpu-kit.sh [BUILD_DIR]      (default build)
set -euo pipefail
cd "$(dirname "$0")/.."
b=${1:-build}
rm -rf gpu-kit
mkdir -p gpu-kit/bin gpu-kit/lib
cp "$b/ampcl" gpu-kit/bin/
find "$b/tests" -maxdepth 1 -type f -name 'test_*' -perm -u+x -exec cp {} gpu-kit/bin/ \;
for lib in libOpenCL.so.1 libclblast.so.1 libpng16.so.16; do
	path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ {print $NF; exit}')
	[ -n "$path" ] && cp -L "$path" gpu-kit/lib/
done
# every other library the program loads (Open MPI's, jansson, ...) but the C library's own: the
# GPU machine has no Open MPI; the program runs there as one process (a study's --jobs)
ldd "$b/ampcl" "$b/libampcl.so" | awk '/=> \// {print $3}' | sort -u | while read -r path; do
	case $(basename "$path") in
	libc.so* | libm.so* | libpthread.so* | libdl.so* | librt.so* | ld-linux*) ;;
	*) cp -Ln "$path" gpu-kit/lib/ 2>/dev/null || true ;;
	esac
done
# the PyTorch side of the side-by-side benchmark (tools/gpu-run.sh vs-torch) and the CIFAR-10
# preparation (tools/gpu-train.sh)
cp bench/torch_bench.py bench/torch_models.py tools/cifar10-prepare.py gpu-kit/
du -sh gpu-kit
