"""recipes/aed end to end on its tiny config (built-in corpus), then again (stages skip)."""

from __future__ import annotations

import json

from tests.conftest import run_cli
from tests.recipes.test_template import copy_recipe, run_recipe


def test_aed_recipe_end_to_end(tmp_path):
    recipe = copy_recipe("aed", tmp_path)

    def run(*args):
        return run_recipe(recipe, "--config", "conf/tiny.yaml", "--nj", "2", *args)

    first = run()
    assert first.returncode == 0, first.stderr[-3000:]
    exp = recipe / "exp/tiny"
    scores = json.loads((exp / "scores/test.json").read_text())
    assert scores["n"] == len((recipe / "data/tiny/test/wav.scp").read_text().splitlines())
    assert 0.0 <= scores["acc"] <= scores["top5"] <= 1.0 and scores["per_class"]
    assert (exp / "scores/test_confusion.png").read_bytes()[:4] == b"\x89PNG"
    macs = json.loads((exp / "macs.json").read_text())
    assert macs["gmacs"] > macs["gmacs_without_attention"] > 0
    train_keys = (recipe / "data/tiny/train/utt2fold").read_text().split()[1::2]
    assert set(train_keys) <= {"1", "2", "3", "4"}  # split by fold, never randomly
    for f in ("model.pt", "model_card.md", "config.yaml", "norm_stats.json", ".done"):
        assert (exp / "pack" / f).is_file(), f
    hyp = (exp / "decode/test/hyp/posterior").read_text().splitlines()[0]
    assert len(hyp.split()) == 1 + 6  # key + one probability per class

    clip = (recipe / "data/tiny/test/wav.scp").read_text().split()[1]
    out = run_cli("classify", clip, "--model", exp / "pack", "--json", check=True)
    assert len(json.loads(out.stdout)["top"]) == 5
    assert not list(recipe.glob("exp/*/score_test")) and not list(recipe.glob("exp/*/*_test"))

    second = run()
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.stderr.count("skipping") >= 5

    seeded = run("--seed", "3", "--stage", "3", "--stop-stage", "3")
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    assert "seed: 3" in (recipe / "exp/tiny_seed3/config.yaml").read_text()
    bad = run("--seed", "x")
    assert bad.returncode != 0 and "--seed must be a non-negative integer" in bad.stderr
