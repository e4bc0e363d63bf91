#!/usr/bin/env bash
# make demo: run every recipe on its built-in corpus with its demo config and
# print one table of their test-set scores. A recipe joins the demo by having
# conf/demo.yaml and writing exp/demo/scores_*.json in its stage 5.
# RECIPES="svs aed" make demo runs only those recipes.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/recipe_lib.sh
scores=()
failed=()
if [[ -n ${RECIPES:-} ]]; then
  list=()
  for r in $RECIPES; do
    [[ -x recipes/$r/run.sh ]] || { echo "error: RECIPES names '$r', which has no recipes/$r/run.sh" >&2; exit 2; }
    list+=("recipes/$r/")
  done
else
  list=(recipes/*/)
fi
for recipe in "${list[@]}"; do
  recipe=${recipe%/}
  [[ -x $recipe/run.sh && -f $recipe/conf/demo.yaml ]] || continue
  log "demo: $recipe"
  start=$SECONDS
  if "$recipe/run.sh" --config conf/demo.yaml --stop-stage 5; then
    log "demo: $recipe finished in $((SECONDS - start)) s"
    for f in "$recipe"/exp/demo/scores_*.json; do [[ -f $f ]] && scores+=("$f"); done
  else
    failed+=("$recipe")
    log "demo: $recipe FAILED after $((SECONDS - start)) s"
  fi
done
if ((${#scores[@]})); then
  sptk-cli -q summarize "${scores[@]}"
fi
if ((${#failed[@]})); then
  echo "error: demo failed for: ${failed[*]}" >&2
  exit 1
fi
