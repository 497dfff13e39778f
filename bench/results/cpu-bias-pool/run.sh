#!/usr/bin/env bash
# How the files of this folder were made (2026-12-07, 2-core machine, after ./mvnw -q -B package -DskipTests):
# PyTorch's LPM layers, ours (JMH), PyTorch again, ours again; then the LPM training steps alternating.
set -euo pipefail
git -C "$(dirname "$0")" log -1 --format="commit %H" > "$(dirname "$0")/commit.txt"
cd "$(dirname "$0")/../../.."
out=bench/results/cpu-bias-pool
export OMP_NUM_THREADS=2
py=${PYTHON:-/usr/bin/python3}
cp="target/nrpm.jar:target/lib/*"
layers=dense:128:784:256,dense:128:256:64,dense:128:64:10,conv:128:3:32:32:8:3:1:1,conv:128:8:32:32:8:3:1:1,conv:128:8:32:32:16:3:2:1,conv:128:16:16:16:32:3:2:1,conv:128:32:8:8:64:3:2:1
for r in 1 2 3; do
  echo "== PyTorch layers round $r $(date -u +%T)"
  $py bench/gpu/torch_nrpm.py --device cpu --batch 128 --shapes dense,tiny --impls lpm --no-compile --budget-s 0 --max-case-s 8 --repeat 30 --warmup 5 --json $out/torch-layers-lpm-r$r.json > $out/torch-layers-lpm-r$r.txt
  echo "== ours layers round $r $(date -u +%T)"
  java -cp "$cp" org.openjdk.jmh.Main 'CpuNrpmBench.(lpm|lpmForwardBackward)$' -p layer="$layers" -p k=1 -wi 3 -w 1 -i 5 -r 1 -f 1 -rf json -rff $out/ours-lpm-r$r.json > $out/ours-lpm-r$r.txt
done
for r in 1 2 3; do
  echo "== PyTorch LPM training steps round $r $(date -u +%T)"
  $py bench/gpu/torch_train_step.py --device cpu --widths 8 --batch 32 --steps 5 --pm lpm --no-compile --budget-s 0 --max-case-s 120 --json $out/torch-train-r$r.json > $out/torch-train-r$r.txt
  echo "== ours LPM training steps round $r $(date -u +%T)"
  java -cp "$cp" dev.nrpm.bench.TrainStepBench --device cpu --width 8 --batch 32 --steps 5 --warmup-s 5 --pm lpm > $out/ours-train-r$r.txt
done
echo "== done $(date -u +%T)"
