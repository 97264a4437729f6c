#!/bin/bash
# Issue 23 part 7, does the local-blend gain grow with steps? Each 1,500-step run continued 1,500 more (seed 12:
# fresh draws; lr 1e-4 with a new warmup and cosine). LOCAL=0.5 (from local0.5-1500) or LOCAL=0 (the control).
LOCAL=${LOCAL:-0.5}
cd "$(dirname "$0")/../../../.."  # the repository root
export MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=17179869184
exec ~/venv/bin/python -m deepcheck.training.kit train ~/deepcheck-data/bundle-v5 ~/deepcheck-runs/reen \
  --tag local${LOCAL}-3000 --steps 1500 --init ~/deepcheck-runs/reen/local${LOCAL}-1500.fp16.pt --input-size 160 --workers 1 \
  --batch-size 32 --lr 1e-4 --dfdc-fake-share 0.15 --local-blend $LOCAL --checkpoint-every 100 --seed 12 \
  >> ~/deepcheck-runs/reen/train-local${LOCAL}-3000.log 2>&1
