#!/usr/bin/env bash
# make demo: run every recipe on its built-in corpus with its demo config and
# end with a summary that fits an 80-column terminal: per recipe a few headline
# test-set metrics and where the full results are ('sptk-cli summarize --brief').
# A recipe joins the demo by having conf/demo.yaml and writing
# exp/demo[_<variant>]/.../scores/<test set>.json in its stage 5.
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
times=()
for recipe in "${list[@]}"; do
  recipe=${recipe%/}
  [[ -x $recipe/run.sh && -f $recipe/conf/demo.yaml ]] || continue
  log "demo: $recipe"
  start=$SECONDS
  if "$recipe/run.sh" --config conf/demo.yaml --stop-stage 5; then
    log "demo: $recipe finished in $((SECONDS - start)) s"
    times+=("${recipe#recipes/} $((SECONDS - start)) s")
    while IFS= read -r f; do scores+=("$f"); done < <(
      find "$recipe/exp" \( -path "$recipe/exp/demo/*" -o -path "$recipe/exp/demo_*" \) \
        -path '*/scores/*.json' -not -path '*.parts*' 2>/dev/null | sort)
  else
    failed+=("$recipe")
    times+=("${recipe#recipes/} FAILED after $((SECONDS - start)) s")
    log "demo: $recipe FAILED after $((SECONDS - start)) s"
  fi
done
echo
echo "== make demo: summary (demo configs: tiny corpora, minutes of CPU training) =="
echo
if ((${#scores[@]})); then
  sptk-cli -q summarize --brief "${scores[@]}"
fi
echo "wall time per recipe:"
printf '  %s\n' "${times[@]}"
echo "every metric of a recipe: sptk-cli summarize recipes/<task>/exp/demo/**/scores/*.json"
if ((${#failed[@]})); then
  echo "error: demo failed for: ${failed[*]}" >&2
  exit 1
fi
