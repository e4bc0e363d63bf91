#!/usr/bin/env bash
# Multi-language multi-speaker LSTM parametric TTS (Li & Zen 2016) on WORLD features,
# with a flat-start HMM forced aligner, single-speaker baselines and adaptation v1..v4.
#
# Usage: ./run.sh [options]
#   --stage N          first stage to run (default 0)
#   --stop-stage N     last stage to run (default 100)
#   --nj N             parallel jobs for sharded stages (default 4)
#   --backend B        local | slurm (default local)
#   --corpus PATH      a speech data dir (wav.scp text utt2spk utt2lang) instead of the
#                      built-in pool of stage 0 (e.g. from toolkit.corpora.arctic/vctk/css10)
#   --config FILE      YAML with every hyperparameter (default conf/demo.yaml)
#   --exp DIR          experiment folder (default exp/<config name>)
#   --overwrite        redo finished steps (default false)
#
# Stages: 0 corpus, 1 splits, 2 labels + WORLD features + alignment, 3 train (MLMS x3 code
# inits, baselines, duration, adaptation v1..v4 + scratch), 4 decode, 5 score + figures,
# 9 pack. Example: ./run.sh --config conf/tiny.yaml --stage 3 --stop-stage 5
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
# Jobs run side by side: one BLAS/OpenMP thread each (torch's default of one per core
# made training 100x slower on a loaded 2-core machine).
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
c=(--config "$config")

# One line per experiment: name, dev set, test set, --set overrides of sptk-cli train.
experiments() {
  echo "mlms_rand dev test"
  echo "mlms_onehot dev test --set model.conf.code_init=onehot"
  echo "mlms_onehot_fixed dev test --set model.conf.code_init=onehot_fixed"
  echo "duration dev test --set experiment.kind=duration"
  sptk-cli -q tts pairs --data "$dump/train" | while read -r l s; do
    echo "base_${l}_$s dev test --set experiment.kind=baseline --set experiment.language=$l" \
      "--set experiment.speaker=$s"
  done
  sptk-cli -q tts pairs --data "$dump/adapt_train" | while read -r l s; do
    local a="--set experiment.language=$l --set experiment.speaker=$s"
    echo "scratch_${l}_$s adapt_dev adapt_test --set experiment.kind=baseline $a"
    # v1 and v2 start from the MLMS model, v3 from v1, v4 from v3
    for v in v1:mlms_rand v2:mlms_rand v3:adapt_v1_${l}_$s v4:adapt_v3_${l}_$s; do
      echo "adapt_${v%%:*}_${l}_$s adapt_dev adapt_test --set experiment.kind=adapt" \
        "--set experiment.variant=${v%%:*} --set experiment.init=$exp/${v#*:} $a"
    done
  done
}

if stage_on 0; then
  if [[ -z $corpus ]]; then
    log "stage 0: speech pool of the configured languages, espeak-ng speech for the aligner test"
    sptk-cli tts corpus "${c[@]}" --out "corpus/$tag" "${ow[@]}"
  else
    log "stage 0: using the corpus given by --corpus $corpus"
  fi
fi
pool=${corpus:-corpus/$tag/pool}

if stage_on 1; then
  log "stage 1: per (language, speaker) splits; little data for the adaptation languages"
  sptk-cli data validate --task tts "$pool"
  sptk-cli tts prepare "${c[@]}" --pool "$pool" --out "$data" "${ow[@]}"
fi

if stage_on 2; then
  log "stage 2: train the aligner (flat start), then labels + WORLD + durations, $nj jobs"
  sptk-cli align "${c[@]}" --data "$data/aligner_train" --out "$dump/align_train" \
    --save-model "$dump/aligner.npz" "${ow[@]}"
  if [[ -z $corpus ]]; then
    sptk-cli align "${c[@]}" --data "corpus/$tag/espeak" --out "$exp/align_espeak" "${ow[@]}"
    sptk-cli align-score --ref "corpus/$tag/espeak" --hyp "$exp/align_espeak" \
      --out "$exp/scores_align_espeak.json"
  fi
  "${run[@]}" JOB=1:"$nj" "$dump/log/features.JOB.log" -- sptk-cli tts features "${c[@]}" \
    --data "$data/aligner_train" --aligner "$dump/aligner.npz" --out "$dump/split$nj/all.JOB" \
    --shard JOB/"$nj" "${ow[@]}"
  sptk-cli data merge "$dump/split$nj"/all.* --out "$dump/all" "${ow[@]}"
  sptk-cli tts split "${c[@]}" --all "$dump/all" --splits "$data" --out "$dump" "${ow[@]}"
  sptk-cli vocoder ceiling "${c[@]}" --data "$data/test" --out "$exp/scores_vocoder_copysynth.json"
fi

if stage_on 3; then
  log "stage 3: train MLMS (3 code inits), baselines, duration model, adaptation v1..v4, scratch"
  experiments | while read -r name _ _ sets_; do
    train=$dump/train; valid=$dump/dev
    [[ $name == scratch_* || $name == adapt_* ]] && { train=$dump/adapt_train; valid=$dump/adapt_dev; }
    # shellcheck disable=SC2086
    sptk-cli train --task tts "${c[@]}" --train "$train" --valid "$valid" --exp "$exp/$name" \
      $sets_ "${ow[@]}" </dev/null
  done
fi

if stage_on 4; then
  log "stage 4: decode dev and test sets with natural durations, $nj jobs"
  experiments | while read -r name dev test _; do
    for s in $dev $test; do
      "${run[@]}" JOB=1:"$nj" "$exp/$name/decode_$s/log/decode.JOB.log" -- sptk-cli decode \
        --model "$exp/$name" --data "$dump/$s" --out "$exp/$name/decode_$s/split$nj/JOB" \
        --shard JOB/"$nj" "${ow[@]}" </dev/null
      sptk-cli data merge "$exp/$name/decode_$s/split$nj"/* --out "$exp/$name/decode_$s/hyp" \
        "${ow[@]}" </dev/null
    done
  done
fi

if stage_on 5; then
  log "stage 5: score (MCD, F0 RMSE, V/UV, dev MSE) and Figures 2 and 3"
  experiments | while read -r name dev test _; do
    for s in $dev $test; do
      sptk-cli score --ref "$dump/$s" --hyp "$exp/$name/decode_$s/hyp" \
        --out "$exp/scores_${s}_$name.json" </dev/null
    done
  done
  sptk-cli tts report --exp "$exp" --out "$exp/RESULTS.md"
fi

if stage_on 9; then
  log "stage 9: pack MLMS and the duration model into one TTS bundle"
  sptk-cli pack --exp "$exp/mlms_rand" --out "$exp/pack/acoustic" \
    --scores "$exp/scores_test_mlms_rand.json" "${ow[@]}" \
    --description "MLMS acoustic model (Li & Zen 2016) trained with $config."
  sptk-cli pack --exp "$exp/duration" --out "$exp/pack/duration" \
    --scores "$exp/scores_test_duration.json" "${ow[@]}" \
    --description "LSTM duration model trained with $config."
  sptk-cli tts bundle --acoustic "$exp/pack/acoustic" --duration "$exp/pack/duration" \
    --out "$exp/bundle" "${ow[@]}"
fi
log "done: $exp"
