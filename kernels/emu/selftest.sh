#!/usr/bin/env bash
# selftest.sh [WORKDIR]: tests the CPU emulation of CUDA (cuda_emu.h, emu_launch.cpp) that the Java
# conformance suite relies on to run kernels/*.cu without a GPU. Builds libnrpm_emu.so from
# selftest.cu alone (not the product kernels, so a kernel being written elsewhere cannot break it),
# twice: with the x86-64 fiber switch and with the portable ucontext fallback; runs
# selftest_driver.cpp (dlopen + emu_launch) on each. When nvcc is present, also checks that
# selftest.cu is valid CUDA. Exit status 0 only when everything passes.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="${1:-$(mktemp -d)}"
mkdir -p "$work"

g++ -std=c++17 -O2 -o "$work/selftest_driver" "$here/selftest_driver.cpp" -ldl
for variant in fast ucontext; do
    flags=""
    [ $variant = ucontext ] && flags="-DEMU_UCONTEXT"
    echo "== $variant: building"
    start=$(date +%s.%N)
    EMU_CXXFLAGS="$flags" "$here/build.sh" "$work/$variant" "$here/selftest.cu"
    echo "   built in $(echo "$(date +%s.%N) - $start" | bc) s"
    echo "== $variant: running"
    quick=""; [ $variant = ucontext ] && quick=quick   # the slow fallback skips the 1M-thread timings
    # the default scheduling order first (most checks assume it), then NRPM_EMU_ORDER=reverse
    env -u NRPM_EMU_ORDER timeout 300 "$work/selftest_driver" "$work/$variant/libnrpm_emu.so" $quick
    echo "== $variant: running, blocks and threads in reverse order"
    NRPM_EMU_ORDER=reverse timeout 300 "$work/selftest_driver" "$work/$variant/libnrpm_emu.so" quick
done
if command -v nvcc >/dev/null; then
    echo "== nvcc: selftest.cu is valid CUDA"
    nvcc -std=c++17 -arch=sm_80 -I "$(dirname "$here")" -c "$here/selftest.cu" -o "$work/selftest.o"
fi
echo "selftest.sh: all passed"
