#!/bin/bash
# warp 1.0 then 0.5: train, then eval.sh (finish, export, generalisation with kept scores); resumable
R=~/deepcheck-runs/reen
for w in 1.0 0.5; do
  t=warp$w-1500
  [ -e $R/$t.fp16.pt ] || WARP=$w bash $R/train_warp.sh || exit 1
  [ -e $R/$t.gendone ] || bash $R/eval.sh $t || exit 1
done
