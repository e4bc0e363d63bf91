"""recipes/aec end to end on its tiny config (stages 0-5 and 9), then again (steps skip)."""

from __future__ import annotations

import importlib.util
import json
import subprocess

import pytest

from tests.conftest import cli_env
from tests.recipes.test_template import copy_recipe

SCORES = ("align_cruse/scores/test_ldh", "cruse/scores/test_ldh",
          "cruse/scores/test_ldh_gcc_online", "cruse/scores/test_ldh_gcc_global",
          "nlms/scores/test_ldh")


def run_recipe(recipe, *args):
    """run.sh with a generous limit: ~3 min on 2 free cores, 15-20 min on a loaded machine."""
    return subprocess.run(["./run.sh", *args], cwd=recipe, env=cli_env(), capture_output=True,
                          text=True, timeout=2400, stdin=subprocess.DEVNULL)


@pytest.mark.timeout(2400)
def test_aec_recipe_end_to_end(tmp_path):
    recipe = copy_recipe("aec", tmp_path)
    args = ["--config", "conf/tiny.yaml", "--nj", "1"]
    mos = importlib.util.find_spec("speechmos") is not None
    first = run_recipe(recipe, *args)
    assert first.returncode == 0, first.stderr[-3000:]
    exp = recipe / "exp/tiny"
    for name in SCORES:
        scores = json.loads((exp / f"{name}.json").read_text())
        assert scores["n"] == 4
        assert "erle" in scores or "pesq" in scores
        if mos:
            assert any(k.startswith("aecmos_echo_") for k in scores)
    table = (exp / "table.md").read_text()
    assert "Align-CRUSE" in table and "CRUSE‡‡" in table and "test_ldh ERLE↑" in table
    assert (exp / "pack/model.pt").is_file() and (exp / "pack/model_card.md").is_file()
    est = (exp / "align_cruse/decode/test_ldh/hyp/utt2delay_est").read_text().splitlines()
    assert len(est) == 4

    second = run_recipe(recipe, *args, "--stop-stage", "4")
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.stderr.count("skipping") >= 10
