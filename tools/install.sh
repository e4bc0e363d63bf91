#!/usr/bin/env bash
# Install everything sptk-cli needs into ./.venv (idempotent).
#
#   tools/install.sh            # runtime + corpus + dev extras
#   SPTK_NO_APT=1 tools/install.sh   # never call apt-get (prints the line instead)
#
# Steps: Debian packages (when root; otherwise the apt-get line is printed),
# a virtual environment in .venv, the local CPU torch wheel from /opt/wheels
# when it exists (a plain `pip install torch` pulls several GB of CUDA), then
# the package itself in editable mode with its extras. A stamp file holding a
# hash of pyproject.toml and this script makes a second run a no-op.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
venv=${SPTK_VENV:-$root/.venv}
python=${PYTHON:-python3}

# Debian packages the recipes need at run time (corpora, synthesis, cluster).
# asterisk-core-sounds-<lang> (no codec suffix) holds the prompts' transcripts.
apt_pkgs=(
  libsndfile1 espeak-ng libespeak-ng1 sox
  flite                             # tts peer of local/asr_compare.py
  fluidsynth fluid-soundfont-gm
  asterisk-core-sounds-en-g722 asterisk-core-sounds-es-g722 asterisk-core-sounds-fr-g722
  asterisk-core-sounds-it-g722 asterisk-core-sounds-ru-g722
  asterisk-core-sounds-en asterisk-core-sounds-es asterisk-core-sounds-fr
  asterisk-core-sounds-it asterisk-core-sounds-ru
  tuxpaint-stamps-default ktuberling-data hedgewars-data wesnoth-1.16-data
  colobot-common-sounds sound-theme-freedesktop timgm6mb-soundfont
  slurm-wlm munge
  libspeexdsp-dev swig
)

missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  line="apt-get install -y --no-install-recommends ${missing[*]}"
  if [[ $(id -u) == 0 && -z ${SPTK_NO_APT:-} ]] && command -v apt-get >/dev/null; then
    echo "install.sh: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "install.sh: Debian packages missing; as root run: $line" >&2
  fi
fi

stamp=$venv/.sptk-installed
want=$(cat pyproject.toml tools/install.sh | sha256sum | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
  exit 0
fi

[[ -x $venv/bin/python ]] || "$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip install -q --disable-pip-version-check)
# pip.conf on some machines lists local mirrors that lack packages; pip warns once per
# package about them. Keep the install log readable by dropping those lines.
quiet_pip() { "${pip[@]}" "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2); }
quiet_pip --upgrade pip "setuptools<81" wheel
wheel=$(ls /opt/wheels/torch-*+cpu-*.whl 2>/dev/null | head -n1 || true)
if [[ -n $wheel ]]; then
  quiet_pip "$wheel"
elif ! "$venv/bin/python" -c "import torch" 2>/dev/null; then
  quiet_pip torch --index-url https://download.pytorch.org/whl/cpu || quiet_pip torch
fi
quiet_pip -e ".[corpus,dev]"
echo "$want" >"$stamp"
echo "install.sh: environment ready in $venv"
