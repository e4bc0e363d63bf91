#!/usr/bin/env bash
# Train, score and pack the default separation model (CONFIG, default
# conf/default_mir1k_aug.yaml): the built-in synthetic songs plus MIR-1K's singer amy;
# scored on MIR-1K's abjones (an unseen singer: data/mir1k_dev/test) and on the synthetic
# test songs (data/default/test). Layout: exp/<config name>/ holds the training,
# decode/<test set>/hyp, scores/<test set>.json and pack/ (copy it to toolkit/assets/svs to
# ship it). Rerunning the same command resumes an interrupted training from its last.pt.
# Usage: local/train_default.sh [--revoice COPIES] [--revoice-wide COPIES] MIR1K_DIR [CONFIG]
#          [NJ] [EXTRA...]
#   (MIR-1K or ../../../shared/data/mir1k_train: the Wavfile/ layout or its train+dev split)
#   EXTRA: configs of more synthetic songs (e.g. conf/songs_extra.yaml conf/songs_extra2.yaml)
#   whose training parts join the training set (keys prefixed with <config name>-); dev and
#   test are unchanged.
#   --revoice COPIES: amy's training clips also join COPIES times revoiced (`sptk-cli svs
#   revoice`: another pitch and formant scale, seed 0), and validation adds amy's dev clips
#   revoiced once (seed 1): data/default_mir1k_rv/dev.
#   --revoice-wide COPIES: COPIES more revoiced versions over a wider range of voices (F0
#   -12..+2 semitones, formant scale 0.80..1.05, seed 2; keys prefixed rvw-); validation as
#   with --revoice.
set -euo pipefail
cd "$(dirname "$0")/.."
. ../../tools/recipe_lib.sh
revoice=0
wide=0
while [[ ${1:-} == --revoice || ${1:-} == --revoice-wide ]]; do
  opt=$1; n=${2:-}; shift 2 || die "$opt needs the number of copies"
  [[ $n =~ ^[1-9][0-9]*$ ]] || die "$opt $n: give the number of copies (1 or more)"
  if [[ $opt == --revoice ]]; then revoice=$n; else wide=$n; fi
done
mir1k=${1:-}
config=${2:-conf/default_mir1k_aug.yaml}
nj=${3:-2}
extras=("${@:4}")
[[ -n $mir1k && -d $mir1k ]] || die "give the MIR-1K directory: local/train_default.sh MIR1K_DIR"
[[ -f $config ]] || die "config $config does not exist"
for extra in "${extras[@]}"; do
  [[ -f $extra ]] || die "extra songs config $extra does not exist"
done
exp=exp/$(basename "$config" .yaml)
ow=()
run=(sptk-cli run)

./run.sh --config conf/default.yaml --baseline false --stop-stage 2 --nj "$nj"
./run.sh --config conf/mir1k_dev.yaml --corpus "$mir1k" --baseline false --stop-stage 2 --nj "$nj"
log "combine the synthetic songs and MIR-1K (amy) for training, their dev sets for validation"
train=dump/default_mir1k/train
[[ -d $train ]] || sptk-cli data combine --common dump/default/train \
  dump/mir1k_dev/train -o "$train"
tags=""
for extra in "${extras[@]}"; do
  xtag=$(basename "$extra" .yaml)
  ./run.sh --config "$extra" --baseline false --stop-stage 2 --nj "$nj"
  # its keys become <xtag>-<key>, apart from the default songs and the other extras
  [[ -d dump/$xtag/$xtag ]] || sptk-cli data combine --prefix-name "$xtag" "dump/$xtag/train" \
    -o "dump/$xtag/$xtag"
  tags+=_$xtag
  [[ -d dump/default_mir1k$tags/train ]] || sptk-cli data combine --common "$train" \
    "dump/$xtag/$xtag" -o "dump/default_mir1k$tags/train"
  train=dump/default_mir1k$tags/train
done
[[ -d data/default_mir1k/dev ]] || sptk-cli data combine --common data/default/dev \
  data/mir1k_dev/dev -o data/default_mir1k/dev
valid=data/default_mir1k/dev
if (( revoice > 0 )); then
  log "amy's clips revoiced: $revoice copies for training, one of the dev clips for validation"
  rv=data/mir1k_dev_rv$revoice
  sptk-cli svs revoice --data data/mir1k_dev/train --out "$rv/train" --copies "$revoice" --seed 0
  [[ -f dump/${rv#data/}/train/.done ]] || sptk-cli svs dump --config "$config" \
    --data "$rv/train" --out "dump/${rv#data/}/train"
  [[ -d ${train%/train}_rv$revoice/train ]] || sptk-cli data combine --common "$train" \
    "dump/${rv#data/}/train" -o "${train%/train}_rv$revoice/train"
  train=${train%/train}_rv$revoice/train
fi
if (( wide > 0 )); then
  log "amy's clips revoiced over a wider range of voices: $wide more copies for training"
  rv=data/mir1k_dev_rvw$wide
  sptk-cli svs revoice --data data/mir1k_dev/train --out "$rv/train" --copies "$wide" --seed 2 \
    --semitones=-12:2 --formant 0.8:1.05
  [[ -f dump/${rv#data/}/train/.done ]] || sptk-cli svs dump --config "$config" \
    --data "$rv/train" --out "dump/${rv#data/}/train"
  # keys <key>-rv<copy> as --revoice's: prefixed rvw- to stay apart from them
  [[ -d dump/${rv#data/}/rvw ]] || sptk-cli data combine --prefix-name rvw \
    "dump/${rv#data/}/train" -o "dump/${rv#data/}/rvw"
  [[ -d ${train%/train}_rvw$wide/train ]] || sptk-cli data combine --common "$train" \
    "dump/${rv#data/}/rvw" -o "${train%/train}_rvw$wide/train"
  train=${train%/train}_rvw$wide/train
fi
if (( revoice > 0 || wide > 0 )); then
  sptk-cli svs revoice --data data/mir1k_dev/dev --out data/mir1k_dev_rv/dev --seed 1
  valid=data/default_mir1k_rv/dev
  [[ -d $valid ]] || sptk-cli data combine --common data/default_mir1k/dev \
    data/mir1k_dev_rv/dev -o "$valid"
fi
sptk-cli train --task svs --config "$config" --train "$train" --valid "$valid" --exp "$exp"
scores=()
for test in mir1k_dev default; do
  log "separate and score data/$test/test, $nj jobs"
  decode_sharded "$exp" "data/$test/test" "$exp/decode/$test"
  score_sharded "data/$test/test" "$exp/decode/$test/hyp" "$exp/scores/$test.json"
  scores+=(--scores "$exp/scores/$test.json")
done
revoiced=""
(( revoice > 0 )) && revoiced=" (and her clips revoiced $revoice times)"
(( wide > 0 )) && revoiced+=" (and $wide times over a wider range of voices)"
sptk-cli pack --exp "$exp" --out "$exp/pack" "${scores[@]}" --card conf/model_card.yaml --description \
  "U-Net singing voice separation (two mask U-Nets, vocals and accompaniment) trained with \
$config on the built-in synthetic songs${extras[*]:+ (and those of ${extras[*]})} and MIR-1K's singer amy\
$revoiced (MIR-1K: research use only)."
log "done: $exp/pack"
