#!/usr/bin/env bash
# How the files of this folder were made (2-core machine, after ./mvnw -q -B package -DskipTests):
# 1. CpuConvPaths (the backend's convolution calls alone: forward, gx, gx + gw, gw) on the jar
#    before this change ($BASE_JAR) and this commit's, alternating, two rounds each;
# 2. three rounds of the LPM training steps (15 measured steps each, 20 s of warm-up) of PyTorch,
#    the old jar and this one, alternating;
# 3. two rounds of the LPM layer table (PyTorch's layer script, then our JMH on both jars).
# PARTS picks some (default "paths steps layers"). table.py prints the tables of bench/RESULTS.md.
set -euo pipefail
: "${BASE_JAR:?set BASE_JAR to the jar built at the commit before}"
git -C "$(dirname "$0")" log -1 --format="commit %H" > "$(dirname "$0")/commit.txt"
cd "$(dirname "$0")/../../.."
out=bench/results/cpu-nhwc-backward
export OMP_NUM_THREADS=2
py=${PYTHON:-/usr/bin/python3}
parts=" ${PARTS:-paths steps layers} "
jar_of() { if [ "$1" = base ]; then echo "$BASE_JAR"; else echo target/nrpm.jar; fi; }
java -cp "target/nrpm.jar:target/lib/*" dev.nrpm.bench.CpuConvPaths --calls 1 --batch 1 > /dev/null 2>&1 || true
lscpu | grep -E "Model name|Flags" | sed 's/Flags:.*\(avx512f\).*/Flags: ... avx512f .../' > $out/cpu.txt
[[ $parts == *" paths "* ]] && for r in 1 2; do
  for j in base new; do
    echo "== conv paths $j round $r $(date -u +%T)"
    java -cp "$(jar_of $j):target/lib/*" dev.nrpm.bench.CpuConvPaths --calls 30 > $out/paths-$j-r$r.txt 2>&1
  done
done
[[ $parts == *" steps "* ]] && for r in 1 2 3; do
  echo "== PyTorch LPM training steps round $r $(date -u +%T)"
  $py bench/gpu/torch_train_step.py --device cpu --widths 8 --batch 32 --steps 15 --pm lpm --no-compile --budget-s 0 --max-case-s 120 --json $out/torch-train-r$r.json > $out/torch-train-r$r.txt
  for j in base new; do
    echo "== $j LPM training steps round $r $(date -u +%T)"
    java -cp "$(jar_of $j):target/lib/*" dev.nrpm.bench.TrainStepBench --device cpu --width 8 --batch 32 --steps 15 --warmup-s 20 --pm lpm > $out/$j-train-r$r.txt
  done
done
layers=conv:128:3:32:32:8:3:1:1,conv:128:8:32:32:8:3:1:1,conv:128:8:32:32:16:3:2:1,conv:128:16:16:16:32:3:2:1,conv:128:32:8:8:64:3:2:1
[[ $parts == *" layers "* ]] && for r in 1 2; do
  echo "== PyTorch layers round $r $(date -u +%T)"
  $py bench/gpu/torch_nrpm.py --device cpu --batch 128 --shapes tiny --impls lpm --no-compile --budget-s 0 --max-case-s 8 --repeat 30 --warmup 5 --json $out/torch-layers-lpm-r$r.json > $out/torch-layers-lpm-r$r.txt
  for j in base new; do
    echo "== $j layers round $r $(date -u +%T)"
    java -cp "$(jar_of $j):target/lib/*" org.openjdk.jmh.Main 'CpuNrpmBench.(lpm|lpmForwardBackward)$' -p layer="$layers" -p k=1 -wi 3 -w 1 -i 5 -r 1 -f 1 -rf json -rff $out/ours-$j-r$r.json > $out/ours-$j-r$r.txt
  done
done
echo "== done $(date -u +%T)"
