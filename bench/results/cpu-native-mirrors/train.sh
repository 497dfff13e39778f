#!/usr/bin/env bash
# bench/RESULTS.md "CPU: native mirrors of activations": three interleaved rounds of the LPM
# ResNet-18 width 8 batch 32 training step (TrainStepBench, 15 steps after 20 s of warm-up), the
# jar before (/tmp/base, e4da9fa) and after (this checkout), then PyTorch's (3 warm-up steps,
# median of 15). Set-up as in layers.sh. clean-ab.txt: the clean step alone, 30 steps after 15 s,
# four rounds (--modes clean --steps 30 --warmup-s 15).
here="$(cd "$(dirname "$0")/../../.." && pwd)"
set -e
for r in 1 2 3; do
  for v in base new; do
    d="${BASE:-/tmp/base}"; [ $v = new ] && d="$here"
    (cd $d && java -cp "target/nrpm.jar:target/lib/*" dev.nrpm.bench.TrainStepBench --device cpu --width 8 --batch 32 \
       --pm lpm --steps 15 --warmup-s 20 > "${OUT:-/tmp/mir}"/train-$v-$r.txt 2>&1)
  done
  /usr/bin/python3 "$here"/bench/gpu/torch_train_step.py --device cpu --widths 8 --batch 32 --steps 15 --no-compile \
     --budget-s 0 --max-case-s 120 --pm lpm --warmup 3 > "${OUT:-/tmp/mir}"/train-torch-$r.txt 2>&1 || true
done
echo done
