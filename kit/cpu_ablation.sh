#!/usr/bin/env bash
# The ablation of issue 23 on the CPU: five recipes at the same budget (STEPS x 32 samples, INPUT px),
# each from the shipped weights, then made into a model and measured by benchmarks/generalisation.py.
#   bash kit/cpu_ablation.sh BUNDLE RUNS_DIR [tags...]
set -euo pipefail
BUNDLE=${1:?bundle folder}
RUNS=${2:?runs folder}
shift 2
TAGS=${*:-full no-corpus tight five no-codecs}
STEPS=${STEPS:-300}
INPUT=${INPUT:-160}
INIT=${INIT:-models/deepcheck-lite0.pt}  # the weights every recipe starts from (keep a copy: models/ may change)
export MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=17179869184 PYTHONUNBUFFERED=1
declare -A FLAGS=([full]="" [no-corpus]="--no-corpus" [tight]="--corpus-view tight" [five]="--mask five" [no-codecs]="--no-codecs")
for tag in $TAGS; do
  name="$tag-$INPUT-$STEPS"
  if [ ! -f "$RUNS/$name.fp16.pt" ]; then
    python -m deepcheck.training.kit train "$BUNDLE" "$RUNS" --steps "$STEPS" --batch-size 32 --workers 1 \
      --lr 1.5e-4 --input-size "$INPUT" --init "$INIT" --tag "$name" ${FLAGS[$tag]}
  fi
  if [ ! -f "$RUNS/$name/deepcheck-lite0.onnx" ]; then
    python -m deepcheck.training.kit finish "$RUNS/$name.fp16.pt" --out "$RUNS/$name"
    deepcheck export --model "$RUNS/$name/deepcheck-lite0.json"
  fi
  python benchmarks/generalisation.py --model "$RUNS/$name/deepcheck-lite0.json" --tag "$name" \
    --out "$RUNS/results" --note "issue 23 ablation: $name"
done
