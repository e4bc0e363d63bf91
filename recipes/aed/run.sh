#!/usr/bin/env bash
# Audio event classification: DATAR (deformable audio transformer) against AST.
#
# Usage: ./run.sh [options]
#   --stage N          first stage to run (default 0)
#   --stop-stage N     last stage to run (default 100)
#   --nj N             parallel jobs for sharded stages (default 4)
#   --backend B        local | slurm (default local)
#   --corpus PATH      a corpus on disk (ESC-50, ESC-10 release, folder per class, a data dir
#                      with label, or a csv; see toolkit/corpora/external/aed_layouts.py) instead of
#                      building the built-in 16-class corpus in stage 0
#   --config FILE      the experiment: a YAML with every hyperparameter (default
#                      conf/demo.yaml); a fine-tuning experiment names its pretrained
#                      experiment in data.init_from (run that one's stage 3 first)
#   --data-tag T       name of data/ and dump/ folders (default: the config's name); configs
#                      sharing a tag share their data and features
#   --exp DIR          experiment folder (default exp/<config name>, exp/<config name>_seed<N>
#                      with --seed)
#   --seed N           replicate N of the experiment (trainer.seed; default: the config's);
#                      with --test-fold, the values run.sh passes, as they are no hyperparameters
#   --test-fold F      cross-validation: test on fold F, train on every other fold of the
#                      corpus (instead of corpus.train_folds / test_folds); data and dump get
#                      the suffix _fold<F>, the experiment exp/<config name>_fold<F>[_seed<N>]
#   --overwrite        redo finished steps (default false)
#
# Stages: 0 corpus, 1 prepare data dirs, 2 features, 3 train, 4 decode, 5 score, 9 pack.
# Outputs: exp/<experiment>/decode/test/hyp, exp/<experiment>/scores/test.json (and
# test_confusion.png), exp/<experiment>/macs.json, exp/<experiment>/pack.
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
data_tag=""
exp=""
seed=""
test_fold=""
overwrite=false
. ../../tools/recipe_lib.sh
parse_options "$@"
recipe_setup
tag=$(basename "$config" .yaml)
data_tag=${data_tag:-$tag}
corpus_tag=$data_tag  # the built-in corpus is one for every fold
foldset=()
if [[ -n $test_fold ]]; then
  require_int test_fold
  foldset=(--test-fold "$test_fold")
  data_tag=${data_tag}_fold$test_fold
  tag=${tag}_fold$test_fold
fi
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
    sptk-cli aed corpus --config "$config" --out "corpus/$corpus_tag" "${ow[@]}"
  else
    log "stage 0: using the corpus given by --corpus $corpus"
  fi
fi

if stage_on 1; then
  log "stage 1: data directories by fold (corpus.train_folds / corpus.test_folds)"
  sptk-cli aed prepare "${corpus:-corpus/$corpus_tag}" --config "$config" --out-dir "$data" \
    "${foldset[@]}" "${ow[@]}"
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
  log "stage 3: train $config"
  sptk-cli train --task aed --config "$config" --train "$dump/train" \
    --exp "$exp" "${seedset[@]}" "${ow[@]}"
fi

if stage_on 4; then
  log "stage 4: classify the test set, $nj jobs"
  decode_sharded "$exp" "$dump/test" "$exp/decode/test"
fi

if stage_on 5; then
  log "stage 5: score (top-1/top-5, per class, confusion matrix), $nj jobs"
  score_sharded "$data/test" "$exp/decode/test/hyp" "$exp/scores/test.json"
  sptk-cli aed plot-confusion "$exp/scores/test.json" --out "$exp/scores/test_confusion.png" \
    --title "$tag: test folds"
  sptk-cli aed macs --config "$config" > "$exp/macs.json"
fi

if stage_on 9; then
  log "stage 9: pack the model"
  sptk-cli pack --exp "$exp" --out "$exp/pack" --scores "$exp/scores/test.json" \
    --description "Audio event classifier ($config) trained on ${corpus:-the built-in corpus} \
(train folds of corpus.train_folds; scores on corpus.test_folds)." "${ow[@]}"
fi
log "done: $exp"
