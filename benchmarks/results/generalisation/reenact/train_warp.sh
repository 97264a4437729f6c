#!/bin/bash
# Issue 23 part 8 of the reenactment work (2026-12-05 evening): local blends whose region shows another expression
# (sbi.expression_warp). As train.sh's local0.5-1500 (from 329c3045, 1,500 steps of 32, lr 1e-4, bundle-v5, 15% DFDC
# fakes, half the self-blends local, seed 11) plus --local-warp WARP. Resumable: rerun.
WARP=${WARP:-1.0}; STEPS=${STEPS:-1500}
cd /work/main
export MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=17179869184
tag=warp${WARP}-$STEPS
exec ~/venv/bin/python -m deepcheck.training.kit train ~/deepcheck-data/bundle-v5 ~/deepcheck-runs/reen \
  --tag $tag --steps $STEPS --init ~/deepcheck-runs/reen/init-329c3045.pt --input-size 160 --workers 1 --batch-size 32 \
  --lr 1e-4 --dfdc-fake-share 0.15 --local-blend 0.5 --local-warp $WARP --checkpoint-every 100 --seed 11 >> ~/deepcheck-runs/reen/train-$tag.log 2>&1
