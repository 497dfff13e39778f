#!/usr/bin/env bash
# ResNet-18 (the tiny checkpoint in ../shared/models) on the real CIFAR-10 test set: LPM and
# paradigm 1 with NRPM (K = 1) in the residual blocks' 3x3 convs over a lambda sweep, then
# paradigm 2 (lambdas trained adversarially on test[0:5000], evaluated on test[5000:...]).
# Clean accuracy and PGD-20 (8/255, step 2/255, random start) on N_PGD images, AutoAttack
# (standard, 8/255) and the adaptive attack on N_AA images.
#
#   bench/cifar/resnet18-cifar10.sh [OUT]        (OUT: bench/results/cifar10-resnet18)
#   STAGES="pgd p2 p2aa aa adaptive" N_PGD=1000 N_AA=200 LAMBDAS="1 0.9 0.8 0.7 0.5" JAR=target/nrpm.jar ...
#
# Needs target/nrpm.jar (./mvnw -q -B package -DskipTests). On 2 cores the whole run takes hours:
# see bench/RESULTS.md for the times measured.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-bench/results/cifar10-resnet18}
SHARED=${SHARED:-../shared}
N_PGD=${N_PGD:-1000}
N_AA=${N_AA:-200}
N_P2=${N_P2:-1000}
LAMBDAS=${LAMBDAS:-"1 0.9 0.8 0.7 0.5"}
STAGES=${STAGES:-"pgd p2 p2aa aa adaptive"}
P2_TAG=${P2_TAG:-}   # e.g. -lr0.5: a second paradigm-2 run beside the first
P2_CKPT=${P2_CKPT:-runs/resnet18-cifar10-paradigm2$P2_TAG.safetensors}
JAVA=${JAVA:-java}
# OpenBLAS's idle threads spin: with two cores and our own worker threads, one BLAS thread is faster
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
mkdir -p "$OUT"
NRPM=("$JAVA" -jar "${JAR:-target/nrpm.jar}")
MODEL=(--model resnet18 --width 8 --weights "$SHARED/models/tinyresnet18_cifar10_model.t7"
       --data cifar10 --data-dir "$SHARED/data/cifar10" --no-download --quiet)
PGD20=(--attack pgd --steps 20 --step-size 2/255 --random-start --budgets 0,8/255)

pm_of() {  # lambda -> pattern-matching options (lambda 1 is the original LPM network)
  if [ "$1" = 1 ]; then echo "--pm lpm"; else echo "--pm nrpm --K 1 --layers layer*.conv* --lambda $1"; fi
}

log() { echo "[$(date +%H:%M:%S)] $*" | tee -a "$OUT/log.txt"; }

for stage in $STAGES; do
  case $stage in
    pgd)
      for l in $LAMBDAS; do
        log "pgd-20 lambda=$l on $N_PGD images"
        # shellcheck disable=SC2046
        "${NRPM[@]}" eval "${MODEL[@]}" $(pm_of "$l") --limit "$N_PGD" "${PGD20[@]}" \
            --json "$OUT/pgd20-lambda$l.json" >> "$OUT/log.txt" 2>&1
      done ;;
    aa)
      for l in $LAMBDAS; do
        log "autoattack lambda=$l on $N_AA images"
        # shellcheck disable=SC2046
        "${NRPM[@]}" eval "${MODEL[@]}" $(pm_of "$l") --limit "$N_AA" --attack autoattack --budgets 8/255 \
            --json "$OUT/autoattack-lambda$l.json" >> "$OUT/log.txt" 2>&1
      done ;;
    adaptive)
      for l in $LAMBDAS; do
        [ "$l" = 1 ] && continue
        log "adaptive lambda=$l on $N_AA images"
        # shellcheck disable=SC2046
        "${NRPM[@]}" eval "${MODEL[@]}" $(pm_of "$l") --limit "$N_AA" --attack adaptive --budgets 8/255 \
            --json "$OUT/adaptive-lambda$l.json" >> "$OUT/log.txt" 2>&1
      done ;;
    p2)
      log "paradigm 2$P2_TAG (lr ${P2_LR:-0.05}): lambdas trained (PGD-7 8/255) on test[0:5000], evaluated on test[5000:$((5000 + N_P2))]"
      "${NRPM[@]}" reprogram --paradigm 2 "${MODEL[@]}" --pm nrpm --K 1 --layers 'layer*.conv*' --lambda 0.9 \
          --train-from test --train-limit 5000 --offset 5000 --limit "$N_P2" --epochs "${P2_EPOCHS:-2}" \
          --lr "${P2_LR:-0.05}" --adversarial pgd --train-steps 7 --train-budget 8/255 --train-step-size 2/255 \
          "${PGD20[@]}" --out "$P2_CKPT" --overwrite --json "$OUT/paradigm2$P2_TAG-pgd20.json" >> "$OUT/log.txt" 2>&1 ;;
    p2aa)
      log "LPM: autoattack on test[5000:$((5000 + N_AA))], the images paradigm 2 is scored on"
      "${NRPM[@]}" eval "${MODEL[@]}" --pm lpm --offset 5000 --limit "$N_AA" --attack autoattack --budgets 8/255 \
          --json "$OUT/autoattack-lpm-test5000.json" >> "$OUT/log.txt" 2>&1
      log "paradigm 2$P2_TAG: autoattack on test[5000:$((5000 + N_AA))]"
      "${NRPM[@]}" eval --model resnet18 --width 8 --weights "$P2_CKPT" --data cifar10 \
          --data-dir "$SHARED/data/cifar10" --no-download --quiet --pm saved --offset 5000 --limit "$N_AA" \
          --attack autoattack --budgets 8/255 --json "$OUT/paradigm2$P2_TAG-autoattack.json" >> "$OUT/log.txt" 2>&1 ;;
    *) echo "unknown stage $stage (pgd, p2, p2aa, aa, adaptive)" >&2; exit 2 ;;
  esac
done
log "done"
