# shellcheck shell=bash
# Functions shared by the recipes' run.sh scripts. Source it after declaring
# the options with their defaults:
#
#   stage=0; stop_stage=100; nj=4; backend=local; corpus=""; config=conf/demo.yaml
#   . "$(dirname "$0")/../../tools/recipe_lib.sh"
#   parse_options "$@"
#
# parse_options  --a-b V, --a_b V and --a-b=V all set the variable a_b; an option
#                whose default is true/false is boolean (--flag alone means true,
#                any value but true/false is an error); an unknown option is an
#                error; --help prints the script's header comment. Arguments that
#                are not options are left in the array POSITIONAL.
# log MSG...     prints "ISO-timestamp (script:line) MSG" on stderr.
# stage_on N     true when stage <= N <= stop_stage.
# require_int V...  each named variable must hold a non-negative integer.
# recipe_setup   after parse_options in a run.sh: rejects positional arguments, checks
#                stage/stop_stage/nj and the config file, sets ow (--overwrite or nothing)
#                and run (sptk-cli run --backend $backend).
# decode_sharded MODEL DATA DIR [ARGS...]
#                decodes data directory DATA with MODEL in $nj jobs (see sharded_datadir),
#                merged into the data directory DIR/hyp. ARGS go to every `sptk-cli decode`.
#                The one decode layout of the recipes: DIR = exp/<experiment>/decode/<test set>.
# score_sharded REF HYP JSON [ARGS...]
#                scores HYP against REF in $nj jobs and merges into JSON (see sharded_scores);
#                skipped when JSON is newer than HYP/.done. The one score-file naming of the
#                recipes: exp/<experiment>/scores/<test set>.json.
#
# The sharded decode-then-merge idiom (uses nj, run, ow and overwrite from recipe_setup):
# sharded_datadir OUT CMD...
#                runs "CMD... --shard JOB/$nj --out OUT.split/JOB ${ow[@]}" as $nj jobs (logs
#                OUT.split/log/JOB.log), then 'sptk-cli data merge' of parts 1..$nj into OUT;
#                skipped when OUT/.done exists unless --overwrite.
# sharded_scores OUT CMD...
#                runs "CMD... --shard JOB/$nj --out OUT.parts/JOB.json" as $nj jobs (logs
#                OUT.parts/log/JOB.log), then 'sptk-cli score-merge' of parts 1..$nj into OUT
#                (OUT ends in .json; its parts folder drops the suffix).
#
# It also puts the project's .venv/bin first on PATH, so sptk-cli is found.

_recipe_lib_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -x $_recipe_lib_root/.venv/bin/sptk-cli ]]; then
  PATH=$_recipe_lib_root/.venv/bin:$PATH
fi
export PATH LC_ALL=C.UTF-8 PYTHONUNBUFFERED=1

log() {
  local src=${BASH_SOURCE[1]:-${0}}
  echo "$(date '+%Y-%m-%dT%H:%M:%S') (${src##*/}:${BASH_LINENO[0]}) $*" >&2
}

die() {
  echo "error: $*" >&2
  exit 2
}

_print_help() {
  # The header comment: lines after the shebang that start with '#'.
  sed -n '2,/^[^#]/{/^#/{s/^# \{0,1\}//;p}}' "$0"
}

parse_options() {
  POSITIONAL=()
  while (($#)); do
    local arg=$1 name value has_value=false
    case $arg in
      --help|-h) _print_help; exit 0 ;;
      --) shift; POSITIONAL+=("$@"); break ;;
      --*=*) name=${arg%%=*}; value=${arg#*=}; has_value=true ;;
      --*) name=$arg ;;
      *) POSITIONAL+=("$arg"); shift; continue ;;
    esac
    name=${name#--}
    name=${name//-/_}
    [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "bad option '$arg'"
    if ! declare -p "$name" >/dev/null 2>&1 || [[ $name == POSITIONAL ]]; then
      die "unknown option '--${name//_/-}' (see $0 --help)"
    fi
    local current=${!name}
    if [[ $current == true || $current == false ]]; then
      if ! $has_value; then
        if [[ ${2-} == true || ${2-} == false ]]; then
          value=$2; shift
        else
          value=true
        fi
      fi
      [[ $value == true || $value == false ]] ||
        die "option '--${name//_/-}' is boolean: give true or false, not '$value'"
    elif ! $has_value; then
      (($# >= 2)) || die "option '--${name//_/-}' needs a value"
      value=$2; shift
    fi
    printf -v "$name" '%s' "$value"
    shift
  done
}

require_int() {
  local name
  for name in "$@"; do
    [[ ${!name} =~ ^[0-9]+$ ]] || die "--${name//_/-} must be a non-negative integer, not '${!name}'"
  done
}

recipe_setup() {
  ((${#POSITIONAL[@]} == 0)) || die "unexpected argument '${POSITIONAL[0]}' (see --help)"
  require_int stage stop_stage nj
  [[ -f $config ]] || die "config file $config does not exist"
  ow=()
  if $overwrite; then ow=(--overwrite); fi
  run=(sptk-cli run --backend "$backend")
}

stage_on() {
  local n=$1
  ((stage <= n && n <= stop_stage))
}

sharded_datadir() {
  local out=$1 j parts=(); shift
  if [[ -f $out/.done && ${overwrite:-false} == false ]]; then
    log "$out is complete; skipping (--overwrite redoes it)"; return 0
  fi
  "${run[@]}" JOB=1:"$nj" "$out.split/log/JOB.log" -- "$@" --shard JOB/"$nj" \
    --out "$out.split/JOB" "${ow[@]}"
  for ((j = 1; j <= nj; j++)); do parts+=("$out.split/$j"); done
  sptk-cli data merge "${parts[@]}" --out "$out" --overwrite
}

sharded_scores() {
  local out=$1 j parts=(); shift
  local dir=${out%.json}.parts
  rm -rf "$dir"
  "${run[@]}" JOB=1:"$nj" "$dir/log/JOB.log" -- "$@" --shard JOB/"$nj" --out "$dir/JOB.json"
  for ((j = 1; j <= nj; j++)); do parts+=("$dir/$j.json"); done
  sptk-cli -q score-merge "${parts[@]}" --out "$out"
}

decode_sharded() {
  local model=$1 data=$2 dir=$3; shift 3
  sharded_datadir "$dir/hyp" sptk-cli decode --model "$model" --data "$data" "$@"
}

score_sharded() {
  local ref=$1 hyp=$2 out=$3; shift 3
  if [[ ${overwrite:-false} == false && -f $out && -f $hyp/.done && $out -nt $hyp/.done ]]; then
    log "$out is newer than $hyp; skipping (--overwrite redoes it)"; return 0
  fi
  sharded_scores "$out" sptk-cli score --ref "$ref" --hyp "$hyp" "$@"
}
