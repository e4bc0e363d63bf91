"""tools/recipe_lib.sh: parse_options, log, stage_on."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import ROOT

SCRIPT = """#!/usr/bin/env bash
# Test script header.
# Usage: t.sh [--nj N] [--stop-stage N] [--use-gpu true|false]
set -euo pipefail
nj=4
stop_stage=100
stage=0
use_gpu=false
. {lib}
parse_options "$@"
echo "nj=$nj stop_stage=$stop_stage use_gpu=$use_gpu rest=${{POSITIONAL[*]:-}}"
for n in 0 1 2 3; do stage_on $n && echo "on $n"; done
log "hello"
"""


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "t.sh"
    path.write_text(SCRIPT.format(lib=ROOT / "tools" / "recipe_lib.sh"))
    path.chmod(0o755)

    def run(*args):
        return subprocess.run([str(path), *args], capture_output=True, text=True)

    return run


def test_dash_and_underscore_forms(script):
    for args in (["--stop-stage", "2"], ["--stop_stage", "2"], ["--stop-stage=2"]):
        out = script(*args, "--nj", "8", "x").stdout
        assert "nj=8 stop_stage=2 use_gpu=false rest=x" in out
        assert "on 2" in out and "on 3" not in out


def test_booleans(script):
    assert "use_gpu=true" in script("--use-gpu").stdout
    assert "use_gpu=true" in script("--use-gpu", "true").stdout
    assert "use_gpu=false" in script("--use-gpu=false").stdout
    bad = script("--use-gpu=yes")
    assert bad.returncode != 0 and "boolean" in bad.stderr


def test_unknown_option_and_missing_value(script):
    bad = script("--nope", "1")
    assert bad.returncode != 0 and "unknown option '--nope'" in bad.stderr
    assert "needs a value" in script("--nj").stderr


def test_help_prints_header(script):
    out = script("--help")
    assert out.returncode == 0 and out.stdout.startswith("Test script header.\nUsage: t.sh")


def test_log_has_timestamp_and_location(script):
    err = script().stderr.strip().splitlines()[-1]
    assert err.endswith("(t.sh:13) hello") and err[:4].isdigit() and "T" in err[:20]


SHARDED = """#!/usr/bin/env bash
set -euo pipefail
nj=3
overwrite=false
. {lib}
run=(sptk-cli run --backend local)
ow=()
sharded_datadir "$1/corpus" sptk-cli corpus tones --n 7 --duration 0.2
score_sharded "$1/corpus" "$1/corpus" "$1/scores.json" --task tone
"""


def test_sharded_datadir_and_score_sharded(tmp_path):
    """Build 7 clips as 3 shards, merge them, score them as 3 shards, merge the scores."""
    import json

    from tests.conftest import cli_env

    script = tmp_path / "s.sh"
    script.write_text(SHARDED.format(lib=ROOT / "tools" / "recipe_lib.sh"))
    script.chmod(0o755)
    out = tmp_path / "o"
    first = subprocess.run([str(script), out], capture_output=True, text=True, env=cli_env())
    assert first.returncode == 0, first.stderr
    assert len((out / "corpus" / "wav.scp").read_text().splitlines()) == 7
    assert sorted(p.name for p in (out / "corpus.split").iterdir()) == ["1", "2", "3", "log"]
    scores = json.loads((out / "scores.json").read_text())
    assert scores["n"] == 7 and scores["acc"] == 1.0
    assert len(list((out / "scores.parts").glob("*.json"))) == 3
    again = subprocess.run([str(script), out], capture_output=True, text=True, env=cli_env())
    assert again.returncode == 0, again.stderr
    assert "corpus is complete; skipping" in again.stderr and "scores.json is newer" in again.stderr
