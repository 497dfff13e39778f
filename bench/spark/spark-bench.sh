#!/usr/bin/env bash
# Spark's cost and gain on one machine, side by side in one run: the same evaluation locally, on
# Spark with 1 executor thread and with 2, and a tiny job (Spark's start-up and per-task cost).
# "1 kernel thread" rows set -Dnrpm.cpu.threads=1: each task's kernels on one core, so 2 executor
# threads split the machine by samples (data parallel) instead of inside each conv (the default).
#
#   bench/spark/spark-bench.sh [OUT]      (OUT: bench/results/spark; needs target/nrpm.jar and Spark's
#                                          jars, which Maven resolves for the tests)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-bench/results/spark}
mkdir -p "$OUT"
CP_FILE=$(mktemp)
./mvnw -q -B dependency:build-classpath -Dmdep.includeScope=provided -Dmdep.outputFile="$CP_FILE" >/dev/null
OPENS="--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
 --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
 --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
 --add-opens=java.base/sun.util.calendar=ALL-UNNAMED"
# ours first: Spark ships an older pickle library than the PyTorch reader needs
JOPTS=()
run() { /usr/bin/time -f "%e" -o "$OUT/.t" java $OPENS "${JOPTS[@]}" -cp "target/nrpm.jar:target/lib/*:$(cat "$CP_FILE")" \
          dev.nrpm.cli.Main "$@" > "$OUT/.log" 2>&1; cat "$OUT/.t"; }
JOB=(eval --model lenet --weights ../shared/models/lenet_mnist_model.pth --data mnist
     --data-dir ../shared/data/mnist --limit ${N:-400} --attack apgd-ce --budgets 0.1 --no-probes --quiet)
TINY=(eval --model mlp --weights models/demo-mlp.safetensors --data synth-mnist --limit 16 --attack fgsm
      --budgets 0.1 --quiet)
{
  echo "what,seconds"
  echo "eval local,$(run "${JOB[@]}")"
  echo "eval spark local[1] 8 shards,$(run "${JOB[@]}" --spark 'local[1]' --shards 8)"
  echo "eval spark local[2] 8 shards,$(run "${JOB[@]}" --spark 'local[2]' --shards 8)"
  JOPTS=(-Dnrpm.cpu.threads=1)
  echo "eval local 1 kernel thread,$(run "${JOB[@]}")"
  echo "eval spark local[2] 8 shards 1 kernel thread,$(run "${JOB[@]}" --spark 'local[2]' --shards 8)"
  JOPTS=()
  echo "tiny local,$(run "${TINY[@]}")"
  echo "tiny spark local[2] 1 shard,$(run "${TINY[@]}" --spark 'local[2]' --shards 1)"
  echo "tiny spark local[2] 16 shards,$(run "${TINY[@]}" --spark 'local[2]' --shards 16)"
} | tee "$OUT/spark-bench.csv"
rm -f "$CP_FILE" "$OUT/.t" "$OUT/.log"
