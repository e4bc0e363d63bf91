"""``sptk-cli summarize --brief``: headline metrics per recipe within 80 columns."""

from __future__ import annotations

import json

from tests.conftest import run_cli
from toolkit.metrics.summary import headline


def _recipe(root, name, files):
    exp = root / "recipes" / name / "exp" / "demo"
    exp.mkdir(parents=True)
    (root / "recipes" / name / "run.sh").write_text("#!/bin/bash\n")
    (root / "recipes" / name / "RESULTS.md").write_text("# results\n")
    paths = []
    for fname, scores in files.items():
        paths.append(exp / f"scores_{fname}.json")
        paths[-1].write_text(json.dumps(scores))
    return paths


def test_brief_summary_fits_80_columns_and_points_at_the_results(tmp_path):
    tts_metrics = {m: 1.2345 for m in ("mse", "mcd_db", "f0_rmse_cents", "vuv_error", "frames",
                                       "utterances", "duration_rmse_frames", "bap_db", "lf0_corr",
                                       "a", "b", "c", "d", "e", "f")}
    tts = _recipe(tmp_path, "tts", {f"test_system_with_a_long_name_{i}": tts_metrics
                                    for i in range(15)})
    svs = _recipe(tmp_path, "svs", {"test_unet": {"n": 5, "vocals/GNSDR": 3.8, "accomp/GNSDR": 1.5,
                                                  "vocals/SDR": 2.0, "stats": {"x": 1}}})
    files = [p.relative_to(tmp_path) for p in (*tts, *svs)]
    proc = run_cli("-q", "summarize", "--brief", *files, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in proc.stdout and "mcd_db" in proc.stdout and "vocals/GNSDR" in proc.stdout
    assert "bap_db" not in proc.stdout  # not a headline metric of tts
    assert proc.stdout.count("RESULTS.md") == 2


def test_headline_without_a_recipe_list_skips_counts(tmp_path):
    assert headline(tmp_path, ["n", "acc_ci95", "acc", "frames", "x", "y", "z", "w"]) == [
        "acc", "x", "y", "z"]


def test_recipe_layout_rows_named_by_experiment(tmp_path):
    """exp/<experiment>/scores/<test set>.json: one row per experiment, grouped above them."""
    from toolkit.metrics.summary import read_scores

    for exp, test_set in [("unet", "test"), ("noskip", "test"), ("unet", "dev")]:
        f = tmp_path / "exp" / exp / "scores" / f"{test_set}.json"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text('{"sdr": 1.5, "name": "x"}')
    files = sorted((tmp_path / "exp").glob("*/scores/*.json"))
    groups = read_scores(files)
    assert list(groups) == [str(tmp_path / "exp")]
    assert sorted(n for n, _ in groups[str(tmp_path / "exp")]) == ["noskip", "unet", "unet/dev"]
