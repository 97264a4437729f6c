#!/bin/bash
# Copied from ~/deepcheck-runs/reen, where it ran; init-329c3045.pt there is models/deepcheck-lite0.pt as shipped on 2026-12-05.
# Issue 23 part 7 (this session): reenactment-like local self-blends. From the shipped 329c3045, 1,500 steps of 32,
# lr 1e-4, bundle-v5, 15% DFDC fakes, fresh seed 11. LOCAL=0.5: half of the self-blends local; LOCAL=0: the control.
# Resumable: rerun (kit resumes from reen/<tag>.ckpt.pt).
LOCAL=${LOCAL:-0.5}; STEPS=${STEPS:-1500}
cd "$(dirname "$0")/../../../.."  # the repository root
export MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=17179869184
tag=local${LOCAL}-$STEPS
exec ~/venv/bin/python -m deepcheck.training.kit train ~/deepcheck-data/bundle-v5 ~/deepcheck-runs/reen \
  --tag $tag --steps $STEPS --init ~/deepcheck-runs/reen/init-329c3045.pt --input-size 160 --workers 1 --batch-size 32 \
  --lr 1e-4 --dfdc-fake-share 0.15 --local-blend $LOCAL --checkpoint-every 100 --seed 11 >> ~/deepcheck-runs/reen/train-$tag.log 2>&1
