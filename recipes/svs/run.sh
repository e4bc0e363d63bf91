#!/usr/bin/env bash
# Singing voice separation with deep U-Nets (Jansson et al., ISMIR 2017) and the
# paper's baseline, the same network without skip connections.
#
# Usage: ./run.sh [options]
#   --stage N          first stage to run (default 0)
#   --stop-stage N     last stage to run (default 100)
#   --nj N             parallel jobs for sharded stages (default 4)
#   --backend B        local | slurm (default local)
#   --corpus PATH      MIR-1K, iKala, MUSDB18 (decoded stems) or a data directory with
#                      wav.scp, vocals.scp, accomp.scp; default: build the synthetic songs
#   --config FILE      YAML with every hyperparameter (default conf/demo.yaml)
#   --data-tag NAME    name of data/, dump/ and exp/ folders (default: the config name);
#                      give one per corpus when running one config on several corpora
#   --exp DIR          experiment folder (default exp/<data tag>)
#   --baseline BOOL    also train, decode and score the no-skip baseline (default true)
#   --overwrite        redo finished steps (default false)
#
# Stages: 0 corpus, 1 prepare + split, 2 stems at 8192 Hz, 3 train, 4 separate the test
# set, 5 score (BSS Eval, box plots), 9 pack the U-Net.
# Example: ./run.sh --config conf/mir1k_dev.yaml --corpus ../../../shared/data/mir1k_train
set -euo pipefail
cd "$(dirname "$0")"

stage=0
stop_stage=100
nj=4
backend=local
corpus=""
config=conf/demo.yaml
exp=""
data_tag=""
baseline=true
overwrite=false
. ../../tools/recipe_lib.sh
parse_options "$@"
recipe_setup
[[ -z $corpus || -d $corpus ]] || die "--corpus $corpus is not a directory"
tag=${data_tag:-$(basename "$config" .yaml)}
exp=${exp:-exp/$tag}
data=data/$tag
dump=dump/$tag
models=(unet_svs); $baseline && models+=(unet_svs_noskip)

if stage_on 0; then
  if [[ -z $corpus ]]; then
    log "stage 0: build the synthetic song corpus (speech pool, FluidSynth songs)"
    sptk-cli svs corpus --config "$config" --out "corpus/$tag" "${ow[@]}"
  else
    log "stage 0: using the corpus given by --corpus $corpus"
  fi
fi

if stage_on 1; then
  log "stage 1: prepare the corpus and split it into train / dev / test"
  sptk-cli svs prepare --config "$config" --src "${corpus:-corpus/$tag/songs}" \
    --out-dir "$data" "${ow[@]}"
  sptk-cli data validate --task svs "$data/all"
fi

if stage_on 2; then
  log "stage 2: training stems at the model's rate, $nj jobs"
  "${run[@]}" JOB=1:"$nj" "$dump/log/dump.JOB.log" -- \
    sptk-cli svs dump --config "$config" --data "$data/train" \
    --out "$dump/split$nj/JOB" --shard JOB/"$nj" "${ow[@]}"
  sptk-cli data merge "$dump"/split"$nj"/* --out "$dump/train" "${ow[@]}"
fi

if stage_on 3; then
  for m in "${models[@]}"; do
    log "stage 3: train $m"
    sptk-cli train --task svs --config "$config" --set model.name="$m" \
      --train "$dump/train" --valid "$data/dev" --exp "$exp/$m" "${ow[@]}"
  done
fi

if stage_on 4; then
  for m in "${models[@]}"; do
    log "stage 4: separate the test set with $m, $nj jobs"
    "${run[@]}" JOB=1:"$nj" "$exp/$m/decode_test/log/decode.JOB.log" -- \
      sptk-cli decode --model "$exp/$m" --data "$data/test" \
      --out "$exp/$m/decode_test/split$nj/JOB" --shard JOB/"$nj" "${ow[@]}"
    sptk-cli data merge "$exp/$m/decode_test/split$nj"/* --out "$exp/$m/decode_test/hyp" "${ow[@]}"
  done
fi

if stage_on 5; then
  plots=()
  for m in "${models[@]}"; do
    log "stage 5: score $m (BSS Eval), $nj jobs"
    "${run[@]}" JOB=1:"$nj" "$exp/$m/score_test/log/score.JOB.log" -- \
      sptk-cli score --ref "$data/test" --hyp "$exp/$m/decode_test/hyp" \
      --out "$exp/$m/score_test/part.JOB.json" --shard JOB/"$nj"
    sptk-cli score-merge "$exp/$m/score_test"/part.*.json --out "$exp/scores_test_$m.json"
    sptk-cli svs clips "$exp/scores_test_$m.json" --out "$exp/clips_test_$m.tsv"
    plots+=("$m=$exp/scores_test_$m.json" "$m-lowrate:lowrate/=$exp/scores_test_$m.json")
  done
  sptk-cli svs boxplot "${plots[@]}" --out "$exp/boxplot_test.png" --title "$tag test set"
fi

if stage_on 9; then
  log "stage 9: pack the U-Net"
  sptk-cli pack --exp "$exp/unet_svs" --out "$exp/pack" --scores "$exp/scores_test_unet_svs.json" \
    --description "U-Net singing voice separation (two mask U-Nets, vocals and accompaniment) \
trained with $config on ${corpus:-the built-in synthetic song corpus}." "${ow[@]}"
fi
log "done: $exp"
