#!/usr/bin/env bash
# make bench: run every benchmark script under benchmarks/ and print its figures.
set -euo pipefail
cd "$(dirname "$0")/.."
for b in benchmarks/*.py; do
  [[ -f $b ]] || continue
  echo "== $b"
  .venv/bin/python "$b"
done
