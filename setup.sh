#!/usr/bin/env bash
# setup.sh: from a fresh Debian 12 machine to a working ampcl. Installs the Debian packages that
# are missing (with sudo when not root), builds, then runs the main job or the whole test suite.
#   ./setup.sh          build, list the devices, run the kernel self-test, then the main job:
#                       ResNet-18 (width 16) on Fashion-MNIST for one epoch, with amplification
#   ./setup.sh test     build with warnings as errors and run every ctest suite on PoCL, again
#                       built with ASan + UBSan, the readers under libFuzzer, then the suite on
#                       Mesa rusticl's llvmpipe (what CI runs)
set -euo pipefail
cd "$(dirname "$0")"
mode=${1:-run}
case "$mode" in
run | test) ;;
*)
	echo "usage: ./setup.sh [run|test]" >&2
	exit 2
	;;
esac

packages=(build-essential cmake pkg-config ocl-icd-opencl-dev opencl-headers pocl-opencl-icd
	libprotobuf-c-dev protobuf-c-compiler libonnx-dev
	libclblast-dev libpng-dev zlib1g-dev libjansson-dev libxxhash-dev clinfo libjpeg-dev
	dataset-fashion-mnist libopenmpi-dev openmpi-bin procps)
# the test suite checks training steps against PyTorch (tests/torch), prepares real CIFAR-10 from
# a JPEG copy with Pillow (tools/cifar10-prepare.py)
# and runs it a second time on Mesa's rusticl (llvmpipe), an independent OpenCL implementation
# and its readers under libFuzzer (clang and its runtime libraries)
# and the small kernel tests on Oclgrind's simulated device
# and every kernel through Intel's offline compiler (ocloc) and LLVM 15's AMD and NVIDIA back ends
# with libclc (ctest isa; never libclc-14, which removes Mesa's OpenCL)
[ "$mode" = test ] && packages+=(python3-torch python3-numpy python3-pil python3-onnx libonnx-testdata locales mesa-opencl-icd clang
	libclang-rt-14-dev oclgrind intel-opencl-icd clang-15 llvm-15 libclc-15)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

jobs=$(nproc)
werror=OFF
[ "$mode" = test ] && werror=ON
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAMPCL_WERROR=$werror \
	-DAMPCL_REQUIRE_TORCH=$werror -DAMPCL_REQUIRE_OCLGRIND=$werror -DAMPCL_REQUIRE_ISA=$werror \
	>/dev/null
cmake --build build -j"$jobs"

if [ "$mode" = test ]; then
	cd build
	# on PoCL whatever else the machine has (a GPU would otherwise come first); agree (PoCL
	# against llvmpipe) must find both devices here, not skip
	AMPCL_DEVICE=Portable AMPCL_REQUIRE_RUSTICL=1 ctest --output-on-failure -j"$jobs"
	# the same suites built with AddressSanitizer and UndefinedBehaviorSanitizer (ampcl's code
	# instrumented, the OpenCL implementation not: leaks are not reported, since PoCL keeps
	# its own for the process's life); any report fails the run
	echo "setup: the suite again built with -fsanitize=address,undefined"
	cd ..
	# (no -Werror here: gcc's -O1 with sanitizers warns falsely; the build above enforces them)
	# built without MPI, as on a machine without Open MPI: study_parallel checks that a
	# process started by mpirun is then told so
	cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Debug -DAMPCL_WERROR=OFF -DAMPCL_MPI=OFF \
		-DAMPCL_REQUIRE_TORCH=ON \
		-DCMAKE_C_FLAGS="-O1 -fsanitize=address,undefined -fno-omit-frame-pointer" >/dev/null
	cmake --build build-sanitize -j"$jobs" >/dev/null
	# PoCL's ICD alone: another driver registered with the loader (Intel's, from
	# intel-opencl-icd for the ISA report) is loaded into every process, and one that dlopens
	# with RTLD_DEEPBIND aborts under AddressSanitizer before main
	pocl_icd=$(grep -l pocl /etc/OpenCL/vendors/*.icd | head -n 1 || true)
	if [ -z "$pocl_icd" ]; then
		echo "setup: no PoCL ICD file in /etc/OpenCL/vendors (apt-get install pocl-opencl-icd)" >&2
		exit 1
	fi
	OCL_ICD_VENDORS=$pocl_icd \
		ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		AMPCL_DEVICE=Portable ctest --test-dir build-sanitize --output-on-failure -j"$jobs" \
		-E '^(agree$|install$|readme$|oclgrind_|isa)'
	# every reader under libFuzzer (tests/fuzz), each for 20 s from its seed corpus
	echo "setup: the readers under libFuzzer"
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DAMPCL_FUZZ=ON >/dev/null
	cmake --build build-fuzz -j"$jobs" >/dev/null
	OCL_ICD_VENDORS=$pocl_icd ctest --test-dir build-fuzz --output-on-failure -j"$jobs" -L fuzz
	cd build
	# the device-independent suites (layering, install, readme, agree, isa), the forced-profile ones and
	# the emulated-limits ones (label limits) once is enough; so is the real-data smoke run
	# (cifar_smoke evaluates 10,000 images: about 5 minutes on llvmpipe alone, twice that
	# beside the other suites, for no kernel the other suites do not run there); and so are the
	# suites of the program's own logic, whose device work is the small training runs that
	# trainer already does there (cli, progress, out_folder, study, study_inputs,
	# study_parallel: 650 of the pass's 1,740 test-seconds, for Mesa 22.3's rusticl takes
	# 600 ms over a width-2 ResNet-18 step that PoCL runs in 5)
	echo "setup: the suite again on Mesa rusticl (llvmpipe)"
	RUSTICL_ENABLE=llvmpipe AMPCL_DEVICE=llvmpipe exec ctest --output-on-failure -j"$jobs" \
		-E '^(layering_|install$|readme$|agree$|gpu_profile_|llvmpipe_profile_|limits_|oclgrind_|isa|cifar_smoke$|cli$|progress$|out_folder$|study)'
fi
./build/ampcl devices
./build/ampcl verify --quick
exec ./build/ampcl train --data /usr/share/datasets/fashion-mnist --model resnet18 --width 16 \
	--epochs 1 --amp-epochs 0 --out runs/fashion-mnist --overwrite
