#!/usr/bin/env bash
# How the files of this folder were made (2026-12-07, on the 2-core machine, after ./mvnw -q -B package -DskipTests).
set -euo pipefail
cd /work/main
out=bench/results/cpu-vs-torch-dnnl
export OMP_NUM_THREADS=2
py=/usr/bin/python3
cp="target/nrpm.jar:target/lib/*"
layers=""
for s in dense:784:256 dense:256:64 dense:64:10 conv:3:32:32:8:3:1:1 conv:8:32:32:8:3:1:1 conv:8:32:32:16:3:2:1 conv:16:16:16:32:3:2:1 conv:32:8:8:64:3:2:1; do layers="$layers,${s%%:*}:128:${s#*:}"; done
layers="${layers#,}"
echo "== PyTorch layers LPM $(date -u +%T)"
$py bench/gpu/torch_nrpm.py --device cpu --batch 128 --shapes dense,tiny --impls lpm --no-compile --budget-s 0 --max-case-s 8 --repeat 5 --warmup 1 --json $out/torch-layers-lpm.json > $out/torch-layers-lpm.txt
echo "== PyTorch dense NRPM $(date -u +%T)"
$py bench/gpu/torch_nrpm.py --device cpu --batch 128 --shapes dense --impls eager --k 1,3 --no-compile --budget-s 0 --max-case-s 8 --repeat 5 --warmup 1 --json $out/torch-layers-dense-nrpm.json > $out/torch-layers-dense-nrpm.txt
echo "== ours LPM $(date -u +%T)"
java -cp "$cp" org.openjdk.jmh.Main 'CpuNrpmBench.(lpm|lpmForwardBackward)$' -p layer="$layers" -p k=1 -wi 2 -w 1 -i 3 -r 1 -f 1 -rf json -rff $out/ours-lpm.json > $out/ours-lpm.txt
echo "== ours dense NRPM $(date -u +%T)"
java -cp "$cp" org.openjdk.jmh.Main 'CpuNrpmBench.(nrpmFused|nrpmFusedForwardBackward)$' -p layer=dense:128:784:256,dense:128:256:64,dense:128:64:10 -p k=1,3 -wi 2 -w 1 -i 3 -r 1 -f 1 -rf json -rff $out/ours-nrpm.json > $out/ours-nrpm.txt
echo "== PyTorch LPM training steps $(date -u +%T)"
$py bench/gpu/torch_train_step.py --device cpu --widths 8 --batch 32 --steps 2 --pm lpm --no-compile --budget-s 0 --max-case-s 120 --json $out/torch-train.json > $out/torch-train.txt
echo "== ours LPM training steps $(date -u +%T)"
java -cp "$cp" dev.nrpm.bench.TrainStepBench --device cpu --width 8 --batch 32 --steps 5 --warmup-s 5 --pm lpm > $out/ours-train.txt
echo "== PyTorch LPM training steps again $(date -u +%T)"
$py bench/gpu/torch_train_step.py --device cpu --widths 8 --batch 32 --steps 5 --pm lpm --no-compile --budget-s 0 --max-case-s 120 --json $out/torch-train-2.json > $out/torch-train-2.txt
echo "== ours again $(date -u +%T)"
java -cp "$cp" dev.nrpm.bench.TrainStepBench --device cpu --width 8 --batch 32 --steps 5 --warmup-s 5 --pm lpm > $out/ours-train-2.txt
echo "== done $(date -u +%T)"
# then, for steadier layer figures, PyTorch's layers twice more around a second JMH run of ours:
layers=conv:128:3:32:32:8:3:1:1,conv:128:8:32:32:8:3:1:1,conv:128:8:32:32:16:3:2:1,conv:128:16:16:16:32:3:2:1,conv:128:32:8:8:64:3:2:1,dense:128:64:10
$py bench/gpu/torch_nrpm.py --device cpu --batch 128 --shapes dense,tiny --impls lpm --no-compile --budget-s 0 --max-case-s 8 --repeat 30 --warmup 5 --json $out/torch-layers-lpm-r2.json > $out/torch-layers-lpm-r2.txt
java -cp "$cp" org.openjdk.jmh.Main 'CpuNrpmBench.(lpm|lpmForwardBackward)$' -p layer="$layers" -p k=1 -wi 3 -w 1 -i 5 -r 1 -f 1 -rf json -rff $out/ours-lpm-r2.json > $out/ours-lpm-r2.txt
$py bench/gpu/torch_nrpm.py --device cpu --batch 128 --shapes dense,tiny --impls lpm --no-compile --budget-s 0 --max-case-s 8 --repeat 30 --warmup 5 --json $out/torch-layers-lpm-r3.json > $out/torch-layers-lpm-r3.txt
