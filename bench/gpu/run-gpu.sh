#!/usr/bin/env bash
# Runs the GPU checks and benchmarks from a bundle built by bench/gpu/bundle.sh (which copies this
# script into it), on a machine with only an NVIDIA driver. Each stage runs under a time limit,
# and NRPM_DEADLINE_S bounds the whole run: a lease is short (15 device minutes in all, start-up
# included, 10 minutes per command), so the whole default list runs as one call,
#     NRPM_DEADLINE_S=570 run-gpu.sh        (the run's timeout_s: 600)
# Under a deadline a stage gets its own limit or, when less, what is left after keeping the
# minimum share of every later stage (floor_s below); one that would get under 10 s is skipped
# and says so. The default order puts each of our benchmarks next to its PyTorch baseline.
#   smoke        seconds: every Java entry point on tiny shapes, so a broken bundle fails first;
#                and, where nvcc and cuobjdump are installed, the kernels' SASS instructions per term
#   tests        GPU conformance, NRPM conformance and cross-backend training tests
#   layers       GpuNrpmBench: NRPM vs LPM per layer on our kernels, CUDA-event times
#   torch-layers bench/torch_nrpm.py, the PyTorch layer baselines, where python3 has torch
#   train        TrainStepBench: ResNet-18 training steps, tiny and full width
#   torch-train  bench/torch_train_step.py, the PyTorch training-step baselines
#   torch        torch-layers and torch-train
#   jmh          (not in the default list) GpuNrpmJmh: the same layers' wall-clock times under JMH, K = 1
# A lease brings back at most 8 files, so $OUT (or ./gpu-results) receives two: summary.txt (each
# stage's status and time, compare.py's side-by-side tables with the issues' targets, then the
# raw tables) and results.tar.gz (every log, JSON and JUnit report), both rewritten after every
# stage, so a run cut short still returns what it measured.
# Exit status 1 when a stage failed or ran out of time.
# NRPM_TORCH_BUDGET_S (default 90): seconds each PyTorch script may spend on cases (their --budget-s;
# less when the deadline leaves less).
# NRPM_DEADLINE_S (default 0, none): seconds for the whole run.
# NRPM_PLAN=1: run nothing, and write into summary.txt what each stage would get if every stage
# before it ran to its limit (the worst case of a deadline); NRPM_ASSUME_TORCH=0|1 then stands in
# for the PyTorch check. Any machine, no GPU or bundle needed:
#     NRPM_PLAN=1 NRPM_ASSUME_TORCH=1 NRPM_DEADLINE_S=570 OUT=/tmp/plan bench/gpu/run-gpu.sh
set -uo pipefail
export PYTHONUNBUFFERED=1
torch_budget="${NRPM_TORCH_BUDGET_S:-90}"
here="$(cd "$(dirname "$0")" && pwd)"
res="${OUT:-$PWD/gpu-results}"
mkdir -p "$res"
work="$(mktemp -d)"                 # the files themselves, packed into $res after each stage
mkdir -p "$work/junit"
stages=()
for s in "$@"; do   # torch stands for its two scripts, so that each gets its own share of the deadline
    if [ "$s" = torch ]; then stages+=(torch-layers torch-train); else stages+=("$s"); fi
done
[ ${#stages[@]} -eq 0 ] && stages=(smoke tests layers torch-layers train torch-train)
deadline="${NRPM_DEADLINE_S:-0}"
plan="${NRPM_PLAN:-0}"
t_start=$SECONDS
simulated=0     # NRPM_PLAN: the seconds the stages so far would have taken at their limits
later_floor=0   # the minimum shares of the stages after the current one (set in the main loop)
# JCuda unpacks its natives into java.io.tmpdir without locking: one private folder per run
java=("$here/runtime/bin/java" -Xmx8g "-Djava.io.tmpdir=$work/tmp" -Djava.awt.headless=true)
mkdir -p "$work/tmp"
cp="$here/lib/*"
failed=0
summary="$work/summary.txt"
failures="$work/failures.txt"   # the last lines of each stage that failed or timed out
: >"$summary"
: >"$failures"

has_torch=0
if [ -n "${NRPM_ASSUME_TORCH:-}" ]; then
    has_torch="$NRPM_ASSUME_TORCH"
elif python3 -c 'import torch' 2>/dev/null; then
    has_torch=1
fi

# The least a stage needs to say something useful, kept for it while earlier stages run.
floor_s() {
    case "$1" in
        smoke) echo 40 ;; tests) echo 90 ;; layers) echo 60 ;; train) echo 60 ;;
        torch-layers | torch-train) echo $((45 * has_torch)) ;; *) echo 0 ;;
    esac
}

