#!/usr/bin/env bash
# Speech enhancement with unsupervised domain adaptation in a large domain gap:
# source model, DANN, RemixIT, DANN+RemixIT, SRST (random / similar source), target
# oracle (Frenkel, Goldberger, Chazan, Interspeech 2023). Every stage is one sptk-cli command.
#
# Usage: ./run.sh [options]
#   --stage N          first stage to run (default 0)
#   --stop-stage N     last stage to run (default 100)
#   --nj N             parallel jobs for decoding and scoring (default 4)
#   --backend B        local | slurm (default local)
#   --corpus PATH      a folder holding source_train source_dev target_train target_dev
#                      target_test data directories (e.g. mixed from LibriSpeech+WHAM! and DNS
#                      pools with 'sptk-cli se corpus --speech ... --source-noise ...')
#                      instead of the built-in corpus of stage 0
#   --config FILE      YAML with every hyperparameter (default conf/demo.yaml)
#   --exp DIR          experiment folder (default exp/<config name>)
#   --steps LIST       stage-3 steps to run, comma-separated (default: all eight)
#   --seed N           trainer.seed of every step (default 0); a seed other than 0
#                      trains into exp/<config name>_s<N> unless --exp is given
#   --dnsmos-model DIR DNSMOS ONNX folder for stage 5 (default $SPTK_DNSMOS_MODEL; skipped if unset)
#   --device D         auto | cpu | cuda (default auto)
#   --overwrite        redo finished steps (default false)
#
# Stages: 0 corpus, 1 validate data dirs, 2 features (none: the model reads waveforms),
# 3 train (sub-steps: source target classifier dann remixit dann_remixit srst_random srst),
# 4 decode the target test set (EXP/<step>/decode/target_test/hyp; also
# target_test_source_lang when the corpus has it), 5 score (PESQ, STOI, SI-SDR per SNR:
# EXP/<step>/scores/<set>.json; DNSMOS: EXP/<step>/scores/<set>_dnsmos.json; the noisy
# input as step 'noisy'; Tables 1 and 2: EXP/table.md), 9 pack the SRST model.
# Seeds: ./run.sh --seed N trains EXP_sN; 'sptk-cli se table --exp EXP --exp EXP_s1 ...'
# gives mean +- sd over them.
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
steps=source,target,classifier,dann,remixit,dann_remixit,srst_random,srst
seed=0
dnsmos_model=${SPTK_DNSMOS_MODEL:-}
device=auto
overwrite=false
. ../../tools/recipe_lib.sh
parse_options "$@"
recipe_setup
require_int seed
tag=$(basename "$config" .yaml)
suffix=""
[[ $seed != 0 ]] && suffix=_s$seed
exp=${exp:-exp/$tag$suffix}
data=${corpus:-corpus/$tag/mix}
IFS=, read -r -a step_list <<< "$steps"
test_sets() {  # target_test, and the source-language test set of Table 2 when mixed
  echo target_test
  [[ ! -f $data/target_test_source_lang/wav.scp ]] || echo target_test_source_lang
}

if stage_on 0; then
  if [[ -z $corpus ]]; then
    log "stage 0: build the source / target corpus (speech and noise pools, mixtures)"
    sptk-cli se corpus --config "$config" --out "corpus/$tag" "${ow[@]}"
  else
    log "stage 0: using the corpus given by --corpus $corpus"
  fi
fi

if stage_on 1; then
  log "stage 1: validate the data directories in $data"
  for set in source_train source_dev target_train target_dev $(test_sets); do
    sptk-cli data validate --task se "$data/$set"
  done
fi

if stage_on 2; then
  log "stage 2: no features to extract (the U-Net computes its STFT)"
fi

if stage_on 3; then
  for step in "${step_list[@]}"; do
    log "stage 3: training step $step"
    sptk-cli se step "$step" --config "$config" --data "$data" --exp "$exp" \
      --set "trainer.seed=$seed" --device "$device" "${ow[@]}"
  done
fi

if stage_on 4; then
  for step in "${step_list[@]}"; do
    [[ $step == classifier ]] && continue  # enhances exactly as the source model (encoder frozen)
    for set in $(test_sets); do
      log "stage 4: enhance $set with $step, $nj jobs"
      decode_sharded "$exp/$step" "$data/$set" "$exp/$step/decode/$set" --device "$device"
    done
  done
fi

if stage_on 5; then
  for step in noisy "${step_list[@]}"; do
    [[ $step == classifier ]] && continue
    for set in $(test_sets); do
      log "stage 5: score $step on $set, $nj jobs"
      hyp=$exp/$step/decode/$set/hyp
      [[ $step == noisy ]] && hyp=$data/$set
      score_sharded "$data/$set" "$hyp" "$exp/$step/scores/$set.json" --task se
      if [[ -n $dnsmos_model ]]; then
        sptk-cli dnsmos "$hyp" --dnsmos-model "$dnsmos_model" \
          --out "$exp/$step/scores/${set}_dnsmos.json"
      fi
    done
  done
  sptk-cli se table --exp "$exp" --out "$exp/table.md"
fi

if stage_on 9; then
  log "stage 9: pack the SRST model"
  sptk-cli pack --exp "$exp/srst" --out "$exp/pack" --scores "$exp/srst/scores/target_test.json" \
    --description "U-Net speech enhancer adapted with SRST (DANN, then self-training with \
the most target-like source items) from English + stationary noises to other languages + \
transient and musical noises ($config)." --card conf/model_card.yaml "${ow[@]}"
fi
log "done: $exp"
