#!/usr/bin/env bash
# Train, score and pack the default separation model (CONFIG, default
# conf/default_mir1k_aug.yaml): the built-in synthetic songs plus MIR-1K's singer amy;
# scored on MIR-1K's abjones (an unseen singer) and on the synthetic test songs. The packed
# bundle is exp/<config name>/pack; copy it to toolkit/assets/svs to ship it.
# Rerunning the same command resumes an interrupted training from its last.pt.
# Usage: local/train_default.sh MIR1K_DIR [CONFIG] [NJ]
#   (MIR-1K or ../../../shared/data/mir1k_train: the Wavfile/ layout or its train+dev split)
set -euo pipefail
cd "$(dirname "$0")/.."
. ../../tools/recipe_lib.sh
mir1k=${1:-}
config=${2:-conf/default_mir1k_aug.yaml}
nj=${3:-2}
[[ -n $mir1k && -d $mir1k ]] || die "give the MIR-1K directory: local/train_default.sh MIR1K_DIR"
[[ -f $config ]] || die "config $config does not exist"
exp=exp/$(basename "$config" .yaml)

./run.sh --config conf/default.yaml --baseline false --stop-stage 2 --nj "$nj"
./run.sh --config conf/mir1k_dev.yaml --corpus "$mir1k" --stop-stage 2 --nj "$nj"
log "combine the synthetic songs and MIR-1K (amy) for training, their dev sets for validation"
[[ -d dump/default_mir1k/train ]] || sptk-cli data combine --common dump/default/train \
  dump/mir1k_dev/train -o dump/default_mir1k/train
[[ -d data/default_mir1k/dev ]] || sptk-cli data combine --common data/default/dev \
  data/mir1k_dev/dev -o data/default_mir1k/dev
sptk-cli train --task svs --config "$config" --train dump/default_mir1k/train \
  --valid data/default_mir1k/dev --exp "$exp/unet_svs"
scores=()
for test in mir1k_dev default; do
  log "separate and score data/$test/test, $nj jobs"
  dec=$exp/unet_svs/decode_$test
  sptk-cli run JOB=1:"$nj" "$dec/log/decode.JOB.log" -- sptk-cli decode --model "$exp/unet_svs" \
    --data "data/$test/test" --out "$dec/split$nj/JOB" --shard JOB/"$nj"
  sptk-cli data merge "$dec/split$nj"/* --out "$dec/hyp"
  sptk-cli run JOB=1:"$nj" "$exp/score_$test/log/score.JOB.log" -- sptk-cli score \
    --ref "data/$test/test" --hyp "$dec/hyp" --out "$exp/score_$test/part.JOB.json" --shard JOB/"$nj"
  sptk-cli score-merge "$exp/score_$test"/part.*.json --out "$exp/scores_test_$test.json"
  scores+=(--scores "$exp/scores_test_$test.json")
done
sptk-cli pack --exp "$exp/unet_svs" --out "$exp/pack" "${scores[@]}" --description \
  "U-Net singing voice separation (two mask U-Nets, vocals and accompaniment) trained with \
$config on the built-in synthetic songs and MIR-1K's singer amy (MIR-1K: research use only)."
log "done: $exp/pack"
