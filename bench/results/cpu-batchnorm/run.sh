#!/usr/bin/env bash
# How the files of this folder were made (2-core machine, after ./mvnw -q -B package -DskipTests):
# 1. the batch-norm JMH bench on the jar before this work ($BASE_JAR: 886af73 with
#    CpuBatchNormBench added) and on this commit's, alternating, two rounds;
# 2. three rounds of the LPM training steps (15 measured steps each, ours after 20 s of warm-up: with
#    5 s, C2 was still compiling in some runs, whose steps came out 30% slower) of PyTorch, the old
#    jar and this one, alternating;
# 3. two rounds of the LPM layer table (PyTorch's layer script, then our JMH), as in cpu-bias-pool.
# PARTS picks some (default "bn steps layers"). table.py prints the tables of bench/RESULTS.md.
set -euo pipefail
: "${BASE_JAR:?set BASE_JAR to the jar built at the commit before}"
git -C "$(dirname "$0")" log -1 --format="commit %H" > "$(dirname "$0")/commit.txt"
cd "$(dirname "$0")/../../.."
out=bench/results/cpu-batchnorm
export OMP_NUM_THREADS=2
py=${PYTHON:-/usr/bin/python3}
parts=" ${PARTS:-bn steps layers} "
jar_of() { if [ "$1" = base ]; then echo "$BASE_JAR"; else echo target/nrpm.jar; fi; }
[[ $parts == *" bn "* ]] && for r in 1 2; do
  for j in base new; do
    echo "== batch norm $j round $r $(date -u +%T)"
    java -cp "$(jar_of $j):target/lib/*" org.openjdk.jmh.Main CpuBatchNormBench -wi 3 -w 1 -i 5 -r 1 -f 1 -rf json -rff $out/bn-$j-r$r.json > $out/bn-$j-r$r.txt
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
layers=dense:128:784:256,dense:128:256:64,dense:128:64:10,conv:128:3:32:32:8:3:1:1,conv:128:8:32:32:8:3:1:1,conv:128:8:32:32:16:3:2:1,conv:128:16:16:16:32:3:2:1,conv:128:32:8:8:64:3:2:1
[[ $parts == *" layers "* ]] && for r in 1 2; do
  echo "== PyTorch layers round $r $(date -u +%T)"
  $py bench/gpu/torch_nrpm.py --device cpu --batch 128 --shapes dense,tiny --impls lpm --no-compile --budget-s 0 --max-case-s 8 --repeat 30 --warmup 5 --json $out/torch-layers-lpm-r$r.json > $out/torch-layers-lpm-r$r.txt
  echo "== ours layers round $r $(date -u +%T)"
  java -cp "target/nrpm.jar:target/lib/*" org.openjdk.jmh.Main 'CpuNrpmBench.(lpm|lpmForwardBackward)$' -p layer="$layers" -p k=1 -wi 3 -w 1 -i 5 -r 1 -f 1 -rf json -rff $out/ours-lpm-r$r.json > $out/ours-lpm-r$r.txt
done
echo "== done $(date -u +%T)"
