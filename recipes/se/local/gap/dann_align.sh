#!/usr/bin/env bash
# Issue 14 item 2: does DANN align the domains? One DANN training from a finished run's
# source model and classifier (EXP_FROM/source, EXP_FROM/classifier), every epoch's
# checkpoint kept, then a fresh domain probe (sptk-cli se probe) on the source model and
# on each kept epoch (every PROBE_EVERY-th, default 1): dev accuracy 0.5 = aligned. A rerun
# with --set steps.dann.trainer.epochs=N extends a finished run and probes again.
# With --set model.conf.domain_layer=tcn the adversary reads the features after the
# temporal convolutions (its classifier starts afresh); the source model is then probed
# at that layer too (PROBE_LAYER, default: the layer named in a --set, else encoder).
# Usage: local/gap/dann_align.sh CONFIG EXP_FROM EXP_OUT [--set key=value ...]
#   local/gap/dann_align.sh conf/gap.yaml exp/gap exp/gap_dann_lr3 \
#     --set steps.dann.optim.lr=1e-3
set -euo pipefail
[[ $# -ge 3 ]] || { echo "usage: $0 CONFIG EXP_FROM EXP_OUT [--set key=value ...]" >&2; exit 2; }
config=$1 from=$2 out=$3
shift 3
data=corpus/$(basename "$config" .yaml)/mix
for s in source classifier; do
  [[ -f $from/$s/.done || -f $from/$s/best.pt ]] || { echo "error: $from/$s is not trained; run ./run.sh --config $config --stage 3 --steps source,classifier" >&2; exit 2; }
done
mkdir -p "$out"
for s in source classifier; do
  [[ -e $out/$s ]] || ln -s "$(realpath "$from/$s")" "$out/$s"
done
sptk-cli se step dann --config "$config" --data "$data" --exp "$out" \
  --set trainer.keep_last=100 "$@"
layer=${PROBE_LAYER:-encoder}
for a in "$@"; do
  if [[ $a == model.conf.domain_layer=* ]]; then layer=${PROBE_LAYER:-${a#*=}}; fi
done
args=(--model "$from/source" --layer "$layer")
every=${PROBE_EVERY:-1}
while read -r ck; do
  n=${ck##*epoch-}; n=${n%.pt}
  (( n % every == 0 )) && args+=(--model "$ck")
done < <(ls "$out"/dann/ckpt/epoch-*.pt | sort -V)
sptk-cli se probe --data "$data" --out "$out/probe.json" "${args[@]}"
