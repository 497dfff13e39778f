#!/usr/bin/env bash
# Does an NRPM run on 2 cores still go faster with OMP_NUM_THREADS=1 now that a late pool thread no
# longer holds up our loops (CpuParallel's claims)? The evals of bench/results/cpu-dnnl/
# omp-threads-cifar-eval.txt again (CIFAR-10 ResNet-18 width 8 PGD-20; LPM on 200 images, NRPM K=1
# lambda 0.8 on 100), two rounds, wall seconds, into omp-threads-cifar-eval.txt.
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=bench/results/cpu-batchnorm/omp-threads-cifar-eval.txt
shared=${SHARED:-../shared}
model=(--model resnet18 --width 8 --weights "$shared/models/tinyresnet18_cifar10_model.t7"
       --data cifar10 --data-dir "$shared/data/cifar10" --no-download --quiet
       --attack pgd --steps 20 --step-size 2/255 --random-start --budgets 0,8/255)
echo "# CIFAR-10 ResNet-18 width 8 PGD-20 evals, wall seconds, at $(git log -1 --format=%h)" > $out
for r in 1 2; do
  for env in "OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1" "OPENBLAS_NUM_THREADS=1"; do
    for pm in "--pm lpm --limit 200" "--pm nrpm --K 1 --layers layer*.conv* --lambda 0.8 --limit 100"; do
      start=$(date +%s.%N)
      env $env java -jar target/nrpm.jar eval "${model[@]}" $pm > /dev/null
      echo "round $r | $env | $pm | $(echo "$(date +%s.%N) - $start" | bc) s" >> $out
    done
  done
done
cat $out
