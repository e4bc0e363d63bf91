#!/usr/bin/env bash
# The RESULTS.md experiments on ESC-10: Table 4 ablations, AST, and pretraining vs from
# scratch. Each row: run.sh stages 3-5 with its config; stages 0-2 (data dirs and fbank)
# are shared through --data-tag esc10.
# Usage: [SEEDS="0 1 2"] [FOLDS="1 2 3"] local/esc10_table4.sh [ESC10_DIR] [CONFIG_NAME...]
# Each row is trained once per seed in SEEDS (default 0 1 2): seed 0 in exp/<row>, seed N in
# exp/<row>_seed<N>. Without FOLDS the split is the config's (train folds 1-2, test fold 3);
# with FOLDS each listed fold is the test fold once and the other folds train
# (exp/<row>_fold<F>[_seed<N>]). local/results_table.py reports means, spreads and paired
# differences. A fine-tuning row names its pretrained experiment in data.init_from
# (exp/pretrain_<model>); that experiment is trained first (its own YAML, stage 3 only) and
# shared across seeds; it is trained on the config's split, so those rows refuse FOLDS.
set -euo pipefail
cd "$(dirname "$0")/.."
esc=${1:-../../../shared/data/esc10}
shift || true
rows=("$@")
((${#rows[@]})) || rows=(datar_nodeform datar_deform datar_gauss datar_laplace datar_adaptor02
                         datar ast datar_wide datar_pretrained ast_pretrained datar_bigmap
                         ast_matched)
folds=(${FOLDS:-""})
common=(--corpus "$esc" --data-tag esc10 --nj 2)
for fold in "${folds[@]}"; do
  f=(); [[ -z $fold ]] || f=(--test-fold "$fold")
  ./run.sh "${common[@]}" "${f[@]}" --config conf/esc10/datar.yaml --stage 0 --stop-stage 2
  for row in "${rows[@]}"; do
    case $row in
      datar_pretrained | ast_pretrained)
        if [[ -n $fold ]]; then
          echo "esc10_table4.sh: $row pretrains on the config's split; leave it out with FOLDS" >&2
          exit 2
        fi
        ./run.sh "${common[@]}" --config "conf/esc10/pretrain_${row%_pretrained}.yaml" \
          --stage 3 --stop-stage 3 ;;
    esac
    for seed in ${SEEDS:-0 1 2}; do
      s=(); ((seed == 0)) || s=(--seed "$seed")
      ./run.sh "${common[@]}" "${f[@]}" --config "conf/esc10/$row.yaml" "${s[@]}" \
        --stage 3 --stop-stage 5
    done
  done
done
