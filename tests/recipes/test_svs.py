"""recipes/svs end to end on its tiny config, then again (every stage skips)."""

from __future__ import annotations

import json

from tests.recipes.test_template import copy_recipe, run_recipe


def test_svs_recipe_end_to_end(tmp_path):
    recipe = copy_recipe("svs", tmp_path)

    def run(*args):
        return run_recipe(recipe, "--config", "conf/tiny.yaml", "--nj", "2", *args)

    first = run()
    assert first.returncode == 0, first.stderr[-3000:]
    for name in ("tiny", "tiny_noskip"):  # one experiment YAML each, one layout
        exp = recipe / "exp" / name
        scores = json.loads((exp / "scores/test.json").read_text())
        assert scores["n"] == 2 and scores["n_skipped"] == 0
        for key in ("vocals/GNSDR", "accomp/GNSDR", "vocals/SIR", "accomp/SAR"):
            assert isinstance(scores[key], float), key
        assert isinstance(scores["bss_v4"]["vocals/SDR"], float)  # museval BSSv4 median
        assert "vocals/GNSDR" in scores["lowrate"]  # the paper's reconstruction, compared
        assert set(scores["per_clip"]) == set(
            (recipe / "data/tiny/test/wav.scp").read_text().split()[::2])
        logs = sorted((exp / "decode/test/hyp.split/log").glob("*.log"))
        assert len(logs) == 2 and all("# Ended (code 0)" in p.read_text() for p in logs)
        assert (exp / "scores/test_clips.tsv").is_file()
    exp = recipe / "exp/tiny"
    assert (exp / "scores/test_boxplot.png").stat().st_size > 1000
    for f in ("model.pt", "separator.onnx", "model_card.md", "config.yaml", "meta.yaml", ".done"):
        assert (exp / "pack" / f).is_file(), f

    second = run()
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.stderr.count("skipping") >= 8  # corpus, splits, dump, train x2, decode ...

    bad = run("--corpus", str(tmp_path / "nowhere"))
    assert bad.returncode == 2 and "--corpus" in bad.stderr