# allowed CAP_S: CAP_S, or what the deadline leaves after the later stages' floors and 10 s for
# packing the results, if that is less
allowed() {
    local cap="$1"
    [ "$deadline" -gt 0 ] || { echo "$cap"; return; }
    local elapsed=$((SECONDS - t_start))
    [ "$plan" = 1 ] && elapsed=0   # a plan counts only the simulated stages: the same answer on any machine
    local left=$((deadline - (elapsed + simulated) - later_floor - 10))
    [ "$left" -lt "$cap" ] && cap=$left
    echo "$cap"
}

# stage NAME LIMIT_S LOG COMMAND...: runs COMMAND under the limit (cut by the deadline, see
# allowed), its output shown and kept in LOG
stage() {
    local name="$1" limit log="$3"
    limit="$(allowed "$2")"
    shift 3
    if [ "$limit" -lt 10 ]; then
        echo "$name: skipped, the ${deadline} s deadline leaves it no time (later stages keep ${later_floor} s)" \
            | tee -a "$summary"
        failed=1
        return
    fi
    if [ "$plan" = 1 ]; then
        echo "$name: would get $limit s ($log)" | tee -a "$summary"
        simulated=$((simulated + limit))
        return
    fi
    local t0=$SECONDS rc before
    before=$(cat "$work/$log" 2>/dev/null | wc -l)
    timeout "$limit" "$@" 2>&1 | tee -a "$work/$log"
    rc=${PIPESTATUS[0]}
    local what="ok"
    [ "$rc" -eq 124 ] && what="TIMED OUT after ${limit} s"
    [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && what="FAILED (exit $rc)"
    echo "$name: $what, $((SECONDS - t0)) s ($log)" >>"$summary"
    if [ "$rc" -ne 0 ]; then
        failed=1
        # the cause, in summary.txt itself: the first error lines this command wrote (stack
        # frames left out), then its last lines
        { echo; echo "== $name: $what; from $log, its first error lines, then its last lines"
          tail -n +$((before + 1)) "$work/$log" | grep -E 'Exception|Error|error|FAIL|failed' \
              | grep -vE '^[[:space:]]+at ' | head -n 8
          echo "..."
          tail -n +$((before + 1)) "$work/$log" | tail -n 6; } >>"$failures"
    fi
}

pack() {
    # the side-by-side tables and the targets, from what the stages so far wrote (bench/gpu/compare.py)
    if [ "$plan" != 1 ] && command -v python3 >/dev/null; then
        python3 "$here/bench/compare.py" "$work" >"$work/compare.md" 2>&1 || true
    fi
    {
        cat "$summary"
        cat "$failures"
        [ -s "$work/compare.md" ] && { echo; cat "$work/compare.md"; }
        for f in gpu.txt sass.txt ours.txt jmh.txt train-w8.txt train-w64.txt torch.txt torch-train.txt; do
            [ -s "$work/$f" ] || continue
            echo
            echo "== $f"
            grep -E '^(\||device|ResNet|wrote|Benchmark|GpuNrpmJmh)' "$work/$f" | grep -v '^|---' | head -60
        done
    } >"$res/summary.txt"
    tar -czf "$res/results.tar.gz.tmp" -C "$work" --exclude=./tmp . && mv "$res/results.tar.gz.tmp" "$res/results.tar.gz"
}

if [ "$plan" != 1 ]; then
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader >"$work/gpu.txt" 2>&1 \
        || true
    cat "$work/gpu.txt"
fi
# torch_stage NAME LOG SCRIPT JSON: one PyTorch script, its case budget within the stage's limit
torch_stage() {
    if [ "$has_torch" -eq 0 ]; then
        echo "$1: skipped, no PyTorch here" >>"$summary"
        return
    fi
    local limit budget
    limit="$(allowed $((torch_budget + 20)))"
    budget=$((limit - 20))
    [ "$budget" -lt 5 ] && budget=5
    stage "$1" "$limit" "$2" python3 "$here/bench/$3" --budget-s "$budget" --json "$work/$4"
}

for i in "${!stages[@]}"; do
    s="${stages[$i]}"
    later_floor=0
    for later in "${stages[@]:$((i + 1))}"; do later_floor=$((later_floor + $(floor_s "$later"))); done
    echo "=== $s ($(date -u +%H:%M:%S))"
    case "$s" in
        smoke)
            stage "smoke layers" 45 smoke.txt "${java[@]}" -cp "$cp" dev.nrpm.bench.GpuNrpmBench --batch 2 --k 1,3 \
                --shapes small --repeat 1
            stage "smoke train" 45 smoke.txt "${java[@]}" -cp "$cp" dev.nrpm.bench.TrainStepBench --device cuda \
                --width 2 --batch 2 --steps 1 --k 1
            stage "smoke jmh" 45 smoke.txt "${java[@]}" -cp "$cp" dev.nrpm.cli.Main bench --quick \
                --include 'GpuNrpmJmh.nrpm$' --param layer=mlp.fc3 --param k=1 --param batch=2
            # the fused kernels' SASS per term from this machine's own toolkit (no GPU time; seconds)
            if command -v nvcc >/dev/null && command -v cuobjdump >/dev/null && command -v python3 >/dev/null; then
                stage "sass per term" 60 sass.txt python3 "$here/bench/instructions_per_term.py" --from sass
            fi ;;
        tests)
            stage tests 150 tests.txt "${java[@]}" -cp "$cp:$here/test-classes" org.junit.platform.console.ConsoleLauncher \
                execute --disable-banner --details=summary --reports-dir="$work/junit" \
                --select-class dev.nrpm.backend.BackendConformanceTest \
                --select-class dev.nrpm.ops.NrpmConformanceTest \
                --select-class dev.nrpm.train.CrossBackendTrainingTest \
                --select-class dev.nrpm.cli.TrainResumeTest \
                --select-class dev.nrpm.backend.cuda.LaunchUnderGcTest
            # again with a tiny conv gx scratch, so every conv takes the batch-chunked path
            stage "tests, chunked conv gx" 90 tests.txt "${java[@]}" -Dnrpm.cuda.gcolMaxFloats=2048 \
                -cp "$cp:$here/test-classes" org.junit.platform.console.ConsoleLauncher execute --disable-banner \
                --details=summary --reports-dir="$work/junit-chunked" --select-class dev.nrpm.ops.NrpmConformanceTest ;;
        layers)
            stage layers 180 ours.txt "${java[@]}" -cp "$cp" dev.nrpm.bench.GpuNrpmBench --json "$work/ours.json" ;;
        jmh)
            stage jmh 300 jmh.txt "${java[@]}" -cp "$cp" dev.nrpm.cli.Main bench --quick --include GpuNrpmJmh \
                --param k=1 --json "$work/jmh.json" ;;
        train)
            for w in 64 8; do   # full width first: issue 5's targets are about it
                stage "train width $w" 100 "train-w$w.txt" "${java[@]}" -cp "$cp" dev.nrpm.bench.TrainStepBench \
                    --device cuda --width "$w" --batch 128 --steps 3
            done ;;
        torch-layers)
            torch_stage "torch layers" torch.txt torch_nrpm.py torch.json ;;
        torch-train)
            torch_stage "torch train" torch-train.txt torch_train_step.py torch-train.json ;;
        *) echo "unknown stage $s (smoke, tests, layers, torch-layers, train, torch-train, torch, jmh)" | tee -a "$summary"
           failed=1 ;;
    esac
    pack
done
echo
cat "$res/summary.txt"
echo "done ($(date -u +%H:%M:%S)): $res/summary.txt and $res/results.tar.gz"
rm -rf "$work"
exit $failed
