#!/usr/bin/env bash
# Compiles every kernels/*.cu into its own fatbin (SASS for sm_80 and sm_90, PTX for newer chips)
# and writes OUTDIR/index.txt listing them; the Maven build puts OUTDIR in the jar (/kernels/).
# No nvcc: says so and succeeds, leaving no index (the build is then CPU only).
# A kernel that does not compile fails the build. Up-to-date fatbins are not rebuilt.
#   usage: kernels/build.sh OUTDIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: kernels/build.sh OUTDIR}"
mkdir -p "$out"
rm -f "$out/index.txt"
NVCC="${NVCC:-nvcc}"
if ! command -v "$NVCC" >/dev/null 2>&1; then
    for c in /usr/local/cuda/bin/nvcc /usr/local/cuda-13.0/bin/nvcc; do
        [ -x "$c" ] && NVCC="$c" && break
    done
fi
if ! command -v "$NVCC" >/dev/null 2>&1; then
    echo "[kernels] nvcc not found: building without GPU kernels (the cuda backend will be unavailable; CPU only)"
    exit 0
fi
arches=(-gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90)
sources=("$here"/*.cu)
jobs="${NRPM_NVCC_JOBS:-$(nproc 2>/dev/null || echo 2)}"
build_one() {
    src="$1"; name="$(basename "$src" .cu)"; fat="$out/$name.fatbin"
    if [ -f "$fat" ] && [ "$fat" -nt "$src" ] && [ "$fat" -nt "$0" ]; then
        local h stale=0
        for h in "$here"/*.cuh; do [ "$h" -nt "$fat" ] && stale=1; done
        [ "$stale" -eq 0 ] && return 0
    fi
    if ! "$NVCC" -std=c++17 -O3 -fatbin "${arches[@]}" -I "$here" -o "$fat.tmp" "$src" 2> "$out/$name.log"; then
        cat "$out/$name.log" >&2
        echo "[kernels] FAILED: $src" >&2
        rm -f "$fat.tmp"
        return 1
    fi
    mv "$fat.tmp" "$fat"
    rm -f "$out/$name.log"
}
failed=0
pids=()
running=0
for src in "${sources[@]}"; do
    build_one "$src" &
    pids+=($!)
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n || failed=1
        running=$((running - 1))
    fi
done
while [ "$running" -gt 0 ]; do
    wait -n || failed=1
    running=$((running - 1))
done
[ "$failed" -eq 0 ] || { echo "[kernels] kernel compilation failed" >&2; exit 1; }
for src in "${sources[@]}"; do basename "$src" .cu | sed 's/$/.fatbin/'; done > "$out/index.txt"
echo "[kernels] $("$NVCC" --version | tail -1 | sed 's/^Build //'): ${#sources[@]} kernel files -> $out"
