#!/bin/bash
# finish a reen run, tight + flip as shipped, export, generalisation with kept scores (no calibration: AUC only)
set -euo pipefail
cd /work/main
tag=$1
R=~/deepcheck-runs/reen; P=~/venv/bin/python
export MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=17179869184
$P -m deepcheck.training.kit finish $R/$tag.fp16.pt --out $R/$tag
$P - "$R/$tag/deepcheck-lite0.json" <<'PY'
import json, pathlib, sys
w = pathlib.Path(sys.argv[1])
c = json.loads(w.read_text()); c["flip_average"] = True
c["framing"] = {"size_rel_height": 0.85, "shift_y_rel_height": 0.13}
w.write_text(json.dumps(c, indent=2) + "\n")
PY
~/venv/bin/deepcheck export --model $R/$tag/deepcheck-lite0.json
$P benchmarks/generalisation.py --model $R/$tag/deepcheck-lite0.json --tag reen-$tag --out $R/results --keep-scores $R/scores-$tag \
  --note "issue 23 part 7: ${tag} = local-blend (and warp) share and steps of 32 from 329c3045 (lr 1e-4, bundle-v5, 15% DFDC fakes; seed 11, then 12 for steps 1,501-3,000); tight + flip, not calibrated" > $R/gen-$tag.log 2>&1
touch $R/$tag.gendone
