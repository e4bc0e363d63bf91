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
#   --data-tag NAME    name of data/ and dump/ folders (default: the config name);
#                      give one per corpus when running one config on several corpora
#   --exp DIR          experiments root (default exp): each experiment YAML trains, decodes
#                      and scores in DIR/<yaml name>[_<data tag>]
#   --baseline BOOL    also run conf/<config name>_noskip.yaml, the paper's no-skip baseline
#                      (default true)
#   --seed N           trainer.seed of the trainings (default 0); a seed other than 0
#                      adds _s<N> to every experiment folder (same data, same split)
#   --overwrite        redo finished steps (default false)
#
# Stages: 0 corpus, 1 prepare + split, 2 stems at 8192 Hz, 3 train, 4 separate the test
# set (exp/<experiment>/decode/test/hyp), 5 score (exp/<experiment>/scores/test.json:
# BSS Eval v3 GNSDR and museval BSSv4 medians; per-clip TSV; box plots), 9 pack the U-Net.
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
seed=0
overwrite=false
. ../../tools/recipe_lib.sh
parse_options "$@"
recipe_setup
require_int seed
[[ -z $corpus || -d $corpus ]] || die "--corpus $corpus is not a directory"
tag=${data_tag:-$(basename "$config" .yaml)}
root=${exp:-exp}
data=data/$tag
dump=dump/$tag
experiments=("$config")
if $baseline; then
  experiments+=("${config%.yaml}_noskip.yaml")
  [[ -f ${experiments[1]} ]] || die "--baseline true needs ${experiments[1]} (the no-skip twin of $config)"
fi
seed_tag=""
[[ $seed != 0 ]] && seed_tag=_s$seed
name_of() { echo "$(basename "$1" .yaml)${data_tag:+_$data_tag}$seed_tag"; }

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

for e in "${experiments[@]}"; do
  dir=$root/$(name_of "$e")
  if stage_on 3; then
    log "stage 3: train $e"
    sptk-cli train --task svs --config "$e" --train "$dump/train" --valid "$data/dev" \
      --exp "$dir" --set "trainer.seed=$seed" "${ow[@]}"
  fi
  if stage_on 4; then
    log "stage 4: separate the test set with $dir, $nj jobs"
    decode_sharded "$dir" "$data/test" "$dir/decode/test"
  fi
  if stage_on 5; then
    log "stage 5: score $dir (BSS Eval v3 and v4), $nj jobs"
    score_sharded "$data/test" "$dir/decode/test/hyp" "$dir/scores/test.json"
    sptk-cli svs clips "$dir/scores/test.json" --out "$dir/scores/test_clips.tsv"
  fi
done

first=$root/$(name_of "$config")
if stage_on 5; then
  plots=()
  for e in "${experiments[@]}"; do
    n=$(name_of "$e")
    plots+=("$n=$root/$n/scores/test.json" "$n-lowrate:lowrate/=$root/$n/scores/test.json")
  done
  sptk-cli svs boxplot "${plots[@]}" --out "$first/scores/test_boxplot.png" --title "$tag test set"
fi

if stage_on 9; then
  log "stage 9: pack the U-Net"
  sptk-cli pack --exp "$first" --out "$first/pack" --scores "$first/scores/test.json" \
    --description "U-Net singing voice separation (two mask U-Nets, vocals and accompaniment) \
trained with $config on ${corpus:-the built-in synthetic song corpus}." "${ow[@]}"
fi
log "done: $first"
