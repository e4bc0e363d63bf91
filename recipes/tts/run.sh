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
#   --config FILE      YAML with every hyperparameter and the experiments: section
#                      (default conf/demo.yaml)
#   --exp DIR          experiment folder (default exp/<config name>)
#   --overwrite        redo finished steps (default false)
#   --acoustic NAME    the experiment that speaks the held-out sentences and is packed
#                      (default mlms_rand)
#   --duration NAME    the duration model beside it (default duration)
#   --only "A B..."    run stages 3-5 for these experiments of the config only (default:
#                      all); an unknown name is an error
#
# Stages: 0 corpus, 1 splits (loudness-normalised, trimmed audio) + held-out sentences,
# 2 labels + WORLD features + alignment, 3 train every experiment of the config
# (EXP/conf/<name>.yaml), 4 decode (natural durations) + speak the held-out sentences,
# 5 score (EXP/<name>/scores/<set>.json) + figures, 9 pack.
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
acoustic=mlms_rand
duration=duration
only=""
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

# "name train dev test fit" per experiment of the config (fit: train, or the closed-form
# reference mean / ridge); EXP/conf/<name>.yaml holds its config.
experiments() {
  local all
  all=$(sptk-cli -q tts experiments "${c[@]}" --dump "$dump" --exp "$exp")
  if [[ -z $only ]]; then echo "$all"; return; fi
  for name in $only; do  # every name checked before any line is printed
    awk -v n="$name" '$1 == n {found = 1} END {exit !found}' <<<"$all" \
      || { log "--only: $name is not an experiment of $config"; exit 2; }
  done
  awk -v only=" $only " 'index(only, " " $1 " ")' <<<"$all"
}

