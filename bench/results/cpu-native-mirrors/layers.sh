#!/usr/bin/env bash
# bench/RESULTS.md "CPU: native mirrors of activations": two interleaved rounds of our LPM conv
# layers (and 64->10 dense) at batch 128 under JMH, the jar before (e4da9fa) and after (ff63eae),
# then PyTorch's LPM layers (torch 1.13 CPU from Debian), all in one run.
#   git worktree add /tmp/base e4da9fa && (cd /tmp/base && ./mvnw -q -B package -DskipTests)
#   ./mvnw -q -B package -DskipTests && OUT=/tmp/mir bench/results/cpu-native-mirrors/layers.sh
# (rounds 3 and 4, run after the full vs-torch.sh: ROUNDS="3 4")
here="$(cd "$(dirname "$0")/../../.." && pwd)"
set -e
out="${OUT:-/tmp/mir}"; mkdir -p "$out"
layers=""
for s in conv:3:32:32:8:3:1:1 conv:8:32:32:8:3:1:1 conv:8:32:32:16:3:2:1 conv:16:16:16:32:3:2:1 conv:32:8:8:64:3:2:1 dense:64:10; do
  layers="$layers,${s%%:*}:128:${s#*:}"
done
layers="${layers#,}"
for r in ${ROUNDS:-1 2}; do
  for v in base new; do
    d="${BASE:-/tmp/base}"; [ $v = new ] && d="$here"
    (cd $d && java -cp "target/nrpm.jar:target/lib/*" org.openjdk.jmh.Main 'CpuNrpmBench.(lpm|lpmForwardBackward)$' -p layer="$layers" -p k=1 \
      -wi 2 -w 1 -i 3 -r 1 -f 1 -rf json -rff "$out"/$v-$r.json > "$out"/$v-$r.txt 2>&1)
  done
  /usr/bin/python3 "$here"/bench/gpu/torch_nrpm.py --device cpu --batch 128 --shapes tiny,dense-64 --impls lpm --no-compile --k 1 \
     --budget-s 0 --max-case-s 8 --repeat 7 --warmup 2 --json "$out"/torch-$r.json > "$out"/torch-$r.txt 2>&1
done
echo done
