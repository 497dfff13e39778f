#!/usr/bin/env bash
# Our CPU backend against PyTorch on the same CPU, one run after the other (bench/RESULTS.md,
# "CPU: ours against PyTorch"): layers (CpuNrpmBench under JMH vs bench/gpu/torch_nrpm.py
# --device cpu) and ResNet-18 training steps (TrainStepBench vs bench/gpu/torch_train_step.py
# --device cpu), then the side-by-side tables (bench/cpu/vs_torch.py).
#
#     ./mvnw -q -B package -DskipTests
#     bench/cpu/vs-torch.sh [OUT_DIR]           (default target/vs-torch; 80 minutes or more on 2
#                                               cores, most of it PyTorch's eager NRPM training steps)
#
# Needs a python3 with PyTorch (CPU build is enough; Debian: apt-get install --no-install-recommends
# python3-torch, then PYTHON=/usr/bin/python3). PyTorch uses every core (OMP_NUM_THREADS = nproc),
# as our backend does. Eager PyTorch keeps (1 + 3K) terms-sized tensors per layer for the backward:
# the training steps run at TRAIN_BATCH (default 32; width 8 at batch 128 would keep 17 GiB at K=1,
# 42 GiB at K=3). LAYER_BATCH (default 128) is the layers' batch.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-target/vs-torch}"
python="${PYTHON:-python3}"
layer_batch="${LAYER_BATCH:-128}"
train_batch="${TRAIN_BATCH:-32}"
"$python" -c 'import torch' 2>/dev/null || {
    echo "vs-torch.sh: $python has no torch (set PYTHON to one that has)" >&2; exit 2; }
[ -f target/nrpm.jar ] || { echo "vs-torch.sh: no target/nrpm.jar (./mvnw -q -B package -DskipTests)" >&2; exit 2; }
mkdir -p "$out"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}"
cp=("target/nrpm.jar:target/lib/*")
layers=""
for s in dense:784:256 dense:256:64 dense:64:10 conv:3:32:32:8:3:1:1 conv:8:32:32:8:3:1:1 \
         conv:8:32:32:16:3:2:1 conv:16:16:16:32:3:2:1 conv:32:8:8:64:3:2:1; do
    layers="$layers,${s%%:*}:$layer_batch:${s#*:}"    # torch_nrpm.py's dense and conv-tiny shapes
done
layers="${layers#,}"
step() { echo "== $1 ($(date -u +%T))"; }

step "PyTorch layers"
"$python" bench/gpu/torch_nrpm.py --device cpu --batch "$layer_batch" --shapes dense,tiny --no-compile \
    --budget-s 0 --max-case-s 8 --repeat 5 --warmup 1 --json "$out/torch-layers.json" | tee "$out/torch-layers.txt"
step "our layers, LPM"
java -cp "${cp[@]}" org.openjdk.jmh.Main 'CpuNrpmBench.(lpm|lpmForwardBackward)$' -p layer="$layers" -p k=1 \
    -wi 2 -w 1 -i 3 -r 1 -f 1 -rf json -rff "$out/ours-lpm.json" | tee "$out/ours-lpm.txt"
step "our layers, NRPM"
java -cp "${cp[@]}" org.openjdk.jmh.Main 'CpuNrpmBench.(nrpmFused|nrpmFusedForwardBackward)$' -p layer="$layers" \
    -p k=1,3 -wi 2 -w 1 -i 3 -r 1 -f 1 -rf json -rff "$out/ours-nrpm.json" | tee "$out/ours-nrpm.txt"
step "PyTorch training steps"
"$python" bench/gpu/torch_train_step.py --device cpu --widths 8 --batch "$train_batch" --steps 2 --no-compile \
    --budget-s 0 --max-case-s 120 --json "$out/torch-train.json" | tee "$out/torch-train.txt"
step "our training steps"
# --warmup-s 20: the JIT needs many cheap (LPM) steps before it has compiled them (after 5 s some
# runs were still 30% slow: bench/results/cpu-batchnorm/warmup.txt); PyTorch needs none
java -cp "${cp[@]}" dev.nrpm.bench.TrainStepBench --device cpu --width 8 --batch "$train_batch" --steps 2 --warmup-s 20 \
    | tee "$out/ours-train.txt"
step "tables"
python3 bench/cpu/vs_torch.py "$out" | tee "$out/tables.md"
