"""recipes/tts end to end on its tiny config (asterisk prompts + espeak-ng), then again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import cli_env
from tests.recipes.test_template import copy_recipe


def run_recipe(recipe: Path, *args: str):
    """run.sh with a long limit: about 130 sptk-cli processes (19 s of torch imports alone)."""
    import subprocess

    return subprocess.run(["./run.sh", *args], cwd=recipe, env=cli_env(), capture_output=True,
                          text=True, timeout=2400, stdin=subprocess.DEVNULL)


@pytest.mark.timeout(3000)
def test_tts_recipe_end_to_end(tmp_path):
    if not Path("/usr/share/asterisk/sounds").exists():
        pytest.skip("needs asterisk-core-sounds-{en,fr,it}-g722 (tools/install.sh)")
    pytest.importorskip("G722", reason="PyPI g722 decodes the asterisk prompts")
    recipe = copy_recipe("tts", tmp_path)
    first = run_recipe(recipe, "--config", "conf/tiny.yaml", "--nj", "1")
    assert first.returncode == 0, first.stderr[-3000:]
    exp = recipe / "exp/tiny"
    mlms = json.loads((exp / "mlms_rand/scores/test.json").read_text())
    assert 0 < mlms["mcd_db"] < 30 and set(mlms["per_language"]) == {"en", "fr"}
    assert json.loads((exp / "adapt_v4_it_asterisk-carlo/scores/adapt_test.json").read_text())[
        "utterances"] == 2
    assert (exp / "mlms_rand/decode/test/hyp/wav.scp").is_file()
    heldout = json.loads((exp / "mlms_rand/scores/heldout.json").read_text())
    assert heldout["utterances"] == 3 and 0 <= heldout["asr_wer"] and heldout["words"] > 10
    assert (exp / "conf/base_fr_asterisk-june.yaml").is_file()
    align = json.loads((exp / "align/scores/espeak.json").read_text())
    assert align["boundaries"] > 100 and 0 <= align["within_50ms"] <= 1
    assert (exp / "figure2_dev_mcd.png").is_file() and (exp / "figure3_adapt_dev_mcd.png").is_file()
    for part in ("acoustic", "duration"):
        assert (exp / "bundle" / part / "model.pt").is_file()
    out = tmp_path / "hello.wav"
    from tests.conftest import run_cli

    run_cli("synthesize", "Hello there.", "--lang", "en", "-o", out, "--model", exp / "bundle",
            check=True)  # the bundle's default English speaker (voices.yaml)
    assert out.stat().st_size > 1000
    bad = run_cli("synthesize", "Hello.", "--lang", "de", "-o", tmp_path / "de.wav",
                  "--model", exp / "bundle")
    assert bad.returncode == 2 and "knows: en, fr, it" in bad.stderr  # it: adapted, merged
    run_cli("synthesize", "Buongiorno.", "--lang", "it", "-o", tmp_path / "it.wav", "--model",
            exp / "bundle", check=True)
    for ref in ("ref_mean", "ref_ridge"):
        score = json.loads((exp / ref / "scores/test.json").read_text())
        assert score["mcd_db"] > 0 and score["utterances"] == mlms["utterances"]
    second = run_recipe(recipe, "--config", "conf/tiny.yaml", "--nj", "1")
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.stderr.count("skipping") >= 10
    only = run_recipe(recipe, "--config", "conf/tiny.yaml", "--stage", "4", "--stop-stage", "4",
                      "--only", "ref_mean")
    assert only.returncode == 0, only.stderr[-3000:]
    assert "exp/tiny/ref_mean/decode/test/hyp is done" in only.stderr
    assert "mlms_rand/decode" not in only.stderr and "not synthesised" in only.stderr
    bad_only = run_recipe(recipe, "--config", "conf/tiny.yaml", "--stage", "3", "--stop-stage",
                          "3", "--only", "mlms_rand nope")
    assert bad_only.returncode == 2 and "--only: nope is not an experiment" in bad_only.stderr
