"""recipes/TEMPLATE end to end on its tiny config, then again (every stage skips)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, SLURM_SKIP, cli_env


def copy_recipe(name: str, dst: Path) -> Path:
    """A copy of recipes/NAME (without outputs) whose ../../tools is this tree's tools."""
    recipe = dst / "recipes" / name
    shutil.copytree(ROOT / "recipes" / name, recipe,
                    ignore=shutil.ignore_patterns("exp", "data", "dump", "corpus"))
    (dst / "tools").symlink_to(ROOT / "tools")
    return recipe


def run_recipe(recipe: Path, *args: str, env: dict | None = None):
    return subprocess.run(["./run.sh", *args], cwd=recipe, env=env or cli_env(),
                          capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)


def test_template_recipe_end_to_end(tmp_path):
    recipe = copy_recipe("TEMPLATE", tmp_path)

    def run(*args):
        return run_recipe(recipe, "--config", "conf/tiny.yaml", "--nj", "2", *args)

    first = run()
    assert first.returncode == 0, first.stderr[-3000:]
    scores = json.loads((recipe / "exp/tiny/scores/test.json").read_text())
    assert scores["n"] == 6 and 0.0 <= scores["acc"] <= 1.0
    for f in ("model.pt", "model_card.md", "config.yaml", "meta.yaml", ".done"):
        assert (recipe / "exp/tiny/pack" / f).is_file(), f
    logs = sorted((recipe / "exp/tiny/decode/test/hyp.split/log").glob("*.log"))
    assert len(logs) == 2 and all("# Ended (code 0)" in p.read_text() for p in logs)

    second = run()
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.stderr.count("skipping") >= 5  # corpus, parts, merge, train, pack ...

    bad = run("--stage", "x")
    assert bad.returncode == 2 and "--stage" in bad.stderr
    bad = run("--no-such-option", "1")
    assert bad.returncode == 2 and "unknown option" in bad.stderr


@pytest.mark.slurm
@SLURM_SKIP
def test_scoring_stage_through_slurm_matches_local(tmp_path, slurm_env):
    """Stage 5 with --backend slurm --nj 4 gives the scores of --backend local --nj 1."""
    recipe = copy_recipe("TEMPLATE", tmp_path)
    base = ["--config", "conf/tiny.yaml"]
    first = run_recipe(recipe, *base, "--nj", "2", "--stop-stage", "4")
    assert first.returncode == 0, first.stderr[-3000:]
    local = run_recipe(recipe, *base, "--stage", "5", "--stop-stage", "5", "--nj", "1")
    assert local.returncode == 0, local.stderr[-3000:]
    scores_local = json.loads((recipe / "exp/tiny/scores/test.json").read_text())
    shutil.rmtree(recipe / "exp/tiny/scores")
    slurm = run_recipe(recipe, *base, "--stage", "5", "--stop-stage", "5", "--nj", "4",
                       "--backend", "slurm", env=slurm_env)
    assert slurm.returncode == 0, slurm.stderr[-3000:]
    assert "submitted Slurm job" in slurm.stderr
    assert len(list((recipe / "exp/tiny/scores/test.parts").glob("*.json"))) == 4
    assert json.loads((recipe / "exp/tiny/scores/test.json").read_text()) == scores_local
