#!/usr/bin/env bash
# The GPU kit's one command: five recipes side by side on one GPU, each for MINUTES.
#   full       real faces with context (1.3x box), dense-landmark self-blends, codec damage, DFDC pairs
#   no-corpus  part 1 off: DFDC only (its reals self-blended instead), tight framing
#   tight      part 4 off: the corpus cut at DFDC's tight framing (0.85x box)
#   five       part 2 off: self-blend masks from MTCNN's five points
#   no-codecs  part 5 off: JPEG only
# SET=shares runs instead how much of the fakes should be DFDC's own (Recipe.dfdc_fake), all else as full:
#   share45 (= full), share15, share05, share00
# SET=scale asks whether the corpus recipe scales with ~30x the CPU budget, and from which start:
#   s45-shipped (the first recipe), s15-shipped (the CPU's best share), and from ImageNet (lr 6e-4):
#   s15-imagenet and s00-imagenet (self-blends only); needs .kit/imagenet-lite0.fp16.pt (kit/README.md)
# SET=capacity asks whether a bigger backbone pays at equal steps (issue 23 part 6), each from ImageNet at
#   lr 6e-4 and 15% DFDC fakes: lite0-160, lite1-240, lite2-260; needs .kit/imagenet-lite{0,1,2}.fp16.pt
#   and a bundle small enough to travel beside them (kit/README.md)
# SET=local asks how much of the self-blends should be local, reenactment-like (Recipe.local, issue 23 part 7),
#   from the shipped weights at 160 px with 15% DFDC fakes: local00 (the control), local25, local50, local75
# INIT=imagenet starts every run from the backbone's ImageNet weights instead of the shipped ones.
# Usage (repo root, bundle in .kit/, see kit/README.md): [SET=shares|scale|capacity|local] bash kit/gpu.sh OUT_DIR [DEVICE]
set -euo pipefail
OUT_DIR=${1:?output folder}
DEVICE=${2:-cuda}
MINUTES=${MINUTES:-7.5}
STEPS_ARG=${STEPS:+--steps $STEPS}
WORKERS=${WORKERS:-3}
BATCH=${BATCH:-128}
INIT=${INIT:-.kit/init.fp16.pt}  # or imagenet (needs the backbone's ImageNet wheel in .kit/)
mkdir -p "$OUT_DIR" /tmp/kit-site
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/kit-site .kit/*.whl
export PYTHONPATH="/tmp/kit-site:$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
command -v nvidia-smi >/dev/null && nvidia-smi -L || true
python3 -c "import torch, cv2, numpy; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'cv2', cv2.__version__, 'numpy', numpy.__version__, 'cpus', __import__('os').cpu_count())"
LOGS=$(mktemp -d)
run() {
  local tag=$1; shift
  python3 -m deepcheck.training.kit train .kit/bundle "$LOGS" --device "$DEVICE" --minutes "$MINUTES" $STEPS_ARG \
    --workers "$WORKERS" --batch-size "$BATCH" --init "$INIT" --tag "$tag" "$@" > "$LOGS/$tag.log" 2>&1 &
}
case ${SET:-ablation} in
  ablation)
    run full
    run no-corpus --no-corpus
    run tight --corpus-view tight
    run five --mask five
    run no-codecs --no-codecs
    ;;
  shares)
    for share in 45 15 05 00; do run "share$share" --dfdc-fake-share "0.$share"; done
    ;;
  scale)  # a later --init overrides INIT
    run s45-shipped
    run s15-shipped --dfdc-fake-share 0.15
    run s15-imagenet --dfdc-fake-share 0.15 --init .kit/imagenet-lite0.fp16.pt --lr 6e-4
    run s00-imagenet --dfdc-fake-share 0 --init .kit/imagenet-lite0.fp16.pt --lr 6e-4
    ;;
  capacity)
    for spec in "0 160" "1 240" "2 260"; do
      read -r n px <<< "$spec"
      run "lite$n-$px" --architecture "efficientnet-lite$n" --input-size "$px" \
        --init ".kit/imagenet-lite$n.fp16.pt" --lr 6e-4 --dfdc-fake-share 0.15
    done
    ;;
  local)
    for share in 00 25 50 75; do run "local$share" --dfdc-fake-share 0.15 --local-blend "0.$share" --input-size 160; done
    ;;
  *) echo "unknown SET=$SET (ablation, shares, scale, capacity or local)" >&2; exit 2 ;;
esac
wait || true
tail -n 3 "$LOGS"/*.log
mv "$LOGS"/*.fp16.pt "$OUT_DIR"/ 2>/dev/null || true
tar -C "$LOGS" -czf "$OUT_DIR/runs.tar.gz" --exclude='*.fp16.pt' .
ls -la "$OUT_DIR"
