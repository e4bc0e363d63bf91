#!/usr/bin/env bash
# Template recipe: tone / chirp / noise classification on a synthetic corpus.
# Copy this folder to start a recipe; every stage is one sptk-cli command.
#
# Usage: ./run.sh [options]
#   --stage N          first stage to run (default 0)
#   --stop-stage N     last stage to run (default 100)
#   --nj N             parallel jobs for sharded stages (default 4)
#   --backend B        local | slurm (default local)
#   --corpus PATH      a data directory (wav.scp + label) to use instead of building
#                      the synthetic corpus in stage 0
#   --config FILE      the experiment: a YAML with every hyperparameter (default conf/demo.yaml)
#   --exp DIR          experiment folder (default exp/<config name>)
#   --overwrite        redo finished steps (default false)
#
# Stages: 0 corpus, 1 prepare data dirs, 2 features, 3 train, 4 decode, 5 score, 9 pack.
# Outputs: exp/<experiment>/decode/test/hyp, exp/<experiment>/scores/test.json,
# exp/<experiment>/pack (an experiment is a YAML in conf/; no hyperparameter in this script).
# Example: ./run.sh --config conf/tiny.yaml --stage 3 --stop-stage 5
set -euo pipefail
cd "$(dirname "$0")"

stage=0
stop_stage=100
nj=4
backend=local
corpus=""
config=conf/demo.yaml
exp=""
overwrite=false
. ../../tools/recipe_lib.sh
parse_options "$@"
recipe_setup
tag=$(basename "$config" .yaml)
exp=${exp:-exp/$tag}
data=data/$tag
dump=dump/$tag

if stage_on 0; then
  if [[ -z $corpus ]]; then
    log "stage 0: build the synthetic tone corpus"
    sptk-cli corpus tones --config "$config" --out "corpus/$tag" "${ow[@]}"
  else
    log "stage 0: using the corpus given by --corpus $corpus"
  fi
fi

if stage_on 1; then
  log "stage 1: split into train / dev / test data directories"
  src=${corpus:-corpus/$tag}
  sptk-cli data validate --task tone "$src"
  sptk-cli data split "$src" --out-dir "$data" --parts train:0.8,dev:0.1,test:0.1 "${ow[@]}"
fi

if stage_on 2; then
  log "stage 2: log-mel features of the training set, $nj jobs"
  "${run[@]}" JOB=1:"$nj" "$dump/log/feats.JOB.log" -- \
    sptk-cli features extract --config "$config" --data "$data/train" \
    --out "$dump/split$nj/JOB" --shard JOB/"$nj" "${ow[@]}"
  sptk-cli data merge "$dump"/split"$nj"/* --out "$dump/train" "${ow[@]}"
fi

if stage_on 3; then
  log "stage 3: train"
  sptk-cli train --task tone --config "$config" --train "$dump/train" --valid "$data/dev" \
    --exp "$exp" "${ow[@]}"
fi

if stage_on 4; then
  log "stage 4: decode the test set, $nj jobs"
  decode_sharded "$exp" "$data/test" "$exp/decode/test"
fi

if stage_on 5; then
  log "stage 5: score, $nj jobs"
  score_sharded "$data/test" "$exp/decode/test/hyp" "$exp/scores/test.json"
fi

if stage_on 9; then
  log "stage 9: pack the model"
  sptk-cli pack --exp "$exp" --out "$exp/pack" --scores "$exp/scores/test.json" \
    --description "Template tone classifier trained on the synthetic tone corpus ($config)." \
    "${ow[@]}"
fi
log "done: $exp"
