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
#   --config FILE      YAML with every hyperparameter (default conf/demo.yaml)
#   --exp DIR          experiment folder (default exp/<config name>)
#   --aecmos-model P   AECMOS .onnx file or folder: adds echo/other MOS in stage 5
#   --overwrite        redo finished steps (default false)
#
# Stages: 0 corpus (pools, online training set, fixed valid/test sets), 1 prepare (validate,
# GCC-PHAT aligned copies of the test sets), 2 features (none: computed on the fly),
# 3 train (Align-CRUSE, CRUSE), 4 decode, 5 score (+ Table 1), 9 pack.
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
aecmos_model=""
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

# sharded NAME OUT CMD...: run CMD ... --shard JOB/nj --out OUT/split/JOB as nj jobs, merge.
sharded() {
  local name=$1 out=$2; shift 2
  [[ -f $out/.done && $overwrite == false ]] && { log "$out is complete; skipping"; return; }
  "${run[@]}" JOB=1:"$nj" "$out.log/$name.JOB.log" -- "$@" --shard JOB/"$nj" \
    --out "$out.split/JOB" "${ow[@]}"
  sptk-cli data merge "$out.split"/* --out "$out" --overwrite
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
    sptk-cli aec prepare-challenge --src "$corpus" --out "$data/challenge" "${ow[@]}"
  fi
fi

if stage_on 1; then
  log "stage 1: validate; far ends aligned by online and global GCC-PHAT (CRUSE‡, CRUSE‡‡)"
  for s in valid $tests; do
    sptk-cli data validate --task aec "$data/$s"
  done
  for s in $tests; do
    for m in gcc_online gcc_global; do
      sharded align "$data/${s}_$m" sptk-cli aec align --data "$data/$s" --method "$m"
    done
  done
fi

if stage_on 2; then
  log "stage 2: no stored features (log power spectra are computed on the fly)"
fi

if stage_on 3; then
  log "stage 3: train Align-CRUSE and the CRUSE baseline"
  sptk-cli train --task aec --config "$config" --train "$data/train" --valid "$data/valid" \
    --exp "$exp/align_cruse" "${ow[@]}"
  sptk-cli aec baseline-config --config "$config" --out "$exp/cruse.yaml"
  sptk-cli train --task aec --config "$exp/cruse.yaml" --train "$data/train" \
    --valid "$data/valid" --exp "$exp/cruse" "${ow[@]}"
fi

if stage_on 4; then
  log "stage 4: decode every test set with every system, $nj jobs each"
  for s in $tests; do
    dec=$exp/decode
    sharded decode "$dec/align_cruse__$s" sptk-cli decode --model "$exp/align_cruse" \
      --data "$data/$s"
    sharded decode "$dec/cruse_none__$s" sptk-cli decode --model "$exp/cruse" --data "$data/$s"
    for m in gcc_online gcc_global; do
      sharded decode "$dec/cruse_${m}__$s" sptk-cli decode --model "$exp/cruse" \
        --data "$data/${s}_$m"
    done
    sharded nlms "$dec/nlms__$s" sptk-cli aec nlms --data "$data/$s"
  done
fi

if stage_on 5; then
  log "stage 5: score (ERLE, PESQ/STOI/SI-SDR, delay error${aecmos_model:+, AECMOS})"
  mos=(); [[ -n $aecmos_model ]] && mos=(--aecmos-model "$aecmos_model")
  for hyp in "$exp"/decode/*__*; do
    [[ $hyp == *.log || $hyp == *.split ]] && continue
    name=$(basename "$hyp"); s=${name#*__}
    if [[ $overwrite == false && "$exp/scores_$name.json" -nt "$hyp/.done" ]]; then
      log "$exp/scores_$name.json is up to date; skipping"; continue
    fi
    rm -rf "$exp/scores/$name.parts"
    "${run[@]}" JOB=1:"$nj" "$exp/scores/log/$name.JOB.log" -- sptk-cli aec score \
      --ref "$data/$s" --hyp "$hyp" "${mos[@]}" --out "$exp/scores/$name.parts/JOB.json" \
      --shard JOB/"$nj"
    sptk-cli -q score-merge "$exp/scores/$name.parts"/*.json --out "$exp/scores_$name.json"
  done
  sptk-cli -q aec table "$exp"/scores_*__*.json --out "$exp/table.md"
fi

if stage_on 9; then
  log "stage 9: pack Align-CRUSE"
  sptk-cli pack --exp "$exp/align_cruse" --out "$exp/pack" \
    --scores "$exp/scores_align_cruse__test_ldh.json" \
    --description "Align-CRUSE echo canceller trained on the built-in simulated corpus \
($config): far/near speech from Debian speech pools, simulated rooms, loudspeaker \
nonlinearities, noise, delays up to 1 s." "${ow[@]}"
fi
log "done: $exp"
