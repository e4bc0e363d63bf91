#!/usr/bin/env bash
# Echo cancellation: Align-CRUSE (Indenbom et al., ICASSP 2023) beside CRUSE on unaligned,
# online GCC-PHAT aligned and globally aligned far ends, and a classical NLMS canceller.
#
# Usage: ./run.sh [options]
#   --stage N          first stage to run (default 0)
#   --stop-stage N     last stage to run (default 100)
#   --nj N             parallel jobs for sharded stages (default 4)
#   --backend B        local | slurm (default local)
#   --corpus PATH      an AEC Challenge folder (real *_lpb/*_mic.wav or synthetic/): prepared
#                      in stage 0 and decoded/scored as an extra test set "challenge"
#   --config FILE      the experiment: YAML with every hyperparameter (default conf/demo.yaml);
#                      its `baseline:` adds the CRUSE experiment (model name "" for none)
#   --exp DIR          experiment folder (default exp/<config name>)
#   --overwrite        redo finished steps (default false)
#
# Stages: 0 corpus (pools, online training set, fixed valid/test sets), 1 prepare (validate,
# GCC-PHAT aligned copies of the test sets), 2 features (none: computed on the fly),
# 3 train (Align-CRUSE, CRUSE), 4 decode, 5 score (+ Table 1), 9 pack.
# Layout: $exp/<system>/decode/<test set>/hyp, $exp/<system>/scores/<test set>.json, where
# <system> is align_cruse, cruse or nlms and CRUSE's test sets include <set>_gcc_online and
# <set>_gcc_global (the far end aligned first); AECMOS comes from the speechmos wheel.
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
[[ -z $corpus || -d $corpus ]] || die "--corpus $corpus is not a folder"
tag=$(basename "$config" .yaml)
exp=${exp:-exp/$tag}
data=data/$tag
pools=corpus/$tag
tests=$(sptk-cli -q aec sets --config "$config" --test)
[[ -n $corpus ]] && tests="$tests challenge"
baseline=$(sptk-cli -q aec baseline-config --config "$config" --out "$exp/cruse.yaml")

# sharded WORK DEST CMD...: run CMD ... --shard JOB/nj --out WORK/splitN/JOB as nj jobs (logs in
# WORK/log), merged into the data directory DEST: decode_sharded's idiom for the steps that
# are not `sptk-cli decode` (the GCC-PHAT alignment, the NLMS canceller).
sharded() {
  local work=$1 dest=$2; shift 2
  [[ -f $dest/.done && $overwrite == false ]] && { log "$dest is complete; skipping"; return; }
  "${run[@]}" JOB=1:"$nj" "$work/log/$(basename "$dest").JOB.log" -- "$@" --shard JOB/"$nj" \
    --out "$work/split$nj/JOB" "${ow[@]}"
  sptk-cli data merge "$work/split$nj"/* --out "$dest" --overwrite
}

if stage_on 0; then
  log "stage 0: speech, noise and room pools; online training set; fixed simulated sets"
  sptk-cli aec pools --config "$config" --out "$pools" "${ow[@]}"
  sptk-cli aec online-set --config "$config" --speech "$pools/speech" --noise "$pools/noise" \
    --rir "$pools/rir_train" --out "$data/train" "${ow[@]}"
  for s in $(sptk-cli -q aec sets --config "$config"); do
    sptk-cli aec simulate --config "$config" --set "$s" --speech "$pools/speech" \
      --noise "$pools/noise" --rir "$pools/rir_test" --out "$data/$s" "${ow[@]}"
  done
  if [[ -n $corpus ]]; then
    log "stage 0: AEC Challenge folder $corpus"
    sptk-cli corpus prepare aec_challenge --path "$corpus" --dst "$data/challenge" "${ow[@]}"
  fi
fi

if stage_on 1; then
  log "stage 1: validate; far ends aligned by online and global GCC-PHAT (CRUSE‡, CRUSE‡‡)"
  for s in valid $tests; do
    sptk-cli data validate --task aec "$data/$s"
  done
  if [[ -n $baseline ]]; then
    for s in $tests; do
      for m in gcc_online gcc_global; do
        sharded "$data/.align/${s}_$m" "$data/${s}_$m" sptk-cli aec align --data "$data/$s" \
          --method "$m"
      done
    done
  fi
fi

if stage_on 2; then
  log "stage 2: no stored features (log power spectra are computed on the fly)"
fi

if stage_on 3; then
  log "stage 3: train Align-CRUSE${baseline:+ and the CRUSE baseline}"
  sptk-cli train --task aec --config "$config" --train "$data/train" --valid "$data/valid" \
    --exp "$exp/align_cruse" "${ow[@]}"
  if [[ -n $baseline ]]; then
    sptk-cli train --task aec --config "$exp/cruse.yaml" --train "$data/train" \
      --valid "$data/valid" --exp "$exp/cruse" "${ow[@]}"
  fi
fi

if stage_on 4; then
  log "stage 4: decode every test set with every system, $nj jobs each"
  for s in $tests; do
    decode_sharded "$exp/align_cruse" "$data/$s" "$exp/align_cruse/decode/$s"
    if [[ -n $baseline ]]; then
      decode_sharded "$exp/cruse" "$data/$s" "$exp/cruse/decode/$s"
      for m in gcc_online gcc_global; do
        decode_sharded "$exp/cruse" "$data/${s}_$m" "$exp/cruse/decode/${s}_$m"
      done
    fi
    sharded "$exp/nlms/decode/$s" "$exp/nlms/decode/$s/hyp" sptk-cli aec nlms --data "$data/$s"
  done
fi

if stage_on 5; then
  log "stage 5: score (ERLE, PESQ/STOI/SI-SDR, near end kept, delay error, AECMOS)"
  for hyp in "$exp"/*/decode/*/hyp; do
    dec=$(dirname "$hyp"); s=$(basename "$dec"); sys=$(dirname "$(dirname "$dec")")
    json=$sys/scores/$s.json
    if [[ $overwrite == false && $json -nt $hyp/.done ]]; then
      log "$json is up to date; skipping"; continue
    fi
    score_sharded "$data/${s%_gcc_*}" "$hyp" "$json"
  done
  sptk-cli -q aec table "$exp"/*/scores/*.json --out "$exp/table.md"
fi

if stage_on 9; then
  log "stage 9: pack Align-CRUSE"
  first=${tests%% *}
  sptk-cli pack --exp "$exp/align_cruse" --out "$exp/pack" \
    --scores "$exp/align_cruse/scores/$first.json" \
    --description "Align-CRUSE echo canceller trained on the built-in simulated corpus \
($config): far/near speech from Debian speech pools, simulated rooms, loudspeaker \
nonlinearities, noise, delays up to 1 s." "${ow[@]}"
fi
log "done: $exp"
