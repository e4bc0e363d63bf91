#!/usr/bin/env bash
# Audio event classification: DATAR (deformable audio transformer) against AST.
#
# Usage: ./run.sh [options]
#   --stage N          first stage to run (default 0)
#   --stop-stage N     last stage to run (default 100)
#   --nj N             parallel jobs for sharded stages (default 4)
#   --backend B        local | slurm (default local)
#   --corpus PATH      a corpus on disk (ESC-50, ESC-10 release, folder per class, a data dir
#                      with label, or a csv; see toolkit/corpora/aed_layouts.py) instead of
#                      building the built-in 16-class corpus in stage 0
#   --config FILE      YAML with every hyperparameter (default conf/demo.yaml)
#   --pretrain FILE    a pretraining config: stage 3 first runs masked-spectrogram-patch
#                      pretraining on the training audio, then fine-tunes from it
#   --data-tag T       name of data/ and dump/ folders (default: the config's name); configs
#                      sharing a tag share their data and features
#   --exp DIR          experiment folder (default exp/<config name>, exp/<config name>_seed<N>
#                      with --seed)
#   --seed N           training seed (trainer.seed; default: the config's)
#   --overwrite        redo finished steps (default false)
#
# Stages: 0 corpus, 1 prepare data dirs, 2 features, 3 train, 4 decode, 5 score, 9 pack.
# Example: ./run.sh --config conf/tiny.yaml
#          ./run.sh --corpus ../../../shared/data/esc10 --config conf/esc10/datar.yaml \
#              --data-tag esc10
set -euo pipefail
cd "$(dirname "$0")"

stage=0
stop_stage=100
nj=4
backend=local
corpus=""
config=conf/demo.yaml
pretrain=""
data_tag=""
exp=""
seed=""
overwrite=false
. ../../tools/recipe_lib.sh
parse_options "$@"
recipe_setup
[[ -z $pretrain || -f $pretrain ]] || die "pretraining config $pretrain does not exist"
tag=$(basename "$config" .yaml)
data_tag=${data_tag:-$tag}
seedset=()
if [[ -n $seed ]]; then
  require_int seed
  seedset=(--set "trainer.seed=$seed")
  exp=${exp:-exp/${tag}_seed$seed}
fi
exp=${exp:-exp/$tag}
data=data/$data_tag
dump=dump/$data_tag

if stage_on 0; then
  if [[ -z $corpus ]]; then
    log "stage 0: build the built-in sound event corpus"
    sptk-cli aed corpus --config "$config" --out "corpus/$data_tag" "${ow[@]}"
  else
    log "stage 0: using the corpus given by --corpus $corpus"
  fi
fi

if stage_on 1; then
  log "stage 1: data directories by fold (corpus.train_folds / corpus.test_folds)"
  sptk-cli aed prepare "${corpus:-corpus/$data_tag}" --config "$config" --out-dir "$data" \
    "${ow[@]}"
  sptk-cli data validate --task aed "$data/train"
fi

if stage_on 2; then
  for part in train test; do
    log "stage 2: Kaldi fbank of $part, $nj jobs"
    "${run[@]}" JOB=1:"$nj" "$dump/log/feats_$part.JOB.log" -- \
      sptk-cli features extract --config "$config" --data "$data/$part" \
      --out "$dump/split$nj/$part.JOB" --shard JOB/"$nj" "${ow[@]}"
    sptk-cli data merge "$dump/split$nj/$part".* --out "$dump/$part" "${ow[@]}"
  done
fi

if stage_on 3; then
  init=()
  if [[ -n $pretrain ]]; then
    ptag=$(basename "$pretrain" .yaml)
    log "stage 3: masked-spectrogram-patch pretraining ($pretrain) on the training audio"
    sptk-cli train --task aed --config "$pretrain" --train "$dump/train" --exp "exp/$ptag" \
      "${ow[@]}"
    init=(--set "data.init_from=exp/$ptag")
  fi
  log "stage 3: train"
  sptk-cli train --task aed --config "$config" --train "$dump/train" --valid "$dump/test" \
    --exp "$exp" "${init[@]}" "${seedset[@]}" "${ow[@]}"
fi

if stage_on 4; then
  log "stage 4: classify the test set, $nj jobs"
  "${run[@]}" JOB=1:"$nj" "$exp/decode_test/log/decode.JOB.log" -- \
    sptk-cli decode --model "$exp" --data "$dump/test" \
    --out "$exp/decode_test/split$nj/JOB" --shard JOB/"$nj" "${ow[@]}"
  sptk-cli data merge "$exp/decode_test/split$nj"/* --out "$exp/decode_test/hyp" "${ow[@]}"
fi

if stage_on 5; then
  log "stage 5: score (top-1/top-5, per class, confusion matrix), $nj jobs"
  "${run[@]}" JOB=1:"$nj" "$exp/score_test/log/score.JOB.log" -- \
    sptk-cli score --ref "$data/test" --hyp "$exp/decode_test/hyp" \
    --out "$exp/score_test/part.JOB.json" --shard JOB/"$nj"
  sptk-cli score-merge "$exp"/score_test/part.*.json --out "$exp/scores_test.json"
  sptk-cli aed plot-confusion "$exp/scores_test.json" --out "$exp/confusion_test.png" \
    --title "$tag: test folds"
  sptk-cli aed macs --config "$config" > "$exp/macs.json"
fi

if stage_on 9; then
  log "stage 9: pack the model"
  sptk-cli pack --exp "$exp" --out "$exp/pack" --scores "$exp/scores_test.json" \
    --description "Audio event classifier ($config) trained on ${corpus:-the built-in corpus} \
(train folds of corpus.train_folds; scores on corpus.test_folds)." "${ow[@]}"
fi
log "done: $exp"