# A finished decode (DIR/hyp/.done) or score file is kept unless --overwrite: a rerun costs
# no process per experiment and set (about 2 CPU-seconds of imports each).
decode_once() {
  if ! $overwrite && [[ -f $3/hyp/.done ]]; then log "skipping decode: $3/hyp is done"; return; fi
  decode_sharded "$@"
}
score_once() {
  if ! $overwrite && [[ -f $3 ]]; then log "skipping score: $3 exists"; return; fi
  score_sharded "$@"
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
  log "stage 1: per (language, speaker) splits (audio trimmed, -23 LUFS), held-out sentences"
  sptk-cli data validate --task tts "$pool"
  sptk-cli tts prepare "${c[@]}" --pool "$pool" --out "$data" "${ow[@]}"
  sptk-cli tts heldout "${c[@]}" --out "$data/heldout" "${ow[@]}"
fi

if stage_on 2; then
  log "stage 2: train the aligner (flat start), then labels + WORLD + durations, $nj jobs"
  sptk-cli align "${c[@]}" --data "$data/aligner_train" --out "$dump/align_train" \
    --save-model "$dump/aligner.npz" "${ow[@]}"
  if [[ -z $corpus ]]; then
    sptk-cli align "${c[@]}" --data "corpus/$tag/espeak" --out "$exp/align/espeak" "${ow[@]}"
    sptk-cli align-score --ref "corpus/$tag/espeak" --hyp "$exp/align/espeak" \
      --out "$exp/align/scores/espeak.json"
  fi
  "${run[@]}" JOB=1:"$nj" "$dump/log/features.JOB.log" -- sptk-cli tts features "${c[@]}" \
    --data "$data/aligner_train" --aligner "$dump/aligner.npz" --out "$dump/split$nj/all.JOB" \
    --shard JOB/"$nj" "${ow[@]}"
  sptk-cli data merge "$dump/split$nj"/all.* --out "$dump/all" "${ow[@]}"
  sptk-cli tts split "${c[@]}" --all "$dump/all" --splits "$data" --out "$dump" "${ow[@]}"
  sptk-cli vocoder ceiling "${c[@]}" --data "$data/test" --out "$exp/vocoder/scores/test.json"
fi

if stage_on 3; then
  log "stage 3: train every experiment of $config (MLMS, baselines, duration, adaptation)"
  experiments | while read -r name train dev _ fit; do
    if [[ $fit == train ]]; then
      sptk-cli train --task tts --config "$exp/conf/$name.yaml" --train "$dump/$train" \
        --valid "$dump/$dev" --exp "$exp/$name" "${ow[@]}" </dev/null
    else  # a closed-form reference row (constant speaker mean, ridge regression)
      sptk-cli tts reference --kind "$fit" --config "$exp/conf/$name.yaml" \
        --train "$dump/$train" --exp "$exp/$name" "${ow[@]}" </dev/null
    fi
  done
fi

# whether the config trains $acoustic or $duration (the held-out sentences' voice); a config
# with neither (e.g. conf/adapt_sizes.yaml) has no held-out synthesis
speaks_heldout() { experiments | awk '{print $1}' | grep -x -e "$acoustic" -e "$duration" >/dev/null; }

if stage_on 4; then
  log "stage 4: decode dev and test sets with natural durations ($nj jobs), held-out text"
  experiments | while read -r name _ dev test _; do
    for s in $dev $test; do
      decode_once "$exp/$name" "$dump/$s" "$exp/$name/decode/$s" </dev/null
    done
  done
  if speaks_heldout; then
    sptk-cli tts synthesize-set --acoustic "$exp/$acoustic" --duration "$exp/$duration" \
      --data "$data/heldout" --out "$exp/$acoustic/decode/heldout/hyp" "${ow[@]}"
  else  # a config without these experiments (e.g. conf/adapt_sizes.yaml), or --only
    log "$acoustic and $duration are not among the experiments run: held-out sentences not synthesised"
  fi
fi

if stage_on 5; then
  log "stage 5: score (MCD over speech frames, F0 RMSE, V/UV, dev MSE; ASR WER), figures"
  experiments | while read -r name _ dev test _; do
    for s in $dev $test; do
      score_once "$dump/$s" "$exp/$name/decode/$s/hyp" "$exp/$name/scores/$s.json" </dev/null
    done
  done
  if speaks_heldout; then
    score_once "$data/heldout" "$exp/$acoustic/decode/heldout/hyp" \
      "$exp/$acoustic/scores/heldout.json"
  fi
  sptk-cli tts report --exp "$exp" --out "$exp/RESULTS.md"
fi

if stage_on 9; then
  log "stage 9: pack $acoustic and $duration (+ adapted languages) into one TTS bundle"
  # an adaptation language ships when both its v1 acoustic run (adapt_v1_<pair>, from
  # $acoustic) and its duration run (dadapt_<pair>, from $duration) exist: merged exactly
  a_runs=() d_runs=()
  for d in "$exp"/adapt_v1_*/; do
    pair=$(basename "$d"); pair=${pair#adapt_v1_}
    if [[ -f $d/best.pt && -f $exp/dadapt_$pair/best.pt ]]; then
      a_runs+=(--adapted "$exp/adapt_v1_$pair") d_runs+=(--adapted "$exp/dadapt_$pair")
    fi
  done
  voices=(--train-data "$dump/train")
  if (( ${#a_runs[@]} )); then
    voices+=(--train-data "$dump/adapt_train")
    sptk-cli tts merge --base "$exp/$acoustic" "${a_runs[@]}" --out "$exp/merged/acoustic" "${ow[@]}"
    sptk-cli tts merge --base "$exp/$duration" "${d_runs[@]}" --out "$exp/merged/duration" "${ow[@]}"
    acoustic_dir=$exp/merged/acoustic duration_dir=$exp/merged/duration
  else
    acoustic_dir=$exp/$acoustic duration_dir=$exp/$duration
  fi
  sptk-cli pack --exp "$acoustic_dir" --out "$exp/pack/acoustic" \
    --scores "$exp/$acoustic/scores/test.json" "${ow[@]}" \
    --description "MLMS acoustic model (Li & Zen 2016) trained with $config." \
    --card conf/model_card.yaml
  sptk-cli pack --exp "$duration_dir" --out "$exp/pack/duration" \
    --scores "$exp/$duration/scores/test.json" "${ow[@]}" \
    --description "LSTM duration model trained with $config." --card conf/model_card.yaml
  sptk-cli tts bundle --acoustic "$exp/pack/acoustic" --duration "$exp/pack/duration" \
    "${voices[@]}" --out "$exp/bundle" "${ow[@]}"
fi
log "done: $exp"
