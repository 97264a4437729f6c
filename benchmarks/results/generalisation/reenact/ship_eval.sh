#!/bin/bash
# a shipping candidate: copy, file-level calibration as shipped, generalisation with kept scores, photo audits
set -euo pipefail
cd "$(dirname "$0")/../../../.."  # the repository root
tag=$1
R=~/deepcheck-runs/reen; P=~/venv/bin/python; C=~/deepcheck-data/calibration; D=../shared/data
X=benchmarks/results/real_photos/bundle-v1-aaf-persons.txt
export MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=17179869184
rm -rf $R/$tag-cal && cp -r $R/$tag $R/$tag-cal
~/venv/bin/deepcheck calibrate $D/dfdc-faces/val $D/ffpp-faces --files $C/files-aaf.csv --files $C/files-world.csv --model $R/$tag-cal/deepcheck-lite0.json > $R/cal-$tag.log 2>&1
$P benchmarks/generalisation.py --model $R/$tag-cal/deepcheck-lite0.json --tag reen-$tag-cal --out $R/results --keep-scores $R/scores-$tag-cal \
  --note "issue 23 part 7: ${tag} = local-blend share and steps of 32 from 329c3045 (lr 1e-4, bundle-v5, 15% DFDC fakes; seed 11, then 12 for steps 1,501-3,000); tight + flip, file-calibrated" > $R/gen-$tag-cal.log 2>&1
for p in none half; do
  $P benchmarks/real_photos.py --model $R/$tag-cal/deepcheck-lite0.json --tag reen-$tag --split audit --per-source 0 --exclude $X --process $p --out $R/results > $R/audit-$tag-$p.log 2>&1
done
touch $R/$tag.shipeval
