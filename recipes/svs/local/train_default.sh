#!/usr/bin/env bash
# Train, score and pack the default separation model (CONFIG, default
# conf/default_mir1k_aug.yaml): the built-in synthetic songs plus MIR-1K's singer amy;
# scored on MIR-1K's abjones (an unseen singer: data/mir1k_dev/test) and on the synthetic
# test songs (data/default/test). Layout: exp/<config name>/ holds the training,
# decode/<test set>/hyp, scores/<test set>.json and pack/ (copy it to toolkit/assets/svs to
# ship it). Rerunning the same command resumes an interrupted training from its last.pt.
# Usage: local/train_default.sh MIR1K_DIR [CONFIG] [NJ] [EXTRA]
#   (MIR-1K or ../../../shared/data/mir1k_train: the Wavfile/ layout or its train+dev split)
#   EXTRA: a config of more synthetic songs (e.g. conf/songs_extra.yaml) whose training
#   part joins the training set (keys prefixed with train-); dev and test are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
. ../../tools/recipe_lib.sh
mir1k=${1:-}
config=${2:-conf/default_mir1k_aug.yaml}
nj=${3:-2}
extra=${4:-}
[[ -n $mir1k && -d $mir1k ]] || die "give the MIR-1K directory: local/train_default.sh MIR1K_DIR"
[[ -f $config ]] || die "config $config does not exist"
[[ -z $extra || -f $extra ]] || die "extra songs config $extra does not exist"
exp=exp/$(basename "$config" .yaml)
ow=()
run=(sptk-cli run)

./run.sh --config conf/default.yaml --baseline false --stop-stage 2 --nj "$nj"
./run.sh --config conf/mir1k_dev.yaml --corpus "$mir1k" --baseline false --stop-stage 2 --nj "$nj"
log "combine the synthetic songs and MIR-1K (amy) for training, their dev sets for validation"
train=dump/default_mir1k/train
[[ -d $train ]] || sptk-cli data combine --common dump/default/train \
  dump/mir1k_dev/train -o "$train"
if [[ -n $extra ]]; then
  xtag=$(basename "$extra" .yaml)
  ./run.sh --config "$extra" --baseline false --stop-stage 2 --nj "$nj"
  # one input with --prefix: its keys become train-<key>, apart from the default songs
  [[ -d dump/$xtag/$xtag ]] || sptk-cli data combine --prefix "dump/$xtag/train" \
    -o "dump/$xtag/$xtag"
  train=dump/default_mir1k_$xtag/train
  [[ -d $train ]] || sptk-cli data combine --common dump/default_mir1k/train \
    "dump/$xtag/$xtag" -o "$train"
fi
[[ -d data/default_mir1k/dev ]] || sptk-cli data combine --common data/default/dev \
  data/mir1k_dev/dev -o data/default_mir1k/dev
sptk-cli train --task svs --config "$config" --train "$train" \
  --valid data/default_mir1k/dev --exp "$exp"
scores=()
for test in mir1k_dev default; do
  log "separate and score data/$test/test, $nj jobs"
  decode_sharded "$exp" "data/$test/test" "$exp/decode/$test"
  score_sharded "data/$test/test" "$exp/decode/$test/hyp" "$exp/scores/$test.json"
  scores+=(--scores "$exp/scores/$test.json")
done
sptk-cli pack --exp "$exp" --out "$exp/pack" "${scores[@]}" --card conf/model_card.yaml --description \
  "U-Net singing voice separation (two mask U-Nets, vocals and accompaniment) trained with \
$config on the built-in synthetic songs${extra:+ (and those of $extra)} and MIR-1K's singer amy \
(MIR-1K: research use only)."
log "done: $exp/pack"
