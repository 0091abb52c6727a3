#!/usr/bin/env bash
# The sine1d study of Pintea et al. (ICCV 2023, sec. 2.1): reg (vanilla MSE) against reg+cls with
# K = 4 / 16 / 64 / 256 uniform or balanced classes, under the four training samplings.
#
# The benchmark runner keys its records by (dataset, method, seed), so every (sampling, K, classes)
# variant gets its own output folder: OUT/SETTING/SAMPLING/{reg, reg-cls-k<K>-<classes>}.
# Rerunning resumes (finished runs are reused). Then:
#   .venv/bin/python benchmarks/summarize_sine1d.py docs/results/sine1d -o docs/results/sine1d/summary.md
#
# Usage: [SETTING=clean|noisy|ood] [EPOCHS=40] [SEEDS=0,1,2] benchmarks/run_sine1d.sh
set -euo pipefail

DIRKIT=${DIRKIT:-.venv/bin/dirkit}
OUT=${OUT:-docs/results/sine1d}
SETTING=${SETTING:-clean}
EPOCHS=${EPOCHS:-30}  # the paper trains 80 (a 1-6-16-1 MLP); 30 keeps the 108-run grid near 25 min on 1 thread
SEEDS=${SEEDS:-0,1,2}
SAMPLINGS=${SAMPLINGS:-uniform mild moderate severe}
CLASS_COUNTS=${CLASS_COUNTS:-4 16 64 256}

# lambda of eq. 4 and the Adam learning rate per scenario (paper sec. 2.1; dirkit.datasets.SINE1D_RECIPES)
case "$SETTING" in
  clean) LAM=100; LR=1e-3 ;;
  noisy) LAM=1000; LR=1e-2 ;;
  ood) LAM=10000; LR=1e-4 ;;
  *) echo "SETTING must be clean, noisy or ood; got '$SETTING'" >&2; exit 2 ;;
esac

run() {
  echo "+ $*" >&2
  "$@" > /dev/null
}

for sampling in $SAMPLINGS; do
  common=(--dataset sine1d --dataset-arg "setting=$SETTING" --dataset-arg "sampling=$sampling"
          --seeds "$SEEDS" --epochs "$EPOCHS" --lr "$LR" --no-progress)
  run "$DIRKIT" bench "${common[@]}" --methods vanilla --out "$OUT/$SETTING/$sampling/reg"
  for k in $CLASS_COUNTS; do
    for classes in uniform balanced; do
      run "$DIRKIT" bench "${common[@]}" --methods reg-cls --set "reg-cls.n_classes=$k" \
        --set "reg-cls.classes=$classes" --set "reg-cls.lam=$LAM" \
        --out "$OUT/$SETTING/$sampling/reg-cls-k$k-$classes"
    done
  done
done
